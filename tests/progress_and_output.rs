//! What `run` shows while it works and when it ends: the live status line and colours on a
//! terminal, plain bytes off one, `NO_COLOR`, `--quiet`, `-v` tracing, the run summary, shell
//! completions and the manual page, and the retry policy for slow single-slot servers.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use agentctl_test_support::MockReply;
use common::{
    assert_contains, bash_call, expect_exit, line_containing, mock, runtime, stderr_of, stdout_of,
    text, tool_call, Project,
};
use serde_json::json;

/// Two denials (a command outside the policy, a path outside the workspace), one read, one
/// write, and the answer: the numbers the summary must show.
fn scripted_run() -> Vec<MockReply> {
    vec![
        bash_call("rm -rf /"),
        tool_call("fs_read", json!({ "path": "/etc/passwd" })),
        tool_call("fs_read", json!({ "path": "docs/notes.txt" })),
        tool_call(
            "fs_write",
            json!({ "path": "deploy/notes.md", "content": "rollout notes\n" }),
        ),
        text("Done."),
    ]
}

fn project() -> Project {
    let project = Project::example();
    project.write("docs/notes.txt", "notes\n");
    project
}

/// The line of `summary` that starts with `label` (after its indent).
fn summary_line<'a>(stderr: &'a str, label: &str) -> &'a str {
    let start = stderr
        .find("summary:")
        .unwrap_or_else(|| panic!("no summary:\n{stderr}"));
    stderr[start..]
        .lines()
        .find(|line| line.trim_start().starts_with(label))
        .unwrap_or_else(|| panic!("no {label} line in the summary:\n{stderr}"))
}

#[test]
fn off_a_terminal_the_output_is_plain_and_the_summary_matches_the_run() {
    let runtime = runtime();
    let project = project();
    let endpoint = mock(&runtime, scripted_run());
    let output = project.expect(
        &endpoint,
        &["run", "ops-devops", "--task", "T-154", "--json"],
        0,
    );
    let stderr = stderr_of(&output);
    for (name, bytes) in [("stdout", &output.stdout), ("stderr", &output.stderr)] {
        assert!(
            !bytes.contains(&0x1b),
            "{name} holds an ESC byte off a terminal:\n{}",
            String::from_utf8_lossy(bytes).escape_debug()
        );
        assert!(!bytes.contains(&b'\r'), "{name} holds a carriage return");
    }
    // No status line off a terminal: each model call is announced by one plain line instead.
    assert!(!stderr.contains("no first token yet"), "{stderr}");
    assert_contains(
        &stderr,
        "\n[ops-devops] turn 1: waiting for the model…\n[ops-devops] turn 1: ",
    );
    let report: serde_json::Value = serde_json::from_str(&stdout_of(&output)).unwrap();
    let denials = report["denials"].as_u64().unwrap();
    let calls = report["tool_calls"].as_u64().unwrap();
    assert_eq!(denials, 2, "{report}");
    assert_eq!(project.events("tool.denied").len(), 2);
    assert_eq!(project.events("tool.allowed").len(), 2);
    assert_eq!(
        summary_line(&stderr, "turns:"),
        format!(
            "  turns: {}, handoffs: 0, tool calls: {} allowed, {denials} denied",
            report["turns"],
            calls - denials
        )
    );
    assert_eq!(
        summary_line(&stderr, "turns:"),
        "  turns: 5, handoffs: 0, tool calls: 2 allowed, 2 denied"
    );
    assert_eq!(
        summary_line(&stderr, "files changed:"),
        "  files changed: 1"
    );
    assert_eq!(project.read("deploy/notes.md"), "rollout notes\n");
    let usage = &report["usage"];
    assert_eq!(
        summary_line(&stderr, "tokens:"),
        format!(
            "  tokens: {} ({} prompt + {} completion)",
            usage["prompt_tokens"].as_u64().unwrap() + usage["completion_tokens"].as_u64().unwrap(),
            usage["prompt_tokens"],
            usage["completion_tokens"]
        )
    );
    assert_eq!(summary_line(&stderr, "personas:"), "  personas: ops-devops");
    assert!(
        summary_line(&stderr, "finished").starts_with("  finished: "),
        "{stderr}"
    );
    assert!(summary_line(&stderr, "time:").starts_with("  time: "));
    // The per-event lines are there too, plain.
    assert_contains(&stderr, "\n  DENIED   execute_bash rm -rf /");
    assert_contains(&stderr, "\n  allowed  fs_read docs/notes.txt");
}

