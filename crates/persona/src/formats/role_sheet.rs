//! The role sheet style (seed 000): `# Role: X`, a `## Metadata` list of bold-labelled bullets
//! (Role Name, Prefix, Stage(s), Priority), criteria lists, `## Handoff To` with a Next Role and
//! its Handoff Items, the templates and checklists it uses, and `/…` slash commands.
//!
//! The whole file is the prompt. Stages are free text ("Deployment (Stage 6)") and go through
//! the stage keyword rule in `stages`; the raw text is kept as `metadata.stage_text`.
//!
//! Does not know about: which persona `Release Manager [RM]` is; the library resolves it.

use std::path::Path;

use agentctl_protocol::Diagnostic;

use crate::formats::{
    check_name, new_persona, record, record_default_permissions, set_metadata, set_metadata_list,
};
use crate::markdown::{self, Section};
use crate::model::{HandoffContext, HandoffTarget, Persona, PersonaKind, SourceFormat};
use crate::stages::stages_from_text;

/// Parses a role sheet.
pub fn parse(path: &Path, text: &str) -> Result<Persona, Vec<Diagnostic>> {
    let lines = markdown::lines(text, 1);
    let Some((title, title_line)) = markdown::first_title(&lines) else {
        return Err(vec![Diagnostic::error(
            path,
            Some(1),
            "a role sheet needs a `# Role: NAME` heading",
        )]);
    };
    let name = markdown::name_from_title(&title);
    let mut diagnostics: Vec<Diagnostic> = check_name(path, &name, Some(title_line))
        .into_iter()
        .collect();
    let mut persona = new_persona(
        &name,
        PersonaKind::Persona,
        SourceFormat::RoleSheet,
        path.to_path_buf(),
        text.to_owned(),
        1,
    );
    record(&mut persona, "name", Some(title_line), "heading `# Role:`");
    record(&mut persona, "body", Some(1), "the whole file");
    record_default_permissions(&mut persona);

    let sections = markdown::sections(&lines);
    if let Some(section) = markdown::find_section(&sections, &["Metadata"]) {
        read_metadata(&mut persona, section);
    }
    if persona.role.is_none() {
        persona.role = Some(markdown::role_from_title(&title));
        record(&mut persona, "role", Some(title_line), "heading `# Role:`");
    }
    if let Some(section) = markdown::find_section(&sections, &["Description"]) {
        if let Some((description, line)) = markdown::first_paragraph(&section.lines) {
            persona.description = Some(description);
            record(
                &mut persona,
                "description",
                Some(line),
                "section `## Description`",
            );
        }
    }
    let lists = [
        ("Responsibilities", "responsibilities"),
        ("Entry Criteria", "entry_criteria"),
        ("Exit Criteria", "exit_criteria"),
    ];
    for (title, key) in lists {
        if let Some(section) = markdown::find_section(&sections, &[title]) {
            let items = plain_items(section);
            let how = format!("section `## {title}`");
            set_metadata_list(&mut persona, key, items, Some(section.line), &how);
        }
    }
    let file_lists = [
        ("Templates Used", "templates_used"),
        ("Checklists Used", "checklists_used"),
    ];
    for (title, key) in file_lists {
        if let Some(section) = markdown::find_section(&sections, &[title]) {
            let items = markdown::top_level_items(&section.lines)
                .into_iter()
                .map(|(_, text)| file_name(&text))
                .collect();
            let how = format!("section `## {title}`");
            set_metadata_list(&mut persona, key, items, Some(section.line), &how);
        }
    }
    if let Some(section) = markdown::find_section(&sections, &["Commands"]) {
        let commands: Vec<String> = markdown::top_level_items(&section.lines)
            .into_iter()
            .filter_map(|(_, text)| {
                markdown::first_code_span(&text)
                    .filter(|code| code.starts_with('/'))
                    .map(str::to_owned)
            })
            .collect();
        set_metadata_list(
            &mut persona,
            "slash_commands",
            commands,
            Some(section.line),
            "section `## Commands`",
        );
    }
    if let Some(section) = markdown::find_section(&sections, &["Handoff To", "Handoffs"]) {
        read_handoffs(&mut persona, section, &mut diagnostics);
    }
    if let Some(line) = lines.iter().find(|line| line.text.contains("CHECKPOINT")) {
        set_metadata(
            &mut persona,
            "production_checkpoint",
            serde_json::Value::Bool(true),
            Some(line.number),
            "`⏸️ CHECKPOINT` marker",
        );
    }
    if diagnostics.is_empty() {
        Ok(persona)
    } else {
        Err(diagnostics)
    }
}

fn plain_items(section: &Section<'_>) -> Vec<String> {
    markdown::top_level_items(&section.lines)
        .into_iter()
        .map(|(_, text)| markdown::plain(&text))
        .collect()
}

/// `` `stage-completion.md` (Deployment section) `` → `stage-completion.md`.
fn file_name(item: &str) -> String {
    match markdown::first_code_span(item) {
        Some(code) => code.trim().to_owned(),
        None => item.split(" (").next().unwrap_or(item).trim().to_owned(),
    }
}

