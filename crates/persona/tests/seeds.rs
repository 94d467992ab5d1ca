#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The five seed persona styles, a library built from them, and bad input.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use agentctl_persona::{
    load_file, HandoffContext, Library, LibraryPaths, Persona, PersonaKind, PersonaOverlay,
    SourceFormat,
};
use agentctl_protocol::{Diagnostic, Gate, Permissions, Severity, ToolName};
use serde_json::json;

const ROLE_SHEET: &str = "000_5592374ef117db01.txt";
const STAGE_COMMAND: &str = "001_ba1ae450ae12ab0b.txt";
const ROLE_PROMPT: &str = "002_9cc4c157e1704a3f.txt";
const AGENT: &str = "003_0d1d81f8a83035cb.txt";
const SWARM: &str = "004_41ddd3551fb6362b.txt";

const RELEASE_MANAGER: &str = "---
name: release-manager
role: Release Manager
prefix: \"[RM]\"
description: Cuts releases and keeps the changelog.
stages: [S10]
tools: [fs_read, fs_list]
---
You are the release manager.
";

fn seed_path(file: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/seeds")
        .join(file)
}

fn seed(file: &str) -> Persona {
    load_file(&seed_path(file), &Path::new("personas").join(file)).unwrap()
}

fn metadata_list(persona: &Persona, key: &str) -> Vec<String> {
    serde_json::from_value(persona.metadata[key].clone()).unwrap()
}

/// A library root in a tempdir with `personas/` and `prompts/`.
struct Fixture {
    directory: tempfile::TempDir,
}

impl Fixture {
    fn new() -> Self {
        let directory = tempfile::tempdir().unwrap();
        fs_err::create_dir_all(directory.path().join("personas")).unwrap();
        fs_err::create_dir_all(directory.path().join("prompts")).unwrap();
        Fixture { directory }
    }

    fn paths(&self) -> LibraryPaths {
        let root = self.directory.path().to_path_buf();
        LibraryPaths {
            personas: root.join("personas"),
            prompts: root.join("prompts"),
            root,
        }
    }

    fn write(&self, relative: &str, contents: impl AsRef<[u8]>) -> &Self {
        let path = self.directory.path().join(relative);
        fs_err::create_dir_all(path.parent().unwrap()).unwrap();
        fs_err::write(path, contents).unwrap();
        self
    }

    fn copy_seed(&self, directory: &str, file: &str) -> &Self {
        self.write(
            &format!("{directory}/{file}"),
            fs_err::read(seed_path(file)).unwrap(),
        )
    }

    fn load(&self) -> (Library, Vec<Diagnostic>) {
        Library::load(&self.paths(), &BTreeMap::new())
    }
}

/// The one error diagnostic, failing with all of them otherwise.
fn only_error(diagnostics: &[Diagnostic]) -> &Diagnostic {
    let errors: Vec<&Diagnostic> = diagnostics.iter().filter(|d| d.is_error()).collect();
    assert_eq!(errors.len(), 1, "{diagnostics:#?}");
    errors[0]
}

// ----------------------------------------------------------------------------------------------
// Seeds, field by field

