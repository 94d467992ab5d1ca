//! The headline path from `agentctl init`: the whole team on the starter project from one
//! command, a blocked gate that says what to do, humans recording S06/S07 from CI evidence, and
//! evidence-bound gates (`[gates.S06]`, `[gates.S07]`) refusing reports the run does not back.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{
    assert_contains, bash_call, expect_exit, handoff, mock, offered_tools, runtime, stderr_of,
    text, tool_call, tool_results, Project,
};
use serde_json::json;

fn report(gate: &str) -> agentctl_test_support::MockReply {
    tool_call(
        "gate_report",
        json!({"gate": gate, "status": "passed", "evidence": "all green, trust me"}),
    )
}

/// `agentctl` on the mock, with programs from the system directories only: python3 from a
/// toolchain under a home directory (pyenv) is outside the sandbox unless `[sandbox] read` says.
fn agentctl_with(
    project: &Project,
    endpoint: &agentctl_test_support::MockEndpoint,
) -> assert_cmd::Command {
    let mut command = project.agentctl_with(endpoint);
    command.env(
        "PATH",
        "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    );
    command
}

/// [`agentctl_with`] with `args`, run to the end; asserts that it exited with `code`.
fn expect(
    project: &Project,
    endpoint: &agentctl_test_support::MockEndpoint,
    args: &[&str],
    code: i32,
) -> std::process::Output {
    expect_exit(agentctl_with(project, endpoint).args(args), code)
}

/// Runs the whole team on T-155 and asserts it failed (exit 1) on a limit of `turns` model turns.
fn ends_on_the_turn_limit(
    project: &Project,
    endpoint: &agentctl_test_support::MockEndpoint,
    turns: u32,
) {
    let run = expect(
        project,
        endpoint,
        &["run", "orch-planner", "--task", "T-155", "--json"],
        1,
    );
    let report: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    assert_eq!(
        report["reason"],
        format!("turn limit reached ({turns} model turns)"),
        "{report:#}"
    );
}

const TESTS: &str = "python3 -m unittest discover -s tests";
const SCAN: &str = "python3 scripts/scan_secrets.py";

/// The gate rows of PROJECT_STATE.md for one task and gate.
fn row(project: &Project, task: &str, gate: &str) -> Option<String> {
    project
        .read("PROJECT_STATE.md")
        .lines()
        .find(|line| line.starts_with(&format!("| {task} | {gate} |")))
        .map(str::to_owned)
}

/// The planner's, QA's and Security's replies of the whole team's run up to the S08 pause.
fn up_to_s08() -> Vec<agentctl_test_support::MockReply> {
    vec![
        handoff("qa-engineer", "S06 open: run the tests"),
        bash_call(TESTS),
        report("S06"),
        handoff("sec-reviewer", "S06 passed; review"),
        bash_call(SCAN),
        report("S07"),
        handoff("ops-devops", "S06 and S07 passed; deploy"),
    ]
}

/// Runs the team on T-155 to its S08 pause (exit 3), approves it as alice and resumes it to the
/// end (exit 0); returns the resumed run's output.
fn through_s08_and_resumed(
    project: &Project,
    endpoint: &agentctl_test_support::MockEndpoint,
) -> std::process::Output {
    expect(
        project,
        endpoint,
        &["run", "orch-planner", "--task", "T-155"],
        3,
    );
    project.expect_offline(&["approve", "T-155", "--gate", "S08", "--by", "alice"], 0);
    expect(project, endpoint, &["resume", "T-155"], 0)
}

/// DevOps' write of a short deployment record.
fn record() -> agentctl_test_support::MockReply {
    tool_call(
        "fs_write",
        json!({"path": "docs/deployment.md", "content": "# Deployment\n"}),
    )
}

/// The release manager's write of a short changelog.
fn changelog() -> agentctl_test_support::MockReply {
    tool_call(
        "fs_write",
        json!({"path": "CHANGELOG.md", "content": "# Changelog\n\n## 0.1.0\n"}),
    )
}

/// The tool messages the model was sent in its last request.
fn last_tool_messages(endpoint: &agentctl_test_support::MockEndpoint) -> Vec<String> {
    let requests = endpoint.chat_requests();
    let last = requests.last().expect("the model was asked");
    tool_results(&last.body)
}

#[test]
fn the_team_runs_from_one_command_pauses_at_s08_and_completes_after_approval() {
    let runtime = runtime();
    let project = Project::initialized();
    let endpoint = mock(
        &runtime,
        [
            up_to_s08(),
            // After the human's approval:
            vec![
                handoff("release-manager", "rolled out; write the notes"),
                text("Release notes written."),
            ],
        ]
        .concat(),
    );
    let run = expect(
        &project,
        &endpoint,
        &["run", "orch-planner", "--task", "T-155"],
        3,
    );
    let stderr = stderr_of(&run);
    assert_contains(&stderr, "agentctl approve T-155 --gate S08");
    let s06 = row(&project, "T-155", "S06").expect("S06 recorded");
    assert_contains(&s06, "| passed | qa-engineer |");
    let s07 = row(&project, "T-155", "S07").expect("S07 recorded");
    assert_contains(&s07, "| passed | sec-reviewer |");
    // The evidence agentctl checked, not the model's words, is in the audit entry.
    let reported = project.events("gate.reported");
    assert_eq!(reported.len(), 2, "{reported:#?}");
    assert!(
        reported[0]["details"]["evidence_checked"][0]
            .as_str()
            .unwrap()
            .contains(&format!("ran `{TESTS}`")),
        "{reported:#?}"
    );
    assert_eq!(
        endpoint.remaining(),
        2,
        "paused before ops-devops was asked"
    );
    // Security is told who works next in gate order: DevOps, not QA, whose S06 is recorded
    // (qwen2.5-coder-1.5b handed S07's result back to QA when only given the list).
    let after_s07 = endpoint
        .chat_requests()
        .iter()
        .flat_map(|request| request.body["messages"].as_array().unwrap().clone())
        .filter_map(|message| message["content"].as_str().map(str::to_owned))
        .find(|content| content.starts_with("recorded S07 as passed"))
        .expect("the model was told S07 was recorded");
    assert!(
        after_s07.contains("hand off with `handoff` to ops-devops, who works next"),
        "{after_s07}"
    );

    project.expect_offline(&["approve", "T-155", "--gate", "S08", "--by", "alice"], 0);
    expect(&project, &endpoint, &["resume", "T-155"], 0);
    assert_eq!(endpoint.remaining(), 0);
    let trail: Vec<String> = project
        .events("handoff")
        .iter()
        .map(|entry| entry["details"]["to"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        trail,
        [
            "qa-engineer",
            "sec-reviewer",
            "ops-devops",
            "release-manager"
        ]
    );
    project.assert_audit_intact();
}

/// A small model read "Release ... to production" and handed the task straight to the release
/// manager. The handoff is refused before the target starts — with the gate, and the persona
/// to pick instead — so the model can correct itself instead of the run ending at a gate.
#[test]
fn a_handoff_past_an_open_gate_is_denied_with_the_persona_that_works_first() {
    let runtime = runtime();
    let project = Project::initialized();
    let endpoint = mock(
        &runtime,
        vec![
            handoff("release-manager", "release it"),
            handoff("qa-engineer", "S06 open: run the tests"),
            text("Not running the tests in this test."),
        ],
    );
    expect(
        &project,
        &endpoint,
        &["run", "orch-planner", "--task", "T-155"],
        0,
    );
    let requests = endpoint.chat_requests();
    // The entry persona is told where the task's gates stand, as a handoff packet would.
    let first = requests[0].body["messages"][1]["content"].as_str().unwrap();
    assert_contains(
        first,
        "Gate status for this task:\n- S06: not_started\n- S07: not_started\n- S08: not_started\n",
    );
    let denied = project.events("tool.denied");
    assert_eq!(denied.len(), 1, "{denied:#?}");
    assert_eq!(denied[0]["details"]["rule"], "handoff: gate S06");
    let told = tool_results(&requests[1].body);
    assert_eq!(told.len(), 1, "{told:?}");
    assert!(
        told[0].contains("release-manager cannot start on task T-155 yet: gate S06 (quality gates) is not_started"),
        "{told:?}"
    );
    assert!(
        told[0].contains("hand off to qa-engineer first"),
        "{told:?}"
    );
    // The release manager never started; QA did, and nothing was recorded for it.
    let started: Vec<String> = project
        .events("persona.started")
        .iter()
        .map(|entry| entry["details"]["persona"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(started, ["qa-engineer"]);
    assert_eq!(project.events("handoff").len(), 1);
    assert_eq!(row(&project, "T-155", "S06"), None);
    project.assert_audit_intact();
}

/// What a small model needs in front of it: its own part of the task (the gate it records
/// and the evidence agentctl accepts, from `[gates.S06]`), the exact call that shows which files
/// exist when it asks for a missing one, and a word when it repeats a call that cannot help.
#[test]
fn qa_is_told_its_part_and_a_repeated_useless_call_is_pointed_out() {
    let runtime = runtime();
    let project = Project::initialized();
    let read_missing = || tool_call("fs_read", json!({"path": "RELEASE_NOTES.md"}));
    let endpoint = mock(
        &runtime,
        vec![
            handoff("qa-engineer", "S06 open: run the tests"),
            read_missing(),
            read_missing(),
            text("Stopping here."),
        ],
    );
    expect(
        &project,
        &endpoint,
        &["run", "orch-planner", "--task", "T-155"],
        0,
    );
    let requests = endpoint.chat_requests();
    let planner_first = requests[0].body["messages"][1]["content"].as_str().unwrap();
    assert!(
        !planner_first.contains("Your part"),
        "the planner records no gate: {planner_first}"
    );
    let qa_first = requests[1].body["messages"][1]["content"].as_str().unwrap();
    assert!(
        qa_first.trim_end().ends_with(
            "Your part: first run, with `execute_bash`, one plain command matching \
             `python3 -m unittest*` (`*` stands for any further words); once it exits 0, record \
             S06 (quality gates) with `gate_report`. A report before that is refused."
        ),
        "{qa_first}"
    );
    let told = last_tool_messages(&endpoint);
    let missing = r#"`RELEASE_NOTES.md` does not exist; to see the names that do, call fs_list with {"path": "."}"#;
    assert_eq!(told.len(), 2, "{told:?}");
    assert!(told[0].ends_with(missing), "{told:?}");
    assert!(
        told[1].ends_with(&format!(
            "{missing}\n[agentctl: you already made this exact call and got this same answer; \
             repeating it changes nothing. Take the next step of your instructions instead, or \
             finish with a plain-text answer.]"
        )),
        "{told:?}"
    );
    // Both calls were decided and audited as usual.
    assert_eq!(project.events("tool.allowed").len(), 3);
    project.assert_audit_intact();
}

/// A persona's own `limits.max_turns` counts its own turns: on a real model the chain had used
/// 12 turns before Security finished, so the release manager (15) would have stopped at once.
/// The run's `[limits] max_turns` still counts every turn.
#[test]
fn a_personas_own_turn_limit_counts_its_own_turns_not_the_runs() {
    let runtime = runtime();
    let project = Project::initialized();
    project.edit(
        "personas/qa-engineer.md",
        &[("limits: { max_turns: 20 }", "limits: { max_turns: 2 }")],
    );
    let list = || tool_call("fs_list", json!({"path": "."}));
    // The planner uses three turns before its handoff; QA then gets its own two.
    let endpoint = mock(
        &runtime,
        vec![
            list(),
            list(),
            list(),
            handoff("qa-engineer", "S06 open"),
            tool_call("fs_read", json!({"path": "AGENTS.md"})),
            list(),
            text("never asked: QA's two turns are used up"),
        ],
    );
    ends_on_the_turn_limit(&project, &endpoint, 2);
    assert_eq!(endpoint.remaining(), 1, "QA had exactly its own two turns");
    let qa_calls: Vec<String> = project
        .events("tool.allowed")
        .iter()
        .filter(|entry| entry["persona"] == "qa-engineer")
        .map(|entry| entry["details"]["tool"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(qa_calls, ["fs_read", "fs_list"]);

    // The run's own limit counts every persona's turns together.
    let project = Project::initialized();
    project.edit_config(&[("max_turns = 40", "max_turns = 4")]);
    let endpoint = mock(
        &runtime,
        vec![
            list(),
            list(),
            list(),
            handoff("qa-engineer", "S06 open"),
            text("never asked: the run's four turns are used up"),
        ],
    );
    ends_on_the_turn_limit(&project, &endpoint, 4);
    assert_eq!(endpoint.remaining(), 1);
}

#[test]
fn a_blocked_gate_names_who_may_record_it_and_the_exact_next_commands() {
    let runtime = runtime();
    let project = Project::initialized();
    let endpoint = mock(&runtime, vec![text("should not be asked")]);
    let run = expect(
        &project,
        &endpoint,
        &["run", "ops-devops", "--task", "T-154"],
        1,
    );
    let stderr = stderr_of(&run);
    for expected in [
        "gate S06 (quality gates) is not_started for task T-154",
        "S06 (quality gates) is recorded by qa-engineer through `gate_report`, or by a human",
        "agentctl run orch-planner --task T-154",
        "agentctl run qa-engineer --task T-154",
        "agentctl gates record S06 --task T-154 --evidence URL",
    ] {
        assert!(
            stderr.contains(expected),
            "missing `{expected}` in\n{stderr}"
        );
    }
    assert!(endpoint.chat_requests().is_empty());
}

#[test]
fn a_human_records_s06_from_a_report_file_and_s07_from_a_ci_run_then_devops_starts() {
    let runtime = runtime();
    let project = Project::initialized();
    let junit = "<testsuite tests=\"3\" failures=\"0\"/>\n";
    project.write("reports/junit.xml", junit);
    let digest = agentctl_core::store::sha256_hex(junit.as_bytes());
    project.expect_offline(
        &[
            "gates",
            "record",
            "S06",
            "--task",
            "T-154",
            "--by",
            "alice",
            "--evidence-file",
            "reports/junit.xml",
            "--note",
            "CI build 41",
        ],
        0,
    );
    project.expect_offline(
        &[
            "gates",
            "record",
            "S07",
            "--task",
            "T-154",
            "--by",
            "bob",
            "--evidence",
            "https://ci.example.com/runs/123",
        ],
        0,
    );

    let os_user = agentctl_core::os_user::current();
    let s06_row = row(&project, "T-154", "S06").unwrap();
    assert!(
        s06_row.contains(&format!("| passed | alice ({os_user}) |")),
        "{s06_row}"
    );
    assert_contains(
        &s06_row,
        &format!("reports/junit.xml sha256:{digest} — CI build 41"),
    );
    let s07_row = row(&project, "T-154", "S07").unwrap();
    assert_contains(&s07_row, "https://ci.example.com/runs/123");
    let reported = project.events("gate.reported");
    assert_eq!(reported.len(), 2);
    assert_eq!(reported[0]["details"]["recorded_by"], "human");
    assert_eq!(reported[0]["details"]["by"], "alice");
    assert_eq!(reported[0]["details"]["os_user"], os_user.as_str());
    assert_eq!(reported[0]["details"]["evidence_sha256"], digest.as_str());
    assert_eq!(
        reported[1]["details"]["evidence_url"],
        "https://ci.example.com/runs/123"
    );

    // S08 is a human approval, not outside evidence; an unreadable file records nothing.
    project.expect_offline(
        &[
            "gates",
            "record",
            "S08",
            "--task",
            "T-154",
            "--evidence",
            "https://x.example",
        ],
        2,
    );
    project.expect_offline(
        &[
            "gates",
            "record",
            "S06",
            "--task",
            "T-154",
            "--evidence-file",
            "nope.xml",
        ],
        2,
    );
    assert_eq!(project.events("gate.reported").len(), 2);

    let endpoint = mock(&runtime, vec![text("Staging record written.")]);
    expect(
        &project,
        &endpoint,
        &["run", "ops-devops", "--task", "T-154"],
        0,
    );
    project.assert_audit_intact();
}

#[test]
fn gate_report_without_the_test_command_is_refused_and_the_model_is_told_why() {
    let runtime = runtime();
    let project = Project::initialized();
    let endpoint = mock(
        &runtime,
        vec![report("S06"), text("I could not record S06.")],
    );
    expect(
        &project,
        &endpoint,
        &["run", "qa-engineer", "--task", "T-154"],
        0,
    );
    assert_eq!(row(&project, "T-154", "S06"), None, "nothing recorded");
    let denied = project.events("tool.denied");
    assert_eq!(denied.len(), 1, "{denied:#?}");
    assert_eq!(denied[0]["details"]["rule"], "[gates.S06] evidence");
    // The refusal is the call's one decision: it was never also recorded as allowed.
    let allowed = project.events("tool.allowed");
    assert!(
        allowed
            .iter()
            .all(|entry| entry["details"]["call_id"] != denied[0]["details"]["call_id"]),
        "{allowed:#?}"
    );
    let told = last_tool_messages(&endpoint);
    assert!(
        told[0].starts_with("denied: S06 not recorded: passing this gate needs a command matching `python3 -m unittest*`"),
        "{told:?}"
    );
    assert!(
        told[0].contains("you ran no command in this run"),
        "{told:?}"
    );
}

#[test]
fn gate_report_after_the_test_command_exited_0_is_accepted() {
    let runtime = runtime();
    let project = Project::initialized();
    let endpoint = mock(
        &runtime,
        vec![bash_call(TESTS), report("S06"), text("S06 passed.")],
    );
    let run = expect(
        &project,
        &endpoint,
        &["run", "qa-engineer", "--task", "T-154"],
        0,
    );
    // The model is told what comes next (a 1.5B model re-ran its scan six times instead).
    let told = last_tool_messages(&endpoint);
    assert_eq!(
        told.last().unwrap(),
        "recorded S06 as passed for task T-154. Your gate is done: next, hand off with \
         `handoff` to sec-reviewer, who works next on this task in gate order (your targets: \
         ops-devops, sec-reviewer), or finish with a plain-text answer."
    );
    let s06 = row(&project, "T-154", "S06")
        .unwrap_or_else(|| panic!("not recorded: {}\n{:#?}", stderr_of(&run), project.audit()));
    assert_contains(&s06, "| passed | qa-engineer |");
    let results = project.events("tool.result");
    assert_eq!(results[0]["details"]["exit_code"], 0, "{results:#?}");
}

#[test]
fn a_failing_test_command_does_not_count() {
    let runtime = runtime();
    let project = Project::initialized();
    project.write(
        "tests/test_service.py",
        "import unittest\n\nclass Failing(unittest.TestCase):\n    def test_fails(self):\n        self.fail('red')\n",
    );
    let endpoint = mock(
        &runtime,
        vec![bash_call(TESTS), report("S06"), text("S06 failed.")],
    );
    expect(
        &project,
        &endpoint,
        &["run", "qa-engineer", "--task", "T-154"],
        0,
    );
    assert_eq!(row(&project, "T-154", "S06"), None);
    let told = last_tool_messages(&endpoint);
    assert!(told[1].contains(&format!("`{TESTS}` exited 1")), "{told:?}");
}

#[test]
fn a_command_list_does_not_count_even_when_every_command_is_allowed() {
    let runtime = runtime();
    let project = Project::initialized();
    let line = format!("{TESTS}; {TESTS}");
    let endpoint = mock(
        &runtime,
        vec![bash_call(&line), report("S06"), text("done")],
    );
    expect(
        &project,
        &endpoint,
        &["run", "qa-engineer", "--task", "T-154"],
        0,
    );
    let results = project.events("tool.result");
    assert_eq!(
        results[0]["details"]["exit_code"], 0,
        "the line itself ran: {results:#?}"
    );
    assert_eq!(row(&project, "T-154", "S06"), None);
    let told = last_tool_messages(&endpoint);
    assert!(
        told[1].contains("it is 2 commands, not one plain command"),
        "{told:?}"
    );
}

#[test]
fn a_command_from_a_previous_run_does_not_count() {
    let runtime = runtime();
    let project = Project::initialized();
    let endpoint = mock(
        &runtime,
        vec![
            bash_call(TESTS),
            text("tests ran"),
            report("S06"),
            text("tried"),
        ],
    );
    for _ in 0..2 {
        project.expect(&endpoint, &["run", "qa-engineer", "--task", "T-154"], 0);
    }
    assert_eq!(endpoint.remaining(), 0);
    assert_eq!(row(&project, "T-154", "S06"), None);
    assert_eq!(project.events("tool.denied").len(), 1);
}

#[test]
fn a_report_file_with_another_digest_is_refused() {
    let runtime = runtime();
    let project = Project::initialized();
    project.edit_config(&[(
        "[gates.S07]\ncommands = [\"python3 scripts/scan_secrets.py*\"]\n",
        "[gates.S07]\nfiles = [{ path = \"reports/scan.txt\", sha256 = \"0000000000000000000000000000000000000000000000000000000000000000\" }]\n",
    )]);
    project.write("reports/scan.txt", "0 findings\n");
    // S07 needs S06 first (the task lists it as a prerequisite for later stages).
    project.expect_offline(
        &[
            "gates",
            "record",
            "S06",
            "--task",
            "T-154",
            "--by",
            "alice",
            "--evidence",
            "https://ci.example.com/1",
        ],
        0,
    );
    let endpoint = mock(&runtime, vec![report("S07"), text("done")]);
    expect(
        &project,
        &endpoint,
        &["run", "sec-reviewer", "--task", "T-154"],
        0,
    );
    assert_eq!(row(&project, "T-154", "S07"), None);
    let told = last_tool_messages(&endpoint);
    assert!(
        told[0].contains("the report file `reports/scan.txt` has SHA-256"),
        "{told:?}"
    );
}

#[test]
fn lint_names_a_gate_evidence_table_that_requires_nothing() {
    let project = Project::initialized();
    project.edit_config(&[(
        "[gates.S06]\ncommands = [\"python3 -m unittest*\"]\n",
        "[gates.S06]\ncommands = [\"*\"]\n",
    )]);
    let lint = expect_exit(project.agentctl().arg("lint"), 2);
    assert_contains(
        &stderr_of(&lint),
        "[gates.S06]: the command pattern \"*\" would accept any command",
    );
}

// ---------------------------------------------------------------------------------------------
// preflight: key, endpoint, model — before any gate, audit entry or model call

/// Asserts the run left nothing behind: no audit log, no run state, no gate table.
fn assert_untouched(project: &Project) {
    for path in ["AUDIT_LOG.md", ".agentctl", "PROJECT_STATE.md"] {
        assert!(!project.path(path).exists(), "{path} was written");
    }
}

#[test]
fn an_unreachable_endpoint_fails_fast_before_any_gate_or_audit_write() {
    let project = Project::initialized();
    let started = std::time::Instant::now();
    let run = expect_exit(
        project
            .agentctl()
            .env("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
            .args(["run", "orch-planner", "--task", "T-154"]),
        1,
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
    let stderr = stderr_of(&run);
    assert!(
        stderr.starts_with("error: cannot reach the model endpoint at http://127.0.0.1:9/v1"),
        "{stderr}"
    );
    assert_contains(
        &stderr,
        "hint: start the server, or set [endpoint] base_url",
    );
    assert!(!stderr.contains("gate"), "no gate was checked: {stderr}");
    assert_untouched(&project);
}

#[test]
fn a_missing_key_for_a_remote_endpoint_is_named_before_anything_else() {
    // init's configuration points at a remote https endpoint and the test gives no key.
    let project = Project::initialized();
    let run = project.expect_offline(&["run", "ops-devops", "--task", "T-154"], 2);
    assert_eq!(
        stderr_of(&run),
        "error: no API key for https://api.openai.com/v1: a remote https endpoint needs one\nhint: export OPENAI_API_KEY=... (the variable named by [endpoint] api_key_env), or point [endpoint] base_url (or OPENAI_BASE_URL) at a local server; `agentctl docs endpoints` lists both\n"
    );
    assert_untouched(&project);
}

#[test]
fn an_unknown_model_is_named_with_did_you_mean_and_nothing_runs() {
    let runtime = runtime();
    let project = Project::initialized();
    let endpoint = mock(&runtime, vec![text("should not be asked")]);
    let run = expect(
        &project,
        &endpoint,
        &[
            "run",
            "orch-planner",
            "--task",
            "T-154",
            "--model",
            "gpt-4.1-mimi",
        ],
        2,
    );
    let stderr = stderr_of(&run);
    assert_contains(
        &stderr,
        "does not serve the model `gpt-4.1-mimi`; did you mean `gpt-4.1-mini`?",
    );
    assert_contains(
        &stderr,
        "hint: the endpoint serves: mock-model, smollm2, gpt-4.1-mini",
    );
    assert!(endpoint.chat_requests().is_empty());
    assert_untouched(&project);
}

#[test]
fn resume_warns_when_the_endpoint_differs_from_the_runs() {
    let runtime = runtime();
    let project = Project::initialized();
    for gate in ["S06", "S07"] {
        project.expect_offline(
            &[
                "gates",
                "record",
                gate,
                "--task",
                "T-155",
                "--by",
                "alice",
                "--evidence",
                "https://ci.example.com/7",
            ],
            0,
        );
    }
    let first = mock(&runtime, vec![]);
    expect(
        &project,
        &first,
        &["run", "ops-devops", "--task", "T-155"],
        3,
    );
    project.expect_offline(&["approve", "T-155", "--by", "alice"], 0);
    let second = mock(&runtime, vec![text("done")]);
    let resume = expect(&project, &second, &["resume", "T-155"], 0);
    let host = |endpoint: &agentctl_test_support::MockEndpoint| endpoint.address().to_string();
    assert!(
        stderr_of(&resume).contains(&format!(
            "started on the endpoint {}; it continues on {}",
            host(&first),
            host(&second)
        )),
        "{}",
        stderr_of(&resume)
    );
}

#[test]
fn doctor_prints_the_endpoint_checks_beside_the_sandbox() {
    let runtime = runtime();
    let project = Project::initialized();
    let endpoint = mock(&runtime, vec![]);
    let doctor = agentctl_with(&project, &endpoint)
        .args(["doctor", "--json"])
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&doctor.stdout).unwrap();
    let check = |name: &str| {
        report["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|check| check["name"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("no `{name}` check in {report:#}"))
    };
    assert_eq!(check("landlock")["status"], "ok");
    assert_eq!(check("endpoint")["status"], "ok");
    assert_eq!(check("api key")["status"], "not_needed");
    assert_eq!(check("model gpt-4.1-mini")["status"], "ok");

    let unreachable = expect_exit(
        project
            .agentctl()
            .env("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
            .args(["doctor", "--json"]),
        1,
    );
    let report: serde_json::Value = serde_json::from_slice(&unreachable.stdout).unwrap();
    let endpoint_check = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|check| check["name"] == "endpoint")
        .unwrap();
    assert_eq!(endpoint_check["status"], "missing", "{report:#}");
}

#[test]
fn lint_warns_when_no_reporting_persona_may_run_the_evidence_command() {
    let project = Project::initialized();
    let lint = expect_exit(project.agentctl().arg("lint"), 0);
    assert_eq!(
        stderr_of(&lint),
        "",
        "the shipped team can produce the shipped evidence"
    );
    project.edit_config(&[(
        "[gates.S06]\ncommands = [\"python3 -m unittest*\"]\n",
        "[gates.S06]\ncommands = [\"make check*\"]\n",
    )]);
    let lint = project.agentctl().arg("lint").output().unwrap();
    assert_eq!(
        lint.status.code(),
        Some(0),
        "a warning: {}",
        stderr_of(&lint)
    );
    assert_contains(
        &stderr_of(&lint),
        "[gates.S06] wants `make check*`, but qa-engineer may not run `make check`",
    );
}

/// After the human approved S08, DevOps starts on `resume` with a first message that says where
/// the run stands now — S08 approved, by whom, with what note — after the handoff packet's gate
/// table (written before the pause, when S08 was still open), and ends with what to do next.
#[test]
fn the_persona_resumed_after_s08_is_told_the_approval_and_its_first_call() {
    let runtime = runtime();
    let project = Project::initialized();
    let endpoint = mock(
        &runtime,
        [up_to_s08(), vec![text("Deployment recorded.")]].concat(),
    );
    let run = agentctl_with(&project, &endpoint)
        .args(["run", "orch-planner", "--task", "T-155"])
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(3), "{}", stderr_of(&run));
    let approve = project
        .agentctl()
        .args(["approve", "T-155", "--gate", "S08", "--by", "alice"])
        .args(["--note", "go ahead"])
        .output()
        .unwrap();
    assert_eq!(approve.status.code(), Some(0), "{}", stderr_of(&approve));
    // DevOps answers in prose: the run ends there (finished, exit 0).
    expect(&project, &endpoint, &["resume", "T-155"], 0);
    let requests = endpoint.chat_requests();
    let devops = &requests.last().unwrap().body["messages"];
    let system = devops[0]["content"].as_str().unwrap();
    assert!(system.contains("You are the DevOps engineer"), "{system}");
    // The project's deploy instructions are in the prompt itself, so the first step needs no
    // read (a 1.5B model read AGENTS.md again and again instead of writing the record).
    assert!(
        system.contains("its whole text is under \"AGENTS.md\" in the Context"),
        "{system}"
    );
    assert_contains(
        system,
        "There is no cluster yet, so nothing is applied: a deployment is recorded, not performed.",
    );
    let first = devops[1]["content"].as_str().unwrap();
    let since = first
        .split("## Since the handoff")
        .nth(1)
        .unwrap_or_else(|| panic!("no note about the pause: {first}"));
    assert!(
        since.contains("paused before you started, for S08")
            && since.contains("alice approved it at")
            && since.contains("with the note \"go ahead\""),
        "{since}"
    );
    assert!(
        since.contains("- S06: passed\n- S07: passed\n- S08: approved\n"),
        "{since}"
    );
    assert!(
        first
            .trim_end()
            .ends_with("the first step of your instructions, as one tool call."),
        "{first}"
    );
}

/// A small context window (a local server's) caps what one tool result may bring into the
/// conversation: a 40 KB file read reaches the model cut to a quarter of a 4096-token window,
/// with a note that says it was cut, so a single call cannot push the next request past the
/// server's context.
#[test]
fn one_large_result_is_cut_to_fit_a_small_context_window_and_the_model_is_told() {
    let runtime = runtime();
    let project = Project::initialized();
    project.edit_config(&[("[endpoint]\n", "[endpoint]\ncontext_window = 4096\n")]);
    project.write("notes/big.txt", &"0123456789abcdef\n".repeat(2400));
    let endpoint = mock(
        &runtime,
        vec![
            tool_call("fs_read", json!({"path": "notes/big.txt"})),
            text("Read it."),
        ],
    );
    let run = agentctl_with(&project, &endpoint)
        .args(["run", "orch-planner", "--task", "T-155"])
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(0), "{}", stderr_of(&run));
    let told = last_tool_messages(&endpoint);
    assert_eq!(told.len(), 1, "{told:?}");
    let result = &told[0];
    assert!(
        result.len() <= 4096 + 200,
        "{} bytes reached the model",
        result.len()
    );
    assert!(
        result.contains("[truncated: showing the first 4096 of 40800 bytes of `notes/big.txt`]"),
        "{}",
        &result[result.len().saturating_sub(300)..]
    );
}

/// A model that reads the same file again gets it once: the repeat is answered with a note that
/// it is the same answer, not with the whole file again (qwen2.5-coder-1.5b read AGENTS.md
/// seven times in a row, each answer growing the conversation by 400 tokens). The audit entry
/// still has the full output. A third identical call is not run at all: it is refused as a
/// repeat, audited as a denial like any other.
#[test]
fn a_repeated_long_answer_is_not_sent_again_and_a_third_identical_call_is_refused() {
    let runtime = runtime();
    let project = Project::initialized();
    let read_agents = || tool_call("fs_read", json!({"path": "AGENTS.md"}));
    let endpoint = mock(
        &runtime,
        vec![read_agents(), read_agents(), read_agents(), text("Done.")],
    );
    expect(
        &project,
        &endpoint,
        &["run", "orch-planner", "--task", "T-155"],
        0,
    );
    let agents = project.read("AGENTS.md");
    let told = last_tool_messages(&endpoint);
    assert_eq!(told.len(), 3, "{told:?}");
    assert!(
        told[0].starts_with("# AGENTS.md: my-service"),
        "{}",
        told[0]
    );
    assert!(!told[1].contains("## Layout"), "{}", told[1]);
    assert!(
        told[1].starts_with(&format!(
            "[agentctl: this is the same answer your earlier identical fs_read call got ({} bytes",
            told[0].len()
        )) && told[1].contains("do not make it again"),
        "{}",
        told[1]
    );
    assert!(
        told[2].starts_with(
            "denied: this exact call was already answered twice with the same text (above in \
             this conversation), so agentctl does not run `fs_read` with these arguments again."
        ),
        "{}",
        told[2]
    );
    assert_contains(
        &told[2],
        "Take the next step of your instructions with a different call; when your part is \
         done, hand off with `handoff` to qa-engineer, who works next on this task in gate order",
    );
    let results = project.events("tool.result");
    assert_eq!(results.len(), 2, "{results:#?}");
    assert!(
        results[1]["details"]["output"]
            .as_str()
            .unwrap()
            .contains("## Layout"),
        "{results:#?}"
    );
    let denied = project.events("tool.denied");
    assert_eq!(denied.len(), 1, "{denied:#?}");
    assert_eq!(denied[0]["details"]["rule"], "repeated call");
    assert_eq!(project.events("tool.allowed").len(), 2);
    assert!(agents.contains("## Layout"));
    // The request after the refusal asks, in a message of its own, how the planner goes on, and
    // offers only that way: the handoff tool. The requests before offered all its tools.
    let requests = endpoint.chat_requests();
    let last = &requests.last().unwrap().body;
    let asked = last["messages"].as_array().unwrap().last().unwrap();
    assert_eq!(asked["role"], "user", "{asked:#}");
    assert_contains(
        asked["content"].as_str().unwrap(),
        "[agentctl: your last call was refused: it repeated a call already answered twice. \
         Your part of this task ends here. Hand off with `handoff` to qa-engineer, who works \
         next on this task in gate order",
    );
    assert_eq!(offered_tools(last), ["handoff"]);
    assert_eq!(last["tool_choice"], "auto");
    let before = &requests[requests.len() - 2].body;
    assert!(offered_tools(before).len() > 1, "{before:#}");
    assert_eq!(
        before["messages"].as_array().unwrap().last().unwrap()["role"],
        "tool"
    );
    let responses = project.events("model.response");
    assert_eq!(
        responses.last().unwrap()["details"]["asked_after_repeat"],
        "the handoff tool only"
    );
    assert!(responses[..responses.len() - 1]
        .iter()
        .all(|entry| entry["details"].get("asked_after_repeat").is_none()));
    project.assert_audit_intact();
}

/// The last role, stuck rewriting a file it already wrote, is asked for its report with no tool
/// to call (on qwen2.5-coder-1.5b the release manager wrote CHANGELOG.md again and again until
/// the denial limit, although each answer told it to finish in plain text): the request after
/// the refused repeat says `tool_choice: none`, and the plain-text answer ends the run as
/// finished with the changelog written once.
#[test]
fn the_last_role_stuck_on_a_repeat_is_asked_for_its_report_without_tools() {
    let runtime = runtime();
    let project = Project::initialized();
    let endpoint = mock(
        &runtime,
        [
            up_to_s08(),
            vec![
                record(),
                handoff("release-manager", "recorded; write the changelog"),
                changelog(),
                // Unchanged: "already holds this content"; then the same answer again, noted;
                // then refused.
                changelog(),
                changelog(),
                changelog(),
                text("Wrote the 0.1.0 section of CHANGELOG.md; nothing is left."),
            ],
        ]
        .concat(),
    );
    let resumed = through_s08_and_resumed(&project, &endpoint);
    let requests = endpoint.chat_requests();
    let last = &requests.last().unwrap().body;
    assert_eq!(last["tool_choice"], "none", "{last:#}");
    // The tools stay listed: the conversation's earlier calls keep their definitions.
    assert!(offered_tools(last).contains(&"fs_write".to_owned()));
    let asked = last["messages"].as_array().unwrap().last().unwrap();
    assert_eq!(asked["role"], "user");
    assert_contains(
        asked["content"].as_str().unwrap(),
        "Your part of this task ends here. Make no more tool calls: reply to this message with \
         your report to a human in two or three plain sentences (not JSON, not a tool call)",
    );
    let denied = project.events("tool.denied");
    assert_eq!(denied.len(), 1, "{denied:#?}");
    assert_eq!(denied[0]["persona"], "release-manager");
    assert_eq!(denied[0]["details"]["rule"], "repeated call");
    let ended = project.events("run.finished");
    assert_eq!(ended.len(), 1, "{ended:#?}");
    assert_contains(&stderr_of(&resumed), "finished");
    assert_eq!(project.read("CHANGELOG.md"), "# Changelog\n\n## 0.1.0\n");
    assert_eq!(project.events("file.diff").len(), 2);
    project.assert_audit_intact();
}

/// A model stuck on one call (on qwen2.5-coder-1.5b: DevOps, handed the task back, read
/// AGENTS.md until its 40-turn limit) ends the run at the denial limit, with a reason, long
/// before the turn limit: every refused repeat counts toward `max_denials`.
#[test]
fn a_call_repeated_in_a_loop_ends_the_run_at_the_denial_limit() {
    let runtime = runtime();
    let project = Project::initialized();
    project.edit_config(&[("max_denials = 10", "max_denials = 3")]);
    let read_agents = || tool_call("fs_read", json!({"path": "AGENTS.md"}));
    let mut script: Vec<_> = (0..8).map(|_| read_agents()).collect();
    script.push(text("never asked"));
    let endpoint = mock(&runtime, script);
    let run = expect(
        &project,
        &endpoint,
        &["run", "orch-planner", "--task", "T-155", "--json"],
        1,
    );
    let report: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    assert_eq!(
        report["reason"],
        "3 tool calls were denied (limit 3); the persona keeps asking for what it may not do",
        "{report:#}"
    );
    // Two reads ran; the next three were refused unrun; nothing more was asked.
    assert_eq!(endpoint.remaining(), 4);
    assert_eq!(project.events("tool.result").len(), 2);
    let denied = project.events("tool.denied");
    let rules: Vec<&str> = denied
        .iter()
        .map(|entry| entry["details"]["rule"].as_str().unwrap())
        .collect();
    assert_eq!(rules, ["repeated call"; 3]);
    project.assert_audit_intact();
}

/// A read of a file that does not exist yet but that the persona may write is answered with the
/// call that creates it (on qwen2.5-coder-1.5b, DevOps read the deployment record it was to
/// write, was told to list `docs`, and read it again until refused); a missing file outside the
/// write scope still gets the listing hint.
#[test]
fn reading_a_missing_file_the_persona_may_write_says_how_to_create_it() {
    let runtime = runtime();
    let project = Project::initialized();
    let endpoint = mock(
        &runtime,
        [
            up_to_s08(),
            vec![
                tool_call("fs_read", json!({"path": "docs/deployment.md"})),
                tool_call("fs_read", json!({"path": "docs/runbook.md"})),
                text("Stopping."),
            ],
        ]
        .concat(),
    );
    through_s08_and_resumed(&project, &endpoint);
    let told = last_tool_messages(&endpoint);
    assert_eq!(
        told,
        [
            "error (not_found): `docs/deployment.md` does not exist yet. You may create it: call \
             fs_write with {\"path\": \"docs/deployment.md\", \"content\": \"...\"} (the whole \
             text of the file)",
            "error (not_found): `docs/runbook.md` does not exist; to see the names that do, call \
             fs_list with {\"path\": \".\"}",
        ]
    );
    let results = project.events("tool.result");
    let last = &results[results.len() - 2..];
    assert!(
        last.iter()
            .all(|entry| entry["details"]["error_kind"] == "not_found"),
        "{last:#?}"
    );
}

/// Writing the content a file already holds changes nothing: no `file.diff` entry, no "changed"
/// line, and the answer says how the persona goes on (on qwen2.5-coder-1.5b, DevOps wrote the
/// same deployment record three times instead of handing off).
#[test]
fn writing_the_same_content_again_changes_nothing_and_says_how_to_go_on() {
    let runtime = runtime();
    let project = Project::initialized();
    // A team whose release manager may send work back to DevOps (the shipped one may not).
    project.edit(
        "personas/release-manager.md",
        &[("handoffs: []\n", "handoffs: [ops-devops]\n")],
    );
    let endpoint = mock(
        &runtime,
        [
            up_to_s08(),
            vec![
                record(),
                record(),
                handoff("release-manager", "recorded; write the changelog"),
                changelog(),
                changelog(),
                text("Done."),
            ],
        ]
        .concat(),
    );
    let resumed = through_s08_and_resumed(&project, &endpoint);
    let outputs: Vec<String> = project
        .events("tool.result")
        .iter()
        .filter(|entry| entry["details"]["tool"] == "fs_write")
        .map(|entry| entry["details"]["output"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(outputs.len(), 4, "{outputs:#?}");
    assert_eq!(
        outputs[1],
        "`docs/deployment.md` already holds this content; nothing was written. Writing it again \
         changes nothing; when your part is done, hand off with `handoff` to release-manager, \
         who works next on this task in gate order (your targets: release-manager, \
         qa-engineer), or finish with a plain-text answer."
    );
    // The release manager's one target already did its part: it is told to finish, not to
    // hand the task back (on qwen it handed the finished task back to DevOps).
    let told = last_tool_messages(&endpoint);
    assert_eq!(told.len(), 2, "{told:?}");
    assert_eq!(
        told[1],
        "`CHANGELOG.md` already holds this content; nothing was written. Writing it again \
         changes nothing; when your part is done, finish with a plain-text answer (no tool \
         call): none of your handoff targets (ops-devops) has work left on this task, so hand \
         off only to send work back."
    );
    assert_eq!(project.events("file.diff").len(), 2);
    let stderr = stderr_of(&resumed);
    assert_eq!(
        stderr.matches("docs/deployment.md (+").count(),
        1,
        "{stderr}"
    );
    assert_eq!(stderr.matches("CHANGELOG.md (+").count(), 1, "{stderr}");
    assert_eq!(project.read("docs/deployment.md"), "# Deployment\n");
}
