//! The append-only journal of one run, `.agentctl/runs/RUN_ID/journal.log`, beside its
//! snapshot `state.json`.
//!
//! Every save appends one framed record holding what changed since the previous one: the
//! run's small fields whole (status, counters, the pending action, the audit outbox…), and the
//! conversations as "keep the first N messages, then add these". One `fdatasync` makes the
//! record durable. Replaying the snapshot and then each record gives the state `resume`,
//! `runs show` and the registry read.
//! A new run has no snapshot until its first compaction (at the latest when it pauses, waits
//! or ends): its first record holds the whole state.
//!
//! A frame is `AJR1`, the payload length (u32, little-endian), the JSON payload and the
//! SHA-256 of the payload. A frame cut short at the end of the file (a crash mid-append) is a
//! torn tail: it is dropped, and the process that writes next truncates it and says so in the
//! audit log. A frame that fails its checksum with more bytes after it is damage, reported with
//! the file and offset.
//!
//! Compaction writes the replayed state as a new snapshot (atomically: temporary file, fsync,
//! rename) carrying the sequence number of the last record folded in, then empties the
//! journal. Records at or below the snapshot's number are skipped on replay, so a crash
//! between the rename and the truncation loses nothing and replays nothing twice.
//!
//! Does not know about: the audit log (the recorder writes it; records only carry the outbox),
//! or when to save (the engine decides).

use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use agentctl_protocol::Message;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::run_state::RunState;
use crate::store::{atomic_write, sha256_hex};
use crate::CoreError;

pub const JOURNAL_FILE_NAME: &str = "journal.log";
const MAGIC: [u8; 4] = *b"AJR1";
const HEADER_LENGTH: usize = 8;
const TRAILER_LENGTH: usize = 32;
/// Below this size the journal is not compacted on its own: replaying it is cheap.
const COMPACTION_FLOOR: u64 = 256 * 1024;

type Earlier = (String, Vec<Message>);

/// A conversation change: keep the first `keep` entries, add `inserted`, then the old entries
/// `reuse.0 .. reuse.0 + reuse.1`, then add `added`. The middle part is what the context window
/// leaves when it drops old exchanges (and rewrites its note), so a full window still saves
/// only what is new.
#[derive(Serialize, Deserialize)]
struct Splice<T> {
    keep: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    inserted: Option<T>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    reuse: Option<(usize, usize)>,
    added: T,
}

/// How a list changed from the saved copy to now, as positions (see [`Splice`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Change {
    keep: usize,
    /// `now[keep..inserted_end]` is new.
    inserted_end: usize,
    /// `saved[from..from + count]` follows the inserted entries.
    from: usize,
    count: usize,
}

impl Change {
    fn of<T: PartialEq>(saved: &[T], now: &[T]) -> Change {
        let keep = common_prefix(saved, now);
        // Look for a run of old entries continuing after at most two new ones.
        for inserted_end in keep..now.len().min(keep + 3) {
            let Some(offset) = saved[keep..]
                .iter()
                .position(|entry| *entry == now[inserted_end])
            else {
                continue;
            };
            let from = keep + offset;
            let count = common_prefix(&saved[from..], &now[inserted_end..]);
            return Change {
                keep,
                inserted_end,
                from,
                count,
            };
        }
        Change {
            keep,
            inserted_end: keep,
            from: keep,
            count: 0,
        }
    }

    fn added_start(&self) -> usize {
        self.inserted_end + self.count
    }

    fn splice<'a, T>(&self, now: &'a [T]) -> Splice<&'a [T]> {
        let reused = self.count > 0;
        Splice {
            keep: self.keep,
            inserted: reused.then(|| &now[self.keep..self.inserted_end]),
            reuse: reused.then_some((self.from, self.count)),
            added: &now[self.added_start()..],
        }
    }
}

/// Applies a splice to the old list; `None` when it does not fit it.
fn apply_splice<T>(old: Vec<T>, splice: Splice<Vec<T>>) -> Option<Vec<T>> {
    if splice.keep > old.len() {
        return None;
    }
    let mut old = old;
    let reused: Vec<T> = match splice.reuse {
        Some((from, count)) => {
            let end = from.checked_add(count)?;
            if from < splice.keep || end > old.len() {
                return None;
            }
            old.drain(from..end).collect()
        }
        None => Vec::new(),
    };
    old.truncate(splice.keep);
    old.extend(splice.inserted.unwrap_or_default());
    old.extend(reused);
    old.extend(splice.added);
    Some(old)
}