#[test]
fn clicolor_force_colours_a_pipe_and_no_color_wins_over_it() {
    let runtime = runtime();
    let project = project();
    let endpoint = mock(&runtime, scripted_run());
    let output = expect_exit(
        project
            .agentctl_with(&endpoint)
            .env("CLICOLOR_FORCE", "1")
            .args(["run", "ops-devops", "--task", "T-154"]),
        0,
    );
    let stderr = stderr_of(&output);
    let denied = line_containing(&stderr, "DENIED");
    assert!(
        denied.starts_with("\u{1b}[") && denied.contains("DENIED\u{1b}[0m"),
        "{}",
        denied.escape_debug()
    );
    // The final answer on stdout stays data: never coloured.
    assert!(!output.stdout.contains(&0x1b));

    let project = self::project();
    let endpoint = mock(&runtime, scripted_run());
    let output = expect_exit(
        project
            .agentctl_with(&endpoint)
            .env("CLICOLOR_FORCE", "1")
            .env("NO_COLOR", "1")
            .args(["run", "ops-devops", "--task", "T-154"]),
        0,
    );
    assert!(
        !output.stderr.contains(&0x1b),
        "{}",
        stderr_of(&output).escape_debug()
    );
}

#[test]
fn quiet_prints_only_the_summary() {
    let runtime = runtime();
    let project = project();
    let endpoint = mock(&runtime, scripted_run());
    let output = project.expect(
        &endpoint,
        &["run", "ops-devops", "--task", "T-154", "--quiet"],
        0,
    );
    let stderr = stderr_of(&output);
    assert_eq!(stdout_of(&output), "Done.\n");
    assert!(stderr.starts_with("summary: run "), "{stderr}");
    for noise in ["DENIED   ", "allowed  ", "] turn ", "starting with"] {
        assert!(
            !stderr.contains(noise),
            "{noise:?} in --quiet output:\n{stderr}"
        );
    }
    assert_eq!(
        summary_line(&stderr, "turns:"),
        "  turns: 5, handoffs: 0, tool calls: 2 allowed, 2 denied"
    );
}

#[test]
fn verbose_traces_endpoint_requests_and_policy_decisions_without_the_key() {
    let runtime = runtime();
    let project = project();
    let endpoint = mock(&runtime, scripted_run());
    let key = "sk-test-0123456789abcdef-secret";
    let output = expect_exit(
        project
            .agentctl_with(&endpoint)
            .env("OPENAI_API_KEY", key)
            .args(["-v", "run", "ops-devops", "--task", "T-154"]),
        0,
    );
    let stderr = stderr_of(&output);
    let request = line_containing(&stderr, "endpoint request");
    assert_contains(request, "method=POST");
    assert!(
        request.contains(&format!("url={}/chat/completions", endpoint.base_url())),
        "{request}"
    );
    assert_contains(request, "status=200");
    assert_contains(request, "elapsed_ms=");
    assert!(
        stderr
            .lines()
            .any(|line| line.contains("policy: denied") && line.contains("tool=execute_bash")),
        "{stderr}"
    );
    assert!(
        stderr.lines().any(|line| line.contains("policy: allowed")),
        "{stderr}"
    );
    // The key went to the server, and nowhere on the terminal.
    assert_eq!(
        endpoint.chat_requests()[0]
            .headers
            .get("authorization")
            .map(String::as_str),
        Some(format!("Bearer {key}").as_str())
    );
    assert!(!stderr.contains(key), "the API key reached stderr");
    assert!(!stderr.contains("0123456789abcdef"));
}

