//! The swarm persona style (seed 004): `# Persona: name`, `## Role`, `## Does NOT`,
//! `## Context Scope` (a fenced list of files loaded on activation), `## Primary Outputs`,
//! `## Skills Used`, `## Constraints` and a deployment checklist naming gates.
//!
//! Stages: gates written in the Context Scope entries that are not files (the "current phase"
//! line); without any, the stage keyword rule over the `## Role` text. Gates S06–S08 named in
//! a `… Checklist` section become `metadata.production_requires`.
//!
//! Does not know about: whether the context files exist (the prompt crate loads them).

use std::path::Path;

use agentctl_protocol::{Diagnostic, Gate};

use crate::formats::{
    check_name, context_ref_from_text, looks_like_path, new_persona, record,
    record_default_permissions, set_metadata_list,
};
use crate::markdown::{self, Section};
use crate::model::{Persona, PersonaKind, SourceFormat};
use crate::stages::{explicit_gates, stages_from_text};

/// Parses a swarm persona.
pub fn parse(path: &Path, text: &str) -> Result<Persona, Vec<Diagnostic>> {
    let lines = markdown::lines(text, 1);
    let Some((title, title_line)) = markdown::first_title(&lines) else {
        return Err(vec![Diagnostic::error(
            path,
            Some(1),
            "a swarm persona needs a `# Persona: NAME` heading",
        )]);
    };
    let name = markdown::name_from_title(&title);
    if let Some(problem) = check_name(path, &name, Some(title_line)) {
        return Err(vec![problem]);
    }
    let mut persona = new_persona(
        &name,
        PersonaKind::Persona,
        SourceFormat::SwarmPersona,
        path.to_path_buf(),
        text.to_owned(),
        1,
    );
    record(
        &mut persona,
        "name",
        Some(title_line),
        "heading `# Persona:`",
    );
    record(&mut persona, "body", Some(1), "the whole file");
    record_default_permissions(&mut persona);

    let sections = markdown::sections(&lines);
    let role_text = markdown::find_section(&sections, &["Role"])
        .and_then(|section| markdown::first_paragraph(&section.lines));
    if let Some((description, line)) = &role_text {
        persona.description = Some(description.clone());
        record(
            &mut persona,
            "description",
            Some(*line),
            "section `## Role`",
        );
    }
    let lists = [
        ("Does NOT", "does_not"),
        ("Constraints", "constraints"),
        ("Primary Outputs", "primary_outputs"),
        ("Skills Used", "skills"),
    ];
    for (title, key) in lists {
        if let Some(section) = markdown::find_section(&sections, &[title]) {
            let items = markdown::top_level_items(&section.lines)
                .into_iter()
                .map(|(_, text)| markdown::plain(&text))
                .collect();
            let how = format!("section `## {title}`");
            set_metadata_list(&mut persona, key, items, Some(section.line), &how);
        }
    }

    let mut phase_gates = Vec::new();
    if let Some(section) = markdown::find_section(&sections, &["Context Scope"]) {
        phase_gates = read_context_scope(&mut persona, section);
    }
    if !phase_gates.is_empty() {
        persona.stages = phase_gates;
    } else if let Some((text, line)) = &role_text {
        persona.stages = stages_from_text(text);
        if !persona.stages.is_empty() {
            record(
                &mut persona,
                "stages",
                Some(*line),
                "section `## Role` (stage keyword rule)",
            );
        }
    }

    let mut requires: Vec<Gate> = Vec::new();
    let mut requires_line = None;
    for section in sections
        .iter()
        .filter(|section| section.level == 2 && section.title.to_lowercase().contains("checklist"))
    {
        for line in &section.lines {
            let gates: Vec<Gate> = explicit_gates(line.text)
                .into_iter()
                .filter(|gate| matches!(gate, Gate::S06 | Gate::S07 | Gate::S08))
                .collect();
            if !gates.is_empty() {
                requires_line.get_or_insert(line.number);
                requires.extend(gates);
            }
        }
    }
    requires.sort();
    requires.dedup();
    set_metadata_list(
        &mut persona,
        "production_requires",
        requires
            .iter()
            .map(|gate| gate.as_str().to_owned())
            .collect(),
        requires_line,
        "gates named in the deployment checklist",
    );
    Ok(persona)
}

/// Fills `context` from file entries and `metadata.context_notes` from the others; returns the
/// gates the notes name.
fn read_context_scope(persona: &mut Persona, section: &Section<'_>) -> Vec<Gate> {
    let mut notes = Vec::new();
    let mut gates = Vec::new();
    let mut gate_line = None;
    for line in &section.lines {
        let Some((_, entry)) = markdown::bullet(line.text) else {
            continue;
        };
        let entry = markdown::plain(entry);
        let first_word = entry
            .split(|c: char| c.is_whitespace() || c == '(')
            .next()
            .unwrap_or("");
        if looks_like_path(first_word) {
            persona.context.push(context_ref_from_text(&entry));
        } else {
            let named = explicit_gates(&entry);
            if !named.is_empty() {
                gate_line.get_or_insert(line.number);
                gates.extend(named);
            }
            notes.push(entry);
        }
    }
    if !persona.context.is_empty() {
        record(
            persona,
            "context",
            Some(section.line),
            "section `## Context Scope`",
        );
    }
    set_metadata_list(
        persona,
        "context_notes",
        notes,
        Some(section.line),
        "section `## Context Scope` (entries that are not files)",
    );
    gates.sort();
    gates.dedup();
    if !gates.is_empty() {
        record(
            persona,
            "stages",
            gate_line,
            "gates named in `## Context Scope`",
        );
    }
    gates
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stages_fall_back_to_the_role_keywords() {
        let text = "# Persona: qa-tester\n\n## Role\n\nRuns the test suites.\n\n## Context Scope\n\n```\n- docs/testing.md (optional)\n```\n";
        let persona = parse(Path::new("personas/qa.md"), text).unwrap();
        assert_eq!(persona.stages, vec![Gate::S06]);
        assert_eq!(persona.context.len(), 1);
        assert!(persona.context[0].optional);
        assert_eq!(persona.origins["stages"].line, Some(5));
        assert!(!persona.metadata.contains_key("production_requires"));
    }
}