#[derive(Serialize)]
struct RecordOut<'a> {
    seq: u64,
    /// The state with its conversations taken out.
    state: &'a RunState,
    messages: Splice<&'a [Message]>,
    earlier: Splice<&'a [Earlier]>,
}

#[derive(Deserialize)]
struct RecordIn {
    seq: u64,
    state: RunState,
    messages: Splice<Vec<Message>>,
    earlier: Splice<Vec<Earlier>>,
}

/// A run read back from its snapshot and journal.
pub struct Replayed {
    pub state: RunState,
    /// What a `run.paused` entry records: the SHA-256 of the snapshot's bytes when the journal
    /// adds nothing to it (a pause always compacts), else of the replayed state as JSON.
    pub digest: String,
    /// Bytes of a torn tail dropped from the journal (0 when none).
    pub torn_bytes: u64,
    /// Journal bytes holding whole records.
    valid_length: u64,
    snapshot_length: u64,
}

/// The journal's path in a run directory.
pub fn path(run_dir: &Path) -> PathBuf {
    run_dir.join(JOURNAL_FILE_NAME)
}

/// Whether a run directory holds a saved state: a snapshot, or (a new run before its first
/// compaction) a journal whose first record is whole. A directory with neither is a run whose
/// first save has not happened yet (or was cut short by a crash).
pub fn has_saved_state(run_dir: &Path) -> bool {
    if RunState::path(run_dir).is_file() {
        return true;
    }
    let journal_path = path(run_dir);
    match read_own(&journal_path) {
        Ok(Some(journal)) => {
            split_frames(&journal_path, &journal).map_or(true, |frames| !frames.payloads.is_empty())
        }
        Ok(None) => false,
        // Unreadable: shown as such by whoever loads it.
        Err(_) => true,
    }
}

/// Reads the snapshot and replays the journal over it, without changing any file. A new run
/// has no snapshot until its first compaction: its first record then holds the whole state.
pub fn replay(run_dir: &Path) -> Result<Replayed, CoreError> {
    let snapshot_path = RunState::path(run_dir);
    let snapshot = read_own(&snapshot_path)?;
    let journal_path = path(run_dir);
    let journal = read_own(&journal_path)?.unwrap_or_default();
    let frames = split_frames(&journal_path, &journal)?;
    let not_found = || {
        CoreError::Io(std::io::Error::new(
            std::io::ErrorKind::NotFound,
            format!("{} does not exist", snapshot_path.display()),
        ))
    };
    let mut state: Option<RunState> = match &snapshot {
        Some(snapshot) => Some(RunState::from_snapshot(&snapshot_path, snapshot)?),
        None if frames.payloads.is_empty() => return Err(not_found()),
        None => None,
    };
    let mut applied = 0usize;
    for frame in &frames.payloads {
        let record: RecordIn =
            serde_json::from_slice(frame.bytes).map_err(|error| CoreError::Journal {
                path: journal_path.clone(),
                offset: frame.offset,
                problem: format!("the record cannot be read: {error}"),
            })?;
        let before_seq = state.as_ref().map_or(0, |state| state.journal_seq);
        if record.seq <= before_seq {
            continue; // folded into the snapshot by a compaction the crash cut short
        }
        if record.seq != before_seq + 1 {
            return Err(CoreError::Journal {
                path: journal_path.clone(),
                offset: frame.offset,
                problem: format!(
                    "record {} follows record {}: records are missing",
                    record.seq, before_seq
                ),
            });
        }
        state = Some(apply(state, record, &journal_path, frame.offset)?);
        applied += 1;
    }
    let state = state.ok_or_else(not_found)?;
    let digest = if let (0, Some(snapshot)) = (applied, &snapshot) {
        sha256_hex(snapshot)
    } else {
        let bytes = serde_json::to_vec(&state).map_err(|error| CoreError::RunState {
            path: snapshot_path.clone(),
            message: error.to_string(),
        })?;
        sha256_hex(&bytes)
    };
    Ok(Replayed {
        state,
        digest,
        torn_bytes: journal.len() as u64 - frames.valid_length,
        valid_length: frames.valid_length,
        snapshot_length: snapshot.map_or(0, |snapshot| snapshot.len() as u64),
    })
}

