//! `agentctl lint`: validate the whole library in one pass — configuration, personas, stage
//! commands, includes and variables of every prompt, templates and tasks.

use clap::Args;
use serde::Serialize;

use agentctl_config::{Config, EnvVars, Overrides};
use agentctl_protocol::{Diagnostic, Severity};

use crate::cli::GlobalArgs;
use crate::commands::relative_diagnostics;
use crate::exit::Exit;
use crate::output;

#[derive(Debug, Args)]
pub struct LintArgs {
    /// Print JSON: `{ "errors": N, "warnings": N, "diagnostics": [...] }`.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Serialize)]
struct LintReport {
    errors: usize,
    warnings: usize,
    personas: usize,
    commands: usize,
    tasks: usize,
    diagnostics: Vec<Diagnostic>,
}

pub fn execute(global: &GlobalArgs, args: LintArgs) -> Exit {
    let current = match std::env::current_dir() {
        Ok(current) => current,
        Err(error) => {
            output::error(&format!("cannot read the current directory: {error}"), None);
            return Exit::BadInput;
        }
    };
    let root = match agentctl_config::discover_root(&current, global.root.as_deref()) {
        Ok(root) => root,
        Err(error) => {
            output::error(&error.to_string(), error.hint().as_deref());
            return Exit::BadInput;
        }
    };
    let config = match Config::load(&root, &EnvVars::from_process(), &Overrides::default()) {
        Ok(config) => config,
        Err(error) => {
            // A broken agentctl.toml is itself a lint finding; report it in the same shape.
            return finish(
                &args,
                LintReport::from_diagnostics(vec![error.to_diagnostic()], 0, 0, 0),
            );
        }
    };
    let outcome = agentctl_core::lint::lint_project(&config);
    let diagnostics = relative_diagnostics(&config, outcome.diagnostics);
    finish(
        &args,
        LintReport::from_diagnostics(
            diagnostics,
            outcome.personas,
            outcome.commands,
            outcome.tasks,
        ),
    )
}

impl LintReport {
    fn from_diagnostics(
        diagnostics: Vec<Diagnostic>,
        personas: usize,
        commands: usize,
        tasks: usize,
    ) -> LintReport {
        let errors = diagnostics
            .iter()
            .filter(|diagnostic| diagnostic.severity == Severity::Error)
            .count();
        LintReport {
            errors,
            warnings: diagnostics.len() - errors,
            personas,
            commands,
            tasks,
            diagnostics,
        }
    }
}

/// `1 task`, `2 tasks`.
fn counted(count: usize, noun: &str) -> String {
    if count == 1 {
        format!("1 {noun}")
    } else {
        format!("{count} {noun}s")
    }
}

fn finish(args: &LintArgs, report: LintReport) -> Exit {
    if args.json {
        output::json(&report);
    } else {
        output::diagnostics(&report.diagnostics);
        output::stdout(&format!(
            "checked {}, {}, {}: {}, {}\n",
            counted(report.personas, "persona"),
            counted(report.commands, "stage command"),
            counted(report.tasks, "task"),
            counted(report.errors, "error"),
            counted(report.warnings, "warning"),
        ));
    }
    if report.errors > 0 {
        Exit::BadInput
    } else {
        Exit::Success
    }
}
