//! The role prompt style (seed 002): no front matter, a heading such as `# DevOps Engineer
//! Role`, `{{include:path}}` lines and `{{UPPER_SNAKE}}` variables. The whole file is the
//! prompt; includes and variables are only listed here (in `metadata.includes` and
//! `metadata.variables`, for `agentctl show`) and resolved later by the prompt crate.
//!
//! Does not know about: the files the includes name or the values of variables.

use std::path::Path;

use agentctl_protocol::Diagnostic;

use crate::formats::{
    check_name, new_persona, record, record_default_permissions, set_metadata_list,
};
use crate::markdown;
use crate::model::{Persona, PersonaKind, SourceFormat};

/// Parses a role prompt.
pub fn parse(path: &Path, text: &str) -> Result<Persona, Vec<Diagnostic>> {
    let lines = markdown::lines(text, 1);
    let Some((title, title_line)) = markdown::first_title(&lines) else {
        return Err(vec![Diagnostic::error(
            path,
            Some(1),
            "a role prompt needs a `# ` heading to name it",
        )
        .with_hint(
            "start the file with e.g. `# DevOps Engineer Role`, or add front matter with `name:`",
        )]);
    };
    let name = markdown::name_from_title(&title);
    if let Some(problem) = check_name(path, &name, Some(title_line)) {
        return Err(vec![problem]);
    }
    let mut persona = new_persona(
        &name,
        PersonaKind::Persona,
        SourceFormat::RolePrompt,
        path.to_path_buf(),
        text.to_owned(),
        1,
    );
    record(&mut persona, "name", Some(title_line), "heading");
    record(&mut persona, "body", Some(1), "the whole file");
    record_default_permissions(&mut persona);
    persona.role = Some(markdown::role_from_title(&title));
    record(&mut persona, "role", Some(title_line), "heading");

    let after_title: Vec<_> = lines
        .iter()
        .copied()
        .filter(|line| line.number > title_line)
        .collect();
    if let Some((description, line)) = markdown::first_paragraph(&after_title) {
        persona.description = Some(description);
        record(&mut persona, "description", Some(line), "first paragraph");
    }

    let mut includes: Vec<String> = Vec::new();
    let mut variables: Vec<String> = Vec::new();
    let mut first_include = None;
    let mut first_variable = None;
    for line in &lines {
        for include in includes_in(line.text) {
            first_include.get_or_insert(line.number);
            if !includes.contains(&include) {
                includes.push(include);
            }
        }
        for variable in variables_in(line.text) {
            first_variable.get_or_insert(line.number);
            if !variables.contains(&variable) {
                variables.push(variable);
            }
        }
    }
    set_metadata_list(
        &mut persona,
        "includes",
        includes,
        first_include,
        "`{{include:…}}` lines",
    );
    set_metadata_list(
        &mut persona,
        "variables",
        variables,
        first_variable,
        "`{{UPPER_SNAKE}}` variables",
    );
    Ok(persona)
}

/// `{{include:path}}` targets on a line, with ` (if exists)` kept when it follows.
pub(crate) fn includes_in(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{include:") {
        rest = &rest[start + "{{include:".len()..];
        let Some(end) = rest.find("}}") else {
            break;
        };
        let target = rest[..end].trim();
        rest = &rest[end + 2..];
        let after = rest.trim_start();
        let marker = ["(if exists)", "(optional)"]
            .into_iter()
            .find(|marker| after.starts_with(marker));
        match marker {
            Some(marker) => found.push(format!("{target} {marker}")),
            None => found.push(target.to_owned()),
        }
    }
    found
}

/// `{{UPPER_SNAKE}}` names on a line; `${{ … }}` and lower-case `{{ … }}` are not variables.
pub(crate) fn variables_in(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut offset = 0;
    while let Some(start) = text[offset..].find("{{") {
        let open = offset + start;
        let inner_start = open + 2;
        offset = inner_start;
        if text[..open].ends_with('$') {
            continue;
        }
        let Some(length) = text[inner_start..].find("}}") else {
            break;
        };
        let inner = &text[inner_start..inner_start + length];
        let is_variable = inner
            .chars()
            .next()
            .is_some_and(|first| first.is_ascii_uppercase())
            && inner
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
        if is_variable {
            found.push(inner.to_owned());
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_includes_and_variables() {
        assert_eq!(
            includes_in("- {{include:/branch/plan.md}} (if exists)"),
            vec!["/branch/plan.md (if exists)".to_owned()]
        );
        assert_eq!(
            variables_in(
                "Use {{CICD_PIPELINE}} not ${{ secrets.TOKEN }} or {{ name }} or {{include:x}}"
            ),
            vec!["CICD_PIPELINE".to_owned()]
        );
    }

    #[test]
    fn role_prompt_names_and_description() {
        let persona = parse(
            Path::new("personas/qa.md"),
            "# Role: QA Engineer\n\nYou test things.\nCarefully.\n\n## More\n",
        )
        .unwrap();
        assert_eq!(persona.name, "qa-engineer");
        assert_eq!(
            persona.description.as_deref(),
            Some("You test things. Carefully.")
        );
        assert!(!persona.metadata.contains_key("includes"));
    }
}