/// One record over the state before it. The audit outbox accumulates: a record's audit entries
/// may not have reached the disk when a later record did, so every outbox since the snapshot is
/// kept, each step once (the recorder skips steps already in the log). Without a state before
/// it (a new run's first record, no snapshot yet) the record starts from empty conversations.
fn apply(
    before: Option<RunState>,
    record: RecordIn,
    journal_path: &Path,
    offset: u64,
) -> Result<RunState, CoreError> {
    let (mut messages, mut earlier, earlier_outbox) = match before {
        Some(RunState {
            messages,
            earlier,
            outbox,
            ..
        }) => (messages, earlier, outbox),
        None => (Vec::new(), Vec::new(), Vec::new()),
    };
    let out_of_range = |what: &str| CoreError::Journal {
        path: journal_path.to_path_buf(),
        offset,
        problem: format!("the record does not fit the {what} before it"),
    };
    let messages = apply_splice(std::mem::take(&mut messages), record.messages)
        .ok_or_else(|| out_of_range("messages"))?;
    let earlier = apply_splice(std::mem::take(&mut earlier), record.earlier)
        .ok_or_else(|| out_of_range("earlier conversations"))?;
    let mut state = record.state;
    let new_steps: BTreeSet<Option<u64>> = state.outbox.iter().map(step_of).collect();
    let mut outbox: Vec<_> = earlier_outbox
        .into_iter()
        .filter(|audit| !new_steps.contains(&step_of(audit)))
        .collect();
    outbox.append(&mut state.outbox);
    state.outbox = outbox;
    state.messages = messages;
    state.earlier = earlier;
    state.journal_seq = record.seq;
    Ok(state)
}

fn step_of(record: &agentctl_audit::AuditRecord) -> Option<u64> {
    record.details.get("step").and_then(Value::as_u64)
}

struct Frame<'a> {
    offset: u64,
    bytes: &'a [u8],
}

struct Frames<'a> {
    payloads: Vec<Frame<'a>>,
    valid_length: u64,
}

/// Splits the journal into checked payloads, stopping at a torn tail.
fn split_frames<'a>(journal_path: &Path, bytes: &'a [u8]) -> Result<Frames<'a>, CoreError> {
    let mut payloads = Vec::new();
    let mut offset = 0usize;
    let damaged = |offset: usize, problem: &str| CoreError::Journal {
        path: journal_path.to_path_buf(),
        offset: offset as u64,
        problem: problem.to_owned(),
    };
    while offset < bytes.len() {
        let rest = &bytes[offset..];
        // A crash leaves a prefix of the last frame, or (after a power loss) zeros.
        let torn_prefix = rest.len() < MAGIC.len() && MAGIC.starts_with(rest);
        if torn_prefix || rest.iter().all(|byte| *byte == 0) {
            break;
        }
        if rest[..MAGIC.len().min(rest.len())] != MAGIC[..MAGIC.len().min(rest.len())] {
            return Err(damaged(offset, "a record does not start where one should"));
        }
        if rest.len() < HEADER_LENGTH {
            break;
        }
        let mut length = [0u8; 4];
        length.copy_from_slice(&rest[4..HEADER_LENGTH]);
        let length = u32::from_le_bytes(length) as usize;
        let end = HEADER_LENGTH + length + TRAILER_LENGTH;
        if rest.len() < end {
            break;
        }
        let payload = &rest[HEADER_LENGTH..HEADER_LENGTH + length];
        if Sha256::digest(payload).as_slice() != &rest[HEADER_LENGTH + length..end] {
            if rest.len() == end {
                break; // the last frame, not fully on disk
            }
            return Err(damaged(offset, "a record does not match its checksum"));
        }
        payloads.push(Frame {
            offset: offset as u64,
            bytes: payload,
        });
        offset += end;
    }
    Ok(Frames {
        payloads,
        valid_length: offset as u64,
    })
}

/// Reads one of agentctl's own files (no link followed); `None` when it does not exist.
fn read_own(path: &Path) -> Result<Option<Vec<u8>>, CoreError> {
    let mut file = match crate::own_files::open_for_reading(path) {
        Ok(file) => file,
        Err(CoreError::Io(error)) if error.kind() == std::io::ErrorKind::NotFound => {
            return Ok(None)
        }
        Err(error) => return Err(error),
    };
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes)
        .map_err(|error| CoreError::Io(fs_err_io(path, error)))?;
    Ok(Some(bytes))
}

