//! Writing a run's audit entries exactly once, even across crashes.
//!
//! Each record gets the run's next step number and goes into the state's outbox. The state is
//! saved (outbox included, in the run's journal) and then the outbox is appended to
//! AUDIT_LOG.md. After a crash, `resume` appends whatever of the saved outboxes is not yet in
//! the log, recognising written entries by their run id and step — so nothing recorded is lost
//! and nothing is written twice.
//!
//! Because the journal record already holds the outbox durably, the append after an ordinary
//! save is not fsynced ([`Recorder::flush_unsynced`]); [`Recorder::sync`] makes those appends
//! durable before the journal lets go of their records (compaction, pause, the run's end).

use agentctl_config::ProjectPaths;
use std::collections::HashSet;

use agentctl_audit::{AuditRecord, AuditWriter};
use agentctl_protocol::{EventKind, RunId, TaskId};
use serde_json::{Map, Value};

use crate::run_state::RunState;
use crate::CoreError;

/// The audit side of one run.
pub struct Recorder {
    writer: AuditWriter,
    /// Steps of this run already in the log; only known after a resume.
    written: HashSet<u64>,
    pub first_seq: Option<u64>,
    pub last_seq: Option<u64>,
}

impl Recorder {
    /// Opens the project's log without following links below the project root, keeping the
    /// chain's head in the state directory.
    pub fn open(paths: &ProjectPaths) -> Result<Recorder, CoreError> {
        Ok(Recorder {
            writer: open_writer(paths)?,
            written: HashSet::new(),
            first_seq: None,
            last_seq: None,
        })
    }

    /// For a resumed run: learn which steps of `run_id` are already in the log.
    pub fn open_for_resume(
        paths: &ProjectPaths,
        run_id: &RunId,
    ) -> Result<(Recorder, Vec<agentctl_audit::AuditEntry>), CoreError> {
        let audit_log = paths.audit_log.as_path();
        let mut recorder = Recorder::open(paths)?;
        let entries: Vec<agentctl_audit::AuditEntry> = if audit_log.exists() {
            agentctl_audit::read_entries(audit_log)?
                .into_iter()
                .filter(|entry| entry.run.as_ref() == Some(run_id))
                .collect()
        } else {
            Vec::new()
        };
        recorder.written = entries
            .iter()
            .filter_map(|entry| entry.details.get("step").and_then(Value::as_u64))
            .collect();
        Ok((recorder, entries))
    }

    /// Queues a record in the state's outbox.
    pub fn queue(
        state: &mut RunState,
        persona: Option<&str>,
        event: EventKind,
        mut details: Map<String, Value>,
    ) {
        details.insert("step".to_owned(), Value::from(state.next_step));
        state.next_step += 1;
        state.outbox.push(AuditRecord {
            run: Some(state.run_id.clone()),
            task: Some(state.task_id.clone()),
            persona: persona.map(str::to_owned),
            event,
            details,
        });
    }

    /// Appends the outbox to the log (skipping steps already there) in one write and one
    /// fsync, and empties it.
    pub fn flush(&mut self, state: &mut RunState) -> Result<(), CoreError> {
        self.flush_with(state, true)
    }

    /// Like [`Recorder::flush`] without the fsync: for an outbox the run's journal already
    /// holds durably. [`Recorder::sync`] must follow before the journal drops that record.
    pub fn flush_unsynced(&mut self, state: &mut RunState) -> Result<(), CoreError> {
        self.flush_with(state, false)
    }

    /// Makes every unsynced append of this recorder durable.
    pub fn sync(&mut self) -> Result<(), CoreError> {
        Ok(self.writer.sync()?)
    }

    /// Makes every unsynced append durable, leaving the head to the synced append that follows.
    pub fn sync_entries(&mut self) -> Result<(), CoreError> {
        Ok(self.writer.sync_entries()?)
    }

    fn flush_with(&mut self, state: &mut RunState, durable: bool) -> Result<(), CoreError> {
        let pending: Vec<AuditRecord> = std::mem::take(&mut state.outbox)
            .into_iter()
            .filter(|record| {
                let step = record.details.get("step").and_then(Value::as_u64);
                !step.is_some_and(|step| self.written.contains(&step))
            })
            .collect();
        let steps: Vec<Option<u64>> = pending
            .iter()
            .map(|record| record.details.get("step").and_then(Value::as_u64))
            .collect();
        let entries = if durable {
            self.writer.append_all(pending)?
        } else {
            self.writer.append_all_unsynced(pending)?
        };
        self.written.extend(steps.into_iter().flatten());
        if let (Some(first), Some(last)) = (entries.first(), entries.last()) {
            self.first_seq.get_or_insert(first.seq);
            self.last_seq = Some(last.seq);
            state.audit_head = Some(agentctl_audit::AuditHead {
                entries: last.seq,
                hash: last.hash.clone(),
                at: last.at.clone(),
            });
        }
        Ok(())
    }

    /// Appends one record directly (used for the pause marker, which carries the state digest).
    pub fn append(&mut self, record: AuditRecord) -> Result<(), CoreError> {
        let step = record.details.get("step").and_then(Value::as_u64);
        let entry = self.writer.append(record)?;
        if let Some(step) = step {
            self.written.insert(step);
        }
        self.first_seq.get_or_insert(entry.seq);
        self.last_seq = Some(entry.seq);
        Ok(())
    }
}

/// The project's audit writer: no link followed below the project root, the head of the chain
/// kept in `STATE_DIR/audit-head.json`.
pub fn open_writer(paths: &ProjectPaths) -> Result<AuditWriter, CoreError> {
    let trusted = paths.root.as_path();
    let head = agentctl_audit::HeadFile {
        trusted: trusted.to_path_buf(),
        path: agentctl_audit::head_path(&paths.state_dir),
    };
    Ok(AuditWriter::open_anchored(trusted, &paths.audit_log, head)?)
}

/// A record outside any run (approvals from the command line).
pub fn standalone_record(
    run: Option<RunId>,
    task: Option<TaskId>,
    persona: Option<String>,
    event: EventKind,
    details: Map<String, Value>,
) -> AuditRecord {
    AuditRecord {
        run,
        task,
        persona,
        event,
        details,
    }
}

/// Builds a JSON object from pairs.
#[macro_export]
macro_rules! details {
    ($($key:expr => $value:expr),* $(,)?) => {{
        #[allow(unused_mut)]
        let mut map = serde_json::Map::new();
        $(map.insert(String::from($key), serde_json::Value::from($value));)*
        map
    }};
}