#[test]
fn seed_000_role_sheet() {
    let persona = seed(ROLE_SHEET);
    assert_eq!(persona.name, "devops");
    assert_eq!(persona.format, SourceFormat::RoleSheet);
    assert_eq!(persona.kind, PersonaKind::Persona);
    assert_eq!(persona.role.as_deref(), Some("DevOps"));
    assert_eq!(persona.prefix.as_deref(), Some("[DEVOPS]"));
    assert_eq!(persona.stages, vec![Gate::S09, Gate::S10]);
    assert_eq!(
        persona.metadata["stage_text"],
        json!("Deployment (Stage 6)")
    );
    assert_eq!(
        persona.metadata["priority"],
        json!("Eighth role in workflow")
    );
    assert!(persona
        .description
        .as_deref()
        .unwrap()
        .starts_with("The DevOps role handles deployment planning"));

    assert_eq!(persona.handoffs.len(), 1);
    let handoff = &persona.handoffs[0];
    assert_eq!(handoff.written, "Release Manager [RM]");
    assert_eq!(handoff.resolved, None);
    assert_eq!(
        handoff.items,
        vec![
            "Deployment status",
            "Monitoring URLs",
            "Health check results",
            "Any deployment issues"
        ]
    );
    assert_eq!(
        metadata_list(&persona, "entry_criteria"),
        vec![
            "Quality checks (QA + Security) passed",
            "Architecture decisions available for infrastructure planning"
        ]
    );
    assert_eq!(metadata_list(&persona, "exit_criteria").len(), 5);
    assert_eq!(
        metadata_list(&persona, "templates_used"),
        vec!["deployment-plan.md"]
    );
    assert_eq!(
        metadata_list(&persona, "checklists_used"),
        vec![
            "pre-deployment.md",
            "stage-completion.md",
            "checkpoint-approval.md"
        ]
    );
    assert_eq!(
        metadata_list(&persona, "slash_commands"),
        vec![
            "/KD-deployment-plan",
            "/KD-deployment-plan --env=staging",
            "/KD-deployment-plan --env=production"
        ]
    );
    assert_eq!(persona.metadata["production_checkpoint"], json!(true));

    assert_eq!(persona.permissions, Permissions::default());
    assert!(!persona.permissions_declared);
    assert_eq!(persona.body_line, 1);
    assert!(persona.body.starts_with("# Role: DevOps\n"));
    assert_eq!(persona.origins["prefix"].line, Some(5));
    assert_eq!(persona.origins["prefix"].how, "Metadata bullet \"Prefix\"");
    assert_eq!(persona.origins["stages"].line, Some(6));
    assert_eq!(
        persona.origins["handoffs.Release Manager [RM]"].line,
        Some(61)
    );
    assert_eq!(
        persona.origins["metadata.production_checkpoint"].line,
        Some(40)
    );
}

#[test]
fn seed_001_stage_command() {
    let persona = seed(STAGE_COMMAND);
    assert_eq!(persona.name, "deployment-plan");
    assert_eq!(persona.format, SourceFormat::StageCommand);
    assert_eq!(persona.kind, PersonaKind::Command);
    assert_eq!(
        persona.description.as_deref(),
        Some("Stage 6 - Deployment strategy and infrastructure setup")
    );
    let command = persona.command.as_ref().unwrap();
    assert_eq!(command.params.len(), 1);
    let param = &command.params[0];
    assert_eq!(param.name, "env");
    assert_eq!(
        param.description.as_deref(),
        Some("Deployment environment (staging|production)")
    );
    assert!(!param.required);
    assert_eq!(param.default.as_deref(), Some("staging"));
    assert_eq!(command.active_role.as_deref(), Some("DEVOPS"));
    assert_eq!(command.resolved_role, None);
    assert_eq!(
        command.production_when,
        vec![("env".to_owned(), "production".to_owned())]
    );
    assert_eq!(persona.origins["command.production_when"].line, Some(20));
    assert_eq!(persona.origins["command.active_role"].line, Some(13));

    assert_eq!(persona.permissions, Permissions::default());
    assert!(!persona.permissions_declared);
    assert_eq!(persona.body_line, 10);
    assert!(persona.body.contains("## Active Role: DEVOPS"));
    assert!(!persona.body.contains("params:"));
}

#[test]
fn seed_002_role_prompt() {
    let persona = seed(ROLE_PROMPT);
    assert_eq!(persona.name, "devops-engineer");
    assert_eq!(persona.format, SourceFormat::RolePrompt);
    assert_eq!(persona.kind, PersonaKind::Persona);
    assert_eq!(persona.role.as_deref(), Some("DevOps Engineer"));
    assert_eq!(persona.prefix, None);
    assert!(persona.stages.is_empty());
    let includes = metadata_list(&persona, "includes");
    assert_eq!(includes.len(), 14);
    assert_eq!(includes[0], "contexts/technical_context.md");
    assert!(includes.contains(&"/branch/architecture_spec.md (if exists)".to_owned()));
    assert!(includes.contains(&"roles/shared/quality_standards.md".to_owned()));
    assert_eq!(
        metadata_list(&persona, "variables"),
        vec![
            "INFRASTRUCTURE_PLATFORM",
            "CICD_PIPELINE",
            "MONITORING_TOOLS",
            "DEPLOYMENT_STRATEGY",
            "CONTAINER_PLATFORM"
        ]
    );
    // Includes stay in the body for the prompt crate.
    assert_eq!(
        persona.body,
        fs_err::read_to_string(seed_path(ROLE_PROMPT)).unwrap()
    );
    assert!(persona
        .body
        .contains("{{include:contexts/technical_context.md}}"));
    assert_eq!(persona.permissions, Permissions::default());
    assert!(!persona.permissions_declared);
    assert_eq!(persona.origins["name"].line, Some(1));
}

