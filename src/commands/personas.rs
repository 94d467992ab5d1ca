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
    output::stdout(&render_table(&rows));
    Exit::Success
}

fn render_table(rows: &[PersonaRow]) -> String {
    let header = [
        "NAME",
        "KIND",
        "ROLE",
        "STAGES",
        "TOOLS",
        "HANDOFFS",
        "SOURCE (FORMAT)",
    ];
    let cells: Vec<[String; 7]> = rows
        .iter()
        .map(|row| {
            let kind = match row.kind {
                PersonaKind::Persona => "persona".to_owned(),
                PersonaKind::Command => {
                    format!("command→{}", row.runs_as.as_deref().unwrap_or("?"))
                }
            };
            [
                row.name.clone(),
                kind,
                row.role.clone().unwrap_or_else(|| "-".to_owned()),
                dash_if_empty(row.stages.join(",")),
                dash_if_empty(row.tools.join(",")),
                dash_if_empty(row.handoffs.join(",")),
                format!("{} ({})", row.source, row.format),
            ]
        })
        .collect();
    let mut widths = header.map(str::len);
    for row in &cells {
        for (index, cell) in row.iter().enumerate() {
            widths[index] = widths[index].max(cell.chars().count());
        }
    }
    let mut text = String::new();
    let mut push_row = |cells: &[String]| {
        let line: Vec<String> = cells
            .iter()
            .enumerate()
            .map(|(index, cell)| {
                if index + 1 == cells.len() {
                    cell.clone()
                } else {
                    format!("{cell:<width$}", width = widths[index])
                }
            })
            .collect();
        text.push_str(line.join("  ").trim_end());
        text.push('\n');
    };
    push_row(&header.map(str::to_owned));
    for row in &cells {
        push_row(row);
    }
    text
}

fn dash_if_empty(text: String) -> String {
    if text.is_empty() {
        "-".to_owned()
    } else {
        text
    }
}