#[test]
fn a_server_error_is_retried_and_said_so() {
    let runtime = runtime();
    let project = project();
    let endpoint = mock(
        &runtime,
        vec![
            MockReply::Status {
                code: 503,
                body: "{\"error\":{\"message\":\"loading model\"}}".to_owned(),
                retry_after: Some("1".to_owned()),
            },
            text("Done."),
        ],
    );
    let output = project.expect(&endpoint, &["run", "ops-devops", "--task", "T-154"], 0);
    let stderr = stderr_of(&output);
    assert_contains(
        &stderr,
        "endpoint: HTTP 503: loading model; retrying in 1.0s (attempt 2 of 3)",
    );
    assert_eq!(endpoint.chat_requests().len(), 2);
}

#[test]
fn a_request_a_slow_server_is_still_working_on_is_never_sent_again() {
    let runtime = runtime();
    let project = project();
    project.edit_config(&[(
        "timeout_s = 120",
        "timeout_s = 120\nfirst_token_timeout_s = 1",
    )]);
    let endpoint = mock(
        &runtime,
        vec![MockReply::Hang, MockReply::Hang, text("late")],
    );
    let started = std::time::Instant::now();
    let output = project.expect(&endpoint, &["run", "ops-devops", "--task", "T-154"], 1);
    let stderr = stderr_of(&output);
    assert_eq!(
        endpoint.chat_requests().len(),
        1,
        "the request was sent again"
    );
    assert!(started.elapsed() < Duration::from_secs(20));
    assert_contains(&stderr, "first_token_timeout_s");
    assert_contains(&stderr, "not sent again");
    assert!(summary_line(&stderr, "FAILED").contains("the model endpoint did not answer"));
}

#[test]
fn a_slow_first_token_is_waited_for_not_cut_by_the_silence_timeout() {
    let runtime = runtime();
    let project = project();
    project.edit_config(&[("timeout_s = 120", "timeout_s = 1")]);
    let endpoint = mock(
        &runtime,
        vec![MockReply::Delay(
            Duration::from_millis(2500),
            Box::new(text("Thought it over.")),
        )],
    );
    let output = project.expect(&endpoint, &["run", "ops-devops", "--task", "T-154"], 0);
    assert_eq!(stdout_of(&output), "Thought it over.\n");
    assert_eq!(endpoint.chat_requests().len(), 1);
}

#[test]
fn bash_completion_parses_and_names_every_subcommand() {
    let project = Project::example();
    let output = project.expect_offline(&["completions", "bash"], 0);
    let script = stdout_of(&output);
    let path = project.path("agentctl.bash");
    std::fs::write(&path, &script).unwrap();
    let check = std::process::Command::new("bash")
        .arg("-n")
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
    for subcommand in [
        "init",
        "run",
        "resume",
        "chat",
        "approve",
        "reject",
        "audit",
        "gates",
        "lint",
        "doctor",
        "completions",
        "man",
    ] {
        assert!(
            script.contains(&format!("agentctl,{subcommand})")),
            "{subcommand} is not completed"
        );
    }
    for shell in ["zsh", "fish"] {
        let output = project.expect_offline(&["completions", shell], 0);
        assert!(stdout_of(&output).contains("resume"));
    }
    project.expect_offline(&["completions", "tcsh"], 2);
}

#[test]
fn man_prints_a_manual_page() {
    let project = Project::example();
    let output = expect_exit(project.agentctl().arg("man"), 0);
    let page = stdout_of(&output);
    assert_contains(&page, ".TH agentctl 1");
    assert!(page.contains("completions"));
}

/// On a pseudo-terminal: the status line appears while the model thinks and is gone once it
/// answered; DENIED is coloured unless `NO_COLOR` is set.
#[cfg(unix)]
mod terminal {
    use super::*;
    use rexpect::process::WaitStatus;

