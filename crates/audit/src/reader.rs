//! Finding and reading machine lines, the only part of the file that is data.
//!
//! Does not check hashes, links or the visible text (that is `verify`), and never writes.

use std::path::Path;

use crate::entry::{AuditEntry, EntryContent};
use crate::render::{MACHINE_FAMILY, MACHINE_PREFIX, MACHINE_SUFFIX};
use crate::AuditError;

const HEX_LENGTH: usize = 64;

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

/// The parts of a machine line, not yet parsed as JSON.
#[derive(Debug, Clone, Copy)]
pub(crate) struct MachineFields<'a> {
    pub hash: &'a str,
    pub prev: &'a str,
    pub json: &'a [u8],
}

impl<'a> MachineLine<'a> {
    pub(crate) fn fields(&self) -> Result<MachineFields<'a>, String> {
        let text = self.text;
        if !text.starts_with(MACHINE_PREFIX) {
            return Err("machine line of a format version this agentctl cannot read".to_owned());
        }
        if text.len() < MACHINE_PREFIX.len() + MACHINE_SUFFIX.len() {
            return Err("machine line is empty".to_owned());
        }
        let rest = &text[MACHINE_PREFIX.len()..text.len() - MACHINE_SUFFIX.len()];
        let (hash, rest) = take_hex_field(rest, b"hash=")?;
        let rest = rest
            .strip_prefix(b" ")
            .ok_or_else(|| "expected ` prev=` after the hash".to_owned())?;
        let (prev, rest) = take_hex_field(rest, b"prev=")?;
        let json = rest
            .strip_prefix(b" ")
            .ok_or_else(|| "expected JSON after the prev hash".to_owned())?;
        Ok(MachineFields { hash, prev, json })
    }
}

fn take_hex_field<'a>(text: &'a [u8], name: &[u8]) -> Result<(&'a str, &'a [u8]), String> {
    let label = String::from_utf8_lossy(&name[..name.len() - 1]).into_owned();
    let rest = text
        .strip_prefix(name)
        .ok_or_else(|| format!("expected `{label}=`"))?;
    let hex = rest
        .get(..HEX_LENGTH)
        .filter(|hex| {
            hex.iter()
                .all(|byte| matches!(byte, b'0'..=b'9' | b'a'..=b'f'))
        })
        .ok_or_else(|| format!("`{label}` is not 64 lowercase hex digits"))?;
    // All ASCII hex digits, so this cannot fail.
    let hex = std::str::from_utf8(hex).map_err(|error| error.to_string())?;
    Ok((hex, &rest[HEX_LENGTH..]))
}

impl MachineFields<'_> {
    pub(crate) fn content(&self) -> Result<EntryContent, String> {
        serde_json::from_slice(self.json).map_err(|error| format!("entry JSON is invalid: {error}"))
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
    for machine_line in lines {
        let malformed = |message: String| AuditError::Malformed {
            path: path.to_path_buf(),
            line: machine_line.line,
            message,
        };
        let fields = machine_line.fields().map_err(malformed)?;
        let content = fields.content().map_err(malformed)?;
        entries.push(content.into_entry(fields.prev.to_owned(), fields.hash.to_owned()));
    }
    Ok(entries)
}

/// Calls `each` with every entry whose machine line is complete and contains every one of
/// `needles`, in file order, reading the file one line at a time: memory stays at the longest
/// line whatever the size of the log. The needles are a cheap pre-filter on the raw line (the
/// caller still filters the parsed entry); lines without them are not parsed at all. `each`
/// returns `false` to stop early. Torn text is skipped, as in [`read_entries`].
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
    let mut line = 0;
    loop {
        buffer.clear();
        if reader.read_until(b'\n', &mut buffer)? == 0 {
            return Ok(());
        }
        line += 1;
        let text = buffer.strip_suffix(b"\n").unwrap_or(&buffer);
        if !is_complete_machine_line(text) || !needles.iter().all(|needle| contains(text, needle)) {
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
        let content = fields.content().map_err(malformed)?;
        if !each(content.into_entry(fields.prev.to_owned(), fields.hash.to_owned())) {
            return Ok(());
        }
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    memchr::memmem::find(haystack, needle).is_some()
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
        let mut only_one = Vec::new();
        for_each_entry(&path, &[br#""task":"T-1""#.to_vec()], |entry| {
            only_one.push(entry.seq);
            true
        })
        .unwrap();
        assert_eq!(only_one, vec![1, 3]);
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
