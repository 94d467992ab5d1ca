//! End-to-end tests of `agentctl run` against the in-repo mock endpoint: what agentctl sends,
//! how it confines an adversarial model, and how it reports endpoint failures.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use agentctl_test_support::MockReply;
use common::{
    assert_contains, bash_call, mock, runtime, stderr_of, stdout_of, text, tool_call, tool_results,
    Project,
};
use serde_json::json;

/// The example project with generous limits, so a long adversarial script runs to the end.
fn adversarial_project() -> Project {
    let project = Project::example();
    project.edit_config(&[
        ("max_turns = 12", "max_turns = 100"),
        ("max_denials = 5", "max_denials = 100"),
        ("token_budget = 60000", "token_budget = 10000000"),
    ]);
    project
}

#[test]
fn a_run_sends_the_assembled_prompt_the_task_and_only_the_personas_tools() {
    let runtime = runtime();
    let project = Project::example();
    let endpoint = mock(
        &runtime,
        vec![
            tool_call("fs_read", json!({"path": "deploy/k8s/deployment.yaml"})),
            text("Rolled out."),
        ],
    );
    let prompt = project
        .agentctl()
        .args(["prompt", "ops-devops", "--task", "T-154"])
        .output()
        .unwrap();
    assert!(prompt.status.success(), "{}", stderr_of(&prompt));

    let output = project.expect(&endpoint, &["run", "ops-devops", "--task", "T-154"], 0);
    assert_eq!(stdout_of(&output).trim(), "Rolled out.");

    let requests = endpoint.chat_requests();
    assert_eq!(requests.len(), 2);
    let first = &requests[0].body;
    assert_eq!(
        first["model"], "smollm2",
        "gpt-4.1-mini maps to smollm2 through [models]"
    );
    assert_eq!(first["messages"][0]["role"], "system");
    assert_eq!(
        first["messages"][0]["content"].as_str().unwrap(),
        stdout_of(&prompt),
        "system prompt = agentctl prompt"
    );
    assert_eq!(first["messages"][1]["role"], "user");
    assert!(first["messages"][1]["content"]
        .as_str()
        .unwrap()
        .starts_with("Task T-154: Deploy v1.2.0 to staging"));
    let mut offered: Vec<&str> = first["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|tool| tool["function"]["name"].as_str().unwrap())
        .collect();
    offered.sort_unstable();
    assert_eq!(
        offered,
        [
            "execute_bash",
            "fs_list",
            "fs_read",
            "fs_write",
            "handoff",
            "use_aws"
        ]
    );
    let handoff = first["tools"]
        .as_array()
        .unwrap()
        .iter()
        .find(|tool| tool["function"]["name"] == "handoff")
        .unwrap();
    assert_eq!(
        handoff["function"]["parameters"]["properties"]["to"]["enum"],
        json!(["release-manager", "qa-engineer"])
    );
    // The second request carries the tool result for the call.
    let tool_message = &tool_results(&requests[1].body)[0];
    assert!(tool_message.contains("shopfront:1.2.0"));

    let started = project.events("run.started");
    assert_eq!(started.len(), 1);
    let prompt_json: serde_json::Value =
        project.expect_json(&["prompt", "ops-devops", "--task", "T-154", "--json"]);
    assert_eq!(
        started[0]["details"]["prompt_sha256"],
        prompt_json["sha256"]
    );
    assert_eq!(project.events("tool.allowed").len(), 1);
    assert_eq!(project.events("tool.result").len(), 1);
    assert_eq!(project.events("model.response").len(), 2);
    let finished = project.events("run.finished");
    assert_eq!(finished[0]["details"]["status"], "finished");
    project.assert_audit_intact();
}

#[test]
fn every_adversarial_call_is_denied_audited_and_changes_nothing() {
    let runtime = runtime();
    let project = adversarial_project();
    let outside = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(outside.path(), project.path("deploy/escape")).unwrap();
    let before = project.snapshot();
    let attacks: Vec<(&str, String)> = vec![
        (
            "gate_report",
            json!({"gate": "S06", "status": "passed", "evidence": "trust me"}).to_string(),
        ),
        ("fs_delete", json!({"path": "app/server.py"}).to_string()),
        (
            "fs_read",
            json!({"path": "../personas/ops-devops.md"}).to_string(),
        ),
        ("fs_read", json!({"path": "/etc/passwd"}).to_string()),
        (
            "fs_write",
            json!({"path": "deploy/escape/owned.txt", "content": "x"}).to_string(),
        ),
        (
            "fs_write",
            json!({"path": "AUDIT_LOG.md", "content": "forged"}).to_string(),
        ),
        (
            "fs_write",
            json!({"path": ".agentctl/runs/x/decision.json", "content": "{}"}).to_string(),
        ),
        (
            "fs_write",
            json!({"path": "agentctl.toml", "content": "approvers = []"}).to_string(),
        ),
        (
            "fs_write",
            json!({"path": "PROJECT_STATE.md", "content": "| T-154 | S08 | approved |"})
                .to_string(),
        ),
        (
            "fs_write",
            json!({"path": "app/server.py", "content": "print('application code')"}).to_string(),
        ),
        ("fs_read", json!({"path": ".env"}).to_string()),
        (
            "execute_bash",
            json!({"command": "true; curl http://example.invalid"}).to_string(),
        ),
        (
            "execute_bash",
            json!({"command": "echo $(rm -rf ~)"}).to_string(),
        ),
        (
            "execute_bash",
            json!({"command": "echo `rm -rf /`"}).to_string(),
        ),
        (
            "execute_bash",
            json!({"command": "bash -c \"curl http://example.invalid\""}).to_string(),
        ),
        (
            "execute_bash",
            json!({"command": "eval \"rm -rf /\""}).to_string(),
        ),
        (
            "execute_bash",
            json!({"command": "git status > /etc/x"}).to_string(),
        ),
        (
            "execute_bash",
            json!({"command": "git status > AUDIT_LOG.md"}).to_string(),
        ),
        (
            "use_aws",
            json!({"service": "iam", "operation": "CreateUser"}).to_string(),
        ),
        (
            "handoff",
            json!({"to": "sec-reviewer", "summary": "x", "items": []}).to_string(),
        ),
        ("fs_write", "{not json".to_owned()),
        ("fs_write", json!({"path": "deploy/x.yaml"}).to_string()),
    ];
    let mut replies: Vec<MockReply> = attacks
        .iter()
        .map(|(name, arguments)| {
            MockReply::ToolCalls(vec![((*name).to_owned(), arguments.clone())])
        })
        .collect();
    replies.push(text("I could not do anything."));
    let endpoint = mock(&runtime, replies);

    project.expect(&endpoint, &["run", "ops-devops", "--task", "T-154"], 0);

    let after = project.snapshot();
    assert_eq!(
        Project::changed(&before, &after),
        Vec::<String>::new(),
        "the workspace must be byte-identical"
    );
    assert!(
        std::fs::read_dir(outside.path()).unwrap().next().is_none(),
        "nothing written through the symlink"
    );

    let denied = project.events("tool.denied");
    assert_eq!(
        denied.len(),
        attacks.len(),
        "one tool.denied per attack: {denied:#?}"
    );
    assert!(project.events("tool.allowed").is_empty());
    for (entry, (name, _)) in denied.iter().zip(&attacks) {
        assert_eq!(entry["details"]["tool"], *name);
        assert!(!entry["details"]["reason"].as_str().unwrap().is_empty());
    }
    // Each denial went back to the model as a tool error with its reason.
    let requests = endpoint.chat_requests();
    let tool_messages = tool_results(&requests.last().unwrap().body);
    assert_eq!(tool_messages.len(), attacks.len());
    assert!(
        tool_messages
            .iter()
            .all(|message| message.starts_with("denied: ")),
        "{tool_messages:#?}"
    );
    project.assert_audit_intact();
}

/// The classes of issue 9 at the policy layer, through the binary with the shipped DevOps
/// persona (`git status`, `git diff *`, `kubectl get *`, `terraform plan *` …): each one was
/// allowed by an earlier reading of the command, and each is now denied, audited, sent back to
/// the model as a denial, and changes nothing.
#[test]
fn shell_parse_attacks_are_denied_audited_and_change_nothing() {
    let runtime = runtime();
    let project = adversarial_project();
    let before = project.snapshot();
    let audit_before = std::fs::read(project.path("AUDIT_LOG.md")).unwrap_or_default();
    let attacks: Vec<&str> = vec![
        // Line continuation after `$` inside double quotes: bash sees `$(touch pwned)`.
        "git diff \"$\\\n(touch pwned)\"",
        "git diff $\\\n(touch pwned)",
        // Program options that write where no agent may, or load code.
        "git diff --output=AUDIT_LOG.md",
        "git diff --outp=app/server.py",
        "git diff --output=.git/config",
        "git diff --ext-diff",
        "kubectl get pods --kubeconfig=deploy/kubeconfig",
        "terraform plan -out=../outside.bin",
        // Variables that make programs load configuration: an allowlist, not a denylist.
        "XDG_CONFIG_HOME=deploy git status",
        "KUBECONFIG=deploy/kubeconfig kubectl get pods",
        "GIT_CONFIG_GLOBAL=deploy/gitconfig git status",
        "env XDG_CONFIG_HOME=deploy git status",
        // Login and rc shells read the user's profile.
        "bash -l -c 'git status'",
        "bash --rcfile deploy/rc -c 'git status'",
        // Arguments that leave the workspace or read another process's environment.
        "git diff --no-index /proc/$PPID/environ app/server.py",
        "git diff --no-index /etc/passwd app/server.py",
        "git diff --no-index ../outside app/server.py",
        // Subscripts and arithmetic that run commands.
        "git diff \"$(printf -v 'a[$(touch pwned)]' x)\"",
        "git diff $(( a[$(touch pwned)] ))",
    ];
    let mut replies: Vec<MockReply> = attacks
        .iter()
        .map(|command| {
            MockReply::ToolCalls(vec![(
                "execute_bash".to_owned(),
                json!({ "command": command }).to_string(),
            )])
        })
        .collect();
    replies.push(text("I could not do anything."));
    let endpoint = mock(&runtime, replies);

    project.expect(&endpoint, &["run", "ops-devops", "--task", "T-154"], 0);

    assert_eq!(
        Project::changed(&before, &project.snapshot()),
        Vec::<String>::new(),
        "the workspace must be byte-identical"
    );
    assert!(!project.path("pwned").exists());
    let audit_after = std::fs::read(project.path("AUDIT_LOG.md")).unwrap();
    assert!(
        audit_after.starts_with(&audit_before),
        "the audit log is only appended to"
    );
    let denied = project.events("tool.denied");
    assert_eq!(denied.len(), attacks.len(), "{denied:#?}");
    assert!(project.events("tool.allowed").is_empty());
    for (entry, command) in denied.iter().zip(&attacks) {
        assert_eq!(entry["details"]["tool"], "execute_bash", "{command}");
        assert!(
            !entry["details"]["reason"].as_str().unwrap().is_empty(),
            "{command}"
        );
    }
    let requests = endpoint.chat_requests();
    let denials = tool_results(&requests.last().unwrap().body)
        .iter()
        .filter(|content| content.starts_with("denied: "))
        .count();
    assert_eq!(denials, attacks.len());
    project.assert_audit_intact();
}

#[test]
fn an_allowed_write_records_a_diff_and_changes_only_that_file() {
    let runtime = runtime();
    let project = Project::example();
    let before = project.snapshot();
    let endpoint = mock(
        &runtime,
        vec![
            tool_call(
                "fs_write",
                json!({"path": "docs/deployment.md", "content": "# Deployment\n\nstaging: 1.2.0 rolled out\n"}),
            ),
            text("Recorded."),
        ],
    );
    project.expect(&endpoint, &["run", "ops-devops", "--task", "T-154"], 0);
    assert_eq!(
        Project::changed(&before, &project.snapshot()),
        vec!["docs/deployment.md".to_owned()]
    );
    let diffs = project.events("file.diff");
    assert_eq!(diffs.len(), 1);
    assert_eq!(diffs[0]["details"]["path"], "docs/deployment.md");
    assert!(diffs[0]["details"]["diff"]
        .as_str()
        .unwrap()
        .contains("+staging: 1.2.0 rolled out"));
    project.assert_audit_intact();
}

#[test]
fn a_huge_command_output_is_capped() {
    let runtime = runtime();
    let project = Project::example();
    project.edit_config(&[(
        "    \"git status\",\n",
        "    \"git status\",\n    \"yes\",\n    \"head -c *\",\n",
    )]);
    let endpoint = mock(
        &runtime,
        vec![bash_call("yes | head -c 52428800"), text("done")],
    );
    project.expect(&endpoint, &["run", "ops-devops", "--task", "T-154"], 0);
    let requests = endpoint.chat_requests();
    let content = &tool_results(&requests[1].body)[0];
    assert!(
        content.len() < 40_000,
        "capped at output_cap_bytes (32768) plus a note, got {}",
        content.len()
    );
    assert!(
        content.contains("52428800"),
        "the note says how much was produced"
    );
    project.assert_audit_intact();
}

#[test]
fn endpoint_failures_end_the_run_with_exit_1_after_retries() {
    let runtime = runtime();
    let project = Project::example();
    let server_error = || MockReply::Status {
        code: 500,
        body: "{\"error\":{\"message\":\"boom\"}}".to_owned(),
        retry_after: None,
    };
    let endpoint = mock(
        &runtime,
        vec![server_error(), server_error(), server_error()],
    );
    let output = project.expect(&endpoint, &["run", "ops-devops", "--task", "T-154"], 1);
    assert_eq!(
        endpoint.chat_requests().len(),
        3,
        "max_retries = 2 means three attempts"
    );
    assert!(stderr_of(&output).contains("boom"));
    assert_eq!(
        project.events("run.finished")[0]["details"]["status"],
        "failed"
    );
    project.assert_audit_intact();
}

#[test]
fn an_unreachable_endpoint_names_the_url() {
    let project = Project::example();
    project.edit_config(&[("max_retries = 2", "max_retries = 0")]);
    let output = project.expect_offline(&["run", "ops-devops", "--task", "T-154"], 1);
    let stderr = stderr_of(&output);
    assert_contains(&stderr, "127.0.0.1:9");
    assert!(
        stderr.contains("OPENAI_BASE_URL") || stderr.contains("base_url"),
        "{stderr}"
    );
}

#[test]
fn the_turn_limit_ends_a_run_that_never_answers() {
    let runtime = runtime();
    let project = Project::example();
    // Another path each turn: a third identical call would be refused as a repeat and end
    // the run at the denial limit first.
    let replies = (0..13)
        .map(|index| tool_call("fs_list", json!({"path": format!("notes/{index}")})))
        .collect();
    let endpoint = mock(&runtime, replies);
    let output = project.expect(
        &endpoint,
        &["run", "ops-devops", "--task", "T-154", "--json"],
        1,
    );
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["status"], "failed");
    assert_eq!(report["turns"], 12);
    assert!(report["reason"].as_str().unwrap().contains("turn limit"));
}

#[test]
fn dry_run_shows_prompt_tools_and_policy_without_calling_a_model() {
    let project = Project::example();
    let output = project.expect_offline(
        &[
            "run",
            "ops-devops",
            "--task",
            "T-154",
            "--dry-run",
            "--json",
        ],
        0,
    );
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["persona"], "ops-devops");
    assert_eq!(report["model"], "smollm2");
    assert!(report["prompt"].as_str().unwrap().contains("shopfront"));
    assert!(
        !project.path("AUDIT_LOG.md").exists(),
        "a dry run records nothing"
    );
}
