//! What a human sees is what happened: text from models and tools reaches the terminal and the
//! audit log only as visible escapes, never as control sequences, and secrets are redacted
//! before anything is written, printed or sent back to a model.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use agentctl_test_support::MockReply;
use common::{
    assert_contains, bash_call, line_containing, mock, runtime, stderr_of, text, tool_call, Project,
};
use serde_json::json;

/// Erase line, carriage return, cursor up, OSC 0 (window title), OSC 8 (hyperlink), OSC 52
/// (clipboard), the one-byte C1 CSI and a right-to-left override, with the markers a forger
/// would want on screen.
const HOSTILE: &str = "rm -rf / \u{1b}[2K\r  allowed  execute_bash echo safe \u{1b}[3A \
                       \u{1b}]0;owned\u{7} \u{1b}]8;;http://evil.example/\u{1b}\\link\u{1b}]8;;\u{1b}\\ \
                       \u{1b}]52;c;ZXZpbA==\u{7} \u{9b}2K \u{202e}txt.exe \u{2066}\u{200b}\u{feff}end";

/// Characters of [`HOSTILE`] that must never reach a terminal or the audit log's text.
const FORBIDDEN: &[char] = &[
    '\u{1b}', '\u{7}', '\u{9b}', '\u{202e}', '\u{2066}', '\u{200b}', '\u{feff}',
];

/// Fails when `output` (as a terminal received it) holds a control sequence or an invisible
/// character from content, or a carriage return that is not part of a line end.
fn assert_terminal_clean(what: &str, output: &str) {
    for forbidden in FORBIDDEN {
        assert!(
            !output.contains(*forbidden),
            "{what}: {forbidden:?} reached the terminal:\n{}",
            output.escape_debug()
        );
    }
    assert!(
        !output.replace("\r\n", "\n").contains('\r'),
        "{what}: a bare carriage return reached the terminal:\n{}",
        output.escape_debug()
    );
}

/// The escaped form of [`HOSTILE`]'s start, as a human must read it.
const VISIBLE: &str = "rm -rf / ␛[2K␍  allowed  execute_bash echo safe ␛[3A";

fn example_project() -> Project {
    let project = Project::example();
    project.edit_config(&[("max_denials = 5", "max_denials = 50")]);
    project
}

/// rexpect hands back each byte the terminal got as one `char`; this puts the bytes together
/// again as the UTF-8 text they are.
#[cfg(unix)]
fn as_utf8(bytes_as_chars: &str) -> String {
    let bytes: Vec<u8> = bytes_as_chars
        .chars()
        .map(|character| u8::try_from(u32::from(character)).unwrap())
        .collect();
    String::from_utf8(bytes).unwrap()
}

#[cfg(unix)]
mod terminal {
    use super::*;
    use agentctl_test_support::MockEndpoint;
    use rexpect::process::WaitStatus;

    /// Runs `agentctl ARGS` on a pseudo-terminal and returns everything it wrote there (stdout
    /// and stderr, as the terminal got them) and its exit code.
    pub fn on_terminal(
        project: &Project,
        endpoint: Option<&MockEndpoint>,
        args: &[&str],
    ) -> (String, i32) {
        let mut command = std::process::Command::new(assert_cmd::cargo::cargo_bin("agentctl"));
        command
            .current_dir(&project.root)
            .env_remove("OPENAI_API_KEY")
            .env_remove("AGENTCTL_MODEL")
            .env_remove("AGENTCTL_LOG")
            .env("AGENTCTL_CACHE_DIR", project.root.join(".test-cache"))
            .env("TERM", "xterm")
            .env("NO_COLOR", "1")
            // These tests read every byte for escapes from content; the live status line (its
            // own erase-line sequences) is tested in tests/progress_and_output.rs.
            .env("AGENTCTL_STATUS_LINE", "off")
            .args(args);
        if let Some(endpoint) = endpoint {
            command.env("OPENAI_BASE_URL", endpoint.base_url());
        }
        let options = rexpect::reader::Options::new()
            .timeout_ms(Some(30_000))
            .strip_ansi_escape_codes(false);
        let mut session = rexpect::spawn_with_options(command, options).unwrap();
        let output = as_utf8(&session.exp_eof().unwrap());
        let code = match session.process().wait().unwrap() {
            WaitStatus::Exited(_, code) => code,
            other => panic!("agentctl did not exit normally: {other:?}"),
        };
        (output, code)
    }