fn fs_err_io(path: &Path, error: std::io::Error) -> std::io::Error {
    std::io::Error::new(error.kind(), format!("{}: {error}", path.display()))
}

/// The writing side of a run's journal, held by the process that drives the run.
#[derive(Debug)]
pub struct Journal {
    run_dir: PathBuf,
    file: Option<std::fs::File>,
    /// Sequence number of the last record written (or folded into the snapshot).
    seq: u64,
    /// Journal bytes holding whole records.
    length: u64,
    /// Bytes of the current snapshot; 0 before the first one.
    snapshot_length: u64,
    /// The conversations as the last record left them, to find what a save adds.
    messages: Vec<Message>,
    earlier: Vec<Earlier>,
    /// A new run's directory, whose entry for the journal file is not yet durable.
    directory_unsynced: bool,
}

impl Journal {
    /// For a new run: nothing on disk yet; the first save is a record holding the whole state
    /// (there is no snapshot until the first compaction).
    pub fn create(run_dir: &Path) -> Journal {
        Journal {
            run_dir: run_dir.to_path_buf(),
            file: None,
            seq: 0,
            length: 0,
            snapshot_length: 0,
            messages: Vec::new(),
            earlier: Vec::new(),
            directory_unsynced: true,
        }
    }

    /// For a replayed run this process now drives (it holds the run's lock): a torn tail is cut
    /// off so the next record follows the last whole one.
    pub fn open(run_dir: &Path, replayed: &Replayed) -> Result<Journal, CoreError> {
        let mut journal = Journal {
            run_dir: run_dir.to_path_buf(),
            file: None,
            seq: replayed.state.journal_seq,
            length: replayed.valid_length,
            snapshot_length: replayed.snapshot_length,
            messages: replayed.state.messages.clone(),
            earlier: replayed.state.earlier.clone(),
            directory_unsynced: false,
        };
        if replayed.torn_bytes > 0 {
            let length = journal.length;
            journal.file()?.set_len(length)?;
        }
        Ok(journal)
    }

    fn file(&mut self) -> Result<&mut std::fs::File, CoreError> {
        if self.file.is_none() {
            self.file = Some(crate::own_files::open_for_appending(&path(&self.run_dir))?);
        }
        match self.file.as_mut() {
            Some(file) => Ok(file),
            None => Err(CoreError::Io(std::io::Error::other("journal not open"))),
        }
    }

    /// Appends what changed since the last save as one record and makes it durable with one
    /// `fdatasync`. A new run's first record holds the whole state (its conversations spliced
    /// onto empty ones), so starting a run costs no snapshot: no temporary file, no rename.
    pub fn append(&mut self, state: &mut RunState) -> Result<(), CoreError> {
        let messages_change = Change::of(&self.messages, &state.messages);
        let earlier_change = Change::of(&self.earlier, &state.earlier);
        let seq = self.seq + 1;
        let messages = std::mem::take(&mut state.messages);
        let earlier = std::mem::take(&mut state.earlier);
        let payload = serde_json::to_vec(&RecordOut {
            seq,
            state,
            messages: messages_change.splice(&messages),
            earlier: earlier_change.splice(&earlier),
        });
        state.messages = messages;
        state.earlier = earlier;
        let payload = payload.map_err(|error| CoreError::RunState {
            path: path(&self.run_dir),
            message: error.to_string(),
        })?;
        let length = u32::try_from(payload.len()).map_err(|_| CoreError::RunState {
            path: path(&self.run_dir),
            message: format!("a record of {} bytes is too large", payload.len()),
        })?;
        let mut frame = Vec::with_capacity(HEADER_LENGTH + payload.len() + TRAILER_LENGTH);
        frame.extend_from_slice(&MAGIC);
        frame.extend_from_slice(&length.to_le_bytes());
        frame.extend_from_slice(&payload);
        frame.extend_from_slice(&Sha256::digest(&payload));
        let before = self.length;
        let file = self.file()?;
        let written = file.write_all(&frame).and_then(|()| file.sync_data());
        if let Err(error) = written {
            // A part of the frame may have landed; cut it so the next record follows a whole one.
            let _ = file.set_len(before);
            return Err(CoreError::Io(fs_err_io(&path(&self.run_dir), error)));
        }
        if self.directory_unsynced {
            // The journal file is new in a new directory: its first record is durable only once
            // the directory entry is (the snapshot's atomic write did the same for state.json).
            // Once per run.
            sync_directory(&self.run_dir);
            self.directory_unsynced = false;
        }
        self.seq = seq;
        self.length += frame.len() as u64;
        update_shadow(&mut self.messages, &state.messages, messages_change);
        update_shadow(&mut self.earlier, &state.earlier, earlier_change);
        Ok(())
    }

