//! The verifier: re-reads every entry, recomputes its hash, follows the chain and renders the
//! visible text again to compare it byte for byte. Names the first problem and classifies it.
//!
//! Does not repair anything and does not know about locks or the writer's cache; it reads bytes.
//!
//! Rules, in the order they are applied to each machine line:
//! 1. the line parses (else `Malformed`);
//! 2. the hash recomputes over `prev + "\n" + json` (else `Edited`, at the machine line);
//! 3. the visible text right before it is exactly what the JSON renders to (else `Edited`, at the
//!    first line that differs);
//! 4. the text between the previous entry and this one is empty, the file header (first entry
//!    only), or a torn block: text that starts like an entry heading and has no complete machine
//!    line (else `Inserted`/`Malformed`);
//! 5. `seq` and `prev` continue the chain (else classified in `verify/classify.rs`);
//! 6. the machine line is followed by a blank line (at the very end of the file a missing one is
//!    `Torn`, elsewhere `Malformed`).

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::entry::{chain_hash, GENESIS_HASH};
use crate::reader::{machine_lines, names_hash, read_log, Encoding, MachineFields, MachineLine};
use crate::render::{
    render_visible_with, written_with_legacy_escapes, Escapes, HEADING_PREFIX, MACHINE_FAMILY,
};
use crate::AuditError;

mod classify;

/// What `verify` found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VerifyReport {
    /// Entries that verified, in order, before the first problem (all of them when intact or
    /// torn).
    pub entries: u64,
    /// Hash of the last entry that verified: record it elsewhere to anchor the chain, since a
    /// forger who recomputes every hash from an edit to the end cannot be caught from the file
    /// alone.
    pub last_hash: Option<String>,
    pub outcome: VerifyOutcome,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum VerifyOutcome {
    /// Every entry verified and the file ends cleanly.
    Intact,
    /// The first place where the file was changed after it was written. `seq` is the entry
    /// concerned (for `Removed`, the first missing one), `line` is 1-based.
    Damaged {
        seq: Option<u64>,
        line: usize,
        problem: Damage,
        message: String,
    },
    /// No tampering, but a write was cut short (a crash mid-append). `line` is where the cut-off
    /// entry starts; entries before and after it verified.
    Torn { line: usize, message: String },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Damage {
    /// An entry's visible text or JSON was changed.
    Edited,
    /// Entries are missing from the chain.
    Removed,
    /// An entry, or text, that the chain does not account for.
    Inserted,
    /// Entries are present but out of order.
    Reordered,
    /// Text that cannot be read as an entry.
    Malformed,
}

impl Damage {
    pub fn as_str(self) -> &'static str {
        match self {
            Damage::Edited => "edited",
            Damage::Removed => "removed",
            Damage::Inserted => "inserted",
            Damage::Reordered => "reordered",
            Damage::Malformed => "malformed",
        }
    }
}

impl std::fmt::Display for Damage {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(self.as_str())
    }
}

/// Verifies the audit log at `path`. I/O problems are errors; damage is an outcome.
pub fn verify(path: &Path) -> Result<VerifyReport, AuditError> {
    let bytes = read_log(path)?;
    Ok(verify_bytes(&bytes))
}

/// Verifies the bytes of an audit log already in memory.
pub fn verify_bytes(bytes: &[u8]) -> VerifyReport {
    Walker::new(bytes).run().0
}

/// Verifies and also returns the hash of every entry that verified, in order: entry `seq` has
/// the hash at index `seq - 1`. Used to check the log against anchors kept elsewhere.
pub(crate) fn verify_chain(bytes: &[u8]) -> (VerifyReport, Vec<String>) {
    Walker::new(bytes).run()
}

struct Verified<'a> {
    seq: u64,
    hash: &'a str,
    prev: &'a str,
    heading_line: usize,
}

struct Problem {
    seq: Option<u64>,
    line: usize,
    problem: Damage,
    message: String,
    /// How many verified entries precede the problem.
    entries: usize,
}

struct Walker<'a> {
    bytes: &'a [u8],
    lines: Vec<MachineLine<'a>>,
    verified: Vec<Verified<'a>>,
    expected_prev: &'a str,
    /// Where the text after the last verified entry starts, and its line number.
    prev_end: usize,
    prev_end_line: usize,
    /// Line and explanation of the first torn block.
    first_torn: Option<(usize, String)>,
    torn_count: usize,
    buffer: String,
}

