//! The audit writer: appends one sealed entry per call, under an exclusive file lock, with one
//! `write_all` and an `fsync` before the lock is released.
//!
//! Does not verify the log (it trusts the last complete machine line as the chain tail) and never
//! rewrites bytes already in the file.
//!
//! Torn tails. A crash can leave the last block cut short. The writer leaves those bytes where
//! they are and, in the same write as the next entry, first adds what makes the file end in a
//! blank line again (a newline, a closing code fence if the cut-off block was inside one, and the
//! blank line). The new entry chains from the last entry whose machine line is complete, and
//! takes the next sequence number, so `verify` reports the cut-off block as torn, not as damage,
//! and every entry after it verifies. When only the final newlines of a block are missing, its
//! machine line is complete: the writer adds the newlines and chains from that entry.

use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use fs_err::File;
use time::OffsetDateTime;

use crate::anchor::{tail_holds, AuditHead, HeadFile};
use crate::compact::push_compact_machine_line;
use crate::entry::{format_timestamp, AuditEntry, AuditRecord, GENESIS_HASH};
use crate::reader::{is_complete_machine_line, MachineLine};
use crate::redact::redact_value;
use crate::render::{render_visible, EntryView, HEADER};
use crate::AuditError;

/// First look-back window when searching the end of the file for the last machine line.
const TAIL_WINDOW: u64 = 16 * 1024;

type Clock = Box<dyn Fn() -> OffsetDateTime + Send>;

/// Appends entries to one AUDIT_LOG.md. Several writers, in this process or others, may append
/// to the same file at once; the file lock orders them.
pub struct AuditWriter {
    path: PathBuf,
    file: File,
    tail: Option<Tail>,
    clock: Clock,
    buffer: String,
    /// Where the head of the chain is kept, when the caller keeps one.
    head_file: Option<HeadFile>,
    /// The last entry appended without an fsync ([`AuditWriter::append_all_unsynced`]), whose
    /// head is recorded by the next [`AuditWriter::sync`].
    unsynced: Option<AuditHead>,
}

/// What the writer knows about the end of the file, valid while the file length is unchanged.
#[derive(Debug, Clone, PartialEq)]
struct Tail {
    length: u64,
    seq: u64,
    hash: String,
    /// Text to write before the next entry so it starts on a clean line (empty normally).
    separator: String,
}

impl std::fmt::Debug for AuditWriter {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("AuditWriter")
            .field("path", &self.path)
            .field("tail", &self.tail)
            .finish_non_exhaustive()
    }
}

