//! End-to-end tests of the real binary for persona files people already have (Claude Code
//! subagents, Kiro / Q CLI agents: loaded in place and converted by `agentctl import`) and for
//! errors that lead (one mistake, one error first; a broken file blocks only what needs it;
//! "did you mean" for persona names; `agentctl docs`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::{Path, PathBuf};

use common::{assert_contains, expect_exit, stderr_of, stdout_of, Project, REPOSITORY};
use serde_json::Value;

fn fixture(relative: &str) -> String {
    std::fs::read_to_string(
        Path::new(REPOSITORY)
            .join("crates/persona/tests/fixtures")
            .join(relative),
    )
    .unwrap()
}

/// A project scaffolded by `agentctl init` in `TMP/svc`; commands run inside it.
struct Scaffolded {
    project: Project,
    root: PathBuf,
}

impl Scaffolded {
    fn new() -> Scaffolded {
        let project = Project::with_files(&[]);
        project.expect_offline(&["init", "svc"], 0);
        let root = project.path("svc");
        Scaffolded { project, root }
    }

    fn write(&self, relative: &str, text: &str) {
        common::write(&self.root.join(relative), text);
    }

    /// `agentctl ARGS` inside the scaffolded project, run to the end; asserts that it exited
    /// with `code`.
    fn expect(&self, args: &[&str], code: i32) -> std::process::Output {
        expect_exit(
            self.project.agentctl().current_dir(&self.root).args(args),
            code,
        )
    }

    /// Breaks `tools:` of the shipped QA persona with one missing `]` on line 7.
    fn break_qa(&self) {
        let path = self.root.join("personas/qa-engineer.md");
        let text = std::fs::read_to_string(&path).unwrap();
        let line = "tools: [fs_read, fs_list, fs_write, execute_bash]";
        assert_eq!(text.lines().nth(6), Some(line), "the QA persona changed");
        std::fs::write(
            &path,
            text.replacen(line, "tools: [fs_read, fs_list, fs_write, execute_bash", 1),
        )
        .unwrap();
    }
}

const QA_TYPO: &str = "error: personas/qa-engineer.md:8: invalid front matter: did not find expected ',' or ']', while parsing a flow sequence\n  hint: front matter is YAML between the `---` lines; check indentation, quoting and `key: value` shape on this line; until it is fixed, `qa-engineer` is missing for ops-devops (personas/ops-devops.md:19), orch-planner (personas/orch-planner.md:11), quality-gate (prompts/quality-gate.md:13), sec-reviewer (personas/sec-reviewer.md:14)\n";

// ---------------------------------------------------------------------------------------------
// errors that lead

#[test]
fn one_yaml_typo_is_one_error_with_its_knock_ons_grouped_under_it() {
    let project = Scaffolded::new();
    project.break_qa();
    let lint = project.expect(&["lint"], 2);
    assert_eq!(stderr_of(&lint), QA_TYPO);
    assert_eq!(
        stdout_of(&lint),
        "checked 4 personas, 3 stage commands, 2 tasks: 1 error, 0 warnings\n"
    );
    let report: Value = {
        let output = project.expect(&["lint", "--json"], 2);
        serde_json::from_slice(&output.stdout).unwrap()
    };
    assert_eq!(report["errors"], 1, "{report:#}");
    assert_eq!(report["diagnostics"][0]["path"], "personas/qa-engineer.md");
}

#[test]
fn a_run_that_needs_the_broken_file_names_it_first() {
    let project = Scaffolded::new();
    project.break_qa();
    let before = project.project.snapshot();
    let output = project.expect(&["run", "ops-devops", "--task", "T-154", "--dry-run"], 2);
    assert_eq!(stdout_of(&output), "");
    assert_eq!(
        stderr_of(&output),
        format!("{QA_TYPO}error: the persona files `ops-devops` needs have errors\nhint: fix the first problem above; `agentctl lint` lists every one\n")
    );
    project.project.assert_nothing_written(&before);
}

