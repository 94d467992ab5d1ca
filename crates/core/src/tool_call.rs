//! The one path every tool call takes: parse → policy → (human approval) → execute → record.
//!
//! Nothing the model says can skip a step: an unknown tool, malformed arguments, a denied path
//! or command all become tool errors sent back to the model, each with exactly one
//! `tool.denied` audit entry; an allowed call gets exactly one `tool.allowed` entry before it
//! runs and one `tool.result` after. The exception is a reply with more calls than
//! `[limits] max_tool_calls_per_reply`: the calls past the cap are denied together, unrun,
//! with one `limit.reached` entry (see `reply_caps`), so a reply cannot buy itself thousands
//! of audit entries.

use agentctl_policy::ToolRequest;
use agentctl_protocol::{Decision, EventKind, Gate, GateStatus, Message, ToolCall, ToolName};
use agentctl_tools::{ParsedArguments, ToolError, ToolOutput};
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
        let persona_name = self.state.active.name.clone();
        // A call started before a crash already has its `tool.allowed` entry: finish it.
        if self.state.in_flight.as_deref() == Some(call.id.as_str()) {
            return self.finish_interrupted_call(call).await;
        }
        let parsed = match self.parse(call) {
            Ok(parsed) => parsed,
            Err((rule, reason)) => return self.deny(call, &persona_name, rule, reason),
        };
        let verdict = self.decide(&parsed)?;
        let resolved = verdict.resolved_path;
        match verdict.decision {
            Decision::Deny { rule, reason } => self.deny(call, &persona_name, rule, reason),
            Decision::Approve { rule, reason } => {
                self.needs_approval(call, &persona_name, parsed, rule, reason, resolved)
                    .await
            }
            Decision::Allow { rule } => {
                self.allow(call, &persona_name, parsed, rule, None, resolved)
                    .await
            }
        }
    }

    /// The one policy decision for a parsed call.
    fn decide(&self, parsed: &ParsedArguments) -> Result<agentctl_policy::Verdict, CoreError> {
        match self.persona.as_ref() {
            Some((_, policy)) => Ok(policy.decide(&to_request(parsed))),
            None => Err(CoreError::refused("no active persona", "start a new run")),
        }
    }

    /// Tool name and arguments, or why they are unusable.
    fn parse(&self, call: &ToolCall) -> Result<ParsedArguments, (String, String)> {
        if let Some(refusal) = crate::reply_caps::oversized_arguments(call, &self.caps()) {
            return Err(refusal);
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
        self.observer.on_event(&RunEvent::ToolDenied {
            tool: call.name.clone(),
            summary: summarize(call),
            reason: reason.clone(),
        });
        Recorder::queue(
            &mut self.state,
            Some(persona),
            EventKind::ToolDenied,
            details! {
                "call_id" => call.id.clone(), "tool" => call.name.clone(),
                "arguments" => agentctl_audit::cut(&agentctl_audit::redact(&call.arguments), AUDIT_OUTPUT_BYTES),
                "rule" => rule, "reason" => reason.clone(),
            },
        );
        self.answer(
            call,
            format!("denied: {reason}. This decision is final; do not retry it in another form."),
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
                if self.context.config.gates.on_reject == agentctl_config::OnReject::EndRun {
                    let reason = format!("{} rejected {}: {why}", decision.by, summarize(call));
                    return self
                        .end(RunStatus::Failed, reason, None)
                        .map(|report| CallOutcome::Stop(Box::new(report)));
                }
                self.state.denials += 1;
                self.state.tool_calls += 1;
                Recorder::queue(
                    &mut self.state,
                    Some(persona),
                    EventKind::ToolDenied,
                    details! {
                        "call_id" => call.id.clone(), "tool" => call.name.clone(),
                        "arguments" => agentctl_audit::redact(&call.arguments),
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
        self.observer.on_event(&RunEvent::ToolAllowed {
            tool: call.name.clone(),
            summary: summarize(call),
        });
        let mut allowed = details! {
            "call_id" => call.id.clone(), "tool" => call.name.clone(),
            "arguments" => agentctl_audit::cut(&agentctl_audit::redact(&call.arguments), AUDIT_OUTPUT_BYTES),
            "rule" => rule,
        };
        if let Some(approval) = approval {
            allowed.extend(approval);
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
        let result = self.run_tool(parsed, resolved).await;
        let (ok, text) = match result {
            Ok((output, change)) => {
                if let Some(change) = change {
                    Recorder::queue(
                        &mut self.state,
                        Some(persona),
                        EventKind::FileDiff,
                        details! {
                            "call_id" => call.id.clone(), "path" => change.path.clone(), "created" => change.created,
                            "added_lines" => change.added_lines, "removed_lines" => change.removed_lines,
                            "diff" => agentctl_audit::cut(&agentctl_audit::redact(&change.diff), AUDIT_DIFF_BYTES),
                        },
                    );
                }
                let mut recorded = details! {
                    "call_id" => call.id.clone(), "tool" => call.name.clone(), "ok" => true,
                    "output" => agentctl_audit::cut(&agentctl_audit::redact(&output.text), AUDIT_OUTPUT_BYTES),
                    "truncated" => output.truncated, "timed_out" => output.timed_out,
                };
                if let Some(code) = output.exit_code {
                    recorded.insert("exit_code".to_owned(), Value::from(code));
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
                Recorder::queue(
                    &mut self.state,
                    Some(persona),
                    EventKind::ToolResult,
                    details! {
                        "call_id" => call.id.clone(), "tool" => call.name.clone(), "ok" => false,
                        "error_kind" => error.kind(), "error" => agentctl_audit::redact(&error.to_string()),
                    },
                );
                (false, format!("error ({}): {error}", error.kind()))
            }
        };
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
                agentctl_tools::fs_write(context, &resolved(path)?, path, content)
                    .await
                    .map(|(output, change)| (output, Some(change)))
            }
            ParsedArguments::ExecuteBash { command } => {
                agentctl_tools::execute_bash(context, command)
                    .await
                    .map(|output| (output, None))
            }
            ParsedArguments::UseAws(aws) => agentctl_tools::use_aws(context, aws)
                .await
                .map(|output| (output, None)),
            // Handoffs and gate reports are routed to the engine before this point.
            ParsedArguments::Handoff { to: name, .. }
            | ParsedArguments::GateReport { evidence: name, .. } => {
                Err(ToolError::OutsideWorkspace { path: name.clone() })
            }
        }
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
        let (evidence, cut_note) = self.cut_evidence(persona, evidence);
        let evidence = evidence.as_str();
        let paths = &self.context.config.paths;
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
        Recorder::queue(
            &mut self.state,
            Some(persona),
            EventKind::GateReported,
            details! {
                "call_id" => call.id.clone(), "gate" => gate.as_str(), "status" => status.as_str(),
                "evidence" => agentctl_audit::cut(&agentctl_audit::redact(evidence), AUDIT_OUTPUT_BYTES),
            },
        );
        self.answer(
            call,
            format!(
                "recorded {gate} as {status} for task {}{cut_note}",
                self.context.task.id
            ),
        );
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

    /// Appends the tool message answering `call`.
    pub(crate) fn answer(&mut self, call: &ToolCall, text: String) {
        self.state
            .messages
            .push(Message::tool_result(call.id.clone(), text));
        self.state.answered.insert(call.id.clone());
    }
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

/// `fs_read infra/main.tf`, `execute_bash git status` — for progress lines.
pub(crate) fn summarize(call: &ToolCall) -> String {
    let arguments: Option<Value> = serde_json::from_str(&call.arguments).ok();
    let main = arguments.as_ref().and_then(|value| {
        ["path", "command", "to", "gate", "operation"]
            .iter()
            .find_map(|key| value.get(*key).and_then(Value::as_str).map(str::to_owned))
    });
    let text = match main {
        Some(main) => format!("{} {main}", call.name),
        None => format!("{} {}", call.name, call.arguments.trim()),
    };
    first_line(&text)
}

fn first_line(text: &str) -> String {
    let line = text.lines().next().unwrap_or_default();
    if line.chars().count() > 120 {
        format!("{}…", line.chars().take(119).collect::<String>())
    } else {
        line.to_owned()
    }
}
