#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use agentctl_persona::{
    CommandSpec, ContextRef, Environment, Limits, Origin, Persona, PersonaKind, SourceFormat, Task,
};
use agentctl_prompt::{
    assemble, render_sources, render_template, sha256_hex, template_context, AssembledPrompt,
    PromptInputs, TemplateError, GENERATED_SOURCE,
};
use agentctl_protocol::{Diagnostic, Permissions};
use serde_json::json;

const SEED_002_VARIABLES: [&str; 5] = [
    "INFRASTRUCTURE_PLATFORM",
    "CICD_PIPELINE",
    "MONITORING_TOOLS",
    "DEPLOYMENT_STRATEGY",
    "CONTAINER_PLATFORM",
];

/// A project with a library root and a workspace in one tempdir.
struct Project {
    _directory: tempfile::TempDir,
    library: PathBuf,
    workspace: PathBuf,
    outside: PathBuf,
}

impl Project {
    fn new() -> Project {
        let directory = tempfile::tempdir().unwrap();
        let library = directory.path().join("library");
        let workspace = directory.path().join("workspace");
        let outside = directory.path().join("outside");
        for path in [&library, &workspace, &outside] {
            fs_err::create_dir_all(path).unwrap();
        }
        Project {
            _directory: directory,
            library,
            workspace,
            outside,
        }
    }

    fn write(&self, relative: &str, text: &str) {
        write_file(&self.library.join(relative), text.as_bytes());
    }

    fn write_workspace(&self, relative: &str, text: &str) {
        write_file(&self.workspace.join(relative), text.as_bytes());
    }

    fn assemble(&self, persona: &Persona) -> Result<AssembledPrompt, Vec<Diagnostic>> {
        self.assemble_with(persona, None, None, &BTreeMap::new(), &BTreeMap::new())
    }

    fn assemble_with(
        &self,
        persona: &Persona,
        command: Option<&Persona>,
        task: Option<&Task>,
        vars: &BTreeMap<String, String>,
        params: &BTreeMap<String, String>,
    ) -> Result<AssembledPrompt, Vec<Diagnostic>> {
        assemble(&PromptInputs {
            library_root: &self.library,
            workspace: &self.workspace,
            persona,
            command,
            task,
            vars,
            params,
        })
    }
}

fn write_file(path: &Path, bytes: &[u8]) {
    fs_err::create_dir_all(path.parent().unwrap()).unwrap();
    fs_err::write(path, bytes).unwrap();
}

fn persona(source: &str, body: &str) -> Persona {
    Persona {
        name: Path::new(source)
            .file_stem()
            .unwrap()
            .to_string_lossy()
            .into_owned(),
        kind: PersonaKind::Persona,
        format: SourceFormat::Canonical,
        source: PathBuf::from(source),
        description: None,
        role: None,
        prefix: None,
        stages: Vec::new(),
        model: None,
        permissions: Permissions::default(),
        permissions_declared: false,
        handoffs: Vec::new(),
        context: Vec::new(),
        reports: Vec::new(),
        limits: Limits::default(),
        sandbox: Default::default(),
        command: None,
        body: body.to_owned(),
        body_line: 1,
        metadata: BTreeMap::new(),
        mcp_servers: BTreeMap::new(),
        warnings: Vec::new(),
        origins: BTreeMap::new(),
    }
}

fn task() -> Task {
    Task {
        id: "T-154".to_owned(),
        title: "Roll out the billing service".to_owned(),
        env: Some(Environment::Staging),
        phase: None,
        prerequisites: Vec::new(),
        acceptance: Vec::new(),
        rollback: None,
        vars: BTreeMap::from([("REGION".to_owned(), "eu-west-1".to_owned())]),
        description: "Deploy it.".to_owned(),
        source: PathBuf::from("tasks/T-154.md"),
    }
}

fn seed_002() -> String {
    let seeds = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/seeds");
    let entry = fs_err::read_dir(&seeds)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .find(|path| {
            path.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("002_")
        })
        .expect("seed 002 exists");
    fs_err::read_to_string(entry).unwrap()
}