#[test]
fn seed_003_agent_front_matter() {
    let persona = seed(AGENT);
    assert_eq!(persona.name, "devops-engineer");
    assert_eq!(persona.format, SourceFormat::AgentFrontMatter);
    assert_eq!(persona.kind, PersonaKind::Persona);
    assert_eq!(persona.model.as_deref(), Some("claude-sonnet-4.5"));
    assert_eq!(
        persona.permissions.tools,
        vec![
            ToolName::FsRead,
            ToolName::FsWrite,
            ToolName::ExecuteBash,
            ToolName::UseAws
        ]
    );
    assert!(persona.permissions_declared);
    assert_eq!(persona.permissions.read, vec!["**".to_owned()]);
    assert!(persona.permissions.write.is_empty());
    assert!(persona.permissions.commands.is_empty());
    assert_eq!(metadata_list(&persona, "capabilities").len(), 8);
    assert_eq!(metadata_list(&persona, "use_when").len(), 6);
    assert_eq!(
        metadata_list(&persona, "avoid_when")[0],
        "Writing application code (developer does this)"
    );
    assert_eq!(metadata_list(&persona, "tags"), vec!["sdlc"]);
    assert_eq!(persona.body_line, 33);
    assert!(persona
        .body
        .trim_start()
        .starts_with("You are a specialist DevOps Engineer"));
    assert_eq!(persona.origins["permissions.tools"].line, Some(25));
    assert_eq!(persona.origins["metadata.tags"].line, Some(31));
    assert_eq!(persona.origins["model"].line, Some(30));
}

#[test]
fn seed_004_swarm_persona() {
    let persona = seed(SWARM);
    assert_eq!(persona.name, "ops-devops");
    assert_eq!(persona.format, SourceFormat::SwarmPersona);
    assert_eq!(persona.kind, PersonaKind::Persona);
    assert_eq!(persona.prefix, None);
    assert!(persona
        .description
        .as_deref()
        .unwrap()
        .starts_with("Owns deployment pipelines"));
    assert_eq!(persona.stages, vec![Gate::S09, Gate::S10]);
    assert_eq!(persona.origins["stages"].line, Some(23));

    let context: Vec<(&str, bool)> = persona
        .context
        .iter()
        .map(|reference| (reference.path.as_str(), reference.optional))
        .collect();
    assert_eq!(
        context,
        vec![
            ("AGENTS.md", false),
            ("CONSTITUTION.md", false),
            ("CONTINUITY.md", false),
            ("agents/memory/PROJECT_STATE.md", false),
            ("SECURITY_CHECKLIST.md", false),
        ]
    );
    assert_eq!(persona.context[3].note.as_deref(), Some("(gate status)"));
    assert_eq!(
        metadata_list(&persona, "context_notes"),
        vec!["Current SDLC phase (must be S09 for staging, S10 for production)"]
    );
    assert_eq!(
        metadata_list(&persona, "does_not"),
        vec![
            "Write application code",
            "Make architecture decisions without prod-architect",
            "Deploy to production without human approval (S08 gate required)"
        ]
    );
    assert_eq!(metadata_list(&persona, "constraints").len(), 5);
    assert_eq!(
        metadata_list(&persona, "primary_outputs")[0],
        "Deployment records in AUDIT_LOG.md"
    );
    assert_eq!(metadata_list(&persona, "skills").len(), 2);
    assert_eq!(
        metadata_list(&persona, "production_requires"),
        vec!["S06", "S07", "S08"]
    );
    assert_eq!(persona.permissions, Permissions::default());
    assert!(!persona.permissions_declared);
}