    fn on_terminal(project: &Project, base_url: &str, no_color: bool) -> (String, i32) {
        let mut command = std::process::Command::new(assert_cmd::cargo::cargo_bin("agentctl"));
        command
            .current_dir(&project.root)
            .env_remove("OPENAI_API_KEY")
            .env_remove("AGENTCTL_MODEL")
            .env_remove("AGENTCTL_LOG")
            .env_remove("RUST_LOG")
            .env_remove("CLICOLOR_FORCE")
            .env_remove("CLICOLOR")
            .env_remove("AGENTCTL_STATUS_LINE")
            .env("AGENTCTL_CACHE_DIR", project.root.join(".test-cache"))
            .env("OPENAI_BASE_URL", base_url)
            .env("TERM", "xterm")
            .args(["run", "ops-devops", "--task", "T-154"]);
        if no_color {
            command.env("NO_COLOR", "1");
        } else {
            command.env_remove("NO_COLOR");
        }
        let options = rexpect::reader::Options::new()
            .timeout_ms(Some(30_000))
            .strip_ansi_escape_codes(false);
        let mut session = rexpect::spawn_with_options(command, options).unwrap();
        let bytes: Vec<u8> = session
            .exp_eof()
            .unwrap()
            .chars()
            .map(|character| u8::try_from(u32::from(character)).unwrap())
            .collect();
        let code = match session.process().wait().unwrap() {
            WaitStatus::Exited(_, code) => code,
            other => panic!("agentctl did not exit normally: {other:?}"),
        };
        (String::from_utf8(bytes).unwrap(), code)
    }

    /// What stays on screen of each line: the text after the last carriage return, without
    /// the erase-line sequence (what a terminal shows once the status line is cleared).
    fn visible_lines(output: &str) -> Vec<String> {
        output
            .replace("\r\n", "\n")
            .split('\n')
            .map(|line| {
                let line = line.rsplit('\r').next().unwrap_or(line);
                line.replace("\u{1b}[2K", "")
            })
            .collect()
    }

    fn delayed_run() -> Vec<MockReply> {
        let mut replies = scripted_run();
        replies[0] = MockReply::Delay(Duration::from_millis(1500), Box::new(replies[0].clone()));
        replies
    }

    #[test]
    fn the_status_line_shows_while_the_model_works_and_is_cleared() {
        let runtime = runtime();
        let project = project();
        let endpoint = mock(&runtime, delayed_run());
        let (output, code) = on_terminal(&project, &endpoint.base_url(), false);
        assert_eq!(code, 0, "{}", output.escape_debug());
        assert!(
            output.contains("[ops-devops] turn 1: waiting for the model (no first token yet, 1s)"),
            "{}",
            output.escape_debug()
        );
        let visible = visible_lines(&output);
        assert!(
            !visible
                .iter()
                .any(|line| line.contains("waiting for the model")),
            "the status line stayed on screen:\n{}",
            visible.join("\n")
        );
        // Every event line stands alone on screen.
        let denied: Vec<&String> = visible
            .iter()
            .filter(|line| line.contains("DENIED"))
            .collect();
        assert_eq!(denied.len(), 2, "{}", visible.join("\n"));
        for line in &denied {
            assert!(
                line.starts_with("\u{1b}[1m\u{1b}[31m  DENIED\u{1b}[0m   "),
                "{}",
                line.escape_debug()
            );
        }
        assert!(
            visible.iter().any(
                |line| line.starts_with("\u{1b}[32m  allowed\u{1b}[0m  fs_read docs/notes.txt")
            ),
            "{}",
            output.escape_debug()
        );
        assert!(visible
            .iter()
            .any(|line| line.starts_with("\u{1b}[1msummary:\u{1b}[0m run ")));
    }

    #[test]
    fn no_color_on_a_terminal_keeps_the_status_line_and_drops_the_colours() {
        let runtime = runtime();
        let project = project();
        let endpoint = mock(&runtime, delayed_run());
        let (output, code) = on_terminal(&project, &endpoint.base_url(), true);
        assert_eq!(code, 0, "{}", output.escape_debug());
        assert!(
            output.contains("waiting for the model"),
            "{}",
            output.escape_debug()
        );
        // No SGR (colour) sequence at all: ESC [ digits/semicolons m.
        let sgr = regex_free_sgr(&output);
        assert!(
            sgr.is_none(),
            "a colour sequence {sgr:?} in:\n{}",
            output.escape_debug()
        );
        assert!(visible_lines(&output)
            .iter()
            .any(|line| line.starts_with("  DENIED   execute_bash rm -rf /")));
    }

