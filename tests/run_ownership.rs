//! One process drives a run: concurrent `resume`s, a `resume` during a live `run`, a driver
//! killed with SIGKILL, and human decisions taken once, through one path, on the right run.
//! `scripts/concurrency-loop.sh` runs this file repeatedly, because a race that loses once in
//! twenty is still a race.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::process::{Child, Output, Stdio};
use std::time::Duration;

use agentctl_test_support::{MockEndpoint, MockReply};
use common::{
    assert_contains, bash_call, expect_exit, mock, project_with_approval_rule, runtime, stderr_of,
    stdout_of, text, wait_until, Project,
};

/// `agentctl ARGS` in the project, started in the background with a clean environment.
fn spawn(project: &Project, endpoint: &MockEndpoint, args: &[&str], stdin: Stdio) -> Child {
    project
        .background(endpoint)
        .args(args)
        .stdin(stdin)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// How long a background process gets to reach the point a test waits for.
const WAIT_LIMIT: Duration = Duration::from_secs(20);

fn runs_json(project: &Project) -> serde_json::Value {
    project.expect_json(&["runs", "--json"])
}

/// The run's saved state as on disk: its snapshot (a live run has none before its first
/// compaction, pause or end) and its journal.
fn run_state_bytes(project: &Project, run_id: &str) -> Vec<u8> {
    let directory = project.path(&format!(".agentctl/runs/{run_id}"));
    let mut bytes = std::fs::read(directory.join("state.json")).unwrap_or_default();
    let journal = std::fs::read(directory.join("journal.log")).unwrap_or_default();
    bytes.extend_from_slice(&journal);
    assert!(!bytes.is_empty(), "run {run_id} has a saved state");
    bytes
}

/// A paused run of T-154 waiting for approval of `echo approved >> deploy/marker.txt`.
fn paused_run(project: &Project, endpoint: &MockEndpoint) {
    project.expect(endpoint, &["run", "ops-devops", "--task", "T-154"], 3);
}

#[test]
fn concurrent_resumes_of_one_paused_run_execute_the_approved_call_exactly_once() {
    let runtime = runtime();
    let project = project_with_approval_rule();
    let endpoint = mock(
        &runtime,
        vec![
            bash_call("echo approved >> deploy/marker.txt"),
            // Keeps the winner busy so the others meet a live driver.
            MockReply::Delay(Duration::from_millis(400), Box::new(text("Done."))),
            text("a second resume reached the model"),
        ],
    );
    paused_run(&project, &endpoint);
    project.expect_offline(&["approve", "T-154", "--by", "bob"], 0);

    let children: Vec<Child> = (0..6)
        .map(|_| spawn(&project, &endpoint, &["resume", "T-154"], Stdio::null()))
        .collect();
    let outputs: Vec<Output> = children
        .into_iter()
        .map(|child| child.wait_with_output().unwrap())
        .collect();
    let winners: Vec<&Output> = outputs
        .iter()
        .filter(|output| output.status.code() == Some(0))
        .collect();
    let report: Vec<String> = outputs
        .iter()
        .map(|output| format!("{:?}: {}", output.status.code(), stderr_of(output)))
        .collect();
    assert_eq!(
        winners.len(),
        1,
        "exactly one resume drives the run: {report:#?}"
    );
    assert_eq!(stdout_of(winners[0]).trim(), "Done.");
    for loser in outputs
        .iter()
        .filter(|output| output.status.code() != Some(0))
    {
        let stderr = stderr_of(loser);
        assert!(
            stderr.contains("is being driven by another process (pid ")
                || stderr.contains("already finished"),
            "a losing resume says why: {stderr}"
        );
    }

    assert_eq!(
        project.read("deploy/marker.txt"),
        "approved\n",
        "the approved command ran exactly once"
    );
    assert_eq!(project.events("tool.allowed").len(), 1);
    assert_eq!(project.events("tool.result").len(), 1);
    assert_eq!(project.events("run.resumed").len(), 1);
    assert_eq!(project.events("run.finished").len(), 1);
    assert_eq!(
        endpoint.chat_requests().len(),
        2,
        "no second resume reached the model"
    );
    let runs = runs_json(&project);
    assert_eq!(runs[0]["status"], "finished");
    project.assert_audit_intact();
}

#[test]
fn resume_during_a_live_run_is_refused_and_changes_nothing() {
    let runtime = runtime();
    let project = Project::example();
    let endpoint = mock(
        &runtime,
        vec![MockReply::Delay(
            Duration::from_secs(30),
            Box::new(text("never delivered")),
        )],
    );
    let mut run = spawn(
        &project,
        &endpoint,
        &["run", "ops-devops", "--task", "T-154"],
        Stdio::null(),
    );
    wait_until("the run calls the model", &mut run, WAIT_LIMIT, || {
        endpoint.chat_requests().len() == 1
    });
    let runs = runs_json(&project);
    let run_id = runs[0]["run_id"].as_str().unwrap().to_owned();
    assert_eq!(runs[0]["status"], "running");
    assert_eq!(runs[0]["driven"], true);
    let state_before = run_state_bytes(&project, &run_id);
    let audit_before = project.read("AUDIT_LOG.md");

    for target in ["T-154", run_id.as_str()] {
        let resumed = project.expect(&endpoint, &["resume", target], 1);
        let stderr = stderr_of(&resumed);
        assert!(
            stderr.contains(&format!(
                "run {run_id} is being driven by another process (pid {}: agentctl run ops-devops --task T-154)",
                run.id()
            )),
            "{stderr}"
        );
    }
    assert_eq!(
        run_state_bytes(&project, &run_id),
        state_before,
        "state unchanged"
    );
    assert_eq!(
        project.read("AUDIT_LOG.md"),
        audit_before,
        "audit log unchanged"
    );
    assert_eq!(endpoint.chat_requests().len(), 1);

    run.kill().unwrap();
    run.wait().unwrap();
}

#[test]
fn a_driver_killed_with_sigkill_shows_as_interrupted_and_resume_takes_it_over() {
    let runtime = runtime();
    let project = Project::example();
    let endpoint = mock(
        &runtime,
        vec![
            MockReply::Delay(Duration::from_secs(30), Box::new(text("never delivered"))),
            text("Taken over."),
        ],
    );
    let mut run = spawn(
        &project,
        &endpoint,
        &["run", "ops-devops", "--task", "T-154"],
        Stdio::null(),
    );
    wait_until("the run calls the model", &mut run, WAIT_LIMIT, || {
        endpoint.chat_requests().len() == 1
    });
    // SIGKILL: no handler runs, the state file still says `running`.
    run.kill().unwrap();
    run.wait().unwrap();
    let runs = runs_json(&project);
    let run_id = runs[0]["run_id"].as_str().unwrap().to_owned();
    let (saved, _) =
        agentctl_core::RunState::load(&project.path(&format!(".agentctl/runs/{run_id}"))).unwrap();
    assert_eq!(
        saved.status,
        agentctl_core::RunStatus::Running,
        "as the killed run left it"
    );
    assert_eq!(
        runs[0]["status"], "interrupted",
        "liveness comes from the lock"
    );
    assert_eq!(
        runs[0]["driven"], false,
        "the OS released the killed holder's lock"
    );
    let shown: serde_json::Value = project.expect_json(&["runs", "show", &run_id, "--json"]);
    assert_eq!(shown["status"], "interrupted");

    let resumed = project.expect(&endpoint, &["resume", "T-154"], 0);
    assert_eq!(stdout_of(&resumed).trim(), "Taken over.");
    assert_eq!(runs_json(&project)[0]["status"], "finished");
    project.assert_audit_intact();
}

#[test]
fn a_decision_is_taken_once_and_needs_a_name() {
    let runtime = runtime();
    let project = project_with_approval_rule();
    let endpoint = mock(
        &runtime,
        vec![bash_call("echo approved >> deploy/marker.txt")],
    );
    paused_run(&project, &endpoint);
    let nameless = project.expect_offline(&["approve", "T-154", "--by", "  "], 2);
    assert_contains(&stderr_of(&nameless), "--by is empty");

    project.expect_offline(&["approve", "T-154", "--by", "bob", "--note", "checked"], 0);
    for (verb, extra) in [
        ("approve", "--note=again"),
        ("reject", "--reason=changed my mind"),
    ] {
        let twice = project.expect_offline(&[verb, "T-154", "--by", "alice", extra], 2);
        assert_contains(&stderr_of(&twice), "was already approved by bob");
    }
    let approved = project.events("gate.approved");
    assert_eq!(approved.len(), 1, "one decision recorded");
    assert_eq!(approved[0]["details"]["note"], "checked");
    assert!(project.events("gate.rejected").is_empty());
    assert_ne!(approved[0]["details"]["os_user"], "unknown");
    project.assert_audit_intact();
}

#[test]
fn the_os_user_is_taken_from_the_uid_not_from_user() {
    let runtime = runtime();
    let project = project_with_approval_rule();
    let endpoint = mock(
        &runtime,
        vec![bash_call("echo approved >> deploy/marker.txt")],
    );
    paused_run(&project, &endpoint);
    expect_exit(
        project
            .agentctl()
            .env("USER", "forged-user")
            .args(["approve", "T-154", "--by", "bob"]),
        0,
    );
    let os_user = project.events("gate.approved")[0]["details"]["os_user"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(os_user, "forged-user");
    assert_eq!(os_user, agentctl_core::os_user::current());
}

#[test]
fn approve_by_task_picks_the_paused_run_over_a_newer_looking_chat_session() {
    let runtime = runtime();
    let project = project_with_approval_rule();
    let endpoint = mock(
        &runtime,
        vec![bash_call("echo approved >> deploy/marker.txt")],
    );
    // A chat session on T-154 left open (its driver killed while it waited for input): its id
    // `s-…` sorts after every `r-…`.
    let mut chat = spawn(
        &project,
        &endpoint,
        &["chat", "ops-devops", "--task", "T-154"],
        Stdio::piped(),
    );
    wait_until("the session is saved", &mut chat, WAIT_LIMIT, || {
        runs_json(&project)
            .as_array()
            .is_some_and(|runs| !runs.is_empty())
    });
    chat.kill().unwrap();
    chat.wait().unwrap();
    paused_run(&project, &endpoint);
    let runs = runs_json(&project);
    assert_eq!(runs.as_array().unwrap().len(), 2);
    let paused = runs
        .as_array()
        .unwrap()
        .iter()
        .find(|run| run["kind"] == "run")
        .unwrap();
    assert_eq!(paused["status"], "paused");

    project.expect_offline(&["approve", "T-154", "--by", "bob"], 0);
    let approved = project.events("gate.approved");
    assert_eq!(approved[0]["run"], paused["run_id"]);
}

#[test]
fn s08_can_be_approved_ahead_of_a_run_and_only_once() {
    let runtime = runtime();
    let project = Project::example();
    let endpoint = mock(&runtime, vec![text("Production rollout planned.")]);
    project.expect_offline(
        &[
            "approve",
            "T-155",
            "--by",
            "alice",
            "--note",
            "change window 14:00",
        ],
        0,
    );
    assert!(project
        .read("PROJECT_STATE.md")
        .contains("| T-155 | S08 | approved | alice ("));
    let approved = project.events("gate.approved");
    assert_eq!(approved.len(), 1);
    assert_eq!(approved[0]["details"]["ahead_of_run"], true);
    assert_eq!(approved[0]["details"]["note"], "change window 14:00");

    project.expect(&endpoint, &["run", "ops-devops", "--task", "T-155"], 0);
    assert!(
        project.events("gate.pending").is_empty(),
        "no pause: S08 was approved"
    );

    let again = project.expect_offline(&["approve", "T-155", "--by", "bob"], 2);
    assert!(stderr_of(&again).contains("already approved by alice"));

    project.expect_offline(&["approve", "T-155", "--gate", "S06", "--by", "bob"], 2);
    project.assert_audit_intact();
}

#[test]
fn runs_show_gives_the_approver_the_full_pending_action_and_runs_filters() {
    let runtime = runtime();
    let project = project_with_approval_rule();
    let endpoint = mock(
        &runtime,
        vec![bash_call("echo approved >> deploy/marker.txt")],
    );
    paused_run(&project, &endpoint);
    let shown = project.expect_offline(&["runs", "show", "T-154"], 0);
    let text = stdout_of(&shown);
    assert_contains(&text, "waiting for a human at S08");
    assert_contains(&text, "\"command\": \"echo approved >> deploy/marker.txt\"");
    let review: serde_json::Value = project.expect_json(&["runs", "show", "T-154", "--json"]);
    let digest = review["pending"]["digest"].as_str().unwrap();
    assert_eq!(digest.len(), 64);
    assert!(text.contains(digest), "the digest is printed in full");
    assert_eq!(review["pending"]["tool"], "execute_bash");
    assert_eq!(review["personas"][0]["persona"], "ops-devops");

    for (filter, expected) in [
        (vec!["--status", "paused"], 1),
        (vec!["--status", "finished"], 0),
        (vec!["--task", "T-999"], 0),
        (vec!["--task", "T-154", "--limit", "1"], 1),
    ] {
        let mut args = vec!["runs", "--json"];
        args.extend(filter.iter().copied());
        let output = project.agentctl().args(&args).output().unwrap();
        let rows: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        assert_eq!(rows.as_array().unwrap().len(), expected, "{filter:?}");
    }
}

#[test]
fn a_run_a_human_rejected_is_reported_as_rejected_with_who_and_why() {
    for (on_reject, exit, status) in [("end_run", 1, "rejected"), ("tell_model", 0, "finished")] {
        let runtime = runtime();
        let project = project_with_approval_rule();
        project.edit_config(&[(
            "on_reject = \"tell_model\"",
            &format!("on_reject = \"{on_reject}\""),
        )]);
        let endpoint = mock(
            &runtime,
            vec![
                bash_call("echo approved >> deploy/marker.txt"),
                text("Understood, not deploying."),
            ],
        );
        paused_run(&project, &endpoint);
        project.expect_offline(
            &[
                "reject",
                "T-154",
                "--by",
                "alice",
                "--reason",
                "no rollback plan",
            ],
            0,
        );
        let rejected = project.events("gate.rejected");
        assert_eq!(rejected[0]["details"]["reason"], "no rollback plan");
        let audit_show = project.agentctl().args(["audit", "show"]).output().unwrap();
        assert!(
            stdout_of(&audit_show).contains("no rollback plan"),
            "audit show prints the reason: {}",
            stdout_of(&audit_show)
        );

        let resumed = project
            .agentctl_with(&endpoint)
            .args(["resume", "T-154"])
            .output()
            .unwrap();
        let stderr = stderr_of(&resumed);
        assert_eq!(resumed.status.code(), Some(exit), "{on_reject}: {stderr}");
        assert!(
            stderr.contains("alice rejected execute_bash") && stderr.contains("no rollback plan"),
            "{on_reject}: the end says who rejected what: {stderr}"
        );
        assert_eq!(runs_json(&project)[0]["status"], status, "{on_reject}");
        assert!(!project.path("deploy/marker.txt").exists());
    }
}

#[test]
fn an_open_chat_session_at_its_gate_is_driven_by_its_process_alone() {
    use std::io::Write as _;
    let runtime = runtime();
    let project = project_with_approval_rule();
    let endpoint = mock(
        &runtime,
        vec![
            bash_call("echo approved >> deploy/marker.txt"),
            text("Marker appended."),
        ],
    );
    let mut chat = spawn(
        &project,
        &endpoint,
        &["chat", "ops-devops", "--task", "T-154"],
        Stdio::piped(),
    );
    let mut stdin = chat.stdin.take().unwrap();
    stdin.write_all(b"Append the marker\n").unwrap();
    stdin.flush().unwrap();
    wait_until(
        "the session pauses at its gate",
        &mut chat,
        WAIT_LIMIT,
        || runs_json(&project)[0]["status"] == "paused",
    );
    let session_id = runs_json(&project)[0]["run_id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(runs_json(&project)[0]["driven"], true);
    let state_before = run_state_bytes(&project, &session_id);

    for args in [
        vec!["approve", session_id.as_str(), "--by", "bob"],
        vec!["resume", session_id.as_str()],
        vec!["chat", "--resume", session_id.as_str()],
    ] {
        let refused = project
            .agentctl_with(&endpoint)
            .args(&args)
            .write_stdin("/approve --by bob\n")
            .output()
            .unwrap();
        let stderr = stderr_of(&refused);
        assert_eq!(refused.status.code(), Some(1), "{args:?}: {stderr}");
        assert!(
            stderr.contains("is being driven by another process"),
            "{args:?}: {stderr}"
        );
    }
    assert_eq!(run_state_bytes(&project, &session_id), state_before);
    assert!(project.events("gate.approved").is_empty());
    assert!(!project.path("deploy/marker.txt").exists());

    stdin.write_all(b"/approve --by alice\n").unwrap();
    drop(stdin);
    let output = chat.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr_of(&output));
    assert_eq!(project.read("deploy/marker.txt"), "approved\n");
    assert_eq!(project.events("gate.approved")[0]["details"]["by"], "alice");
    project.assert_audit_intact();
}