impl AuditWriter {
    /// Opens (creating it and its parent directories if needed) the log at `path` for appending.
    /// A new or empty file gets the header right away. The file itself must not be a symbolic
    /// or hard link; directories above it are trusted (see [`AuditWriter::open_anchored`]).
    pub fn open(path: &Path) -> Result<Self, AuditError> {
        let parent = path
            .parent()
            .filter(|parent| !parent.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        if !parent.exists() {
            fs_err::create_dir_all(parent)?;
        }
        Self::open_with(parent, path, None)
    }

    /// Opens the log at `path` without following a link at any component below `trusted` (the
    /// project root), refusing a log that is a symbolic or hard link, and keeps the head of the
    /// chain in `head`. Refuses a log that no longer holds the head recorded there.
    pub fn open_anchored(trusted: &Path, path: &Path, head: HeadFile) -> Result<Self, AuditError> {
        Self::open_with(trusted, path, Some(head))
    }

    fn open_with(
        trusted: &Path,
        path: &Path,
        head_file: Option<HeadFile>,
    ) -> Result<Self, AuditError> {
        let file = agentctl_safe_fs::open(trusted, path, agentctl_safe_fs::Access::Append, true)?;
        let file = File::from_parts(file, path);
        let mut writer = Self {
            path: path.to_path_buf(),
            file,
            tail: None,
            clock: Box::new(OffsetDateTime::now_utc),
            buffer: String::with_capacity(4096),
            head_file,
            unsynced: None,
        };
        writer.with_lock(|writer| {
            let length = writer.file.metadata()?.len();
            if length == 0 {
                writer.file.write_all(HEADER.as_bytes())?;
                writer.file.sync_data()?;
            }
            if writer.head_file.is_some() {
                let length = writer.file.metadata()?.len();
                let tail = read_tail(&mut writer.file, length)?;
                writer.check_head(&tail)?;
                writer.tail = Some(tail);
            }
            Ok(())
        })?;
        Ok(writer)
    }

    /// Refuses a log whose end is not at or past the recorded head.
    fn check_head(&self, tail: &Tail) -> Result<(), AuditError> {
        let Some(head_file) = &self.head_file else {
            return Ok(());
        };
        match head_file.read()? {
            Some(head) if !tail_holds(&head, tail.seq, &tail.hash) => Err(AuditError::Shortened {
                path: self.path.clone(),
                entries: head.entries,
                at: head.at,
                found: tail.seq,
            }),
            _ => Ok(()),
        }
    }

    /// Records the new head after an append.
    fn record_head(&self, entry: &AuditEntry) -> Result<(), AuditError> {
        match &self.head_file {
            Some(head_file) => head_file.write(&AuditHead {
                entries: entry.seq,
                hash: entry.hash.clone(),
                at: entry.at.clone(),
            }),
            None => Ok(()),
        }
    }

    /// Replaces the clock that stamps `at` (tests use a fixed one for stable output).
    pub fn with_clock(mut self, clock: impl Fn() -> OffsetDateTime + Send + 'static) -> Self {
        self.clock = Box::new(clock);
        self
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends one entry and returns it as written. String details are passed through
    /// [`crate::redact`] first, so a secret a caller forgot to scrub still never reaches the file.
    pub fn append(&mut self, mut record: AuditRecord) -> Result<AuditEntry, AuditError> {
        for value in record.details.values_mut() {
            redact_value(value);
        }
        self.with_lock(|writer| writer.append_locked(record))
    }

    /// Appends several records under one lock with one write and one fsync. A crash mid-write
    /// leaves a prefix: complete entries verify, a cut one is reported as torn.
    pub fn append_all(&mut self, records: Vec<AuditRecord>) -> Result<Vec<AuditEntry>, AuditError> {
        if records.is_empty() {
            return Ok(Vec::new());
        }
        let mut records = records;
        for record in &mut records {
            for value in record.details.values_mut() {
                redact_value(value);
            }
        }
        self.with_lock(|writer| writer.append_all_locked(records, true))
    }

    /// Appends like [`AuditWriter::append_all`] but without the fsync, and without recording
    /// the head: for a caller that already holds the records durably elsewhere (a run's journal)
    /// and calls [`AuditWriter::sync`] before it lets go of them. A crash of the process loses
    /// nothing (the bytes are in the page cache); only a power loss can, and then the caller
    /// appends again what the log lacks.
    pub fn append_all_unsynced(
        &mut self,
        records: Vec<AuditRecord>,
    ) -> Result<Vec<AuditEntry>, AuditError> {
        if records.is_empty() {
            return Ok(Vec::new());
        }
        let mut records = records;
        for record in &mut records {
            for value in record.details.values_mut() {
                redact_value(value);
            }
        }
        self.with_lock(|writer| writer.append_all_locked(records, false))
    }

    /// Makes every earlier unsynced append durable (one fsync) and records the head of the
    /// chain. When another writer appended since, its own synced append recorded a newer head,
    /// so this one is not written over it.
    pub fn sync(&mut self) -> Result<(), AuditError> {
        let Some(head) = self.unsynced.take() else {
            return Ok(());
        };
        self.with_lock(|writer| {
            writer.file.sync_data()?;
            let length = writer.file.metadata()?.len();
            let unchanged = writer
                .tail
                .as_ref()
                .is_some_and(|tail| tail.length == length && tail.seq == head.entries);
            match &writer.head_file {
                Some(head_file) if unchanged => head_file.write(&head),
                _ => Ok(()),
            }
        })
    }

    /// Like [`AuditWriter::sync`] without recording the head: for a caller whose next synced
    /// append records a newer head anyway (one head-file write instead of two). Until then the
    /// head is still owed, and a later [`AuditWriter::sync`] records it.
    pub fn sync_entries(&mut self) -> Result<(), AuditError> {
        if self.unsynced.is_none() {
            return Ok(());
        }
        Ok(self.file.sync_data()?)
    }

    fn append_all_locked(
        &mut self,
        records: Vec<AuditRecord>,
        durable: bool,
    ) -> Result<Vec<AuditEntry>, AuditError> {
        let length = self.file.metadata()?.len();
        let tail = match self.tail.take() {
            Some(tail) if tail.length == length => tail,
            _ => {
                let tail = read_tail(&mut self.file, length)?;
                self.check_head(&tail)?;
                tail
            }
        };
        self.buffer.clear();
        self.buffer.push_str(&tail.separator);
        let (mut seq, mut hash) = (tail.seq, tail.hash);
        let mut entries = Vec::with_capacity(records.len());
        for record in records {
            let at = format_timestamp((self.clock)());
            let (entry, _) = AuditEntry::seal(seq + 1, at, hash, record)?;
            push_block(&mut self.buffer, &entry);
            self.buffer.push_str("\n\n");
            seq = entry.seq;
            hash = entry.hash.clone();
            entries.push(entry);
        }
        self.file.write_all(self.buffer.as_bytes())?;
        if durable {
            self.file.sync_data()?;
            // The fsync covered earlier unsynced appends too; the head recorded now is newer.
            self.unsynced = None;
            if let Some(last) = entries.last() {
                self.record_head(last)?;
            }
        } else if let Some(last) = entries.last() {
            self.unsynced = Some(AuditHead {
                entries: last.seq,
                hash: last.hash.clone(),
                at: last.at.clone(),
            });
        }
        self.tail = Some(Tail {
            length: length + self.buffer.len() as u64,
            seq,
            hash,
            separator: String::new(),
        });
        Ok(entries)
    }

    fn append_locked(&mut self, record: AuditRecord) -> Result<AuditEntry, AuditError> {
        let length = self.file.metadata()?.len();
        let tail = match self.tail.take() {
            Some(tail) if tail.length == length => tail,
            _ => {
                let tail = read_tail(&mut self.file, length)?;
                self.check_head(&tail)?;
                tail
            }
        };
        let at = format_timestamp((self.clock)());
        let (entry, _) = AuditEntry::seal(tail.seq + 1, at, tail.hash, record)?;

        self.buffer.clear();
        self.buffer.push_str(&tail.separator);
        push_block(&mut self.buffer, &entry);
        self.buffer.push_str("\n\n");

        // One write_all: with O_APPEND and the lock held, the block lands whole and contiguous,
        // or (on a crash) as a prefix that verify reports as torn.
        self.file.write_all(self.buffer.as_bytes())?;
        self.file.sync_data()?;
        self.unsynced = None;
        self.record_head(&entry)?;
        self.tail = Some(Tail {
            length: length + self.buffer.len() as u64,
            seq: entry.seq,
            hash: entry.hash.clone(),
            separator: String::new(),
        });
        Ok(entry)
    }

    fn with_lock<T>(
        &mut self,
        action: impl FnOnce(&mut Self) -> Result<T, AuditError>,
    ) -> Result<T, AuditError> {
        fs4::FileExt::lock(self.file.file()).map_err(|source| AuditError::Lock {
            path: self.path.clone(),
            source,
        })?;
        let result = action(self);
        if result.is_err() {
            // After a failed write the cached tail may be wrong; read it again next time.
            self.tail = None;
        }
        let unlocked = fs4::FileExt::unlock(self.file.file()).map_err(|source| AuditError::Lock {
            path: self.path.clone(),
            source,
        });
        let value = result?;
        unlocked?;
        Ok(value)
    }
}

/// Appends the visible text and compact machine line of `entry` (without the final blank line).
fn push_block(buffer: &mut String, entry: &AuditEntry) {
    let visible_start = buffer.len();
    render_visible(&EntryView::of(entry), buffer);
    let visible = buffer[visible_start..].to_owned();
    push_compact_machine_line(buffer, entry, &visible);
}

/// Reads backwards from the end of the file, widening the window until it holds the last
/// complete machine line (or the whole file), so an append never rereads the whole log.
fn read_tail(file: &mut File, length: u64) -> Result<Tail, AuditError> {
    if length == 0 {
        return Ok(Tail {
            length,
            seq: 0,
            hash: GENESIS_HASH.to_owned(),
            separator: HEADER.to_owned(),
        });
    }
    let mut window = TAIL_WINDOW.min(length);
    loop {
        let start = length - window;
        let mut bytes = Vec::with_capacity(window as usize);
        file.seek(SeekFrom::Start(start))?;
        Read::take(&mut *file, window).read_to_end(&mut bytes)?;
        if let Some((seq, hash, line_end)) = last_readable_entry(&bytes, start == 0) {
            return Ok(Tail {
                length,
                seq,
                hash,
                separator: separator_after(&bytes[line_end..], &bytes),
            });
        }
        if start == 0 {
            // No readable entry at all: header only, perhaps with a torn first entry.
            return Ok(Tail {
                length,
                seq: 0,
                hash: GENESIS_HASH.to_owned(),
                separator: separator_after(&bytes, &bytes),
            });
        }
        window = (window * 4).min(length);
    }
}

/// Sequence number, hash and end offset of the last machine line in `bytes` that reads as an
/// entry. The first line of the window only counts when the window starts the file, since
/// otherwise it may be the cut-off end of a longer line.
fn last_readable_entry(bytes: &[u8], starts_at_file_start: bool) -> Option<(u64, String, usize)> {
    let mut end = bytes.len();
    loop {
        let newline = bytes[..end].iter().rposition(|&byte| byte == b'\n');
        let start = match newline {
            Some(position) => position + 1,
            None if starts_at_file_start => 0,
            None => return None,
        };
        let line = &bytes[start..end];
        if is_complete_machine_line(line) {
            if let Some((seq, hash)) = seq_and_hash(line) {
                return Some((seq, hash, end));
            }
        }
        end = newline?;
    }
}

fn seq_and_hash(line: &[u8]) -> Option<(u64, String)> {
    let machine = MachineLine {
        line: 0,
        start: 0,
        end: line.len(),
        text: line,
    };
    let fields = machine.fields().ok()?;
    Some((fields.seq().ok()?, fields.hash.to_owned()))
}

/// What to write before the next entry, given the bytes after the last complete machine line
/// (`trailer`) and the window that ends the file (`file_end`): whatever makes the file end in a
/// blank line outside any code fence.
fn separator_after(trailer: &[u8], file_end: &[u8]) -> String {
    let mut separator = String::new();
    if !file_end.is_empty() && !file_end.ends_with(b"\n") {
        separator.push('\n');
    }
    if let Some(fence) = open_fence(trailer) {
        separator.extend(std::iter::repeat_n('`', fence));
        separator.push('\n');
    }
    let mut last_bytes = file_end[file_end.len().saturating_sub(2)..].to_vec();
    last_bytes.extend_from_slice(separator.as_bytes());
    if !file_end.is_empty() && !last_bytes.ends_with(b"\n\n") {
        separator.push('\n');
    }
    separator
}

/// The length of a code fence left open in `text`, if any. Fences in rendered entries are lines
/// made only of backticks, and no other line of a block is.
fn open_fence(text: &[u8]) -> Option<usize> {
    let mut open: Option<usize> = None;
    for line in text.split(|&byte| byte == b'\n') {
        if line.len() < 3 || !line.iter().all(|&byte| byte == b'`') {
            continue;
        }
        open = match open {
            None => Some(line.len()),
            Some(length) if line.len() >= length => None,
            still_open => still_open,
        };
    }
    open
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::push_machine_line;

    #[test]
    fn separator_for_clean_and_torn_ends() {
        assert_eq!(separator_after(b"\n\n", b"x -->\n\n"), "");
        assert_eq!(separator_after(b"\n", b"x -->\n"), "\n");
        assert_eq!(separator_after(b"", b"x -->"), "\n\n");
        assert_eq!(
            separator_after(b"\n\n### 3 \xc2\xb7 2026", b"### 3 \xc2\xb7 2026"),
            "\n\n"
        );
        assert_eq!(
            separator_after(b"\n\n### 3\n\n- diff:\n\n````\n+a\n", b"+a\n"),
            "````\n\n"
        );
    }

    #[test]
    fn open_fence_tracks_length() {
        assert_eq!(open_fence(b"```\nx\n```\n"), None);
        assert_eq!(open_fence(b"````\n```\nx"), Some(4));
        assert_eq!(open_fence(b"``\n"), None);
    }

    #[test]
    fn last_readable_entry_ignores_a_partial_first_line() {
        let (entry, canonical) = AuditEntry::seal(
            4,
            "2026-11-22T05:00:00.123Z".to_owned(),
            GENESIS_HASH.to_owned(),
            AuditRecord::new(agentctl_protocol::EventKind::Handoff),
        )
        .unwrap();
        let mut line = String::new();
        push_machine_line(&mut line, &entry.hash, &entry.prev, &canonical);
        let window = format!("{line}\n\n### 5");
        assert_eq!(
            last_readable_entry(window.as_bytes(), true),
            Some((4, entry.hash.clone(), line.len()))
        );
        assert_eq!(last_readable_entry(&window.as_bytes()[1..], false), None);
    }

    #[test]
    fn unsynced_appends_record_the_head_only_when_synced() {
        let directory = tempfile::tempdir().unwrap();
        let log = directory.path().join("AUDIT_LOG.md");
        let head = HeadFile {
            trusted: directory.path().to_path_buf(),
            path: directory.path().join("audit-head.json"),
        };
        let mut writer = AuditWriter::open_anchored(directory.path(), &log, head.clone()).unwrap();
        let record = || AuditRecord::new(agentctl_protocol::EventKind::Handoff);
        writer.append_all(vec![record()]).unwrap();
        assert_eq!(head.read().unwrap().unwrap().entries, 1);
        let entries = writer
            .append_all_unsynced(vec![record(), record()])
            .unwrap();
        assert_eq!(entries.len(), 2);
        assert_eq!(
            head.read().unwrap().unwrap().entries,
            1,
            "head waits for the sync"
        );
        writer.sync().unwrap();
        let recorded = head.read().unwrap().unwrap();
        assert_eq!(
            (recorded.entries, recorded.hash.as_str()),
            (3, entries[1].hash.as_str())
        );
        // Another writer appended in between: its head stays.
        writer.append_all_unsynced(vec![record()]).unwrap();
        let mut other = AuditWriter::open_anchored(directory.path(), &log, head.clone()).unwrap();
        other.append_all(vec![record()]).unwrap();
        writer.sync().unwrap();
        assert_eq!(head.read().unwrap().unwrap().entries, 5);
        assert_eq!(
            crate::verify(&log).unwrap().outcome,
            crate::VerifyOutcome::Intact
        );
    }
}
