//! What an audit entry is: the record a caller hands in, the sealed entry with its place in the
//! chain, the canonical JSON that is hashed, and the hash itself.
//!
//! Does not know about files, Markdown, locking or verification; it turns values into bytes and
//! bytes into a hash, nothing more.

use std::io;

use agentctl_protocol::{EventKind, RunId, TaskId};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use crate::AuditError;

/// The `prev` of the first entry: 64 zeros.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One event as a caller describes it; the writer adds sequence number, time and chain links.
/// Serializable so a caller can keep records in its own state until they are appended.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditRecord {
    pub run: Option<RunId>,
    pub task: Option<TaskId>,
    pub persona: Option<String>,
    pub event: EventKind,
    /// Shown as one bullet per key, in insertion order (which is part of the hashed bytes).
    pub details: Map<String, Value>,
}

impl AuditRecord {
    /// A record of `event` with no run, task, persona or details yet.
    pub fn new(event: EventKind) -> Self {
        Self {
            run: None,
            task: None,
            persona: None,
            event,
            details: Map::new(),
        }
    }

    pub fn with_run(mut self, run: RunId) -> Self {
        self.run = Some(run);
        self
    }

    pub fn with_task(mut self, task: TaskId) -> Self {
        self.task = Some(task);
        self
    }

    pub fn with_persona(mut self, persona: impl Into<String>) -> Self {
        self.persona = Some(persona.into());
        self
    }

    /// Adds one detail; a key given twice keeps its first position and the later value.
    pub fn with_detail(mut self, key: impl Into<String>, value: impl Into<Value>) -> Self {
        self.details.insert(key.into(), value.into());
        self
    }
}

/// One entry as it stands in the log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// 1, 2, 3 … in file order.
    pub seq: u64,
    /// RFC 3339, UTC, milliseconds: `2026-11-22T05:00:00.123Z`.
    pub at: String,
    pub run: Option<RunId>,
    pub task: Option<TaskId>,
    pub persona: Option<String>,
    pub event: EventKind,
    pub details: Map<String, Value>,
    /// Hash of the entry before this one, lowercase hex ([`GENESIS_HASH`] for the first).
    pub prev: String,
    /// SHA-256 over `prev + "\n" + canonical_json`, lowercase hex.
    pub hash: String,
}

impl AuditEntry {
    /// Gives `record` its place in the chain: sequence number, time and the previous entry's
    /// hash. Returns the entry and its canonical JSON (the exact bytes that were hashed).
    ///
    /// The writer calls this under its lock; tests and benchmarks call it to build logs in
    /// memory without touching the disk.
    pub fn seal(
        seq: u64,
        at: String,
        prev: String,
        record: AuditRecord,
    ) -> Result<(AuditEntry, String), AuditError> {
        let AuditRecord {
            run,
            task,
            persona,
            event,
            details,
        } = record;
        let mut entry = AuditEntry {
            seq,
            at,
            run,
            task,
            persona,
            event,
            details,
            prev,
            hash: String::new(),
        };
        let canonical = entry.canonical_json()?;
        entry.hash = chain_hash(&entry.prev, canonical.as_bytes());
        Ok((entry, canonical))
    }

    /// The compact JSON of `{seq, at, run, task, persona, event, details}` in that order, with
    /// `<`, `>` and `&` escaped so the text can never close the HTML comment it is stored in.
    pub fn canonical_json(&self) -> Result<String, AuditError> {
        let fields = CanonicalFields {
            seq: self.seq,
            at: &self.at,
            run: self.run.as_ref().map(RunId::as_str),
            task: self.task.as_ref().map(TaskId::as_str),
            persona: self.persona.as_deref(),
            event: self.event,
            details: &self.details,
        };
        let mut bytes = Vec::with_capacity(256);
        let mut serializer =
            serde_json::Serializer::with_formatter(&mut bytes, CommentSafeFormatter);
        fields
            .serialize(&mut serializer)
            .map_err(|source| AuditError::Encode {
                seq: self.seq,
                source,
            })?;
        // The formatter only ever writes valid UTF-8 (JSON text plus ASCII escapes).
        String::from_utf8(bytes).map_err(|error| AuditError::Encode {
            seq: self.seq,
            source: serde::ser::Error::custom(error),
        })
    }
}

/// `value` as compact JSON with the same escapes as the canonical JSON, for a machine line.
pub(crate) fn comment_safe_json(value: &Value) -> String {
    let mut bytes = Vec::with_capacity(64);
    let mut serializer = serde_json::Serializer::with_formatter(&mut bytes, CommentSafeFormatter);
    // Serializing a `Value` into memory cannot fail, and the formatter writes only UTF-8.
    let _ = value.serialize(&mut serializer);
    String::from_utf8_lossy(&bytes).into_owned()
}

/// The hashed content of an entry, read back from a machine line.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct EntryContent {
    pub seq: u64,
    pub at: String,
    pub run: Option<RunId>,
    pub task: Option<TaskId>,
    pub persona: Option<String>,
    pub event: EventKind,
    pub details: Map<String, Value>,
}

