//! The compact encoding (machine line `agentctl:v2`): the visible Markdown of an entry is the
//! record, and the machine line holds only the hash links, the sequence number and whatever the
//! visible text cannot give back exactly.
//!
//! Decoding reads a rendered block back into values: the heading gives `seq`, `at` and `event`,
//! the context line `run`, `task` and `persona`, each bullet one detail (a code span is a
//! string, `null`/`true`/`false`/a number are themselves, a fenced block is a multi-line string
//! ending in a newline). The writer decodes what it rendered and compares every value with the
//! record; any value that does not come back exactly (escaped characters, a JSON object shown as
//! a code span, a missing final newline) goes into the machine line's JSON. So decoding is
//! exact by construction, and the entry's hash is the same SHA-256 over the same canonical JSON
//! as in the first encoding.
//!
//! Does not check hashes or chains (that is `verify`) and does not touch files.

use serde_json::{Map, Value};

use crate::entry::{comment_safe_json, AuditEntry, EntryContent};
use crate::reader::PREV_PREFIX_LENGTH;
use crate::render::{render_visible, EntryView, MACHINE_FAMILY};

/// Start of a compact machine line.
pub(crate) const COMPACT_PREFIX: &[u8] = b"<!-- agentctl:v2 ";

/// Names in the machine line's JSON.
const SEQ: &str = "seq";
/// Every detail, in order, when the bullets cannot be read back (replaces them).
const ALL_DETAILS: &str = "details";
/// Details whose value differs from what their bullet reads back as.
const VALUES: &str = "values";
/// Multi-line details that do not end in a newline (a fenced block reads back with one).
const UNTERMINATED: &str = "unterminated";

/// What a rendered block reads back as, before the machine line's JSON is applied.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct Visible {
    pub seq: u64,
    pub at: String,
    pub event: String,
    pub run: Option<String>,
    pub task: Option<String>,
    pub persona: Option<String>,
    pub details: Vec<(String, Value)>,
}

/// The JSON for the machine line of `entry`, whose visible text is `visible`.
pub(crate) fn hidden_json(entry: &AuditEntry, visible: &str) -> Map<String, Value> {
    let mut hidden = Map::new();
    hidden.insert(SEQ.to_owned(), Value::from(entry.seq));
    let decoded = decode_visible(visible).unwrap_or_default();
    if decoded.at != entry.at {
        hidden.insert("at".to_owned(), Value::from(entry.at.clone()));
    }
    if decoded.event != entry.event.as_str() {
        hidden.insert("event".to_owned(), Value::from(entry.event.as_str()));
    }
    for (name, actual, read) in [
        (
            "run",
            entry.run.as_ref().map(|run| run.as_str()),
            &decoded.run,
        ),
        (
            "task",
            entry.task.as_ref().map(|task| task.as_str()),
            &decoded.task,
        ),
        ("persona", entry.persona.as_deref(), &decoded.persona),
    ] {
        if actual != read.as_deref() {
            hidden.insert(name.to_owned(), actual.map_or(Value::Null, Value::from));
        }
    }
    let same_keys = decoded.details.len() == entry.details.len()
        && decoded
            .details
            .iter()
            .zip(entry.details.keys())
            .all(|((read, _), actual)| read == actual);
    if !same_keys {
        hidden.insert(ALL_DETAILS.to_owned(), Value::Object(entry.details.clone()));
        return hidden;
    }
    let mut values = Map::new();
    let mut unterminated = Vec::new();
    for ((key, read), actual) in decoded.details.iter().zip(entry.details.values()) {
        if read == actual {
            continue;
        }
        match (read, actual) {
            (Value::String(read), Value::String(actual))
                if read.strip_suffix('\n') == Some(actual.as_str()) =>
            {
                unterminated.push(Value::from(key.clone()));
            }
            _ => {
                values.insert(key.clone(), actual.clone());
            }
        }
    }
    if !values.is_empty() {
        hidden.insert(VALUES.to_owned(), Value::Object(values));
    }
    if !unterminated.is_empty() {
        hidden.insert(UNTERMINATED.to_owned(), Value::Array(unterminated));
    }
    hidden
}