/// The library paths seed 002 includes, in order of appearance.
fn seed_002_library_includes(seed: &str) -> Vec<String> {
    seed.split("{{include:")
        .skip(1)
        .map(|rest| rest.split("}}").next().unwrap().to_owned())
        .filter(|path| !path.starts_with("/branch/"))
        .collect()
}

/// A project providing every library include of seed 002 (none of the `/branch/` ones).
fn seed_002_project(seed: &str) -> Project {
    let project = Project::new();
    for path in seed_002_library_includes(seed) {
        project.write(&path, &format!("content of {path}\n"));
    }
    project
}

fn seed_002_vars() -> BTreeMap<String, String> {
    SEED_002_VARIABLES
        .iter()
        .map(|name| {
            (
                (*name).to_owned(),
                format!("value-of-{}", name.to_lowercase()),
            )
        })
        .collect()
}

fn assert_sources_cover(prompt: &AssembledPrompt) {
    let mut expected_start = 0;
    for span in &prompt.sources {
        assert_eq!(span.start, expected_start, "gap or overlap before {span:?}");
        assert!(span.end > span.start, "empty span {span:?}");
        expected_start = span.end;
    }
    assert_eq!(expected_start, prompt.text.len());
}

fn errors(diagnostics: &[Diagnostic]) -> Vec<String> {
    diagnostics
        .iter()
        .map(|diagnostic| diagnostic.to_string())
        .collect()
}

#[test]
fn seed_002_assembles_with_required_includes_and_notes_missing_workspace_files() {
    let seed = seed_002();
    let project = seed_002_project(&seed);
    let devops = persona("personas/devops.md", &seed);
    let prompt = project
        .assemble_with(&devops, None, None, &seed_002_vars(), &BTreeMap::new())
        .unwrap();

    assert_eq!(
        prompt.notes,
        [
            "skipped optional include /branch/architecture_spec.md (not found) at personas/devops.md:42",
            "skipped optional include /branch/tickets.md (not found) at personas/devops.md:46",
            "skipped optional include /branch/implementation_plan.md (not found) at personas/devops.md:47",
        ]
    );
    assert!(prompt.text.contains(
        "- content of contexts/technical_context.md\n- content of contexts/business_context.md\n"
    ));
    assert!(prompt.text.contains(
        "the following template:\ncontent of templates/deployment_setup_guide.md\n\nThis guide"
    ));
    assert!(prompt
        .text
        .contains("review the infrastructure requirements:\n- \n"));
    assert!(prompt
        .text
        .contains("- Create value-of-infrastructure_platform deployment"));
    assert!(!prompt.text.contains("{{"), "a directive was left behind");
    assert!(!prompt.text.contains("(if exists)"));
    assert_eq!(prompt.sha256, sha256_hex(prompt.text.as_bytes()));
    assert_sources_cover(&prompt);
    assert_eq!(prompt.sources[0].path, PathBuf::from("personas/devops.md"));
    assert_eq!(prompt.sources[0].line, 1);
    let technical = prompt
        .sources
        .iter()
        .find(|span| span.path == Path::new("contexts/technical_context.md"))
        .unwrap();
    assert_eq!(
        &prompt.text[technical.start..technical.end],
        "content of contexts/technical_context.md"
    );
    let after_first_include = prompt
        .sources
        .iter()
        .find(|span| span.start == technical.end)
        .unwrap();
    assert_eq!(
        after_first_include.path,
        PathBuf::from("personas/devops.md")
    );
    assert_eq!(after_first_include.line, 7);
}

