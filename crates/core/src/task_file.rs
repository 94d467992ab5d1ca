//! Task files as gate state: their digest, recorded with every gate decision, and the check
//! that sends a change to a task's gate fields to a human.
//!
//! A task's `env`, `phase` and `prerequisites` decide which gates a persona must pass. Task
//! files are protected from agents by default; a project may open them to a persona
//! (`[open_to_agents] tasks = ["NAME"]`), and then an `fs_write` that changes one of those
//! fields waits for a human exactly like a call matching an `approve` rule.
//!
//! Does not decide whether a persona may write the file at all (the policy engine does).

use std::path::Path;

use agentctl_persona::Task;

use crate::store::sha256_hex;

/// SHA-256 of `tasks_dir/ID.md` as it is now; `None` when it cannot be read (a chat's stand-in
/// task has no file).
pub fn digest(tasks_dir: &Path, id: &str) -> Option<String> {
    if id.is_empty() || id.contains(['/', '\\']) || id.starts_with('.') {
        return None;
    }
    fs_err::read(tasks_dir.join(format!("{id}.md")))
        .ok()
        .map(|bytes| sha256_hex(&bytes))
}

/// Why writing `new_text` to the task file at `path` needs a human, or `None` when the gate
/// fields stay as they are. `path` must lie in the tasks directory.
pub fn gate_change(path: &Path, new_text: &str) -> Option<String> {
    let shown = path
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    let Some(id) = path
        .file_name()
        .and_then(|name| name.to_str())
        .and_then(|name| name.strip_suffix(".md"))
    else {
        // Not a task file (`tasks/notes.txt`): nothing reads gates from it.
        return None;
    };
    let before = match fs_err::read_to_string(path) {
        Ok(text) => match agentctl_persona::parse_task(path, id, &text) {
            Ok(task) => GateFields::of(&task),
            Err(_) => GateFields::unreadable(),
        },
        Err(_) => GateFields::default(),
    };
    let after = match agentctl_persona::parse_task(path, id, new_text) {
        Ok(task) => GateFields::of(&task),
        Err(diagnostic) => {
            return Some(format!(
                "the new text of task file `{shown}` does not read as a task ({}), so its gates \
                 cannot be compared; a human must approve the change",
                diagnostic.message
            ))
        }
    };
    if before == after {
        return None;
    }
    Some(format!(
        "the write changes the gate fields of task file `{shown}` ({} → {}); a human must approve \
         a change to a task's env, phase or prerequisites",
        before.describe(),
        after.describe()
    ))
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct GateFields {
    env: Option<String>,
    phase: Option<String>,
    prerequisites: Vec<String>,
    unreadable: bool,
}

impl GateFields {
    fn of(task: &Task) -> GateFields {
        GateFields {
            env: task.env.map(|env| format!("{env:?}").to_lowercase()),
            phase: task.phase.map(|gate| gate.as_str().to_owned()),
            prerequisites: task
                .prerequisites
                .iter()
                .map(|gate| gate.as_str().to_owned())
                .collect(),
            unreadable: false,
        }
    }

    fn unreadable() -> GateFields {
        GateFields {
            unreadable: true,
            ..GateFields::default()
        }
    }

    fn describe(&self) -> String {
        if self.unreadable {
            return "unreadable".to_owned();
        }
        let prerequisites = if self.prerequisites.is_empty() {
            "none".to_owned()
        } else {
            self.prerequisites.join(", ")
        };
        format!(
            "env: {}, phase: {}, prerequisites: {prerequisites}",
            self.env.as_deref().unwrap_or("none"),
            self.phase.as_deref().unwrap_or("none"),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TASK: &str =
        "---\nid: T-1\ntitle: Deploy\nenv: production\nprerequisites: [S06, S07]\n---\nBody.\n";

    #[test]
    fn body_edits_pass_and_gate_edits_need_a_human() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("T-1.md");
        std::fs::write(&path, TASK).unwrap();
        assert_eq!(
            gate_change(&path, &TASK.replace("Body.", "New body.")),
            None
        );
        let reason = gate_change(&path, &TASK.replace("env: production", "env: staging")).unwrap();
        assert!(reason.contains("env: production"), "{reason}");
        assert!(reason.contains("env: staging"), "{reason}");
        assert!(gate_change(&path, &TASK.replace("[S06, S07]", "[S06]")).is_some());
        assert!(gate_change(&path, &TASK.replace("env: production", "env: PRODUCTION")).is_none());
        assert!(gate_change(&path, "no front matter").is_some());
        assert!(digest(directory.path(), "T-1").is_some());
        assert_eq!(digest(directory.path(), "../T-1"), None);
    }
}