    /// Whether the journal has grown past its snapshot (and the floor), so replaying it would
    /// cost more than writing a new snapshot once.
    pub fn compaction_due(&self) -> bool {
        self.length > COMPACTION_FLOOR.max(self.snapshot_length)
    }

    /// Writes the whole state as the new snapshot and empties the journal; returns the SHA-256
    /// of the snapshot's bytes. The caller makes the audit entries of earlier records durable
    /// first: after this, only the snapshot's own outbox remains to re-append after a crash.
    pub fn compact(&mut self, state: &mut RunState) -> Result<String, CoreError> {
        state.journal_seq = self.seq;
        let snapshot_path = RunState::path(&self.run_dir);
        let bytes = serde_json::to_vec(&*state).map_err(|error| CoreError::RunState {
            path: snapshot_path.clone(),
            message: error.to_string(),
        })?;
        atomic_write(&snapshot_path, &bytes)?;
        self.snapshot_length = bytes.len() as u64;
        if self.length > 0 {
            // Not synced on its own: every record left is at or below the snapshot's number,
            // and the next record's fdatasync covers the new length.
            self.file()?.set_len(0)?;
            self.length = 0;
        }
        self.messages.clone_from(&state.messages);
        self.earlier.clone_from(&state.earlier);
        Ok(sha256_hex(&bytes))
    }
}

/// Makes a directory's entries durable (a file created in it), as far as the file system
/// allows: like the directory sync of [`atomic_write`], a file system that refuses to sync a
/// directory does not fail the save.
fn sync_directory(directory: &Path) {
    if let Ok(handle) = std::fs::File::open(directory) {
        let _ = handle.sync_all();
    }
}

/// Brings the saved copy of a list up to `now` without cloning what it already holds.
fn update_shadow<T: Clone>(saved: &mut Vec<T>, now: &[T], change: Change) {
    let tail: Vec<T> = saved
        .drain(change.from..change.from + change.count)
        .collect();
    saved.truncate(change.keep);
    saved.extend_from_slice(&now[change.keep..change.inserted_end]);
    saved.extend(tail);
    saved.extend_from_slice(&now[change.added_start()..]);
}