/// The compact machine line of `entry` (without its newline), given its visible text.
pub(crate) fn push_compact_machine_line(out: &mut String, entry: &AuditEntry, visible: &str) {
    let hidden = hidden_json(entry, visible);
    out.push_str("<!-- agentctl:v2 hash=");
    out.push_str(&entry.hash);
    out.push_str(" prev=");
    out.push_str(entry.prev.get(..PREV_PREFIX_LENGTH).unwrap_or(&entry.prev));
    out.push(' ');
    out.push_str(&comment_safe_json(&Value::Object(hidden)));
    out.push_str(" -->");
}

/// The whole block of a sealed entry in the compact encoding, as the writer appends it.
pub fn render_compact(entry: &AuditEntry) -> String {
    let mut visible = String::with_capacity(512);
    render_visible(&EntryView::of(entry), &mut visible);
    let mut out = visible.clone();
    push_compact_machine_line(&mut out, entry, &visible);
    out.push_str("\n\n");
    out
}

/// The sequence number a compact machine line's JSON names.
pub(crate) fn hidden_seq(json: &[u8]) -> Result<u64, String> {
    let hidden: Map<String, Value> = serde_json::from_slice(json)
        .map_err(|error| format!("machine line JSON is invalid: {error}"))?;
    hidden
        .get(SEQ)
        .and_then(Value::as_u64)
        .ok_or_else(|| "machine line JSON has no `seq`".to_owned())
}

/// Rebuilds an entry's content from its visible block (`block`, from its heading to the
/// machine line) and the machine line's JSON. Fails when the block does not read back or the
/// JSON is not what the writer writes.
pub(crate) fn decode_entry(block: &[u8], json: &[u8]) -> Result<EntryContent, String> {
    let hidden: Map<String, Value> = serde_json::from_slice(json)
        .map_err(|error| format!("machine line JSON is invalid: {error}"))?;
    let text = std::str::from_utf8(block)
        .map_err(|_| "the entry's visible text is not UTF-8".to_owned())?;
    // When the text does not read back the writer put every field in the JSON; a block edited
    // so that it no longer reads back lacks fields there and fails below, or fails to render.
    let visible = decode_visible(text).unwrap_or_default();
    let mut content = Map::new();
    content.insert(SEQ.to_owned(), Value::from(visible.seq));
    content.insert("at".to_owned(), Value::from(visible.at));
    for (name, value) in [
        ("run", visible.run),
        ("task", visible.task),
        ("persona", visible.persona),
    ] {
        content.insert(name.to_owned(), value.map_or(Value::Null, Value::from));
    }
    content.insert("event".to_owned(), Value::from(visible.event));
    let mut details: Map<String, Value> = visible.details.into_iter().collect();
    for (name, value) in hidden {
        match name.as_str() {
            SEQ | "at" | "run" | "task" | "persona" | "event" => {
                content.insert(name, value);
            }
            ALL_DETAILS => {
                let Value::Object(all) = value else {
                    return Err("`details` in the machine line is not an object".to_owned());
                };
                details = all;
            }
            VALUES => {
                let Value::Object(values) = value else {
                    return Err("`values` in the machine line is not an object".to_owned());
                };
                for (key, value) in values {
                    let slot = details.get_mut(&key).ok_or_else(|| {
                        format!("the machine line gives a value for `{key}`, which has no bullet")
                    })?;
                    *slot = value;
                }
            }
            UNTERMINATED => {
                let keys: Vec<String> = serde_json::from_value(value)
                    .map_err(|_| "`unterminated` is not a list of names".to_owned())?;
                for key in keys {
                    match details.get_mut(&key) {
                        Some(Value::String(text)) if text.ends_with('\n') => {
                            text.pop();
                        }
                        _ => {
                            return Err(format!(
                                "`unterminated` names `{key}`, which is not a multi-line value"
                            ))
                        }
                    }
                }
            }
            other => return Err(format!("unknown field `{other}` in the machine line")),
        }
    }
    content.insert("details".to_owned(), Value::Object(details));
    serde_json::from_value(Value::Object(content))
        .map_err(|error| format!("the entry does not read back: {error}"))
}