#[test]
fn seed_002_reports_every_unresolved_variable_with_its_line() {
    let seed = seed_002();
    let project = seed_002_project(&seed);
    let devops = persona("personas/devops.md", &seed);
    let diagnostics = project.assemble(&devops).unwrap_err();

    let expected = [
        (21, "INFRASTRUCTURE_PLATFORM"),
        (22, "CICD_PIPELINE"),
        (23, "MONITORING_TOOLS"),
        (24, "DEPLOYMENT_STRATEGY"),
        (27, "CONTAINER_PLATFORM"),
        (87, "INFRASTRUCTURE_PLATFORM"),
        (87, "DEPLOYMENT_STRATEGY"),
        (88, "MONITORING_TOOLS"),
        (89, "CICD_PIPELINE"),
        (93, "CONTAINER_PLATFORM"),
        (94, "MONITORING_TOOLS"),
        (136, "CONTAINER_PLATFORM"),
        (142, "CICD_PIPELINE"),
        (148, "INFRASTRUCTURE_PLATFORM"),
        (154, "MONITORING_TOOLS"),
    ];
    let found: Vec<(usize, String)> = diagnostics
        .iter()
        .map(|diagnostic| (diagnostic.line.unwrap(), diagnostic.message.clone()))
        .collect();
    let expected: Vec<(usize, String)> = expected
        .iter()
        .map(|(line, name)| (*line, format!("unresolved variable {{{{{name}}}}}")))
        .collect();
    assert_eq!(found, expected);
    for diagnostic in &diagnostics {
        assert!(diagnostic.is_error());
        assert_eq!(diagnostic.path, PathBuf::from("personas/devops.md"));
    }
    assert_eq!(
        diagnostics[1].hint.as_deref(),
        Some("pass --var CICD_PIPELINE=VALUE or set it under [vars] in agentctl.toml")
    );
}

#[test]
fn seed_002_is_deterministic_and_its_digest_follows_the_variables() {
    let seed = seed_002();
    let project = seed_002_project(&seed);
    let devops = persona("personas/devops.md", &seed);
    let vars = seed_002_vars();
    let first = project
        .assemble_with(&devops, None, None, &vars, &BTreeMap::new())
        .unwrap();
    let second = project
        .assemble_with(&devops, None, None, &vars, &BTreeMap::new())
        .unwrap();
    assert_eq!(first, second);
    assert_eq!(first.sha256.len(), 64);

    let mut changed_vars = vars.clone();
    changed_vars.insert("CICD_PIPELINE".to_owned(), "another pipeline".to_owned());
    let changed = project
        .assemble_with(&devops, None, None, &changed_vars, &BTreeMap::new())
        .unwrap();
    assert_ne!(first.sha256, changed.sha256);
    assert!(changed
        .text
        .contains("Implement another pipeline automation"));
}

#[test]
fn workspace_include_that_exists_is_inserted() {
    let project = Project::new();
    project.write_workspace("docs/plan.md", "ship on Tuesday\n");
    let prompt = project
        .assemble(&persona(
            "personas/p.md",
            "Plan: {{include:/branch/docs/plan.md}} (if exists)\nend\n",
        ))
        .unwrap();
    assert_eq!(prompt.text, "Plan: ship on Tuesday\nend\n");
    assert!(prompt.notes.is_empty());
    let span = &prompt.sources[1];
    assert_eq!(span.path, PathBuf::from("/branch/docs/plan.md"));
    assert_eq!(&prompt.text[span.start..span.end], "ship on Tuesday");
}

#[test]
fn includes_nest_and_keep_their_own_lines_in_the_source_map() {
    let project = Project::new();
    project.write(
        "contexts/outer.md",
        "outer top\n{{include:contexts/inner.md}}\nouter end\n",
    );
    project.write("contexts/inner.md", "inner line\n");
    let prompt = project
        .assemble(&persona(
            "personas/p.md",
            "start\n{{include:contexts/outer.md}}\nfinish\n",
        ))
        .unwrap();
    assert_eq!(
        prompt.text,
        "start\nouter top\ninner line\nouter end\nfinish\n"
    );
    assert_eq!(
        render_sources(&prompt),
        "0..6 personas/p.md:1\n\
         6..16 contexts/outer.md:1\n\
         16..26 contexts/inner.md:1\n\
         26..36 contexts/outer.md:2\n\
         36..44 personas/p.md:2\n"
    );
    assert_sources_cover(&prompt);
}

