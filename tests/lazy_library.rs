//! `agentctl run` parses only the personas it can reach: at start the starting one and, to check
//! them before any model call, the personas its handoffs lead to; a handoff target is loaded
//! again when the handoff happens. Proven with persona files that would fail to parse.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::process::Stdio;
use std::time::Duration;

use agentctl_test_support::MockReply;
use common::{
    assert_contains, handoff, mock, runtime, stderr_of, stdout_of, text, wait_until, Project,
};

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
    let output = project.expect(&endpoint, &["run", "qa-engineer", "--task", "T-154"], 0);
    assert_eq!(stdout_of(&output).trim(), "all good");
    // `lint` still reports it.
    project.expect_offline(&["lint"], 2);
}

#[test]
fn a_broken_handoff_target_stops_the_run_before_any_model_call() {
    let runtime = runtime();
    let project = Project::example();
    let endpoint = mock(
        &runtime,
        vec![handoff("ops-devops", "ready"), text("deployed")],
    );
    // qa-engineer hands off to ops-devops, whose file is broken before the run starts.
    std::fs::write(
        project.root.join("../personas/ops-devops.md"),
        "---\nname: ops-devops\ntools: [fs_read\n---\nBody\n",
    )
    .unwrap();
    let output = project.expect(&endpoint, &["run", "qa-engineer", "--task", "T-154"], 2);
    let stderr = stderr_of(&output);
    assert!(
        stderr.starts_with("error: ../personas/ops-devops.md:4: invalid front matter"),
        "{stderr}"
    );
    assert!(
        stderr.ends_with("error: the persona files `qa-engineer` needs have errors\nhint: fix the first problem above; `agentctl lint` lists every one\n"),
        "{stderr}"
    );
    assert_eq!(
        endpoint.chat_requests().len(),
        0,
        "no model turn is paid for"
    );
}

#[test]
fn a_run_keeps_the_personas_it_checked_at_start_and_the_next_run_sees_the_edit() {
    let runtime = runtime();
    let project = Project::example();
    // The first reply waits, so the file can be broken after start-up checked it.
    let endpoint = mock(
        &runtime,
        vec![
            MockReply::Delay(
                Duration::from_millis(1500),
                Box::new(handoff("ops-devops", "ready")),
            ),
            text("deployed"),
        ],
    );
    let personas = project.root.join("../personas/ops-devops.md");
    let original = std::fs::read_to_string(&personas).unwrap();
    let mut child = project
        .background(&endpoint)
        .args(["run", "qa-engineer", "--task", "T-154"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_until(
        "the run calls the model",
        &mut child,
        Duration::from_secs(30),
        || !endpoint.chat_requests().is_empty(),
    );
    // ops-devops was valid at start and is broken by the time the handoff reaches it.
    std::fs::write(
        &personas,
        "---\nname: ops-devops\ntools: [fs_read\n---\nBody\n",
    )
    .unwrap();
    // The run hands off to ops-devops as it was checked at start: a file edited in the middle
    // of a run (by a human, or by a persona the project lets write the library) does not change
    // who the run hands off to.
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr_of(&output));
    assert_eq!(stdout_of(&output).trim(), "deployed");
    let requests = endpoint.chat_requests();
    assert_eq!(requests.len(), 2, "qa-engineer's turn, then ops-devops's");
    // The next run checks the file again and refuses to start on it.
    let endpoint = mock(&runtime, vec![handoff("ops-devops", "ready")]);
    let output = project.expect(&endpoint, &["run", "qa-engineer", "--task", "T-154"], 2);
    assert_contains(&stderr_of(&output), "ops-devops.md");
    assert_eq!(
        endpoint.chat_requests().len(),
        0,
        "no model turn is paid for"
    );
    // Restored, the same handoff goes through.
    std::fs::write(&personas, original).unwrap();
    let endpoint = mock(
        &runtime,
        vec![handoff("ops-devops", "ready"), text("deployed")],
    );
    let output = project.expect(&endpoint, &["run", "qa-engineer", "--task", "T-154"], 0);
    assert_eq!(stdout_of(&output).trim(), "deployed");
}
