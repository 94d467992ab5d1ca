//! The one path every tool call takes: parse → policy → (human approval) → execute → record.
//!
//! Nothing the model says can skip a step: an unknown tool, malformed arguments, a denied path
//! or command all become tool errors sent back to the model, each with exactly one
//! `tool.denied` audit entry; an allowed call gets exactly one `tool.allowed` entry before it
//! runs and one `tool.result` after. The exception is a reply with more calls than
//! `[limits] max_tool_calls_per_reply`: the calls past the cap are denied together, unrun,
//! with one `limit.reached` entry (see `reply_caps`), so a reply cannot buy itself thousands
//! of audit entries.

use agentctl_persona::Persona;
use agentctl_policy::PolicyEngine;
use agentctl_policy::ToolRequest;
use agentctl_protocol::{Decision, EventKind, Gate, GateStatus, Message, ToolCall, ToolName};
use agentctl_tools::{CallScope, ParsedArguments, ToolError, ToolOutput};
use serde_json::Value;

use crate::approvals::Verdict;
use crate::events::RunEvent;
use crate::project_state::{self, GateRecord};
use crate::recorder::Recorder;
use crate::run_loop::{Engine, RunReport};
use crate::run_state::{PendingApproval, PendingKind, RunStatus};
use crate::{details, handoff, store, CoreError};

/// Largest tool output recorded in the audit log (the model gets up to the configured cap).
const AUDIT_OUTPUT_BYTES: usize = 4096;
const AUDIT_DIFF_BYTES: usize = 16 * 1024;

/// How the active persona goes on once its part is done ([`Engine::way_on`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum WayOn {
    /// `to`, one of the persona's handoff `targets`, works next on the task in gate order.
    HandOff { to: String, targets: Vec<String> },
    /// No target has work left (or the persona has none): a plain-text answer ends its part.
    Finish { targets: Vec<String> },
}

impl WayOn {
    /// The advice as the model reads it.
    pub(crate) fn text(&self) -> String {
        match self {
            WayOn::HandOff { to, targets } => format!(
                "hand off with `handoff` to {to}, who works next on this task in gate order \
                 (your targets: {}), or finish with a plain-text answer",
                targets.join(", ")
            ),
            WayOn::Finish { targets } if targets.is_empty() => {
                "finish with a plain-text answer".to_owned()
            }
            WayOn::Finish { targets } => format!(
                "finish with a plain-text answer (no tool call): none of your handoff targets \
                 ({}) has work left on this task, so hand off only to send work back",
                targets.join(", ")
            ),
        }
    }
}

pub(crate) enum CallOutcome {
    /// A tool message answers the call; carry on with the next.
    Answered,
    /// A handoff switched the active persona.
    Switched,
    /// The run paused or ended.
    Stop(Box<RunReport>),
}