#[test]
fn include_cycle_is_an_error_showing_the_chain() {
    let project = Project::new();
    project.write("contexts/a.md", "one\ntwo\n{{include:contexts/b.md}}\n");
    project.write("contexts/b.md", "{{include:contexts/a.md}}\n");
    let diagnostics = project
        .assemble(&persona("personas/p.md", "{{include:contexts/a.md}}\n"))
        .unwrap_err();
    assert_eq!(diagnostics.len(), 1);
    assert_eq!(
        diagnostics[0].message,
        "include cycle: personas/p.md:1 → contexts/a.md:3 → contexts/b.md:1 → contexts/a.md"
    );
    assert_eq!(diagnostics[0].path, PathBuf::from("contexts/b.md"));
    assert_eq!(diagnostics[0].line, Some(1));
}

#[test]
fn a_file_including_itself_is_a_cycle() {
    let project = Project::new();
    project.write("contexts/self.md", "{{include:contexts/self.md}}");
    let diagnostics = project
        .assemble(&persona("personas/p.md", "{{include:contexts/self.md}}"))
        .unwrap_err();
    assert_eq!(
        errors(&diagnostics),
        ["contexts/self.md:1: include cycle: personas/p.md:1 → contexts/self.md:1 → contexts/self.md"]
    );
}

#[test]
fn parent_directory_escape_is_an_error_with_the_chain() {
    let project = Project::new();
    project.write("contexts/a.md", "x\n{{include:../outside/secret.md}}\n");
    let diagnostics = project
        .assemble(&persona("personas/p.md", "{{include:contexts/a.md}}\n"))
        .unwrap_err();
    assert_eq!(diagnostics.len(), 1);
    assert_eq!(diagnostics[0].path, PathBuf::from("contexts/a.md"));
    assert_eq!(diagnostics[0].line, Some(2));
    let message = &diagnostics[0].message;
    assert!(
        message.starts_with("include `../outside/secret.md` refused: "),
        "{message}"
    );
    assert!(message.contains("with `..`"), "{message}");
    assert!(
        message.ends_with("(chain: personas/p.md:1 → contexts/a.md:2 → ../outside/secret.md)"),
        "{message}"
    );
    assert!(
        diagnostics[0]
            .hint
            .as_deref()
            .is_some_and(|hint| hint.contains("inside its root")),
        "{:?}",
        diagnostics[0].hint
    );
}

#[test]
fn absolute_path_other_than_branch_is_an_error() {
    let project = Project::new();
    let secret = project.outside.join("secret.md");
    fs_err::write(&secret, "secret").unwrap();
    let body = format!(
        "{{{{include:{}}}}}\n{{{{include:/branch/../x.md}}}}\n",
        secret.display()
    );
    let diagnostics = project
        .assemble(&persona("personas/p.md", &body))
        .unwrap_err();
    assert_eq!(diagnostics.len(), 2);
    assert_eq!(diagnostics[0].line, Some(1));
    assert!(
        diagnostics[0].message.contains("is an absolute path"),
        "{}",
        diagnostics[0].message
    );
    assert_eq!(diagnostics[1].line, Some(2));
    assert!(
        diagnostics[1].message.contains("with `..`"),
        "{}",
        diagnostics[1].message
    );
}

#[test]
fn symlink_out_of_the_root_is_an_error_and_one_inside_is_followed() {
    let project = Project::new();
    fs_err::write(project.outside.join("secret.md"), "secret").unwrap();
    project.write("contexts/real.md", "shared text");
    fs_err::create_dir_all(project.library.join("links")).unwrap();
    std::os::unix::fs::symlink(
        project.outside.join("secret.md"),
        project.library.join("links/leak.md"),
    )
    .unwrap();
    std::os::unix::fs::symlink(
        project.library.join("contexts/real.md"),
        project.library.join("links/ok.md"),
    )
    .unwrap();

    let diagnostics = project
        .assemble(&persona("personas/p.md", "{{include:links/leak.md}}\n"))
        .unwrap_err();
    assert_eq!(diagnostics.len(), 1);
    assert!(
        diagnostics[0].message.contains("through a symlink"),
        "{}",
        diagnostics[0].message
    );
    assert!(diagnostics[0].message.contains("secret.md"));

    let prompt = project
        .assemble(&persona("personas/p.md", "{{include:links/ok.md}}\n"))
        .unwrap();
    assert_eq!(prompt.text, "shared text\n");
}

