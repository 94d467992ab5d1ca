//! Finding and reading machine lines, the only part of the file that is data.
//!
//! Does not check hashes, links or the visible text (that is `verify`), and never writes.

use std::path::Path;

use crate::compact::{hidden_seq, locate_compact, COMPACT_PREFIX};
use crate::entry::{AuditEntry, EntryContent};
use crate::render::{MACHINE_FAMILY, MACHINE_PREFIX, MACHINE_SUFFIX};
use crate::AuditError;

const HEX_LENGTH: usize = 64;
/// A compact machine line names the previous entry by the first 16 hex digits of its hash: the
/// full hash is the previous entry's, and it is what the entry's own hash covers.
pub(crate) const PREV_PREFIX_LENGTH: usize = 16;

/// Whether the `prev` of a machine line (the full hash, or its first 16 digits in a compact
/// line) names the entry whose hash is `hash`.
pub(crate) fn names_hash(prev: &str, hash: &str) -> bool {
    prev.len() >= PREV_PREFIX_LENGTH && hash.starts_with(prev)
}

/// A complete machine line: one that starts with the machine prefix and ends with ` -->`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct MachineLine<'a> {
    /// 1-based line number.
    pub line: usize,
    /// Byte offset of the `<` that starts the line.
    pub start: usize,
    /// Byte offset just after the `-->`.
    pub end: usize,
    /// The whole line from `<` to `>`.
    pub text: &'a [u8],
}

/// Which encoding a machine line is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Encoding {
    /// `agentctl:v1`: the JSON holds the whole content.
    Full,
    /// `agentctl:v2`: the visible text holds the content, the JSON only what it cannot give back.
    Compact,
}

/// The parts of a machine line, not yet parsed as JSON.
#[derive(Debug, Clone, Copy)]
pub(crate) struct MachineFields<'a> {
    pub encoding: Encoding,
    pub hash: &'a str,
    pub prev: &'a str,
    pub json: &'a [u8],
}

impl<'a> MachineLine<'a> {
    pub(crate) fn fields(&self) -> Result<MachineFields<'a>, String> {
        let text = self.text;
        let (encoding, prefix) = if text.starts_with(MACHINE_PREFIX) {
            (Encoding::Full, MACHINE_PREFIX)
        } else if text.starts_with(COMPACT_PREFIX) {
            (Encoding::Compact, COMPACT_PREFIX)
        } else {
            return Err("machine line of a format version this agentctl cannot read".to_owned());
        };
        if text.len() < prefix.len() + MACHINE_SUFFIX.len() {
            return Err("machine line is empty".to_owned());
        }
        let rest = &text[prefix.len()..text.len() - MACHINE_SUFFIX.len()];
        let (hash, rest) = take_hex_field(rest, b"hash=", HEX_LENGTH)?;
        let rest = rest
            .strip_prefix(b" ")
            .ok_or_else(|| "expected ` prev=` after the hash".to_owned())?;
        let prev_length = match encoding {
            Encoding::Full => HEX_LENGTH,
            Encoding::Compact => PREV_PREFIX_LENGTH,
        };
        let (prev, rest) = take_hex_field(rest, b"prev=", prev_length)?;
        let json = rest
            .strip_prefix(b" ")
            .ok_or_else(|| "expected JSON after the prev hash".to_owned())?;
        Ok(MachineFields {
            encoding,
            hash,
            prev,
            json,
        })
    }
}

fn take_hex_field<'a>(
    text: &'a [u8],
    name: &[u8],
    length: usize,
) -> Result<(&'a str, &'a [u8]), String> {
    // Made only for an error message: this runs for every entry a reader passes over.
    let label = || String::from_utf8_lossy(&name[..name.len() - 1]).into_owned();
    let rest = text
        .strip_prefix(name)
        .ok_or_else(|| format!("expected `{}=`", label()))?;
    let hex = rest
        .get(..length)
        .filter(|hex| {
            hex.iter()
                .all(|byte| matches!(byte, b'0'..=b'9' | b'a'..=b'f'))
        })
        .ok_or_else(|| format!("`{}` is not {length} lowercase hex digits", label()))?;
    // All ASCII hex digits, so this cannot fail.
    let hex = std::str::from_utf8(hex).map_err(|error| error.to_string())?;
    Ok((hex, &rest[length..]))
}

impl MachineFields<'_> {
    /// The content of a full (v1) machine line. A compact line needs its visible text: use
    /// [`MachineFields::content_after`].
    pub(crate) fn content(&self) -> Result<EntryContent, String> {
        match self.encoding {
            Encoding::Full => serde_json::from_slice(self.json)
                .map_err(|error| format!("entry JSON is invalid: {error}")),
            Encoding::Compact => {
                Err("a compact machine line needs its entry's visible text".to_owned())
            }
        }
    }

    /// The sequence number the machine line names.
    pub(crate) fn seq(&self) -> Result<u64, String> {
        match self.encoding {
            Encoding::Full => self.content().map(|content| content.seq),
            Encoding::Compact => hidden_seq(self.json),
        }
    }

    /// The content and where its block starts in `region`, the text between the previous
    /// machine line (or the start of the file) and this one.
    pub(crate) fn content_after(&self, region: &[u8]) -> Result<(EntryContent, usize), String> {
        match self.encoding {
            Encoding::Full => self.content().map(|content| (content, region.len())),
            Encoding::Compact => locate_compact(region, self.json),
        }
    }
}

