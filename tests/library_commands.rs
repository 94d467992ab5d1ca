//! End-to-end tests of the library commands of the real binary — `init`, `personas`, `show`,
//! `prompt`, `lint` and every `--help` — against the shipped team, the five seed styles loaded
//! as they are, and the example project. No test calls a model.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use common::{
    assert_contains, expect_exit, line_containing, seed, stderr_of, stdout_of, Project, REPOSITORY,
};
use serde_json::{json, Value};

fn json_of(output: &std::process::Output) -> Value {
    assert_eq!(output.status.code(), Some(0), "{}", stderr_of(output));
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|error| panic!("stdout is not JSON ({error}): {}", stdout_of(output)))
}

fn row<'a>(rows: &'a Value, name: &str) -> &'a Value {
    rows.as_array()
        .unwrap()
        .iter()
        .find(|row| row["name"] == name)
        .unwrap_or_else(|| panic!("no row {name} in {rows:#}"))
}

// ---------------------------------------------------------------------------------------------
// init

#[test]
fn init_scaffolds_a_project_that_lints_clean_and_lists_the_team() {
    // An empty temporary directory, far from the repository: init needs only the binary.
    let outside = Project::with_files(&[]);
    let output = outside.expect_offline(&["init", "svc"], 0);
    assert_eq!(stdout_of(&output), "", "init reports on stderr only");
    assert!(
        stderr_of(&output).starts_with("created 27 files in svc\n"),
        "{}",
        stderr_of(&output)
    );

    let project = outside.path("svc");
    // Run state stays out of version control; the audit log and gate state do not.
    assert_eq!(
        std::fs::read_to_string(project.join(".gitignore")).unwrap(),
        "# agentctl run state (keep AUDIT_LOG.md and PROJECT_STATE.md)\n.agentctl/\n"
    );
    let config = std::fs::read_to_string(project.join("agentctl.toml")).unwrap();
    assert_contains(&config, "[endpoint]");
    let mut personas: Vec<String> = std::fs::read_dir(project.join("personas"))
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    personas.sort();
    assert_eq!(
        personas,
        [
            "ops-devops.md",
            "orch-planner.md",
            "qa-engineer.md",
            "release-manager.md",
            "sec-reviewer.md"
        ]
    );
    // The scaffold is the shipped library byte for byte, plus the starter project.
    for relative in [
        "personas/ops-devops.md",
        "contexts/technical_context.md",
        "templates/handoff_packet.md",
        "prompts/deployment-plan.md",
        "prompts/release-notes.md",
    ] {
        assert_eq!(
            std::fs::read(project.join(relative)).unwrap(),
            std::fs::read(Path::new(REPOSITORY).join(relative)).unwrap(),
            "{relative}"
        );
    }
    for relative in [
        "tasks/T-154.md",
        "tasks/T-155.md",
        "tests/test_service.py",
        "scripts/scan_secrets.py",
        "AGENTS.md",
    ] {
        assert_eq!(
            std::fs::read(project.join(relative)).unwrap(),
            std::fs::read(Path::new(REPOSITORY).join("starter").join(relative)).unwrap(),
            "{relative}"
        );
    }

    // Each command runs inside the new project and must succeed.
    let in_project =
        |args: &[&str]| expect_exit(outside.agentctl().current_dir(&project).args(args), 0);
    let lint = in_project(&["lint"]);
    assert_eq!(
        stdout_of(&lint),
        "checked 5 personas, 3 stage commands, 2 tasks: 0 errors, 0 warnings\n"
    );
    assert_eq!(stderr_of(&lint), "");

    let rows = json_of(&in_project(&["personas", "--json"]));
    let summary: Vec<(String, String, String, Value)> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|row| {
            (
                row["name"].as_str().unwrap().to_owned(),
                row["kind"].as_str().unwrap().to_owned(),
                row["format"].as_str().unwrap().to_owned(),
                row["runs_as"].clone(),
            )
        })
        .collect();
    let expected = [
        (
            "deployment-plan",
            "command",
            "stage-command",
            json!("ops-devops"),
        ),
        ("ops-devops", "persona", "canonical", Value::Null),
        ("orch-planner", "persona", "canonical", Value::Null),
        ("qa-engineer", "persona", "canonical", Value::Null),
        (
            "quality-gate",
            "command",
            "stage-command",
            json!("qa-engineer"),
        ),
        ("release-manager", "persona", "canonical", Value::Null),
        (
            "release-notes",
            "command",
            "stage-command",
            json!("release-manager"),
        ),
        ("sec-reviewer", "persona", "canonical", Value::Null),
    ];
    let expected: Vec<(String, String, String, Value)> = expected
        .into_iter()
        .map(|(name, kind, format, runs_as)| {
            (name.to_owned(), kind.to_owned(), format.to_owned(), runs_as)
        })
        .collect();
    assert_eq!(summary, expected);

    let ops = row(&rows, "ops-devops");
    assert_eq!(
        ops["tools"],
        json!([
            "fs_read",
            "fs_list",
            "fs_write",
            "execute_bash",
            "use_aws",
            "handoff"
        ])
    );
    assert_eq!(ops["handoffs"], json!(["release-manager", "qa-engineer"]));
    assert_eq!(ops["stages"], json!(["S09", "S10"]));
    assert_eq!(ops["prefix"], "[DEVOPS]");
    assert_eq!(ops["source"], "personas/ops-devops.md");
    let qa = row(&rows, "qa-engineer");
    assert_eq!(
        qa["tools"],
        json!([
            "fs_read",
            "fs_list",
            "fs_write",
            "execute_bash",
            "handoff",
            "gate_report"
        ])
    );
    assert_eq!(qa["handoffs"], json!(["ops-devops", "sec-reviewer"]));
    let planner = row(&rows, "orch-planner");
    assert_eq!(planner["tools"], json!(["fs_read", "fs_list", "handoff"]));
    assert_eq!(
        planner["handoffs"],
        json!([
            "qa-engineer",
            "sec-reviewer",
            "ops-devops",
            "release-manager"
        ])
    );
    // A stage command lists what its active role may do.
    let notes = row(&rows, "release-notes");
    // The release manager is the last role: no handoff targets, so no `handoff` tool.
    assert_eq!(
        notes["tools"],
        json!(["fs_read", "fs_list", "fs_write", "execute_bash"])
    );
    assert_eq!(notes["handoffs"], json!([]));
    assert_eq!(notes["source"], "prompts/release-notes.md");
}