#[test]
fn symlinked_workspace_file_pointing_into_the_library_is_an_escape() {
    let project = Project::new();
    project.write("contexts/real.md", "library text");
    std::os::unix::fs::symlink(
        project.library.join("contexts/real.md"),
        project.workspace.join("link.md"),
    )
    .unwrap();
    let diagnostics = project
        .assemble(&persona("personas/p.md", "{{include:/branch/link.md}}\n"))
        .unwrap_err();
    assert!(
        diagnostics[0].message.contains("outside its root"),
        "{}",
        diagnostics[0].message
    );
}

#[test]
fn other_brace_syntaxes_pass_through_byte_for_byte() {
    let body = "Deploy with:\n\
        ```yaml\n\
        token: ${{ secrets.TOKEN }}\n\
        raw: ${{SECRET_NAME}}\n\
        name: {{ lower_case }}\n\
        image: {{.Values.image}}\n\
        {% if production %}approve: true{% endif %}\n\
        {{ Mixed }} {{Mixed}} {{_X}} {{ X }}\n\
        ```\n";
    let project = Project::new();
    let prompt = project.assemble(&persona("personas/p.md", body)).unwrap();
    assert_eq!(prompt.text, body);
}

#[test]
fn substituted_values_are_not_expanded_again() {
    let project = Project::new();
    project.write("contexts/a.md", "included");
    let vars = BTreeMap::from([
        (
            "FIRST".to_owned(),
            "{{SECOND}} and {{include:contexts/a.md}}".to_owned(),
        ),
        ("SECOND".to_owned(), "second".to_owned()),
    ]);
    let prompt = project
        .assemble_with(
            &persona("personas/p.md", "{{FIRST}} / {{SECOND}}\n"),
            None,
            None,
            &vars,
            &BTreeMap::new(),
        )
        .unwrap();
    assert_eq!(
        prompt.text,
        "{{SECOND}} and {{include:contexts/a.md}} / second\n"
    );
}

#[test]
fn variables_in_included_files_are_resolved_or_reported_at_their_line() {
    let project = Project::new();
    project.write(
        "contexts/a.md",
        "first\nsecond\nregion {{REGION}} cluster {{CLUSTER}}\n",
    );
    let body = "{{include:contexts/a.md}}\nfor {{TASK_ID}} ({{TASK_ENV}})\n";
    let diagnostics = project
        .assemble_with(
            &persona("personas/p.md", body),
            None,
            Some(&task()),
            &BTreeMap::new(),
            &BTreeMap::new(),
        )
        .unwrap_err();
    assert_eq!(
        errors(&diagnostics),
        ["contexts/a.md:3: unresolved variable {{CLUSTER}}"]
    );

    let vars = BTreeMap::from([("CLUSTER".to_owned(), "blue".to_owned())]);
    let prompt = project
        .assemble_with(
            &persona("personas/p.md", body),
            None,
            Some(&task()),
            &vars,
            &BTreeMap::new(),
        )
        .unwrap();
    assert_eq!(
        prompt.text,
        "first\nsecond\nregion eu-west-1 cluster blue\nfor T-154 (staging)\n"
    );
    assert!(
        !prompt.text.contains("Deploy it."),
        "the task is not part of the system prompt"
    );
}

#[test]
fn missing_optional_include_is_removed_with_its_suffix_and_noted() {
    let project = Project::new();
    let body = "a\nb\nsee {{include:/branch/notes.md}}   (if exists) here\n";
    let prompt = project.assemble(&persona("personas/p.md", body)).unwrap();
    assert_eq!(prompt.text, "a\nb\nsee  here\n");
    assert_eq!(
        prompt.notes,
        ["skipped optional include /branch/notes.md (not found) at personas/p.md:3"]
    );
}

