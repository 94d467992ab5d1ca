//! Which style a persona file is written in, decided from its content (never its name), and
//! parsing a file in whatever style it is.
//!
//! A JSON object (`{` then a quoted key) → Kiro agent. With front matter:
//! `params`/`production_when` or a `## Active Role:` line → stage command; any canonical-only
//! key → canonical; any of `capabilities`, `use_when`, `avoid_when`, `tags` → agent; a Claude
//! tool name in `tools` (`Read, Bash`) or a Claude alias in `model` (`sonnet`) → Claude Code
//! agent; otherwise canonical. Without: `# Role:` plus a `## Metadata` section or metadata
//! bullets → role sheet; `# Persona:` plus `## Role`, `## Does NOT` or `## Context Scope` →
//! swarm persona; any other level-1 heading → role prompt.
//!
//! Does not know about: other files, overlays or how the library resolves names.

use std::path::Path;

use agentctl_protocol::Diagnostic;

use crate::formats::canonical::{AGENT_KEYS, CANONICAL_ONLY_KEYS};
use crate::formats::{
    agent, canonical, claude_agent, kiro_agent, role_prompt, role_sheet, stage_command, swarm,
};
use crate::front_matter::{self, top_level_key, Split};
use crate::markdown;
use crate::model::{Persona, SourceFormat};

/// The style of `text`.
pub fn detect(path: &Path, text: &str) -> Result<SourceFormat, Diagnostic> {
    if kiro_agent::looks_like(text) {
        return Ok(SourceFormat::KiroAgent);
    }
    match front_matter::split(text) {
        Split::Unclosed => Err(front_matter::unclosed(path)),
        Split::Present(front_matter) => {
            let keys: Vec<&str> = front_matter
                .yaml
                .lines()
                .filter_map(top_level_key)
                .collect();
            let has = |wanted: &[&str]| keys.iter().any(|key| wanted.contains(key));
            let body_lines = markdown::lines(front_matter.body, front_matter.body_line);
            if has(&["params", "production_when"]) || has_active_role(&body_lines) {
                Ok(SourceFormat::StageCommand)
            } else if has(&CANONICAL_ONLY_KEYS) {
                Ok(SourceFormat::Canonical)
            } else if has(&AGENT_KEYS) {
                Ok(SourceFormat::AgentFrontMatter)
            } else if claude_agent::looks_like(&front_matter) {
                Ok(SourceFormat::ClaudeAgent)
            } else {
                Ok(SourceFormat::Canonical)
            }
        }
        Split::Absent => {
            let lines = markdown::lines(text, 1);
            let Some((title, _)) = markdown::first_title(&lines) else {
                return Err(Diagnostic::error(
                    path,
                    Some(1),
                    "cannot tell what style this persona is written in: it has neither front matter nor a `# ` heading",
                )
                .with_hint("start it with YAML front matter (`---`, `name: …`, `---`) or a heading such as `# Role: QA Engineer`"));
            };
            let sections = markdown::sections(&lines);
            let has_section = |titles: &[&str]| markdown::find_section(&sections, titles).is_some();
            let title_lower = title.to_lowercase();
            if title_lower.starts_with("role:")
                && (has_section(&["Metadata"]) || has_metadata_bullets(&lines))
            {
                Ok(SourceFormat::RoleSheet)
            } else if title_lower.starts_with("persona:")
                && has_section(&["Role", "Does NOT", "Context Scope"])
            {
                Ok(SourceFormat::SwarmPersona)
            } else {
                Ok(SourceFormat::RolePrompt)
            }
        }
    }
}

fn has_active_role(lines: &[markdown::Line<'_>]) -> bool {
    lines.iter().any(|line| {
        markdown::heading(line).is_some_and(|(_, title)| {
            title
                .split_once(':')
                .is_some_and(|(label, _)| label.trim().eq_ignore_ascii_case("active role"))
        })
    })
}

fn has_metadata_bullets(lines: &[markdown::Line<'_>]) -> bool {
    lines.iter().any(|line| {
        markdown::bullet(line.text)
            .and_then(|(_, content)| markdown::bold_label(content))
            .is_some_and(|(label, _)| {
                label.eq_ignore_ascii_case("role name") || label.eq_ignore_ascii_case("prefix")
            })
    })
}

/// Detects the style of `text` and parses it. `path` is what diagnostics and origins show.
pub fn parse(path: &Path, text: &str) -> Result<Persona, Vec<Diagnostic>> {
    match detect(path, text).map_err(|error| vec![error])? {
        SourceFormat::Canonical => canonical::parse(path, text),
        SourceFormat::AgentFrontMatter => agent::parse(path, text),
        SourceFormat::StageCommand => stage_command::parse(path, text),
        SourceFormat::RoleSheet => role_sheet::parse(path, text),
        SourceFormat::RolePrompt => role_prompt::parse(path, text),
        SourceFormat::SwarmPersona => swarm::parse(path, text),
        SourceFormat::ClaudeAgent => claude_agent::parse(path, text),
        SourceFormat::KiroAgent => kiro_agent::parse(path, text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn style(text: &str) -> SourceFormat {
        detect(Path::new("x.md"), text).unwrap()
    }

    #[test]
    fn detects_by_content() {
        assert_eq!(
            style("---\nname: a\nwrite: [x]\n---\n"),
            SourceFormat::Canonical
        );
        assert_eq!(style("---\nname: a\n---\nbody\n"), SourceFormat::Canonical);
        assert_eq!(
            style("---\nname: a\ntags: [x]\ntools: [fs_read]\n---\n"),
            SourceFormat::AgentFrontMatter
        );
        assert_eq!(
            style("---\nname: a\ntags: [x]\nhandoffs: [b]\n---\n"),
            SourceFormat::Canonical
        );
        assert_eq!(
            style("---\nname: a\n---\n## Active Role: QA\n"),
            SourceFormat::StageCommand
        );
        assert_eq!(
            style("# Role: QA\n\n## Metadata\n- **Prefix:** [QA]\n"),
            SourceFormat::RoleSheet
        );
        assert_eq!(style("# Role: QA\n\nYou test.\n"), SourceFormat::RolePrompt);
        assert_eq!(
            style("# Persona: qa\n\n## Does NOT\n- ship\n"),
            SourceFormat::SwarmPersona
        );
        assert_eq!(
            style("# Persona: qa\n\nYou test.\n"),
            SourceFormat::RolePrompt
        );
        assert_eq!(
            style("---\nname: a\ntools: Read, Grep\n---\nbody\n"),
            SourceFormat::ClaudeAgent
        );
        assert_eq!(
            style("---\nname: a\nmodel: sonnet\n---\nbody\n"),
            SourceFormat::ClaudeAgent
        );
        assert_eq!(
            style("---\nname: a\nmodel: gpt-4.1\ntools: [fs_read]\n---\nbody\n"),
            SourceFormat::Canonical
        );
        assert_eq!(
            style("  {\"name\": \"a\", \"prompt\": \"p\"}\n"),
            SourceFormat::KiroAgent
        );
    }

    #[test]
    fn text_without_heading_or_front_matter_is_an_error() {
        let error = detect(Path::new("personas/x.md"), "just words\n").unwrap_err();
        assert_eq!(error.line, Some(1));
        assert!(error.message.starts_with("cannot tell what style"));
    }
}
