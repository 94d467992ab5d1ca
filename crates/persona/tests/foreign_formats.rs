#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Persona files from other tools — Claude Code subagents and Kiro / Q CLI agents — loaded as
//! they are, field by field, with a warning at its line for everything that does not map.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use agentctl_persona::formats::render::to_canonical;
use agentctl_persona::{load_file, Library, LibraryPaths, Persona, SourceFormat};
use agentctl_protocol::{Diagnostic, Gate, Severity, ToolName};
use serde_json::json;

fn fixture(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(relative)
}

fn load(relative: &str, shown_as: &str) -> Persona {
    load_file(&fixture(relative), Path::new(shown_as)).unwrap()
}

/// `line: message` of each warning, for exact comparison.
fn warnings(persona: &Persona) -> Vec<String> {
    persona
        .warnings
        .iter()
        .map(|warning| {
            assert_eq!(warning.severity, Severity::Warning, "{warning:?}");
            format!("{}: {}", warning.line.unwrap_or(0), warning.message)
        })
        .collect()
}

#[test]
fn a_claude_code_agent_loads_with_its_tools_mapped() {
    let persona = load(
        "claude/flaky-test-hunter.md",
        "personas/flaky-test-hunter.md",
    );
    assert_eq!(persona.format, SourceFormat::ClaudeAgent);
    assert_eq!(persona.name, "flaky-test-hunter");
    assert_eq!(
        persona.description.as_deref(),
        Some("Use after a CI run fails intermittently. Reproduces the flaky test locally, narrows down the cause and proposes the smallest fix.")
    );
    // Read → fs_read; Grep → fs_read + fs_list; Glob → fs_list; Bash → execute_bash;
    // Edit → fs_write.
    assert_eq!(
        persona.permissions.tools,
        vec![
            ToolName::FsRead,
            ToolName::FsList,
            ToolName::FsWrite,
            ToolName::ExecuteBash
        ]
    );
    assert!(persona.permissions_declared);
    assert_eq!(persona.permissions.read, vec!["**".to_owned()]);
    assert!(persona.permissions.write.is_empty());
    assert!(persona.permissions.commands.is_empty());
    // `sonnet` is a family, not a model id: the run's model is used.
    assert_eq!(persona.model, None);
    assert_eq!(persona.metadata["claude_model"], json!("sonnet"));
    assert_eq!(persona.metadata["color"], json!("orange"));
    assert!(persona.body.starts_with("You chase tests"));
    assert_eq!(persona.body_line, 8);
    assert_eq!(persona.origins["permissions.tools"].line, Some(4));
    assert_eq!(
        warnings(&persona),
        vec![
            "5: model alias `sonnet` names a Claude model family, not a model id; this persona uses the run's model",
            "4: Claude Code tool `WebFetch` has no agentctl counterpart and is left out",
            "4: Claude Code tool `TodoWrite` has no agentctl counterpart and is left out",
            "4: fs_write is granted but no path is writable: every write will be denied",
            "4: execute_bash is granted but no command is allowed: every command will be denied",
        ]
    );
    assert!(persona.warnings[3]
        .hint
        .as_deref()
        .unwrap()
        .contains("[personas.flaky-test-hunter] write"));
    // Claude Code names MCP tools `mcp__SERVER__TOOL`, as agentctl does: an allow rule.
    assert_eq!(persona.permissions.mcp.allow, vec!["jira:create_issue"]);
}

#[test]
fn a_claude_code_agent_with_a_tool_list_and_inherit() {
    let persona = load("claude/docs-proofreader.md", "personas/docs-proofreader.md");
    assert_eq!(persona.format, SourceFormat::ClaudeAgent);
    assert_eq!(
        persona.permissions.tools,
        vec![ToolName::FsRead, ToolName::FsList]
    );
    assert_eq!(persona.model, None);
    assert!(!persona.metadata.contains_key("claude_model"));
    assert_eq!(
        persona.origins["model"].how,
        "`model: inherit`: the run's model"
    );
    assert!(persona.warnings.is_empty(), "{:?}", persona.warnings);
}