    /// The first `ESC [ … m` sequence in `text`, if any.
    fn regex_free_sgr(text: &str) -> Option<String> {
        let mut rest = text;
        while let Some(start) = rest.find("\u{1b}[") {
            let after = &rest[start + 2..];
            let end = after
                .find(|character: char| !(character.is_ascii_digit() || character == ';'))
                .unwrap_or(after.len());
            if after[end..].starts_with('m') {
                return Some(format!("ESC[{}m", &after[..end]));
            }
            rest = after;
        }
        None
    }
}

#[test]
fn the_summary_says_who_a_paused_run_waits_for_and_resume_sums_up_the_whole_run() {
    let runtime = runtime();
    let project = common::project_with_approval_rule();
    let endpoint = mock(
        &runtime,
        vec![
            tool_call("fs_read", json!({ "path": "/etc/passwd" })),
            bash_call("echo approved >> deploy/marker.txt"),
            text("Done."),
        ],
    );
    let output = project.expect(&endpoint, &["run", "ops-devops", "--task", "T-154"], 3);
    let stderr = stderr_of(&output);
    let ended = summary_line(&stderr, "paused");
    assert!(
        ended.starts_with("  paused: at gate S") && ended.contains("what ops-devops asked"),
        "{ended}"
    );
    assert_eq!(
        summary_line(&stderr, "turns:"),
        "  turns: 2, handoffs: 0, tool calls: 0 allowed, 1 denied"
    );
    // The next commands follow the summary.
    let after = &stderr[stderr.find("summary:").unwrap()..];
    assert_contains(after, "approve: agentctl approve T-154 --gate S");
    assert_contains(after, "then:    agentctl resume T-154");

    project.expect_offline(&["approve", "T-154", "--by", "alice"], 0);
    let resumed = project.expect(&endpoint, &["resume", "T-154"], 0);
    let stderr = stderr_of(&resumed);
    assert!(
        summary_line(&stderr, "finished").starts_with("  finished: "),
        "{stderr}"
    );
    // The whole run: both turns before the pause and the one after it, the earlier denial.
    assert_eq!(
        summary_line(&stderr, "turns:"),
        "  turns: 3, handoffs: 0, tool calls: 1 allowed, 1 denied"
    );
    assert_eq!(project.read("deploy/marker.txt"), "approved\n");
}

/// A model call the mock answers only after 2.5 s, with heartbeats every 0.5 s.
fn slow_reply_run(
    project: &Project,
    endpoint: &agentctl_test_support::MockEndpoint,
    quiet: bool,
) -> std::process::Output {
    let mut command = project.agentctl_with(endpoint);
    command.env("AGENTCTL_PROGRESS_EVERY", "0.5");
    if quiet {
        command.arg("--quiet");
    }
    command
        .args(["run", "ops-devops", "--task", "T-154"])
        .output()
        .unwrap()
}