/// Finds the block of a compact entry in `region` (the text since the previous machine line) and
/// rebuilds its content. The block starts at a heading `### {seq} · ` and runs to the end of
/// `region`; the first such heading whose block decodes and renders back to exactly its bytes is
/// the one (an earlier one may start a torn block left by a crash). Returns the content and the
/// block's offset in `region`.
pub(crate) fn locate_compact(region: &[u8], json: &[u8]) -> Result<(EntryContent, usize), String> {
    let seq = hidden_seq(json)?;
    let heading = format!("### {seq} · ");
    let mut offset = 0;
    let mut first_error = None;
    let mut rendered = String::new();
    for line in region.split(|&byte| byte == b'\n') {
        let start = offset;
        offset += line.len() + 1;
        if !line.starts_with(heading.as_bytes()) {
            continue;
        }
        let block = &region[start..];
        match decode_entry(block, json) {
            Ok(content) => {
                rendered.clear();
                render_visible(&content.view(), &mut rendered);
                if rendered.as_bytes() == block {
                    return Ok((content, start));
                }
                first_error.get_or_insert_with(|| {
                    format!("entry {seq}: its visible text is not what the agentctl renderer writes (edited?)")
                });
            }
            Err(error) => {
                first_error.get_or_insert(error);
            }
        }
    }
    Err(first_error.unwrap_or_else(|| {
        format!(
            "entry {seq}: no heading `{}` before its machine line",
            heading.trim_end()
        )
    }))
}

/// Reads a rendered block back. `None` when it is not exactly in the shape the renderer writes.
pub(crate) fn decode_visible(text: &str) -> Option<Visible> {
    let mut lines = text.split('\n');
    let heading = lines.next()?.strip_prefix("### ")?;
    let (seq, rest) = heading.split_once(" · ")?;
    if seq.is_empty() || !seq.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    let (at, event) = rest.rsplit_once(" · ")?;
    let mut visible = Visible {
        seq: seq.parse().ok()?,
        at: at.to_owned(),
        event: event.to_owned(),
        ..Visible::default()
    };
    expect_blank(lines.next())?;
    let mut line = lines.next()?;
    if !line.starts_with("- ") && !line.is_empty() {
        decode_context(line, &mut visible)?;
        expect_blank(lines.next())?;
        line = lines.next()?;
    }
    // Bullets; `line` is the current one. The block ends with an empty line after the last.
    loop {
        if line.is_empty() {
            // The end: only the final empty string from the trailing newline may follow.
            return lines.next().is_none().then_some(visible);
        }
        let bullet = line.strip_prefix("- ")?;
        let (key, rest) = if bullet.starts_with('`') {
            let (key, used) = read_code_span(bullet)?;
            (key, &bullet[used..])
        } else {
            let (key, _) = bullet.split_once(':')?;
            (key.to_owned(), &bullet[key.len()..])
        };
        let rest = rest.strip_prefix(':')?;
        if rest.is_empty() {
            expect_blank(lines.next())?;
            let fence = lines.next()?;
            if fence.len() < 3 || !fence.bytes().all(|byte| byte == b'`') {
                return None;
            }
            let mut value = String::new();
            loop {
                let body = lines.next()?;
                if body == fence {
                    break;
                }
                let body = match body.strip_prefix(' ') {
                    Some(stripped) if stripped.as_bytes().starts_with(MACHINE_FAMILY) => stripped,
                    _ => body,
                };
                value.push_str(body);
                value.push('\n');
            }
            expect_blank(lines.next())?;
            visible.details.push((key, Value::String(value)));
            line = lines.next()?;
            if line.is_empty() {
                // A fenced value is followed by exactly one blank line, then a bullet or the end.
                return lines.next().is_none().then_some(visible);
            }
        } else {
            let value = decode_inline(rest.strip_prefix(' ')?)?;
            visible.details.push((key, value));
            line = lines.next()?;
            if line.is_empty() {
                // A list of inline values ends with a blank line, then the end.
                return (lines.next()?.is_empty() && lines.next().is_none()).then_some(visible);
            }
        }
    }
}

