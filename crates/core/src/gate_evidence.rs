//! Checking a persona's "passed" gate report against the evidence the project requires
//! (`[gates.S06]`, `[gates.S07]` in agentctl.toml).
//!
//! Owns: finding, in the audit log, the commands the reporting persona ran in this run with
//! their recorded exit codes, and checking required files and digests in the workspace. The
//! exit code comes from agentctl's own `tool.result` entry, never from what the model says;
//! a command counts only when the command policy's shell reader sees exactly one plain command
//! matching a pattern (`agentctl_policy::evidence_command_match`).
//!
//! Does not know about: how a refusal reaches the model or the audit log (`tool_call` does
//! that), or the gate table itself.

use std::path::Path;

use agentctl_audit::AuditEntry;
use agentctl_config::GateEvidence;
use agentctl_protocol::EventKind;
use serde_json::Value;

use crate::store;

/// One command the persona ran and what agentctl recorded about its end.
#[derive(Debug, Clone, PartialEq, Eq)]
struct CommandRun {
    seq: u64,
    command: String,
    exit_code: Option<i64>,
    ok: bool,
    timed_out: bool,
}

/// What satisfied the requirement (for the audit entry), or why the report is refused.
pub fn check(
    evidence: &GateEvidence,
    audit_log: &Path,
    workspace: &Path,
    run_id: &str,
    persona: &str,
) -> Result<Vec<String>, String> {
    let mut satisfied = Vec::new();
    if !evidence.commands.is_empty() {
        let entries = agentctl_audit::read_entries(audit_log)
            .map_err(|error| format!("agentctl cannot read the audit log: {error}"))?;
        satisfied.push(command_evidence(
            &evidence.commands,
            &entries,
            run_id,
            persona,
        )?);
    }
    for file in &evidence.files {
        let path = workspace.join(&file.path);
        let metadata = fs_err::symlink_metadata(&path)
            .map_err(|_| format!("the required report file `{}` does not exist", file.path))?;
        if !metadata.is_file() {
            return Err(format!(
                "the required report file `{}` is not a regular file",
                file.path
            ));
        }
        let bytes =
            fs_err::read(&path).map_err(|error| format!("cannot read `{}`: {error}", file.path))?;
        let digest = store::sha256_hex(&bytes);
        if let Some(expected) = &file.sha256 {
            if &digest != expected {
                return Err(format!(
                    "the report file `{}` has SHA-256 {digest}, not the required {expected}",
                    file.path
                ));
            }
        }
        satisfied.push(format!("file {} sha256 {digest}", file.path));
    }
    Ok(satisfied)
}

/// The first accepted command, or the reason none counts, naming the closest misses.
fn command_evidence(
    patterns: &[String],
    entries: &[AuditEntry],
    run_id: &str,
    persona: &str,
) -> Result<String, String> {
    let runs = commands_run(entries, run_id, persona);
    let mut misses = Vec::new();
    for run in &runs {
        match agentctl_policy::evidence_command_match(&run.command, patterns) {
            Ok(pattern) if run.ok && !run.timed_out && run.exit_code == Some(0) => {
                return Ok(format!(
                    "ran `{}` (matches `{pattern}`), exit 0, audit entry {}",
                    run.command, run.seq
                ));
            }
            Ok(_) => misses.push(format!(
                "`{}` {}",
                run.command,
                if run.timed_out {
                    "timed out".to_owned()
                } else {
                    match run.exit_code {
                        Some(code) => format!("exited {code}"),
                        None => "did not run to an exit code".to_owned(),
                    }
                }
            )),
            Err(reason) => misses.push(format!("`{}` does not count: {reason}", run.command)),
        }
    }
    let mut reason = format!(
        "passing this gate needs a command matching {} run by {persona} in this run with exit code 0",
        patterns
            .iter()
            .map(|pattern| format!("`{pattern}`"))
            .collect::<Vec<_>>()
            .join(" or ")
    );
    if misses.is_empty() {
        reason.push_str("; you ran no command in this run. Run the command with execute_bash (one plain command, no `;`, `|`, `&&` or `||`), then report again");
    } else {
        reason.push_str(&format!(
            "; {}. Run the command with execute_bash (one plain command) and report again once it exits 0, or report the gate as failed",
            misses.into_iter().rev().take(3).collect::<Vec<_>>().join("; ")
        ));
    }
    Err(reason)
}