#[test]
fn a_broken_file_does_not_block_a_persona_that_does_not_need_it() {
    let project = Scaffolded::new();
    project.write(
        "personas/scratch.md",
        "---\nname: scratch\ntools: [fs_read\n---\nA draft.\n",
    );
    let output = project.expect(&["run", "ops-devops", "--task", "T-154", "--dry-run"], 0);
    assert!(
        stdout_of(&output).starts_with("dry run: ops-devops on task T-154"),
        "{}",
        stdout_of(&output)
    );
    // `run` parses only the starting persona and the personas it can reach through handoffs
    // (start-up must not parse the whole library), so it never learns that an unrelated file is
    // broken: it neither stops the run nor is mentioned.
    assert_eq!(stderr_of(&output), "");
    // `show` loads the whole library anyway, so it says what it skipped.
    let output = project.expect(&["show", "ops-devops"], 0);
    assert_eq!(
        stderr_of(&output),
        "warning: personas/scratch.md has errors and was skipped: `ops-devops` does not need it (`agentctl lint` lists the problems)\n"
    );
    // The broken file itself is still refused, with its own error first.
    let output = project.expect(&["show", "scratch"], 2);
    assert!(
        stderr_of(&output).starts_with("error: personas/scratch.md:4: invalid front matter"),
        "{}",
        stderr_of(&output)
    );
}

#[test]
fn an_unknown_persona_gets_a_did_you_mean_and_no_location() {
    let project = Scaffolded::new();
    let expected = "error: no persona or stage command named `ops-devop`\nhint: did you mean `ops-devops`? known: deployment-plan, ops-devops, orch-planner, qa-engineer, quality-gate, release-manager, release-notes, sec-reviewer\n";
    for args in [
        &["run", "ops-devop", "--task", "T-154", "--dry-run"][..],
        &["show", "ops-devop"][..],
        &["prompt", "ops-devop"][..],
    ] {
        let output = project.expect(args, 2);
        assert_eq!(stderr_of(&output), expected, "{args:?}");
    }
}

#[test]
fn docs_are_built_into_the_binary() {
    let project = Project::with_files(&[]);
    let output = project.expect_offline(&["docs", "formats"], 0);
    assert_eq!(
        stdout_of(&output),
        std::fs::read_to_string(Path::new(REPOSITORY).join("docs/formats.md")).unwrap()
    );
    let output = project.expect_offline(&["docs", "confguration"], 2);
    assert!(stderr_of(&output).starts_with(
        "error: no documentation page named `confguration`\nhint: did you mean `configuration`? pages: cli, configuration,"
    ));
}

// ---------------------------------------------------------------------------------------------
// Claude Code and Kiro files in place

#[test]
fn claude_and_kiro_files_load_in_place_with_warnings_at_their_lines() {
    let project = Scaffolded::new();
    project.write(
        "personas/flaky-test-hunter.md",
        &fixture("claude/flaky-test-hunter.md"),
    );
    project.write(
        "personas/changelog-writer.json",
        &fixture("kiro/changelog-writer.json"),
    );
    let output = project.expect(&["personas", "--json"], 0);
    let rows: Value = serde_json::from_slice(&output.stdout).unwrap();
    let format_of = |name: &str| {
        rows.as_array()
            .unwrap()
            .iter()
            .find(|row| row["name"] == name)
            .map(|row| row["format"].clone())
            .unwrap_or_else(|| panic!("no {name} in {rows:#}"))
    };
    assert_eq!(format_of("flaky-test-hunter"), "claude-agent");
    assert_eq!(format_of("changelog-writer"), "kiro-agent");

    let lint = project.expect(&["lint"], 0);
    assert_eq!(
        stdout_of(&lint),
        "checked 7 personas, 3 stage commands, 2 tasks: 0 errors, 6 warnings\n"
    );
    let stderr = stderr_of(&lint);
    assert!(
        stderr.starts_with("warning: personas/flaky-test-hunter.md:4: Claude Code tool `TodoWrite` has no agentctl counterpart and is left out\n  hint: agentctl keeps no to-do list\n"),
        "{stderr}"
    );
    assert_contains(&stderr, "warning: personas/flaky-test-hunter.md:5: model alias `sonnet` names a Claude model family, not a model id; this persona uses the run's model\n");

    // What the model is offered follows the mapping: Read/Grep/Glob/Edit/Bash.
    let show = project.expect(&["show", "flaky-test-hunter", "--json"], 0);
    let json: Value = serde_json::from_slice(&show.stdout).unwrap();
    assert_eq!(
        json["offered_tools"],
        serde_json::json!(["fs_read", "fs_list", "fs_write", "execute_bash"])
    );
    assert_eq!(
        json["persona"]["permissions"]["write"],
        serde_json::json!([])
    );
}

