//! `agentctl run` parses only the personas it reaches: the starting one at start, a handoff
//! target when the handoff happens. Proven with persona files that would fail to parse.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{handoff, mock, runtime, stderr_of, stdout_of, text, Project};

const BROKEN: &str = "---\nname: broken-unrelated\ntools: [fs_read\n---\nBody\n";

#[test]
fn a_broken_persona_no_one_reaches_does_not_stop_a_run() {
    let runtime = runtime();
    let project = Project::example();
    // The library lives one level up from the example project.
    common::write(
        &project.root.join("../personas/broken-unrelated.md"),
        BROKEN,
    );
    let endpoint = mock(&runtime, vec![text("all good")]);
    let output = project
        .agentctl_with(&endpoint)
        .args(["run", "qa-engineer", "--task", "T-154"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr_of(&output));
    assert_eq!(stdout_of(&output).trim(), "all good");
    // `lint` still reports it.
    let lint = project.agentctl().args(["lint"]).output().unwrap();
    assert_eq!(lint.status.code(), Some(2), "{}", stderr_of(&lint));
}

#[test]
fn a_handoff_target_is_loaded_when_reached_and_a_broken_one_ends_the_run_clearly() {
    let runtime = runtime();
    let project = Project::example();
    let endpoint = mock(
        &runtime,
        vec![handoff("ops-devops", "ready"), text("deployed")],
    );
    // ops-devops is valid at start and broken by the time the handoff reaches it.
    let personas = project.root.join("../personas/ops-devops.md");
    let original = std::fs::read_to_string(&personas).unwrap();
    std::fs::write(
        &personas,
        "---\nname: ops-devops\ntools: [fs_read\n---\nBody\n",
    )
    .unwrap();
    let output = project
        .agentctl_with(&endpoint)
        .args(["run", "qa-engineer", "--task", "T-154"])
        .output()
        .unwrap();
    assert_ne!(output.status.code(), Some(0), "{}", stderr_of(&output));
    assert!(
        stderr_of(&output).contains("persona `ops-devops` cannot be loaded"),
        "{}",
        stderr_of(&output)
    );
    // Restored, the same handoff goes through.
    std::fs::write(&personas, original).unwrap();
    let endpoint = mock(
        &runtime,
        vec![handoff("ops-devops", "ready"), text("deployed")],
    );
    let output = project
        .agentctl_with(&endpoint)
        .args(["run", "qa-engineer", "--task", "T-154"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr_of(&output));
    assert_eq!(stdout_of(&output).trim(), "deployed");
}
