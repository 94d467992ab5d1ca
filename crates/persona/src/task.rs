//! Task files `tasks/ID.md`: YAML front matter (`id`, `title`, `env`, `phase`,
//! `prerequisites`, `acceptance`, `rollback`, `vars`) and a Markdown description.
//!
//! Does not know about: gate status or runs; it only reads the file.

use std::collections::BTreeMap;
use std::path::Path;

use agentctl_protocol::{Diagnostic, Gate};
use serde::Deserialize;

use crate::formats::parse_gates;
use crate::front_matter::{self, metadata_value, FrontMatter, Split, StringList};
use crate::model::{Environment, Task};
use crate::source::read_text;
use crate::suggest::closest;

const KEYS: [&str; 8] = [
    "id",
    "title",
    "env",
    "phase",
    "prerequisites",
    "acceptance",
    "rollback",
    "vars",
];

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Fields {
    id: Option<String>,
    title: Option<String>,
    env: Option<String>,
    phase: Option<String>,
    prerequisites: Option<StringList>,
    acceptance: Option<StringList>,
    rollback: Option<String>,
    vars: BTreeMap<String, serde_json::Value>,
}

/// Loads `tasks_dir/ID.md`. The first problem found is returned.
pub fn load_task(tasks_dir: &Path, id: &str) -> Result<Task, Diagnostic> {
    let path = tasks_dir.join(format!("{id}.md"));
    let plausible_id =
        !id.is_empty() && !id.starts_with('.') && !id.contains(['/', '\\']) && !id.contains("..");
    if !plausible_id {
        return Err(Diagnostic::error(
            tasks_dir,
            None,
            format!("`{id}` is not a task id"),
        )
        .with_hint("a task id is the name of a file in the tasks directory without `.md`, e.g. `T-154`"));
    }
    if !path.is_file() {
        return Err(missing_task(tasks_dir, &path, id));
    }
    let text = read_text(&path, &path)?;
    parse_task(&path, id, &text)
}

fn missing_task(tasks_dir: &Path, path: &Path, id: &str) -> Diagnostic {
    let available = available_ids(tasks_dir);
    let suggestion = closest(id, available.iter().map(String::as_str))
        .map(|candidate| format!("did you mean `{candidate}`? "))
        .unwrap_or_default();
    let hint = if available.is_empty() {
        format!(
            "there are no tasks in {}; create {}",
            tasks_dir.display(),
            path.display()
        )
    } else {
        format!("{suggestion}available tasks: {}", available.join(", "))
    };
    Diagnostic::error(path, None, format!("task `{id}` not found")).with_hint(hint)
}

/// The ids of the `*.md` files in `tasks_dir`, sorted.
pub fn available_ids(tasks_dir: &Path) -> Vec<String> {
    let Ok(entries) = fs_err::read_dir(tasks_dir) else {
        return Vec::new();
    };
    let mut ids: Vec<String> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|extension| extension == "md"))
        .filter_map(|path| path.file_stem()?.to_str().map(str::to_owned))
        .filter(|stem| !stem.eq_ignore_ascii_case("readme"))
        .collect();
    ids.sort();
    ids
}

/// Parses a task file's text; `id` is the file stem it must declare.
pub fn parse_task(path: &Path, id: &str, text: &str) -> Result<Task, Diagnostic> {
    let front_matter = match front_matter::split(text) {
        Split::Present(front_matter) => front_matter,
        Split::Unclosed => return Err(front_matter::unclosed(path)),
        Split::Absent => {
            return Err(Diagnostic::error(
                path,
                Some(1),
                "a task file needs YAML front matter starting with `---` on line 1",
            )
            .with_hint(format!(
                "start it with `---`, `id: {id}`, `title: …`, `---`"
            )))
        }
    };
    let mapping = front_matter.mapping(path)?;
    if let Some(problem) = front_matter
        .unknown_keys(path, &mapping, &KEYS)
        .into_iter()
        .next()
    {
        return Err(problem);
    }
    let fields: Fields = front_matter.deserialize(path)?;
    build(path, id, &front_matter, fields)
}

