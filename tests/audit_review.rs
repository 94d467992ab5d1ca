//! The audit log as a review document: the compact encoding (size, migration from the first
//! encoding), `audit show` filters, `audit verify --json` and `audit export --html`, driving the
//! real binary against the mock endpoint.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{mock, project_with_approval_rule, runtime, stderr_of, text, tool_call, Project};
use serde_json::json;

/// A multi-line file a persona writes: long enough that repeating it would show in the size.
fn deployment_text() -> String {
    let mut text = String::from("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: shopfront\nspec:\n  replicas: 3\n  template:\n    spec:\n      containers:\n");
    for index in 0..30 {
        text.push_str(&format!(
            "        - name: sidecar-{index}\n          image: registry.example/sidecar:1.{index}.0\n"
        ));
    }
    text
}

/// Three runs in one project: a file write and a denial; a call paused for approval, approved
/// with a note; a call paused and rejected with a reason. Every hostile string goes through a
/// tool argument.
pub fn review_scenario() -> Project {
    let runtime = runtime();
    let project = project_with_approval_rule();
    let first = mock(
        &runtime,
        vec![
            tool_call(
                "fs_write",
                json!({"path": "deploy/k8s/deployment.yaml", "content": deployment_text()}),
            ),
            tool_call(
                "fs_read",
                json!({"path": "<script>window.injected=1</script><img src=x onerror=\"window.injected=2\">"}),
            ),
            tool_call("execute_bash", json!({"command": "rm -rf /"})),
            text("Deployment updated."),
        ],
    );
    let output = project
        .agentctl_with(&first)
        .args(["run", "ops-devops", "--task", "T-154"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr_of(&output));

    let second = mock(
        &runtime,
        vec![
            tool_call(
                "execute_bash",
                json!({"command": "echo approved >> deploy/marker.txt"}),
            ),
            text("Done."),
        ],
    );
    let paused = project
        .agentctl_with(&second)
        .args(["run", "ops-devops", "--task", "T-154"])
        .output()
        .unwrap();
    assert_eq!(paused.status.code(), Some(3), "{}", stderr_of(&paused));
    let approve = project
        .agentctl()
        .args([
            "approve",
            "T-154",
            "--by",
            "alice",
            "--note",
            "change window 14:00",
        ])
        .output()
        .unwrap();
    assert_eq!(approve.status.code(), Some(0), "{}", stderr_of(&approve));
    let resumed = project
        .agentctl_with(&second)
        .args(["resume", "T-154"])
        .output()
        .unwrap();
    assert_eq!(resumed.status.code(), Some(0), "{}", stderr_of(&resumed));

    let third = mock(
        &runtime,
        vec![
            tool_call(
                "execute_bash",
                json!({"command": "echo approved > deploy/marker.txt"}),
            ),
            text("Understood."),
        ],
    );
    let paused = project
        .agentctl_with(&third)
        .args(["run", "ops-devops", "--task", "T-154"])
        .output()
        .unwrap();
    assert_eq!(paused.status.code(), Some(3), "{}", stderr_of(&paused));
    let reject = project
        .agentctl()
        .args([
            "reject",
            "T-154",
            "--by",
            "bob",
            "--reason",
            "no rollback plan",
        ])
        .output()
        .unwrap();
    assert_eq!(reject.status.code(), Some(0), "{}", stderr_of(&reject));
    let resumed = project
        .agentctl_with(&third)
        .args(["resume", "T-154"])
        .output()
        .unwrap();
    assert_eq!(resumed.status.code(), Some(0), "{}", stderr_of(&resumed));
    project
}

/// Writes the scenario's log to `tests/fixtures/audit/` when AGENTCTL_WRITE_AUDIT_FIXTURE names
/// a file there. Used once, with the first encoding, to make the migration fixture.
#[test]
#[ignore = "writes a fixture; run by hand with AGENTCTL_WRITE_AUDIT_FIXTURE=FILE"]
fn write_fixture_log() {
    let target = std::env::var("AGENTCTL_WRITE_AUDIT_FIXTURE").unwrap();
    let project = review_scenario();
    project.assert_audit_intact();
    std::fs::copy(project.path("AUDIT_LOG.md"), target).unwrap();
}