#[test]
fn missing_required_include_names_the_including_file_line_and_path_tried() {
    let project = Project::new();
    project.write("contexts/a.md", "x\ny\n{{include:contexts/absent.md}}\n");
    let diagnostics = project
        .assemble(&persona("personas/p.md", "{{include:contexts/a.md}}"))
        .unwrap_err();
    assert_eq!(diagnostics.len(), 1);
    assert_eq!(diagnostics[0].path, PathBuf::from("contexts/a.md"));
    assert_eq!(diagnostics[0].line, Some(3));
    let tried = project.library.join("contexts/absent.md");
    assert_eq!(
        diagnostics[0].message,
        format!(
            "include contexts/absent.md not found (looked for {})",
            tried.display()
        )
    );
    assert!(diagnostics[0]
        .hint
        .as_deref()
        .unwrap()
        .contains("(if exists)"));
}

#[test]
fn non_utf8_include_is_an_error_not_a_panic() {
    let project = Project::new();
    write_file(
        &project.library.join("contexts/bin.md"),
        &[b'a', 0xff, 0xfe],
    );
    let diagnostics = project
        .assemble(&persona("personas/p.md", "{{include:contexts/bin.md}}"))
        .unwrap_err();
    assert_eq!(diagnostics.len(), 1);
    assert!(
        diagnostics[0].message.contains("not valid UTF-8"),
        "{}",
        diagnostics[0].message
    );
}

#[test]
fn context_files_and_stage_command_follow_the_documented_layout() {
    let project = Project::new();
    project.write("contexts/tech.md", "Rust services on {{PLATFORM}}.\n");
    project.write_workspace("AGENTS.md", "Run tests first.");
    let mut devops = persona("personas/devops.md", "You deploy.\n");
    devops.context = vec![
        ContextRef {
            path: "contexts/tech.md".to_owned(),
            optional: false,
            note: None,
        },
        ContextRef {
            path: "/branch/AGENTS.md".to_owned(),
            optional: true,
            note: None,
        },
        ContextRef {
            path: "/branch/MISSING.md".to_owned(),
            optional: true,
            note: None,
        },
    ];
    devops.origins.insert(
        "context".to_owned(),
        Origin {
            path: PathBuf::from("personas/devops.md"),
            line: Some(9),
            how: "front matter".to_owned(),
        },
    );
    let mut command = persona("prompts/deployment-plan.md", "Plan the {{ENV}} rollout.\n");
    command.kind = PersonaKind::Command;
    command.body_line = 11;
    command.command = Some(CommandSpec {
        params: Vec::new(),
        active_role: Some("DEVOPS".to_owned()),
        resolved_role: Some("devops".to_owned()),
        production_when: Vec::new(),
    });
    let vars = BTreeMap::from([("PLATFORM".to_owned(), "ECS".to_owned())]);
    let params = BTreeMap::from([
        ("env".to_owned(), "production".to_owned()),
        ("region".to_owned(), "eu-west-1".to_owned()),
    ]);

    let prompt = project
        .assemble_with(&devops, Some(&command), None, &vars, &params)
        .unwrap();
    assert_eq!(
        prompt.text,
        "You deploy.\n\
         \n## Context\n\
         \n### contexts/tech.md\n\nRust services on ECS.\n\
         \n### /branch/AGENTS.md\n\nRun tests first.\n\
         \n## Stage command: deployment-plan\n\nPlan the production rollout.\n\
         \n### Parameters\n\n- env = production\n- region = eu-west-1\n"
    );
    assert_eq!(
        prompt.notes,
        ["skipped optional context file /branch/MISSING.md (not found) at personas/devops.md:9"]
    );
    assert_sources_cover(&prompt);
    let rendered = render_sources(&prompt);
    assert!(
        rendered.contains(" prompts/deployment-plan.md:11\n"),
        "{rendered}"
    );
    assert!(
        rendered.contains(&format!(" {GENERATED_SOURCE}\n")),
        "{rendered}"
    );
    assert!(rendered.contains(" /branch/AGENTS.md:1\n"), "{rendered}");
}

