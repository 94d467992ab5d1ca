//! End-to-end tests of handoffs, gates, human approval, rejection, tampering and crash-safe
//! resume, driving the real binary against the mock endpoint.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use agentctl_test_support::MockReply;
use common::{
    assert_contains, bash_call, expect_exit, handoff, interrupt, mock, project_with_approval_rule,
    runtime, stderr_of, stdout_of, text, tool_call, tool_results, wait_until, Project,
};
use serde_json::json;

#[test]
fn a_task_moves_from_qa_to_devops_to_release_with_packets_not_transcripts() {
    let runtime = runtime();
    let project = Project::example();
    let endpoint = mock(
        &runtime,
        vec![
            tool_call(
                "gate_report",
                json!({"gate": "S06", "status": "passed", "evidence": "3 tests, 0 failures"}),
            ),
            handoff("ops-devops", "QA passed; ready to deploy"),
            tool_call("fs_list", json!({"path": "deploy"})),
            handoff("release-manager", "staging is on 1.2.0"),
            text("Release notes drafted."),
        ],
    );
    let output = project.expect(&endpoint, &["run", "qa-engineer", "--task", "T-154"], 0);
    assert_eq!(stdout_of(&output).trim(), "Release notes drafted.");

    let requests = endpoint.chat_requests();
    assert_eq!(requests.len(), 5);
    let system = |index: usize| {
        requests[index].body["messages"][0]["content"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let prompt_of = |persona: &str| {
        let output = project
            .agentctl()
            .args(["prompt", persona, "--task", "T-154"])
            .output()
            .unwrap();
        stdout_of(&output)
    };
    assert_eq!(system(0), prompt_of("qa-engineer"));
    assert_eq!(system(2), prompt_of("ops-devops"));
    assert_eq!(system(4), prompt_of("release-manager"));
    // The target starts fresh: system prompt, then task + packet; nothing of the sender's turns.
    let first_of_devops = requests[2].body["messages"].as_array().unwrap();
    assert_eq!(first_of_devops.len(), 2);
    let briefing = first_of_devops[1]["content"].as_str().unwrap();
    assert!(briefing.starts_with("Task T-154"), "{briefing}");
    assert_contains(briefing, "QA passed; ready to deploy");
    assert!(
        !briefing.contains("3 tests, 0 failures"),
        "the sender's transcript must not leak: {briefing}"
    );
    // Each persona is offered its own tools only.
    let offered = |index: usize| {
        let mut names: Vec<String> = requests[index].body["tools"]
            .as_array()
            .unwrap()
            .iter()
            .map(|tool| tool["function"]["name"].as_str().unwrap().to_owned())
            .collect();
        names.sort();
        names
    };
    assert!(offered(0).contains(&"gate_report".to_owned()));
    assert!(!offered(2).contains(&"gate_report".to_owned()));
    // The release manager is the last role: it hands off to nobody, so it is not offered
    // `handoff` at all.
    assert_eq!(
        offered(4),
        ["execute_bash", "fs_list", "fs_read", "fs_write"]
    );

    let handoffs = project.events("handoff");
    assert_eq!(handoffs.len(), 2);
    assert_eq!(
        (
            handoffs[0]["details"]["from"].as_str(),
            handoffs[0]["details"]["to"].as_str()
        ),
        (Some("qa-engineer"), Some("ops-devops"))
    );
    assert_eq!(handoffs[1]["details"]["to"], "release-manager");
    assert_eq!(
        handoffs[0]["details"]["packet_sha256"]
            .as_str()
            .unwrap()
            .len(),
        64
    );
    assert!(project
        .read("PROJECT_STATE.md")
        .contains("| T-154 | S06 | passed | qa-engineer |"));
    assert_eq!(project.events("gate.reported").len(), 1);
    // A persona starting after a handoff is audited as what it is, not as a gate check.
    let started: Vec<String> = project
        .events("persona.started")
        .iter()
        .map(|entry| entry["details"]["persona"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(started.len(), handoffs.len(), "{started:?}");
    assert!(project
        .events("gate.checked")
        .iter()
        .all(|entry| entry["details"].get("persona_started").is_none()));
    project.assert_audit_intact();
}

#[test]
fn a_handoff_to_a_target_not_allowed_is_denied_and_the_run_goes_on() {
    let runtime = runtime();
    let project = Project::example();
    let endpoint = mock(
        &runtime,
        vec![
            handoff("orch-planner", "please plan"),
            text("Staying on it."),
        ],
    );
    project.expect(&endpoint, &["run", "ops-devops", "--task", "T-154"], 0);
    let denied = project.events("tool.denied");
    assert_eq!(denied.len(), 1);
    assert!(denied[0]["details"]["reason"]
        .as_str()
        .unwrap()
        .contains("orch-planner"));
    assert!(project.events("handoff").is_empty());
}

#[test]
fn a_handoff_ping_pong_is_ended_by_the_limit() {
    let runtime = runtime();
    let project = Project::example();
    let replies = (0..10)
        .map(|index| {
            if index % 2 == 0 {
                handoff("qa-engineer", "please test again")
            } else {
                handoff("ops-devops", "tested; deploy")
            }
        })
        .collect();
    let endpoint = mock(&runtime, replies);
    let output = project.expect(
        &endpoint,
        &["run", "ops-devops", "--task", "T-154", "--json"],
        1,
    );
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert!(
        report["reason"].as_str().unwrap().contains("handoff loop"),
        "{report}"
    );
    project.assert_audit_intact();
}

#[test]
fn an_unmet_quality_gate_ends_the_run_before_any_model_call() {
    let runtime = runtime();
    let project = Project::example();
    let state = project
        .read("PROJECT_STATE.md")
        .replace("| T-154 | S06 | passed |", "| T-154 | S06 | failed |");
    project.write("PROJECT_STATE.md", &state);
    let endpoint = mock(&runtime, vec![text("should not be asked")]);
    let output = project.expect(&endpoint, &["run", "ops-devops", "--task", "T-154"], 1);
    assert_contains(&stderr_of(&output), "S06");
    assert!(endpoint.chat_requests().is_empty());
}

#[test]
fn a_production_task_waits_for_s08_before_devops_starts_then_approve_and_resume() {
    let runtime = runtime();
    let project = Project::example();
    let endpoint = mock(&runtime, vec![text("Production rollout planned.")]);
    let output = project.expect(&endpoint, &["run", "ops-devops", "--task", "T-155"], 3);
    assert_contains(&stderr_of(&output), "agentctl approve T-155 --gate S08");
    assert!(
        endpoint.chat_requests().is_empty(),
        "paused before the persona started"
    );
    assert_eq!(project.events("gate.pending").len(), 1);

    // Mallory is not an approver.
    project.expect_offline(&["approve", "T-155", "--gate", "S08", "--by", "mallory"], 2);
    // Still waiting.
    project.expect(&endpoint, &["resume", "T-155"], 3);

    project.expect_offline(
        &[
            "approve",
            "T-155",
            "--gate",
            "S08",
            "--by",
            "alice",
            "--note",
            "window 14:00",
        ],
        0,
    );
    assert!(project
        .read("PROJECT_STATE.md")
        .contains("| T-155 | S08 | approved | alice ("));
    let approved = project.events("gate.approved");
    assert_eq!(approved[0]["details"]["by"], "alice");
    assert_eq!(approved[0]["details"]["note"], "window 14:00");
    assert!(!approved[0]["details"]["os_user"]
        .as_str()
        .unwrap()
        .is_empty());

    let resumed = project.expect(&endpoint, &["resume", "T-155"], 0);
    assert_eq!(stdout_of(&resumed).trim(), "Production rollout planned.");
    assert_eq!(endpoint.chat_requests().len(), 1);
    project.assert_audit_intact();
}

#[test]
fn a_stage_command_with_env_production_needs_s08_too() {
    let runtime = runtime();
    let project = Project::example();
    let endpoint = mock(&runtime, vec![text("plan")]);
    project.expect(
        &endpoint,
        &[
            "run",
            "deployment-plan",
            "--task",
            "T-154",
            "--param",
            "env=production",
        ],
        3,
    );
    // Staging needs no S08.
    project.expect(&endpoint, &["run", "deployment-plan", "--task", "T-154"], 0);
}

#[test]
fn a_call_matching_an_approve_rule_pauses_and_runs_exactly_once_after_approval() {
    let runtime = runtime();
    let project = project_with_approval_rule();
    let endpoint = mock(
        &runtime,
        vec![
            bash_call("echo approved >> deploy/marker.txt"),
            text("Done."),
        ],
    );
    project.expect(&endpoint, &["run", "ops-devops", "--task", "T-154"], 3);
    assert!(
        !project.path("deploy/marker.txt").exists(),
        "nothing runs before approval"
    );
    let pending = project.events("gate.pending");
    assert_eq!(pending.len(), 1);
    assert!(pending[0]["details"]["arguments"]
        .as_str()
        .unwrap()
        .contains("echo approved"));

    let runs: serde_json::Value = project.expect_json(&["runs", "--json"]);
    assert_eq!(runs[0]["status"], "paused");

    // An approval for a different call is refused.
    project.expect_offline(
        &["approve", "T-154", "--by", "alice", "--call", "deadbeef"],
        2,
    );

    project.expect_offline(&["approve", "T-154", "--gate", "S08", "--by", "bob"], 0);
    project.expect(&endpoint, &["resume", "T-154"], 0);
    assert_eq!(
        project.read("deploy/marker.txt"),
        "approved\n",
        "executed exactly once"
    );
    let allowed = project.events("tool.allowed");
    assert_eq!(allowed.len(), 1);
    assert_eq!(allowed[0]["details"]["approved_by"], "bob");
    assert_eq!(project.events("tool.result").len(), 1);

    let again = project
        .agentctl_with(&endpoint)
        .args(["resume", "T-154"])
        .output()
        .unwrap();
    assert_ne!(
        again.status.code(),
        Some(0),
        "a finished run cannot be resumed"
    );
    assert_eq!(project.read("deploy/marker.txt"), "approved\n");
    project.assert_audit_intact();
}

#[test]
fn a_rejection_goes_back_to_the_model() {
    let runtime = runtime();
    let project = project_with_approval_rule();
    let endpoint = mock(
        &runtime,
        vec![
            bash_call("echo approved > deploy/marker.txt"),
            text("Understood."),
        ],
    );
    project.expect(&endpoint, &["run", "ops-devops", "--task", "T-154"], 3);
    project.expect_offline(
        &[
            "reject",
            "T-154",
            "--by",
            "alice",
            "--reason",
            "not in this window",
        ],
        0,
    );
    project.expect(&endpoint, &["resume", "T-154"], 0);
    assert!(!project.path("deploy/marker.txt").exists());
    let requests = endpoint.chat_requests();
    let tool_message = tool_results(&requests.last().unwrap().body).pop().unwrap();
    assert_contains(&tool_message, "not in this window");
    assert_eq!(project.events("gate.rejected").len(), 1);
    project.assert_audit_intact();
}

#[test]
fn a_rejection_can_end_the_run() {
    let runtime = runtime();
    let project = project_with_approval_rule();
    project.edit_config(&[("on_reject = \"tell_model\"", "on_reject = \"end_run\"")]);
    let endpoint = mock(
        &runtime,
        vec![bash_call("echo approved > deploy/marker.txt")],
    );
    project.expect(&endpoint, &["run", "ops-devops", "--task", "T-154"], 3);
    project
        .agentctl()
        .args(["reject", "T-154", "--by", "alice", "--reason", "no"])
        .assert()
        .success();
    project.expect(&endpoint, &["resume", "T-154"], 1);
    assert_eq!(endpoint.chat_requests().len(), 1);
}

#[test]
fn a_state_file_changed_during_the_pause_is_refused() {
    let runtime = runtime();
    let project = project_with_approval_rule();
    let endpoint = mock(
        &runtime,
        vec![bash_call("echo approved > deploy/marker.txt"), text("x")],
    );
    project.expect(&endpoint, &["run", "ops-devops", "--task", "T-154"], 3);
    let state_path = std::fs::read_dir(project.path(".agentctl/runs"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path()
        .join("state.json");
    let state = std::fs::read_to_string(&state_path).unwrap();
    std::fs::write(
        &state_path,
        state.replace(
            "echo approved > deploy/marker.txt",
            "echo approved > deploy/other.txt",
        ),
    )
    .unwrap();
    project
        .agentctl()
        .args(["approve", "T-154", "--by", "alice"])
        .assert()
        .success();
    let resumed = project.expect(&endpoint, &["resume", "T-154"], 1);
    assert_contains(&stderr_of(&resumed), "changed after it paused");
    assert!(!project.path("deploy/other.txt").exists());
    assert!(!project.path("deploy/marker.txt").exists());
}

#[test]
fn a_model_cannot_record_s08_or_write_the_state_file() {
    let runtime = runtime();
    let project = Project::example();
    let before = project.read("PROJECT_STATE.md");
    let endpoint = mock(
        &runtime,
        vec![
            tool_call(
                "gate_report",
                json!({"gate": "S08", "status": "passed", "evidence": "I approve myself"}),
            ),
            tool_call(
                "fs_write",
                json!({"path": "PROJECT_STATE.md", "content": "| T-154 | S08 | approved | qa | now | |"}),
            ),
            text("ok"),
        ],
    );
    project.expect(&endpoint, &["run", "qa-engineer", "--task", "T-154"], 0);
    assert_eq!(project.read("PROJECT_STATE.md"), before);
    let denied = project.events("tool.denied");
    assert_eq!(denied.len(), 2);
    assert!(denied[0]["details"]["reason"]
        .as_str()
        .unwrap()
        .contains("agentctl approve"));
}

/// Spawns `agentctl run` (with `environment` added) and kills it with SIGKILL once `ready`
/// holds; returns the killed process's id.
fn kill_when(
    project: &Project,
    endpoint: &agentctl_test_support::MockEndpoint,
    environment: &[(&str, &std::path::Path)],
    ready: impl Fn() -> bool,
) -> u32 {
    let mut child = project
        .background(endpoint)
        .envs(environment.iter().copied())
        .args(["run", "ops-devops", "--task", "T-154"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    wait_until(
        "the run reaches the kill point",
        &mut child,
        Duration::from_secs(20),
        ready,
    );
    child.kill().unwrap();
    child.wait().unwrap();
    child.id()
}

#[test]
fn kill_9_during_a_model_call_then_resume_continues_without_duplicates() {
    let runtime = runtime();
    let project = Project::example();
    let endpoint = mock(
        &runtime,
        vec![
            tool_call("fs_read", json!({"path": "deploy/k8s/deployment.yaml"})),
            MockReply::Delay(Duration::from_secs(30), Box::new(text("never delivered"))),
            text("Deployed after the crash."),
        ],
    );
    kill_when(&project, &endpoint, &[], || {
        endpoint.chat_requests().len() == 2
    });
    let resumed = project.expect(&endpoint, &["resume", "T-154"], 0);
    assert_eq!(stdout_of(&resumed).trim(), "Deployed after the crash.");
    assert_eq!(project.events("run.started").len(), 1);
    assert_eq!(
        project.events("tool.allowed").len(),
        1,
        "the completed read is not run again"
    );
    assert_eq!(project.events("tool.result").len(), 1);
    project.assert_audit_intact();
}

/// The command's scratch directories (`agentctl-call-PID-*`) in `temporary`.
fn scratch_directories(temporary: &std::path::Path) -> Vec<String> {
    std::fs::read_dir(temporary)
        .unwrap()
        .flatten()
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with("agentctl-call-"))
        .collect()
}

/// A run killed with SIGKILL while a command runs: `resume` tells the model, runs one decision
/// per call, and the killed process's scratch directory (no destructor ran) is removed by the
/// next process that makes one.
#[test]
fn kill_9_during_a_tool_call_then_resume_tells_the_model_and_continues() {
    let runtime = runtime();
    let project = project_with_approval_rule();
    let endpoint = mock(
        &runtime,
        vec![
            bash_call("sleep 30"),
            bash_call("sleep 0"),
            text("Recovered."),
        ],
    );
    let temporary = tempfile::tempdir().unwrap();
    let killed = kill_when(&project, &endpoint, &[("TMPDIR", temporary.path())], || {
        project.read("AUDIT_LOG.md").contains("tool.allowed")
    });
    let left = scratch_directories(temporary.path());
    assert_eq!(left.len(), 1, "{left:?}");
    assert!(
        left[0].starts_with(&format!("agentctl-call-{killed}-")),
        "{left:?}"
    );
    expect_exit(
        project
            .agentctl_with(&endpoint)
            .env("TMPDIR", temporary.path())
            .args(["resume", "T-154"]),
        0,
    );
    assert_eq!(scratch_directories(temporary.path()), Vec::<String>::new());
    assert_eq!(
        project.events("tool.allowed").len(),
        2,
        "exactly one decision entry for each call"
    );
    let results = project.events("tool.result");
    assert_eq!(results.len(), 2);
    assert_eq!(results[0]["details"]["error_kind"], "interrupted");
    let last = tool_results(&endpoint.chat_requests().last().unwrap().body);
    assert!(
        last.iter().any(|content| content.contains("interrupted")),
        "{last:?}"
    );
    project.assert_audit_intact();
}

#[test]
fn ctrl_c_saves_state_and_exits_130_then_resume_finishes() {
    let runtime = runtime();
    let project = Project::example();
    let endpoint = mock(
        &runtime,
        vec![
            MockReply::Delay(Duration::from_secs(30), Box::new(text("never"))),
            text("Finished after Ctrl-C."),
        ],
    );
    let output = interrupt_run_when(&project, &endpoint, "the run calls the model", || {
        !endpoint.chat_requests().is_empty()
    });
    assert_eq!(output.status.code(), Some(130), "{}", stderr_of(&output));
    let resumed = project.expect(&endpoint, &["resume", "T-154"], 0);
    assert_eq!(stdout_of(&resumed).trim(), "Finished after Ctrl-C.");
    project.assert_audit_intact();
}

/// Spawns `agentctl run ops-devops`, sends it Ctrl-C once `ready` holds, and returns how it
/// ended.
fn interrupt_run_when(
    project: &Project,
    endpoint: &agentctl_test_support::MockEndpoint,
    what: &str,
    ready: impl Fn() -> bool,
) -> std::process::Output {
    let mut child = project
        .background(endpoint)
        .args(["run", "ops-devops", "--task", "T-154"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    wait_until(what, &mut child, Duration::from_secs(20), ready);
    interrupt(&child);
    child.wait_with_output().unwrap()
}

/// Whether a process whose command line is exactly `words` is alive.
fn process_running(words: &[&str]) -> bool {
    let wanted: Vec<u8> = words
        .iter()
        .flat_map(|word| [word.as_bytes(), b"\0"].concat())
        .collect();
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|entry| std::fs::read(entry.path().join("cmdline")).ok())
        .any(|cmdline| cmdline == wanted)
}

/// Ctrl-C while a command runs does not wait for it: the command's process group is killed,
/// the state is saved (exit 130) with the call in flight, and `resume` tells the model that the
/// command was interrupted and its effects are unknown.
#[test]
fn ctrl_c_during_a_command_kills_it_and_resume_tells_the_model() {
    let runtime = runtime();
    let project = project_with_approval_rule();
    let endpoint = mock(&runtime, vec![bash_call("sleep 37"), text("Recovered.")]);
    let started = std::time::Instant::now();
    let output = interrupt_run_when(&project, &endpoint, "the command runs", || {
        process_running(&["sleep", "37"])
    });
    assert_eq!(output.status.code(), Some(130), "{}", stderr_of(&output));
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "waited for the command: {:?}",
        started.elapsed()
    );
    assert!(
        !process_running(&["sleep", "37"]),
        "the command outlived Ctrl-C"
    );
    assert!(project.events("tool.result").is_empty());

    project.expect(&endpoint, &["resume", "T-154"], 0);
    assert_eq!(project.events("tool.allowed").len(), 1);
    let results = project.events("tool.result");
    assert_eq!(results.len(), 1, "{results:#?}");
    assert_eq!(results[0]["details"]["error_kind"], "interrupted");
    let last = tool_results(&endpoint.chat_requests().last().unwrap().body);
    assert!(
        last.iter().any(|content| content.contains("interrupted")),
        "{last:?}"
    );
    project.assert_audit_intact();
}

#[test]
fn calls_after_a_handoff_in_the_same_message_are_denied_not_dropped() {
    let runtime = runtime();
    let project = Project::example();
    let endpoint = mock(
        &runtime,
        vec![
            MockReply::ToolCalls(vec![
                (
                    "handoff".to_owned(),
                    json!({"to": "release-manager", "summary": "done", "items": []}).to_string(),
                ),
                (
                    "fs_read".to_owned(),
                    json!({"path": "deploy/k8s/deployment.yaml"}).to_string(),
                ),
            ]),
            text("Notes written."),
        ],
    );
    project.expect(&endpoint, &["run", "ops-devops", "--task", "T-154"], 0);
    let denied = project.events("tool.denied");
    assert_eq!(denied.len(), 1, "{denied:#?}");
    assert_eq!(denied[0]["details"]["tool"], "fs_read");
    assert!(denied[0]["details"]["reason"]
        .as_str()
        .unwrap()
        .contains("handed off to release-manager"));
    assert_eq!(
        project.events("tool.allowed").len(),
        1,
        "only the handoff itself"
    );
    project.assert_audit_intact();
}
