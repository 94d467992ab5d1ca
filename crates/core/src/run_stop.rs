//! How a run stops or rests: paused for a human, interrupted, waiting for the next chat
//! message, or ended for good — and the saves that make each of those durable: one journal
//! record per step, a whole snapshot when the run rests.
//!
//! Does not know about: what led to the stop (the loop in `run_loop` decides that).

use agentctl_protocol::EventKind;
use serde_json::Value;

use crate::events::RunEvent;
use crate::recorder::Recorder;
use crate::run_loop::{Engine, RunReport};
use crate::run_state::{PendingApproval, PendingKind, RunEnd, RunState, RunStatus};
use crate::store;
use crate::{details, CoreError};

impl Engine<'_> {
    /// Pauses for a human: state saved, `gate.pending` and `run.paused` audited.
    pub(crate) fn pause(&mut self, pending: PendingApproval) -> Result<RunReport, CoreError> {
        let persona = pending.persona.clone();
        let mut pending_details = details! {
            "gate" => pending.gate.as_str(), "digest" => pending.digest.clone(), "waiting" => pending.describe(),
        };
        if let PendingKind::Call { call, rule, .. } = &pending.kind {
            pending_details.insert("call_id".to_owned(), Value::from(call.id.clone()));
            pending_details.insert("tool".to_owned(), Value::from(call.name.clone()));
            pending_details.insert(
                "arguments".to_owned(),
                Value::from(self.redactor().arguments(&call.arguments)),
            );
            pending_details.insert("rule".to_owned(), Value::from(rule.clone()));
        }
        Recorder::queue(
            &mut self.state,
            Some(&persona),
            EventKind::GatePending,
            pending_details,
        );
        self.state.pending = Some(pending.clone());
        self.state.status = RunStatus::Paused;
        self.mark_paused("waiting for human approval")?;
        self.observer.on_event(&RunEvent::Paused { pending });
        Ok(self.report())
    }

    pub(crate) fn interrupt(&mut self) -> Result<RunReport, CoreError> {
        self.state.status = RunStatus::Interrupted;
        self.mark_paused("stopped by Ctrl-C")?;
        self.observer.on_event(&RunEvent::Finished {
            status: RunStatus::Interrupted,
            reason: "stopped by Ctrl-C; state saved".to_owned(),
        });
        Ok(self.report())
    }

    /// Saves the state and records its digest in a `run.paused` entry, which `resume` checks.
    pub(crate) fn mark_paused(&mut self, reason: &str) -> Result<(), CoreError> {
        store::blocking(|| self.mark_paused_now(reason))
    }

    fn mark_paused_now(&mut self, reason: &str) -> Result<(), CoreError> {
        let step = self.state.next_step;
        self.state.next_step += 1;
        let digest = self.snapshot_and_flush()?;
        let persona = self.state.active.name.clone();
        self.recorder.append(crate::recorder::standalone_record(
            Some(self.state.run_id.clone()),
            Some(self.state.task_id.clone()),
            Some(persona),
            EventKind::RunPaused,
            details! { "reason" => reason, "state_sha256" => digest, "step" => step },
        ))
    }

    /// A chat persona answered: the session waits for the human's next message.
    pub(crate) fn wait_for_user(&mut self, answer: String) -> Result<RunReport, CoreError> {
        self.state.status = RunStatus::Waiting;
        self.state.end = None;
        store::blocking(|| self.snapshot_and_flush())?;
        let mut report = self.report();
        report.answer = Some(self.redactor().text(&answer));
        Ok(report)
    }

    /// Ends the run for good.
    pub(crate) fn end(
        &mut self,
        status: RunStatus,
        reason: String,
        answer: Option<String>,
    ) -> Result<RunReport, CoreError> {
        self.state.status = status;
        let persona = self.state.active.name.clone();
        let finished = details! {
            "status" => status.as_str(), "reason" => reason.clone(), "turns" => self.state.turns,
            "handoffs" => self.state.handoffs, "tool_calls" => self.state.tool_calls, "denials" => self.state.denials,
            "prompt_tokens" => self.state.usage.prompt_tokens, "completion_tokens" => self.state.usage.completion_tokens,
        };
        Recorder::queue(
            &mut self.state,
            Some(&persona),
            EventKind::RunFinished,
            finished,
        );
        let answer = answer.map(|answer| self.redactor().text(&answer));
        self.state.end = Some(RunEnd {
            status,
            reason: reason.clone(),
            answer,
        });
        // The end is the last write: the whole state goes to the snapshot (so a finished run's
        // state.json is complete, for tools that read it) and its audit entries to disk now.
        store::blocking(|| self.snapshot_and_flush())?;
        self.observer
            .on_event(&RunEvent::Finished { status, reason });
        Ok(self.report())
    }

    /// Saves what changed as one journal record (one fdatasync) and appends its audit records
    /// without a second one — the record holds them until they are synced; the one durable
    /// step of the loop, run through [`store::blocking`]. Compacts when the journal has outgrown
    /// its snapshot.
    pub(crate) fn save_and_flush(&mut self) -> Result<(), CoreError> {
        store::blocking(|| {
            self.state.updated_at = store::now_rfc3339();
            self.account_work();
            self.journal.append(&mut self.state)?;
            self.unsaved_reply = false;
            self.recorder.flush_unsynced(&mut self.state)?;
            if self.journal.compaction_due() {
                self.recorder.sync()?;
                self.journal.compact(&mut self.state)?;
            }
            Ok(())
        })
    }

    /// Writes the whole state as the snapshot (outbox included) and appends the outbox with an
    /// fsync; returns the snapshot's SHA-256. For a run that rests (paused, interrupted, waiting
    /// for the next chat message) or ends: the audit entries of earlier records are synced first,
    /// because the compaction drops those records.
    fn snapshot_and_flush(&mut self) -> Result<String, CoreError> {
        self.state.updated_at = store::now_rfc3339();
        self.account_work();
        if self.state.outbox.is_empty() {
            self.recorder.sync()?;
        } else {
            // The outbox's synced append below records the newer head.
            self.recorder.sync_entries()?;
        }
        let digest = self.journal.compact(&mut self.state)?;
        self.unsaved_reply = false;
        self.recorder.flush(&mut self.state)?;
        // Records the head should the outbox have held only entries already in the log.
        self.recorder.sync()?;
        Ok(digest)
    }

    /// Adds the time worked since the last save to the state (and, on this process's first
    /// save, counts it as one more session), so a summary after `resume` covers the whole run.
    fn account_work(&mut self) {
        let worked = self.work_clock.elapsed();
        self.work_clock = std::time::Instant::now();
        self.state.worked_ms = self
            .state
            .worked_ms
            .saturating_add(u64::try_from(worked.as_millis()).unwrap_or(u64::MAX));
        if std::mem::take(&mut self.count_session) {
            self.state.sessions = self.state.sessions.saturating_add(1);
        }
    }

    pub(crate) fn report(&self) -> RunReport {
        let mut report = RunReport::of_state(&self.state);
        report.audit_first_seq = self.recorder.first_seq;
        report.audit_last_seq = self.recorder.last_seq;
        report
    }
}

