//! The run journal (`.agentctl/runs/RUN_ID/journal.log` beside the snapshot `state.json`)
//! under crashes: a torn last record, audit appends lost after the journal was synced, a
//! compaction cut short, a damaged record, and a run directory written before the journal
//! existed. Each run is killed with SIGKILL during its second model call, the files are put in
//! the state the crash would leave, and `resume` must finish with every audit entry exactly once.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::PathBuf;
use std::time::Duration;

use agentctl_test_support::{MockEndpoint, MockReply};
use common::{
    assert_contains, bash_call, mock, project_with_approval_rule, runtime, stderr_of, stdout_of,
    text, tool_call, tool_results, wait_until, Project,
};
use serde_json::{json, Value};

/// A run of ops-devops on T-154 that read a file and was killed with SIGKILL while waiting for
/// its second model reply. Returns the run directory and the audit log as it was while the
/// first model call was pending (before any of the turn's entries were appended).
fn killed_run(project: &Project, endpoint: &MockEndpoint) -> (PathBuf, String) {
    let mut child = spawn_run(project, endpoint);
    wait_for_request(1, endpoint, &mut child);
    let log_before_turn = project.read("AUDIT_LOG.md");
    wait_for_request(2, endpoint, &mut child);
    child.kill().unwrap();
    child.wait().unwrap();
    (run_dir(project), log_before_turn)
}