#[test]
fn an_optional_context_entry_in_a_swarm_persona() {
    let fixture = Fixture::new();
    fixture.write(
        "personas/qa.md",
        "# Persona: qa-tester\n\n## Role\n\nRuns tests.\n\n## Context Scope\n\n```\n- AGENTS.md (if exists)\n- docs/qa.md (optional, test plan)\n```\n",
    );
    let (library, diagnostics) = fixture.load();
    assert!(diagnostics.is_empty(), "{diagnostics:#?}");
    let persona = library.get("qa-tester").unwrap();
    assert!(persona.context[0].optional);
    assert_eq!(persona.context[0].note, None);
    assert!(persona.context[1].optional);
    assert_eq!(
        persona.context[1].note.as_deref(),
        Some("(optional, test plan)")
    );
}

// ----------------------------------------------------------------------------------------------
// A library of seeds

fn seed_library() -> Fixture {
    let fixture = Fixture::new();
    fixture
        .copy_seed("personas", ROLE_SHEET)
        .copy_seed("personas", AGENT)
        .copy_seed("personas/swarm", SWARM)
        .copy_seed("prompts", STAGE_COMMAND)
        .write("personas/release-manager.md", RELEASE_MANAGER)
        .write("personas/README.md", "# About these personas\n");
    fixture
}

#[test]
fn a_library_of_seeds_resolves_handoffs_and_active_roles() {
    let fixture = seed_library();
    let (library, diagnostics) = fixture.load();
    assert!(diagnostics.is_empty(), "{diagnostics:#?}");

    let personas: Vec<&str> = library.personas().map(|p| p.name.as_str()).collect();
    assert_eq!(
        personas,
        vec!["devops", "devops-engineer", "ops-devops", "release-manager"]
    );
    let commands: Vec<&str> = library.commands().map(|p| p.name.as_str()).collect();
    assert_eq!(commands, vec!["deployment-plan"]);
    assert_eq!(library.len(), 5);

    let devops = library.get("devops").unwrap();
    assert_eq!(
        devops.handoffs[0].resolved.as_deref(),
        Some("release-manager")
    );
    assert_eq!(devops.handoffs[0].name(), "release-manager");

    let command = library.get("deployment-plan").unwrap();
    assert_eq!(
        command.command.as_ref().unwrap().resolved_role.as_deref(),
        Some("devops")
    );
    assert_eq!(library.active_role(command).unwrap().name, "devops");
    assert_eq!(
        library.get("ops-devops").unwrap().source,
        PathBuf::from("personas/swarm").join(SWARM)
    );
}

#[test]
fn load_one_finds_a_command_and_its_active_role() {
    let fixture = seed_library();
    let (command, role) =
        Library::load_one(&fixture.paths(), &BTreeMap::new(), "deployment-plan").unwrap();
    assert_eq!(command.kind, PersonaKind::Command);
    assert_eq!(
        command.command.as_ref().unwrap().resolved_role.as_deref(),
        Some("devops")
    );
    let role = role.unwrap();
    assert_eq!(role.name, "devops");
    assert_eq!(
        role.handoffs[0].resolved.as_deref(),
        Some("release-manager")
    );
}

#[test]
fn a_run_start_checks_what_it_can_reach_and_nothing_else() {
    let fixture = Fixture::new();
    fixture
        .write("personas/a.md", "---\nname: a\nhandoffs: [b]\n---\nA.\n")
        .write("personas/b.md", "---\nname: b\nhandoffs: [c]\n---\nB.\n")
        .write("personas/c.md", "---\nname: c\ntools: [nope]\n---\nC.\n")
        .write("personas/d.md", "---\nname: d\ntools: [fs_read\n---\nD.\n");
    // `c` is two handoffs away from `a`: its file's own error stops a run starting at `a` …
    let error = Library::load_for_run_start(&fixture.paths(), &BTreeMap::new(), "a").unwrap_err();
    assert_eq!(error[0].path, Path::new("personas/c.md"));
    assert_eq!(error[0].message, "unknown tool `nope`");
    // … while loading `a` alone (a persona a run reached) does not look past its own handoffs.
    let (persona, _) = Library::load_for_run(&fixture.paths(), &BTreeMap::new(), "a").unwrap();
    assert_eq!(persona.handoffs[0].resolved.as_deref(), Some("b"));
    // Fixed, the run can start: `d`, broken too but reached by nothing, does not stop it.
    fixture.write("personas/c.md", "---\nname: c\nmodel: big\n---\nC.\n");
    let (persona, _) =
        Library::load_for_run_start(&fixture.paths(), &BTreeMap::new(), "a").unwrap();
    assert_eq!(persona.name, "a");
    // What the check parsed is handed back (for the endpoint preflight): b, then c with its
    // model; never `d`.
    let start = Library::load_run_start(&fixture.paths(), &BTreeMap::new(), "a").unwrap();
    let reached: Vec<(&str, Option<&str>)> = start
        .reachable
        .iter()
        .map(|persona| (persona.name.as_str(), persona.model.as_deref()))
        .collect();
    assert_eq!(reached, [("b", None), ("c", Some("big"))]);
}

