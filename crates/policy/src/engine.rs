//! The policy engine: one decision for every tool call of a persona.
//!
//! Owns: checking that the tool was granted, then sending the call to the path, command, AWS,
//! handoff or gate rules, and the summary shown by `agentctl show` and `--dry-run`. Decisions
//! are ordered deny > approve > allow; the strictest match wins and anything that matches no
//! rule is denied. Does not know how tools run, how approvals are collected, or where
//! decisions are recorded.

use std::path::{Path, PathBuf};

use agentctl_protocol::{Decision, Gate, ToolName};

use crate::aws::AwsRules;
use crate::command::{Access, CommandRules};
use crate::describe::EffectivePolicy;
use crate::git_hooks;
use crate::mcp::McpToolRules;
use crate::path::{self, ResolvedPath};
use crate::request::deny;
use crate::scope::PathScope;
use crate::{PolicyError, PolicySpec, ToolRequest, Verdict};

/// Paths the engine protects on top of the caller's list, with why.
const BUILT_IN_PROTECTED: [(&str, &str); 1] = [(
    ".git",
    "holds hooks and configuration that run code; change the repository with git commands",
)];

/// Gates a persona may ever report.
const REPORTABLE_GATES: [Gate; 2] = [Gate::S06, Gate::S07];

/// The compiled policy of one persona.
#[derive(Debug, Clone)]
pub struct PolicyEngine {
    spec: PolicySpec,
    workspace: PathBuf,
    tools: Vec<ToolName>,
    read: PathScope,
    write: PathScope,
    deny: PathScope,
    protected: PathScope,
    guarded: PathScope,
    built_in_protected: PathScope,
    commands: CommandRules,
    aws: AwsRules,
    mcp: McpToolRules,
    reports: Vec<Gate>,
}

impl PolicyEngine {
    /// Compiles every pattern once (the path lists' match sets on their first use). Fails on a
    /// relative or missing workspace and on patterns that cannot mean what the persona intends.
    pub fn new(spec: PolicySpec) -> Result<PolicyEngine, PolicyError> {
        if !spec.workspace.is_absolute() {
            return Err(PolicyError::WorkspaceNotAbsolute {
                path: spec.workspace.clone(),
            });
        }
        let workspace = fs_err::canonicalize(&spec.workspace)
            .map_err(|source| PolicyError::Workspace { source })?;
        let permissions = &spec.permissions;
        let mut tools: Vec<ToolName> = Vec::new();
        for tool in &permissions.tools {
            if !tool.is_derived() && !tools.contains(tool) {
                tools.push(*tool);
            }
        }
        let mut built_in: Vec<String> = BUILT_IN_PROTECTED
            .iter()
            .map(|(pattern, _)| (*pattern).to_owned())
            .collect();
        built_in.extend(git_hooks::configured_hook_globs(&workspace));
        let mut reports: Vec<Gate> = Vec::new();
        for gate in &spec.reports {
            if REPORTABLE_GATES.contains(gate) && !reports.contains(gate) {
                reports.push(*gate);
            }
        }
        Ok(PolicyEngine {
            read: PathScope::compile("read", &permissions.read, false)?,
            write: PathScope::compile("write", &permissions.write, false)?,
            deny: PathScope::compile("deny", &permissions.deny, true)?,
            protected: PathScope::compile("protected", &spec.protected, true)?,
            guarded: PathScope::compile("guarded", &spec.guarded, true)?,
            built_in_protected: PathScope::compile("protected", &built_in, true)?,
            commands: CommandRules::new(&permissions.commands)?,
            aws: AwsRules::new(&permissions.aws)?,
            mcp: McpToolRules::new(&permissions.mcp)?,
            tools,
            reports,
            workspace,
            spec,
        })
    }

    /// Builds every path list's match set now rather than on its first use (see
    /// `PathScope`), reporting a list whose globs are together too large to compile: for
    /// `agentctl lint`, which checks what a run may meet later.
    pub fn compile_all(&self) -> Result<(), PolicyError> {
        for scope in [
            &self.read,
            &self.write,
            &self.deny,
            &self.protected,
            &self.guarded,
            &self.built_in_protected,
        ] {
            scope.build()?;
        }
        Ok(())
    }

