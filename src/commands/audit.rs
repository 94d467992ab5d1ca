//! `agentctl audit show` and `agentctl audit verify`.

use std::io::Write;

use clap::{Args, Subcommand};

use agentctl_audit::{AuditEntry, VerifyOutcome};
use agentctl_protocol::EventKind;

use crate::cli::GlobalArgs;
use crate::commands::load_config;
use crate::exit::Exit;
use crate::output;

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Review the audit log as a timeline.
    #[command(
        after_help = "Examples:\n  agentctl audit show --task T-154\n  agentctl audit show --event tool.denied --json"
    )]
    Show(ShowArgs),
    /// Check the hash chain; name the first entry that was altered, removed, reordered or torn.
    #[command(after_help = "Example:\n  agentctl audit verify")]
    Verify,
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    #[arg(long, value_name = "ID")]
    pub task: Option<String>,
    #[arg(long, value_name = "RUN_ID")]
    pub run: Option<String>,
    #[arg(long)]
    pub persona: Option<String>,
    /// Event kind, e.g. tool.denied, gate.pending, run.finished.
    #[arg(long)]
    pub event: Option<String>,
    /// Only entries at or after this time (RFC 3339, or a date like 2026-11-22).
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,
    /// Print JSON: an array of entries `{ seq, at, run, task, persona, event, details, prev, hash }`.
    #[arg(long)]
    pub json: bool,
}

pub fn execute(global: &GlobalArgs, command: AuditCommand) -> Exit {
    let config = match load_config(global, &Default::default()) {
        Ok(config) => config,
        Err(exit) => return exit,
    };
    let path = config.paths.audit_log.clone();
    match command {
        AuditCommand::Show(args) => show(&path, args),
        AuditCommand::Verify => verify(&path),
    }
}

fn show(path: &std::path::Path, args: ShowArgs) -> Exit {
    if let Some(event) = &args.event {
        if EventKind::parse(event).is_none() {
            let known: Vec<&str> = EventKind::ALL.iter().map(|kind| kind.as_str()).collect();
            output::error(
                &format!("`{event}` is not an event kind"),
                Some(&format!("known: {}", known.join(", "))),
            );
            return Exit::BadInput;
        }
    }
    if !path.exists() {
        output::note(&format!(
            "{} does not exist yet; it is created by the first run",
            path.display()
        ));
        if args.json {
            output::stdout("[]\n");
        }
        return Exit::Success;
    }
    // One entry at a time, straight to stdout: memory stays bounded at any log size.
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let mut shown = 0_usize;
    let mut write_failed: Option<std::io::Error> = None;
    let read = agentctl_audit::for_each_entry(path, &prefilter(&args), |entry| {
        if !matches(&entry, &args) {
            return true;
        }
        let written = if args.json {
            write_json_element(&mut out, &entry, shown == 0)
        } else {
            out.write_all(timeline_line(&entry).as_bytes())
        };
        shown += 1;
        match written {
            Ok(()) => true,
            Err(error) => {
                write_failed = Some(error);
                false
            }
        }
    });
    let finished = match (&write_failed, args.json) {
        (Some(_), _) => Ok(()),
        (None, true) if shown == 0 => out.write_all(b"[]\n"),
        (None, true) => out.write_all(b"\n]\n"),
        (None, false) => Ok(()),
    }
    .and_then(|()| out.flush());
    if let Err(error) = read {
        output::error(
            &error.to_string(),
            Some("`agentctl audit verify` says which entry is damaged"),
        );
        return Exit::Failure;
    }
    match write_failed.or(finished.err()) {
        // A reader that stopped early (`| head`) is not a failure.
        Some(error) if error.kind() == std::io::ErrorKind::BrokenPipe => Exit::Success,
        Some(error) => {
            output::error(&format!("cannot write to stdout: {error}"), None);
            Exit::Failure
        }
        None => Exit::Success,
    }
}

/// One entry of the `--json` array, pretty-printed and indented like a whole pretty array.
fn write_json_element(
    out: &mut impl Write,
    entry: &AuditEntry,
    first: bool,
) -> std::io::Result<()> {
    let text = serde_json::to_string_pretty(entry).map_err(std::io::Error::other)?;
    out.write_all(if first { b"[\n" } else { b",\n" })?;
    for (index, line) in text.lines().enumerate() {
        if index > 0 {
            out.write_all(b"\n")?;
        }
        out.write_all(b"  ")?;
        out.write_all(line.as_bytes())?;
    }
    Ok(())
}

/// Raw-line needles every entry matching the exact filters must contain (the JSON of the
/// machine line is compact), so the reader parses only candidate lines.
fn prefilter(args: &ShowArgs) -> Vec<Vec<u8>> {
    let mut needles = Vec::new();
    for (key, wanted) in [
        ("task", &args.task),
        ("run", &args.run),
        ("persona", &args.persona),
        ("event", &args.event),
    ] {
        if let Some(value) = wanted {
            if let Ok(encoded) = serde_json::to_string(value) {
                needles.push(format!("\"{key}\":{encoded}").into_bytes());
            }
        }
    }
    needles
}

fn matches(entry: &AuditEntry, args: &ShowArgs) -> bool {
    let same = |wanted: &Option<String>, actual: Option<&str>| {
        wanted
            .as_deref()
            .is_none_or(|wanted| Some(wanted) == actual)
    };
    same(&args.task, entry.task.as_ref().map(|task| task.as_str()))
        && same(&args.run, entry.run.as_ref().map(|run| run.as_str()))
        && same(&args.persona, entry.persona.as_deref())
        && same(&args.event, Some(entry.event.as_str()))
        // RFC 3339 UTC timestamps of one format sort as text.
        && args.since.as_deref().is_none_or(|since| entry.at.as_str() >= since)
}