    #[test]
    fn run_and_audit_show_print_model_text_tool_calls_and_denials_escaped() {
        let runtime = runtime();
        let project = example_project();
        project.write("docs/hostile.txt", &format!("{HOSTILE}\n"));
        let endpoint = mock(
            &runtime,
            vec![
                bash_call(HOSTILE),
                tool_call("fs_read", json!({ "path": "docs/hostile.txt" })),
                tool_call("fs_read", json!({ "path": "missing \u{202e}\u{9b}2K.txt" })),
                text(&format!("Done.\n{HOSTILE}\nsecond line")),
            ],
        );
        let (output, code) = on_terminal(
            &project,
            Some(&endpoint),
            &["run", "ops-devops", "--task", "T-154"],
        );
        assert_eq!(code, 0, "{}", output.escape_debug());
        assert_terminal_clean("run", &output);
        // The denial stays on its own line, with the forged text visible after it.
        let denied = line_containing(&output, "DENIED");
        assert!(
            denied.starts_with("  DENIED   execute_bash rm -rf / ␛[2K␍  allowed"),
            "{denied}"
        );
        assert!(
            !output
                .lines()
                .any(|line| line.starts_with("  allowed  execute_bash echo")),
            "a forged allowed line:\n{output}"
        );
        assert_contains(&output, "\\u{202e}txt.exe");
        assert_contains(
            &output,
            "  DENIED   fs_read missing \\u{202e}\\u{9b}2K.txt\r\n",
        );
        // The final answer keeps its lines and shows the rest escaped.
        assert!(output.contains("Done.\r\n"));
        assert!(output.contains("  allowed  fs_read docs/hostile.txt\r\n"));
        assert_contains(&output, VISIBLE);
        assert!(output.contains("second line"));

        let (shown, code) = on_terminal(&project, None, &["audit", "show"]);
        assert_eq!(code, 0);
        assert_terminal_clean("audit show", &shown);
        let denied = line_containing(&shown, "tool.denied");
        assert_contains(denied, "␛[2K␍  allowed  execute_bash echo safe");
        assert!(
            !shown.lines().any(|line| line.starts_with("  allowed")),
            "{shown}"
        );

        // --json keeps the exact strings, escaped as JSON.
        let (json_text, code) = on_terminal(&project, None, &["audit", "show", "--json"]);
        assert_eq!(code, 0);
        assert_terminal_clean("audit show --json", &json_text);
        let entries: Vec<serde_json::Value> =
            serde_json::from_str(&json_text.replace("\r\n", "\n")).unwrap();
        let result = entries
            .iter()
            .find(|entry| entry["event"] == "tool.result" && entry["details"]["tool"] == "fs_read")
            .unwrap();
        assert_eq!(
            result["details"]["output"].as_str().unwrap().trim_end(),
            HOSTILE
        );

        assert_audit_log_text_clean(&project);
        project.assert_audit_intact();
    }

    #[test]
    fn the_approver_reads_canonical_escaped_arguments_in_the_pause_runs_and_approve() {
        let runtime = runtime();
        let project = example_project();
        // A carriage return as JSON whitespace, and escaped ones inside a string, would hide
        // `desiredCount: 0` behind the note on a terminal.
        let arguments = "{\"service\":\"ecs\",\"operation\":\"UpdateService\",\"parameters\":\
                         {\"cluster\":\"production\",\"desiredCount\":0,\r\"note\":\
                         \"\\r\\u001b[2Kharmless note \u{202e}\u{9b}1A\"}}";
        let endpoint = mock(
            &runtime,
            vec![MockReply::ToolCalls(vec![(
                "use_aws".to_owned(),
                arguments.to_owned(),
            )])],
        );
        let (output, code) = on_terminal(
            &project,
            Some(&endpoint),
            &["run", "ops-devops", "--task", "T-154"],
        );
        assert_eq!(code, 3, "{}", output.escape_debug());
        assert_terminal_clean("run (paused)", &output);
        let canonical = "{\"service\":\"ecs\",\"operation\":\"UpdateService\",\"parameters\":\
                         {\"cluster\":\"production\",\"desiredCount\":0,\"note\":\
                         \"\\r\\u001b[2Kharmless note \\u202e\\u009b1A\"}}";
        assert_contains(&output, &format!("wants to run use_aws {canonical}"));

        let (runs, code) = on_terminal(&project, None, &["runs"]);
        assert_eq!(code, 0);
        assert_terminal_clean("runs", &runs);
        assert_contains(&runs, canonical);

        let (approved, code) = on_terminal(
            &project,
            None,
            &[
                "approve",
                "T-154",
                "--by",
                "alice",
                "--note",
                "ok \u{1b}[2K",
            ],
        );
        assert_eq!(code, 0, "{approved}");
        assert_terminal_clean("approve", &approved);
        assert_contains(&approved, canonical);
        assert_audit_log_text_clean(&project);
    }