#[test]
fn init_into_the_current_directory_when_no_directory_is_given() {
    let project = Project::with_files(&[]);
    let output = expect_exit(project.agentctl().arg("init"), 0);
    // No `cd .` in the next step.
    assert_eq!(
        stderr_of(&output),
        "created 27 files in .\nnext: agentctl lint && agentctl run orch-planner --task T-154\n  (the planner hands the task to QA, Security and DevOps in gate order; set the endpoint first: agentctl docs endpoints)\n"
    );
    assert!(project.path("agentctl.toml").is_file());
    assert!(project.path("personas/qa-engineer.md").is_file());
    expect_exit(project.agentctl().arg("lint"), 0);
}

#[test]
fn init_adds_agent_state_to_an_existing_gitignore_and_never_replaces_it() {
    let project = Project::with_files(&[("svc/.gitignore", "target")]);
    let output = project.expect_offline(&["init", "svc"], 0);
    assert_eq!(
        stderr_of(&output),
        "created 26 files in svc\nadded `.agentctl/` to .gitignore\nnext: cd svc && agentctl lint && agentctl run orch-planner --task T-154\n  (the planner hands the task to QA, Security and DevOps in gate order; set the endpoint first: agentctl docs endpoints)\n"
    );
    assert_eq!(project.read("svc/.gitignore"), "target\n.agentctl/\n");
    project.expect_offline(&["init", "svc", "--force"], 0);
    assert_eq!(project.read("svc/.gitignore"), "target\n.agentctl/\n");
}

#[test]
fn init_twice_refuses_and_writes_nothing() {
    let project = Project::with_files(&[]);
    project.expect_offline(&["init", "svc"], 0);
    project.write("svc/agentctl.toml", "# mine\n");
    project.write("svc/personas/ops-devops.md", "edited by a human\n");
    let before = project.snapshot();

    let second = project.expect_offline(&["init", "svc"], 2);
    assert_eq!(stdout_of(&second), "");
    let stderr = stderr_of(&second);
    assert!(
        stderr.starts_with(
            "error: svc already has agentctl.toml, AGENTS.md, CHANGELOG.md, app/service.py, contexts/README.md"
        ),
        "{stderr}"
    );
    assert_contains(&stderr, "personas/ops-devops.md");
    assert_contains(&stderr, "hint: pass --force to overwrite them");
    assert_eq!(
        Project::changed(&before, &project.snapshot()),
        Vec::<String>::new()
    );
}