/// `#12 05:00:01 T-154 ops-devops tool.denied fs_write src/app.py — path is outside …`
fn timeline_line(entry: &AuditEntry) -> String {
    let time = entry.at.get(11..19).unwrap_or(&entry.at);
    let detail = |key: &str| {
        entry
            .details
            .get(key)
            .and_then(|value| value.as_str())
            .unwrap_or_default()
            .to_owned()
    };
    let summary = match entry.event {
        EventKind::ToolAllowed | EventKind::ToolDenied => {
            let arguments = detail("arguments");
            let mut text = format!("{} {}", detail("tool"), first_line(&arguments, 80));
            if entry.event == EventKind::ToolDenied {
                text.push_str(&format!(" — {}", detail("reason")));
            }
            text
        }
        EventKind::ToolResult => {
            let ok = entry
                .details
                .get("ok")
                .and_then(serde_json::Value::as_bool)
                .unwrap_or(false);
            format!(
                "{} {}",
                detail("tool"),
                if ok {
                    "ok".to_owned()
                } else {
                    format!("failed: {}", detail("error"))
                }
            )
        }
        EventKind::ModelResponse => format!(
            "turn {} · {}+{} tokens · {} ms · {} tool call(s)",
            number(entry, "turn"),
            number(entry, "prompt_tokens"),
            number(entry, "completion_tokens"),
            number(entry, "latency_ms"),
            number(entry, "tool_calls")
        ),
        EventKind::FileDiff => format!(
            "{} +{} -{}",
            detail("path"),
            number(entry, "added_lines"),
            number(entry, "removed_lines")
        ),
        EventKind::Handoff => format!(
            "{} → {}: {}",
            detail("from"),
            detail("to"),
            first_line(&detail("summary"), 80)
        ),
        EventKind::GateChecked
        | EventKind::GatePending
        | EventKind::GateApproved
        | EventKind::GateRejected
        | EventKind::GateReported => {
            let mut text = format!("{} {}", detail("gate"), detail("status"));
            for key in ["by", "waiting", "because", "persona_started"] {
                let value = detail(key);
                if !value.is_empty() {
                    text.push_str(&format!(" {value}"));
                }
            }
            text
        }
        EventKind::RunStarted => format!(
            "{} model {} at {} prompt {}",
            detail("persona"),
            detail("model"),
            detail("endpoint"),
            &detail("prompt_sha256").get(..12).unwrap_or_default()
        ),
        EventKind::RunFinished => format!("{}: {}", detail("status"), detail("reason")),
        EventKind::RunPaused => detail("reason"),
        EventKind::RunResumed => format!("from {}", detail("from")),
        EventKind::ModelError => detail("error"),
        EventKind::SessionSwitched => format!("{} → {}", detail("from"), detail("to")),
        EventKind::LimitReached => format!("{}: {}", detail("limit"), detail("what")),
    };
    format!(
        "#{:<5} {time} {:<8} {:<16} {:<15} {}\n",
        entry.seq,
        entry.task.as_ref().map(|task| task.as_str()).unwrap_or("-"),
        entry.persona.as_deref().unwrap_or("-"),
        entry.event.as_str(),
        summary.trim()
    )
}

fn number(entry: &AuditEntry, key: &str) -> String {
    entry
        .details
        .get(key)
        .map(ToString::to_string)
        .unwrap_or_else(|| "?".to_owned())
}

fn first_line(text: &str, width: usize) -> String {
    let line = text.lines().next().unwrap_or_default();
    if line.chars().count() > width {
        format!("{}…", line.chars().take(width - 1).collect::<String>())
    } else {
        line.to_owned()
    }
}

fn verify(path: &std::path::Path) -> Exit {
    if !path.exists() {
        output::note(&format!(
            "{} does not exist yet: nothing to verify",
            path.display()
        ));
        return Exit::Success;
    }
    let report = match agentctl_audit::verify(path) {
        Ok(report) => report,
        Err(error) => {
            output::error(&error.to_string(), None);
            return Exit::Failure;
        }
    };
    match report.outcome {
        VerifyOutcome::Intact => {
            output::stdout(&format!(
                "intact: {} entries, hash chain verified\n",
                report.entries
            ));
            if let Some(hash) = &report.last_hash {
                // Keep this somewhere agents cannot write to detect a later rewrite of the tail.
                output::note(&format!("latest hash: {hash}"));
            }
            Exit::Success
        }
        VerifyOutcome::Torn { line, message } => {
            // A crash mid-append is not tampering: every complete entry verified.
            output::stdout(&format!("intact: {} entries verified; torn entry at line {line} (a crash cut a write short): {message}\n", report.entries));
            Exit::Success
        }
        VerifyOutcome::Damaged {
            seq,
            line,
            problem,
            message,
        } => {
            let which = seq
                .map(|seq| format!("entry #{seq}"))
                .unwrap_or_else(|| "an entry".to_owned());
            output::stdout(&format!(
                "DAMAGED: {which} at line {line}: {problem:?}: {message}\n"
            ));
            output::error(&format!("{} has been altered", path.display()), Some("restore the file from a backup or version control; entries after the damage cannot be trusted"));
            Exit::Failure
        }
    }
}