/// Every complete machine line in file order. Lines that start like a machine line but do not
/// end like one are left out: they belong to torn or damaged text, which the caller judges.
pub(crate) fn machine_lines(bytes: &[u8]) -> Vec<MachineLine<'_>> {
    let mut found = Vec::new();
    let mut line = 1;
    let mut start = 0;
    while start < bytes.len() {
        let newline = bytes[start..].iter().position(|&byte| byte == b'\n');
        let end = newline.map_or(bytes.len(), |offset| start + offset);
        let text = &bytes[start..end];
        if is_complete_machine_line(text) {
            found.push(MachineLine {
                line,
                start,
                end,
                text,
            });
        }
        line += 1;
        start = end + 1;
    }
    found
}

pub(crate) fn is_complete_machine_line(text: &[u8]) -> bool {
    text.starts_with(MACHINE_FAMILY)
        && text.ends_with(MACHINE_SUFFIX)
        && text.len() >= MACHINE_FAMILY.len() + MACHINE_SUFFIX.len()
}

/// Reads every entry whose machine line is complete, in file order, without checking the chain
/// (use [`crate::verify`] for that). Torn text is skipped. For `agentctl audit show`.
pub fn read_entries(path: &Path) -> Result<Vec<AuditEntry>, AuditError> {
    let bytes = read_log(path)?;
    let lines = machine_lines(&bytes);
    let mut entries = Vec::with_capacity(lines.len());
    let mut region_start = 0;
    for machine_line in lines {
        let malformed = |message: String| AuditError::Malformed {
            path: path.to_path_buf(),
            line: machine_line.line,
            message,
        };
        let fields = machine_line.fields().map_err(malformed)?;
        let (content, _) = fields
            .content_after(&bytes[region_start.min(machine_line.start)..machine_line.start])
            .map_err(malformed)?;
        region_start = machine_line.end;
        let prev = full_prev(
            fields.prev,
            entries.last().map(|entry: &AuditEntry| entry.hash.as_str()),
        );
        entries.push(content.into_entry(prev, fields.hash.to_owned()));
    }
    Ok(entries)
}

/// Calls `each` with every entry whose machine line is complete, in file order, reading the
/// file one line at a time: memory stays at the longest entry whatever the size of the log.
///
/// `needles` are values (a task id, a run id, a persona, an event name) that every entry the
/// caller wants contains: a cheap pre-filter on the raw bytes, so most entries are never parsed
/// (the caller still filters the parsed entry exactly). A full (v1) entry is skipped when its
/// machine line lacks one; a compact (v2) entry when its visible block and machine line both
/// lack one — its values are written out in one of the two. Only needles made of characters no
/// encoding escapes (see [`is_plain`]) filter; with any other needle every entry is parsed.
/// `each` returns `false` to stop early. Torn text is skipped, as in [`read_entries`].
pub fn for_each_entry(
    path: &Path,
    needles: &[Vec<u8>],
    mut each: impl FnMut(AuditEntry) -> bool,
) -> Result<(), AuditError> {
    use std::io::BufRead as _;
    let file = match fs_err::File::open(path) {
        Ok(file) => file,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            return Err(AuditError::NotFound {
                path: path.to_path_buf(),
            })
        }
        Err(error) => return Err(error.into()),
    };
    let mut reader = std::io::BufReader::with_capacity(64 * 1024, file);
    let mut buffer = Vec::new();
    // The text since the previous machine line: a compact entry is read from it.
    let mut region = Vec::new();
    let mut last_hash = String::new();
    let mut line = 0;
    let filtering = !needles.is_empty() && needles.iter().all(|needle| is_plain(needle));
    // Each needle's searcher is built once, not once per entry.
    let finders: Vec<memchr::memmem::Finder<'_>> =
        needles.iter().map(memchr::memmem::Finder::new).collect();
    loop {
        buffer.clear();
        if reader.read_until(b'\n', &mut buffer)? == 0 {
            return Ok(());
        }
        line += 1;
        let text = buffer.strip_suffix(b"\n").unwrap_or(&buffer);
        if !is_complete_machine_line(text) {
            region.extend_from_slice(&buffer);
            continue;
        }
        let full = text.starts_with(MACHINE_PREFIX);
        let wanted = !filtering
            || finders.iter().all(|finder| {
                finder.find(text).is_some() || (!full && finder.find(&region).is_some())
            });
        if !wanted {
            region.clear();
            last_hash = machine_hash(text);
            continue;
        }
        let machine_line = MachineLine {
            line,
            start: 0,
            end: text.len(),
            text,
        };
        let malformed = |message: String| AuditError::Malformed {
            path: path.to_path_buf(),
            line,
            message,
        };
        let fields = machine_line.fields().map_err(malformed)?;
        let (content, _) = fields.content_after(&region).map_err(malformed)?;
        region.clear();
        let prev = full_prev(fields.prev, (!last_hash.is_empty()).then_some(&last_hash));
        last_hash = fields.hash.to_owned();
        if !each(content.into_entry(prev, fields.hash.to_owned())) {
            return Ok(());
        }
    }
}