#[test]
fn reachable_walks_resolved_handoffs_nearest_first_each_once() {
    let fixture = Fixture::new();
    fixture
        .write("personas/a.md", "---\nname: a\nhandoffs: [b, c]\n---\nA.\n")
        .write("personas/b.md", "---\nname: b\nhandoffs: [c, a]\n---\nB.\n")
        .write("personas/c.md", "---\nname: c\nhandoffs: [d]\n---\nC.\n")
        .write("personas/d.md", "---\nname: d\n---\nD.\n")
        .write("personas/e.md", "---\nname: e\nhandoffs: [a]\n---\nE.\n");
    let (library, diagnostics) = fixture.load();
    assert!(diagnostics.is_empty(), "{diagnostics:#?}");
    let names = |start: &str| -> Vec<String> {
        library
            .reachable(start)
            .iter()
            .map(|persona| persona.name.clone())
            .collect()
    };
    assert_eq!(names("a"), ["a", "b", "c", "d"]);
    assert_eq!(names("d"), ["d"]);
    assert!(names("nobody").is_empty());
}

#[test]
fn load_one_does_not_parse_unrelated_files() {
    let fixture = seed_library();
    // A broken file elsewhere in the library: the whole-library load reports it, but loading
    // one persona by name never parses it.
    fixture.write(
        "personas/zz-broken.md",
        "---\nname: zz-broken\ntools: [nope]\n---\n",
    );
    let (_, diagnostics) = fixture.load();
    assert_eq!(only_error(&diagnostics).message, "unknown tool `nope`");

    let (persona, role) =
        Library::load_one(&fixture.paths(), &BTreeMap::new(), "release-manager").unwrap();
    assert_eq!(persona.name, "release-manager");
    assert!(role.is_none());
    let (persona, _) = Library::load_one(&fixture.paths(), &BTreeMap::new(), "ops-devops").unwrap();
    assert_eq!(persona.format, SourceFormat::SwarmPersona);

    let error = Library::load_one(&fixture.paths(), &BTreeMap::new(), "ops-devop").unwrap_err();
    assert_eq!(error.len(), 1);
    assert_eq!(
        error[0].message,
        "no persona or stage command named `ops-devop`"
    );
    assert!(error[0]
        .hint
        .as_deref()
        .unwrap()
        .starts_with("did you mean `ops-devops`?"));
}

#[test]
fn overlays_add_what_a_style_cannot_say() {
    let fixture = seed_library();
    let overlay: PersonaOverlay = serde_json::from_value(json!({
        "tools": ["fs_read", "fs_list", "fs_write", "execute_bash"],
        "write": ["infra/**", "deploy/**"],
        "commands": { "approve": ["terraform apply *"] },
        "handoffs": ["release-manager", { "to": "devops", "tools": ["fs_read"], "context": "full" }],
        "prefix": "[OPS]",
    }))
    .unwrap();
    let overlays = BTreeMap::from([("ops-devops".to_owned(), overlay)]);
    let (library, diagnostics) = Library::load(&fixture.paths(), &overlays);
    assert!(diagnostics.is_empty(), "{diagnostics:#?}");
    let persona = library.get("ops-devops").unwrap();
    assert!(persona.permissions_declared);
    assert_eq!(persona.permissions.write, vec!["infra/**", "deploy/**"]);
    assert_eq!(persona.prefix.as_deref(), Some("[OPS]"));
    assert_eq!(
        persona.handoffs[0].resolved.as_deref(),
        Some("release-manager")
    );
    assert_eq!(persona.handoffs[1].resolved.as_deref(), Some("devops"));
    assert_eq!(persona.handoffs[1].context, HandoffContext::Full);
    assert_eq!(
        persona.origins["permissions.write"].how,
        "[personas.ops-devops] overlay"
    );

    let (persona, _) = Library::load_one(&fixture.paths(), &overlays, "ops-devops").unwrap();
    assert_eq!(persona.permissions.write, vec!["infra/**", "deploy/**"]);
    assert_eq!(persona.handoffs[1].resolved.as_deref(), Some("devops"));
}

