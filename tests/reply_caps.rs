//! End-to-end tests of the caps on what a model controls (`[limits]` max_reply_*,
//! max_tool_calls_per_reply, max_denials inside a reply, max_tool_argument_bytes, handoff and
//! gate evidence sizes), driving the real binary against the mock endpoint and checking what
//! reached the disk, the audit log and the next model.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::{Duration, Instant};

use agentctl_test_support::MockReply;
use common::{assert_contains, mock, runtime, stderr_of, tool_call, tool_results, Project};
use serde_json::json;

/// Peak resident memory allowed to agentctl while an endpoint floods it.
const PEAK_RSS_LIMIT_KIB: u64 = 200 * 1024;

/// Runs `agentctl run qa-engineer --task T-154` against `base_url` and returns its exit code,
/// stderr and the highest `VmHWM` (peak resident set, KiB) read from /proc while it ran.
fn run_measuring_peak(project: &Project, base_url: &str) -> (Option<i32>, String, u64) {
    let mut command = std::process::Command::new(assert_cmd::cargo::cargo_bin("agentctl"));
    command
        .current_dir(&project.root)
        .args(["run", "qa-engineer", "--task", "T-154"])
        .env_remove("OPENAI_API_KEY")
        .env_remove("AGENTCTL_MODEL")
        .env_remove("AGENTCTL_LOG")
        .env("AGENTCTL_CACHE_DIR", project.root.join(".test-cache"))
        .env("OPENAI_BASE_URL", base_url)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped());
    let mut child = command.spawn().unwrap();
    let status_file = format!("/proc/{}/status", child.id());
    let started = Instant::now();
    let mut peak_kib = 0;
    let status = loop {
        if let Ok(text) = std::fs::read_to_string(&status_file) {
            if let Some(kib) = text
                .lines()
                .find_map(|line| line.strip_prefix("VmHWM:"))
                .and_then(|rest| {
                    rest.trim()
                        .trim_end_matches("kB")
                        .trim()
                        .parse::<u64>()
                        .ok()
                })
            {
                peak_kib = peak_kib.max(kib);
            }
        }
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > Duration::from_secs(60) || peak_kib > 4 * PEAK_RSS_LIMIT_KIB {
            child.kill().unwrap();
            child.wait().unwrap();
            panic!(
                "agentctl kept reading an endless reply: peak {peak_kib} KiB after {:?}",
                started.elapsed()
            );
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    (status.code(), stderr, peak_kib)
}

fn assert_endless_reply_is_cut(stream: bool) {
    let runtime = runtime();
    let project = Project::example();
    if !stream {
        project.edit_config(&[("stream = true", "stream = false")]);
    }
    let endpoint = mock(&runtime, vec![MockReply::Endless]);
    let (code, stderr, peak_kib) = run_measuring_peak(&project, &endpoint.base_url());
    assert_eq!(code, Some(1), "{stderr}");
    assert_contains(&stderr, "max_reply_bytes");
    assert!(
        peak_kib > 0 && peak_kib < PEAK_RSS_LIMIT_KIB,
        "peak RSS {peak_kib} KiB"
    );
    let errors = project.events("model.error");
    assert_eq!(errors.len(), 1);
    assert!(
        errors[0]["details"]["error"]
            .as_str()
            .unwrap()
            .contains("max_reply_bytes"),
        "{}",
        errors[0]
    );
    // A cap is final: the endless reply is not asked for again.
    assert_eq!(endpoint.chat_requests().len(), 1);
    project.assert_audit_intact();
}

#[test]
fn an_endless_streamed_reply_ends_the_run_in_bounded_memory() {
    assert_endless_reply_is_cut(true);
}

#[test]
fn an_endless_plain_reply_ends_the_run_in_bounded_memory() {
    assert_endless_reply_is_cut(false);
}

#[test]
fn a_reply_over_the_token_cap_ends_the_run() {
    let runtime = runtime();
    let project = Project::example();
    project.edit_config(&[(
        "max_ping_pong = 2",
        "max_ping_pong = 2\nmax_reply_tokens = 3",
    )]);
    // The mock reports about one completion token per four bytes: 25 here.
    let endpoint = mock(&runtime, vec![common::text(&"word ".repeat(20))]);
    let output = project.expect(&endpoint, &["run", "qa-engineer", "--task", "T-154"], 1);
    assert_contains(&stderr_of(&output), "max_reply_tokens");
    assert_eq!(project.events("model.error").len(), 1);
}

#[test]
fn a_reply_over_the_time_cap_ends_the_run() {
    let runtime = runtime();
    let project = Project::example();
    project.edit_config(&[(
        "max_ping_pong = 2",
        "max_ping_pong = 2\nmax_reply_seconds = 1",
    )]);
    let endpoint = mock(
        &runtime,
        vec![MockReply::Delay(
            Duration::from_secs(30),
            Box::new(common::text("late")),
        )],
    );
    let started = Instant::now();
    let output = project.expect(&endpoint, &["run", "qa-engineer", "--task", "T-154"], 1);
    assert!(started.elapsed() < Duration::from_secs(20));
    assert_contains(&stderr_of(&output), "max_reply_seconds");
}

#[test]
fn thousands_of_tool_calls_in_one_reply_run_only_up_to_the_cap() {
    let runtime = runtime();
    let project = Project::example();
    // With the default reply caps a reply this long never arrives (8 MB of stream, about
    // 60,000 tokens); raise them so the cap on calls per reply is what bites.
    project.edit_config(&[
        ("token_budget = 60000", "token_budget = 100000000"),
        (
            "max_ping_pong = 2",
            "max_ping_pong = 2\nmax_reply_bytes = 67108864\nmax_reply_tokens = 10000000",
        ),
    ]);
    // Each call reads another path: identical calls past the second would be refused as
    // repeats (repeated_call), and this test is about the cap alone.
    let calls: Vec<(String, String)> = (0..8000)
        .map(|index| {
            (
                "fs_read".to_owned(),
                json!({"path": format!("notes/{index}.md")}).to_string(),
            )
        })
        .collect();
    let endpoint = mock(
        &runtime,
        vec![MockReply::ToolCalls(calls), common::text("done")],
    );
    let output = project
        .agentctl_with(&endpoint)
        .args(["run", "qa-engineer", "--task", "T-154"])
        .output()
        .unwrap();
    // 7,968 denials are over max_denials: the run stops before another model turn.
    assert_eq!(output.status.code(), Some(1), "{}", stderr_of(&output));
    assert_eq!(endpoint.chat_requests().len(), 1);
    assert_eq!(project.events("tool.allowed").len(), 32);
    assert_eq!(project.events("tool.result").len(), 32);
    let limits = project.events("limit.reached");
    assert_eq!(limits.len(), 1, "{limits:?}");
    let details = &limits[0]["details"];
    assert_eq!(details["limit"], "max_tool_calls_per_reply");
    assert_eq!(details["requested"], 8000);
    assert_eq!(details["denied"], 7968);
    let finished = project.events("run.finished");
    assert!(
        finished[0]["details"]["reason"]
            .as_str()
            .unwrap()
            .contains("7968 tool calls were denied"),
        "{}",
        finished[0]
    );
    project.assert_audit_intact();
}

#[test]
fn calls_over_the_cap_are_told_why_and_the_run_goes_on_when_few() {
    let runtime = runtime();
    let project = Project::example();
    project.edit_config(&[(
        "max_ping_pong = 2",
        "max_ping_pong = 2\nmax_tool_calls_per_reply = 2",
    )]);
    let calls: Vec<(String, String)> = (0..3)
        .map(|_| ("fs_list".to_owned(), json!({"path": "."}).to_string()))
        .collect();
    let endpoint = mock(
        &runtime,
        vec![MockReply::ToolCalls(calls), common::text("done")],
    );
    project.expect(&endpoint, &["run", "qa-engineer", "--task", "T-154"], 0);
    assert_eq!(project.events("tool.allowed").len(), 2);
    let requests = endpoint.chat_requests();
    let messages = requests[1].body["messages"].as_array().unwrap();
    let denied: Vec<String> = tool_results(&requests[1].body)
        .into_iter()
        .filter(|content| content.starts_with("denied:"))
        .collect();
    assert_eq!(denied.len(), 1, "{messages:?}");
    assert!(
        denied[0].contains("max_tool_calls_per_reply"),
        "{}",
        denied[0]
    );
}

#[test]
fn the_denial_limit_stops_a_reply_in_the_middle() {
    let runtime = runtime();
    let project = Project::example();
    // max_denials is 5 in the example. Six writes outside qa-engineer's scope, then a write it
    // may do: the sixth write and the allowed one must never be decided or run.
    let mut calls: Vec<(String, String)> = (0..6)
        .map(|index| {
            (
                "fs_write".to_owned(),
                json!({"path": format!("deploy/evil-{index}.yaml"), "content": "x"}).to_string(),
            )
        })
        .collect();
    calls.push((
        "fs_write".to_owned(),
        json!({"path": "tests/after-limit.txt", "content": "should not exist"}).to_string(),
    ));
    let endpoint = mock(
        &runtime,
        vec![MockReply::ToolCalls(calls), common::text("done")],
    );
    project.expect(&endpoint, &["run", "qa-engineer", "--task", "T-154"], 1);
    assert_eq!(endpoint.chat_requests().len(), 1);
    assert_eq!(project.events("tool.denied").len(), 5);
    assert!(project.events("tool.allowed").is_empty());
    assert!(!project.path("tests/after-limit.txt").exists());
    let limits = project.events("limit.reached");
    assert_eq!(limits.len(), 1);
    assert_eq!(limits[0]["details"]["limit"], "max_denials");
    assert_eq!(limits[0]["details"]["not_run"], 2);
}

#[test]
fn arguments_over_the_cap_are_denied_before_the_policy() {
    let runtime = runtime();
    let project = Project::example();
    project.edit_config(&[(
        "max_ping_pong = 2",
        "max_ping_pong = 2\nmax_tool_argument_bytes = 1000",
    )]);
    let endpoint = mock(
        &runtime,
        vec![
            tool_call(
                "fs_write",
                json!({"path": "tests/big.txt", "content": "y".repeat(5000)}),
            ),
            common::text("done"),
        ],
    );
    project.expect(&endpoint, &["run", "qa-engineer", "--task", "T-154"], 0);
    assert!(!project.path("tests/big.txt").exists());
    let denied = project.events("tool.denied");
    assert_eq!(denied.len(), 1);
    assert_eq!(denied[0]["details"]["rule"], "argument size");
    let requests = endpoint.chat_requests();
    let told = requests[1].body["messages"].to_string();
    assert_contains(&told, "max_tool_argument_bytes");
}

#[test]
fn a_huge_handoff_summary_is_cut_before_the_audit_log_and_the_next_model() {
    let runtime = runtime();
    let project = Project::example();
    // Large enough caps on the reply and the call that the 4 MB summary reaches the handoff
    // (the mock counts about a million tokens for it).
    project.edit_config(&[
        ("token_budget = 60000", "token_budget = 100000000"),
        (
            "max_ping_pong = 2",
            "max_ping_pong = 2\nmax_reply_bytes = 16777216\nmax_reply_tokens = 10000000\n\
             max_tool_argument_bytes = 16777216",
        ),
    ]);
    let summary = format!("START{}END", "s".repeat(4_000_000));
    let endpoint = mock(
        &runtime,
        vec![
            tool_call(
                "handoff",
                json!({"to": "ops-devops", "summary": summary, "items": ["i".repeat(10_000)]}),
            ),
            common::text("deployed"),
        ],
    );
    project.expect(&endpoint, &["run", "qa-engineer", "--task", "T-154"], 0);
    let audit_bytes = std::fs::metadata(project.path("AUDIT_LOG.md"))
        .unwrap()
        .len();
    assert!(audit_bytes < 200_000, "audit log is {audit_bytes} bytes");
    let handoffs = project.events("handoff");
    let recorded = handoffs[0]["details"]["summary"].as_str().unwrap();
    assert!(recorded.len() < 17_000, "{}", recorded.len());
    assert!(recorded.starts_with("START") && recorded.ends_with("END"));
    assert!(recorded.contains("bytes cut"), "the cut must be visible");
    let requests = endpoint.chat_requests();
    let briefing = requests[1].body["messages"][1]["content"].as_str().unwrap();
    assert!(
        briefing.len() < 40_000,
        "briefing is {} bytes",
        briefing.len()
    );
    assert!(briefing.contains("bytes cut"), "{}", &briefing[..200]);
    let limits: Vec<String> = project
        .events("limit.reached")
        .iter()
        .map(|entry| entry["details"]["limit"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        limits,
        vec!["max_handoff_summary_bytes", "max_handoff_items"]
    );
    project.assert_audit_intact();
}

#[test]
fn gate_evidence_is_cut_before_project_state() {
    let runtime = runtime();
    let project = Project::example();
    let evidence = format!("BEGIN{}FINISH", "e".repeat(100_000));
    let endpoint = mock(
        &runtime,
        vec![
            tool_call(
                "gate_report",
                json!({"gate": "S06", "status": "passed", "evidence": evidence}),
            ),
            common::text("done"),
        ],
    );
    let before = std::fs::metadata(project.path("PROJECT_STATE.md"))
        .map(|metadata| metadata.len())
        .unwrap_or(0);
    project.expect(&endpoint, &["run", "qa-engineer", "--task", "T-154"], 0);
    let state = project.read("PROJECT_STATE.md");
    assert!(
        (state.len() as u64) < before + 10_000,
        "PROJECT_STATE.md grew by {}",
        state.len() as u64 - before
    );
    assert_contains(&state, "BEGIN");
    let limits = project.events("limit.reached");
    assert_eq!(limits.len(), 1);
    assert_eq!(limits[0]["details"]["limit"], "max_gate_evidence_bytes");
    let told = endpoint.chat_requests()[1].body["messages"].to_string();
    assert_contains(&told, "max_gate_evidence_bytes");
}
