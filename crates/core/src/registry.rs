//! The run registry: every run and chat session under `.agentctl/runs/`, and finding the one a
//! user names — by run id, by the start of one, or by task id.
//!
//! A task id picks the run that waits for a human first, then the newest by start time; never
//! by directory name (a chat session `s-…` must not beat a newer paused run `r-…`). Each entry
//! carries its liveness from the run lock, so a run whose state says `running` while nobody
//! holds its lock is shown as `interrupted`.
//!
//! Does not know about: how runs are displayed, or what a command does with the run it found.

use std::path::{Path, PathBuf};

use crate::run_lock;
use crate::run_state::{RunMode, RunState, RunStatus};
use crate::store::run_dir;
use crate::CoreError;

/// One run or session as found on disk.
#[derive(Debug, Clone)]
pub struct RunEntry {
    pub state: RunState,
    /// Whether a process holds the run's lock (drives it) right now.
    pub driven: bool,
}

impl RunEntry {
    /// The status to show: the saved one, except that a `running` run nobody drives was
    /// abandoned (killed, crashed) and is `interrupted`.
    pub fn status(&self) -> RunStatus {
        if self.state.status == RunStatus::Running && !self.driven {
            RunStatus::Interrupted
        } else {
            self.state.status
        }
    }

    /// `run` (agentctl run) or `chat` (agentctl chat).
    pub fn kind(&self) -> &'static str {
        match self.state.mode {
            RunMode::Task => "run",
            RunMode::Chat { .. } => "chat",
        }
    }

    fn waits_for_human(&self) -> bool {
        self.state.status == RunStatus::Paused && self.state.pending.is_some()
    }
}

/// Every readable run, oldest first by start time, and the directories that could not be read.
#[derive(Debug, Default)]
pub struct Registry {
    pub entries: Vec<RunEntry>,
    pub unreadable: Vec<(PathBuf, CoreError)>,
}

/// Which runs a lookup by task id may choose.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Want {
    /// Runs that can still go on (not finished or failed): `resume`, `approve`.
    Open,
    /// Any run: `runs show`.
    Any,
}

/// Reads every run under `state_dir/runs`.
pub fn list(state_dir: &Path) -> Registry {
    let directory = state_dir.join("runs");
    let mut registry = Registry::default();
    let Ok(entries) = fs_err::read_dir(&directory) else {
        return registry;
    };
    for path in entries
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| path.is_dir())
    {
        if !crate::run_journal::has_saved_state(&path) {
            continue; // a lock taken for a run whose first save has not happened yet
        }
        match RunState::load(&path) {
            Ok((state, _)) => registry.entries.push(RunEntry {
                driven: run_lock::is_held(&path),
                state,
            }),
            Err(error) => registry.unreadable.push((path, error)),
        }
    }
    registry.entries.sort_by(|left, right| {
        (left.state.started_at.as_str(), left.state.run_id.as_str())
            .cmp(&(right.state.started_at.as_str(), right.state.run_id.as_str()))
    });
    registry
}

/// Reads one run by its exact id.
pub fn get(state_dir: &Path, run_id: &str) -> Result<RunEntry, CoreError> {
    let directory = run_dir(state_dir, run_id);
    let well_formed = !run_id.is_empty()
        && run_id
            .chars()
            .all(|character| character.is_ascii_alphanumeric() || character == '-');
    if !well_formed || !crate::run_journal::has_saved_state(&directory) {
        return Err(CoreError::RunNotFound {
            query: run_id.to_owned(),
            runs_dir: state_dir.join("runs"),
        });
    }
    let (state, _) = RunState::load(&directory)?;
    Ok(RunEntry {
        driven: run_lock::is_held(&directory),
        state,
    })
}