#[test]
fn seeds_002_and_003_share_a_name() {
    let fixture = Fixture::new();
    fixture
        .copy_seed("personas", ROLE_PROMPT)
        .copy_seed("personas", AGENT);
    let (library, diagnostics) = fixture.load();
    let error = only_error(&diagnostics);
    assert_eq!(error.path, PathBuf::from("personas").join(AGENT));
    assert_eq!(error.line, Some(2));
    assert_eq!(
        error.message,
        format!(
            "name `devops-engineer` is defined twice: personas/{ROLE_PROMPT} and personas/{AGENT}"
        )
    );
    // The first file (by path) is kept.
    assert_eq!(
        library.get("devops-engineer").unwrap().format,
        SourceFormat::RolePrompt
    );
}

// ----------------------------------------------------------------------------------------------
// Bad input

#[test]
fn malformed_yaml_is_reported_at_its_file_line() {
    let fixture = Fixture::new();
    fixture.write(
        "personas/broken.md",
        "---\nname: broken\ndescription: fine\n  nested: not allowed here\n---\nBody\n",
    );
    let (library, diagnostics) = fixture.load();
    let error = only_error(&diagnostics);
    assert_eq!(error.path, PathBuf::from("personas/broken.md"));
    assert_eq!(error.line, Some(4));
    assert!(
        error
            .message
            .starts_with("invalid front matter: mapping values are not allowed"),
        "{}",
        error.message
    );
    assert!(library.is_empty());
}

#[test]
fn unknown_front_matter_fields_are_errors() {
    let fixture = Fixture::new();
    fixture.write(
        "personas/typo.md",
        "---\nname: typo\nhandoff: [release-manager]\nfavourite_colour: teal\n---\nBody\n",
    );
    let (_, diagnostics) = fixture.load();
    assert_eq!(diagnostics.len(), 2, "{diagnostics:#?}");
    assert_eq!(diagnostics[0].path, PathBuf::from("personas/typo.md"));
    assert_eq!(diagnostics[0].line, Some(3));
    assert_eq!(diagnostics[0].message, "unknown front matter key `handoff`");
    assert_eq!(
        diagnostics[0].hint.as_deref(),
        Some("did you mean `handoffs`?")
    );
    assert_eq!(diagnostics[1].line, Some(4));
    assert_eq!(
        diagnostics[1].message,
        "unknown front matter key `favourite_colour`"
    );
    assert!(diagnostics[1]
        .hint
        .as_deref()
        .unwrap()
        .starts_with("put extra data under `metadata:`"));
}

#[test]
fn metadata_and_ecosystem_keys_are_accepted() {
    let fixture = Fixture::new();
    fixture.write(
        "personas/extra.md",
        "---\nname: extra\ncolor: teal\nversion: 2\nmetadata:\n  owner: platform\n  tiers: [a, b]\n---\nBody\n",
    );
    let (library, diagnostics) = fixture.load();
    assert!(diagnostics.is_empty(), "{diagnostics:#?}");
    let persona = library.get("extra").unwrap();
    assert_eq!(persona.metadata["color"], json!("teal"));
    assert_eq!(persona.metadata["version"], json!("2"));
    assert_eq!(persona.metadata["owner"], json!("platform"));
    assert_eq!(persona.metadata["tiers"], json!(["a", "b"]));
    assert_eq!(persona.origins["metadata.owner"].line, Some(6));
}

