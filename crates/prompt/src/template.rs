//! Renders files of the library's `templates/` directory (handoff packets, deployment records)
//! with Tera.
//!
//! Owns the rendering rules: every file under the directory is loaded so templates may
//! `{% include %}` or `{% extends %}` one another, autoescaping is off (the output is Markdown
//! for a model or a log, not HTML), and an undefined variable is an error naming the template
//! and the variable. It does not know what the context values mean; the caller supplies `task`,
//! `persona`, `env` and `gates` (see [`template_context`]).

use std::error::Error as _;
use std::path::{Component, Path, PathBuf};

use agentctl_persona::{Persona, Task};
use serde_json::{json, Value};
use tera::Tera;

/// Why a template could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    #[error("template name `{name}` must be a relative path inside the templates directory, without `..`")]
    InvalidName { name: String },
    #[error("template `{name}` not found in {}; add templates/{name} or fix the name", directory.display())]
    NotFound { name: String, directory: PathBuf },
    #[error("template file {} is not valid UTF-8; templates must be UTF-8 text", path.display())]
    NotUtf8 { path: PathBuf },
    #[error(transparent)]
    Io(#[from] std::io::Error),
    #[error("templates in {} do not parse: {message}", directory.display())]
    Parse { directory: PathBuf, message: String },
    #[error("template `{template}` uses `{variable}`, which the context does not define; pass it or guard it with `{{% if {variable} is defined %}}`")]
    UndefinedVariable { template: String, variable: String },
    #[error("template `{template}` failed to render: {message}")]
    Render { template: String, message: String },
    #[error("the context for template `{template}` must be a JSON object, got {kind}")]
    ContextNotObject {
        template: String,
        kind: &'static str,
    },
}

/// Renders `templates_dir/name` with `context`, a JSON object whose top-level keys become
/// template variables.
pub fn render_template(
    templates_dir: &Path,
    name: &str,
    context: &Value,
) -> Result<String, TemplateError> {
    let name = checked_name(name)?;
    let templates = load_templates(templates_dir)?;
    if !templates.iter().any(|(template, _)| *template == name) {
        return Err(TemplateError::NotFound {
            name,
            directory: templates_dir.to_path_buf(),
        });
    }
    let mut tera = Tera::default();
    tera.autoescape_on(Vec::new());
    tera.add_raw_templates(templates)
        .map_err(|error| TemplateError::Parse {
            directory: templates_dir.to_path_buf(),
            message: error_chain(&error),
        })?;
    let context = tera::Context::from_value(context.clone()).map_err(|_| {
        TemplateError::ContextNotObject {
            template: name.clone(),
            kind: json_kind(context),
        }
    })?;
    tera.render(&name, &context).map_err(|error| {
        let message = error_chain(&error);
        match undefined_variable(&message) {
            Some(variable) => TemplateError::UndefinedVariable {
                template: name.clone(),
                variable,
            },
            None => TemplateError::Render {
                template: name.clone(),
                message,
            },
        }
    })
}

/// The context every template may rely on: `task` and `persona` as their serialized models
/// (`null` without a task), `env` (`staging`, `production` or `null`) and `gates` as given.
pub fn template_context(
    task: Option<&Task>,
    persona: &Persona,
    env: Option<&str>,
    gates: Value,
) -> Value {
    json!({
        "task": task,
        "persona": persona,
        "env": env,
        "gates": gates,
    })
}

/// `name` with `/` separators, refusing absolute paths and `..`.
fn checked_name(name: &str) -> Result<String, TemplateError> {
    let invalid = || TemplateError::InvalidName {
        name: name.to_owned(),
    };
    let mut parts = Vec::new();
    for component in Path::new(name).components() {
        match component {
            Component::Normal(part) => parts.push(part.to_str().ok_or_else(invalid)?),
            Component::CurDir => {}
            _ => return Err(invalid()),
        }
    }
    if parts.is_empty() {
        return Err(invalid());
    }
    Ok(parts.join("/"))
}

/// Every non-hidden file under `directory` as `(relative/name, content)`, sorted by name so
/// that loading is deterministic.
fn load_templates(directory: &Path) -> Result<Vec<(String, String)>, TemplateError> {
    let mut files = Vec::new();
    collect_files(directory, directory, &mut files)?;
    files.sort();
    files
        .into_iter()
        .map(|(name, path)| {
            let bytes = fs_err::read(&path)?;
            let text = String::from_utf8(bytes).map_err(|_| TemplateError::NotUtf8 { path })?;
            Ok((name, text))
        })
        .collect()
}

fn collect_files(
    root: &Path,
    directory: &Path,
    files: &mut Vec<(String, PathBuf)>,
) -> Result<(), TemplateError> {
    for entry in fs_err::read_dir(directory)? {
        let entry = entry?;
        let path = entry.path();
        if entry.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        if path.is_dir() {
            collect_files(root, &path, files)?;
        } else if let Ok(relative) = path.strip_prefix(root) {
            let name = relative
                .components()
                .map(|component| component.as_os_str().to_string_lossy())
                .collect::<Vec<_>>()
                .join("/");
            files.push((name, path));
        }
    }
    Ok(())
}

/// Tera puts the useful part of a message in the innermost error; join them all.
fn error_chain(error: &tera::Error) -> String {
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(inner) = source {
        message.push_str(": ");
        message.push_str(&inner.to_string());
        source = inner.source();
    }
    message
}

/// The variable in Tera's "Variable `NAME` not found in context" message.
fn undefined_variable(message: &str) -> Option<String> {
    let (_, after) = message.split_once("Variable `")?;
    let (variable, rest) = after.split_once('`')?;
    rest.starts_with(" not found in context")
        .then(|| variable.to_owned())
}

fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_normalized_and_escapes_refused() {
        assert_eq!(
            checked_name("./handoff/packet.md").unwrap(),
            "handoff/packet.md"
        );
        assert!(matches!(
            checked_name("../x.md"),
            Err(TemplateError::InvalidName { .. })
        ));
        assert!(matches!(
            checked_name("/etc/x"),
            Err(TemplateError::InvalidName { .. })
        ));
        assert!(matches!(
            checked_name(""),
            Err(TemplateError::InvalidName { .. })
        ));
    }

    #[test]
    fn extracts_the_undefined_variable() {
        let message = "Failed to render 'a.md': Variable `task.owner` not found in context while rendering 'a.md'";
        assert_eq!(undefined_variable(message).as_deref(), Some("task.owner"));
        assert_eq!(undefined_variable("Filter `x` not found"), None);
    }

    #[test]
    fn included_templates_resolve_and_html_is_not_escaped() {
        let directory = tempfile::tempdir().unwrap();
        fs_err::create_dir_all(directory.path().join("partials")).unwrap();
        fs_err::write(directory.path().join("partials/sign.md"), "-- {{ who }}").unwrap();
        fs_err::write(
            directory.path().join("note.html"),
            "<b>{{ text }}</b>\n{% include \"partials/sign.md\" %}",
        )
        .unwrap();
        let rendered = render_template(
            directory.path(),
            "note.html",
            &json!({"text": "a < b & c", "who": "qa"}),
        )
        .unwrap();
        assert_eq!(rendered, "<b>a < b & c</b>\n-- qa");
    }

    #[test]
    fn context_must_be_an_object() {
        let directory = tempfile::tempdir().unwrap();
        fs_err::write(directory.path().join("a.md"), "x").unwrap();
        let error = render_template(directory.path(), "a.md", &json!([1])).unwrap_err();
        assert!(matches!(
            error,
            TemplateError::ContextNotObject {
                kind: "an array",
                ..
            }
        ));
    }
}