/// `agentctl run ops-devops --task T-154` against `endpoint`, in the background.
fn spawn_run(project: &Project, endpoint: &MockEndpoint) -> std::process::Child {
    project
        .background(endpoint)
        .args(["run", "ops-devops", "--task", "T-154"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap()
}

/// Waits until the endpoint has received `count` chat requests; the run must still be going.
fn wait_for_request(count: usize, endpoint: &MockEndpoint, child: &mut std::process::Child) {
    wait_until(
        &format!("request {count}"),
        child,
        Duration::from_secs(20),
        || endpoint.chat_requests().len() >= count,
    );
}

/// The one run directory of the project.
fn run_dir(project: &Project) -> PathBuf {
    std::fs::read_dir(project.path(".agentctl/runs"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .find(|path| path.is_dir())
        .unwrap()
}

fn scenario(runtime: &tokio::runtime::Runtime) -> MockEndpoint {
    mock(
        runtime,
        vec![
            MockReply::Delay(
                Duration::from_millis(700),
                Box::new(tool_call(
                    "fs_read",
                    json!({"path": "deploy/k8s/deployment.yaml"}),
                )),
            ),
            MockReply::Delay(Duration::from_secs(30), Box::new(text("never delivered"))),
            text("Deployed after the crash."),
        ],
    )
}

fn resume(project: &Project, endpoint: &MockEndpoint) -> std::process::Output {
    project
        .agentctl_with(endpoint)
        .args(["resume", "T-154"])
        .output()
        .unwrap()
}

/// Every (run, step) pair appears once in the log, and the turn before the crash is there.
fn assert_each_step_once(project: &Project) {
    let audit = project.audit();
    let mut seen = std::collections::BTreeSet::new();
    for entry in &audit {
        if let Some(step) = entry["details"]["step"].as_u64() {
            let key = (entry["run"].as_str().unwrap_or_default().to_owned(), step);
            assert!(seen.insert(key), "step {step} written twice: {entry}");
        }
    }
    assert_eq!(project.events("run.started").len(), 1);
    assert_eq!(project.events("tool.allowed").len(), 1, "one decision");
    assert_eq!(project.events("tool.result").len(), 1, "the read ran once");
    assert_eq!(project.events("run.finished").len(), 1);
    project.assert_audit_intact();
}

fn journal_frames(bytes: &[u8]) -> Vec<(usize, usize)> {
    let mut frames = Vec::new();
    let mut offset = 0;
    while offset < bytes.len() {
        assert_eq!(&bytes[offset..offset + 4], b"AJR1");
        let length = u32::from_le_bytes(bytes[offset + 4..offset + 8].try_into().unwrap());
        let end = offset + 8 + length as usize + 32;
        frames.push((offset, end));
        offset = end;
    }
    frames
}

#[test]
fn a_run_saves_to_its_journal_and_runs_show_replays_it() {
    let runtime = runtime();
    let project = Project::example();
    let endpoint = scenario(&runtime);
    let (run_dir, _) = killed_run(&project, &endpoint);
    let journal = std::fs::read(run_dir.join("journal.log")).unwrap();
    assert!(
        journal_frames(&journal).len() >= 2,
        "the turn was saved as journal records"
    );
    // `runs show` replays the journal: it knows about the read.
    let run_id = run_dir.file_name().unwrap().to_str().unwrap().to_owned();
    let shown: Value = project.expect_json(&["runs", "show", &run_id, "--json"]);
    assert_eq!(shown["tool_calls"], 1, "{shown}");
}

#[test]
fn a_tool_turn_is_saved_once_reply_and_answers_together() {
    // One journal record (one fdatasync) per model turn with tool calls: the reply is saved
    // with the answers to its calls, not on its own first.
    let runtime = runtime();
    let project = Project::example();
    // Each reply waits, so the journal is read while the run waits on the model.
    let read = || {
        MockReply::Delay(
            Duration::from_millis(600),
            Box::new(tool_call(
                "fs_read",
                json!({"path": "deploy/k8s/deployment.yaml"}),
            )),
        )
    };
    let endpoint = mock(
        &runtime,
        vec![
            read(),
            read(),
            read(),
            MockReply::Delay(Duration::from_secs(30), Box::new(text("never delivered"))),
        ],
    );
    let mut child = spawn_run(&project, &endpoint);
    let mut frames = Vec::new();
    for request in 2..=4 {
        // The run sends request N only after saving turn N - 1.
        wait_for_request(request, &endpoint, &mut child);
        let journal = std::fs::read(run_dir(&project).join("journal.log")).unwrap();
        frames.push(journal_frames(&journal).len());
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(
        frames[1] - frames[0],
        1,
        "records after requests 2, 3, 4: {frames:?}"
    );
    assert_eq!(
        frames[2] - frames[1],
        1,
        "records after requests 2, 3, 4: {frames:?}"
    );
    // And the turns are all there for resume: three reads, each decided once.
    let run_id = run_dir(&project)
        .file_name()
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    let shown: Value = project.expect_json(&["runs", "show", &run_id, "--json"]);
    assert_eq!(shown["tool_calls"], 3, "{shown}");
}

#[test]
fn a_torn_last_record_is_dropped_said_so_and_the_run_finishes() {
    let runtime = runtime();
    let project = Project::example();
    let endpoint = scenario(&runtime);
    let (run_dir, _) = killed_run(&project, &endpoint);
    // A crash in the middle of appending one more record: half a frame at the end.
    let path = run_dir.join("journal.log");
    let mut journal = std::fs::read(&path).unwrap();
    let (start, end) = journal_frames(&journal)[0];
    let half = journal[start..start + (end - start) / 2].to_vec();
    journal.extend_from_slice(&half);
    std::fs::write(&path, &journal).unwrap();

    let resumed = resume(&project, &endpoint);
    let stderr = stderr_of(&resumed);
    assert_eq!(resumed.status.code(), Some(0), "{stderr}");
    assert_eq!(stdout_of(&resumed).trim(), "Deployed after the crash.");
    assert_contains(&stderr, "cut short by a crash");
    let resumed_entries = project.events("run.resumed");
    assert_eq!(
        resumed_entries[0]["details"]["journal_torn_bytes"],
        half.len() as u64
    );
    assert_each_step_once(&project);
}

#[test]
fn audit_entries_lost_after_the_journal_sync_are_written_once_on_resume() {
    let runtime = runtime();
    let project = Project::example();
    let endpoint = scenario(&runtime);
    let (_, log_before_turn) = killed_run(&project, &endpoint);
    let log_at_kill = project.read("AUDIT_LOG.md");
    assert!(log_at_kill.contains("tool.result"));
    // The journal records of the turn were synced; their audit appends were not (a kill right
    // after the journal's fdatasync, or a power loss): the log ends before the turn.
    std::fs::write(project.path("AUDIT_LOG.md"), &log_before_turn).unwrap();
    assert!(!project.read("AUDIT_LOG.md").contains("tool.result"));

    let resumed = resume(&project, &endpoint);
    assert_eq!(resumed.status.code(), Some(0), "{}", stderr_of(&resumed));
    assert_each_step_once(&project);
    let steps: Vec<u64> = project
        .audit()
        .iter()
        .filter_map(|entry| entry["details"]["step"].as_u64())
        .collect();
    let mut sorted = steps.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(sorted.len(), steps.len());
    assert_eq!(
        sorted,
        (1..=*sorted.last().unwrap()).collect::<Vec<_>>(),
        "no step missing"
    );
}

#[test]
fn a_compaction_cut_short_replays_nothing_twice() {
    let runtime = runtime();
    let project = Project::example();
    let endpoint = scenario(&runtime);
    let (run_dir, _) = killed_run(&project, &endpoint);
    // The crash hit after the new snapshot was renamed into place and before the journal was
    // emptied; a temporary file from an earlier cut-short attempt is still there.
    let (state, _) = agentctl_core::RunState::load(&run_dir).unwrap();
    assert!(state.journal_seq > 0);
    std::fs::write(
        run_dir.join("state.json"),
        serde_json::to_vec(&state).unwrap(),
    )
    .unwrap();
    std::fs::write(run_dir.join(".tmp-cut"), b"{\"version\":1,").unwrap();
    let resumed = resume(&project, &endpoint);
    assert_eq!(resumed.status.code(), Some(0), "{}", stderr_of(&resumed));
    let requests = endpoint.chat_requests();
    let tool_messages = tool_results(&requests.last().unwrap().body).len();
    assert_eq!(tool_messages, 1, "the conversation holds the read once");
    assert_each_step_once(&project);
}

#[test]
fn a_run_directory_from_before_the_journal_resumes() {
    let runtime = runtime();
    let project = Project::example();
    let endpoint = scenario(&runtime);
    let (run_dir, _) = killed_run(&project, &endpoint);
    // What the previous version left: the whole state in state.json, no journal.
    let (mut state, _) = agentctl_core::RunState::load(&run_dir).unwrap();
    state.journal_seq = 0;
    let old = serde_json::to_vec(&state).unwrap();
    assert!(!String::from_utf8_lossy(&old).contains("journal"));
    std::fs::write(run_dir.join("state.json"), old).unwrap();
    std::fs::remove_file(run_dir.join("journal.log")).unwrap();
    let resumed = resume(&project, &endpoint);
    assert_eq!(resumed.status.code(), Some(0), "{}", stderr_of(&resumed));
    assert_eq!(stdout_of(&resumed).trim(), "Deployed after the crash.");
    assert_each_step_once(&project);
}

#[test]
fn a_damaged_record_in_the_middle_stops_resume_naming_the_file() {
    let runtime = runtime();
    let project = Project::example();
    let endpoint = scenario(&runtime);
    let (run_dir, _) = killed_run(&project, &endpoint);
    let path = run_dir.join("journal.log");
    let mut journal = std::fs::read(&path).unwrap();
    assert!(journal_frames(&journal).len() >= 2);
    journal[20] ^= 0x01;
    std::fs::write(&path, &journal).unwrap();
    let audit_before = project.read("AUDIT_LOG.md");
    let run_id = run_dir.file_name().unwrap().to_str().unwrap().to_owned();

    let resumed = project.expect(&endpoint, &["resume", &run_id], 1);
    let stderr = stderr_of(&resumed);
    assert_contains(&stderr, "journal.log");
    assert!(
        stderr.contains("damaged at byte 0") && stderr.contains("checksum"),
        "{stderr}"
    );
    assert_contains(&stderr, "start a new run");
    assert_eq!(std::fs::read(&path).unwrap(), journal, "nothing rewritten");
    // `runs` lists the others and says which run it cannot read.
    let listed = project.agentctl().args(["runs"]).output().unwrap();
    assert_contains(&stderr_of(&listed), "journal.log is damaged");
    assert_eq!(project.read("AUDIT_LOG.md"), audit_before);
}

#[test]
fn a_pause_leaves_the_whole_state_in_the_snapshot_and_an_empty_journal() {
    let runtime = runtime();
    let project = project_with_approval_rule();
    let endpoint = mock(
        &runtime,
        vec![
            bash_call("echo approved > deploy/marker.txt"),
            text("Done."),
        ],
    );
    project.expect(&endpoint, &["run", "ops-devops", "--task", "T-154"], 3);
    let run_dir = std::fs::read_dir(project.path(".agentctl/runs"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .find(|path| path.is_dir())
        .unwrap();
    assert_eq!(
        std::fs::metadata(run_dir.join("journal.log")).map_or(0, |metadata| metadata.len()),
        0,
        "the pause compacted the journal"
    );
    let snapshot: Value =
        serde_json::from_slice(&std::fs::read(run_dir.join("state.json")).unwrap()).unwrap();
    assert_eq!(snapshot["status"], "paused");
    assert!(snapshot["messages"].as_array().unwrap().len() >= 2);
    project
        .agentctl()
        .args(["approve", "T-154", "--by", "alice"])
        .assert()
        .success();
    let resumed = resume(&project, &endpoint);
    assert_eq!(resumed.status.code(), Some(0), "{}", stderr_of(&resumed));
    assert_eq!(project.read("deploy/marker.txt").trim(), "approved");
}
