//! `agentctl audit show` and `agentctl audit verify`.

use std::io::Write;

use clap::{Args, Subcommand};

use agentctl_audit::{AuditEntry, VerifyOutcome};
use agentctl_protocol::EventKind;

use crate::cli::GlobalArgs;
use crate::commands::load_config;
use crate::commands::{audit_export, audit_time};
use crate::exit::Exit;
use crate::output;

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Review the audit log as a timeline.
    #[command(
        after_help = "Examples:\n  agentctl audit show --task T-154\n  agentctl audit show --event tool.denied --json"
    )]
    Show(ShowArgs),
    /// Check the hash chain and the recorded heads; name the first entry that was altered,
    /// removed, reordered or torn, and since when a log was cut short or rewritten.
    #[command(
        after_help = "Examples:\n  agentctl audit verify\n  agentctl audit verify --expect 3f9a…(a hash you kept elsewhere)"
    )]
    Verify(VerifyArgs),
    /// Write the audit log as one self-contained HTML page for a reviewer: the verify result,
    /// a timeline per run and persona, approvals with who/when/note, denials and file diffs.
    #[command(after_help = "Example:\n  agentctl audit export --html review.html")]
    Export(ExportArgs),
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Where to write the page (replaced whole; nothing half-written on failure).
    #[arg(long, value_name = "FILE")]
    pub html: std::path::PathBuf,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// Fail unless the log holds an entry with this hash (one printed by an earlier verify and
    /// kept where agents cannot write).
    #[arg(long, value_name = "HASH")]
    pub expect: Option<String>,
    /// Print the result as one JSON object: `ok`, `status`, `entries`, `head`, and the first
    /// `problem` (`entry`, `line`, `kind`, `message`, `since`: the time of the last entry that
    /// verified).
    #[arg(long)]
    pub json: bool,
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
    /// Only entries at or after this time: RFC 3339 (2026-11-26T13:40:47.5Z), a local date or
    /// date-time, a time today (13:40:45), today, yesterday, or an age (10m, 2h, 3d).
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,
    /// Only entries before this time (same forms as --since).
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,
    /// Keep reading: print new entries as they are appended, until Ctrl-C. With --json, one
    /// JSON object per line.
    #[arg(long, short = 'f')]
    pub follow: bool,
    /// Print JSON: an array of entries `{ seq, at, run, task, persona, event, details, prev, hash }`.
    #[arg(long)]
    pub json: bool,
}

/// The filters of `audit show` once read: instants and the whole run id.
struct Filters {
    since: Option<jiff::Timestamp>,
    until: Option<jiff::Timestamp>,
}

pub fn execute(global: &GlobalArgs, command: AuditCommand) -> Exit {
    let config = match load_config(global, &Default::default()) {
        Ok(config) => config,
        Err(exit) => return exit,
    };
    let path = config.paths.audit_log.clone();
    match command {
        AuditCommand::Show(args) => show(&path, args),
        AuditCommand::Verify(args) => verify(&config, args.expect.as_deref(), args.json),
        AuditCommand::Export(args) => export(&config, &args.html),
    }
}