impl RunReport {
    /// What a saved state says about its run (without this process's audit sequence numbers):
    /// for a summary of a run or session no engine is driving now.
    pub fn of_state(state: &RunState) -> RunReport {
        let end = state.end.clone();
        let mut personas: Vec<String> = Vec::new();
        for persona in &state.trail {
            if !personas.contains(persona) {
                personas.push(persona.clone());
            }
        }
        RunReport {
            run_id: state.run_id.to_string(),
            task_id: state.task_id.to_string(),
            status: state.status,
            reason: end
                .as_ref()
                .map(|end| end.reason.clone())
                .unwrap_or_else(|| match &state.pending {
                    Some(pending) => pending.describe(),
                    None => state.status.as_str().to_owned(),
                }),
            answer: end.and_then(|end| end.answer),
            persona: state.active.name.clone(),
            turns: state.turns,
            handoffs: state.handoffs,
            tool_calls: state.tool_calls,
            denials: state.denials,
            usage: state.usage,
            audit_first_seq: None,
            audit_last_seq: None,
            pending: state.pending.clone(),
            rejections: state.rejections.clone(),
            next_steps: Vec::new(),
            personas,
            files_changed: state.files_changed.iter().cloned().collect(),
            worked_ms: state.worked_ms,
            sessions: state.sessions,
        }
    }
}