fn build(
    path: &Path,
    id: &str,
    front_matter: &FrontMatter<'_>,
    fields: Fields,
) -> Result<Task, Diagnostic> {
    let line = |key: &str| front_matter.key_line(key);
    let declared_id = fields.id.unwrap_or_else(|| id.to_owned());
    if declared_id != id {
        return Err(Diagnostic::error(
            path,
            line("id"),
            format!("task id `{declared_id}` does not match the file name `{id}.md`"),
        )
        .with_hint(format!(
            "set `id: {id}` or rename the file to `{declared_id}.md`"
        )));
    }
    let Some(title) = fields.title.filter(|title| !title.trim().is_empty()) else {
        return Err(Diagnostic::error(path, Some(1), "task has no `title`")
            .with_hint("add `title: …` to the front matter"));
    };
    let env = match fields.env.as_deref().map(str::trim) {
        None => None,
        Some(text) if text.eq_ignore_ascii_case("staging") => Some(Environment::Staging),
        Some(text) if text.eq_ignore_ascii_case("production") => Some(Environment::Production),
        Some(other) => {
            return Err(Diagnostic::error(
                path,
                line("env"),
                format!("`env: {other}` is not an environment"),
            )
            .with_hint("use `env: staging` or `env: production`"))
        }
    };
    let phase = match fields.phase {
        None => None,
        Some(text) => Some(one_gate(path, front_matter, "phase", &text)?),
    };
    let prerequisites = match fields.prerequisites {
        None => Vec::new(),
        Some(list) => {
            let (gates, problems) = parse_gates(path, "prerequisites", &list.into_vec(), |text| {
                front_matter.value_line("prerequisites", text)
            });
            if let Some(problem) = problems.into_iter().next() {
                return Err(problem);
            }
            gates
        }
    };
    let mut vars = BTreeMap::new();
    for (key, value) in fields.vars {
        match metadata_value(value) {
            serde_json::Value::String(text) => {
                vars.insert(key, text);
            }
            _ => {
                return Err(Diagnostic::error(
                    path,
                    front_matter.value_line("vars", &key),
                    format!("`vars.{key}` must be a single value"),
                )
                .with_hint("write `KEY: value`; lists and maps are not prompt variables"))
            }
        }
    }
    Ok(Task {
        id: id.to_owned(),
        title: title.trim().to_owned(),
        env,
        phase,
        prerequisites,
        acceptance: fields
            .acceptance
            .map(StringList::into_vec)
            .unwrap_or_default(),
        rollback: fields.rollback,
        vars,
        description: front_matter.body.trim().to_owned(),
        source: path.to_path_buf(),
    })
}

fn one_gate(
    path: &Path,
    front_matter: &FrontMatter<'_>,
    key: &str,
    text: &str,
) -> Result<Gate, Diagnostic> {
    text.parse::<Gate>().map_err(|error| {
        Diagnostic::error(
            path,
            front_matter.key_line(key),
            format!("`{key}`: {error}"),
        )
        .with_hint("write a gate such as `S09`")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const TASK: &str = "---
id: T-154
title: Deploy v1.2.0 to staging
env: staging
phase: S09
prerequisites: [S06, S07]
acceptance:
  - Smoke tests pass
rollback: kubectl rollout undo deployment/api -n staging
vars:
  SERVICE: api
  REPLICAS: 3
---

Ship the release to the staging cluster.
";

    #[test]
    fn parses_a_task() {
        let task = parse_task(Path::new("tasks/T-154.md"), "T-154", TASK).unwrap();
        assert_eq!(task.title, "Deploy v1.2.0 to staging");
        assert_eq!(task.env, Some(Environment::Staging));
        assert_eq!(task.phase, Some(Gate::S09));
        assert_eq!(task.prerequisites, vec![Gate::S06, Gate::S07]);
        assert_eq!(task.acceptance, vec!["Smoke tests pass".to_owned()]);
        assert_eq!(task.vars["REPLICAS"], "3");
        assert_eq!(task.description, "Ship the release to the staging cluster.");
    }

    #[test]
    fn task_problems_are_located() {
        let wrong_id = TASK.replace("id: T-154", "id: T-155");
        let error = parse_task(Path::new("tasks/T-154.md"), "T-154", &wrong_id).unwrap_err();
        assert_eq!(error.line, Some(2));
        assert!(error.message.contains("does not match the file name"));

        let unknown = TASK.replace("rollback:", "rolback:");
        let error = parse_task(Path::new("tasks/T-154.md"), "T-154", &unknown).unwrap_err();
        assert_eq!(error.line, Some(9));
        assert_eq!(error.hint.as_deref(), Some("did you mean `rollback`?"));

        let bad_env = TASK.replace("env: staging", "env: prod");
        let error = parse_task(Path::new("tasks/T-154.md"), "T-154", &bad_env).unwrap_err();
        assert_eq!(error.line, Some(4));
    }

    #[test]
    fn a_missing_task_lists_the_available_ones() {
        let directory = tempfile::tempdir().unwrap();
        fs_err::write(directory.path().join("T-1.md"), "---\ntitle: one\n---\n").unwrap();
        fs_err::write(directory.path().join("T-2.md"), "---\ntitle: two\n---\n").unwrap();
        let error = load_task(directory.path(), "T-3").unwrap_err();
        assert_eq!(error.path, directory.path().join("T-3.md"));
        assert_eq!(error.message, "task `T-3` not found");
        assert_eq!(
            error.hint.as_deref(),
            Some("did you mean `T-1`? available tasks: T-1, T-2")
        );
        let task = load_task(directory.path(), "T-2").unwrap();
        assert_eq!(task.id, "T-2");
        assert!(load_task(directory.path(), "../T-1").is_err());
    }
}