fn expect_blank(line: Option<&str>) -> Option<()> {
    line?.is_empty().then_some(())
}

fn decode_context(mut line: &str, visible: &mut Visible) -> Option<()> {
    let mut first = true;
    while !line.is_empty() {
        if !first {
            line = line.strip_prefix(" · ")?;
        }
        first = false;
        let (label, rest) = line.split_once(' ')?;
        let (value, used) = read_code_span(rest)?;
        let slot = match label {
            "run" if visible.run.is_none() && visible.task.is_none() => &mut visible.run,
            "task" if visible.task.is_none() && visible.persona.is_none() => &mut visible.task,
            "persona" if visible.persona.is_none() => &mut visible.persona,
            _ => return None,
        };
        *slot = Some(value);
        line = &rest[used..];
    }
    Some(())
}

fn decode_inline(text: &str) -> Option<Value> {
    match text {
        "null" => Some(Value::Null),
        "true" => Some(Value::Bool(true)),
        "false" => Some(Value::Bool(false)),
        _ if text.starts_with('`') || text == "\"\"" => {
            let (value, used) = read_code_span(text)?;
            (used == text.len()).then_some(Value::String(value))
        }
        _ => serde_json::from_str::<serde_json::Number>(text)
            .ok()
            .map(Value::Number),
    }
}