#[test]
fn init_refuses_when_only_one_file_exists_and_creates_nothing_else() {
    let project = Project::with_files(&[("svc/agentctl.toml", "# already here\n")]);
    let output = project.expect_offline(&["init", "svc"], 2);
    let stderr = stderr_of(&output);
    assert!(
        stderr.starts_with("error: svc already has agentctl.toml\n"),
        "{stderr}"
    );
    assert_contains(&stderr, "hint: ");
    assert!(!project.path("svc/personas").exists());
    assert!(!project.path("svc/tasks").exists());
    assert_eq!(project.read("svc/agentctl.toml"), "# already here\n");
}

#[test]
fn init_force_overwrites_existing_files() {
    let project = Project::with_files(&[]);
    project.expect_offline(&["init", "svc"], 0);
    project.write("svc/personas/ops-devops.md", "edited by a human\n");
    project.write("svc/agentctl.toml", "# mine\n");

    project.expect_offline(&["init", "svc", "--force"], 0);
    assert_eq!(
        std::fs::read(project.path("svc/personas/ops-devops.md")).unwrap(),
        std::fs::read(Path::new(REPOSITORY).join("personas/ops-devops.md")).unwrap()
    );
    assert!(project.read("svc/agentctl.toml").contains("[endpoint]"));
}

// ---------------------------------------------------------------------------------------------
// The seeds, loaded as they are

const RELEASE_MANAGER: &str = "---
name: release-manager
role: Release Manager
prefix: \"[RM]\"
description: Signs releases off and writes their notes.
tools: [fs_read, fs_list]
---
You are the release manager. Check that every gate of the release passed before you sign.
";

/// Seeds 000, 003, 004 as personas, a canonical release manager with prefix `[RM]`, and seed
/// 001 as a stage command.
fn seed_project() -> Project {
    Project::with_files(&[
        ("agentctl.toml", ""),
        ("personas/000_role_sheet.txt", &seed("000")),
        ("personas/003_agent.txt", &seed("003")),
        ("personas/004_swarm.txt", &seed("004")),
        ("personas/release-manager.md", RELEASE_MANAGER),
        ("prompts/001_stage_command.txt", &seed("001")),
    ])
}

#[test]
fn seeds_are_listed_with_their_names_formats_and_kinds() {
    let project = seed_project();
    let rows: Value = project.expect_json(&["personas", "--json"]);
    let names: Vec<&str> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "deployment-plan",
            "devops",
            "devops-engineer",
            "ops-devops",
            "release-manager"
        ]
    );

    let devops = row(&rows, "devops");
    assert_eq!(devops["kind"], "persona");
    assert_eq!(devops["format"], "role-sheet");
    assert_eq!(devops["role"], "DevOps");
    assert_eq!(devops["prefix"], "[DEVOPS]");
    assert_eq!(devops["source"], "personas/000_role_sheet.txt");
    assert_eq!(devops["handoffs"], json!(["release-manager"]));

    let engineer = row(&rows, "devops-engineer");
    assert_eq!(engineer["kind"], "persona");
    assert_eq!(engineer["format"], "agent-front-matter");
    assert_eq!(
        engineer["tools"],
        json!(["fs_read", "fs_write", "execute_bash", "use_aws"])
    );

    let swarm = row(&rows, "ops-devops");
    assert_eq!(swarm["kind"], "persona");
    assert_eq!(swarm["format"], "swarm-persona");
    assert_eq!(swarm["stages"], json!(["S09", "S10"]));
    // Nothing declared: the safe default, read-only.
    assert_eq!(swarm["tools"], json!(["fs_read", "fs_list"]));
    assert_eq!(swarm["handoffs"], json!([]));

    let command = row(&rows, "deployment-plan");
    assert_eq!(command["kind"], "command");
    assert_eq!(command["format"], "stage-command");
    assert_eq!(command["runs_as"], "devops");
    assert_eq!(command["source"], "prompts/001_stage_command.txt");

    let manager = row(&rows, "release-manager");
    assert_eq!(manager["format"], "canonical");
    assert_eq!(manager["prefix"], "[RM]");

    let table = expect_exit(project.agentctl().arg("personas"), 0);
    let table = stdout_of(&table);
    assert!(table.starts_with("NAME "), "{table}");
    assert!(
        table
            .lines()
            .any(|line| line.starts_with("deployment-plan  command  runs as devops ")),
        "{table}"
    );
    assert_contains(&table, "personas/004_swarm.txt (swarm-persona)");
}