#[test]
fn unknown_tools_name_the_valid_ones() {
    let fixture = Fixture::new();
    fixture.write(
        "personas/tools.md",
        "---\nname: tools\ntools:\n  - fs_read\n  - run_shell\n---\nBody\n",
    );
    let (_, diagnostics) = fixture.load();
    let error = only_error(&diagnostics);
    assert_eq!(error.path, PathBuf::from("personas/tools.md"));
    assert_eq!(error.line, Some(5));
    assert_eq!(error.message, "unknown tool `run_shell`");
    assert_eq!(
        error.hint.as_deref(),
        Some("valid tools are fs_read, fs_list, fs_write, execute_bash, use_aws")
    );
}

#[test]
fn dangling_handoffs_name_the_known_personas() {
    let fixture = seed_library();
    fixture.write(
        "personas/qa.md",
        "---\nname: qa\nhandoffs:\n  - release-manager\n  - security-reviewer\n---\nBody\n",
    );
    let (library, diagnostics) = fixture.load();
    let error = only_error(&diagnostics);
    assert_eq!(error.path, PathBuf::from("personas/qa.md"));
    assert_eq!(error.line, Some(5));
    assert_eq!(
        error.message,
        "handoff target `security-reviewer` matches no persona"
    );
    assert_eq!(
        error.hint.as_deref(),
        Some("known personas: devops, devops-engineer, ops-devops, qa, release-manager")
    );
    let qa = library.get("qa").unwrap();
    assert_eq!(qa.handoffs[0].resolved.as_deref(), Some("release-manager"));
    assert_eq!(qa.handoffs[1].resolved, None);
}

#[test]
fn an_unresolved_active_role_is_an_error() {
    let fixture = Fixture::new();
    fixture
        .copy_seed("prompts", STAGE_COMMAND)
        .write("personas/release-manager.md", RELEASE_MANAGER);
    let (_, diagnostics) = fixture.load();
    let error = only_error(&diagnostics);
    assert_eq!(error.path, PathBuf::from("prompts").join(STAGE_COMMAND));
    assert_eq!(error.line, Some(13));
    assert_eq!(error.message, "active role `DEVOPS` matches no persona");

    let problems =
        Library::load_one(&fixture.paths(), &BTreeMap::new(), "deployment-plan").unwrap_err();
    assert_eq!(
        problems[0].message,
        "active role `DEVOPS` matches no persona"
    );
}

#[test]
fn empty_binary_and_huge_files_are_refused_without_stopping_the_others() {
    let fixture = seed_library();
    fixture
        .write("personas/empty.md", "\n  \n")
        .write(
            "personas/image.md",
            b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".as_slice(),
        )
        .write(
            "personas/huge.md",
            format!("# Role: Huge\n{}", "x".repeat(1024 * 1024)),
        );
    let (library, diagnostics) = fixture.load();
    let found: Vec<(PathBuf, Option<usize>, &str)> = diagnostics
        .iter()
        .map(|d| (d.path.clone(), d.line, d.message.as_str()))
        .collect();
    assert_eq!(
        found,
        vec![
            (PathBuf::from("personas/empty.md"), None, "file is empty"),
            (
                PathBuf::from("personas/huge.md"),
                None,
                "file is too large (1048589 bytes; the limit is 1 MiB)"
            ),
            (
                PathBuf::from("personas/image.md"),
                Some(3),
                "file is binary (it contains a NUL byte)"
            ),
        ]
    );
    assert!(diagnostics.iter().all(|d| d.severity == Severity::Error));
    assert_eq!(library.len(), 5);
}

#[test]
fn an_overlay_for_no_persona_is_an_error() {
    let fixture = seed_library();
    let overlays = BTreeMap::from([(
        "ops-devop".to_owned(),
        PersonaOverlay {
            model: Some("gpt-4.1-mini".into()),
            ..PersonaOverlay::default()
        },
    )]);
    let (_, diagnostics) = Library::load(&fixture.paths(), &overlays);
    let error = only_error(&diagnostics);
    assert_eq!(error.path, PathBuf::from("agentctl.toml"));
    assert_eq!(error.line, None);
    assert_eq!(
        error.message,
        "overlay `[personas.ops-devop]` names no persona or stage command"
    );
    assert!(error
        .hint
        .as_deref()
        .unwrap()
        .starts_with("did you mean `[personas.ops-devops]`?"));
}