impl Engine<'_> {
    pub(crate) async fn handle_call(&mut self, call: &ToolCall) -> Result<CallOutcome, CoreError> {
        self.ensure_persona()?;
        if call
            .name
            .trim()
            .starts_with(agentctl_protocol::MCP_TOOL_PREFIX)
        {
            // After a resume the offer is rebuilt before the pending MCP call is judged again.
            self.ensure_mcp_tools().await?;
        }
        let persona_name = self.state.active.name.clone();
        // A call started before a crash already has its `tool.allowed` entry: finish it.
        if self.state.in_flight.as_deref() == Some(call.id.as_str()) {
            return self.finish_interrupted_call(call).await;
        }
        let parsed = match self.parse(call) {
            Ok(parsed) => parsed,
            Err((rule, reason)) => return self.deny(call, &persona_name, rule, reason),
        };
        if let Some(reason) = crate::repeated_call::refusal(&self.state.messages, call) {
            let reason = format!(
                "{reason} Take the next step of your instructions with a different call; when \
                 your part is done, {}",
                self.way_on()?.text()
            );
            return self.deny(call, &persona_name, "repeated call".to_owned(), reason);
        }
        if let ParsedArguments::Handoff { to, .. } = &parsed {
            if *to == persona_name {
                // A persona handing off to itself would start again with the tools its entry
                // edge took away; the ceiling it works under stays for the rest of the chain.
                let reason = format!(
                    "{persona_name} is already the active persona; a handoff goes to another persona"
                );
                return self.deny(call, &persona_name, "handoff: self".to_owned(), reason);
            }
        }
        let verdict = self.decide(&parsed)?;
        let verdict = self.task_gate_check(&parsed, verdict);
        let verdict = handoff::gate_check(self, &parsed, verdict)?;
        let resolved = verdict.resolved_path;
        match verdict.decision {
            Decision::Deny { rule, reason } => self.deny(call, &persona_name, rule, reason),
            Decision::Approve { rule, reason } => {
                self.needs_approval(call, &persona_name, parsed, rule, reason, resolved)
                    .await
            }
            Decision::Allow { rule } => {
                // A "passed" report the project's evidence does not back is refused here, as
                // the call's one decision, before anything records it as allowed.
                if let ParsedArguments::GateReport { gate, status, .. } = &parsed {
                    let with_task = !matches!(
                        self.state.mode,
                        crate::run_state::RunMode::Chat { with_task: false }
                    );
                    if with_task {
                        if let Err(reason) =
                            self.check_gate_evidence(&persona_name, *gate, *status)?
                        {
                            self.state.tool_calls += 1;
                            return self.refuse_gate_report(call, &persona_name, *gate, reason);
                        }
                    }
                }
                self.allow(call, &persona_name, parsed, rule, None, resolved)
                    .await
            }
        }
    }

    /// The one policy decision for a parsed call.
    fn decide(&self, parsed: &ParsedArguments) -> Result<agentctl_policy::Verdict, CoreError> {
        match self.persona.as_ref() {
            Some((_, policy)) => Ok(policy.decide(&to_request(parsed))),
            None => Err(CoreError::NoActivePersona),
        }
    }

    /// An allowed `fs_write` to a task file that changes the task's gate fields waits for a
    /// human (the policy only lets a persona the project opened the tasks to get this far).
    fn task_gate_check(
        &self,
        parsed: &ParsedArguments,
        verdict: agentctl_policy::Verdict,
    ) -> agentctl_policy::Verdict {
        let (ParsedArguments::FsWrite { content, .. }, Decision::Allow { .. }, Some(path)) =
            (parsed, &verdict.decision, &verdict.resolved_path)
        else {
            return verdict;
        };
        let tasks = &self.context.config.paths.tasks;
        let tasks = fs_err::canonicalize(tasks).unwrap_or_else(|_| tasks.clone());
        if !path.starts_with(&tasks) {
            return verdict;
        }
        match crate::task_file::gate_change(path, content) {
            Some(reason) => agentctl_policy::Verdict {
                decision: Decision::Approve {
                    rule: "task gates".to_owned(),
                    reason,
                },
                resolved_path: verdict.resolved_path,
            },
            None => verdict,
        }
    }

    /// Tool name and arguments, or why they are unusable.
    fn parse(&self, call: &ToolCall) -> Result<ParsedArguments, (String, String)> {
        if let Some(refusal) = crate::reply_caps::oversized_arguments(call, &self.caps()) {
            return Err(refusal);
        }
        if let Some(tool) = self.offered_mcp_tool(&call.name) {
            return ParsedArguments::mcp(&tool.server, &tool.name, &call.arguments).map_err(
                |problem| {
                    (
                        "invalid arguments".to_owned(),
                        format!("MCP tool `{}`: {problem}", call.name.trim()),
                    )
                },
            );
        }
        let offered = self
            .persona
            .as_ref()
            .map(|(persona, _)| persona.offered_tools())
            .unwrap_or_default();
        let names: Vec<&str> = offered.iter().map(|tool| tool.as_str()).collect();
        let tool: ToolName = match call.name.trim().parse() {
            Ok(tool) if offered.contains(&tool) => tool,
            Ok(tool) => {
                return Err((
                    "tool not granted".to_owned(),
                    format!(
                        "tool `{tool}` is not granted to this persona; available: {}",
                        names.join(", ")
                    ),
                ))
            }
            Err(_) => {
                return Err((
                    "unknown tool".to_owned(),
                    format!(
                        "unknown tool `{}`; available: {}",
                        call.name,
                        names.join(", ")
                    ),
                ))
            }
        };
        agentctl_tools::parse_arguments(tool, &call.arguments).map_err(|error| {
            (
                "invalid arguments".to_owned(),
                // The tool error already names the tool and the expected schema.
                error.to_string(),
            )
        })
    }

    fn deny(
        &mut self,
        call: &ToolCall,
        persona: &str,
        rule: String,
        reason: String,
    ) -> Result<CallOutcome, CoreError> {
        self.state.denials += 1;
        self.state.tool_calls += 1;
        let redactor = self.redactor();
        // A reason quotes the model's input, so it is redacted like the input.
        let reason = redactor.text(&reason);
        tracing::info!(persona, tool = %agentctl_display::line(&call.name), %rule, reason = %agentctl_display::line(&reason), "policy: denied");
        self.observer.on_event(&RunEvent::ToolDenied {
            tool: call.name.clone(),
            summary: summarize(call, &redactor),
            reason: reason.clone(),
        });
        Recorder::queue(
            &mut self.state,
            Some(persona),
            EventKind::ToolDenied,
            details! {
                "call_id" => call.id.clone(), "tool" => call.name.clone(),
                "arguments" => agentctl_audit::cut(&redactor.arguments(&call.arguments), AUDIT_OUTPUT_BYTES),
                "rule" => rule, "reason" => reason.clone(),
            },
        );
        self.answer(
            call,
            format!(
                "{}{reason}. This decision is final; do not retry it in another form.",
                crate::repeated_call::DENIED_PREFIX
            ),
        );
        // Saved with the rest of this message's calls: a denial changes nothing, so replaying
        // it after a crash is harmless.
        Ok(CallOutcome::Answered)
    }

    async fn needs_approval(
        &mut self,
        call: &ToolCall,
        persona: &str,
        parsed: ParsedArguments,
        rule: String,
        reason: String,
        resolved: Option<std::path::PathBuf>,
    ) -> Result<CallOutcome, CoreError> {
        let digest = call_digest(self.state.run_id.as_str(), persona, call);
        let decided = match (&self.state.pending, &self.decision) {
            (Some(pending), Some(decision))
                if pending.digest == digest && decision.digest == digest =>
            {
                Some(decision.clone())
            }
            _ => None,
        };
        match decided {
            Some(decision) if decision.verdict == Verdict::Approved => {
                self.consume_decision();
                let approval = details! {
                    "approved_by" => decision.by.clone(), "os_user" => decision.os_user.clone(), "digest" => digest,
                };
                self.allow(call, persona, parsed, rule, Some(approval), resolved)
                    .await
            }
            Some(decision) => {
                self.consume_decision();
                let why = decision.note.clone().unwrap_or_default();
                let redactor = self.redactor();
                if self.context.config.gates.on_reject == agentctl_config::OnReject::EndRun {
                    let reason = format!(
                        "{} rejected {}: {why}",
                        decision.by,
                        summarize(call, &redactor)
                    );
                    return self
                        .end(RunStatus::Rejected, reason, None)
                        .map(|report| CallOutcome::Stop(Box::new(report)));
                }
                self.state.denials += 1;
                self.state.tool_calls += 1;
                self.state.rejections.push(format!(
                    "{} rejected {}: {why}",
                    decision.by,
                    summarize(call, &redactor)
                ));
                Recorder::queue(
                    &mut self.state,
                    Some(persona),
                    EventKind::ToolDenied,
                    details! {
                        "call_id" => call.id.clone(), "tool" => call.name.clone(),
                        "arguments" => agentctl_audit::cut(&redactor.arguments(&call.arguments), AUDIT_OUTPUT_BYTES),
                        "rule" => rule, "reason" => format!("rejected by {}: {why}", decision.by),
                    },
                );
                self.answer(
                    call,
                    format!(
                        "denied: a human ({}) rejected this action: {why}",
                        decision.by
                    ),
                );
                self.save_and_flush()?;
                Ok(CallOutcome::Answered)
            }
            None => {
                let pending = PendingApproval {
                    gate: Gate::S08,
                    persona: persona.to_owned(),
                    digest,
                    created_at: store::now_rfc3339(),
                    kind: PendingKind::Call {
                        call: call.clone(),
                        rule,
                        reason,
                    },
                };
                self.pause(pending)
                    .map(|report| CallOutcome::Stop(Box::new(report)))
            }
        }
    }

    async fn allow(
        &mut self,
        call: &ToolCall,
        persona: &str,
        parsed: ParsedArguments,
        rule: String,
        approval: Option<serde_json::Map<String, Value>>,
        resolved: Option<std::path::PathBuf>,
    ) -> Result<CallOutcome, CoreError> {
        self.state.tool_calls += 1;
        let redactor = self.redactor();
        tracing::info!(persona, tool = %agentctl_display::line(&call.name), %rule, "policy: allowed");
        self.observer.on_event(&RunEvent::ToolAllowed {
            tool: call.name.clone(),
            summary: summarize(call, &redactor),
        });
        let mut allowed = details! {
            "call_id" => call.id.clone(), "tool" => call.name.clone(),
            "arguments" => allowed_arguments(call, &redactor),
            "rule" => rule,
        };
        if let Some(approval) = approval {
            allowed.extend(approval);
        }
        if starts_process(&parsed) {
            if let Some((persona, _)) = self.persona.as_ref() {
                allowed.insert(
                    "sandbox".to_owned(),
                    crate::sandbox_scope::summary(&self.context.config, persona),
                );
            }
        }
        Recorder::queue(
            &mut self.state,
            Some(persona),
            EventKind::ToolAllowed,
            allowed,
        );
        match parsed {
            ParsedArguments::Handoff { to, summary, items } => {
                let (summary, items) = self.cut_handoff(persona, &summary, &items);
                self.hand_off(call, &to, &summary, &items)
            }
            ParsedArguments::GateReport {
                gate,
                status,
                evidence,
            } => self.report_gate(call, persona, gate, status, &evidence),
            other => {
                // A call with effects is marked in flight and saved first, so a crash during it
                // is never mistaken for "not started". Reads are repeatable and need no mark.
                if is_mutating(&other) {
                    self.state.in_flight = Some(call.id.clone());
                    self.save_and_flush()?;
                }
                self.execute(call, persona, &other, resolved).await
            }
        }
    }

    /// Runs an allowed call and records its result.
    async fn execute(
        &mut self,
        call: &ToolCall,
        persona: &str,
        parsed: &ParsedArguments,
        resolved: Option<std::path::PathBuf>,
    ) -> Result<CallOutcome, CoreError> {
        if let ParsedArguments::Mcp { .. } = parsed {
            let Some((ok, text)) = self.run_mcp_call(call, persona, parsed).await else {
                // Ctrl-C during the call; it stays in flight, so `resume` tells the model.
                return self
                    .interrupt()
                    .map(|report| CallOutcome::Stop(Box::new(report)));
            };
            return self.finish_execution(call, parsed, ok, text);
        }
        let result = if starts_process(parsed) {
            // Ctrl-C does not reach the command (it runs in a process group of its own): stop
            // waiting for it, which kills its group (the drop guard), and keep the call in
            // flight so `resume` tells the model its effects are unknown.
            let mut interrupt = self.context.interrupt.clone();
            let stopped = async move {
                // A dropped sender means nobody can interrupt any more: wait for the command.
                if interrupt.wait_for(|stopped| *stopped).await.is_err() {
                    std::future::pending::<()>().await;
                }
            };
            let finished = tokio::select! {
                result = self.run_tool(parsed, resolved) => Some(result),
                () = stopped => None,
            };
            let Some(result) = finished else {
                return self
                    .interrupt()
                    .map(|report| CallOutcome::Stop(Box::new(report)));
            };
            result
        } else {
            self.run_tool(parsed, resolved).await
        };
        // Everything after this point — the audit log, the terminal and the model — sees the
        // output redacted.
        let redactor = self.redactor();
        let (ok, text) = match result {
            Ok((mut output, change)) => {
                output.text = redactor.text(&output.text);
                if matches!(parsed, ParsedArguments::FsWrite { .. }) && change.is_none() {
                    // The file already held this content: the model is writing in a loop.
                    output.text.push_str(&format!(
                        ". Writing it again changes nothing; when your part is done, {}.",
                        self.way_on()?.text()
                    ));
                }
                if let Some(change) = change {
                    self.state.files_changed.insert(change.path.clone());
                    self.observer.on_event(&RunEvent::FileChanged {
                        path: change.path.clone(),
                        created: change.created,
                        added_lines: change.added_lines,
                        removed_lines: change.removed_lines,
                    });
                    Recorder::queue(
                        &mut self.state,
                        Some(persona),
                        EventKind::FileDiff,
                        details! {
                            "call_id" => call.id.clone(), "path" => change.path.clone(), "created" => change.created,
                            "added_lines" => change.added_lines, "removed_lines" => change.removed_lines,
                            "diff" => agentctl_audit::cut(&redactor.text(&change.diff), AUDIT_DIFF_BYTES),
                        },
                    );
                }
                let mut recorded = details! {
                    "call_id" => call.id.clone(), "tool" => call.name.clone(), "ok" => true,
                    "output" => agentctl_audit::cut(&output.text, AUDIT_OUTPUT_BYTES),
                    "truncated" => output.truncated, "timed_out" => output.timed_out,
                };
                if let Some(code) = output.exit_code {
                    recorded.insert("exit_code".to_owned(), Value::from(code));
                }
                if let Some(sandbox) = &output.sandbox {
                    recorded.insert("sandbox".to_owned(), sandbox.clone());
                }
                if let Some(changes) = &output.changed_files {
                    self.state
                        .files_changed
                        .extend(changes.paths().map(|path| redactor.text(path)));
                    if !changes.is_empty() || !changes.complete {
                        recorded.insert(
                            "changed_files".to_owned(),
                            changed_files_record(changes, &redactor),
                        );
                    }
                }
                Recorder::queue(
                    &mut self.state,
                    Some(persona),
                    EventKind::ToolResult,
                    recorded,
                );
                (true, tool_text(&output))
            }
            Err(error) => {
                let message = redactor.text(&self.error_text(parsed, &error));
                Recorder::queue(
                    &mut self.state,
                    Some(persona),
                    EventKind::ToolResult,
                    details! {
                        "call_id" => call.id.clone(), "tool" => call.name.clone(), "ok" => false,
                        "error_kind" => error.kind(), "error" => message.clone(),
                    },
                );
                (false, format!("error ({}): {message}", error.kind()))
            }
        };
        self.finish_execution(call, parsed, ok, text)
    }

    /// After any executed call: tell the front end, answer the model, save if it had effects.
    fn finish_execution(
        &mut self,
        call: &ToolCall,
        parsed: &ParsedArguments,
        ok: bool,
        text: String,
    ) -> Result<CallOutcome, CoreError> {
        self.observer.on_event(&RunEvent::ToolFinished {
            tool: call.name.clone(),
            ok,
            summary: first_line(&text),
        });
        self.state.in_flight = None;
        self.answer(call, text);
        if is_mutating(parsed) {
            self.save_and_flush()?;
        }
        Ok(CallOutcome::Answered)
    }

    async fn run_tool(
        &self,
        parsed: &ParsedArguments,
        resolved_path: Option<std::path::PathBuf>,
    ) -> Result<(ToolOutput, Option<agentctl_tools::FileChange>), ToolError> {
        let context = &self.context.tools;
        let resolved = |path: &str| -> Result<std::path::PathBuf, ToolError> {
            resolved_path
                .clone()
                .ok_or_else(|| ToolError::OutsideWorkspace {
                    path: path.to_owned(),
                })
        };
        match parsed {
            ParsedArguments::FsRead { path } => {
                agentctl_tools::fs_read(context, &resolved(path)?, path)
                    .await
                    .map(|output| (output, None))
            }
            ParsedArguments::FsList { path } => {
                agentctl_tools::fs_list(context, &resolved(path)?, path)
                    .await
                    .map(|output| (output, None))
            }
            ParsedArguments::FsWrite { path, content } => {
                // A write of the content the file already holds changed nothing: no diff entry,
                // no "changed" line.
                agentctl_tools::fs_write(context, &resolved(path)?, path, content)
                    .await
                    .map(|(output, change)| (output, change.changed_anything().then_some(change)))
            }
            ParsedArguments::ExecuteBash { command } => {
                let (persona, policy) = self.active_policy()?;
                let protected = crate::sandbox_scope::protected_paths(&self.context.config);
                let denied = |relative: &str| policy.in_deny_scope(relative);
                let scope = call_scope(persona, &protected, &denied);
                agentctl_tools::execute_bash(context, &scope, command)
                    .await
                    .map(|output| (output, None))
            }
            ParsedArguments::UseAws(aws) => {
                let (persona, policy) = self.active_policy()?;
                let protected = crate::sandbox_scope::protected_paths(&self.context.config);
                let denied = |relative: &str| policy.in_deny_scope(relative);
                let scope = call_scope(persona, &protected, &denied);
                agentctl_tools::use_aws(context, &scope, aws)
                    .await
                    .map(|output| (output, None))
            }
            // Handoffs and gate reports are routed to the engine before this point.
            ParsedArguments::Handoff { to: name, .. }
            | ParsedArguments::GateReport { evidence: name, .. }
            | ParsedArguments::Mcp { tool: name, .. } => {
                Err(ToolError::OutsideWorkspace { path: name.clone() })
            }
        }
    }

    /// How the active persona goes on once its part is done: hand off to the target that works
    /// next on the task in gate order (or to one of its targets), or finish. A small model told
    /// only "take the next step" repeated its last call instead.
    pub(crate) fn way_on(&self) -> Result<WayOn, CoreError> {
        let targets: Vec<String> = self
            .persona
            .as_ref()
            .map(|(persona, _)| {
                persona
                    .handoffs
                    .iter()
                    .map(|target| target.name().to_owned())
                    .collect()
            })
            .unwrap_or_default();
        let next = if targets.is_empty() {
            None
        } else {
            crate::handoff::works_next(self)?
        };
        Ok(match next {
            Some(to) => WayOn::HandOff { to, targets },
            None => WayOn::Finish { targets },
        })
    }

    /// What a failed call's answer says. A read of a missing file the persona may write says
    /// how to create it, not how to list its directory: a 1.5B model told to list read the
    /// deployment record it was meant to write, listed, and read it again until refused.
    fn error_text(&self, parsed: &ParsedArguments, error: &ToolError) -> String {
        let (ParsedArguments::FsRead { path }, ToolError::NotFound { .. }) = (parsed, error) else {
            return error.to_string();
        };
        let write = ParsedArguments::FsWrite {
            path: path.clone(),
            content: String::new(),
        };
        let writable = self.persona.as_ref().is_some_and(|(_, policy)| {
            matches!(
                policy.decide(&to_request(&write)).decision,
                Decision::Allow { .. }
            )
        });
        if !writable {
            return error.to_string();
        }
        let shown = serde_json::to_string(path).unwrap_or_default();
        format!(
            "`{path}` does not exist yet. You may create it: call fs_write with \
             {{\"path\": {shown}, \"content\": \"...\"}} (the whole text of the file)"
        )
    }

    /// The active persona and its policy engine, for a call that starts a process.
    fn active_policy(&self) -> Result<(&Persona, &PolicyEngine), ToolError> {
        self.persona
            .as_ref()
            .map(|(persona, policy)| (persona, policy))
            .ok_or_else(|| ToolError::SandboxUnavailable {
                detail: "no active persona to take the sandbox's scopes from".to_owned(),
            })
    }

    /// A call that was allowed and started, but whose result was never recorded (a crash).
    /// Reading and writing files is repeatable, so those run again; a shell or AWS command
    /// may have had effects, so the model is told instead of repeating it blindly.
    async fn finish_interrupted_call(&mut self, call: &ToolCall) -> Result<CallOutcome, CoreError> {
        let persona = self.state.active.name.clone();
        let parsed = self.parse(call);
        match parsed {
            Ok(
                parsed @ (ParsedArguments::FsRead { .. }
                | ParsedArguments::FsList { .. }
                | ParsedArguments::FsWrite { .. }),
            ) => {
                // Re-resolved, not re-audited: the `tool.allowed` entry was written before the crash.
                let verdict = self.decide(&parsed)?;
                if let Decision::Deny { rule, reason } = verdict.decision {
                    self.state.in_flight = None;
                    return self.deny(call, &persona, rule, reason);
                }
                self.execute(call, &persona, &parsed, verdict.resolved_path)
                    .await
            }
            _ => {
                Recorder::queue(
                    &mut self.state,
                    Some(&persona),
                    EventKind::ToolResult,
                    details! {
                        "call_id" => call.id.clone(), "tool" => call.name.clone(), "ok" => false,
                        "error_kind" => "interrupted", "error" => "agentctl stopped while this command ran; its effects are unknown",
                    },
                );
                self.state.in_flight = None;
                self.answer(call, "error (interrupted): agentctl stopped while this command ran; check its effects before running it again".to_owned());
                self.save_and_flush()?;
                Ok(CallOutcome::Answered)
            }
        }
    }

    fn report_gate(
        &mut self,
        call: &ToolCall,
        persona: &str,
        gate: Gate,
        status: GateStatus,
        evidence: &str,
    ) -> Result<CallOutcome, CoreError> {
        if matches!(
            self.state.mode,
            crate::run_state::RunMode::Chat { with_task: false }
        ) {
            // A chat without a task has only a stand-in task; a gate recorded for it would
            // mean nothing, or worse, match a real task of the same name later.
            let reason = "gate_report needs a task; this chat was opened without `--task`, so \
                          there is no task to record a gate for"
                .to_owned();
            self.state.denials += 1;
            Recorder::queue(
                &mut self.state,
                Some(persona),
                EventKind::ToolDenied,
                details! {
                    "call_id" => call.id.clone(), "tool" => call.name.clone(),
                    "arguments" => agentctl_audit::cut(&agentctl_audit::redact(&call.arguments), AUDIT_OUTPUT_BYTES),
                    "rule" => "gate: no task", "reason" => reason.clone(),
                },
            );
            self.answer(call, format!("denied: {reason}"));
            self.save_and_flush()?;
            return Ok(CallOutcome::Answered);
        }
        let checked = match self.check_gate_evidence(persona, gate, status)? {
            Ok(checked) => checked,
            Err(reason) => return self.refuse_gate_report(call, persona, gate, reason),
        };
        let evidence = self.redactor().text(evidence);
        let (evidence, cut_note) = self.cut_evidence(persona, &evidence);
        let evidence = evidence.as_str();
        let paths = &self.context.config.paths;
        let task_sha256 = crate::task_file::digest(&paths.tasks, &self.context.task.id);
        let record = GateRecord {
            status,
            by: persona.to_owned(),
            at: store::now_rfc3339(),
            evidence: evidence.to_owned(),
        };
        project_state::record_gate(
            &paths.state_file,
            &project_state::lock_dir(&paths.state_dir),
            &self.context.task.id,
            gate,
            record,
        )?;
        self.observer.on_event(&RunEvent::GateReported {
            gate,
            status,
            by: persona.to_owned(),
        });
        let mut reported = details! {
            "call_id" => call.id.clone(), "gate" => gate.as_str(), "status" => status.as_str(),
            "evidence" => agentctl_audit::cut(evidence, AUDIT_OUTPUT_BYTES),
            "task_sha256" => task_sha256,
        };
        if !checked.is_empty() {
            reported.insert("evidence_checked".to_owned(), Value::from(checked));
        }
        Recorder::queue(
            &mut self.state,
            Some(persona),
            EventKind::GateReported,
            reported,
        );
        // What comes next, so a small model does not report or re-run the same thing again.
        let next = format!(" Your gate is done: next, {}.", self.way_on()?.text());
        self.answer(
            call,
            format!(
                "recorded {gate} as {status} for task {}{cut_note}.{next}",
                self.context.task.id
            ),
        );
        self.save_and_flush()?;
        Ok(CallOutcome::Answered)
    }

    /// What the project's `[gates.SNN]` evidence found for a "passed" report (`Ok(vec![])`
    /// when the project requires none or the report is not "passed"), or why it is refused.
    fn check_gate_evidence(
        &mut self,
        persona: &str,
        gate: Gate,
        status: GateStatus,
    ) -> Result<Result<Vec<String>, String>, CoreError> {
        let Some(required) = self.context.config.gates.evidence.get(&gate) else {
            return Ok(Ok(Vec::new()));
        };
        if status != GateStatus::Passed {
            return Ok(Ok(Vec::new()));
        }
        // The commands of this turn must be in the log before it is read.
        self.save_and_flush()?;
        let config = &self.context.config;
        Ok(crate::gate_evidence::check(
            required,
            &config.paths.audit_log,
            &config.paths.workspace,
            self.state.run_id.as_str(),
            persona,
        ))
    }

    /// A gate report the engine will not record: the model is told why, the audit log too.
    fn refuse_gate_report(
        &mut self,
        call: &ToolCall,
        persona: &str,
        gate: Gate,
        reason: String,
    ) -> Result<CallOutcome, CoreError> {
        let reason = format!("{gate} not recorded: {reason}");
        let arguments = self.redactor().arguments(&call.arguments);
        self.state.denials += 1;
        self.observer.on_event(&RunEvent::ToolDenied {
            tool: call.name.clone(),
            summary: format!("gate_report {gate}"),
            reason: reason.clone(),
        });
        Recorder::queue(
            &mut self.state,
            Some(persona),
            EventKind::ToolDenied,
            details! {
                "call_id" => call.id.clone(), "tool" => call.name.clone(),
                "arguments" => agentctl_audit::cut(&arguments, AUDIT_OUTPUT_BYTES),
                "rule" => format!("[gates.{gate}] evidence"), "reason" => reason.clone(),
            },
        );
        self.answer(call, format!("denied: {reason}"));
        self.save_and_flush()?;
        Ok(CallOutcome::Answered)
    }

    fn hand_off(
        &mut self,
        call: &ToolCall,
        to: &str,
        summary: &str,
        items: &[String],
    ) -> Result<CallOutcome, CoreError> {
        match handoff::switch(self, call, to, summary, items)? {
            Some(report) => Ok(CallOutcome::Stop(Box::new(report))),
            None => Ok(CallOutcome::Switched),
        }
    }

    /// Finds the secrets in what a run records, prints and sends back: by structure, by shape,
    /// and the exact values agentctl holds (its API key, the AWS credentials it was given).
    pub(crate) fn redactor(&self) -> agentctl_audit::Redactor {
        agentctl_audit::Redactor::new(self.context.config.held_secrets.iter().cloned())
    }

    /// Appends the tool message answering `call`; a repeat of an earlier call with the same
    /// answer says so (see `repeated_call`).
    pub(crate) fn answer(&mut self, call: &ToolCall, text: String) {
        let text = if !crate::repeated_call::repeats(&self.state.messages, call, &text) {
            text
        } else if text.len() > crate::repeated_call::SHORT_ANSWER_BYTES {
            crate::repeated_call::elided(&call.name, text.len())
        } else {
            format!("{text}\n{}", crate::repeated_call::NOTE)
        };
        self.answer_unrun(call, text);
    }

    /// Appends the tool message answering a call that was not decided or run (a reply's calls
    /// past a cap): the text as it is, without looking for repeats, so answering thousands of
    /// such calls stays linear.
    pub(crate) fn answer_unrun(&mut self, call: &ToolCall, text: String) {
        self.state
            .messages
            .push(Message::tool_result(call.id.clone(), text));
        self.state.answered.insert(call.id.clone());
    }
}

