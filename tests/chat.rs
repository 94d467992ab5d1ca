//! End-to-end tests of `agentctl chat`: piped sessions against the mock endpoint (messages,
//! handoffs, switching, gates answered in place, resume, slash commands), and the terminal
//! REPL under a pseudo-terminal (prompt, streaming, Ctrl-C, Ctrl-D).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use agentctl_test_support::{MockEndpoint, MockReply};
use common::{
    assert_contains, bash_call, expect_exit, handoff, interrupt, mock, offered_tools,
    project_with_approval_rule, runtime, stderr_of, stdout_of, text, tool_call, tool_results,
    Project,
};
use serde_json::{json, Value};

fn messages(request: &agentctl_test_support::RecordedRequest) -> Vec<Value> {
    request.body["messages"].as_array().unwrap().clone()
}

/// `(role, content)` of every message of a request.
fn turns(request: &agentctl_test_support::RecordedRequest) -> Vec<(String, String)> {
    messages(request)
        .iter()
        .map(|message| {
            (
                message["role"].as_str().unwrap().to_owned(),
                message["content"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

fn system_prompt(request: &agentctl_test_support::RecordedRequest) -> String {
    messages(request)[0]["content"].as_str().unwrap().to_owned()
}

fn prompt_of(project: &Project, persona: &str, task: &str) -> String {
    stdout_of(&project.expect_offline(&["prompt", persona, "--task", task], 0))
}

/// The only chat session of the project, from `agentctl runs --json`.
fn only_session(project: &Project) -> Value {
    let rows: Vec<Value> = project.expect_json(&["runs", "--json"]);
    let sessions: Vec<Value> = rows
        .into_iter()
        .filter(|row| row["kind"] == "chat")
        .collect();
    assert_eq!(sessions.len(), 1, "{sessions:?}");
    sessions[0].clone()
}

/// `agentctl chat ARGS` with `stdin` typed in, run to the end; asserts that it exited with
/// `code`.
fn chat(
    project: &Project,
    endpoint: &MockEndpoint,
    args: &[&str],
    stdin: &str,
    code: i32,
) -> std::process::Output {
    expect_exit(
        project
            .agentctl_with(endpoint)
            .arg("chat")
            .args(args)
            .write_stdin(stdin.to_owned()),
        code,
    )
}

#[test]
fn a_two_message_conversation_sends_both_lines_in_order_and_prints_both_replies() {
    let runtime = runtime();
    let project = Project::example();
    let endpoint = mock(
        &runtime,
        vec![text("First answer."), text("Second answer.")],
    );
    let output = chat(
        &project,
        &endpoint,
        &[],
        "Where do we stand?\nAnd what next?\n",
        0,
    );
    assert_eq!(stdout_of(&output), "First answer.\nSecond answer.\n");

    let requests = endpoint.chat_requests();
    assert_eq!(requests.len(), 2);
    // Without --task nothing is briefed: the system prompt, then the human's words.
    assert_eq!(
        turns(&requests[0])[1..],
        [("user".to_owned(), "Where do we stand?".to_owned())]
    );
    assert_eq!(
        turns(&requests[1])[1..],
        [
            ("user".to_owned(), "Where do we stand?".to_owned()),
            ("assistant".to_owned(), "First answer.".to_owned()),
            ("user".to_owned(), "And what next?".to_owned()),
        ]
    );
    assert_eq!(system_prompt(&requests[0]), system_prompt(&requests[1]));
    assert_eq!(
        offered_tools(&requests[0].body),
        ["fs_list", "fs_read", "handoff"]
    );

    let session = only_session(&project);
    assert!(
        session["run_id"].as_str().unwrap().starts_with("s-"),
        "{session}"
    );
    assert_eq!(session["persona"], "orch-planner");
    assert_eq!(
        session["status"], "finished",
        "end of input closes the session"
    );
    let started = project.events("run.started");
    assert_eq!(started[0]["details"]["mode"], "chat");
    assert_eq!(project.events("run.finished").len(), 1);
    let listing = project.agentctl().arg("runs").output().unwrap();
    assert!(
        stdout_of(&listing)
            .lines()
            .any(|line| line.contains(" chat ") && line.contains("orch-planner")),
        "{}",
        stdout_of(&listing)
    );
    project.assert_audit_intact();
}

#[test]
fn a_model_handoff_switches_the_persona_with_a_banner_and_the_session_goes_on() {
    let runtime = runtime();
    let project = Project::example();
    let endpoint = mock(
        &runtime,
        vec![
            handoff("ops-devops", "Staging rollout of 1.2.0 is next."),
            text("Taking over the rollout."),
            tool_call("fs_list", json!({"path": "deploy"})),
            text("deploy/ holds the manifests."),
        ],
    );
    let output = chat(
        &project,
        &endpoint,
        &["--task", "T-154"],
        "Plan T-154 please\nWhat is in deploy?\n",
        0,
    );
    let stderr = stderr_of(&output);
    assert_contains(&stderr, "── handoff orch-planner → ops-devops ──");
    assert_contains(&stderr, "Staging rollout of 1.2.0 is next.");
    assert_eq!(
        stdout_of(&output),
        "Taking over the rollout.\ndeploy/ holds the manifests.\n"
    );

    let requests = endpoint.chat_requests();
    assert_eq!(requests.len(), 4);
    assert_eq!(
        system_prompt(&requests[0]),
        prompt_of(&project, "orch-planner", "T-154")
    );
    assert_eq!(
        system_prompt(&requests[1]),
        prompt_of(&project, "ops-devops", "T-154")
    );
    let packet = &turns(&requests[1])[1].1;
    assert!(packet.starts_with("Task T-154"), "{packet}");
    assert_contains(packet, "Staging rollout of 1.2.0 is next.");
    // The second message goes to ops-devops, with ops-devops's tools.
    assert!(turns(&requests[2]).contains(&("user".to_owned(), "What is in deploy?".to_owned())));
    assert_eq!(
        offered_tools(&requests[0].body),
        ["fs_list", "fs_read", "handoff"]
    );
    assert!(
        offered_tools(&requests[2].body).contains(&"execute_bash".to_owned()),
        "{:?}",
        offered_tools(&requests[2].body)
    );
    assert_eq!(project.events("handoff").len(), 1);
    assert_eq!(
        project.events("tool.allowed").len(),
        2,
        "the handoff and the listing"
    );
    assert_eq!(only_session(&project)["persona"], "ops-devops");
    project.assert_audit_intact();
}

#[test]
fn slash_switch_hands_the_session_to_another_persona_and_is_audited() {
    let runtime = runtime();
    let project = Project::example();
    let endpoint = mock(&runtime, vec![text("QA here.")]);
    let output = chat(
        &project,
        &endpoint,
        &["--task", "T-154"],
        "/switch qa-engineer\nAre the tests green?\n",
        0,
    );
    assert_contains(&stderr_of(&output), "switched orch-planner → qa-engineer");
    assert_eq!(stdout_of(&output), "QA here.\n");

    let requests = endpoint.chat_requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(
        system_prompt(&requests[0]),
        prompt_of(&project, "qa-engineer", "T-154")
    );
    let sent = turns(&requests[0]);
    assert!(
        sent[1]
            .1
            .contains("switched this session from orch-planner to you"),
        "{sent:?}"
    );
    assert_eq!(
        sent.last().unwrap(),
        &("user".to_owned(), "Are the tests green?".to_owned())
    );
    assert!(offered_tools(&requests[0].body).contains(&"gate_report".to_owned()));

    let switched = project.events("session.switched");
    assert_eq!(switched.len(), 1);
    assert_eq!(switched[0]["details"]["from"], "orch-planner");
    assert_eq!(switched[0]["details"]["to"], "qa-engineer");
    assert!(!switched[0]["details"]["by"].as_str().unwrap().is_empty());
    project.assert_audit_intact();
}

#[test]
fn a_gate_is_answered_in_place_and_the_call_runs_exactly_once() {
    let runtime = runtime();
    let project = project_with_approval_rule();
    let endpoint = mock(
        &runtime,
        vec![
            bash_call("echo approved >> deploy/marker.txt"),
            text("Marker appended."),
        ],
    );
    let stdin = "Append the marker\nare you there?\n/approve --by mallory\n/approve --by alice --note looks right\n";
    let output = chat(
        &project,
        &endpoint,
        &["ops-devops", "--task", "T-154"],
        stdin,
        0,
    );
    let stderr = stderr_of(&output);
    assert_contains(&stderr, "── waiting for a human at");
    assert_contains(&stderr, "ops-devops wants to run execute_bash");
    assert!(
        stderr.contains("waiting for a human decision"),
        "a message at a gate is refused: {stderr}"
    );
    assert_contains(&stderr, "`mallory` may not decide gates");
    assert_contains(&stderr, "approved by alice");
    assert_eq!(stdout_of(&output), "Marker appended.\n");

    assert_eq!(
        project.read("deploy/marker.txt"),
        "approved\n",
        "executed exactly once"
    );
    assert_eq!(endpoint.chat_requests().len(), 2);
    let approved = project.events("gate.approved");
    assert_eq!(approved.len(), 1);
    assert_eq!(approved[0]["details"]["by"], "alice");
    assert_eq!(approved[0]["details"]["note"], "looks right");
    assert_eq!(project.events("gate.pending").len(), 1);
    assert_eq!(project.events("tool.allowed").len(), 1);
    project.assert_audit_intact();
}

#[test]
fn a_rejection_in_place_tells_the_persona_and_nothing_runs() {
    let runtime = runtime();
    let project = project_with_approval_rule();
    let endpoint = mock(
        &runtime,
        vec![
            bash_call("echo approved >> deploy/marker.txt"),
            text("Understood, not touching it."),
        ],
    );
    let output = chat(
        &project,
        &endpoint,
        &["ops-devops", "--task", "T-154"],
        "Append the marker\n/reject --by bob not in this window\n",
        0,
    );
    assert!(!project.path("deploy/marker.txt").exists());
    assert_eq!(stdout_of(&output), "Understood, not touching it.\n");
    let last = endpoint.chat_requests().last().unwrap().clone();
    let tool_message = tool_results(&last.body).pop().unwrap();
    assert_contains(&tool_message, "not in this window");
    assert_eq!(project.events("gate.rejected").len(), 1);
}

#[test]
fn resume_restores_history_and_the_pending_gate() {
    let runtime = runtime();
    let project = project_with_approval_rule();
    let endpoint = mock(
        &runtime,
        vec![
            text("First answer."),
            bash_call("echo approved >> deploy/marker.txt"),
            text("Marker appended."),
            text("Third answer."),
        ],
    );
    let first = chat(
        &project,
        &endpoint,
        &["ops-devops", "--task", "T-154"],
        "First question\nNow append the marker\n",
        3, // input ended at a gate
    );
    assert_contains(&stderr_of(&first), "stays paused at");
    let session = only_session(&project);
    assert_eq!(session["status"], "paused");
    let session_id = session["run_id"].as_str().unwrap().to_owned();

    let second = chat(
        &project,
        &endpoint,
        &["--resume", &session_id],
        "/approve --by bob\nAnd a third\n",
        0,
    );
    let stderr = stderr_of(&second);
    assert_contains(
        &stderr,
        &format!("resumed session {session_id} on task T-154 with ops-devops"),
    );
    assert!(
        stderr.contains("ops-devops wants to run execute_bash"),
        "the pending gate is shown again: {stderr}"
    );
    assert_eq!(stdout_of(&second), "Marker appended.\nThird answer.\n");
    assert_eq!(project.read("deploy/marker.txt"), "approved\n");

    let requests = endpoint.chat_requests();
    assert_eq!(requests.len(), 4);
    let history = turns(&requests[3]);
    let position = |wanted: (&str, &str)| {
        history
            .iter()
            .position(|(role, content)| role == wanted.0 && content == wanted.1)
            .unwrap_or_else(|| panic!("{wanted:?} missing from {history:?}"))
    };
    assert!(position(("user", "First question")) < position(("assistant", "First answer.")));
    assert!(position(("assistant", "First answer.")) < position(("user", "Now append the marker")));
    assert!(position(("assistant", "Marker appended.")) < position(("user", "And a third")));
    assert_eq!(project.events("run.started").len(), 1);
    project.assert_audit_intact();

    let ended = chat(
        &project,
        &endpoint,
        &["--resume", &session_id],
        "hello\n",
        2,
    );
    assert_contains(&stderr_of(&ended), "has ended");
}

#[test]
fn ctrl_c_while_waiting_for_input_exits_130_and_the_session_resumes_with_its_history() {
    use std::io::{BufRead, Write};

    let runtime = runtime();
    let project = Project::example();
    let endpoint = mock(
        &runtime,
        vec![text("First answer."), text("Second answer.")],
    );
    let mut child = project
        .background(&endpoint)
        .arg("chat")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Held open until the process has exited: closing stdin would be end of input, which
    // ends the session instead (and would race with the signal).
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(b"First question\n").unwrap();
    // The reply is printed once the engine is done: from then on the session only waits.
    let mut replies = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    replies.read_line(&mut first).unwrap();
    assert_eq!(first, "First answer.\n");
    interrupt(&child);
    let status = child.wait().unwrap();
    drop(stdin);
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert_eq!(status.code(), Some(130), "{stderr}");
    let session = only_session(&project);
    assert_eq!(session["status"], "waiting");
    let session_id = session["run_id"].as_str().unwrap().to_owned();
    assert_contains(&stderr, &format!("agentctl chat --resume {session_id}"));
    // The summary says how it ended, and what the session did so far.
    let summary = &stderr[stderr.find("summary: session ").expect(&stderr)..];
    assert_contains(
        summary,
        "\n  interrupted: stopped by Ctrl-C; the session is saved\n",
    );
    assert_contains(summary, "\n  turns: 1, handoffs: 0");

    let resumed = chat(
        &project,
        &endpoint,
        &["--resume", &session_id],
        "Second question\n",
        0,
    );
    assert_eq!(stdout_of(&resumed), "Second answer.\n");
    let requests = endpoint.chat_requests();
    assert_eq!(
        turns(&requests[1])[1..],
        [
            ("user".to_owned(), "First question".to_owned()),
            ("assistant".to_owned(), "First answer.".to_owned()),
            ("user".to_owned(), "Second question".to_owned()),
        ]
    );
    assert_eq!(system_prompt(&requests[0]), system_prompt(&requests[1]));
    project.assert_audit_intact();
}

#[test]
fn a_decision_taken_with_agentctl_approve_is_used_when_the_session_resumes() {
    let runtime = runtime();
    let project = project_with_approval_rule();
    let endpoint = mock(
        &runtime,
        vec![
            bash_call("echo approved >> deploy/marker.txt"),
            text("Marker appended."),
        ],
    );
    chat(
        &project,
        &endpoint,
        &["ops-devops", "--task", "T-154"],
        "Append the marker\n",
        3,
    );
    let session_id = only_session(&project)["run_id"]
        .as_str()
        .unwrap()
        .to_owned();
    project
        .agentctl()
        .args(["approve", &session_id, "--by", "alice"])
        .assert()
        .success();
    let second = chat(&project, &endpoint, &["--resume", &session_id], "", 0);
    assert_eq!(stdout_of(&second), "Marker appended.\n");
    assert_eq!(project.read("deploy/marker.txt"), "approved\n");
}

#[test]
fn help_tools_prompt_gates_and_audit_answer_without_calling_the_model() {
    let runtime = runtime();
    let project = Project::example();
    let endpoint = mock(&runtime, vec![]);
    let output = chat(
        &project,
        &endpoint,
        &["ops-devops", "--task", "T-154"],
        "/help\n/tools\n/prompt\n/gates\n/personas\n/audit\n",
        0,
    );
    let stdout = stdout_of(&output);
    assert_contains(&stdout, "/switch NAME");
    assert_contains(&stdout, "/approve [--by NAME] [--note TEXT]");
    assert_contains(
        &stdout,
        "ops-devops may use: fs_read, fs_list, fs_write, execute_bash, use_aws, handoff",
    );
    assert_contains(
        &stdout,
        "  commands approve: kubectl apply * -n production*, terraform apply *",
    );
    assert_contains(&stdout, "  handoff to: release-manager, qa-engineer");
    assert!(
        stdout.contains(prompt_of(&project, "ops-devops", "T-154").trim_end()),
        "/prompt prints the exact prompt"
    );
    assert_contains(&stdout, "gates of task T-154:");
    assert!(
        stdout
            .lines()
            .any(|line| line.starts_with("  S06") && line.contains("passed")),
        "{stdout}"
    );
    assert!(
        stdout.lines().any(|line| line.starts_with("* ops-devops")),
        "{stdout}"
    );
    assert!(
        stdout.contains("run.started"),
        "/audit shows the session's entries: {stdout}"
    );
    assert!(endpoint.chat_requests().is_empty());
}

#[test]
fn an_unknown_slash_command_is_one_error_and_the_session_goes_on() {
    let runtime = runtime();
    let project = Project::example();
    let endpoint = mock(&runtime, vec![text("Still here.")]);
    let output = chat(
        &project,
        &endpoint,
        &[],
        "/deploy now\n//etc is a folder\n",
        0,
    );
    let stderr = stderr_of(&output);
    let errors: Vec<&str> = stderr
        .lines()
        .filter(|line| line.starts_with("error:"))
        .collect();
    assert_eq!(
        errors,
        ["error: unknown command `/deploy`; /help lists the commands"]
    );
    assert_eq!(stdout_of(&output), "Still here.\n");
    let requests = endpoint.chat_requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(
        turns(&requests[0]).last().unwrap().1,
        "/etc is a folder",
        "// sends a literal slash"
    );
}

#[test]
fn a_line_ending_in_a_backslash_continues_the_message() {
    let runtime = runtime();
    let project = Project::example();
    let endpoint = mock(&runtime, vec![text("ok")]);
    chat(&project, &endpoint, &[], "first line \\\nsecond line\n", 0);
    assert_eq!(
        turns(&endpoint.chat_requests()[0]).last().unwrap().1,
        "first line \nsecond line"
    );
}

#[test]
fn without_orch_planner_a_persona_must_be_named() {
    let runtime = runtime();
    let project = Project::example();
    std::fs::remove_file(project.root.join("../personas/orch-planner.md")).unwrap();
    let endpoint = mock(&runtime, vec![]);
    let output = chat(&project, &endpoint, &[], "hello\n", 2);
    let stderr = stderr_of(&output);
    assert_contains(&stderr, "has no `orch-planner`");
    assert!(
        stderr.contains("ops-devops") && stderr.contains("qa-engineer"),
        "lists the personas: {stderr}"
    );
    assert!(!project.path(".agentctl").exists());
}

/// The terminal REPL, driven through a pseudo-terminal.
#[cfg(unix)]
mod terminal {
    use std::time::{Duration, Instant};

    use rexpect::process::WaitStatus;
    use rexpect::session::PtySession;

    use super::*;

    fn spawn(project: &Project, endpoint: &MockEndpoint, args: &[&str]) -> PtySession {
        let mut command = std::process::Command::new(assert_cmd::cargo::cargo_bin("agentctl"));
        command
            .current_dir(&project.root)
            .env_remove("OPENAI_API_KEY")
            .env_remove("AGENTCTL_MODEL")
            .env_remove("AGENTCTL_LOG")
            .env("OPENAI_BASE_URL", endpoint.base_url())
            .env("AGENTCTL_CACHE_DIR", project.root.join(".test-cache"))
            .env("TERM", "xterm")
            .arg("chat")
            .args(args);
        let options = rexpect::reader::Options::new()
            .timeout_ms(Some(20_000))
            .strip_ansi_escape_codes(true);
        rexpect::spawn_with_options(command, options).unwrap()
    }

    fn exit_code(session: &PtySession) -> i32 {
        match session.process().wait().unwrap() {
            WaitStatus::Exited(_, code) => code,
            other => panic!("agentctl did not exit normally: {other:?}"),
        }
    }

    #[test]
    fn the_prompt_names_the_persona_a_reply_streams_and_ctrl_d_ends_the_session() {
        let runtime = runtime();
        let project = Project::example();
        let endpoint = mock(&runtime, vec![text("Hello from the planner.")]);
        let mut session = spawn(&project, &endpoint, &[]);
        session.exp_string("Ctrl-D ends the session").unwrap();
        session.exp_string("[orch-planner] > ").unwrap();
        session.send_line("hello").unwrap();
        session.exp_string("Hello from the planner.").unwrap();
        session.exp_string("[orch-planner] > ").unwrap();
        session.send_control('d').unwrap();
        session.exp_eof().unwrap();
        assert_eq!(exit_code(&session), 0);
        assert_eq!(only_session(&project)["status"], "finished");
        assert!(
            project.read(".agentctl/chat_history").contains("hello"),
            "history is kept"
        );
    }

    #[test]
    fn a_slow_reply_shows_the_status_line_and_leaving_prints_the_summary() {
        let runtime = runtime();
        let project = Project::example();
        let endpoint = mock(
            &runtime,
            vec![MockReply::Delay(
                Duration::from_millis(1500),
                Box::new(text("Worth the wait.")),
            )],
        );
        let mut session = spawn(&project, &endpoint, &[]);
        session.exp_string("[orch-planner] > ").unwrap();
        session.send_line("think hard").unwrap();
        session
            .exp_string("[orch-planner] turn 1: waiting for the model (no first token yet, 1s)")
            .unwrap();
        session.exp_string("Worth the wait.").unwrap();
        session.exp_string("[orch-planner] > ").unwrap();
        session.send_control('d').unwrap();
        session.exp_string("summary: session ").unwrap();
        session
            .exp_string("finished: the human ended the session")
            .unwrap();
        session.exp_string("turns: 1, handoffs: 0").unwrap();
        session.exp_eof().unwrap();
        assert_eq!(exit_code(&session), 0);
    }

    #[test]
    fn ctrl_c_stops_a_slow_reply_and_the_prompt_returns() {
        let runtime = runtime();
        let project = Project::example();
        let endpoint = mock(
            &runtime,
            vec![
                MockReply::Delay(Duration::from_secs(30), Box::new(text("never shown"))),
                text("Back after the stop."),
            ],
        );
        let mut session = spawn(&project, &endpoint, &[]);
        session.exp_string("[orch-planner] > ").unwrap();
        session.send_line("take your time").unwrap();
        let started = Instant::now();
        while endpoint.chat_requests().is_empty() {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "the request never reached the mock"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        session.send_control('c').unwrap();
        session.exp_string("reply stopped").unwrap();
        session.exp_string("[orch-planner] > ").unwrap();
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "Ctrl-C did not cut the 30 s reply short"
        );
        session.send_line("and now?").unwrap();
        session.exp_string("Back after the stop.").unwrap();
        session.exp_string("[orch-planner] > ").unwrap();
        session.send_control('d').unwrap();
        session.exp_eof().unwrap();
        assert_eq!(exit_code(&session), 0);
        let last = endpoint.chat_requests().last().unwrap().clone();
        let sent = turns(&last);
        assert_eq!(
            sent.last().unwrap(),
            &("user".to_owned(), "and now?".to_owned())
        );
        assert!(sent
            .iter()
            .any(|(role, content)| role == "user" && content == "take your time"));
        project.assert_audit_intact();
    }

    #[test]
    fn at_a_gate_the_terminal_asks_approve_and_y_runs_the_call() {
        let runtime = runtime();
        let project = project_with_approval_rule();
        // Anyone may approve here, so the OS user running the test may answer y.
        project.edit_config(&[("approvers = [\"alice\", \"bob\"]", "approvers = []")]);
        let endpoint = mock(
            &runtime,
            vec![
                bash_call("echo approved >> deploy/marker.txt"),
                text("Marker appended."),
            ],
        );
        let mut session = spawn(&project, &endpoint, &["ops-devops", "--task", "T-154"]);
        session.exp_string("[ops-devops] > ").unwrap();
        session.send_line("append the marker").unwrap();
        session
            .exp_string("ops-devops wants to run execute_bash")
            .unwrap();
        session.exp_string("approve? [y/N] ").unwrap();
        assert!(
            !project.path("deploy/marker.txt").exists(),
            "nothing runs before the answer"
        );
        session.send_line("y").unwrap();
        session.exp_string("Marker appended.").unwrap();
        session.exp_string("[ops-devops] > ").unwrap();
        session.send_control('d').unwrap();
        session.exp_eof().unwrap();
        assert_eq!(exit_code(&session), 0);
        assert_eq!(project.read("deploy/marker.txt"), "approved\n");
        assert_eq!(project.events("gate.approved").len(), 1);
    }
}

#[test]
fn the_turn_limit_applies_to_each_message_not_to_the_whole_session() {
    let runtime = runtime();
    let project = Project::example();
    project.edit_config(&[("max_turns = 12", "max_turns = 3")]);
    let look = || tool_call("fs_list", serde_json::json!({"path": "."}));
    // Three messages of three turns each: nine turns in all, three per message.
    let endpoint = mock(
        &runtime,
        vec![
            look(),
            look(),
            text("one"),
            look(),
            look(),
            text("two"),
            look(),
            look(),
            text("three"),
        ],
    );
    let output = chat(&project, &endpoint, &[], "first\nsecond\nthird\n", 0);
    assert_eq!(stdout_of(&output), "one\ntwo\nthree\n");
    assert_eq!(endpoint.chat_requests().len(), 9);
}

#[test]
fn a_reply_that_hits_the_turn_limit_stops_and_the_session_goes_on() {
    let runtime = runtime();
    let project = Project::example();
    project.edit_config(&[("max_turns = 12", "max_turns = 2")]);
    let look = || tool_call("fs_list", serde_json::json!({"path": "."}));
    // The first message would need a third turn; the second is answered at once.
    let endpoint = mock(&runtime, vec![look(), look(), text("second answer")]);
    let output = chat(&project, &endpoint, &[], "first\nsecond\n", 0);
    let stdout = stdout_of(&output);
    assert_contains(
        &stdout,
        "this reply was stopped: turn limit reached (2 model turns)",
    );
    assert!(stdout.ends_with("second answer\n"), "{stdout}");
    assert_eq!(endpoint.chat_requests().len(), 3);
}

#[test]
fn piped_chat_prints_plain_progress_lines_while_the_model_works_and_a_summary_at_the_end() {
    let runtime = runtime();
    let project = Project::example();
    let endpoint = mock(
        &runtime,
        vec![MockReply::Delay(
            std::time::Duration::from_millis(2000),
            Box::new(text("Slow but sure.")),
        )],
    );
    let output = expect_exit(
        project
            .agentctl_with(&endpoint)
            .env("AGENTCTL_PROGRESS_EVERY", "0.5")
            .arg("chat")
            .write_stdin("take your time\n"),
        0,
    );
    let stderr = stderr_of(&output);
    assert_eq!(stdout_of(&output), "Slow but sure.\n");
    assert!(
        !output.stderr.contains(&0x1b) && !output.stderr.contains(&b'\r'),
        "control codes off a terminal:\n{}",
        stderr.escape_debug()
    );
    let lines: Vec<&str> = stderr.lines().collect();
    let waiting = lines
        .iter()
        .position(|line| *line == "[orch-planner] turn 1: waiting for the model…")
        .unwrap_or_else(|| panic!("{stderr}"));
    let heartbeats = lines
        .iter()
        .filter(|line| line.starts_with("[orch-planner] turn 1: still waiting for the model ("))
        .count();
    assert!((2..=5).contains(&heartbeats), "{stderr}");
    let complete = lines
        .iter()
        .position(|line| line.starts_with("[orch-planner] turn 1: reply complete, "))
        .unwrap_or_else(|| panic!("{stderr}"));
    let summary = lines
        .iter()
        .position(|line| line.starts_with("summary: session s-"))
        .unwrap_or_else(|| panic!("{stderr}"));
    assert!(waiting < complete && complete < summary, "{stderr}");
    assert_eq!(
        lines[summary + 1],
        "  finished: the human ended the session"
    );
    assert_eq!(lines[summary + 2], "  personas: orch-planner");
    assert_eq!(
        lines[summary + 3],
        "  turns: 1, handoffs: 0, tool calls: 0 allowed, 0 denied"
    );
}