#[test]
fn a_file_with_no_recognisable_style_is_an_error() {
    let fixture = Fixture::new();
    fixture.write("personas/notes.txt", "just some notes\nwith no heading\n");
    let (_, diagnostics) = fixture.load();
    let error = only_error(&diagnostics);
    assert_eq!(error.path, PathBuf::from("personas/notes.txt"));
    assert_eq!(error.line, Some(1));
    assert!(error.message.starts_with("cannot tell what style"));
}

#[test]
fn a_missing_persona_directory_is_reported() {
    let directory = tempfile::tempdir().unwrap();
    let root = directory.path().to_path_buf();
    let paths = LibraryPaths {
        personas: root.join("personas"),
        prompts: root.join("prompts"),
        root,
    };
    let (library, diagnostics) = Library::load(&paths, &BTreeMap::new());
    let error = only_error(&diagnostics);
    assert_eq!(error.path, PathBuf::from("personas"));
    assert_eq!(error.message, "the persona directory does not exist");
    assert!(library.is_empty());
}

#[test]
fn a_broken_file_is_reported_once_with_its_knock_ons_grouped_under_it() {
    let fixture = Fixture::new();
    fixture
        .write(
            "personas/qa.md",
            "---\nname: qa-engineer\nprefix: \"[QA]\"\ntools: [fs_read, fs_list\n---\nYou test.\n",
        )
        .write(
            "personas/ops.md",
            "---\nname: ops\nhandoffs: [qa-engineer, release]\n---\nYou deploy.\n",
        )
        .write(
            "personas/release.md",
            "---\nname: release\nhandoffs: [ops]\n---\nYou release.\n",
        )
        .write("personas/lonely.md", "---\nname: lonely\n---\nAlone.\n")
        .write(
            "prompts/check.md",
            "---\nname: check\n---\n## Active Role: QA\n\nCheck it.\n",
        );
    let (library, diagnostics) = Library::load(&fixture.paths(), &BTreeMap::new());
    assert_eq!(diagnostics.len(), 1, "{diagnostics:#?}");
    let cause = &diagnostics[0];
    assert_eq!(cause.path, Path::new("personas/qa.md"));
    assert_eq!(cause.line, Some(5));
    assert!(cause.message.starts_with("invalid front matter"));
    assert!(
        cause.hint.as_deref().unwrap().ends_with(
            "until it is fixed, `qa-engineer` is missing for check (prompts/check.md:4), ops (personas/ops.md:3)"
        ),
        "{:?}",
        cause.hint
    );
    // ops needs the broken file directly, release through ops; lonely needs nothing broken.
    let broken = Path::new("personas/qa.md").to_path_buf();
    assert!(library.needed_files("ops").unwrap().contains(&broken));
    assert!(library.needed_files("release").unwrap().contains(&broken));
    assert!(library.needed_files("check").unwrap().contains(&broken));
    assert_eq!(
        library.needed_files("lonely").unwrap(),
        [Path::new("personas/lonely.md").to_path_buf()].into()
    );
    // The broken file's own name leads to it; a name nobody defines leads nowhere.
    assert_eq!(
        library.needed_files("qa-engineer").unwrap(),
        [broken.clone()].into()
    );
    assert_eq!(library.needed_files("nobody"), None);
    assert!(library.is_library_file(&broken));
    assert!(library.blocked_by("ops").is_some());
    assert!(library.blocked_by("lonely").is_none());
}

#[test]
fn a_second_file_with_the_same_name_blocks_that_name() {
    let fixture = Fixture::new();
    fixture
        .write("personas/a.md", "---\nname: twin\n---\nOne.\n")
        .write("personas/b.md", "---\nname: twin\n---\nTwo.\n");
    let (library, diagnostics) = Library::load(&fixture.paths(), &BTreeMap::new());
    assert_eq!(diagnostics.len(), 1);
    assert!(diagnostics[0].message.contains("defined twice"));
    let needed = library.needed_files("twin").unwrap();
    assert!(needed.contains(Path::new("personas/b.md")), "{needed:?}");
}