fn show(path: &std::path::Path, mut args: ShowArgs) -> Exit {
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
    let now = audit_time::now();
    let instant = |flag: &str, text: &Option<String>| match text {
        None => Ok(None),
        Some(text) => audit_time::parse_instant(text, &now)
            .map(Some)
            .map_err(|message| {
                output::error(&format!("--{flag}: {message}"), None);
                Exit::BadInput
            }),
    };
    let filters = match (instant("since", &args.since), instant("until", &args.until)) {
        (Ok(since), Ok(until)) => Filters { since, until },
        (Err(exit), _) | (_, Err(exit)) => return exit,
    };
    if !path.exists() {
        output::note(&format!(
            "{} does not exist yet; it is created by the first run",
            path.display()
        ));
        if args.json && !args.follow {
            output::stdout("[]\n");
        }
        if !args.follow {
            return Exit::Success;
        }
    }
    if let Some(prefix) = args.run.clone().filter(|_| path.exists()) {
        match resolve_run(path, &prefix) {
            Ok(run) => args.run = Some(run),
            Err(exit) => return exit,
        }
    }
    // One entry at a time, straight to stdout: memory stays bounded at any log size.
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let mut shown = 0_usize;
    let mut last_seq = 0_u64;
    let mut write_failed: Option<std::io::Error> = None;
    loop {
        let read = if path.exists() {
            agentctl_audit::for_each_entry(path, &prefilter(&args), |entry| {
                if entry.seq <= last_seq {
                    return true;
                }
                last_seq = entry.seq;
                if !matches(&entry, &args, &filters) {
                    return true;
                }
                let written = match (args.json, args.follow) {
                    (true, false) => write_json_element(&mut out, &entry, shown == 0),
                    (true, true) => agentctl_display::json_compact(&entry)
                        .map_err(std::io::Error::other)
                        .and_then(|json| writeln!(out, "{json}")),
                    (false, _) => out.write_all(timeline_line(&entry).as_bytes()),
                };
                shown += 1;
                match written {
                    Ok(()) => true,
                    Err(error) => {
                        write_failed = Some(error);
                        false
                    }
                }
            })
        } else {
            Ok(())
        };
        if let Err(error) = read {
            let _ = out.flush();
            output::error(
                &error.to_string(),
                Some("`agentctl audit verify` says which entry is damaged"),
            );
            return Exit::Failure;
        }
        if !args.follow || write_failed.is_some() {
            break;
        }
        if let Err(error) = out.flush() {
            write_failed = Some(error);
            break;
        }
        // Ctrl-C ends the process (exit 130); until then, look for new entries twice a second.
        std::thread::sleep(std::time::Duration::from_millis(500));
    }
    let finished = match (&write_failed, args.json) {
        (Some(_), _) => Ok(()),
        (None, true) if shown == 0 => out.write_all(b"[]\n"),
        (None, true) => out.write_all(b"\n]\n"),
        (None, false) => Ok(()),
    }
    .and_then(|()| out.flush());
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

/// The run whose id is `prefix` or starts with it; an error naming the candidates when none or
/// several do.
fn resolve_run(path: &std::path::Path, prefix: &str) -> Result<String, Exit> {
    let mut candidates: Vec<String> = Vec::new();
    let read = agentctl_audit::for_each_entry(path, &[], |entry| {
        if let Some(run) = &entry.run {
            let run = run.as_str();
            if run.starts_with(prefix) && !candidates.iter().any(|known| known == run) {
                candidates.push(run.to_owned());
            }
        }
        true
    });
    if let Err(error) = read {
        output::error(&error.to_string(), None);
        return Err(Exit::Failure);
    }
    if candidates.iter().any(|run| run == prefix) {
        return Ok(prefix.to_owned());
    }
    match candidates.len() {
        1 => Ok(candidates.remove(0)),
        // No run matches: like any other filter that matches nothing, nothing is shown (and
        // `--follow` waits for that run).
        0 => Ok(prefix.to_owned()),
        _ => {
            output::error(
                &format!(
                    "`{prefix}` starts {} run ids: {}",
                    candidates.len(),
                    candidates.join(", ")
                ),
                Some("give more of the id"),
            );
            Err(Exit::BadInput)
        }
    }
}

/// One entry of the `--json` array, pretty-printed and indented like a whole pretty array.
fn write_json_element(
    out: &mut impl Write,
    entry: &AuditEntry,
    first: bool,
) -> std::io::Result<()> {
    let text = agentctl_display::json_pretty(entry).map_err(std::io::Error::other)?;
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

/// Values every entry matching the exact filters contains, so the reader parses only
/// candidate entries (see `agentctl_audit::for_each_entry`).
fn prefilter(args: &ShowArgs) -> Vec<Vec<u8>> {
    [&args.task, &args.run, &args.persona, &args.event]
        .into_iter()
        .flatten()
        .map(|value| value.as_bytes().to_vec())
        .collect()
}

fn matches(entry: &AuditEntry, args: &ShowArgs, filters: &Filters) -> bool {
    let same = |wanted: &Option<String>, actual: Option<&str>| {
        wanted
            .as_deref()
            .is_none_or(|wanted| Some(wanted) == actual)
    };
    same(&args.task, entry.task.as_ref().map(|task| task.as_str()))
        && same(&args.run, entry.run.as_ref().map(|run| run.as_str()))
        && same(&args.persona, entry.persona.as_deref())
        && same(&args.event, Some(entry.event.as_str()))
        && within(entry, filters)
}

/// Whether the entry's time is in `[since, until)`, compared as instants. An entry whose time
/// does not read is kept (it is not for a filter to hide).
fn within(entry: &AuditEntry, filters: &Filters) -> bool {
    let Some(at) = audit_time::entry_instant(&entry.at) else {
        return true;
    };
    filters.since.is_none_or(|since| at >= since) && filters.until.is_none_or(|until| at < until)
}

/// `#12 2026-11-22 05:00:01 T-154 ops-devops tool.denied fs_write src/app.py — path is …`
/// (date and time in UTC, as the log records them).
fn timeline_line(entry: &AuditEntry) -> String {
    let time = match (entry.at.get(..10), entry.at.get(11..19)) {
        (Some(date), Some(time)) => format!("{date} {time}"),
        _ => entry.at.clone(),
    };
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
            let arguments = main_argument(&detail("arguments"));
            let mut text = format!("{} {}", detail("tool"), shown(&arguments, 80));
            if entry.event == EventKind::ToolDenied {
                text.push_str(&format!(" — {}", detail("reason")));
            }
            text
        }
        EventKind::ToolResult => format!("{} {}", detail("tool"), result_word(entry)),
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
            shown(&detail("summary"), 80)
        ),
        EventKind::GateApproved | EventKind::GateRejected => {
            // Who decided, and why, come first: the waiting text after them may be long.
            let verb = if entry.event == EventKind::GateApproved {
                "approved"
            } else {
                "rejected"
            };
            let mut text = format!("{} {verb} by {}", detail("gate"), detail("by"));
            let os_user = detail("os_user");
            if !os_user.is_empty() {
                text.push_str(&format!(" (OS user {os_user})"));
            }
            for (key, label) in [("note", "note"), ("reason", "reason"), ("waiting", "for")] {
                let value = detail(key);
                if !value.is_empty() {
                    text.push_str(&format!(" — {label}: {value}"));
                }
            }
            text
        }
        EventKind::GateChecked | EventKind::GatePending | EventKind::GateReported => {
            let mut text = format!("{} {}", detail("gate"), detail("status"));
            for key in ["by", "os_user", "waiting", "because", "note", "reason"] {
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
        EventKind::PersonaStarted => format!(
            "{} prompt {}",
            detail("persona"),
            &detail("prompt_sha256").get(..12).unwrap_or_default()
        ),
        EventKind::McpServer => {
            let status = detail("status");
            if status == "failed" {
                format!("{} failed: {}", detail("server"), detail("error"))
            } else {
                let offered = entry
                    .details
                    .get("tools_offered")
                    .and_then(serde_json::Value::as_array)
                    .map_or(0, Vec::len);
                format!(
                    "{} {status}: {offered} of {} tool(s) offered",
                    detail("server"),
                    number(entry, "tools_listed")
                )
            }
        }
        EventKind::LimitReached => format!("{}: {}", detail("limit"), detail("what")),
    };
    // Every value comes from the log, much of it from models and tools: one line, escaped.
    format!(
        "#{:<5} {} {:<8} {:<16} {:<15} {}\n",
        entry.seq,
        output::line(&time),
        output::line(entry.task.as_ref().map(|task| task.as_str()).unwrap_or("-")),
        output::line(entry.persona.as_deref().unwrap_or("-")),
        entry.event.as_str(),
        output::line(summary.trim())
    )
}

/// `ok`, or why a tool call failed: its error, a timeout, or a command's non-zero exit code.
fn result_word(entry: &AuditEntry) -> String {
    let details = &entry.details;
    let ok = details
        .get("ok")
        .and_then(serde_json::Value::as_bool)
        .unwrap_or(false);
    if !ok {
        let error = details
            .get("error")
            .and_then(serde_json::Value::as_str)
            .unwrap_or_default();
        return format!("failed: {error}");
    }
    if details
        .get("timed_out")
        .and_then(serde_json::Value::as_bool)
        == Some(true)
    {
        return "failed: timed out".to_owned();
    }
    match details.get("exit_code").and_then(serde_json::Value::as_i64) {
        Some(code) if code != 0 => format!("failed: exit {code}"),
        _ => "ok".to_owned(),
    }
}

fn number(entry: &AuditEntry, key: &str) -> String {
    entry
        .details
        .get(key)
        .map(ToString::to_string)
        .unwrap_or_else(|| "?".to_owned())
}

/// The argument that says what a call does (`path`, `command`, …), as the progress lines show
/// it; the whole arguments text when there is none.
fn main_argument(arguments: &str) -> String {
    let parsed: Option<serde_json::Value> = serde_json::from_str(arguments).ok();
    parsed
        .as_ref()
        .and_then(|value| {
            ["path", "command", "to", "gate", "operation"]
                .iter()
                .find_map(|key| value.get(*key).and_then(serde_json::Value::as_str))
        })
        .map(str::to_owned)
        .unwrap_or_else(|| arguments.to_owned())
}

fn shown(text: &str, width: usize) -> String {
    agentctl_display::cut_line(text, width)
}

fn verify(config: &agentctl_config::Config, expect: Option<&str>, json: bool) -> Exit {
    let path = config.paths.audit_log.as_path();
    let mut result = VerifyJson::default();
    let exit = verify_into(config, expect, json, &mut result);
    if json {
        result.ok = exit == Exit::Success;
        if result.status.is_empty() {
            result.status = if result.ok { "intact" } else { "error" }.to_owned();
        }
        if result.ok {
            result.problem = None;
        } else if let Some(problem) = result.problem.as_mut() {
            problem.since = since_of(path, result.entries);
        }
        output::json(&result);
    }
    exit
}

/// `audit export --html FILE`: verify, read every entry, write the page in one replace.
fn export(config: &agentctl_config::Config, target: &std::path::Path) -> Exit {
    let path = config.paths.audit_log.as_path();
    if !path.exists() {
        output::error(
            &format!("{} does not exist yet: nothing to export", path.display()),
            Some("the first `agentctl run` creates it"),
        );
        return Exit::Failure;
    }
    let mut result = VerifyJson::default();
    let verified = verify_into(config, None, true, &mut result) == Exit::Success;
    let text = match (&result.problem, verified) {
        (_, true) => format!(
            "{}: {} entries, hash chain verified; head {}",
            result.status,
            result.entries,
            result.head.as_deref().unwrap_or("none")
        ),
        (Some(problem), false) => format!(
            "{} at entry {} (line {}): {}; the first {} entries verified",
            problem.kind,
            problem
                .entry
                .map_or_else(|| "?".to_owned(), |seq| seq.to_string()),
            problem
                .line
                .map_or_else(|| "?".to_owned(), |line| line.to_string()),
            problem.message,
            result.entries
        ),
        (None, false) => format!("{}: the log could not be verified", result.status),
    };
    let entries = match agentctl_audit::read_entries(path) {
        Ok(entries) => entries,
        Err(error) => {
            output::error(&error.to_string(), None);
            return Exit::Failure;
        }
    };
    let name = path
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    let page = audit_export::render_page(
        &name,
        &audit_export::VerifySummary { ok: verified, text },
        &entries,
    );
    let directory = target
        .parent()
        .filter(|parent| !parent.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    let written = tempfile::NamedTempFile::new_in(directory).and_then(|mut file| {
        file.write_all(page.as_bytes())?;
        file.as_file().sync_all()?;
        file.persist(target).map_err(|error| error.error)?;
        Ok(())
    });
    if let Err(error) = written {
        output::error(
            &format!("cannot write {}: {error}", target.display()),
            Some("choose a file in a directory you can write"),
        );
        return Exit::Failure;
    }
    output::note(&format!(
        "wrote {} ({} entries); open it in a browser",
        target.display(),
        entries.len()
    ));
    if verified {
        Exit::Success
    } else {
        output::error(
            &format!("{} did not verify; the page says where", path.display()),
            None,
        );
        Exit::Failure
    }
}

/// `audit verify --json`.
#[derive(Debug, Default, serde::Serialize)]
struct VerifyJson {
    ok: bool,
    /// intact, torn, damaged, missing (the log was removed) or error.
    status: String,
    entries: u64,
    /// Hash of the last entry that verified.
    head: Option<String>,
    problem: Option<VerifyProblem>,
}

#[derive(Debug, Default, serde::Serialize)]
struct VerifyProblem {
    entry: Option<u64>,
    line: Option<usize>,
    kind: String,
    message: String,
    /// The time of the last entry that verified: the log is trustworthy up to then.
    since: Option<String>,
}

/// The `at` of entry `entries` (the last one that verified), when the log still reads that far.
fn since_of(path: &std::path::Path, entries: u64) -> Option<String> {
    let mut found = None;
    let _ = agentctl_audit::for_each_entry(path, &[], |entry| {
        if entry.seq == entries {
            found = Some(entry.at.clone());
        }
        entry.seq < entries
    });
    found
}

fn verify_into(
    config: &agentctl_config::Config,
    expect: Option<&str>,
    json: bool,
    result: &mut VerifyJson,
) -> Exit {
    let path = config.paths.audit_log.as_path();
    // Human lines go to stdout only without --json.
    let say = |text: &str| {
        if !json {
            output::stdout(text);
        }
    };
    let (heads, head_note) = match recorded_heads(config) {
        Ok(found) => found,
        Err(exit) => return exit,
    };
    if let Err(error) = agentctl_safe_fs::check(&config.paths.root, path, false) {
        output::error(&error.to_string(), Some(&error.hint()));
        return Exit::Failure;
    }
    if !path.exists() {
        if let Some(latest) = heads.iter().max_by_key(|named| named.head.entries) {
            result.status = "missing".to_owned();
            result.problem = Some(VerifyProblem {
                kind: "removed".to_owned(),
                message: format!(
                    "{} is missing, but {} recorded {} entries at {}",
                    path.display(),
                    latest.source,
                    latest.head.entries,
                    latest.head.at
                ),
                since: Some(latest.head.at.clone()),
                ..VerifyProblem::default()
            });
            say(&format!(
                "DAMAGED: {} is missing, but {} recorded {} entries at {}\n",
                path.display(),
                latest.source,
                latest.head.entries,
                latest.head.at
            ));
            output::error(
                &format!("{} was removed", path.display()),
                Some("restore the file from a backup or version control"),
            );
            return Exit::Failure;
        }
        if expect.is_some() {
            output::error(
                &format!(
                    "{} does not exist, so it holds no entry with that hash",
                    path.display()
                ),
                None,
            );
            return Exit::Failure;
        }
        output::note(&format!(
            "{} does not exist yet: nothing to verify",
            path.display()
        ));
        return Exit::Success;
    }
    // Streams the log: memory stays bounded whatever its size.
    let anchored = match agentctl_audit::verify_anchored_file(path, &heads, expect) {
        Ok(anchored) => anchored,
        Err(error) => {
            output::error(
                &format!("cannot read {}: {error}", path.display()),
                error.hint().as_deref(),
            );
            return Exit::Failure;
        }
    };
    let report = &anchored.chain;
    result.entries = report.entries;
    result.head = report.last_hash.clone();
    result.status = match &report.outcome {
        VerifyOutcome::Intact => "intact",
        VerifyOutcome::Torn { .. } => "torn",
        VerifyOutcome::Damaged { .. } => "damaged",
    }
    .to_owned();
    if let VerifyOutcome::Damaged {
        seq,
        line,
        problem,
        message,
    } = &report.outcome
    {
        result.problem = Some(VerifyProblem {
            entry: *seq,
            line: Some(*line),
            kind: problem.as_str().to_owned(),
            message: message.clone(),
            since: None,
        });
    }
    let mut failed = false;
    match &report.outcome {
        VerifyOutcome::Intact | VerifyOutcome::Torn { .. } if anchored.broken.is_some() => {}
        VerifyOutcome::Intact => {
            say(&format!(
                "intact: {} entries, hash chain verified{}\n",
                report.entries,
                anchor_summary(anchored.heads_checked)
            ));
        }
        VerifyOutcome::Torn { line, message } => {
            // A crash mid-append is not tampering: every complete entry verified.
            say(&format!("intact: {} entries verified; torn entry at line {line} (a crash cut a write short): {message}\n", report.entries));
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
            say(&format!(
                "DAMAGED: {which} at line {line}: {problem:?}: {message}\n"
            ));
            failed = true;
        }
    }
    if let Some(broken) = &anchored.broken {
        say(&format!("DAMAGED: {broken}\n"));
        failed = true;
        result.status = "damaged".to_owned();
        if result.problem.is_none() {
            result.problem = Some(VerifyProblem {
                kind: "cut short or rewritten".to_owned(),
                message: broken.to_string(),
                ..VerifyProblem::default()
            });
        }
    }
    match &anchored.expected {
        Some(Ok(seq)) => say(&format!(
            "expected hash found: entry #{seq} of {}\n",
            report.entries
        )),
        Some(Err(why)) => {
            say(&format!("NOT FOUND: {why}\n"));
            failed = true;
            if result.problem.is_none() {
                result.problem = Some(VerifyProblem {
                    kind: "expected hash not found".to_owned(),
                    message: why.to_string(),
                    ..VerifyProblem::default()
                });
            }
        }
        None => {}
    }
    if failed {
        output::error(&format!("{} has been altered", path.display()), Some("restore the file from a backup or version control; entries after the damage cannot be trusted"));
        return Exit::Failure;
    }
    if let Some(note) = head_note {
        output::note(&note);
    }
    if let Some(hash) = &report.last_hash {
        // Keep this somewhere agents cannot write; `--expect` checks a later log against it.
        output::note(&format!("latest hash: {hash}"));
    }
    Exit::Success
}

fn anchor_summary(heads: usize) -> String {
    match heads {
        0 => String::new(),
        1 => "; matches the recorded head".to_owned(),
        many => format!("; matches all {many} recorded heads"),
    }
}

/// Every head agentctl recorded: the state directory's head file and the head each run saved.
/// The note says why none was found, for a log written before agentctl kept heads.
fn recorded_heads(
    config: &agentctl_config::Config,
) -> Result<(Vec<agentctl_audit::NamedHead>, Option<String>), Exit> {
    let head_file = agentctl_audit::HeadFile {
        trusted: config.paths.root.clone(),
        path: agentctl_audit::head_path(&config.paths.state_dir),
    };
    let shown = head_file
        .path
        .strip_prefix(&config.paths.root)
        .unwrap_or(&head_file.path)
        .display()
        .to_string();
    let mut heads = Vec::new();
    let mut note = None;
    match head_file.read() {
        Ok(Some(head)) => heads.push(agentctl_audit::NamedHead {
            source: shown,
            head,
        }),
        Ok(None) => {
            note = Some(format!(
                "no head recorded yet ({shown} is missing): a log cut short at its end cannot be \
                 detected until agentctl records one; the next audit entry does"
            ))
        }
        Err(error) => {
            output::error(&error.to_string(), error.hint().as_deref());
            return Err(Exit::Failure);
        }
    }
    let runs = config.paths.state_dir.join("runs");
    if let Ok(entries) = std::fs::read_dir(&runs) {
        for entry in entries.filter_map(Result::ok) {
            // The run's snapshot with its journal replayed: the head its last save recorded.
            let head = agentctl_core::RunState::load(&entry.path())
                .ok()
                .and_then(|(state, _)| state.audit_head);
            if let Some(head) = head {
                heads.push(agentctl_audit::NamedHead {
                    source: format!("run {}", entry.file_name().to_string_lossy()),
                    head,
                });
            }
        }
    }
    if !heads.is_empty() {
        note = None;
    }
    Ok((heads, note))
}
