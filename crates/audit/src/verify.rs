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
//!
//! Reading: [`verify`] streams. It reads the file in chunks of about a mebibyte and walks the
//! entries whose blocks are complete in the chunk, keeping only the text after the last verified
//! entry for the next chunk and the head of the chain (last sequence number and hash) between
//! chunks, so memory stays at a chunk plus the longest entry whatever the size of the log. Every
//! rule above only looks at one entry and the text right before it, so a chunked walk finds
//! exactly what a walk over the whole file finds. Naming damage is the exception (was an entry
//! removed, inserted or moved?): that compares the entry with every entry before and after it,
//! so when a chunk shows a problem the file is read whole and walked again to name it. An intact
//! or torn log is never held in memory; a damaged one is, once.

use std::io::Read;
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

/// Verifies the audit log at `path`, streaming (see the module documentation). I/O problems are
/// errors; damage is an outcome.
pub fn verify(path: &Path) -> Result<VerifyReport, AuditError> {
    verify_file(path, |_, _| {})
}

/// How many bytes a streaming walk reads at a time.
const CHUNK_BYTES: usize = 1024 * 1024;

/// Verifies the log at `path` in chunks, calling `each_verified(seq, hash)` for every entry that
/// verified, in order. When damage is found the whole file is walked again to name it, and
/// `each_verified` is called again from entry 1; callers must let a later call for the same
/// `seq` replace an earlier one, and ignore entries after the report's `entries`.
pub(crate) fn verify_file(
    path: &Path,
    each_verified: impl FnMut(u64, &str),
) -> Result<VerifyReport, AuditError> {
    let file = match fs_err::File::open(path) {
        Ok(file) => file,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            return Err(AuditError::NotFound {
                path: path.to_path_buf(),
            })
        }
        Err(error) => return Err(error.into()),
    };
    match verify_stream(file, CHUNK_BYTES, each_verified)? {
        Streamed::Verified(report) => Ok(report),
        Streamed::Damaged(mut each_verified) => {
            let bytes = read_log(path)?;
            let (report, hashes) = verify_chain(&bytes);
            for (index, hash) in hashes.iter().enumerate() {
                each_verified(index as u64 + 1, hash);
            }
            Ok(report)
        }
    }
}

/// What a streaming walk ended with: a report, or damage to be named by a whole-file walk (the
/// callback is handed back for it).
enum Streamed<F> {
    Verified(VerifyReport),
    Damaged(F),
}

/// The head of the chain carried from one chunk to the next.
struct ChainHead {
    entries: u64,
    last_seq: Option<u64>,
    last_hash: Option<String>,
    /// Line number of the first byte kept for the next chunk.
    line: usize,
    first_torn: Option<(usize, String)>,
    torn_count: usize,
}

fn verify_stream<F: FnMut(u64, &str)>(
    mut source: impl Read,
    chunk_bytes: usize,
    mut each_verified: F,
) -> Result<Streamed<F>, AuditError> {
    let mut head = ChainHead {
        entries: 0,
        last_seq: None,
        last_hash: None,
        line: 1,
        first_torn: None,
        torn_count: 0,
    };
    // The bytes after the last verified entry, then what was read since.
    let mut window: Vec<u8> = Vec::with_capacity(chunk_bytes + 64 * 1024);
    loop {
        let before = window.len();
        let read = (&mut source)
            .take(chunk_bytes as u64)
            .read_to_end(&mut window)?;
        let at_end = read == 0 || window.len() - before < chunk_bytes;
        // Only whole lines are walked before the end; the rest waits for the next chunk.
        let usable = if at_end {
            window.len()
        } else {
            memchr::memrchr(b'\n', &window).map_or(0, |newline| newline + 1)
        };
        let mut walker = Walker::resume(&window[..usable], &head, at_end);
        if walker.walk().is_err() {
            return Ok(Streamed::Damaged(each_verified));
        }
        for entry in &walker.verified {
            each_verified(entry.seq, entry.hash);
        }
        let walked = walker.verified.len() as u64;
        let last = walker
            .verified
            .last()
            .map(|entry| (entry.seq, entry.hash.to_owned()));
        let torn = walker.first_torn.take();
        let torn_count = walker.torn_count;
        let consumed = walker.prev_end;
        let next_line = walker.prev_end_line;
        drop(walker);
        head.entries += walked;
        if let Some((seq, hash)) = last {
            head.last_seq = Some(seq);
            head.last_hash = Some(hash);
        }
        if let Some(torn) = torn {
            head.first_torn.get_or_insert(torn);
        }
        head.torn_count += torn_count;
        head.line = next_line;
        if at_end {
            return Ok(Streamed::Verified(head.report()));
        }
        window.drain(..consumed);
    }
}