    #[test]
    fn chat_replies_and_tool_lines_are_escaped_and_colours_stay_agentctls_own() {
        let runtime = runtime();
        let project = example_project();
        let endpoint = mock(
            &runtime,
            vec![bash_call(HOSTILE), text(&format!("Reply: {HOSTILE}"))],
        );
        let mut command = std::process::Command::new(assert_cmd::cargo::cargo_bin("agentctl"));
        command
            .current_dir(&project.root)
            .env_remove("OPENAI_API_KEY")
            .env_remove("AGENTCTL_MODEL")
            .env_remove("AGENTCTL_LOG")
            .env_remove("NO_COLOR")
            .env("OPENAI_BASE_URL", endpoint.base_url())
            .env("AGENTCTL_CACHE_DIR", project.root.join(".test-cache"))
            .env("TERM", "xterm")
            // The status line clears itself with ESC [2K, the very sequence content may not
            // carry; as for `run` above, it is off so every ESC left is content's or a colour.
            .env("AGENTCTL_STATUS_LINE", "off")
            .args(["chat", "ops-devops", "--task", "T-154"]);
        let options = rexpect::reader::Options::new()
            .timeout_ms(Some(30_000))
            .strip_ansi_escape_codes(false);
        let mut session = rexpect::spawn_with_options(command, options).unwrap();
        session.exp_string("[ops-devops] > ").unwrap();
        session.send_line("go").unwrap();
        let shown = as_utf8(&session.exp_string("[ops-devops] > ").unwrap());
        session.send_control('d').unwrap();
        session.exp_eof().unwrap();
        // The line editor and agentctl's colours use ESC; content may not. Every sequence the
        // hostile text carries is absent, while its escaped form is there.
        for sequence in [
            "\u{1b}[2K",
            "\u{1b}[3A",
            "\u{1b}]",
            "\u{9b}",
            "\u{202e}",
            "\u{2066}",
            "\u{200b}",
            "\u{feff}",
            "\u{7}",
        ] {
            assert!(
                !shown.contains(sequence),
                "{:?} reached the terminal:\n{}",
                sequence,
                shown.escape_debug()
            );
        }
        assert!(
            !shown.replace("\r\n", "\n").contains("\r  allowed"),
            "{}",
            shown.escape_debug()
        );
        assert!(
            shown.contains(&format!("Reply: {VISIBLE}")),
            "{}",
            shown.escape_debug()
        );
        assert!(
            shown.contains("denied execute_bash rm -rf / ␛[2K␍  allowed"),
            "{}",
            shown.escape_debug()
        );
        // A denial is agentctl's bold red (it used to be dim like other tool lines; a refused
        // call must stand out), around the escaped text.
        assert!(
            shown.contains("\u{1b}[1m\u{1b}[31m  ✗ denied execute_bash rm -rf / ␛[2K␍"),
            "agentctl's own colour is kept:\n{}",
            shown.escape_debug()
        );
        assert_audit_log_text_clean(&project);
    }
}

/// AUDIT_LOG.md holds no raw control, bidi or invisible character anywhere: not in the visible
/// Markdown, not in the machine lines' JSON.
fn assert_audit_log_text_clean(project: &Project) {
    let log = project.read("AUDIT_LOG.md");
    assert!(!log.is_empty(), "no audit log");
    for forbidden in FORBIDDEN.iter().chain(['\r'].iter()) {
        assert!(
            !log.contains(*forbidden),
            "{forbidden:?} in AUDIT_LOG.md:\n{}",
            log.escape_debug()
        );
    }
}

const SECRET_ACCESS_KEY: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY";
const SESSION_TOKEN: &str = "IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQzexample==";
/// An API key shorter than any shape a pattern could recognise.
const SHORT_API_KEY: &str = "zq7";
/// An AWS credential agentctl holds in its own environment, printed without any key name.
const HELD_TOKEN: &str = "FwoGZXIvYXdzEBYazqheldsessiontokenvalue";