#[test]
fn off_a_terminal_a_pending_model_call_prints_plain_heartbeat_lines_and_quiet_silences_them() {
    let runtime = runtime();
    let project = project();
    let slow = || {
        vec![MockReply::Delay(
            Duration::from_millis(2500),
            Box::new(text("Thought it over.")),
        )]
    };
    let endpoint = mock(&runtime, slow());
    let output = slow_reply_run(&project, &endpoint, false);
    let stderr = stderr_of(&output);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(
        !output.stderr.contains(&0x1b) && !output.stderr.contains(&b'\r'),
        "control codes off a terminal:\n{}",
        stderr.escape_debug()
    );
    let lines: Vec<&str> = stderr.lines().collect();
    let waiting = lines
        .iter()
        .position(|line| *line == "[ops-devops] turn 1: waiting for the model…")
        .unwrap_or_else(|| panic!("no waiting line:\n{stderr}"));
    let heartbeats: Vec<usize> = lines
        .iter()
        .enumerate()
        .filter(|(_, line)| {
            line.starts_with(
                "[ops-devops] turn 1: still waiting for the model (no first token yet, ",
            )
        })
        .map(|(index, _)| index)
        .collect();
    // 2.5 s at one line per 0.5 s: a few lines, never one per token or per tick of a spinner.
    assert!(
        (2..=6).contains(&heartbeats.len()),
        "{} heartbeat lines:\n{stderr}",
        heartbeats.len()
    );
    let done = lines
        .iter()
        .position(|line| {
            line.starts_with("[ops-devops] turn 1: ") && line.contains("completion tokens")
        })
        .unwrap_or_else(|| panic!("no line for the finished turn:\n{stderr}"));
    assert!(
        waiting < heartbeats[0] && heartbeats[heartbeats.len() - 1] < done,
        "{stderr}"
    );
    assert_eq!(stdout_of(&output), "Thought it over.\n");

    let endpoint = mock(&runtime, slow());
    let quiet = slow_reply_run(&project, &endpoint, true);
    let stderr = stderr_of(&quiet);
    assert_eq!(quiet.status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("waiting for the model"), "{stderr}");
    assert_contains(&stderr, "summary:");
}

#[test]
fn after_pause_approve_resume_the_summary_counts_both_halves_of_the_run() {
    let runtime = runtime();
    let project = common::project_with_approval_rule();
    let endpoint = mock(
        &runtime,
        vec![
            tool_call(
                "fs_write",
                json!({ "path": "deploy/before.md", "content": "before the pause\n" }),
            ),
            bash_call("echo approved >> deploy/marker.txt"),
            tool_call(
                "fs_write",
                json!({ "path": "deploy/after.md", "content": "after the pause\n" }),
            ),
            text("Done."),
        ],
    );
    let first = project.expect(
        &endpoint,
        &["run", "ops-devops", "--task", "T-154", "--json"],
        3,
    );
    let paused: serde_json::Value = serde_json::from_str(&stdout_of(&first)).unwrap();
    assert_eq!(paused["files_changed"], json!(["deploy/before.md"]));
    assert_eq!(paused["sessions"], 1);
    project.expect_offline(&["approve", "T-154", "--by", "alice"], 0);
    let resumed = project.expect(&endpoint, &["resume", "T-154", "--json"], 0);
    let stderr = stderr_of(&resumed);
    let report: serde_json::Value = serde_json::from_str(&stdout_of(&resumed)).unwrap();
    // The file the approved command created counts too, not only the fs_write targets.
    assert_eq!(
        report["files_changed"],
        json!(["deploy/after.md", "deploy/before.md", "deploy/marker.txt"])
    );
    assert_eq!(report["sessions"], 2);
    assert_eq!(report["turns"], 4);
    assert_eq!(report["tool_calls"], 3);
    assert!(
        report["worked_ms"].as_u64().unwrap() >= paused["worked_ms"].as_u64().unwrap(),
        "{report}"
    );
    // Tokens of both halves: more than the first half alone.
    assert!(
        report["usage"]["prompt_tokens"].as_u64().unwrap()
            > paused["usage"]["prompt_tokens"].as_u64().unwrap()
    );
    assert_eq!(
        summary_line(&stderr, "files changed:"),
        "  files changed: 3"
    );
    assert_eq!(
        summary_line(&stderr, "turns:"),
        "  turns: 4, handoffs: 0, tool calls: 3 allowed, 0 denied"
    );
    let time = summary_line(&stderr, "time:");
    assert!(time.ends_with(" across 2 sessions"), "{time}");
    assert_eq!(
        summary_line(&stderr, "tokens:"),
        format!(
            "  tokens: {} ({} prompt + {} completion)",
            report["usage"]["prompt_tokens"].as_u64().unwrap()
                + report["usage"]["completion_tokens"].as_u64().unwrap(),
            report["usage"]["prompt_tokens"],
            report["usage"]["completion_tokens"]
        )
    );
    assert_eq!(project.read("deploy/before.md"), "before the pause\n");
    assert_eq!(project.read("deploy/after.md"), "after the pause\n");
}