impl ChainHead {
    fn report(self) -> VerifyReport {
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
            entries: self.entries,
            last_hash: self.last_hash,
            outcome,
        }
    }
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
    /// Entries verified in earlier chunks, and the last one's number (a streaming walk).
    entries_before: u64,
    last_seq_before: Option<u64>,
    /// Whether `bytes` reaches the end of the file. Before the end, only entries whose block
    /// is complete in `bytes` are walked and the text after them is left for the next chunk.
    at_end: bool,
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
            entries_before: 0,
            last_seq_before: None,
            at_end: true,
            prev_end: 0,
            prev_end_line: 1,
            first_torn: None,
            torn_count: 0,
            buffer: String::with_capacity(1024),
        }
    }

    /// A walker over one chunk of a streaming walk: `bytes` starts right after the last entry
    /// `head` verified (or at the start of the file).
    fn resume(bytes: &'a [u8], head: &'a ChainHead, at_end: bool) -> Self {
        let mut lines = machine_lines(bytes);
        for machine in &mut lines {
            machine.line += head.line - 1;
        }
        Self {
            bytes,
            verified: Vec::with_capacity(lines.len()),
            lines,
            expected_prev: head.last_hash.as_deref().unwrap_or(GENESIS_HASH),
            entries_before: head.entries,
            last_seq_before: head.last_seq,
            at_end,
            prev_end: 0,
            prev_end_line: head.line,
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
            // Before the end of the file, an entry is walked only with the two bytes after its
            // machine line in hand (its blank line, or the proof that it has none).
            if !self.at_end && self.lines[index].end + 2 > self.bytes.len() {
                return Ok(());
            }
            self.check_entry(index)?;
        }
        if self.at_end {
            let torn = self.check_gap(self.prev_end, self.bytes.len(), self.prev_end_line)?;
            self.note_torn(torn);
        }
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
        self.verified
            .last()
            .map(|entry| entry.seq)
            .or(self.last_seq_before)
            .map_or(1, |seq| seq + 1)
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
        let is_header = self.verified.is_empty() && self.entries_before == 0;
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

    /// A log of `count` entries written by the real writer, and the byte ranges of its entry
    /// blocks (heading to blank line).
    fn written_log(count: usize) -> (Vec<u8>, Vec<std::ops::Range<usize>>) {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("AUDIT_LOG.md");
        let mut writer = crate::AuditWriter::open(&path).unwrap();
        for index in 0..count {
            let mut details = serde_json::Map::new();
            details.insert("path".to_owned(), format!("src/file-{index}.rs").into());
            details.insert("output".to_owned(), "x".repeat(index * 37 % 300).into());
            writer
                .append(crate::AuditRecord {
                    run: None,
                    task: Some(agentctl_protocol::TaskId::new(format!("T-{}", index % 3))),
                    persona: Some("qa-engineer".to_owned()),
                    event: agentctl_protocol::EventKind::parse("tool.allowed").unwrap(),
                    details,
                })
                .unwrap();
        }
        let bytes = std::fs::read(&path).unwrap();
        let mut starts: Vec<usize> = (0..bytes.len())
            .filter(|&at| {
                (at == 0 || bytes[at - 1] == b'\n') && bytes[at..].starts_with(HEADING_PREFIX)
            })
            .collect();
        assert_eq!(starts.len(), count);
        starts.push(bytes.len());
        let blocks = starts.windows(2).map(|pair| pair[0]..pair[1]).collect();
        (bytes, blocks)
    }

    /// The report and verified hashes of a streaming walk in chunks of `chunk_bytes`, naming
    /// damage with a whole-file walk as `verify_file` does.
    fn streamed(bytes: &[u8], chunk_bytes: usize) -> (VerifyReport, Vec<String>) {
        let mut seen = std::collections::BTreeMap::new();
        let report = match verify_stream(bytes, chunk_bytes, |seq, hash| {
            seen.insert(seq, hash.to_owned());
        })
        .unwrap()
        {
            Streamed::Verified(report) => report,
            Streamed::Damaged(_) => {
                let (report, hashes) = verify_chain(bytes);
                seen = (1..).zip(hashes).collect();
                report
            }
        };
        let hashes = seen
            .into_iter()
            .filter(|(seq, _)| *seq <= report.entries)
            .map(|(_, hash)| hash)
            .collect();
        (report, hashes)
    }

    #[test]
    fn streaming_walk_finds_what_the_whole_file_walk_finds() {
        let (intact, blocks) = written_log(12);
        let block = |index: usize| intact[blocks[index].clone()].to_vec();
        let splice = |range: std::ops::Range<usize>, with: &[u8]| {
            let mut changed = intact.clone();
            changed.splice(range, with.iter().copied());
            changed
        };
        let mut edited = intact.clone();
        edited[blocks[4].start + 5] ^= 0x01;
        let mut edited_json = intact.clone();
        // The entry's recorded path value (`src/file-7.rs`): hashed data whatever the encoding.
        let value = blocks[7].start
            + memchr::memmem::find(&intact[blocks[7].clone()], b"src/file-").unwrap();
        edited_json[value + 4] = b'X';
        let mut swapped = block(5);
        swapped.extend(block(4));
        let mut doubled = block(3);
        doubled.extend(block(3));
        let variants: Vec<(&str, Vec<u8>)> = vec![
            ("intact", intact.clone()),
            ("empty", Vec::new()),
            ("header only", intact[..blocks[0].start].to_vec()),
            (
                "torn tail",
                [&intact[..], &b"### 13 \xc2\xb7 cut"[..]].concat(),
            ),
            (
                "torn machine line",
                [&intact[..], &block(11)[..40]].concat(),
            ),
            ("no final blank line", intact[..intact.len() - 1].to_vec()),
            ("no final newlines", intact[..intact.len() - 2].to_vec()),
            (
                "torn in the middle",
                splice(blocks[6].start..blocks[6].start, b"### 7 \xc2\xb7\n"),
            ),
            ("two torn blocks", {
                let once = splice(blocks[6].start..blocks[6].start, b"### 7 \xc2\xb7\n");
                [&once[..], &b"###"[..]].concat()
            }),
            ("edited visible text", edited),
            ("edited json", edited_json),
            ("removed", splice(blocks[6].clone(), b"")),
            (
                "reordered",
                splice(blocks[4].start..blocks[5].end, &swapped),
            ),
            ("duplicated", splice(blocks[3].clone(), &doubled)),
            (
                "inserted text",
                splice(blocks[8].start..blocks[8].start, b"hello\n\n"),
            ),
            (
                "missing blank line",
                splice(blocks[2].end - 1..blocks[2].end, b""),
            ),
        ];
        for (name, bytes) in variants {
            let whole = verify_chain(&bytes);
            for chunk_bytes in [1, 2, 3, 7, 64, 250, 1000, 4096, CHUNK_BYTES] {
                assert_eq!(
                    streamed(&bytes, chunk_bytes),
                    whole,
                    "{name}, chunks of {chunk_bytes} bytes"
                );
            }
        }
    }

    #[test]
    fn streaming_walk_reports_each_entry_before_reading_far_past_it() {
        let (intact, blocks) = written_log(200);
        let chunk_bytes = 512;
        let read_so_far = std::cell::Cell::new(0);
        /// Counts the bytes the walk has read.
        struct Counting<'b> {
            rest: &'b [u8],
            read: &'b std::cell::Cell<usize>,
        }
        impl Read for Counting<'_> {
            fn read(&mut self, buffer: &mut [u8]) -> std::io::Result<usize> {
                let count = self.rest.read(buffer)?;
                self.read.set(self.read.get() + count);
                Ok(count)
            }
        }
        let source = Counting {
            rest: &intact,
            read: &read_so_far,
        };
        let mut last_seq = 0;
        let walked = verify_stream(source, chunk_bytes, |seq, _| {
            assert_eq!(seq, last_seq + 1);
            last_seq = seq;
            let block_end = blocks[seq as usize - 1].end;
            // Entry `seq` was walked with at most one chunk and one entry beyond it read.
            assert!(
                read_so_far.get() <= block_end + chunk_bytes + 2048,
                "entry {seq} ends at byte {block_end} but {} bytes were read",
                read_so_far.get()
            );
        })
        .unwrap();
        let Streamed::Verified(report) = walked else {
            panic!("an intact log needed the whole-file walk");
        };
        assert_eq!(report.outcome, VerifyOutcome::Intact);
        assert_eq!((report.entries, last_seq), (200, 200));
        assert!(intact.len() > 20 * chunk_bytes);
    }

    #[test]
    fn empty_input_is_intact_with_no_entries() {
        let report = verify_bytes(b"");
        assert_eq!(report.entries, 0);
        assert_eq!(report.outcome, VerifyOutcome::Intact);
        assert_eq!(report.last_hash, None);
    }
}