/// A stand-in for the AWS CLI: `sts assume-role` prints credentials the way the real CLI does;
/// anything else prints a response that quotes the secrets agentctl holds, without any key name.
fn fake_aws(project: &Project) -> std::path::PathBuf {
    let bin = project.path(".test-bin");
    let script = format!(
        "#!/bin/sh\n\
         if [ \"$1 $2\" = \"sts assume-role\" ]; then\n\
         cat <<'EOF'\n\
         {{\n    \"Credentials\": {{\n        \"AccessKeyId\": \"ASIAIOSFODNN7EXAMPLE\",\n        \"SecretAccessKey\": \"{SECRET_ACCESS_KEY}\",\n        \"SessionToken\": \"{SESSION_TOKEN}\",\n        \"Expiration\": \"2026-11-26T17:00:00+00:00\"\n    }},\n    \"AssumedRoleUser\": {{\n        \"AssumedRoleId\": \"AROA3XFRBF535PLBIFPI4:s\",\n        \"Arn\": \"arn:aws:sts::123456789012:assumed-role/deploy/s\"\n    }}\n}}\n\
         EOF\n\
         else\n\
         echo 'services: none; the key is {SHORT_API_KEY} and the session {HELD_TOKEN}'\n\
         fi\n"
    );
    common::write(&bin.join("aws"), &script);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(bin.join("aws"), std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    bin
}

#[test]
fn aws_credentials_and_held_secrets_never_reach_the_audit_log_or_the_next_request() {
    let runtime = runtime();
    let project = example_project();
    project.write(
        "agentctl.toml",
        &format!(
            "{}\n[personas.ops-devops.aws]\nallow = [\"sts:AssumeRole\", \"ecs:Describe*\"]\n",
            project.read("agentctl.toml")
        ),
    );
    let bin = fake_aws(&project);
    let endpoint = mock(
        &runtime,
        vec![
            tool_call(
                "use_aws",
                json!({"service": "sts", "operation": "AssumeRole",
                       "parameters": {"RoleArn": "arn:aws:iam::123456789012:role/deploy", "RoleSessionName": "s"}}),
            ),
            tool_call(
                "use_aws",
                json!({"service": "ecs", "operation": "DescribeServices",
                       "parameters": {"cluster": "staging", "password": "two words", "api_key": "k-12"}}),
            ),
            text("Checked."),
        ],
    );
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let output = project
        .agentctl_with(&endpoint)
        .env("PATH", path)
        .env("OPENAI_API_KEY", SHORT_API_KEY)
        .env("AWS_SESSION_TOKEN", HELD_TOKEN)
        .args(["run", "ops-devops", "--task", "T-154"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr_of(&output));
    let requests = endpoint.chat_requests();
    assert_eq!(requests.len(), 3);

    // The credentials reached neither the log nor a later request; the rest of the answer did.
    let log = project.read("AUDIT_LOG.md");
    // The model's own arguments are its own words: they are kept in its history, but not in
    // the log.
    for secret in ["two words", "k-12"] {
        assert!(!log.contains(secret), "{secret} is in AUDIT_LOG.md");
    }
    for secret in [
        SECRET_ACCESS_KEY,
        SESSION_TOKEN,
        "ASIAIOSFODNN7EXAMPLE",
        HELD_TOKEN,
    ] {
        assert!(!log.contains(secret), "{secret} is in AUDIT_LOG.md");
        for request in &requests[1..] {
            assert!(
                !request.body.to_string().contains(secret),
                "{secret} was sent to the model"
            );
        }
    }
    assert!(
        !log.contains(&format!("is {SHORT_API_KEY} "))
            && !requests[2]
                .body
                .to_string()
                .contains(&format!("is {SHORT_API_KEY} ")),
        "the short API key was not redacted"
    );
    let second = requests[1].body.to_string();
    assert_contains(&second, "assumed-role/deploy/s");
    assert!(second.contains("SecretAccessKey"), "the key names stay");

    // The documented shapes in tool.allowed are redacted as JSON, and stay JSON.
    let allowed = project.events("tool.allowed");
    let arguments: serde_json::Value =
        serde_json::from_str(allowed[1]["details"]["arguments"].as_str().unwrap()).unwrap();
    assert_eq!(arguments["parameters"]["password"], "«redacted»");
    assert_eq!(arguments["parameters"]["api_key"], "«redacted»");
    assert_eq!(arguments["parameters"]["cluster"], "staging");
    project.assert_audit_intact();
}

#[test]
fn audit_show_reads_a_command_that_exited_non_zero_as_failed() {
    let runtime = runtime();
    let project = example_project();
    let init = std::process::Command::new("git")
        .args(["init", "-q"])
        .current_dir(&project.root)
        .status()
        .unwrap();
    assert!(init.success());
    let endpoint = mock(
        &runtime,
        vec![
            bash_call("git diff --no-such-option"),
            bash_call("git status"),
            text("Done."),
        ],
    );
    let output = project
        .agentctl_with(&endpoint)
        .args(["run", "ops-devops", "--task", "T-154"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr_of(&output));
    let results = project.events("tool.result");
    assert_ne!(results[0]["details"]["exit_code"], 0, "{:?}", results[0]);
    let shown = project
        .agentctl()
        .args(["audit", "show", "--event", "tool.result"])
        .output()
        .unwrap();
    let shown = common::stdout_of(&shown);
    let lines: Vec<&str> = shown.lines().collect();
    assert_eq!(lines.len(), 2, "{shown}");
    let code = results[0]["details"]["exit_code"].as_i64().unwrap();
    assert!(
        lines[0].ends_with(&format!("execute_bash failed: exit {code}")),
        "{shown}"
    );
    assert!(lines[1].ends_with("execute_bash ok"), "{shown}");
}