#[test]
fn show_role_sheet_resolves_the_handoff_by_prefix_and_keeps_templates_and_commands() {
    let project = seed_project();
    let output = project.expect_offline(&["show", "devops"], 0);
    let text = stdout_of(&output);
    assert!(
        text.starts_with("devops (Persona, role-sheet format)\n"),
        "{text}"
    );
    assert_contains(
        &text,
        "  → release-manager (written `Release Manager [RM]`)",
    );
    assert_contains(&text, "  templates_used: deployment-plan.md\n");
    assert_contains(
        &text,
        "  checklists_used: pre-deployment.md; stage-completion.md; checkpoint-approval.md\n",
    );
    assert_contains(&text, "  slash_commands: /KD-deployment-plan; /KD-deployment-plan --env=staging; /KD-deployment-plan --env=production\n");
    assert_contains(&text, "  prefix:       [DEVOPS]\n");
    assert_contains(&text, "  stages:       S09, S10\n");
    assert_contains(&text, "Tools offered: fs_read, fs_list, handoff\n");
    // Every field says where it came from.
    assert!(
        text.lines().any(|line| line.starts_with("  prefix ")
            && line.ends_with("personas/000_role_sheet.txt:5 (Metadata bullet \"Prefix\")")),
        "{text}"
    );

    let json: Value = project.expect_json(&["show", "devops", "--json"]);
    let handoff = &json["persona"]["handoffs"][0];
    assert_eq!(handoff["written"], "Release Manager [RM]");
    assert_eq!(handoff["resolved"], "release-manager");
    assert_eq!(
        json["effective_policy"]["handoff_targets"],
        json!(["release-manager"])
    );
}

#[test]
fn show_agent_front_matter_as_json_keeps_its_lists_and_tools() {
    let project = seed_project();
    let json: Value = project.expect_json(&["show", "devops-engineer", "--json"]);
    let persona = &json["persona"];
    assert_eq!(persona["name"], "devops-engineer");
    assert_eq!(persona["kind"], "persona");
    assert_eq!(
        persona["format"], "agent-front-matter",
        "show --json names formats as personas --json does"
    );
    assert_eq!(persona["model"], "claude-sonnet-4.5");
    assert_eq!(
        persona["permissions"]["tools"],
        json!(["fs_read", "fs_write", "execute_bash", "use_aws"])
    );
    let metadata = &persona["metadata"];
    assert_eq!(metadata["capabilities"].as_array().unwrap().len(), 8);
    assert_eq!(
        metadata["capabilities"][0],
        "Execute deployments to staging and production"
    );
    assert_eq!(metadata["use_when"].as_array().unwrap().len(), 6);
    assert_eq!(metadata["use_when"][3], "Performing rollbacks");
    assert_eq!(metadata["avoid_when"].as_array().unwrap().len(), 4);
    assert_eq!(
        metadata["avoid_when"][1],
        "Testing features (qa-engineer does this)"
    );
    assert_eq!(metadata["tags"], json!(["sdlc"]));
    assert_eq!(
        json["offered_tools"],
        json!(["fs_read", "fs_write", "execute_bash", "use_aws"])
    );
    assert_eq!(json["effective_policy"]["write"], json!([]));
    assert_eq!(persona["origins"]["permissions.tools"]["line"], 25);
}

#[test]
fn show_swarm_persona_lists_what_it_does_not_do_and_its_context() {
    let project = seed_project();
    let output = project.expect_offline(&["show", "ops-devops"], 0);
    let text = stdout_of(&output);
    assert!(
        text.starts_with("ops-devops (Persona, swarm-persona format)\n"),
        "{text}"
    );
    assert_contains(&text, "  does_not: Write application code; Make architecture decisions without prod-architect; Deploy to production without human approval (S08 gate required)\n");
    assert_contains(
        &text,
        "  constraints: Never deploy to production without documented rollback plan;",
    );
    assert_contains(
        &text,
        "  primary_outputs: Deployment records in AUDIT_LOG.md;",
    );
    assert_contains(&text, "\nContext on activation:\n  AGENTS.md\n  CONSTITUTION.md\n  CONTINUITY.md\n  agents/memory/PROJECT_STATE.md\n  SECURITY_CHECKLIST.md\n");
    assert_contains(&text, "  stages:       S09, S10\n");
    assert!(
        text.contains("(no permissions declared: the safe default"),
        "{text}"
    );
}

