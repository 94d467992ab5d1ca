//! Looks up `{{UPPER_SNAKE}}` variable values in their documented order of precedence.
//!
//! Owns the layering below the caller's: the caller's variables (already `--var` over
//! `agentctl.toml [vars]`), then the task's `vars:`, then the task built-ins `TASK_ID`,
//! `TASK_TITLE`, `TASK_ENV`, then stage command parameters upper-cased (`env` → `ENV`,
//! `dry-run` → `DRY_RUN`). It does not know where variables appear or how unresolved ones are
//! reported.

use std::borrow::Cow;
use std::collections::BTreeMap;

use agentctl_persona::{Environment, Task};

/// What to tell a user whose variable has no value.
pub(crate) fn unresolved_hint(name: &str) -> String {
    format!("pass --var {name}=VALUE or set it under [vars] in agentctl.toml")
}

/// Every value a prompt's variables may take, in precedence order.
#[derive(Debug)]
pub(crate) struct VariableScope<'a> {
    vars: &'a BTreeMap<String, String>,
    task: Option<&'a Task>,
    params: BTreeMap<String, &'a str>,
}

impl<'a> VariableScope<'a> {
    pub(crate) fn new(
        vars: &'a BTreeMap<String, String>,
        task: Option<&'a Task>,
        params: &'a BTreeMap<String, String>,
    ) -> VariableScope<'a> {
        let params = params
            .iter()
            .map(|(name, value)| (parameter_variable_name(name), value.as_str()))
            .collect();
        VariableScope { vars, task, params }
    }

    /// The value of `name`, or `None` when no layer defines it.
    pub(crate) fn lookup(&self, name: &str) -> Option<Cow<'a, str>> {
        // Parameters are the most specific input: `--param env=production` must beat a
        // project-wide `[vars] ENV = "staging"`.
        if let Some(value) = self.params.get(name) {
            return Some(Cow::Borrowed(*value));
        }
        if let Some(value) = self.vars.get(name) {
            return Some(Cow::Borrowed(value));
        }
        if let Some(value) = self.task.and_then(|task| task.vars.get(name)) {
            return Some(Cow::Borrowed(value));
        }
        if let Some(value) = self.task.and_then(|task| task_builtin(task, name)) {
            return Some(value);
        }
        None
    }
}

fn task_builtin<'a>(task: &'a Task, name: &str) -> Option<Cow<'a, str>> {
    match name {
        "TASK_ID" => Some(Cow::Borrowed(&task.id)),
        "TASK_TITLE" => Some(Cow::Borrowed(&task.title)),
        "TASK_ENV" => task.env.map(|env| {
            Cow::Borrowed(match env {
                Environment::Staging => "staging",
                Environment::Production => "production",
            })
        }),
        _ => None,
    }
}

/// The variable a stage command parameter is visible as: upper-cased, `-` as `_`.
fn parameter_variable_name(parameter: &str) -> String {
    parameter
        .chars()
        .map(|character| match character {
            '-' => '_',
            other => other.to_ascii_uppercase(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    fn task() -> Task {
        Task {
            id: "T-154".to_owned(),
            title: "Ship the billing service".to_owned(),
            env: Some(Environment::Production),
            phase: None,
            prerequisites: Vec::new(),
            acceptance: Vec::new(),
            rollback: None,
            vars: BTreeMap::from([
                ("REGION".to_owned(), "eu-west-1".to_owned()),
                ("CLUSTER".to_owned(), "from-task".to_owned()),
            ]),
            description: String::new(),
            source: PathBuf::from("tasks/T-154.md"),
        }
    }

    #[test]
    fn params_win_over_caller_vars_which_win_over_task_vars_and_builtins() {
        let vars = BTreeMap::from([("CLUSTER".to_owned(), "from-caller".to_owned())]);
        let params = BTreeMap::from([
            ("env".to_owned(), "staging".to_owned()),
            ("dry-run".to_owned(), "yes".to_owned()),
            ("region".to_owned(), "from-param".to_owned()),
        ]);
        let task = task();
        let scope = VariableScope::new(&vars, Some(&task), &params);
        assert_eq!(scope.lookup("CLUSTER").as_deref(), Some("from-caller"));
        // A parameter beats a task variable of the same name.
        assert_eq!(scope.lookup("REGION").as_deref(), Some("from-param"));
        assert_eq!(scope.lookup("TASK_ID").as_deref(), Some("T-154"));
        assert_eq!(
            scope.lookup("TASK_TITLE").as_deref(),
            Some("Ship the billing service")
        );
        assert_eq!(scope.lookup("TASK_ENV").as_deref(), Some("production"));
        assert_eq!(scope.lookup("ENV").as_deref(), Some("staging"));
        assert_eq!(scope.lookup("DRY_RUN").as_deref(), Some("yes"));
        assert_eq!(scope.lookup("MISSING"), None);
        let no_params = empty_params();
        let without_params = VariableScope::new(&vars, Some(&task), &no_params);
        assert_eq!(
            without_params.lookup("REGION").as_deref(),
            Some("eu-west-1")
        );
        let env_var = BTreeMap::from([("ENV".to_owned(), "from-vars".to_owned())]);
        let both = VariableScope::new(&env_var, Some(&task), &params);
        assert_eq!(both.lookup("ENV").as_deref(), Some("staging"));
    }

    fn empty_params() -> BTreeMap<String, String> {
        BTreeMap::new()
    }

    #[test]
    fn task_builtins_are_absent_without_a_task() {
        let empty = BTreeMap::new();
        let scope = VariableScope::new(&empty, None, &empty);
        assert_eq!(scope.lookup("TASK_ID"), None);
    }

    #[test]
    fn hint_names_the_variable() {
        assert_eq!(
            unresolved_hint("CICD_PIPELINE"),
            "pass --var CICD_PIPELINE=VALUE or set it under [vars] in agentctl.toml"
        );
    }
}