/// How many leading entries two lists share.
fn common_prefix<T: PartialEq>(saved: &[T], now: &[T]) -> usize {
    saved
        .iter()
        .zip(now)
        .take_while(|(saved, now)| saved == now)
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;
    use agentctl_protocol::{EventKind, RunId, TaskId};
    use std::collections::BTreeMap;

    fn new_state() -> RunState {
        RunState::new(
            RunId::new("r-20261126-190000-abcdef"),
            TaskId::new("T-1"),
            "ops".to_owned(),
            BTreeMap::new(),
            BTreeMap::new(),
            None,
            false,
            "ops".to_owned(),
            "2026-11-26T19:00:00.000Z".to_owned(),
        )
    }

    fn turn(state: &mut RunState, number: u32) {
        state.turns = number;
        state
            .messages
            .push(Message::user(format!("message {number}")));
        crate::recorder::Recorder::queue(
            state,
            Some("ops"),
            EventKind::ModelResponse,
            crate::details! { "turn" => number },
        );
    }

    /// Saves like the engine: a record, then the outbox handed to the log.
    fn save(journal: &mut Journal, state: &mut RunState) {
        journal.append(state).unwrap();
        state.outbox.clear();
    }

    #[test]
    fn replay_gives_back_the_saved_state_with_every_unsynced_outbox() {
        let directory = tempfile::tempdir().unwrap();
        let mut journal = Journal::create(directory.path());
        let mut state = new_state();
        save(&mut journal, &mut state);
        for number in 1..=5 {
            turn(&mut state, number);
            save(&mut journal, &mut state);
        }
        // A rewrite in the middle of the conversation (the context window drops a message).
        state.messages.remove(1);
        turn(&mut state, 6);
        journal.append(&mut state).unwrap();
        let replayed = replay(directory.path()).unwrap();
        assert_eq!(replayed.torn_bytes, 0);
        assert_eq!(replayed.state.messages, state.messages);
        assert_eq!(replayed.state.turns, 6);
        let steps: Vec<_> = replayed.state.outbox.iter().filter_map(step_of).collect();
        assert_eq!(
            steps,
            vec![1, 2, 3, 4, 5, 6],
            "every outbox since the snapshot"
        );
    }

    #[test]
    fn a_torn_tail_is_dropped_and_cut_by_the_next_writer() {
        let directory = tempfile::tempdir().unwrap();
        let mut journal = Journal::create(directory.path());
        let mut state = new_state();
        save(&mut journal, &mut state);
        turn(&mut state, 1);
        save(&mut journal, &mut state);
        let whole = fs_err::metadata(path(directory.path())).unwrap().len();
        turn(&mut state, 2);
        save(&mut journal, &mut state);
        let full = fs_err::read(path(directory.path())).unwrap();
        for cut in [whole + 1, whole + 5, whole + 9, full.len() as u64 - 1] {
            fs_err::write(path(directory.path()), &full[..cut as usize]).unwrap();
            let replayed = replay(directory.path()).unwrap();
            assert_eq!(replayed.state.turns, 1, "cut at {cut}");
            assert_eq!(replayed.torn_bytes, cut - whole);
        }
        let replayed = replay(directory.path()).unwrap();
        let mut reopened = Journal::open(directory.path(), &replayed).unwrap();
        let mut state = replayed.state;
        turn(&mut state, 3);
        reopened.append(&mut state).unwrap();
        let again = replay(directory.path()).unwrap();
        assert_eq!(again.torn_bytes, 0);
        assert_eq!(again.state.turns, 3);
        assert_eq!(again.state.messages.len(), 2);
    }

    #[test]
    fn a_damaged_record_in_the_middle_is_an_error_naming_the_file() {
        let directory = tempfile::tempdir().unwrap();
        let mut journal = Journal::create(directory.path());
        let mut state = new_state();
        save(&mut journal, &mut state);
        turn(&mut state, 1);
        save(&mut journal, &mut state);
        turn(&mut state, 2);
        save(&mut journal, &mut state);
        let mut bytes = fs_err::read(path(directory.path())).unwrap();
        bytes[HEADER_LENGTH + 3] ^= 0x20;
        fs_err::write(path(directory.path()), &bytes).unwrap();
        let error = replay(directory.path()).err().unwrap().to_string();
        assert!(error.contains("journal.log"), "{error}");
        assert!(error.contains("byte 0"), "{error}");
        assert!(error.contains("checksum"), "{error}");
    }

    #[test]
    fn an_interrupted_compaction_replays_nothing_twice() {
        let directory = tempfile::tempdir().unwrap();
        let mut journal = Journal::create(directory.path());
        let mut state = new_state();
        save(&mut journal, &mut state);
        for number in 1..=3 {
            turn(&mut state, number);
            save(&mut journal, &mut state);
        }
        let records = fs_err::read(path(directory.path())).unwrap();
        // Crash after the temporary snapshot was written, before the rename: a stray file.
        fs_err::write(directory.path().join(".tmp-stray"), b"{\"half").unwrap();
        assert_eq!(replay(directory.path()).unwrap().state.turns, 3);
        // Crash after the rename, before the truncation: the old records are still there.
        journal.compact(&mut state).unwrap();
        fs_err::write(path(directory.path()), &records).unwrap();
        let replayed = replay(directory.path()).unwrap();
        assert_eq!(replayed.state.messages, state.messages, "no message twice");
        // The first save is record 1 (a new run has no snapshot), the three turns 2 to 4.
        assert_eq!(replayed.state.journal_seq, 4);
        // The next writer continues after the snapshot's number.
        let mut reopened = Journal::open(directory.path(), &replayed).unwrap();
        let mut state = replayed.state;
        turn(&mut state, 4);
        reopened.append(&mut state).unwrap();
        let again = replay(directory.path()).unwrap();
        assert_eq!(again.state.turns, 4);
        assert_eq!(again.state.messages.len(), 4);
    }

    #[test]
    fn a_state_file_without_a_journal_loads_as_before() {
        let directory = tempfile::tempdir().unwrap();
        let mut state = new_state();
        turn(&mut state, 1);
        // What the previous version wrote: the whole state, no journal number, no journal.
        let bytes = serde_json::to_vec(&state).unwrap();
        assert!(!String::from_utf8_lossy(&bytes).contains("journal_seq"));
        fs_err::write(RunState::path(directory.path()), &bytes).unwrap();
        let replayed = replay(directory.path()).unwrap();
        assert_eq!(replayed.state, state);
        assert_eq!(
            replayed.digest,
            sha256_hex(&bytes),
            "a pause digest still matches"
        );
    }

    #[test]
    fn compaction_is_due_once_the_journal_outgrows_its_snapshot() {
        let directory = tempfile::tempdir().unwrap();
        let mut journal = Journal::create(directory.path());
        let mut state = new_state();
        save(&mut journal, &mut state);
        let mut saves = 0;
        while !journal.compaction_due() {
            turn(&mut state, saves);
            save(&mut journal, &mut state);
            saves += 1;
        }
        assert!(journal.length > COMPACTION_FLOOR);
        journal.compact(&mut state).unwrap();
        assert!(!journal.compaction_due());
        assert_eq!(fs_err::metadata(path(directory.path())).unwrap().len(), 0);
        assert_eq!(replay(directory.path()).unwrap().state, state);
    }

    #[test]
    fn a_full_context_window_saves_only_what_is_new() {
        let directory = tempfile::tempdir().unwrap();
        let mut journal = Journal::create(directory.path());
        let mut state = new_state();
        state.messages.push(Message::system("prompt"));
        save(&mut journal, &mut state);
        let mut sizes = Vec::new();
        for number in 1..=200 {
            crate::context_window::fit(&mut state.messages, 2_000);
            state
                .messages
                .push(Message::user(format!("{number}: {}", "x".repeat(200))));
            let before = journal.length;
            journal.append(&mut state).unwrap();
            sizes.push(journal.length - before);
            assert_eq!(
                replay(directory.path()).unwrap().state.messages,
                state.messages
            );
        }
        let largest = sizes.iter().skip(20).max().unwrap();
        assert!(
            *largest < 2_000,
            "a record rewrote the window: {largest} bytes"
        );
    }

    #[test]
    fn a_new_run_starts_with_a_record_not_a_snapshot() {
        let directory = tempfile::tempdir().unwrap();
        assert!(!has_saved_state(directory.path()), "nothing saved yet");
        let mut journal = Journal::create(directory.path());
        let mut state = new_state();
        turn(&mut state, 1);
        save(&mut journal, &mut state);
        assert!(
            !RunState::path(directory.path()).exists(),
            "no snapshot written"
        );
        assert!(has_saved_state(directory.path()));
        let names: Vec<_> = fs_err::read_dir(directory.path())
            .unwrap()
            .map(|entry| entry.unwrap().file_name())
            .collect();
        assert_eq!(names, [JOURNAL_FILE_NAME], "no temporary file left");
        let replayed = replay(directory.path()).unwrap();
        assert_eq!(replayed.state.messages, state.messages);
        assert_eq!(replayed.state.turns, 1);
        assert_eq!(replayed.state.journal_seq, 1);
        // The writer that takes over continues the numbering; a compaction then writes the
        // first snapshot and empties the journal.
        let mut reopened = Journal::open(directory.path(), &replayed).unwrap();
        let mut state = replayed.state;
        turn(&mut state, 2);
        reopened.append(&mut state).unwrap();
        assert_eq!(replay(directory.path()).unwrap().state.turns, 2);
        reopened.compact(&mut state).unwrap();
        assert_eq!(fs_err::read(path(directory.path())).unwrap().len(), 0);
        let compacted = replay(directory.path()).unwrap();
        assert_eq!(compacted.state.turns, 2);
        assert_eq!(compacted.state.messages, state.messages);
    }

    #[test]
    fn a_torn_first_record_is_no_saved_state() {
        let directory = tempfile::tempdir().unwrap();
        let mut journal = Journal::create(directory.path());
        let mut state = new_state();
        save(&mut journal, &mut state);
        let whole = fs_err::read(path(directory.path())).unwrap();
        // A crash in the middle of the first append: no snapshot and no whole record.
        fs_err::write(path(directory.path()), &whole[..whole.len() / 2]).unwrap();
        assert!(!has_saved_state(directory.path()));
        let error = replay(directory.path()).err().unwrap();
        assert!(
            matches!(&error, CoreError::Io(io) if io.kind() == std::io::ErrorKind::NotFound),
            "{error}"
        );
    }
}