// ---------------------------------------------------------------------------------------------
// agentctl import

#[test]
fn import_writes_a_canonical_file_that_loads_as_the_same_persona() {
    let project = Scaffolded::new();
    project.write(
        "incoming/reviewer.json",
        &fixture("kiro/infra-reviewer.json"),
    );
    project.write(
        "contexts/infra-reviewer.md",
        &fixture("contexts/infra-reviewer.md"),
    );
    let output = project.expect(
        &[
            "import",
            "incoming/reviewer.json",
            "--output",
            "personas/infra-reviewer.md",
        ],
        0,
    );
    assert_eq!(stdout_of(&output), "");
    let stderr = stderr_of(&output);
    assert!(
        stderr.starts_with("warning: incoming/reviewer.json:7: Kiro tool `knowledge` has no agentctl counterpart and is left out\n"),
        "{stderr}"
    );
    assert!(
        stderr.ends_with(
            "wrote personas/infra-reviewer.md (persona `infra-reviewer`, canonical style)\n"
        ),
        "{stderr}"
    );
    let written = std::fs::read_to_string(project.root.join("personas/infra-reviewer.md")).unwrap();
    assert!(
        written.starts_with("---\n# imported by `agentctl import` from incoming/reviewer.json (kiro-agent)\nname: infra-reviewer\n"),
        "{written}"
    );

    let show = project.expect(&["show", "infra-reviewer", "--json"], 0);
    let json: Value = serde_json::from_slice(&show.stdout).unwrap();
    let persona = &json["persona"];
    assert_eq!(persona["format"], "canonical");
    assert_eq!(
        persona["permissions"]["write"],
        serde_json::json!(["reviews/**"])
    );
    assert_eq!(
        persona["permissions"]["commands"]["allow"],
        serde_json::json!(["terraform validate", "terraform plan*"])
    );
    assert_eq!(
        persona["permissions"]["aws"]["deny"],
        serde_json::json!(["iam:*"])
    );
    assert_eq!(
        persona["mcp_servers"]["terraform"]["command"],
        "terraform-mcp-server"
    );
    // The prompt file it named is included at assembly.
    let prompt = project.expect(&["prompt", "infra-reviewer"], 0);
    assert!(stdout_of(&prompt).starts_with("You review infrastructure changes"));
}

#[test]
fn import_prints_to_stdout_and_never_replaces_a_file_without_force() {
    let project = Scaffolded::new();
    project.write("agent.md", &fixture("claude/docs-proofreader.md"));
    let output = project.expect(&["import", "agent.md"], 0);
    assert_eq!(stderr_of(&output), "");
    assert_eq!(
        stdout_of(&output),
        format!(
            "---\n# imported by `agentctl import` from agent.md (claude-agent)\nname: docs-proofreader\ndescription: Reads Markdown documentation and lists unclear sentences, broken examples and outdated flags. Read-only.\ntools:\n- fs_read\n- fs_list\nread:\n- '**'\n---\n{}",
            fixture("claude/docs-proofreader.md")
                .split_once("---\n")
                .unwrap()
                .1
                .split_once("---\n")
                .unwrap()
                .1
        )
    );

    let before = project.project.snapshot();
    let output = project.expect(
        &["import", "agent.md", "--output", "personas/ops-devops.md"],
        2,
    );
    assert_eq!(
        stderr_of(&output),
        "error: personas/ops-devops.md already exists\nhint: pass --force to overwrite it, or choose another --output\n"
    );
    project.project.assert_nothing_written(&before);
}

#[test]
fn import_of_broken_json_names_the_line() {
    let project = Scaffolded::new();
    project.write(
        "bad.json",
        "{\n  \"name\": \"x\",\n  \"tools\": [\"fs_read\",]\n}\n",
    );
    let before = project.project.snapshot();
    let output = project.expect(&["import", "bad.json", "--output", "personas/x.md"], 2);
    let stderr = stderr_of(&output);
    assert!(
        stderr.starts_with("error: bad.json:3: invalid JSON: "),
        "{stderr}"
    );
    assert_contains(&stderr, "  hint: a Kiro agent file is one JSON object");
    project.project.assert_nothing_written(&before);
}