/// Every `execute_bash` call `persona` was allowed in run `run_id`, paired with the first
/// `tool.result` after it that carries the same call id (a model may reuse call ids).
fn commands_run(entries: &[AuditEntry], run_id: &str, persona: &str) -> Vec<CommandRun> {
    let ours = |entry: &&AuditEntry| {
        entry.run.as_ref().is_some_and(|run| run.as_str() == run_id)
            && entry.persona.as_deref() == Some(persona)
    };
    let mine: Vec<&AuditEntry> = entries.iter().filter(ours).collect();
    let mut runs = Vec::new();
    for (index, entry) in mine.iter().enumerate() {
        if entry.event != EventKind::ToolAllowed
            || entry.details.get("tool").and_then(Value::as_str) != Some("execute_bash")
        {
            continue;
        }
        let Some(call_id) = entry.details.get("call_id").and_then(Value::as_str) else {
            continue;
        };
        let Some(command) = entry
            .details
            .get("arguments")
            .and_then(Value::as_str)
            .and_then(|arguments| serde_json::from_str::<Value>(arguments).ok())
            .and_then(|arguments| {
                arguments
                    .get("command")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
            })
        else {
            continue;
        };
        let result = mine[index + 1..].iter().find(|later| {
            later.event == EventKind::ToolResult
                && later.details.get("call_id").and_then(Value::as_str) == Some(call_id)
        });
        let Some(result) = result else { continue };
        runs.push(CommandRun {
            seq: result.seq,
            command,
            exit_code: result.details.get("exit_code").and_then(Value::as_i64),
            ok: result.details.get("ok").and_then(Value::as_bool) == Some(true),
            timed_out: result.details.get("timed_out").and_then(Value::as_bool) == Some(true),
        });
    }
    runs
}

#[cfg(test)]
mod tests {
    use super::*;
    use agentctl_protocol::RunId;
    use serde_json::json;

    fn entry(seq: u64, run: &str, persona: &str, event: EventKind, details: Value) -> AuditEntry {
        AuditEntry {
            seq,
            at: String::new(),
            run: Some(RunId::new(run.to_owned())),
            task: None,
            persona: Some(persona.to_owned()),
            event,
            details: details.as_object().cloned().unwrap_or_default(),
            prev: String::new(),
            hash: String::new(),
        }
    }

    fn allowed(seq: u64, run: &str, persona: &str, call: &str, command: &str) -> AuditEntry {
        let arguments = json!({ "command": command }).to_string();
        entry(
            seq,
            run,
            persona,
            EventKind::ToolAllowed,
            json!({"call_id": call, "tool": "execute_bash", "arguments": arguments}),
        )
    }

    fn result(seq: u64, run: &str, persona: &str, call: &str, code: i64) -> AuditEntry {
        entry(
            seq,
            run,
            persona,
            EventKind::ToolResult,
            json!({"call_id": call, "tool": "execute_bash", "ok": true, "exit_code": code, "timed_out": false}),
        )
    }

    fn patterns() -> Vec<String> {
        vec!["cargo test*".to_owned()]
    }

    #[test]
    fn only_this_run_and_this_persona_count() {
        let entries = vec![
            allowed(1, "r-old", "qa", "c1", "cargo test"),
            result(2, "r-old", "qa", "c1", 0),
            allowed(3, "r-now", "dev", "c2", "cargo test"),
            result(4, "r-now", "dev", "c2", 0),
        ];
        assert!(command_evidence(&patterns(), &entries, "r-now", "qa").is_err());
        assert!(command_evidence(&patterns(), &entries, "r-now", "dev").is_ok());
    }

    #[test]
    fn a_reused_call_id_pairs_each_command_with_its_own_result() {
        // `cargo test` failed; a later `true` with the same call id exited 0.
        let entries = vec![
            allowed(1, "r", "qa", "same", "cargo test"),
            result(2, "r", "qa", "same", 101),
            allowed(3, "r", "qa", "same", "true"),
            result(4, "r", "qa", "same", 0),
        ];
        let reason = command_evidence(&patterns(), &entries, "r", "qa").unwrap_err();
        assert!(reason.contains("`cargo test` exited 101"), "{reason}");
    }
}