impl<'a> Walker<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        let lines = machine_lines(bytes);
        Self {
            bytes,
            verified: Vec::with_capacity(lines.len()),
            lines,
            expected_prev: GENESIS_HASH,
            prev_end: 0,
            prev_end_line: 1,
            first_torn: None,
            torn_count: 0,
            buffer: String::with_capacity(1024),
        }
    }

    fn run(mut self) -> (VerifyReport, Vec<String>) {
        let walked = self.walk();
        let verified = match &walked {
            Ok(()) => self.verified.len(),
            Err(problem) => problem.entries.min(self.verified.len()),
        };
        let hashes: Vec<String> = self.verified[..verified]
            .iter()
            .map(|entry| entry.hash.to_owned())
            .collect();
        let report = match walked {
            Ok(()) => self.finish(),
            Err(problem) => VerifyReport {
                entries: problem.entries as u64,
                last_hash: problem
                    .entries
                    .checked_sub(1)
                    .and_then(|index| self.verified.get(index))
                    .map(|entry| entry.hash.to_owned()),
                outcome: VerifyOutcome::Damaged {
                    seq: problem.seq,
                    line: problem.line,
                    problem: problem.problem,
                    message: problem.message,
                },
            },
        };
        (report, hashes)
    }

    fn finish(self) -> VerifyReport {
        let entries = self.verified.len() as u64;
        let last_hash = self.verified.last().map(|entry| entry.hash.to_owned());
        let outcome = match self.first_torn {
            None => VerifyOutcome::Intact,
            Some((line, mut message)) => {
                if self.torn_count > 1 {
                    message.push_str(&format!(" ({} torn blocks in all)", self.torn_count));
                }
                VerifyOutcome::Torn { line, message }
            }
        };
        VerifyReport {
            entries,
            last_hash,
            outcome,
        }
    }

    fn walk(&mut self) -> Result<(), Problem> {
        for index in 0..self.lines.len() {
            self.check_entry(index)?;
        }
        let torn = self.check_gap(self.prev_end, self.bytes.len(), self.prev_end_line)?;
        self.note_torn(torn);
        Ok(())
    }

    fn check_entry(&mut self, index: usize) -> Result<(), Problem> {
        let machine = self.lines[index];
        let mut fields = machine
            .fields()
            .map_err(|message| self.malformed_at(&machine, message))?;
        fields.prev = self.full_prev(index, fields.prev);
        let (seq, block_start) = match fields.encoding {
            Encoding::Full => self.check_full_entry(&machine, &fields)?,
            Encoding::Compact => self.check_compact_entry(&machine, &fields)?,
        };
        let rendered_lines = count_newlines(&self.bytes[block_start..machine.start]);
        let heading_line = machine.line - rendered_lines;

        let torn = self.check_gap(self.prev_end, block_start, self.prev_end_line)?;
        self.note_torn(torn);

        let expected_seq = self.expected_seq();
        if seq != expected_seq || fields.prev != self.expected_prev {
            return Err(self.classify(index, seq, &fields, heading_line, torn));
        }
        self.verified.push(Verified {
            seq,
            hash: fields.hash,
            prev: fields.prev,
            heading_line,
        });
        self.expected_prev = fields.hash;

        let rest = &self.bytes[machine.end..];
        if rest.starts_with(b"\n\n") {
            self.prev_end = machine.end + 2;
            self.prev_end_line = machine.line + 2;
        } else if index + 1 == self.lines.len() && (rest.is_empty() || rest == b"\n") {
            // The block's bytes went out in one write, so only a crash leaves it without its
            // final newline(s). Its content verified; the next append adds what is missing.
            self.note_torn_with(
                heading_line,
                format!(
                    "entry {seq} at line {heading_line} lacks the blank line that ends it (its \
                     write was cut short); its content verifies and the next append completes it"
                ),
            );
            self.prev_end = self.bytes.len();
            self.prev_end_line = machine.line + rest.len();
        } else {
            return Err(self.problem(
                Some(seq),
                machine.line + 1,
                Damage::Malformed,
                format!(
                    "entry {seq}: its machine line is not followed by a blank line (line {})",
                    machine.line + 1
                ),
            ));
        }
        Ok(())
    }

    /// A full (v1) entry: its JSON hashes to its hash, and its visible text is what the JSON
    /// renders to. Returns its seq and where its block starts.
    fn check_full_entry(
        &mut self,
        machine: &MachineLine<'a>,
        fields: &MachineFields<'a>,
    ) -> Result<(u64, usize), Problem> {
        let content = fields
            .content()
            .map_err(|message| self.malformed_at(machine, message))?;
        let seq = content.seq;

        if chain_hash(fields.prev, fields.json) != fields.hash {
            return Err(self.problem(
                Some(seq),
                machine.line,
                Damage::Edited,
                format!(
                    "entry {seq}: the JSON in its machine line (line {}) does not match its hash",
                    machine.line
                ),
            ));
        }

        // Entries written before hidden characters were escaped in the visible text are
        // recognised by raw ones in their (hashed) JSON, and rendered the way they were then.
        let escapes = if written_with_legacy_escapes(fields.json) {
            Escapes::Legacy
        } else {
            Escapes::Current
        };
        self.buffer.clear();
        render_visible_with(&content.view(), escapes, &mut self.buffer);
        let rendered = self.buffer.as_bytes();
        let block_start = machine.start.checked_sub(rendered.len()).filter(|start| {
            *start >= self.prev_end && &self.bytes[*start..machine.start] == rendered
        });
        let Some(block_start) = block_start else {
            let line = self.first_visible_difference(seq, machine);
            return Err(self.problem(
                Some(seq),
                line,
                Damage::Edited,
                format!("entry {seq}: the visible text at line {line} differs from what its machine line records"),
            ));
        };
        Ok((seq, block_start))
    }

    /// A compact (v2) entry: its visible text reads back, with the machine line's JSON, into a
    /// content that renders to exactly that text and hashes to its hash.
    fn check_compact_entry(
        &mut self,
        machine: &MachineLine<'a>,
        fields: &MachineFields<'a>,
    ) -> Result<(u64, usize), Problem> {
        let seq = fields
            .seq()
            .map_err(|message| self.malformed_at(machine, message))?;
        let region_start = self.prev_end.min(machine.start);
        let region = &self.bytes[region_start..machine.start];
        let (content, offset) = match fields.content_after(region) {
            Ok(found) => found,
            Err(message) => {
                let line =
                    self.heading_before(machine.start)
                        .map_or(machine.line, |(offset, _)| {
                            self.prev_end_line
                                + count_newlines(
                                    &self.bytes[region_start..offset.max(region_start)],
                                )
                        });
                return Err(self.problem(
                    Some(seq),
                    line,
                    Damage::Edited,
                    format!("entry {seq} (line {line}): {message}"),
                ));
            }
        };
        let block_start = region_start + offset;
        let canonical = content
            .into_entry(fields.prev.to_owned(), fields.hash.to_owned())
            .canonical_json()
            .map_err(|error| self.malformed_at(machine, error.to_string()))?;
        // A short `prev` that names no entry in the file cannot be hashed; the entry then does
        // not continue the chain either, and that is what the walk reports.
        let prev_known = fields.prev.len() == GENESIS_HASH.len();
        if prev_known && chain_hash(fields.prev, canonical.as_bytes()) != fields.hash {
            let line = self.prev_end_line + count_newlines(&self.bytes[region_start..block_start]);
            return Err(self.problem(
                Some(seq),
                line,
                Damage::Edited,
                format!(
                    "entry {seq} at line {line}: its text or machine line (line {}) was changed after it was written (the hash does not match)",
                    machine.line
                ),
            ));
        }
        Ok((seq, block_start))
    }

    /// The full hash a compact line's short `prev` names: the chain's expected one, else a
    /// verified entry's, else a later line's (for naming reordering); the short one as it
    /// stands when none matches.
    fn full_prev(&self, index: usize, prev: &'a str) -> &'a str {
        if prev.len() == 64 {
            return prev;
        }
        if names_hash(prev, self.expected_prev) {
            return self.expected_prev;
        }
        let verified =
            std::iter::once(GENESIS_HASH).chain(self.verified.iter().map(|entry| entry.hash));
        let later = self.lines[index + 1..]
            .iter()
            .filter_map(|machine| machine.fields().ok().map(|fields| fields.hash));
        verified
            .chain(later)
            .find(|hash| names_hash(prev, hash))
            .unwrap_or(prev)
    }

    fn expected_seq(&self) -> u64 {
        self.verified.last().map_or(1, |entry| entry.seq + 1)
    }

    fn note_torn(&mut self, torn: Option<usize>) {
        if let Some(line) = torn {
            self.note_torn_with(
                line,
                format!(
                    "the entry starting at line {line} was cut off while it was being written \
                     (for example by a crash); it is not part of the chain, and every complete \
                     entry verifies"
                ),
            );
        }
    }

    fn note_torn_with(&mut self, line: usize, message: String) {
        self.torn_count += 1;
        if self.first_torn.is_none() {
            self.first_torn = Some((line, message));
        }
    }

    /// Checks the text in `[start, end)` that lies between two entries (or before the first, or
    /// after the last). Returns the line where a torn block starts, if there is one.
    fn check_gap(
        &self,
        start: usize,
        end: usize,
        start_line: usize,
    ) -> Result<Option<usize>, Problem> {
        if start >= end {
            return Ok(None);
        }
        let is_header = self.verified.is_empty();
        let region = &self.bytes[start..end];
        let body = region.strip_suffix(b"\n").unwrap_or(region);
        for (line_number, line) in (start_line..).zip(body.split(|&byte| byte == b'\n')) {
            if looks_like_heading(line) {
                return Ok(Some(line_number));
            }
            if !is_header {
                return Err(self.problem(
                    None,
                    line_number,
                    Damage::Inserted,
                    format!(
                        "line {line_number}: text that belongs to no entry, after entry {}",
                        self.expected_seq() - 1
                    ),
                ));
            }
            if line.starts_with(MACHINE_FAMILY) {
                return Err(self.problem(
                    None,
                    line_number,
                    Damage::Malformed,
                    format!("line {line_number}: a broken machine line before the first entry"),
                ));
            }
        }
        Ok(None)
    }

    fn problem(&self, seq: Option<u64>, line: usize, problem: Damage, message: String) -> Problem {
        Problem {
            seq,
            line,
            problem,
            message,
            entries: self.verified.len(),
        }
    }

    fn malformed_at(&self, machine: &MachineLine<'_>, message: String) -> Problem {
        let seq = self
            .heading_before(machine.start)
            .and_then(|(_, heading)| seq_from_heading(heading));
        self.problem(
            seq,
            machine.line,
            Damage::Malformed,
            format!("line {}: {message}", machine.line),
        )
    }

    /// The last line starting with `### ` between the previous entry and `end`, with its offset.
    fn heading_before(&self, end: usize) -> Option<(usize, &'a [u8])> {
        let region = &self.bytes[self.prev_end.min(end)..end];
        let mut found = None;
        let mut offset = 0;
        for line in region.split(|&byte| byte == b'\n') {
            if line.starts_with(HEADING_PREFIX) {
                found = Some((self.prev_end + offset, line));
            }
            offset += line.len() + 1;
        }
        found
    }

    /// The line where the visible text of an entry first departs from its rendering. Aligns on
    /// the entry's heading when it can be found, else on the end of the previous entry.
    fn first_visible_difference(&self, seq: u64, machine: &MachineLine<'_>) -> usize {
        let region_end = machine.start.max(self.prev_end);
        let numbered = format!("### {seq} ");
        let region = &self.bytes[self.prev_end.min(region_end)..region_end];
        let mut start = self.prev_end;
        let mut offset = 0;
        for line in region.split(|&byte| byte == b'\n') {
            if line.starts_with(numbered.as_bytes()) {
                start = self.prev_end + offset;
            }
            offset += line.len() + 1;
        }
        let start = start.min(region_end);
        let start_line =
            self.prev_end_line + count_newlines(&self.bytes[self.prev_end.min(start)..start]);
        let actual = self.bytes[start..region_end].split(|&byte| byte == b'\n');
        let expected = self.buffer.as_bytes().split(|&byte| byte == b'\n');
        let mut line = start_line;
        for (actual_line, expected_line) in actual.zip(expected) {
            if actual_line != expected_line {
                return line;
            }
            line += 1;
        }
        line.min(machine.line)
    }
}