#[test]
fn a_claude_code_agent_without_tools_gets_the_read_only_default() {
    let directory = tempfile::tempdir().unwrap();
    let file = directory.path().join("a.md");
    fs_err::write(
        &file,
        "---\nname: helper\ndescription: d\nmodel: haiku\npermissionMode: acceptEdits\n---\nHelp.\n",
    )
    .unwrap();
    let persona = load_file(&file, Path::new("personas/a.md")).unwrap();
    assert_eq!(persona.format, SourceFormat::ClaudeAgent);
    assert!(!persona.permissions_declared);
    assert_eq!(
        persona.permissions.tools,
        vec![ToolName::FsRead, ToolName::FsList]
    );
    assert_eq!(persona.metadata["permissionMode"], json!("acceptEdits"));
    assert_eq!(
        warnings(&persona),
        vec![
            "4: model alias `haiku` names a Claude model family, not a model id; this persona uses the run's model",
            "2: no `tools`: in Claude Code this agent would inherit every tool; here it gets the read-only default (fs_read, fs_list)",
            "5: Claude Code key `permissionMode` has no agentctl counterpart; kept as metadata only",
        ]
    );
}

#[test]
fn a_kiro_agent_loads_field_by_field() {
    let persona = load("kiro/infra-reviewer.json", "personas/infra-reviewer.json");
    assert_eq!(persona.format, SourceFormat::KiroAgent);
    assert_eq!(persona.name, "infra-reviewer");
    assert_eq!(
        persona.description.as_deref(),
        Some(
            "Reviews Terraform and deployment manifests before a release and flags risky changes."
        )
    );
    assert_eq!(persona.model.as_deref(), Some("claude-sonnet-4"));
    // A file:// prompt, relative to the agent file, becomes an include from the library root.
    assert_eq!(persona.body, "{{include:contexts/infra-reviewer.md}}\n");
    assert_eq!(
        persona.permissions.tools,
        vec![
            ToolName::FsRead,
            ToolName::FsList,
            ToolName::FsWrite,
            ToolName::ExecuteBash,
            ToolName::UseAws
        ]
    );
    assert_eq!(persona.permissions.read, vec!["**".to_owned()]);
    assert_eq!(persona.permissions.write, vec!["reviews/**".to_owned()]);
    assert_eq!(persona.permissions.deny, vec!["infra/state/**".to_owned()]);
    assert_eq!(
        persona.permissions.commands.allow,
        vec![
            "terraform validate".to_owned(),
            "terraform plan*".to_owned()
        ]
    );
    assert_eq!(
        persona.permissions.commands.deny,
        vec!["terraform apply*".to_owned()]
    );
    assert_eq!(
        persona.permissions.aws.allow,
        vec!["ecs:*".to_owned(), "cloudwatch:*".to_owned()]
    );
    assert_eq!(persona.permissions.aws.deny, vec!["iam:*".to_owned()]);
    let paths: Vec<(&str, bool)> = persona
        .context
        .iter()
        .map(|reference| (reference.path.as_str(), reference.optional))
        .collect();
    assert_eq!(
        paths,
        vec![
            ("/branch/README.md", true),
            ("/branch/docs/runbook.md", true)
        ]
    );
    let server = &persona.mcp_servers["terraform"];
    assert_eq!(server.command.as_deref(), Some("terraform-mcp-server"));
    assert_eq!(server.args, vec!["--read-only".to_owned()]);
    assert_eq!(server.env["TF_LOG"], "warn");
    assert_eq!(server.timeout, Some(60000));
    assert_eq!(persona.metadata["allowed_tools"], json!(["fs_read"]));
    assert_eq!(persona.origins["permissions.write"].line, Some(16));
    assert_eq!(
        warnings(&persona),
        vec![
            "7: Kiro tool `knowledge` has no agentctl counterpart and is left out",
            "8: `allowedTools` (trusted without asking) has no counterpart: agentctl checks every call against the persona's rules",
            "20: command pattern `git (diff|log).*` uses regular-expression syntax agentctl patterns cannot express; left out",
            "22: `toolsSettings.execute_bash.autoAllowReadonly` has no agentctl counterpart; ignored",
            "12: resource `file://.kiro/steering/**/*.md` is a glob; agentctl context entries name one file each, so it is left out",
            "37: `hooks` run commands agentctl's policy never sees; they are not run",
        ]
    );
}

#[test]
fn a_kiro_agent_without_a_name_is_named_after_its_file() {
    let persona = load(
        "kiro/changelog-writer.json",
        "personas/changelog-writer.json",
    );
    assert_eq!(persona.name, "changelog-writer");
    assert!(persona.body.starts_with("You write changelog entries."));
    assert_eq!(persona.permissions.write, vec!["CHANGELOG.md".to_owned()]);
    assert_eq!(
        persona.permissions.commands.allow,
        vec!["git log*".to_owned(), "git tag --list".to_owned()]
    );
    assert!(persona.warnings.is_empty(), "{:?}", persona.warnings);
}