    /// The decision for one call. Never fails: anything not understood is a denial.
    pub fn decide(&self, request: &ToolRequest) -> Verdict {
        if let ToolRequest::Mcp {
            server,
            tool,
            arguments,
        } = request
        {
            let check_path =
                |raw: &str, access: Access| self.decide_path_access(&self.mcp_path(raw), access);
            return Verdict::without_path(self.mcp.decide(server, tool, arguments, &check_path));
        }
        let Some(tool) = request.tool() else {
            let name = match request {
                ToolRequest::Unknown { name } => name.as_str(),
                _ => "",
            };
            return Verdict::without_path(deny(
                "unknown tool",
                format!(
                    "unknown tool `{name}`; available: {}",
                    self.available_tools().join(", ")
                ),
            ));
        };
        if let ToolRequest::GateReport { gate } = request {
            // The S08 answer is more useful than "not granted", whatever the persona reports.
            return Verdict::without_path(self.decide_gate(gate));
        }
        if !self.is_granted(tool) {
            return Verdict::without_path(deny(
                "tool not granted",
                format!("tool `{tool}` is not granted to this persona"),
            ));
        }
        match request {
            ToolRequest::FsRead { path } => {
                self.decide_fs(path, |engine, resolved| engine.decide_read(resolved))
            }
            ToolRequest::FsList { path } => {
                self.decide_fs(path, |engine, resolved| engine.decide_list(resolved))
            }
            ToolRequest::FsWrite { path } => {
                self.decide_fs(path, |engine, resolved| engine.decide_write(resolved))
            }
            ToolRequest::ExecuteBash { command } => {
                let check_path = |raw: &str, access: Access| self.decide_path_access(raw, access);
                Verdict::without_path(self.commands.decide(command, &check_path))
            }
            ToolRequest::UseAws { service, operation } => {
                Verdict::without_path(self.aws.decide(service, operation))
            }
            ToolRequest::Handoff { to } => Verdict::without_path(self.decide_handoff(to)),
            ToolRequest::GateReport { .. }
            | ToolRequest::Unknown { .. }
            | ToolRequest::Mcp { .. } => {
                Verdict::without_path(deny("unknown tool", "unreachable request kind"))
            }
        }
    }

    /// A serialisable summary of what this persona may do.
    pub fn describe(&self) -> EffectivePolicy {
        let permissions = &self.spec.permissions;
        let mut protected = self.spec.protected.clone();
        protected.extend(self.built_in_protected.written());
        EffectivePolicy {
            workspace: self.workspace.clone(),
            tools: self.available_tool_names(),
            read: self.read.written(),
            write: self.write.written(),
            deny: self.deny.written(),
            protected,
            commands: permissions.commands.clone(),
            aws: permissions.aws.clone(),
            mcp: permissions.mcp.clone(),
            handoff_targets: self.spec.handoff_targets.clone(),
            reports: self.reports.clone(),
        }
    }

    /// Whether the persona's `mcp` patterns could let it use `server`'s tool `tool`; tools
    /// that could never run are not offered to the model at all.
    pub fn may_offer_mcp_tool(&self, server: &str, tool: &str) -> bool {
        self.mcp.may_offer(server, tool)
    }

    /// MCP servers often take absolute paths: one inside the workspace is judged as the
    /// workspace-relative path it names; anything else is left for the path rules to refuse.
    fn mcp_path(&self, raw: &str) -> String {
        let path = Path::new(raw);
        if !path.is_absolute() {
            return raw.to_owned();
        }
        for base in [self.spec.workspace.as_path(), self.workspace.as_path()] {
            if let Ok(relative) = path.strip_prefix(base) {
                let text = relative.to_string_lossy();
                return if text.is_empty() {
                    ".".to_owned()
                } else {
                    text.into_owned()
                };
            }
        }
        raw.to_owned()
    }

    /// The canonical workspace every resolved path lies in.
    pub fn workspace(&self) -> &Path {
        &self.workspace
    }

    /// Whether a workspace-relative, `/`-separated path falls under one of the persona's deny
    /// scopes (the OS sandbox hides such paths from the persona's processes).
    pub fn in_deny_scope(&self, relative: &str) -> bool {
        self.deny.first_match(relative).is_some()
    }