/// Reads an inline code span (or `""` for the empty string) at the start of `text`: its
/// content and how many bytes it used.
fn read_code_span(text: &str) -> Option<(String, usize)> {
    if text.starts_with("\"\"") {
        return Some((String::new(), 2));
    }
    let fence = text.bytes().take_while(|&byte| byte == b'`').count();
    if fence == 0 {
        return None;
    }
    let bytes = text.as_bytes();
    let mut index = fence;
    while index < bytes.len() {
        if bytes[index] == b'`' {
            let run = bytes[index..]
                .iter()
                .take_while(|&&byte| byte == b'`')
                .count();
            if run == fence {
                let inner = &text[fence..index];
                let inner = if inner.len() >= 2 && inner.starts_with(' ') && inner.ends_with(' ') {
                    &inner[1..inner.len() - 1]
                } else {
                    inner
                };
                return Some((inner.to_owned(), index + run));
            }
            index += run;
        } else {
            index += 1;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entry::{AuditRecord, GENESIS_HASH};
    use agentctl_protocol::{EventKind, RunId, TaskId};
    use serde_json::json;

    fn round_trip(record: AuditRecord) -> Map<String, Value> {
        let (entry, canonical) = AuditEntry::seal(
            3,
            "2026-11-22T05:00:00.123Z".to_owned(),
            GENESIS_HASH.to_owned(),
            record,
        )
        .unwrap();
        let block = render_compact(&entry);
        let machine_start = block.rfind("<!-- agentctl:v2 ").unwrap();
        let line = block[machine_start..].trim_end();
        let json_start = line.find('{').unwrap();
        let json = &line[json_start..line.len() - 4];
        let content = decode_entry(&block.as_bytes()[..machine_start], json.as_bytes()).unwrap();
        let rebuilt = content.into_entry(entry.prev.clone(), entry.hash.clone());
        assert_eq!(rebuilt, entry);
        assert_eq!(rebuilt.canonical_json().unwrap(), canonical);
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn plain_entries_need_only_the_sequence_number() {
        let hidden = round_trip(
            AuditRecord::new(EventKind::GateApproved)
                .with_run(RunId::new("r-1"))
                .with_task(TaskId::new("T-154"))
                .with_persona("ops-devops")
                .with_detail("by", "alice")
                .with_detail("note", "change window 14:00 · `x` ")
                .with_detail("count", 3)
                .with_detail("ratio", 0.5)
                .with_detail("ok", true)
                .with_detail("nothing", Value::Null)
                .with_detail("empty", "")
                .with_detail("diff", "-a\n+b ``` c\n"),
        );
        assert_eq!(Value::Object(hidden), json!({"seq": 3}));
    }

    #[test]
    fn what_the_text_cannot_give_back_goes_into_the_machine_line() {
        let hidden = round_trip(
            AuditRecord::new(EventKind::ToolResult)
                .with_persona("qa · `odd`")
                .with_detail("output", "no final newline\nsecond")
                .with_detail("crlf", "a\r\nb\n")
                .with_detail("escape", "\u{1b}[2K")
                .with_detail("sandbox", json!({"mode": "enforce"}))
                .with_detail("looks like", "<!-- agentctl:v1 hash=x -->\n")
                .with_detail("number text", "12"),
        );
        assert_eq!(
            Value::Object(hidden),
            json!({
                "seq": 3,
                "values": {"crlf": "a\r\nb\n", "escape": "\u{1b}[2K", "sandbox": {"mode": "enforce"}},
                "unterminated": ["output"]
            })
        );
    }

    #[test]
    fn keys_that_do_not_read_back_keep_every_detail_in_the_machine_line() {
        let hidden =
            round_trip(AuditRecord::new(EventKind::ToolResult).with_detail("weird\nkey", "value"));
        assert!(hidden.contains_key(ALL_DETAILS));
    }

    #[test]
    fn code_spans_read_back() {
        assert_eq!(read_code_span("`a` rest"), Some(("a".to_owned(), 3)));
        assert_eq!(
            read_code_span("`` `tick` ``"),
            Some(("`tick`".to_owned(), 12))
        );
        assert_eq!(read_code_span("\"\""), Some((String::new(), 2)));
        assert_eq!(read_code_span("`open"), None);
    }
}

#[cfg(test)]
mod round_trip {
    use super::*;
    use crate::entry::{AuditRecord, GENESIS_HASH};
    use agentctl_protocol::EventKind;
    use proptest::prelude::*;

    /// Text with what the renderer treats specially: backticks, spaces at the ends, line breaks,
    /// carriage returns, control and bidi characters, machine-line and heading look-alikes.
    fn awkward_text() -> impl Strategy<Value = String> {
        proptest::collection::vec(
            prop_oneof![
                Just("`".to_owned()),
                Just(" ".to_owned()),
                Just("\n".to_owned()),
                Just("\r\n".to_owned()),
                Just("\u{1b}[2K".to_owned()),
                Just("\u{202e}".to_owned()),
                Just("<!-- agentctl:v2 hash=x -->".to_owned()),
                Just("### 1 · x · y".to_owned()),
                Just("- k: `v`".to_owned()),
                Just("```".to_owned()),
                Just("\"\"".to_owned()),
                Just("12".to_owned()),
                "[a-z ·:]{0,6}",
            ],
            0..8,
        )
        .prop_map(|parts| parts.concat())
    }

    fn value() -> impl Strategy<Value = Value> {
        prop_oneof![
            awkward_text().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            any::<bool>().prop_map(Value::from),
            Just(Value::Null),
            awkward_text().prop_map(|text| serde_json::json!({ "text": text })),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]
        #[test]
        fn every_entry_reads_back_exactly_and_verifies(
            persona in proptest::option::of(awkward_text()),
            details in proptest::collection::vec((awkward_text(), value()), 0..5),
        ) {
            let mut record = AuditRecord::new(EventKind::ToolResult);
            record.persona = persona;
            for (key, value) in details {
                record = record.with_detail(key, value);
            }
            let (entry, _) = AuditEntry::seal(
                1,
                "2026-11-22T05:00:00.123Z".to_owned(),
                GENESIS_HASH.to_owned(),
                record,
            )
            .unwrap();
            let block = render_compact(&entry);
            let log = format!("{}{block}", crate::HEADER);
            let report = crate::verify_bytes(log.as_bytes());
            prop_assert_eq!(report.outcome, crate::VerifyOutcome::Intact);
            prop_assert_eq!(report.entries, 1);
            let directory = tempfile::tempdir().unwrap();
            let path = directory.path().join("AUDIT_LOG.md");
            std::fs::write(&path, &log).unwrap();
            let read = crate::read_entries(&path).unwrap();
            prop_assert_eq!(&read[0], &entry);
        }
    }
}
