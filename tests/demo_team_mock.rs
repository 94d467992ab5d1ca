//! `scripts/demo-team-mock.sh`, the whole starter team on the scripted mock for a user who has
//! no model: run to the S08 pause, approve, resume, audit, review page. The shipped script of
//! replies (`scripts/mock/starter-team.json`) is served in-process here, so the test needs no
//! second binary; the demo script gets the already-built `agentctl`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;
use std::process::Output;

use agentctl_test_support::{MockEndpoint, ScriptFile};
use common::{assert_contains, load_in_browser, runtime, stderr_of, CLEARED_VARIABLES, REPOSITORY};

fn shipped_script() -> ScriptFile {
    let path = Path::new(REPOSITORY).join("scripts/mock/starter-team.json");
    ScriptFile::parse(&fs_err::read_to_string(path).unwrap()).unwrap()
}

/// The demo script with the project under `directory`, against `endpoint`.
fn demo(directory: &Path, endpoint: &MockEndpoint) -> std::process::Command {
    let mut command = std::process::Command::new("bash");
    command
        .arg(Path::new(REPOSITORY).join("scripts/demo-team-mock.sh"))
        .current_dir(directory)
        .env("AGENTCTL_DEMO_AGENTCTL", env!("CARGO_BIN_EXE_agentctl"))
        .env("AGENTCTL_DEMO_ENDPOINT", endpoint.base_url())
        .env("AGENTCTL_DEMO_DIR", directory.join("demo"))
        .env("AGENTCTL_DEMO_APPROVER", "dana")
        .env("AGENTCTL_CACHE_DIR", directory.join("cache"));
    for name in CLEARED_VARIABLES {
        command.env_remove(name);
    }
    command
}

/// Runs the demo script with the project under `directory`, against `endpoint`.
fn run_demo(directory: &Path, endpoint: &MockEndpoint) -> Output {
    demo(directory, endpoint).output().unwrap()
}

fn read(path: &Path) -> String {
    fs_err::read_to_string(path).unwrap()
}

/// The gate row of PROJECT_STATE.md for T-155 and `gate`.
fn gate_row(project: &Path, gate: &str) -> String {
    read(&project.join("PROJECT_STATE.md"))
        .lines()
        .find(|line| line.starts_with(&format!("| T-155 | {gate} |")))
        .unwrap_or_else(|| panic!("no {gate} row for T-155"))
        .to_owned()
}