/// The run `query` names: an exact run id, a task id (the run waiting for a human, else the
/// newest), or the unique start of a run id.
pub fn find(state_dir: &Path, query: &str, want: Want) -> Result<RunEntry, CoreError> {
    let query = query.trim();
    let mut registry = list(state_dir);
    if let Some(entry) = registry
        .entries
        .iter()
        .find(|entry| entry.state.run_id.as_str() == query)
    {
        return Ok(entry.clone());
    }
    // A run named exactly whose files cannot be read: say why, rather than "not found".
    if let Some(index) = registry
        .unreadable
        .iter()
        .position(|(path, _)| path.file_name().is_some_and(|name| name == query))
    {
        return Err(registry.unreadable.swap_remove(index).1);
    }
    let of_task: Vec<&RunEntry> = registry
        .entries
        .iter()
        .filter(|entry| entry.state.task_id.as_str() == query)
        .collect();
    if !of_task.is_empty() {
        let candidates: Vec<&RunEntry> = of_task
            .iter()
            .copied()
            .filter(|entry| want == Want::Any || !entry.state.status.is_terminal())
            .collect();
        // Oldest first, so the last match is the newest.
        let chosen = candidates
            .iter()
            .rev()
            .find(|entry| entry.waits_for_human())
            .or_else(|| candidates.last());
        return match chosen {
            Some(entry) => Ok((*entry).clone()),
            None => Err(CoreError::NoOpenRun {
                task_id: query.to_owned(),
            }),
        };
    }
    let by_prefix: Vec<&RunEntry> = if query.len() >= 2 {
        registry
            .entries
            .iter()
            .filter(|entry| entry.state.run_id.as_str().starts_with(query))
            .collect()
    } else {
        Vec::new()
    };
    match by_prefix.as_slice() {
        [entry] => Ok((*entry).clone()),
        [] => Err(CoreError::RunNotFound {
            query: query.to_owned(),
            runs_dir: state_dir.join("runs"),
        }),
        several => Err(CoreError::AmbiguousRun {
            query: query.to_owned(),
            candidates: several
                .iter()
                .map(|entry| entry.state.run_id.to_string())
                .collect(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use agentctl_protocol::{RunId, TaskId};

    use super::*;
    use crate::run_state::PendingApproval;

    fn save(state_dir: &Path, id: &str, task: &str, started_at: &str, status: RunStatus) {
        let mut state = RunState::new(
            RunId::new(id.to_owned()),
            TaskId::new(task.to_owned()),
            "ops-devops".to_owned(),
            BTreeMap::new(),
            BTreeMap::new(),
            None,
            false,
            "ops-devops".to_owned(),
            started_at.to_owned(),
        );
        state.status = status;
        if status == RunStatus::Paused {
            state.pending = Some(PendingApproval {
                gate: agentctl_protocol::Gate::S08,
                persona: "ops-devops".to_owned(),
                digest: "d".repeat(64),
                created_at: started_at.to_owned(),
                kind: crate::PendingKind::Start {
                    because: "production".to_owned(),
                },
            });
        }
        state.save(&run_dir(state_dir, id)).unwrap();
    }

    #[test]
    fn a_task_id_picks_the_paused_run_over_a_newer_chat_session() {
        let state_dir = tempfile::tempdir().unwrap();
        save(
            state_dir.path(),
            "r-b-paused",
            "T-1",
            "2026-01-01T10:00:00.000Z",
            RunStatus::Paused,
        );
        save(
            state_dir.path(),
            "s-z-chat",
            "T-1",
            "2026-01-01T11:00:00.000Z",
            RunStatus::Waiting,
        );
        let found = find(state_dir.path(), "T-1", Want::Open).unwrap();
        assert_eq!(found.state.run_id.as_str(), "r-b-paused");
    }

    #[test]
    fn without_a_paused_run_the_newest_by_time_wins_not_the_name() {
        let state_dir = tempfile::tempdir().unwrap();
        save(
            state_dir.path(),
            "s-z",
            "T-1",
            "2026-01-01T09:00:00.000Z",
            RunStatus::Waiting,
        );
        save(
            state_dir.path(),
            "r-a",
            "T-1",
            "2026-01-01T10:00:00.000Z",
            RunStatus::Interrupted,
        );
        let found = find(state_dir.path(), "T-1", Want::Open).unwrap();
        assert_eq!(found.state.run_id.as_str(), "r-a");
    }

    #[test]
    fn ended_runs_are_skipped_for_open_and_found_for_any() {
        let state_dir = tempfile::tempdir().unwrap();
        save(
            state_dir.path(),
            "r-done",
            "T-1",
            "2026-01-01T09:00:00.000Z",
            RunStatus::Finished,
        );
        assert!(matches!(
            find(state_dir.path(), "T-1", Want::Open),
            Err(CoreError::NoOpenRun { .. })
        ));
        assert_eq!(
            find(state_dir.path(), "T-1", Want::Any)
                .unwrap()
                .state
                .run_id
                .as_str(),
            "r-done"
        );
    }

    #[test]
    fn a_unique_prefix_finds_a_run_and_an_ambiguous_one_lists_the_candidates() {
        let state_dir = tempfile::tempdir().unwrap();
        save(
            state_dir.path(),
            "r-20260101-aa",
            "T-1",
            "2026-01-01T09:00:00.000Z",
            RunStatus::Finished,
        );
        save(
            state_dir.path(),
            "r-20260101-ab",
            "T-2",
            "2026-01-01T09:01:00.000Z",
            RunStatus::Finished,
        );
        assert_eq!(
            find(state_dir.path(), "r-20260101-ab", Want::Any)
                .unwrap()
                .state
                .task_id
                .as_str(),
            "T-2"
        );
        assert_eq!(
            find(state_dir.path(), "r-20260101-aa", Want::Any)
                .unwrap()
                .state
                .task_id
                .as_str(),
            "T-1"
        );
        match find(state_dir.path(), "r-2026", Want::Any) {
            Err(CoreError::AmbiguousRun { candidates, .. }) => assert_eq!(candidates.len(), 2),
            other => panic!("expected AmbiguousRun, got {other:?}"),
        }
        assert!(matches!(
            find(state_dir.path(), "nothing", Want::Any),
            Err(CoreError::RunNotFound { .. })
        ));
    }

    #[test]
    fn a_running_run_nobody_drives_shows_as_interrupted() {
        let state_dir = tempfile::tempdir().unwrap();
        save(
            state_dir.path(),
            "r-x",
            "T-1",
            "2026-01-01T09:00:00.000Z",
            RunStatus::Running,
        );
        let entry = get(state_dir.path(), "r-x").unwrap();
        assert_eq!(entry.status(), RunStatus::Interrupted);
        let _lock =
            run_lock::RunLock::acquire(state_dir.path(), &RunId::new("r-x".to_owned())).unwrap();
        assert_eq!(
            get(state_dir.path(), "r-x").unwrap().status(),
            RunStatus::Running
        );
    }
}