#[test]
fn show_stage_command_lists_its_parameter_and_when_it_is_production() {
    let project = seed_project();
    let output = project.expect_offline(&["show", "deployment-plan"], 0);
    let text = stdout_of(&output);
    assert!(
        text.starts_with("deployment-plan (Command, stage-command format)\n"),
        "{text}"
    );
    assert_contains(&text, "  runs as:      devops (written `DEVOPS`)\n");
    assert_contains(
        &text,
        "  param:        env = staging — Deployment environment (staging|production)\n",
    );
    assert_contains(&text, "  production:   when env=production (needs S08)\n");
    assert_contains(
        &text,
        "Tools offered (as devops): fs_read, fs_list, handoff\n",
    );

    let json: Value = project.expect_json(&["show", "deployment-plan", "--json"]);
    let command = &json["persona"]["command"];
    assert_eq!(
        command["params"],
        json!([{
            "name": "env",
            "description": "Deployment environment (staging|production)",
            "required": false,
            "default": "staging"
        }])
    );
    assert_eq!(command["resolved_role"], "devops");
    assert_eq!(command["production_when"], json!([["env", "production"]]));
    assert_eq!(json["persona"]["format"], "stage-command");
}

#[test]
fn show_an_unknown_name_lists_the_known_ones() {
    let project = seed_project();
    let output = project.expect_offline(&["show", "devop"], 2);
    assert_eq!(stdout_of(&output), "");
    assert_eq!(
        stderr_of(&output),
        "error: no persona or stage command named `devop`\nhint: did you mean `devops`? known: deployment-plan, devops, devops-engineer, ops-devops, release-manager\n"
    );
}

// ---------------------------------------------------------------------------------------------
// prompt: seed 002, a role prompt with includes and variables

const ROLE_PROMPT_FILE: &str = "personas/002_role_prompt.txt";

/// Every `{{include:PATH}}` of `text` that is not a workspace (`/branch/`) include.
fn library_includes(text: &str) -> Vec<String> {
    let mut includes = Vec::new();
    for piece in text.split("{{include:").skip(1) {
        let path = piece.split("}}").next().unwrap();
        if !path.starts_with("/branch/") {
            includes.push(path.to_owned());
        }
    }
    includes
}

/// Every `{{UPPER_SNAKE}}` of `text` with its 1-based line.
fn variables(text: &str) -> BTreeSet<(usize, String)> {
    let mut found = BTreeSet::new();
    for (index, line) in text.lines().enumerate() {
        for piece in line.split("{{").skip(1) {
            let Some((name, _)) = piece.split_once("}}") else {
                continue;
            };
            let upper_snake = name.starts_with(|c: char| c.is_ascii_uppercase())
                && name
                    .chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
            if upper_snake {
                found.insert((index + 1, name.to_owned()));
            }
        }
    }
    found
}

/// Seed 002 with a small file for each library file it includes.
fn role_prompt_project() -> Project {
    let text = seed("002");
    let project = Project::with_files(&[("agentctl.toml", ""), (ROLE_PROMPT_FILE, &text)]);
    let includes = library_includes(&text);
    assert_eq!(includes.len(), 11, "{includes:?}");
    for path in includes {
        project.write(&path, &format!("Shared text from {path}.\n"));
    }
    project
}

const ROLE_PROMPT_VARS: [(&str, &str); 5] = [
    ("INFRASTRUCTURE_PLATFORM", "AWS"),
    ("CICD_PIPELINE", "GitHub Actions"),
    ("MONITORING_TOOLS", "Prometheus"),
    ("DEPLOYMENT_STRATEGY", "blue-green"),
    ("CONTAINER_PLATFORM", "Docker"),
];

fn var_flags() -> Vec<String> {
    ROLE_PROMPT_VARS
        .iter()
        .flat_map(|(name, value)| ["--var".to_owned(), format!("{name}={value}")])
        .collect()
}

/// `N bytes, about T tokens, sha256 HEX` from stderr.
fn size_line(stderr: &str) -> (usize, usize, String) {
    let line = line_containing(stderr, " bytes, about ");
    let words: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(words[1], "bytes,", "{line}");
    assert_eq!(words[4], "tokens,", "{line}");
    assert_eq!(words[5], "sha256", "{line}");
    assert_eq!(words[6].len(), 64, "{line}");
    assert!(words[6].chars().all(|c| c.is_ascii_hexdigit()), "{line}");
    (
        words[0].parse().unwrap(),
        words[3].parse().unwrap(),
        words[6].to_owned(),
    )
}