/// The full previous hash of an entry: its `prev` when that is whole, else the hash of the
/// entry before it in the file when that is the one it names (a short `prev` as it stands
/// otherwise, which `verify` reports).
fn full_prev(prev: &str, before: Option<&str>) -> String {
    match before {
        Some(hash) if prev.len() < HEX_LENGTH && names_hash(prev, hash) => hash.to_owned(),
        None if prev.len() < HEX_LENGTH && names_hash(prev, crate::GENESIS_HASH) => {
            crate::GENESIS_HASH.to_owned()
        }
        _ => prev.to_owned(),
    }
}

/// The hash of a machine line, or nothing when it does not read.
fn machine_hash(text: &[u8]) -> String {
    let machine = MachineLine {
        line: 0,
        start: 0,
        end: text.len(),
        text,
    };
    machine
        .fields()
        .map(|fields| fields.hash.to_owned())
        .unwrap_or_default()
}

/// Whether `needle` is written byte for byte wherever an entry holds it: in a JSON string, in
/// the comment-safe machine line and in a Markdown code span or heading alike.
fn is_plain(needle: &[u8]) -> bool {
    !needle.is_empty()
        && needle
            .iter()
            .all(|byte| byte.is_ascii_alphanumeric() || b"-.:/@+".contains(byte))
}

pub(crate) fn read_log(path: &Path) -> Result<Vec<u8>, AuditError> {
    match fs_err::read(path) {
        Ok(bytes) => Ok(bytes),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Err(AuditError::NotFound {
            path: path.to_path_buf(),
        }),
        Err(error) => Err(error.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_only_complete_machine_lines_with_their_line_numbers() {
        let text = b"# head\n\n<!-- agentctl:v1 a -->\ntext\n<!-- agentctl:v1 torn";
        let lines = machine_lines(text);
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0].line, 3);
        assert_eq!(
            &text[lines[0].start..lines[0].end],
            b"<!-- agentctl:v1 a -->"
        );
    }

    #[test]
    fn streaming_reader_matches_the_whole_file_reader() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("AUDIT_LOG.md");
        let mut writer = crate::AuditWriter::open(&path).unwrap();
        for (task, event) in [
            ("T-1", "run.started"),
            ("T-2", "run.started"),
            ("T-1", "run.finished"),
        ] {
            writer
                .append(crate::AuditRecord {
                    run: None,
                    task: Some(agentctl_protocol::TaskId::new(task)),
                    persona: None,
                    event: agentctl_protocol::EventKind::parse(event).unwrap(),
                    details: serde_json::Map::new(),
                })
                .unwrap();
        }
        let whole = read_entries(&path).unwrap();
        let mut streamed = Vec::new();
        for_each_entry(&path, &[], |entry| {
            streamed.push(entry);
            true
        })
        .unwrap();
        assert_eq!(streamed, whole);
        // Compact entries are pre-filtered on their visible block and machine line together.
        let seqs = |needles: &[&str]| {
            let needles: Vec<Vec<u8>> = needles.iter().map(|n| n.as_bytes().to_vec()).collect();
            let mut seen = Vec::new();
            for_each_entry(&path, &needles, |entry| {
                seen.push(entry.seq);
                true
            })
            .unwrap();
            seen
        };
        assert_eq!(seqs(&["T-1"]), vec![1, 3]);
        assert_eq!(seqs(&["T-2", "run.started"]), vec![2]);
        assert_eq!(seqs(&["T-1", "run.finished"]), vec![3]);
        assert_eq!(seqs(&["T-9"]), Vec::<u64>::new());
        // A needle an encoding might escape does not filter: every entry is parsed.
        assert_eq!(seqs(&[r#""task":"T-1""#]), vec![1, 2, 3]);
    }

    #[test]
    fn rejects_bad_hex() {
        let line = format!(
            "<!-- agentctl:v1 hash={} prev={} {{}} -->",
            "A".repeat(64),
            "0".repeat(64)
        );
        let machine = MachineLine {
            line: 1,
            start: 0,
            end: line.len(),
            text: line.as_bytes(),
        };
        assert_eq!(
            machine.fields().unwrap_err(),
            "`hash` is not 64 lowercase hex digits"
        );
    }

    #[test]
    fn reports_unknown_versions() {
        let line = b"<!-- agentctl:v9 hash= -->";
        let machine = MachineLine {
            line: 1,
            start: 0,
            end: line.len(),
            text: line,
        };
        assert!(machine.fields().unwrap_err().contains("format version"));
    }
}
