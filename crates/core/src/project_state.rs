//! `PROJECT_STATE.md`: the per-task gate table humans read and only agentctl writes.
//!
//! The file is a Markdown table `| Task | Gate | Status | By | At | Evidence |`. Reads tolerate
//! any surrounding prose; writes re-render the whole file under a lock and replace it
//! atomically, so a crash leaves either the old or the new table, never half of one.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use agentctl_protocol::{Gate, GateStatus};
use serde::Serialize;

use crate::store::{atomic_write, FileLock};
use crate::CoreError;

const HEADER: &str = "# Project state\n\n<!-- written by agentctl; edit with agentctl commands only -->\n\nGate status per task. S06 and S07 are reported by personas through `gate_report`; S08 is\nrecorded only by a human with `agentctl approve`.\n\n";

/// One recorded gate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GateRecord {
    pub status: GateStatus,
    pub by: String,
    pub at: String,
    pub evidence: String,
}

/// All gates of all tasks.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ProjectState {
    pub tasks: BTreeMap<String, BTreeMap<Gate, GateRecord>>,
}

impl ProjectState {
    /// Reads the file; a missing file is an empty state.
    pub fn load(path: &Path) -> Result<ProjectState, CoreError> {
        let text = match fs_err::read_to_string(path) {
            Ok(text) => text,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                return Ok(ProjectState::default())
            }
            Err(error) => return Err(CoreError::Io(error)),
        };
        ProjectState::parse(path, &text)
    }

    pub fn parse(path: &Path, text: &str) -> Result<ProjectState, CoreError> {
        let mut state = ProjectState::default();
        for (index, line) in text.lines().enumerate() {
            let trimmed = line.trim();
            if !trimmed.starts_with('|') {
                continue;
            }
            let owned = split_cells(trimmed);
            let cells: Vec<&str> = owned.iter().map(|cell| cell.trim()).collect();
            if cells.len() < 3
                || cells[0].eq_ignore_ascii_case("task")
                || cells[0].starts_with("---")
                || cells[0].starts_with(":-")
            {
                continue;
            }
            let invalid = |message: String| CoreError::StateFile {
                path: path.to_path_buf(),
                line: index + 1,
                message,
            };
            let gate: Gate = cells[1]
                .parse()
                .map_err(|error: agentctl_protocol::ParseGateError| invalid(error.to_string()))?;
            let status: GateStatus = cells[2].parse().map_err(invalid)?;
            let cell = |position: usize| {
                cells
                    .get(position)
                    .map(|text| (*text).to_owned())
                    .unwrap_or_default()
            };
            state.tasks.entry(cells[0].to_owned()).or_default().insert(
                gate,
                GateRecord {
                    status,
                    by: cell(3),
                    at: cell(4),
                    evidence: cell(5),
                },
            );
        }
        Ok(state)
    }

    pub fn status(&self, task: &str, gate: Gate) -> GateStatus {
        self.tasks
            .get(task)
            .and_then(|gates| gates.get(&gate))
            .map_or(GateStatus::NotStarted, |record| record.status)
    }

    pub fn render(&self) -> String {
        let mut text = String::from(HEADER);
        text.push_str("| Task | Gate | Status | By | At | Evidence |\n|---|---|---|---|---|---|\n");
        for (task, gates) in &self.tasks {
            for (gate, record) in gates {
                text.push_str(&format!(
                    "| {} | {} | {} | {} | {} | {} |\n",
                    escape(task),
                    gate,
                    record.status,
                    escape(&record.by),
                    escape(&record.at),
                    escape(&record.evidence)
                ));
            }
        }
        text
    }
}

/// Records one gate for one task: read, change and atomically replace the file under a lock.
pub fn record_gate(
    state_file: &Path,
    lock_dir: &Path,
    task: &str,
    gate: Gate,
    record: GateRecord,
) -> Result<(), CoreError> {
    let _lock = FileLock::acquire(&lock_dir.join("project-state.lock"))?;
    let mut state = ProjectState::load(state_file)?;
    state
        .tasks
        .entry(task.to_owned())
        .or_default()
        .insert(gate, record);
    atomic_write(state_file, state.render().as_bytes())
}

/// Records one gate for one task only when `check` accepts what is recorded now; the check and
/// the write happen under the same lock, so two processes cannot both pass it.
pub fn record_gate_if(
    state_file: &Path,
    lock_dir: &Path,
    task: &str,
    gate: Gate,
    record: GateRecord,
    check: impl FnOnce(Option<&GateRecord>) -> Result<(), CoreError>,
) -> Result<(), CoreError> {
    let _lock = FileLock::acquire(&lock_dir.join("project-state.lock"))?;
    let mut state = ProjectState::load(state_file)?;
    check(state.tasks.get(task).and_then(|gates| gates.get(&gate)))?;
    state
        .tasks
        .entry(task.to_owned())
        .or_default()
        .insert(gate, record);
    atomic_write(state_file, state.render().as_bytes())
}

/// The lock directory for a state directory.
pub fn lock_dir(state_dir: &Path) -> PathBuf {
    state_dir.join("locks")
}

fn escape(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace(['\n', '\r'], " ")
}

/// The cells of one table row, with `\|` and `\\` unescaped.
fn split_cells(row: &str) -> Vec<String> {
    let inner = row.strip_prefix('|').unwrap_or(row);
    let mut cells = Vec::new();
    let mut current = String::new();
    let mut characters = inner.chars();
    while let Some(character) = characters.next() {
        match character {
            '\\' => match characters.next() {
                Some(next @ ('|' | '\\')) => current.push(next),
                Some(next) => {
                    current.push('\\');
                    current.push(next);
                }
                None => current.push('\\'),
            },
            '|' => cells.push(std::mem::take(&mut current)),
            other => current.push(other),
        }
    }
    if !current.trim().is_empty() {
        cells.push(current);
    }
    cells
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn render_and_parse_round_trip() {
        let mut state = ProjectState::default();
        state.tasks.entry("T-1".into()).or_default().insert(
            Gate::S06,
            GateRecord {
                status: GateStatus::Passed,
                by: "qa".into(),
                at: "t".into(),
                evidence: "a | b".into(),
            },
        );
        let parsed = ProjectState::parse(Path::new("P.md"), &state.render()).unwrap();
        assert_eq!(parsed, state);
        assert_eq!(parsed.status("T-1", Gate::S06), GateStatus::Passed);
        assert_eq!(parsed.status("T-1", Gate::S07), GateStatus::NotStarted);
    }

    #[test]
    fn bad_status_names_the_line() {
        let text = "| Task | Gate | Status |\n|---|---|---|\n| T-1 | S06 | maybe |\n";
        let error = ProjectState::parse(Path::new("P.md"), text).unwrap_err();
        assert!(error.to_string().contains("P.md:3"), "{error}");
    }

    #[test]
    fn record_gate_replaces_atomically() {
        let directory = tempfile::tempdir().unwrap();
        let file = directory.path().join("PROJECT_STATE.md");
        let record = GateRecord {
            status: GateStatus::Approved,
            by: "alice".into(),
            at: "now".into(),
            evidence: String::new(),
        };
        record_gate(
            &file,
            &directory.path().join("locks"),
            "T-9",
            Gate::S08,
            record,
        )
        .unwrap();
        let state = ProjectState::load(&file).unwrap();
        assert_eq!(state.status("T-9", Gate::S08), GateStatus::Approved);
    }
}