/// Files a command creates, changes or removes count like `fs_write`'s: in the summary, in the
/// `tool.result` entry, in `runs show` and on the review page. A command that changes nothing
/// records no list.
#[test]
fn files_a_command_changes_are_counted_shown_and_audited() {
    let runtime = runtime();
    let project = Project::example();
    project.edit_config(&[(
        "    \"git status\",\n",
        "    \"git status\",\n    \"echo *\",\n    \"rm deploy/*\",\n    \"sh tools/odd_name.sh\",\n",
    )]);
    project.write(
        "tools/odd_name.sh",
        "printf x > \"deploy/$(printf 'odd\\nfiles changed: none\\033[2J.txt')\"\n",
    );
    let endpoint = mock(
        &runtime,
        vec![
            bash_call("echo new > deploy/made.txt"),
            bash_call("echo '# reviewed' >> deploy/k8s/deployment.yaml"),
            bash_call("rm deploy/made.txt"),
            bash_call("git status"),
            // A file name is the program's to choose: it must not move the terminal's cursor
            // or start a line of its own in what a human reads.
            bash_call("sh tools/odd_name.sh"),
            text("Done."),
        ],
    );
    let run = project.expect(
        &endpoint,
        &["run", "ops-devops", "--task", "T-154", "--json"],
        0,
    );
    let report: serde_json::Value = serde_json::from_str(&stdout_of(&run)).unwrap();
    assert_eq!(
        project.events("tool.denied"),
        Vec::<serde_json::Value>::new()
    );
    assert_eq!(
        report["files_changed"],
        json!([
            "deploy/k8s/deployment.yaml",
            "deploy/made.txt",
            "deploy/odd\nfiles changed: none\u{1b}[2J.txt"
        ])
    );
    assert_eq!(
        summary_line(&stderr_of(&run), "files changed:"),
        "  files changed: 3"
    );
    assert!(!project.path("deploy/made.txt").exists());
    assert!(project
        .read("deploy/k8s/deployment.yaml")
        .ends_with("# reviewed\n"));

    let results = project.events("tool.result");
    assert_eq!(results.len(), 5, "{results:#?}");
    let changed: Vec<&serde_json::Value> = results
        .iter()
        .map(|entry| &entry["details"]["changed_files"])
        .collect();
    let expected = |created: &[&str], modified: &[&str], removed: &[&str]| {
        json!({
            "created": created, "modified": modified, "removed": removed,
            "count": created.len() + modified.len() + removed.len(), "complete": true,
        })
    };
    assert_eq!(*changed[0], expected(&["deploy/made.txt"], &[], &[]));
    assert_eq!(
        *changed[1],
        expected(&[], &["deploy/k8s/deployment.yaml"], &[])
    );
    assert_eq!(*changed[2], expected(&[], &[], &["deploy/made.txt"]));
    assert_eq!(
        *changed[3],
        serde_json::Value::Null,
        "git status changed nothing"
    );

    let shown = stdout_of(&project.expect_offline(&["runs", "show", "T-154"], 0));
    assert!(!shown.contains('\u{1b}'), "{shown}");
    assert!(
        !shown
            .lines()
            .any(|line| line.starts_with("files changed: none")),
        "{shown}"
    );
    for line in [
        "  deploy/made.txt (new by a command of ops-devops)",
        "  deploy/k8s/deployment.yaml (changed by a command of ops-devops)",
        "  deploy/made.txt (removed by a command of ops-devops)",
    ] {
        assert_contains(&shown, line);
    }
    project.expect_offline(&["audit", "export", "--html", "review.html"], 0);
    let page = project.read("review.html");
    assert_contains(
        &page,
        "files changed by the command: created <code class=\"path\">deploy/made.txt</code>;",
    );
    project.assert_audit_intact();
}