#[test]
fn prompt_reports_every_unresolved_variable_with_file_and_line() {
    let project = role_prompt_project();
    let before = project.snapshot();
    let output = project.expect_offline(&["prompt", "devops-engineer"], 2);
    assert_eq!(stdout_of(&output), "", "no partial prompt on stdout");
    let stderr = stderr_of(&output);
    let expected = variables(&seed("002"));
    assert_eq!(expected.len(), 15, "{expected:?}");
    for (line, name) in &expected {
        let wanted =
            format!("error: {ROLE_PROMPT_FILE}:{line}: unresolved variable {{{{{name}}}}}\n");
        assert!(stderr.contains(&wanted), "missing `{wanted}` in\n{stderr}");
    }
    assert_eq!(
        stderr.matches(": unresolved variable {{").count(),
        expected.len(),
        "{stderr}"
    );
    assert_contains(
        &stderr,
        "  hint: pass --var CICD_PIPELINE=VALUE or set it under [vars] in agentctl.toml\n",
    );
    assert!(
        stderr.ends_with("error: the prompt cannot be assembled\nhint: fix the problems above, or pass the missing values with --var\n"),
        "{stderr}"
    );
    project.assert_nothing_written(&before);
}

#[test]
fn prompt_with_every_variable_is_complete_deterministic_and_notes_skipped_includes() {
    let project = role_prompt_project();
    // `agentctl prompt devops-engineer EXTRA`, which must succeed.
    let run = |extra: &[String]| {
        expect_exit(
            project
                .agentctl()
                .args(["prompt", "devops-engineer"])
                .args(extra),
            0,
        )
    };
    let first = run(&var_flags());
    let text = stdout_of(&first);
    assert!(text.starts_with("# DevOps Engineer Role\n"), "{text}");
    assert!(
        !text.contains("{{"),
        "no directive or variable is left: {text}"
    );
    assert_contains(
        &text,
        "- Create AWS deployment configurations and infrastructure as code\n",
    );
    assert_contains(
        &text,
        "- Implement GitHub Actions automation with testing gates",
    );
    assert_contains(&text, "- Shared text from contexts/technical_context.md.\n- Shared text from contexts/business_context.md.\n");
    assert_contains(&text, "Shared text from roles/shared/quality_standards.md.");
    assert!(
        text.ends_with("automated vulnerability scanning\n"),
        "{text}"
    );

    let stderr = stderr_of(&first);
    for skipped in [
        "note: skipped optional include /branch/architecture_spec.md (not found) at personas/002_role_prompt.txt:42\n",
        "note: skipped optional include /branch/tickets.md (not found) at personas/002_role_prompt.txt:46\n",
        "note: skipped optional include /branch/implementation_plan.md (not found) at personas/002_role_prompt.txt:47\n",
    ] {
        assert!(stderr.contains(skipped), "missing `{skipped}` in\n{stderr}");
    }
    let (bytes, tokens, sha) = size_line(&stderr);
    assert_eq!(bytes, first.stdout.len());
    assert!(tokens > bytes / 8 && tokens < bytes, "{tokens} for {bytes}");

    let second = run(&var_flags());
    assert_eq!(first.stdout, second.stdout, "same inputs, same bytes");
    assert_eq!(size_line(&stderr_of(&second)).2, sha);

    // The same values from [vars] give the same prompt.
    let vars: String = ROLE_PROMPT_VARS
        .iter()
        .map(|(name, value)| format!("{name} = \"{value}\"\n"))
        .collect();
    project.write("agentctl.toml", &format!("[vars]\n{vars}"));
    let from_config = run(&[]);
    assert_eq!(
        from_config.status.code(),
        Some(0),
        "{}",
        stderr_of(&from_config)
    );
    assert_eq!(from_config.stdout, first.stdout);

    // --var beats [vars].
    let overridden = run(&["--var".to_owned(), "CICD_PIPELINE=Tekton".to_owned()]);
    assert!(stdout_of(&overridden).contains("- Implement Tekton automation"));
    assert_ne!(size_line(&stderr_of(&overridden)).2, sha);
}