    fn is_granted(&self, tool: ToolName) -> bool {
        match tool {
            ToolName::Handoff => !self.spec.handoff_targets.is_empty(),
            ToolName::GateReport => !self.reports.is_empty(),
            other => self.tools.contains(&other),
        }
    }

    fn available_tool_names(&self) -> Vec<ToolName> {
        ToolName::ALL
            .into_iter()
            .filter(|tool| self.is_granted(*tool))
            .collect()
    }

    fn available_tools(&self) -> Vec<&'static str> {
        let names: Vec<&'static str> = self
            .available_tool_names()
            .into_iter()
            .map(ToolName::as_str)
            .collect();
        if names.is_empty() {
            vec!["none"]
        } else {
            names
        }
    }

    fn decide_fs(
        &self,
        raw: &str,
        judge: impl FnOnce(&PolicyEngine, &ResolvedPath) -> Decision,
    ) -> Verdict {
        match path::resolve(&self.workspace, raw) {
            Ok(resolved) => Verdict {
                decision: judge(self, &resolved),
                resolved_path: Some(resolved.absolute),
            },
            Err(rejection) => Verdict::without_path(deny(rejection.rule, rejection.reason)),
        }
    }

    /// Path rules for a redirection target of `execute_bash`.
    fn decide_path_access(&self, raw: &str, access: Access) -> Decision {
        let judge = |engine: &PolicyEngine, resolved: &ResolvedPath| match access {
            Access::Read => engine.decide_read(resolved),
            Access::Write => match engine.guarded_match(resolved) {
                Some(pattern) => deny(
                    format!("guarded: {pattern}"),
                    format!(
                        "`{}` is a task file; change it with fs_write, where a change to its \
                         gates goes to a human, not through the shell",
                        resolved.display()
                    ),
                ),
                None => engine.decide_write(resolved),
            },
        };
        self.decide_fs(raw, judge).decision
    }

    fn guarded_match(&self, resolved: &ResolvedPath) -> Option<&str> {
        resolved
            .relative_forms()
            .into_iter()
            .find_map(|relative| self.guarded.first_match(relative))
    }

    fn denied_by_scope(&self, resolved: &ResolvedPath) -> Option<Decision> {
        resolved.relative_forms().into_iter().find_map(|relative| {
            self.deny.first_match(relative).map(|pattern| {
                deny(
                    format!("deny: {pattern}"),
                    format!(
                        "`{}` matches deny rule `{pattern}`{}",
                        resolved.display(),
                        via_link(resolved, relative)
                    ),
                )
            })
        })
    }

    fn decide_read(&self, resolved: &ResolvedPath) -> Decision {
        if let Some(denial) = self.denied_by_scope(resolved) {
            return denial;
        }
        if let Some(links) = path::extra_hard_links(&resolved.absolute) {
            return deny(
                "hard link",
                format!(
                    "`{}` has {links} hard links; its other names may lie in a deny scope or \
                     outside the workspace, where no path rule can see them",
                    resolved.display()
                ),
            );
        }
        match all_forms_match(&self.read, resolved) {
            Some(pattern) => Decision::Allow {
                rule: format!("read: {pattern}"),
            },
            None => deny(
                "no read rule",
                format!(
                    "`{}` is outside this persona's read scope ({})",
                    resolved.display(),
                    listing(&self.read.written())
                ),
            ),
        }
    }

    fn decide_list(&self, resolved: &ResolvedPath) -> Decision {
        if resolved.absolute.is_file() {
            return self.decide_read(resolved);
        }
        if let Some(denial) = self.denied_by_scope(resolved) {
            return denial;
        }
        if let Some(pattern) = all_forms_match(&self.read, resolved) {
            return Decision::Allow {
                rule: format!("read: {pattern}"),
            };
        }
        let beneath: Option<&str> = resolved
            .relative_forms()
            .into_iter()
            .map(|relative| self.read.could_match_beneath(relative))
            .collect::<Option<Vec<&str>>>()
            .and_then(|patterns| patterns.first().copied());
        match beneath {
            Some(pattern) => Decision::Allow {
                rule: format!("read: {pattern}"),
            },
            None => deny(
                "no read rule",
                format!(
                    "nothing under `{}` is in this persona's read scope ({})",
                    resolved.display(),
                    listing(&self.read.written())
                ),
            ),
        }
    }

    fn decide_write(&self, resolved: &ResolvedPath) -> Decision {
        if resolved.is_workspace_root() {
            return deny(
                "invalid path",
                "the workspace itself cannot be written; name a file inside it",
            );
        }
        for relative in resolved.relative_forms() {
            if let Some(pattern) = self.built_in_protected.first_match(relative) {
                let why = BUILT_IN_PROTECTED
                    .iter()
                    .find(|(built_in, _)| *built_in == pattern)
                    .map_or(
                        "is git's hook directory (`core.hooksPath` in .git/config); a hook \
                         runs code at a human's next git command",
                        |(_, why)| why,
                    );
                return deny(
                    format!("protected: {pattern}"),
                    format!("`{}` is protected: `{pattern}` {why}", resolved.display()),
                );
            }
            if let Some(pattern) = self.protected.first_match(relative) {
                return deny(
                    format!("protected: {pattern}"),
                    format!(
                        "`{}` is written only by agentctl; no agent may change it{}",
                        resolved.display(),
                        via_link(resolved, relative)
                    ),
                );
            }
        }
        if let Some(denial) = self.denied_by_scope(resolved) {
            return denial;
        }
        if let Some(links) = path::extra_hard_links(&resolved.absolute) {
            // A redirection would change every name of the file; fs_write's diff would show
            // the old content of a name the persona may not read.
            return deny(
                "hard link",
                format!(
                    "`{}` has {links} hard links; writing it would change or reveal a file under \
                     another name, which may lie in a deny scope or outside the workspace",
                    resolved.display()
                ),
            );
        }
        match all_forms_match(&self.write, resolved) {
            Some(pattern) => Decision::Allow {
                rule: format!("write: {pattern}"),
            },
            None => deny(
                "no write rule",
                format!(
                    "`{}` is outside this persona's write scope ({})",
                    resolved.display(),
                    listing(&self.write.written())
                ),
            ),
        }
    }

    fn decide_handoff(&self, to: &str) -> Decision {
        if self.spec.handoff_targets.iter().any(|target| target == to) {
            return Decision::Allow {
                rule: format!("handoff: {to}"),
            };
        }
        deny(
            "handoff target",
            format!(
                "`{to}` is not a handoff target of this persona; it may hand off to: {}",
                self.spec.handoff_targets.join(", ")
            ),
        )
    }

    fn decide_gate(&self, text: &str) -> Decision {
        let gate: Gate = match text.parse() {
            Ok(gate) => gate,
            Err(error) => return deny("gate: invalid", format!("{error}")),
        };
        if gate == Gate::S08 {
            return deny(
                "gate: S08 is human only",
                "S08 is recorded only by a human through `agentctl approve`",
            );
        }
        if !self.is_granted(ToolName::GateReport) {
            return deny(
                "tool not granted",
                "tool `gate_report` is not granted to this persona",
            );
        }
        if !REPORTABLE_GATES.contains(&gate) {
            return deny(
                "gate: not reportable",
                format!(
                    "{gate} ({}) is not reported through gate_report; personas report only S06 and S07",
                    gate.title()
                ),
            );
        }
        if self.reports.contains(&gate) {
            return Decision::Allow {
                rule: format!("reports: {gate}"),
            };
        }
        let reported: Vec<&str> = self.reports.iter().map(|gate| gate.as_str()).collect();
        deny(
            "gate: not reported",
            format!(
                "this persona does not report {gate}; it reports: {}",
                reported.join(", ")
            ),
        )
    }
}

/// The pattern of `scope` that covers every relative form of the path; `None` if any form is
/// left uncovered, so a link cannot lend a path a scope it does not have.
fn all_forms_match<'a>(scope: &'a PathScope, resolved: &ResolvedPath) -> Option<&'a str> {
    let mut first = None;
    for relative in resolved.relative_forms() {
        let pattern = scope.first_match(relative)?;
        first.get_or_insert(pattern);
    }
    first
}

fn via_link(resolved: &ResolvedPath, relative: &str) -> String {
    if relative == resolved.lexical {
        String::new()
    } else {
        format!(" (it is a link to `{relative}`)")
    }
}

fn listing(patterns: &[String]) -> String {
    if patterns.is_empty() {
        "empty".to_owned()
    } else {
        patterns.join(", ")
    }
}
