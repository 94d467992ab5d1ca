//! MCP tool rules: `server:tool` against `mcp.deny`, `mcp.approve` and `mcp.allow`, then the
//! arguments a persona declared to be paths against its `read` and `write` scopes.
//!
//! Owns: matching the call's `server:tool` name and finding which arguments are paths. Does not
//! know how the server is reached or what the tool does; path decisions come from the engine's
//! own file rules through the `check_path` callback, so an MCP path argument is held to exactly
//! the rules an `fs_read` or `fs_write` of the same path is.

use agentctl_protocol::{Decision, McpRules};
use serde_json::Value;

use crate::command::Access;
use crate::request::deny;
use crate::wildcard::WildcardPattern;
use crate::PolicyError;

/// Whether any `allow` or `approve` pattern of `rules` could match a tool of `server` (a
/// persona whose rules cannot reach a server is never offered it, and the server need not
/// start for it). The same `*` matching as every call decision.
pub fn rules_reach_server(rules: &McpRules, server: &str) -> bool {
    rules
        .allow
        .iter()
        .chain(&rules.approve)
        .any(|pattern| pattern_names_server(pattern, server))
}

/// Whether the server part of one `server:tool` pattern matches `server`.
pub fn pattern_names_server(pattern: &str, server: &str) -> bool {
    let server_part = pattern.split_once(':').map_or(pattern, |(left, _)| left);
    WildcardPattern::new(server_part, false).matches(server)
}

#[derive(Debug, Clone)]
pub(crate) struct McpToolRules {
    allow: Vec<WildcardPattern>,
    approve: Vec<WildcardPattern>,
    deny: Vec<WildcardPattern>,
    paths: Vec<(WildcardPattern, Access, Vec<String>)>,
}

impl McpToolRules {
    pub(crate) fn new(rules: &McpRules) -> Result<McpToolRules, PolicyError> {
        let mut paths = Vec::new();
        for (access, list, table) in [
            (Access::Read, "mcp.read_paths", &rules.read_paths),
            (Access::Write, "mcp.write_paths", &rules.write_paths),
        ] {
            for (pattern, arguments) in table {
                let compiled = compile(list, std::slice::from_ref(pattern))?;
                for pattern in compiled {
                    paths.push((pattern, access, arguments.clone()));
                }
            }
        }
        Ok(McpToolRules {
            allow: compile("mcp.allow", &rules.allow)?,
            approve: compile("mcp.approve", &rules.approve)?,
            deny: compile("mcp.deny", &rules.deny)?,
            paths,
        })
    }

    /// Whether the patterns alone could let `server:tool` run (allow or approve, not denied):
    /// the tools offered to the model are filtered by this before any call.
    pub(crate) fn may_offer(&self, server: &str, tool: &str) -> bool {
        !matches!(
            self.decide_name(&format!("{server}:{tool}")),
            Decision::Deny { .. }
        )
    }

    pub(crate) fn decide(
        &self,
        server: &str,
        tool: &str,
        arguments: &Value,
        check_path: &dyn Fn(&str, Access) -> Decision,
    ) -> Decision {
        let call = format!("{server}:{tool}");
        let decision = self.decide_name(&call);
        if let Decision::Deny { .. } = decision {
            return decision;
        }
        let mut strictest = decision;
        for (pattern, access, names) in &self.paths {
            if !pattern.matches(&call) {
                continue;
            }
            for name in names {
                let Some(value) = arguments.get(name) else {
                    continue;
                };
                let values: Vec<&Value> = match value {
                    Value::Array(items) => items.iter().collect(),
                    other => vec![other],
                };
                for value in values {
                    let Some(path) = value.as_str() else {
                        return deny(
                            "mcp: invalid path argument",
                            format!("argument `{name}` of MCP tool `{call}` must be a path string"),
                        );
                    };
                    let verdict = check_path(path, *access);
                    if let Decision::Deny { rule, reason } = verdict {
                        return deny(
                            rule,
                            format!("argument `{name}` of MCP tool `{call}`: {reason}"),
                        );
                    }
                    strictest = strictest.strictest(verdict);
                }
            }
        }
        // A path rule can only make a call stricter; its own `allow` never replaces the tool's.
        match strictest {
            Decision::Allow { .. } => self.decide_name(&call),
            other => other,
        }
    }

    fn decide_name(&self, call: &str) -> Decision {
        if let Some(pattern) = self.deny.iter().find(|p| p.matches(call)) {
            return deny(
                format!("deny: {}", pattern.text()),
                format!("MCP tool `{call}` matches deny rule `{}`", pattern.text()),
            );
        }
        if let Some(pattern) = self.approve.iter().find(|p| p.matches(call)) {
            return Decision::Approve {
                rule: format!("approve: {}", pattern.text()),
                reason: format!(
                    "MCP tool `{call}` matches approve rule `{}`; a human must approve it",
                    pattern.text()
                ),
            };
        }
        if let Some(pattern) = self.allow.iter().find(|p| p.matches(call)) {
            return Decision::Allow {
                rule: format!("allow: {}", pattern.text()),
            };
        }
        let allowed: Vec<&str> = self.allow.iter().map(WildcardPattern::text).collect();
        let hint = if allowed.is_empty() {
            "this persona may not use MCP tools".to_owned()
        } else {
            format!("allowed: {}", allowed.join(", "))
        };
        deny(
            "no mcp rule",
            format!("MCP tool `{call}` is not allowed for this persona; {hint}"),
        )
    }
}

fn compile(list: &str, patterns: &[String]) -> Result<Vec<WildcardPattern>, PolicyError> {
    patterns
        .iter()
        .map(|written| {
            let trimmed = written.trim();
            if trimmed != "*" && !trimmed.contains(':') {
                return Err(PolicyError::UnsupportedPattern {
                    list: list.to_owned(),
                    pattern: written.clone(),
                    reason: "MCP patterns are `server:tool`, e.g. `git:git_status` or `git:*`"
                        .to_owned(),
                });
            }
            Ok(WildcardPattern::new(trimmed, false))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn servers_are_reachable_only_when_a_pattern_names_them() {
        let rules = McpRules {
            allow: vec!["git:git_status".into()],
            approve: vec!["fs*:write_file".into()],
            deny: vec!["everything:*".into()],
            ..McpRules::default()
        };
        assert!(rules_reach_server(&rules, "git"));
        assert!(rules_reach_server(&rules, "fs-main"));
        assert!(
            !rules_reach_server(&rules, "everything"),
            "deny reaches nothing"
        );
        assert!(pattern_names_server("*:read_*", "fs"));
        assert!(!pattern_names_server("git", "gitx"));
    }
}
