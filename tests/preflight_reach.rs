//! The endpoint preflight covers every model a run or a chat session can reach: the starting
//! persona's and those of the personas its handoffs lead to, before any gate, audit entry or
//! model call; a persona `/switch` brings into a session is checked when it comes.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{assert_contains, expect_exit, mock, runtime, stderr_of, stdout_of, text, Project};

/// The example project where `persona` asks for a model the mock does not serve (`smollm3`,
/// one letter off the `smollm2` it does serve).
fn project_where_model_is_unknown_for(persona: &str) -> Project {
    let project = Project::example();
    project.edit_config(&[("[models]\n", "[models]\n\"big-model\" = \"smollm3\"\n")]);
    let config = project.read("agentctl.toml");
    project.write(
        "agentctl.toml",
        &format!("{config}\n[personas.{persona}]\nmodel = \"big-model\"\n"),
    );
    project
}

#[test]
fn a_handoff_targets_unknown_model_stops_the_run_before_anything_happens() {
    let runtime = runtime();
    // ops-devops itself is served; release-manager, which it may hand off to, is not.
    let project = project_where_model_is_unknown_for("release-manager");
    let endpoint = mock(&runtime, vec![text("never sent")]);
    let output = project.expect(&endpoint, &["run", "ops-devops", "--task", "T-154"], 2);
    let stderr = stderr_of(&output);
    assert_contains(&stderr, "does not serve the model `smollm3`; did you mean `smollm2`? (the model of release-manager)");
    assert_contains(&stderr, "hint: the endpoint serves: ");
    assert!(endpoint.chat_requests().is_empty());
    assert_eq!(project.read("AUDIT_LOG.md"), "", "nothing was audited");
    assert!(!project.root.join(".agentctl/runs").exists());

    // A persona no handoff of the starting one reaches does not stop it.
    let project = project_where_model_is_unknown_for("orch-planner");
    let endpoint = mock(&runtime, vec![text("Done.")]);
    let output = project.expect(&endpoint, &["run", "ops-devops", "--task", "T-154"], 0);
    assert_eq!(stdout_of(&output), "Done.\n");
}

#[test]
fn chat_checks_the_models_it_can_reach_at_the_start_and_a_switched_to_persona_when_it_comes() {
    let runtime = runtime();
    let project = project_where_model_is_unknown_for("release-manager");
    let endpoint = mock(&runtime, vec![text("never sent")]);
    let output = expect_exit(
        project
            .agentctl_with(&endpoint)
            .args(["chat", "ops-devops"])
            .write_stdin("hello\n"),
        2,
    );
    let stderr = stderr_of(&output);
    assert_contains(
        &stderr,
        "did you mean `smollm2`? (the model of release-manager)",
    );
    assert!(endpoint.chat_requests().is_empty());
    assert!(!project.root.join(".agentctl/runs").exists(), "no session");

    // orch-planner is reached by no handoff: the session starts, and switching to it is refused.
    let project = project_where_model_is_unknown_for("orch-planner");
    let endpoint = mock(&runtime, vec![text("Still ops-devops.")]);
    let output = expect_exit(
        project
            .agentctl_with(&endpoint)
            .args(["chat", "ops-devops"])
            .write_stdin("/switch orch-planner\nwho are you?\n"),
        0,
    );
    let stderr = stderr_of(&output);
    assert_contains(
        &stderr,
        "did you mean `smollm2`? (the model of orch-planner)",
    );
    assert!(
        !stderr.contains("switched ops-devops → orch-planner"),
        "{stderr}"
    );
    assert_eq!(stdout_of(&output), "Still ops-devops.\n");
    let requests = endpoint.chat_requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].body["model"], "smollm2");
}
