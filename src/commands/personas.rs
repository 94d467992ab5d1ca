//! `agentctl personas`: list personas and stage commands.

use clap::Args;
use serde::Serialize;

use agentctl_persona::{Persona, PersonaKind};

use crate::cli::GlobalArgs;
use crate::commands::{load_config, load_library};
use crate::exit::Exit;
use crate::output;

#[derive(Debug, Args)]
pub struct PersonasArgs {
    /// Print JSON (an array of objects; shape in `agentctl docs cli`).
    #[arg(long)]
    pub json: bool,
}

/// One row of `agentctl personas --json`.
#[derive(Debug, Serialize)]
pub struct PersonaRow {
    pub name: String,
    pub kind: PersonaKind,
    pub role: Option<String>,
    pub prefix: Option<String>,
    pub stages: Vec<String>,
    pub tools: Vec<String>,
    pub handoffs: Vec<String>,
    pub source: String,
    pub format: String,
    /// For a stage command: the persona it runs as.
    pub runs_as: Option<String>,
}

impl PersonaRow {
    pub fn from_persona(persona: &Persona) -> PersonaRow {
        PersonaRow {
            name: persona.name.clone(),
            kind: persona.kind,
            role: persona.role.clone(),
            prefix: persona.prefix.clone(),
            stages: persona.stages.iter().map(ToString::to_string).collect(),
            tools: persona
                .offered_tools()
                .iter()
                .map(ToString::to_string)
                .collect(),
            handoffs: persona
                .handoffs
                .iter()
                .map(|target| target.name().to_owned())
                .collect(),
            source: persona.source.display().to_string(),
            format: persona.format.as_str().to_owned(),
            runs_as: persona
                .command
                .as_ref()
                .and_then(|command| command.resolved_role.clone()),
        }
    }
}

pub fn execute(global: &GlobalArgs, args: PersonasArgs) -> Exit {
    let config = match load_config(global, &Default::default()) {
        Ok(config) => config,
        Err(exit) => return exit,
    };
    let library = match load_library(&config) {
        Ok(library) => library,
        Err(exit) => return exit,
    };
    let rows: Vec<PersonaRow> = library
        .iter()
        .map(|persona| {
            // A stage command acts as its active role: show what that role may do.
            let acting = persona
                .command
                .as_ref()
                .and_then(|spec| spec.resolved_role.as_deref())
                .and_then(|role| library.get(role));
            let mut row = PersonaRow::from_persona(persona);
            if let Some(acting) = acting {
                let as_acting = PersonaRow::from_persona(acting);
                row.tools = as_acting.tools;
                row.handoffs = as_acting.handoffs;
                if row.stages.is_empty() {
                    row.stages = as_acting.stages;
                }
            }
            if let Ok(relative) = persona.source.strip_prefix(&config.paths.root) {
                row.source = relative.display().to_string();
            }
            row
        })
        .collect();
    if args.json {
        output::json(&rows);
        return Exit::Success;
    }
    output::stdout(&render_table(&rows, crate::table::terminal_width()));
    Exit::Success
}

/// The table on a terminal fits its width (long cells wrap at `, `); off a terminal rows stay
/// one line each, for `grep`. Built with comfy-table (see docs/DECISIONS.md).
fn render_table(rows: &[PersonaRow], width: Option<u16>) -> String {
    let header = [
        "NAME",
        "KIND",
        "ROLE",
        "STAGES",
        "TOOLS",
        "HANDOFFS",
        "SOURCE (FORMAT)",
    ];
    let mut table = crate::table::plain(&header, width, &[0, 1, 3]);
    // Wrapping happens at spaces, so lists get them only where they may wrap.
    let separator = if width.is_some() { ", " } else { "," };
    for row in rows {
        let (kind, role) = match row.kind {
            PersonaKind::Persona => (
                "persona",
                row.role.clone().unwrap_or_else(|| "-".to_owned()),
            ),
            PersonaKind::Command => (
                "command",
                format!("runs as {}", row.runs_as.as_deref().unwrap_or("?")),
            ),
        };
        table.add_row(vec![
            row.name.clone(),
            kind.to_owned(),
            role,
            dash_if_empty(row.stages.join(",")),
            dash_if_empty(row.tools.join(separator)),
            dash_if_empty(row.handoffs.join(separator)),
            format!("{} ({})", row.source, row.format),
        ]);
    }
    crate::table::render(table)
}

fn dash_if_empty(text: String) -> String {
    if text.is_empty() {
        "-".to_owned()
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(name: &str, tools: &[&str]) -> PersonaRow {
        PersonaRow {
            name: name.to_owned(),
            kind: PersonaKind::Persona,
            role: Some("Release Manager".to_owned()),
            prefix: None,
            stages: vec!["S10".to_owned()],
            tools: tools.iter().map(|tool| (*tool).to_owned()).collect(),
            handoffs: vec!["ops-devops".to_owned(), "qa-engineer".to_owned()],
            source: "prompts/deployment-plan.md".to_owned(),
            format: "canonical".to_owned(),
            runs_as: None,
        }
    }

    #[test]
    fn rows_fit_a_120_column_terminal() {
        let tools = [
            "fs_read",
            "fs_list",
            "fs_write",
            "execute_bash",
            "use_aws",
            "handoff",
        ];
        let rows = vec![row("release-manager", &tools), row("a", &[])];
        let unwrapped = render_table(&rows, None);
        assert!(unwrapped.lines().any(|line| line.chars().count() > 120));
        let text = render_table(&rows, Some(120));
        for line in text.lines() {
            assert!(
                line.chars().count() <= 120,
                "{} chars: {line}",
                line.chars().count()
            );
        }
        assert!(text.starts_with("NAME"), "{text}");
        // Names and paths are never cut; lists wrap between items.
        assert!(text.contains("release-manager"), "{text}");
        assert!(text.contains("prompts/deployment-plan.md"), "{text}");
        assert!(text.contains("execute_bash,"), "{text}");
    }

    #[test]
    fn off_a_terminal_each_row_is_one_line() {
        let tools = [
            "fs_read",
            "fs_list",
            "fs_write",
            "execute_bash",
            "use_aws",
            "handoff",
        ];
        let rows = vec![row("release-manager", &tools), row("a", &[])];
        let text = render_table(&rows, None);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3, "{text}");
        assert!(
            lines[0].starts_with("NAME             KIND     ROLE  "),
            "{text}"
        );
        assert!(lines[1].ends_with("(canonical)"), "{text}");
        assert!(lines.iter().all(|line| line == &line.trim_end()));
        assert!(lines[2].contains(" - "), "{text}");
    }
}