#[test]
fn prompt_sources_map_every_span_to_its_file() {
    let project = role_prompt_project();
    let plain = expect_exit(
        project
            .agentctl()
            .args(["prompt", "devops-engineer"])
            .args(var_flags()),
        0,
    );
    let text = stdout_of(&plain);
    let output = expect_exit(
        project
            .agentctl()
            .args(["prompt", "devops-engineer", "--sources"])
            .args(var_flags()),
        0,
    );
    let sources = stdout_of(&output);

    let mut covered = 0;
    let mut files_seen = BTreeSet::new();
    for line in sources.lines() {
        let (range, location) = line.split_once(' ').unwrap();
        let (start, end) = range.split_once("..").unwrap();
        let (start, end): (usize, usize) = (start.parse().unwrap(), end.parse().unwrap());
        assert_eq!(start, covered, "spans are contiguous: {line}");
        assert!(end > start, "{line}");
        covered = end;
        let piece = &text[start..end];
        let (path, first_line) = match location.rsplit_once(':') {
            Some((path, number)) => (path, number.parse::<usize>().unwrap()),
            None => (location, 0),
        };
        if path == ROLE_PROMPT_FILE {
            assert!(first_line >= 1, "{line}");
        } else if path == "<agentctl>" {
            assert_eq!(first_line, 0);
        } else {
            // An included file maps to exactly its text, without its final newline.
            assert_eq!(first_line, 1, "{line}");
            assert_eq!(piece, format!("Shared text from {path}."), "{line}");
        }
        files_seen.insert(path.to_owned());
    }
    assert_eq!(covered, text.len(), "the spans cover the whole prompt");
    assert!(sources.starts_with("0.."), "{sources}");
    assert!(
        sources
            .lines()
            .next()
            .unwrap()
            .ends_with(" personas/002_role_prompt.txt:1"),
        "{sources}"
    );
    let mut expected: BTreeSet<String> = library_includes(&seed("002")).into_iter().collect();
    expected.insert(ROLE_PROMPT_FILE.to_owned());
    files_seen.remove("<agentctl>");
    assert_eq!(files_seen, expected);
    assert_contains(&sources, " roles/shared/system_assessment_process.md:1\n");
}

#[test]
fn prompt_json_carries_the_text_its_digest_and_its_sources() {
    let project = role_prompt_project();
    let plain = project
        .agentctl()
        .args(["prompt", "devops-engineer"])
        .args(var_flags())
        .output()
        .unwrap();
    let output = project
        .agentctl()
        .args(["prompt", "devops-engineer", "--json"])
        .args(var_flags())
        .output()
        .unwrap();
    let json = json_of(&output);
    let keys: Vec<&str> = json
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "persona",
            "command",
            "sha256",
            "bytes",
            "tokens_estimate",
            "text",
            "sources",
            "notes"
        ]
    );
    assert_eq!(json["persona"], "devops-engineer");
    assert_eq!(json["command"], Value::Null);
    assert_eq!(json["text"].as_str().unwrap(), stdout_of(&plain));
    assert_eq!(json["bytes"], plain.stdout.len());
    let (_, tokens, sha) = size_line(&stderr_of(&plain));
    assert_eq!(json["sha256"], sha.as_str());
    assert_eq!(json["tokens_estimate"], tokens);
    assert_eq!(
        json["sources"][0],
        json!({"start": 0, "end": json["sources"][0]["end"], "path": ROLE_PROMPT_FILE, "line": 1})
    );
    assert_eq!(json["notes"].as_array().unwrap().len(), 3);
    assert_eq!(
        json["notes"][0],
        "skipped optional include /branch/architecture_spec.md (not found) at personas/002_role_prompt.txt:42"
    );
}

#[test]
fn an_optional_workspace_include_that_exists_is_included() {
    let project = role_prompt_project();
    project.write("tickets.md", "TICKET-1: ship it\n");
    let output = expect_exit(
        project
            .agentctl()
            .args(["prompt", "devops-engineer"])
            .args(var_flags()),
        0,
    );
    assert!(stdout_of(&output).contains("- TICKET-1: ship it\n"));
    let stderr = stderr_of(&output);
    assert!(!stderr.contains("/branch/tickets.md"), "{stderr}");
    assert_contains(&stderr, "/branch/implementation_plan.md");
}

// ---------------------------------------------------------------------------------------------
// prompt: stage commands in the example project