impl EntryContent {
    pub(crate) fn view(&self) -> crate::render::EntryView<'_> {
        crate::render::EntryView {
            seq: self.seq,
            at: &self.at,
            run: self.run.as_ref().map(RunId::as_str),
            task: self.task.as_ref().map(TaskId::as_str),
            persona: self.persona.as_deref(),
            event: self.event,
            details: &self.details,
        }
    }

    pub(crate) fn into_entry(self, prev: String, hash: String) -> AuditEntry {
        AuditEntry {
            seq: self.seq,
            at: self.at,
            run: self.run,
            task: self.task,
            persona: self.persona,
            event: self.event,
            details: self.details,
            prev,
            hash,
        }
    }
}

#[derive(Serialize)]
struct CanonicalFields<'a> {
    seq: u64,
    at: &'a str,
    run: Option<&'a str>,
    task: Option<&'a str>,
    persona: Option<&'a str>,
    event: EventKind,
    details: &'a Map<String, Value>,
}

/// serde_json's compact output, except that `<`, `>` and `&` inside strings become `\u003c`,
/// `\u003e` and `\u0026`, and control, bidi and invisible characters their `\uXXXX` escapes.
/// Without the first a detail containing `-->` would end the HTML comment early and spill the
/// rest of the machine line into the rendered page; without the second a reviewer reading the
/// raw file would see reordered or hidden text. Both keep the parsed strings exact.
struct CommentSafeFormatter;

impl serde_json::ser::Formatter for CommentSafeFormatter {
    fn write_string_fragment<W>(&mut self, writer: &mut W, fragment: &str) -> io::Result<()>
    where
        W: ?Sized + io::Write,
    {
        agentctl_display::write_json_fragment(writer, fragment, |character| {
            matches!(character, '<' | '>' | '&')
        })
    }
}

/// SHA-256 hex over `prev + "\n" + canonical_json`.
pub fn chain_hash(prev: &str, canonical_json: &[u8]) -> String {
    let mut hasher = Sha256::new();
    hasher.update(prev.as_bytes());
    hasher.update(b"\n");
    hasher.update(canonical_json);
    to_hex(&hasher.finalize())
}

fn to_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut text = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        text.push(char::from(DIGITS[usize::from(byte >> 4)]));
        text.push(char::from(DIGITS[usize::from(byte & 0x0f)]));
    }
    text
}

/// `at` for an instant: RFC 3339 in UTC with exactly three fractional digits and a `Z`.
pub fn format_timestamp(instant: OffsetDateTime) -> String {
    let utc = instant.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        utc.year(),
        u8::from(utc.month()),
        utc.day(),
        utc.hour(),
        utc.minute(),
        utc.second(),
        utc.millisecond()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sample() -> AuditRecord {
        AuditRecord::new(EventKind::ToolDenied)
            .with_run(RunId::new("r-1"))
            .with_task(TaskId::new("T-154"))
            .with_persona("devops-engineer")
            .with_detail("tool", "execute_bash")
            .with_detail("reason", "<!-- sneaky --> & more")
    }

    #[test]
    fn canonical_json_has_fixed_field_order_and_escapes_comment_characters() {
        let (entry, canonical) = AuditEntry::seal(
            7,
            "2026-11-22T05:00:00.123Z".to_owned(),
            GENESIS_HASH.to_owned(),
            sample(),
        )
        .unwrap();
        assert_eq!(
            canonical,
            r#"{"seq":7,"at":"2026-11-22T05:00:00.123Z","run":"r-1","task":"T-154","persona":"devops-engineer","event":"tool.denied","details":{"tool":"execute_bash","reason":"\u003c!-- sneaky --\u003e \u0026 more"}}"#
        );
        let parsed: Value = serde_json::from_str(&canonical).unwrap();
        assert_eq!(parsed["details"]["reason"], json!("<!-- sneaky --> & more"));
        assert_eq!(entry.hash, chain_hash(GENESIS_HASH, canonical.as_bytes()));
        assert_eq!(entry.hash.len(), 64);
    }

    #[test]
    fn records_survive_a_serde_round_trip_with_detail_order() {
        let record = sample().with_detail("another", 1);
        let text = serde_json::to_string(&record).unwrap();
        let back: AuditRecord = serde_json::from_str(&text).unwrap();
        assert_eq!(back, record);
        assert_eq!(
            back.details.keys().collect::<Vec<_>>(),
            ["tool", "reason", "another"]
        );
    }

    #[test]
    fn hash_depends_on_prev() {
        let at = "2026-11-22T05:00:00.123Z".to_owned();
        let (first, _) =
            AuditEntry::seal(1, at.clone(), GENESIS_HASH.to_owned(), sample()).unwrap();
        let (second, _) = AuditEntry::seal(1, at, "1".repeat(64), sample()).unwrap();
        assert_ne!(first.hash, second.hash);
    }

    #[test]
    fn known_hash_of_empty_input() {
        // SHA-256 of "\n" alone, to pin the construction prev + "\n" + json.
        assert_eq!(
            chain_hash("", b""),
            "01ba4719c80b6fe911b091a7c05124b64eeece964e09c058ef8f9805daca546b"
        );
    }

    #[test]
    fn timestamps_have_milliseconds_and_z() {
        let instant = time::macros::datetime!(2026-11-22 05:00:00.123456 +02:00);
        assert_eq!(format_timestamp(instant), "2026-11-22T03:00:00.123Z");
    }
}