fn read_metadata(persona: &mut Persona, section: &Section<'_>) {
    for line in &section.lines {
        let Some((_, content)) = markdown::bullet(line.text) else {
            continue;
        };
        let Some((label, value)) = markdown::bold_label(content) else {
            continue;
        };
        let how = format!("Metadata bullet \"{label}\"");
        match label.to_lowercase().as_str() {
            "role name" | "role" => {
                persona.role = Some(value);
                record(persona, "role", Some(line.number), &how);
            }
            "prefix" => {
                persona.prefix = Some(value);
                record(persona, "prefix", Some(line.number), &how);
            }
            "stage(s)" | "stage" | "stages" => {
                persona.stages = stages_from_text(&value);
                record(
                    persona,
                    "stages",
                    Some(line.number),
                    &format!("{how} (stage keyword rule)"),
                );
                set_metadata(
                    persona,
                    "stage_text",
                    serde_json::Value::String(value),
                    Some(line.number),
                    &how,
                );
            }
            other => {
                let key = markdown::slugify(other).replace('-', "_");
                if !key.is_empty() {
                    set_metadata(
                        persona,
                        &key,
                        serde_json::Value::String(value),
                        Some(line.number),
                        &how,
                    );
                }
            }
        }
    }
}

/// `- **Next Role:** Release Manager [RM]` (one per bullet) and `- **Handoff Items:**` with
/// sub-bullets; the items go with every target of the section.
fn read_handoffs(persona: &mut Persona, section: &Section<'_>, diagnostics: &mut Vec<Diagnostic>) {
    let mut targets: Vec<(String, usize)> = Vec::new();
    let mut items = Vec::new();
    let mut items_indent: Option<usize> = None;
    for line in &section.lines {
        let Some((indent, content)) = markdown::bullet(line.text) else {
            continue;
        };
        if let Some(parent) = items_indent {
            if indent > parent {
                items.push(markdown::plain(content));
                continue;
            }
            items_indent = None;
        }
        match markdown::bold_label(content) {
            Some((label, value))
                if label.eq_ignore_ascii_case("next role") && !value.is_empty() =>
            {
                targets.push((markdown::plain(&value), line.number));
            }
            Some((label, _)) if label.eq_ignore_ascii_case("handoff items") => {
                items_indent = Some(indent);
            }
            _ => {}
        }
    }
    if targets.is_empty() {
        diagnostics.push(
            Diagnostic::error(
                &persona.source,
                Some(section.line),
                "`## Handoff To` names no `**Next Role:**`",
            )
            .with_hint("add `- **Next Role:** Role Name [PREFIX]`, or remove the section"),
        );
        return;
    }
    record(
        persona,
        "handoffs",
        Some(section.line),
        "section `## Handoff To`",
    );
    for (written, line) in &targets {
        record(
            persona,
            &format!("handoffs.{written}"),
            Some(*line),
            "bullet \"Next Role\"",
        );
    }
    persona.handoffs = targets
        .into_iter()
        .map(|(written, _)| HandoffTarget {
            written,
            resolved: None,
            tools: None,
            context: HandoffContext::Packet,
            items: items.clone(),
        })
        .collect();
}

#[cfg(test)]
mod tests {
    use super::*;
    use agentctl_protocol::Gate;

    const SHEET: &str = "# Role: QA Engineer

## Metadata
- **Role Name:** QA Engineer
- **Prefix:** [QA]
- **Stage(s):** Verification (S06)
- **Owner:** platform team

## Handoff To
- **Next Role:** Security [SEC]
- **Next Role:** DevOps [DEVOPS]
- **Handoff Items:**
  - Test report
  - Coverage

## Templates Used
- test-plan.md (optional)
";

    #[test]
    fn reads_a_role_sheet() {
        let persona = parse(Path::new("personas/qa.md"), SHEET).unwrap();
        assert_eq!(persona.name, "qa-engineer");
        assert_eq!(persona.role.as_deref(), Some("QA Engineer"));
        assert_eq!(persona.prefix.as_deref(), Some("[QA]"));
        assert_eq!(persona.stages, vec![Gate::S06]);
        assert_eq!(
            persona.metadata["owner"],
            serde_json::json!("platform team")
        );
        let written: Vec<&str> = persona
            .handoffs
            .iter()
            .map(|h| h.written.as_str())
            .collect();
        assert_eq!(written, vec!["Security [SEC]", "DevOps [DEVOPS]"]);
        assert_eq!(persona.handoffs[1].items, vec!["Test report", "Coverage"]);
        assert_eq!(persona.origins["handoffs.DevOps [DEVOPS]"].line, Some(11));
        assert_eq!(
            persona.metadata["templates_used"],
            serde_json::json!(["test-plan.md"])
        );
        assert!(!persona.metadata.contains_key("production_checkpoint"));
    }

    #[test]
    fn a_handoff_section_without_a_target_is_an_error() {
        let text = "# Role: X\n\n## Metadata\n- **Prefix:** [X]\n\n## Handoff To\n- nobody\n";
        let diagnostics = parse(Path::new("x.md"), text).unwrap_err();
        assert_eq!(diagnostics[0].line, Some(6));
    }
}