/// What the sandbox lets one call of `persona` touch.
fn call_scope<'a>(
    persona: &'a Persona,
    protected: &'a [std::path::PathBuf],
    denied: &'a (dyn Fn(&str) -> bool + Sync),
) -> CallScope<'a> {
    CallScope {
        read: &persona.permissions.read,
        write: &persona.permissions.write,
        denied,
        protected,
        network: persona.sandbox.network,
        env: &persona.sandbox.env,
    }
}

/// Most paths of each kind a `tool.result` entry names (the count is always whole).
const AUDIT_CHANGED_PATHS: usize = 100;

/// The files a command changed, as its `tool.result` entry records them.
fn changed_files_record(
    changes: &agentctl_tools::CommandChanges,
    redactor: &agentctl_audit::Redactor,
) -> Value {
    let names = |paths: &[String]| -> Vec<String> {
        paths
            .iter()
            .take(AUDIT_CHANGED_PATHS)
            .map(|path| redactor.text(path))
            .collect()
    };
    serde_json::json!({
        "created": names(&changes.created),
        "modified": names(&changes.modified),
        "removed": names(&changes.removed),
        "count": changes.created.len() + changes.modified.len() + changes.removed.len(),
        "complete": changes.complete,
    })
}

/// Whether the call starts a process (and so runs inside the OS sandbox).
/// The arguments `tool.allowed` records. An allowed `fs_write`'s content is logged once, in the
/// `file.diff` entry that follows; here it is named by its size and SHA-256 (of the bytes the
/// model sent, so it can be checked against the file).
fn allowed_arguments(call: &ToolCall, redactor: &agentctl_audit::Redactor) -> String {
    let arguments = redactor.arguments(&call.arguments);
    let raw_content = || -> Option<String> {
        let raw: Value = serde_json::from_str(&call.arguments).ok()?;
        raw.get("content")?.as_str().map(str::to_owned)
    };
    if call.name == "fs_write" {
        if let (Ok(Value::Object(mut shown)), Some(content)) =
            (serde_json::from_str::<Value>(&arguments), raw_content())
        {
            shown.insert(
                "content".to_owned(),
                Value::from(format!(
                    "{} bytes, sha256 {} (the change is in the file.diff entry)",
                    content.len(),
                    crate::store::sha256_hex(content.as_bytes())
                )),
            );
            return agentctl_audit::cut(&Value::Object(shown).to_string(), AUDIT_OUTPUT_BYTES);
        }
    }
    agentctl_audit::cut(&arguments, AUDIT_OUTPUT_BYTES)
}