#[test]
fn broken_kiro_json_is_an_error_at_its_line() {
    let directory = tempfile::tempdir().unwrap();
    let file = directory.path().join("x.json");
    fs_err::write(
        &file,
        "{\n  \"name\": \"x\",\n  \"tools\": [\"fs_read\",]\n}\n",
    )
    .unwrap();
    let errors = load_file(&file, Path::new("personas/x.json")).unwrap_err();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].line, Some(3));
    assert!(
        errors[0].message.starts_with("invalid JSON: "),
        "{}",
        errors[0].message
    );
    fs_err::write(&file, "{\"name\": \"x\", \"tools\": \"fs_read\"}").unwrap();
    let errors = load_file(&file, Path::new("personas/x.json")).unwrap_err();
    assert_eq!(errors[0].message, "`tools` must be a list of strings");
}

fn library_with(files: &[(&str, &str)]) -> (tempfile::TempDir, LibraryPaths) {
    let directory = tempfile::tempdir().unwrap();
    for (relative, source) in files {
        let path = directory.path().join(relative);
        fs_err::create_dir_all(path.parent().unwrap()).unwrap();
        fs_err::copy(fixture(source), path).unwrap();
    }
    fs_err::create_dir_all(directory.path().join("prompts")).unwrap();
    let root = directory.path().to_path_buf();
    let paths = LibraryPaths {
        personas: root.join("personas"),
        prompts: root.join("prompts"),
        root,
    };
    (directory, paths)
}

#[test]
fn the_library_finds_json_agents_and_reports_their_warnings() {
    let (_directory, paths) = library_with(&[
        ("personas/infra-reviewer.json", "kiro/infra-reviewer.json"),
        (
            "personas/flaky-test-hunter.md",
            "claude/flaky-test-hunter.md",
        ),
        ("contexts/infra-reviewer.md", "contexts/infra-reviewer.md"),
    ]);
    let (library, diagnostics) = Library::load(&paths, &BTreeMap::new());
    let names: Vec<&str> = library
        .iter()
        .map(|persona| persona.name.as_str())
        .collect();
    assert_eq!(names, vec!["flaky-test-hunter", "infra-reviewer"]);
    assert!(diagnostics.iter().all(|d| d.severity == Severity::Warning));
    let first_kiro: Vec<&Diagnostic> = diagnostics
        .iter()
        .filter(|d| d.path == Path::new("personas/infra-reviewer.json"))
        .collect();
    assert_eq!(first_kiro.len(), 6);
    assert_eq!(first_kiro[0].line, Some(7));
    // `@terraform` is in `tools` but not trusted by `allowedTools`: Kiro would ask the user,
    // so every call of the server's tools needs a human here too.
    let kiro = library.get("infra-reviewer").unwrap();
    assert_eq!(kiro.permissions.mcp.approve, vec!["terraform:*"]);
    assert!(kiro.mcp_servers.contains_key("terraform"));
    let (found, _) = Library::load_one(&paths, &BTreeMap::new(), "infra-reviewer").unwrap();
    assert_eq!(found.format, SourceFormat::KiroAgent);
}

#[test]
fn imported_personas_read_back_as_the_same_persona() {
    for (source, shown_as) in [
        ("kiro/infra-reviewer.json", "personas/infra-reviewer.json"),
        (
            "claude/flaky-test-hunter.md",
            "personas/flaky-test-hunter.md",
        ),
        ("claude/docs-proofreader.md", "personas/docs-proofreader.md"),
    ] {
        let original = load(source, shown_as);
        let text = to_canonical(&original, Some("imported")).unwrap();
        assert!(text.starts_with("---\n# imported\nname: "), "{text}");
        let directory = tempfile::tempdir().unwrap();
        let file = directory.path().join("out.md");
        fs_err::write(&file, &text).unwrap();
        let back = load_file(&file, Path::new("personas/out.md")).unwrap();
        assert_eq!(back.format, SourceFormat::Canonical, "{text}");
        assert_eq!(back.name, original.name);
        assert_eq!(back.description, original.description);
        assert_eq!(back.model, original.model);
        assert_eq!(back.permissions, original.permissions, "{text}");
        assert_eq!(back.permissions_declared, original.permissions_declared);
        assert_eq!(back.context, original.context);
        assert_eq!(back.mcp_servers, original.mcp_servers);
        assert_eq!(back.metadata, original.metadata);
        assert_eq!(back.body.trim(), original.body.trim());
        assert_eq!(back.stages, Vec::<Gate>::new());
        // MCP servers and tool rules survive the round trip, with nothing left to warn about.
        assert!(!back.warnings.iter().any(|w| w.message.contains("MCP")));
    }
}