/// A line that starts an entry block, or could be the first bytes of one cut off mid-write.
fn looks_like_heading(line: &[u8]) -> bool {
    !line.is_empty() && (line.starts_with(HEADING_PREFIX) || HEADING_PREFIX.starts_with(line))
}

fn seq_from_heading(heading: &[u8]) -> Option<u64> {
    let rest = heading.strip_prefix(HEADING_PREFIX)?;
    let digits = rest.iter().take_while(|byte| byte.is_ascii_digit()).count();
    std::str::from_utf8(&rest[..digits]).ok()?.parse().ok()
}

fn count_newlines(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&byte| byte == b'\n').count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heading_prefixes_count_as_torn_starts() {
        assert!(looks_like_heading(b"#"));
        assert!(looks_like_heading(b"### 4 \xc2"));
        assert!(!looks_like_heading(b""));
        assert!(!looks_like_heading(b"# Audit log"));
    }

    #[test]
    fn reads_seq_from_heading() {
        assert_eq!(seq_from_heading(b"### 17 \xc2\xb7 x"), Some(17));
        assert_eq!(seq_from_heading(b"### x"), None);
    }

    #[test]
    fn empty_input_is_intact_with_no_entries() {
        let report = verify_bytes(b"");
        assert_eq!(report.entries, 0);
        assert_eq!(report.outcome, VerifyOutcome::Intact);
        assert_eq!(report.last_hash, None);
    }
}