fn starts_process(parsed: &ParsedArguments) -> bool {
    matches!(
        parsed,
        ParsedArguments::ExecuteBash { .. } | ParsedArguments::UseAws(_)
    )
}

/// Whether running the call can change anything outside agentctl.
fn is_mutating(parsed: &ParsedArguments) -> bool {
    !matches!(
        parsed,
        ParsedArguments::FsRead { .. } | ParsedArguments::FsList { .. }
    )
}

/// The typed request the policy engine decides on.
pub(crate) fn to_request(parsed: &ParsedArguments) -> ToolRequest {
    match parsed {
        ParsedArguments::FsRead { path } => ToolRequest::FsRead { path: path.clone() },
        ParsedArguments::FsList { path } => ToolRequest::FsList { path: path.clone() },
        ParsedArguments::FsWrite { path, .. } => ToolRequest::FsWrite { path: path.clone() },
        ParsedArguments::ExecuteBash { command } => ToolRequest::ExecuteBash {
            command: command.clone(),
        },
        ParsedArguments::UseAws(aws) => ToolRequest::UseAws {
            service: aws.service.clone(),
            operation: aws.operation.clone(),
        },
        ParsedArguments::Handoff { to, .. } => ToolRequest::Handoff { to: to.clone() },
        ParsedArguments::GateReport { gate, .. } => ToolRequest::GateReport {
            gate: gate.to_string(),
        },
        ParsedArguments::Mcp {
            server,
            tool,
            arguments,
        } => ToolRequest::Mcp {
            server: server.clone(),
            tool: tool.clone(),
            arguments: Value::Object(arguments.clone()),
        },
    }
}