/// The first paragraph of the shipped ops-devops body, as it reads for the example project.
fn ops_devops_opening() -> String {
    let text =
        std::fs::read_to_string(Path::new(REPOSITORY).join("personas/ops-devops.md")).unwrap();
    let body = text.splitn(3, "---\n").nth(2).unwrap();
    let paragraph = body.split("\n\n").next().unwrap();
    assert_contains(paragraph, "{{PROJECT_NAME}}");
    paragraph.replace("{{PROJECT_NAME}}", "shopfront")
}

#[test]
fn a_stage_command_prompt_is_its_role_then_its_instructions() {
    let project = Project::example();
    let output = project.expect_offline(
        &["prompt", "deployment-plan", "--param", "env=production"],
        0,
    );
    let text = stdout_of(&output);
    let opening = ops_devops_opening();
    assert!(text.starts_with(&opening), "{text}");
    let heading = text
        .find("\n## Stage command: deployment-plan\n")
        .unwrap_or_else(|| panic!("{text}"));
    assert!(
        text[heading..].contains("Produce a deployment plan for **production** that"),
        "{text}"
    );
    assert!(
        text[..heading].contains("## Technical context: shopfront"),
        "the role's context comes before the command: {text}"
    );

    let json: Value = project.expect_json(&[
        "prompt",
        "deployment-plan",
        "--param",
        "env=production",
        "--json",
    ]);
    assert_eq!(json["persona"], "ops-devops");
    assert_eq!(json["command"], "deployment-plan");
    assert_eq!(json["text"].as_str().unwrap(), text);

    let staging = project.expect_offline(&["prompt", "deployment-plan"], 0);
    assert!(
        stdout_of(&staging).contains("Produce a deployment plan for **staging** that"),
        "the declared default applies"
    );
}

#[test]
fn an_unknown_parameter_names_the_declared_ones() {
    let project = Project::example();
    let before = project.snapshot();
    let output = project.expect_offline(&["prompt", "deployment-plan", "--param", "bogus=1"], 2);
    assert_eq!(stdout_of(&output), "");
    assert_eq!(
        stderr_of(&output),
        "error: ../prompts/deployment-plan.md: unknown parameter `bogus` for `deployment-plan`\n  hint: declared parameters: env\n"
    );
    project.assert_nothing_written(&before);
}

#[test]
fn a_missing_required_parameter_is_bad_input() {
    let project = Project::example();
    let before = project.snapshot();
    let output = project.expect_offline(&["prompt", "release-notes"], 2);
    assert_eq!(stdout_of(&output), "");
    let stderr = stderr_of(&output);
    assert!(
        stderr.starts_with(
            "error: ../prompts/release-notes.md: missing required parameter `version` for `release-notes`\n"
        ),
        "{stderr}"
    );
    assert_contains(&stderr, "  hint: pass --param version=VALUE");
    project.assert_nothing_written(&before);

    let given = project.expect_offline(&["prompt", "release-notes", "--param", "version=1.2.0"], 0);
    assert!(
        stdout_of(&given).contains("Describe release **1.2.0**"),
        "{}",
        stdout_of(&given)
    );
}

// ---------------------------------------------------------------------------------------------
// lint on the example project

#[test]
fn lint_json_reports_counts_and_no_diagnostics_for_the_example() {
    let project = Project::example();
    let json: Value = project.expect_json(&["lint", "--json"]);
    assert_eq!(
        json,
        json!({
            "errors": 0,
            "warnings": 0,
            "personas": 5,
            "commands": 3,
            "tasks": 2,
            "diagnostics": []
        })
    );
}

// ---------------------------------------------------------------------------------------------
// --help

#[test]
fn every_subcommand_has_help_with_an_example() {
    let project = Project::with_files(&[]);
    let subcommands: [&[&str]; 14] = [
        &[],
        &["init"],
        &["personas"],
        &["show"],
        &["prompt"],
        &["lint"],
        &["run"],
        &["runs"],
        &["approve"],
        &["reject"],
        &["resume"],
        &["gates"],
        &["audit"],
        &["audit", "show"],
    ];
    for subcommand in subcommands
        .iter()
        .copied()
        .chain([&["audit", "verify"][..]])
    {
        let output = expect_exit(project.agentctl().args(subcommand).arg("--help"), 0);
        let shown = subcommand.join(" ");
        let text = stdout_of(&output);
        assert!(
            text.contains("Example"),
            "`{shown} --help` has no example:\n{text}"
        );
        assert!(text.contains("agentctl "), "`{shown} --help`:\n{text}");
        assert_eq!(stderr_of(&output), "", "`{shown} --help`");
    }
}