#[test]
fn missing_required_context_file_is_noted_and_a_workspace_file_is_found() {
    let project = Project::new();
    write_file(
        &project.workspace.join("AGENTS.md"),
        b"Deploy with make deploy.\n",
    );
    let mut devops = persona("personas/devops.md", "You deploy.\n");
    devops.context = vec![
        ContextRef {
            path: "contexts/absent.md".to_owned(),
            optional: false,
            note: None,
        },
        ContextRef {
            path: "AGENTS.md".to_owned(),
            optional: true,
            note: None,
        },
    ];
    devops.origins.insert(
        "context".to_owned(),
        Origin {
            path: PathBuf::from("personas/devops.md"),
            line: Some(4),
            how: "front matter".to_owned(),
        },
    );
    let prompt = project.assemble(&devops).unwrap();
    // The library has no AGENTS.md, so the workspace's is used.
    assert!(
        prompt
            .text
            .contains("### /branch/AGENTS.md\n\nDeploy with make deploy."),
        "{}",
        prompt.text
    );
    assert_eq!(prompt.notes.len(), 1, "{:?}", prompt.notes);
    assert!(
        prompt.notes[0].starts_with("missing required context file /branch/contexts/absent.md (not found) at personas/devops.md:4"),
        "{}",
        prompt.notes[0]
    );
}

#[test]
fn template_renders_task_and_persona_and_reports_undefined_variables() {
    let project = Project::new();
    let templates = project.library.join("templates");
    write_file(
        &templates.join("handoff.md"),
        b"# Handoff for {{ task.id }}: {{ task.title }}\nFrom {{ persona.name }} ({{ env }}) <ok>\n{% for gate in gates %}- {{ gate }}\n{% endfor %}",
    );
    write_file(&templates.join("broken.md"), b"Owner: {{ task.owner }}\n");
    let devops = persona("personas/devops.md", "body");
    let context = template_context(
        Some(&task()),
        &devops,
        Some("staging"),
        json!(["S06", "S07"]),
    );

    let rendered = render_template(&templates, "handoff.md", &context).unwrap();
    assert_eq!(
        rendered,
        "# Handoff for T-154: Roll out the billing service\nFrom devops (staging) <ok>\n- S06\n- S07\n"
    );

    let error = render_template(&templates, "broken.md", &context).unwrap_err();
    match &error {
        TemplateError::UndefinedVariable { template, variable } => {
            assert_eq!(template, "broken.md");
            assert_eq!(variable, "task.owner");
        }
        other => panic!("expected an undefined variable, got {other:?}"),
    }
    assert!(error.to_string().contains("`broken.md`"));

    let missing = render_template(&templates, "absent.md", &context).unwrap_err();
    assert!(
        matches!(missing, TemplateError::NotFound { .. }),
        "{missing:?}"
    );
}

#[test]
fn the_same_file_included_twice_is_not_a_cycle_but_including_the_persona_is() {
    let project = Project::new();
    project.write("contexts/a.md", "shared\n");
    let prompt = project
        .assemble(&persona(
            "personas/p.md",
            "{{include:contexts/a.md}} and {{include:contexts/a.md}}\n",
        ))
        .unwrap();
    assert_eq!(prompt.text, "shared and shared\n");

    let body = "top\n{{include:contexts/back.md}}\n";
    project.write("personas/p.md", body);
    project.write("contexts/back.md", "{{include:personas/p.md}}\n");
    let diagnostics = project
        .assemble(&persona("personas/p.md", body))
        .unwrap_err();
    assert_eq!(
        errors(&diagnostics),
        ["contexts/back.md:1: include cycle: personas/p.md:2 → contexts/back.md:1 → personas/p.md"]
    );
}
