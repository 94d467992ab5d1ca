//! `agentctl audit export --html FILE`: the audit log as one self-contained review page (inline
//! CSS and a few lines of inline script, nothing loaded from the network): the verify result at
//! the top, then a timeline per run and persona, approvals with who, when and the note, denials
//! highlighted, and the diff of every file changed.
//!
//! Every string that comes from the log (most of it written by models and tools) goes through
//! [`escape`] before it is placed in the page, in text or in a quoted attribute. The page's
//! Content-Security-Policy allows no network access and only the page's own script (by hash),
//! so markup that slipped through could still not run script or fetch anything.
//!
//! Does not verify the log itself (the caller passes the result) and does not read anything but
//! the entries it is given.

use std::fmt::Write as _;

use agentctl_audit::AuditEntry;
use agentctl_protocol::EventKind;
use base64::Engine as _;
use serde_json::Value;
use sha2::{Digest as _, Sha256};

/// The verify result as the page shows it.
pub struct VerifySummary {
    pub ok: bool,
    /// One line: `intact: 37 entries, hash chain verified` or what is damaged.
    pub text: String,
}

const STYLE: &str = "
body{font:14px/1.45 system-ui,sans-serif;margin:0 auto;max-width:1100px;padding:1em 2em;color:#1d1d1f}
h1{margin:.2em 0}h2{margin:1.6em 0 .3em;border-bottom:1px solid #ccc}h3{margin:1em 0 .2em;font-size:1em;color:#555}
#verify{padding:.6em 1em;border-radius:6px;font-weight:600}
#verify.ok{background:#e3f6e5;border:1px solid #3a9a46}#verify.bad{background:#fde2e1;border:1px solid #c62828}
ol.timeline{list-style:none;padding:0;margin:0}
li.entry{padding:.25em .5em;border-left:3px solid #ddd;margin:.15em 0}
li.denied{background:#fde2e1;border-left-color:#c62828}
li.approved{background:#e3f6e5;border-left-color:#3a9a46}li.rejected{background:#fff1d6;border-left-color:#d68a00}
li.diff{border-left-color:#1565c0}
time{color:#666;font-variant-numeric:tabular-nums}.event{font-weight:600;margin:0 .4em}
.persona{color:#6a1b9a}code{background:#f3f3f3;padding:0 .2em;border-radius:3px;word-break:break-all}
pre{background:#f7f7f7;padding:.5em;overflow:auto;max-height:30em;margin:.3em 0}
pre .add{color:#1b5e20;background:#e8f5e9;display:block}pre .del{color:#b71c1c;background:#ffebee;display:block}
dl{margin:.2em 0 .2em 1em}dt{font-weight:600;float:left;clear:left;margin-right:.5em}dd{margin:0 0 .2em 0}
.decision{font-weight:600}.note,.reason{font-style:italic}
body.decisions-only li.entry:not(.key){display:none}
";

/// The page's only script: a checkbox that hides everything but decisions and diffs.
const SCRIPT: &str = "document.getElementById('only-decisions').addEventListener('change',function(event){document.body.classList.toggle('decisions-only',event.target.checked);});";

/// Text made safe for HTML text and quoted attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    for character in text.chars() {
        match character {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            other => out.push(other),
        }
    }
    out
}

/// The whole page.
pub fn render_page(log_name: &str, verify: &VerifySummary, entries: &[AuditEntry]) -> String {
    let script_hash = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(SCRIPT));
    let mut page = String::with_capacity(64 * 1024);
    let _ = write!(
        page,
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-{script_hash}'\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <title>Audit review: {name}</title><style>{STYLE}</style></head><body>\n\
         <header><h1>Audit review: {name}</h1>\n<p id=\"verify\" class=\"{class}\">{verdict}: {text}</p>\n",
        name = escape(log_name),
        class = if verify.ok { "ok" } else { "bad" },
        verdict = if verify.ok { "Verified" } else { "NOT VERIFIED" },
        text = escape(&verify.text),
    );
    let runs = group_by_run(entries);
    let count = |kind: EventKind| entries.iter().filter(|entry| entry.event == kind).count();
    let _ = write!(
        page,
        "<p id=\"summary\">{} run(s) · {} entries · {} denied · {} approved · {} rejected · {} file change(s)</p>\n\
         <label><input type=\"checkbox\" id=\"only-decisions\"> Show only decisions and diffs</label></header>\n<main>\n",
        runs.iter().filter(|(run, _)| run.is_some()).count(),
        entries.len(),
        count(EventKind::ToolDenied),
        count(EventKind::GateApproved),
        count(EventKind::GateRejected),
        count(EventKind::FileDiff),
    );
    for (run, run_entries) in &runs {
        render_run(&mut page, run.as_deref(), run_entries);
    }
    let _ = write!(page, "</main>\n<script>{SCRIPT}</script>\n</body></html>\n");
    page
}

/// Entries per run, runs in the order they first appear; entries of no run in their own group.
fn group_by_run(entries: &[AuditEntry]) -> Vec<(Option<String>, Vec<&AuditEntry>)> {
    let mut groups: Vec<(Option<String>, Vec<&AuditEntry>)> = Vec::new();
    for entry in entries {
        let run = entry.run.as_ref().map(|run| run.as_str().to_owned());
        match groups.iter_mut().find(|(known, _)| *known == run) {
            Some((_, list)) => list.push(entry),
            None => groups.push((run, vec![entry])),
        }
    }
    groups
}

fn render_run(page: &mut String, run: Option<&str>, entries: &[&AuditEntry]) {
    let task = entries
        .iter()
        .find_map(|entry| entry.task.as_ref().map(|task| task.as_str().to_owned()));
    let mut personas: Vec<&str> = Vec::new();
    for entry in entries {
        if let Some(persona) = entry.persona.as_deref() {
            if !personas.contains(&persona) {
                personas.push(persona);
            }
        }
    }
    let _ = write!(
        page,
        "<section class=\"run\" data-run=\"{}\">\n<h2>{}{}</h2>\n<p class=\"personas\">Personas: {}</p>\n",
        escape(run.unwrap_or("")),
        match run {
            Some(run) => format!("Run <code>{}</code>", escape(run)),
            None => "Outside runs".to_owned(),
        },
        task.map(|task| format!(" · task <code>{}</code>", escape(&task)))
            .unwrap_or_default(),
        escape(&personas.join(", ")),
    );
    let mut current_persona: Option<&str> = None;
    let mut open = false;
    for entry in entries {
        let persona = entry.persona.as_deref();
        if !open || (persona.is_some() && persona != current_persona) {
            if open {
                page.push_str("</ol>\n");
            }
            let _ = writeln!(
                page,
                "<h3>{}</h3>\n<ol class=\"timeline\">",
                escape(persona.unwrap_or("agentctl"))
            );
            current_persona = persona;
            open = true;
        }
        render_entry(page, entry);
    }
    if open {
        page.push_str("</ol>\n");
    }
    page.push_str("</section>\n");
}

fn text_of<'a>(entry: &'a AuditEntry, key: &str) -> &'a str {
    entry
        .details
        .get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
}

fn render_entry(page: &mut String, entry: &AuditEntry) {
    let class = match entry.event {
        EventKind::ToolDenied => "denied key",
        EventKind::GateApproved => "approved key",
        EventKind::GateRejected => "rejected key",
        EventKind::FileDiff => "diff key",
        _ => "",
    };
    let shown_time = match (entry.at.get(..10), entry.at.get(11..19)) {
        (Some(date), Some(time)) => format!("{date} {time}"),
        _ => entry.at.clone(),
    };
    let _ = write!(
        page,
        "<li class=\"entry {class}\" data-event=\"{event}\" data-seq=\"{seq}\"><time datetime=\"{at}\">{time}</time>\
         <span class=\"event\">{event}</span>",
        event = entry.event.as_str(),
        seq = entry.seq,
        at = escape(&entry.at),
        time = escape(&shown_time),
    );
    match entry.event {
        EventKind::GateApproved | EventKind::GateRejected => {
            let verb = if entry.event == EventKind::GateApproved {
                "Approved"
            } else {
                "Rejected"
            };
            let _ = write!(
                page,
                "<span class=\"decision\">{verb}</span> gate <code>{}</code> by <span class=\"who\">{}</span>",
                escape(text_of(entry, "gate")),
                escape(text_of(entry, "by")),
            );
            if !text_of(entry, "os_user").is_empty() {
                let _ = write!(page, " (OS user {})", escape(text_of(entry, "os_user")));
            }
            let _ = write!(page, " at <time>{}</time>", escape(&shown_time));
            for key in ["note", "reason"] {
                let value = text_of(entry, key);
                if !value.is_empty() {
                    let _ = write!(page, " — {key}: <q class=\"{key}\">{}</q>", escape(value));
                }
            }
        }
        EventKind::ToolDenied | EventKind::ToolAllowed => {
            let _ = write!(
                page,
                "<code class=\"tool\">{}</code> <code class=\"arguments\">{}</code>",
                escape(text_of(entry, "tool")),
                escape(text_of(entry, "arguments")),
            );
            if entry.event == EventKind::ToolDenied {
                let _ = write!(
                    page,
                    " — <span class=\"reason\">{}</span>",
                    escape(text_of(entry, "reason"))
                );
            }
        }
        EventKind::FileDiff => {
            let _ = write!(
                page,
                "<code class=\"path\">{}</code><pre class=\"diff\">",
                escape(text_of(entry, "path"))
            );
            for line in text_of(entry, "diff").lines() {
                let class = if line.starts_with('+') && !line.starts_with("+++") {
                    "add"
                } else if line.starts_with('-') && !line.starts_with("---") {
                    "del"
                } else {
                    ""
                };
                let _ = writeln!(page, "<span class=\"{class}\">{}</span>", escape(line));
            }
            page.push_str("</pre>");
        }
        EventKind::ToolResult => {
            let Some(changed) = entry.details.get("changed_files") else {
                return finish_entry(page, entry);
            };
            page.push_str("<span class=\"changed\">files changed by the command:");
            for kind in ["created", "modified", "removed"] {
                let paths: Vec<&str> = changed
                    .get(kind)
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .collect();
                if !paths.is_empty() {
                    let _ = write!(page, " {kind} ");
                    let shown: Vec<String> = paths
                        .iter()
                        .map(|path| format!("<code class=\"path\">{}</code>", escape(path)))
                        .collect();
                    page.push_str(&shown.join(", "));
                    page.push(';');
                }
            }
            if changed.get("complete").and_then(Value::as_bool) == Some(false) {
                page.push_str(" (not all counted: the tree was too large to list)");
            }
            page.push_str("</span>");
        }
        _ => {}
    }
    finish_entry(page, entry);
}

/// The entry's folded details and its closing tag.
fn finish_entry(page: &mut String, entry: &AuditEntry) {
    render_details(page, entry);
    page.push_str("</li>\n");
}

/// Every detail, for the reviewer who wants all of it, folded away.
fn render_details(page: &mut String, entry: &AuditEntry) {
    if entry.details.is_empty() {
        return;
    }
    page.push_str("<details><summary>details</summary><dl>");
    for (key, value) in &entry.details {
        let shown = match value {
            Value::String(text) => text.clone(),
            other => other.to_string(),
        };
        if shown.contains('\n') {
            let _ = write!(
                page,
                "<dt>{}</dt><dd><pre>{}</pre></dd>",
                escape(key),
                escape(&shown)
            );
        } else {
            let _ = write!(
                page,
                "<dt>{}</dt><dd><code>{}</code></dd>",
                escape(key),
                escape(&shown)
            );
        }
    }
    page.push_str("</dl></details>");
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use agentctl_audit::AuditRecord;

    #[test]
    fn markup_from_the_log_is_inert_text() {
        let hostile = "<script>alert(1)</script><img src=x onerror=\"alert(2)\"> ' &";
        let (entry, _) = AuditEntry::seal(
            1,
            "2026-11-26T10:00:00.000Z".to_owned(),
            agentctl_audit::GENESIS_HASH.to_owned(),
            AuditRecord::new(EventKind::ToolDenied)
                .with_run(agentctl_protocol::RunId::new(hostile))
                .with_persona(hostile)
                .with_detail(hostile, hostile)
                .with_detail("arguments", hostile)
                .with_detail("reason", hostile),
        )
        .unwrap();
        let page = render_page(
            hostile,
            &VerifySummary {
                ok: true,
                text: hostile.to_owned(),
            },
            &[entry],
        );
        assert!(!page.contains("<img"), "{page}");
        assert!(!page.contains("<script>alert"), "{page}");
        assert!(!page.contains("onerror=\""), "{page}");
        assert_eq!(page.matches("<script>").count(), 1);
        assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    }
}