#[test]
fn the_demo_plays_the_whole_team_through_s08_to_a_verified_reviewed_release() {
    let runtime = runtime();
    let script = shipped_script();
    let replies = script.replies.len();
    let endpoint = runtime.block_on(script.into_builder().start());
    let directory = tempfile::tempdir().unwrap();
    let output = run_demo(directory.path(), &endpoint);
    let stderr = stderr_of(&output);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    // Every reply was asked for: the first run stopped at S08 and the resume went on from there.
    assert_eq!(endpoint.remaining(), 0, "{stderr}");
    assert_eq!(endpoint.chat_requests().len(), replies);
    for shown in [
        "$ agentctl init my-service",
        "$ agentctl run orch-planner --task T-155",
        "$ agentctl approve T-155 --gate S08 --by dana --note",
        "$ agentctl resume T-155",
        "$ agentctl audit show --task T-155",
        "$ agentctl audit verify",
        "$ agentctl audit export --html review.html",
    ] {
        assert_contains(&stderr, shown);
    }

    let project = directory.path().join("demo/my-service");
    assert_contains(
        &read(&project.join("docs/deployment.md")),
        "# Deployment record: my-service 0.1.0",
    );
    let changelog = read(&project.join("CHANGELOG.md"));
    assert_contains(&changelog, "## 0.1.0");
    assert_contains(&changelog, "Every released version of my-service");
    assert_contains(&gate_row(&project, "S06"), "| passed | qa-engineer |");
    assert_contains(&gate_row(&project, "S07"), "| passed | sec-reviewer |");
    assert_contains(&gate_row(&project, "S08"), "| approved | dana (");
    // The QA and Security commands really ran (in the sandbox) and exited 0.
    let audit = read(&project.join("AUDIT_LOG.md"));
    assert_contains(&audit, "python3 -m unittest discover -s tests");
    assert_contains(&audit, "python3 scripts/scan_secrets.py");

    let verify = std::process::Command::new(env!("CARGO_BIN_EXE_agentctl"))
        .args(["audit", "verify"])
        .current_dir(&project)
        .output()
        .unwrap();
    assert_eq!(verify.status.code(), Some(0), "{}", stderr_of(&verify));
    let page = read(&project.join("review.html"));
    assert_contains(&page, "dana");
    assert_contains(&page, "S06 and S07 evidence reviewed; release 0.1.0");
    assert_contains(
        &stderr,
        &format!("{}", project.join("review.html").display()),
    );
    // In a real browser (when scripts/browser-test.sh is installed): the run, every persona,
    // the approval with who and the note, and a passing verify result.
    if let Some(shown) = load_in_browser(&project.join("review.html")) {
        assert_eq!(shown["verify_class"], "ok", "{shown:#}");
        assert_eq!(shown["runs"].as_array().unwrap().len(), 1, "{shown:#}");
        assert_eq!(
            shown["personas"],
            serde_json::json!([
                "orch-planner",
                "qa-engineer",
                "sec-reviewer",
                "ops-devops",
                "release-manager"
            ]),
            "{shown:#}"
        );
        let approvals = shown["approvals"].as_array().unwrap();
        assert_eq!(approvals.len(), 1, "{shown:#}");
        assert_eq!(approvals[0]["who"], "dana");
        assert_eq!(
            approvals[0]["note"],
            "S06 and S07 evidence reviewed; release 0.1.0"
        );
        assert_eq!(shown["denials"], serde_json::json!([]), "{shown:#}");
    }
}

/// A step that ends with another exit code than the demo expects stops it with exit 1 and says
/// which command and which codes: here a "model" that answers in plain text at once, so the run
/// finishes (0) instead of pausing at S08 (3).
#[test]
fn the_demo_stops_with_a_clear_message_when_a_step_ends_unexpectedly() {
    let runtime = runtime();
    let endpoint = runtime.block_on(MockEndpoint::start(vec![
        agentctl_test_support::MockReply::text("Nothing to do."),
    ]));
    let directory = tempfile::tempdir().unwrap();
    let output = run_demo(directory.path(), &endpoint);
    let stderr = stderr_of(&output);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert_contains(
        &stderr,
        "demo: FAILED: `agentctl run orch-planner --task T-155` exited with 0, expected 3",
    );
    assert!(!stderr.contains("$ agentctl approve"), "{stderr}");
}

/// The demo never mixes its project into a directory that holds something.
#[test]
fn the_demo_refuses_a_directory_that_is_not_empty() {
    let runtime = runtime();
    let endpoint = runtime.block_on(MockEndpoint::start(Vec::new()));
    let directory = tempfile::tempdir().unwrap();
    fs_err::create_dir_all(directory.path().join("demo")).unwrap();
    fs_err::write(directory.path().join("demo/notes.txt"), "mine").unwrap();
    let output = run_demo(directory.path(), &endpoint);
    let stderr = stderr_of(&output);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert_contains(&stderr, "is not empty; choose an empty or new directory");
    assert_eq!(read(&directory.path().join("demo/notes.txt")), "mine");
    assert_eq!(endpoint.chat_requests().len(), 0);
}

/// Nor inside the repository: the directory is refused before anything is created.
#[test]
fn the_demo_refuses_a_directory_inside_the_repository() {
    let runtime = runtime();
    let endpoint = runtime.block_on(MockEndpoint::start(Vec::new()));
    let directory = tempfile::tempdir().unwrap();
    let inside = Path::new(REPOSITORY).join(format!("target/demo-refused-{}", std::process::id()));
    let output = demo(directory.path(), &endpoint)
        .env("AGENTCTL_DEMO_DIR", &inside)
        .output()
        .unwrap();
    let stderr = stderr_of(&output);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert_contains(
        &stderr,
        "is inside the repository; choose a directory outside it",
    );
    assert!(!inside.exists());
}