/// Binds an approval to exactly one call: run, persona, call id, tool and arguments.
pub(crate) fn call_digest(run_id: &str, persona: &str, call: &ToolCall) -> String {
    let arguments = serde_json::from_str::<Value>(&call.arguments)
        .map(|value| value.to_string())
        .unwrap_or_else(|_| call.arguments.clone());
    store::sha256_hex(
        format!(
            "call\n{run_id}\n{persona}\n{}\n{}\n{arguments}",
            call.id, call.name
        )
        .as_bytes(),
    )
}

/// What the model sees: the handler's text already notes truncation, timeouts and exit codes.
fn tool_text(output: &ToolOutput) -> String {
    output.text.clone()
}

/// `fs_read infra/main.tf`, `execute_bash git status` — for progress lines, redacted. The
/// front end escapes it for display.
pub(crate) fn summarize(call: &ToolCall, redactor: &agentctl_audit::Redactor) -> String {
    let arguments: Option<Value> = serde_json::from_str(&call.arguments).ok();
    let main = arguments.as_ref().and_then(|value| {
        ["path", "command", "to", "gate", "operation"]
            .iter()
            .find_map(|key| value.get(*key).and_then(Value::as_str).map(str::to_owned))
    });
    let text = match main {
        Some(main) => format!("{} {}", call.name, redactor.text(&main)),
        None => format!(
            "{} {}",
            call.name,
            redactor.arguments(call.arguments.trim())
        ),
    };
    // Every line is kept (the front end shows line breaks as visible escapes): a second line
    // of a command must not hide behind the first.
    cut_chars(&text, 120)
}

fn cut_chars(text: &str, width: usize) -> String {
    if text.chars().count() > width {
        format!("{}…", text.chars().take(width - 1).collect::<String>())
    } else {
        text.to_owned()
    }
}

fn first_line(text: &str) -> String {
    let line = text.lines().next().unwrap_or_default();
    if line.chars().count() > 120 {
        format!("{}…", line.chars().take(119).collect::<String>())
    } else {
        line.to_owned()
    }
}
