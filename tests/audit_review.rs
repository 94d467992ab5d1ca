//! The audit log as a review document: the compact encoding (size, migration from the first
//! encoding), `audit show` filters, `audit verify --json` and `audit export --html`, driving the
//! real binary against the mock endpoint.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

mod common;

use common::{
    assert_contains, bash_call, line_containing, load_in_browser, mock, project_with_approval_rule,
    runtime, stderr_of, text, tool_call, Project,
};
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
            bash_call("rm -rf /"),
            text("Deployment updated."),
        ],
    );
    project.expect(&first, &["run", "ops-devops", "--task", "T-154"], 0);

    let second = mock(
        &runtime,
        vec![
            bash_call("echo approved >> deploy/marker.txt"),
            text("Done."),
        ],
    );
    project.expect(&second, &["run", "ops-devops", "--task", "T-154"], 3);
    project.expect_offline(
        &[
            "approve",
            "T-154",
            "--by",
            "alice",
            "--note",
            "change window 14:00",
        ],
        0,
    );
    project.expect(&second, &["resume", "T-154"], 0);

    let third = mock(
        &runtime,
        vec![
            bash_call("echo approved > deploy/marker.txt"),
            text("Understood."),
        ],
    );
    project.expect(&third, &["run", "ops-devops", "--task", "T-154"], 3);
    project.expect_offline(
        &[
            "reject",
            "T-154",
            "--by",
            "bob",
            "--reason",
            "no rollback plan",
        ],
        0,
    );
    project.expect(&third, &["resume", "T-154"], 0);
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

/// Bytes of machine lines (what a Markdown viewer hides) over all bytes of the log.
fn hidden_share(log: &str) -> f64 {
    let hidden: usize = log
        .split_inclusive('\n')
        .filter(|line| line.starts_with("<!-- agentctl:"))
        .map(str::len)
        .sum();
    hidden as f64 / log.len() as f64
}

#[test]
fn the_compact_log_hides_at_most_a_quarter_and_holds_a_file_once() {
    let project = review_scenario();
    project.assert_audit_intact();
    let log = project.read("AUDIT_LOG.md");
    assert!(
        !log.contains("<!-- agentctl:v1 "),
        "the writer writes only v2"
    );
    let share = hidden_share(&log);
    assert!(
        share <= 0.25,
        "machine lines are {:.1} % of the log",
        share * 100.0
    );
    // The first encoding hid more than half of the same scenario.
    let old = std::fs::read_to_string(fixture("v1-three-runs.md")).unwrap();
    assert!(hidden_share(&old) > 0.5);
    assert!(
        log.len() < old.len() * 2 / 3,
        "{} vs {}",
        log.len(),
        old.len()
    );
    // The written file's content is in the log once: in its diff, not again in the call.
    assert_eq!(log.matches("sidecar:1.29.0").count(), 1, "{log}");
    assert_eq!(old.matches("sidecar:1.29.0").count(), 4);
    // Everything the reviewer reads still comes back exactly.
    let entries = project.audit();
    let approved = entries
        .iter()
        .find(|entry| entry["event"] == "gate.approved")
        .unwrap();
    assert_eq!(approved["details"]["note"], "change window 14:00");
    let written = entries
        .iter()
        .find(|entry| entry["event"] == "file.diff")
        .unwrap();
    assert!(written["details"]["diff"]
        .as_str()
        .unwrap()
        .contains("+        - name: sidecar-29"));
}

fn fixture(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/audit")
        .join(name)
}

#[test]
fn a_log_in_the_first_encoding_verifies_and_reads() {
    let project = Project::example();
    std::fs::copy(fixture("v1-three-runs.md"), project.path("AUDIT_LOG.md")).unwrap();
    project.expect_offline(&["audit", "verify"], 0);
    let entries = project.audit();
    assert_eq!(entries.len(), 37);
    assert_eq!(entries[20]["details"]["note"], "change window 14:00");
}

#[test]
fn a_log_with_old_entries_then_new_ones_verifies_and_an_edit_in_either_part_is_caught() {
    let runtime = runtime();
    let project = Project::example();
    std::fs::copy(fixture("v1-three-runs.md"), project.path("AUDIT_LOG.md")).unwrap();
    let endpoint = mock(&runtime, vec![text("Nothing to do.")]);
    project.expect(&endpoint, &["run", "ops-devops", "--task", "T-154"], 0);
    let log = project.read("AUDIT_LOG.md");
    assert_eq!(log.matches("<!-- agentctl:v1 ").count(), 37);
    assert!(log.matches("<!-- agentctl:v2 ").count() >= 3);
    project.assert_audit_intact();
    let entries = project.audit();
    assert_eq!(entries[37]["seq"], 38);
    assert_eq!(entries[37]["prev"], entries[36]["hash"]);

    for (original, forged) in [
        (
            "- note: `change window 14:00`",
            "- note: `change window 15:00`",
        ),
        ("- status: `finished`", "- status: `failed`"),
    ] {
        let edited = project.read("AUDIT_LOG.md");
        // The last occurrence: in the new part for the status, in the old part for the note.
        let at = edited.rfind(original).unwrap();
        let mut changed = edited.clone();
        changed.replace_range(at..at + original.len(), forged);
        project.write("AUDIT_LOG.md", &changed);
        let verify = project
            .agentctl()
            .args(["audit", "verify"])
            .output()
            .unwrap();
        assert_eq!(
            verify.status.code(),
            Some(1),
            "{original}: {}",
            stderr_of(&verify)
        );
        project.write("AUDIT_LOG.md", &edited);
    }
}

fn show(project: &Project, arguments: &[&str]) -> (Option<i32>, String, String) {
    let output = project
        .agentctl()
        .args(["audit", "show"])
        .args(arguments)
        .output()
        .unwrap();
    (
        output.status.code(),
        common::stdout_of(&output),
        stderr_of(&output),
    )
}

#[test]
fn audit_show_has_dates_notes_reasons_time_filters_and_run_prefixes() {
    let project = review_scenario();
    let (code, all, _) = show(&project, &[]);
    assert_eq!(code, Some(0));
    let approved = line_containing(&all, "gate.approved");
    assert_contains(approved, "approved by alice");
    assert_contains(approved, "note: change window 14:00");
    let rejected = line_containing(&all, "gate.rejected");
    assert_contains(rejected, "reason: no rollback plan");
    // A date column: `#1     2026-11-26 19:33:06 …`.
    let first = all.lines().next().unwrap();
    let date = first.split_whitespace().nth(1).unwrap();
    assert!(
        date.len() == 10 && date.as_bytes()[4] == b'-' && date.as_bytes()[7] == b'-',
        "{first}"
    );

    let entries = project.audit();
    let total = entries.len();
    // An instant inside the log: entries at it or after, compared as instants (the log's
    // times have milliseconds; the filter has none or other digits).
    let middle = entries[total / 2]["at"].as_str().unwrap().to_owned();
    let whole_second = format!("{}Z", &middle[..19]);
    let (code, since, _) = show(&project, &["--since", &whole_second]);
    assert_eq!(code, Some(0));
    assert!(since.contains(&format!("#{}", total / 2 + 1)));
    let (_, until, _) = show(&project, &["--until", &whole_second]);
    assert_eq!(since.lines().count() + until.lines().count(), total);
    for (recent, expected) in [("10m", total), ("today", total), ("yesterday", total)] {
        let (code, text, stderr) = show(&project, &["--since", recent]);
        assert_eq!(code, Some(0), "{stderr}");
        assert_eq!(text.lines().count(), expected, "--since {recent}");
    }
    let (_, none, _) = show(&project, &["--until", "yesterday"]);
    assert_eq!(none.lines().count(), 0);
    let (code, _, stderr) = show(&project, &["--since", "last week"]);
    assert_eq!(code, Some(2));
    assert!(
        stderr.contains("last week") && stderr.contains("10m"),
        "{stderr}"
    );

    // Run ids: a unique prefix is accepted, an ambiguous one names the candidates.
    let runs: Vec<String> = {
        let mut runs: Vec<String> = entries
            .iter()
            .filter_map(|entry| entry["run"].as_str().map(str::to_owned))
            .collect();
        runs.dedup();
        runs
    };
    assert_eq!(runs.len(), 3);
    let unique = &runs[0][..runs[0].len() - 3];
    let (code, one, stderr) = show(&project, &["--run", unique]);
    if runs.iter().filter(|run| run.starts_with(unique)).count() == 1 {
        assert_eq!(code, Some(0), "{stderr}");
        assert!(one.lines().count() > 3);
    }
    let (code, _, stderr) = show(&project, &["--run", "r-"]);
    assert_eq!(code, Some(2));
    for run in &runs {
        assert_contains(&stderr, run.as_str());
    }
    // A prefix no run has shows nothing, like any filter that matches nothing.
    let (code, nothing, stderr) = show(&project, &["--run", "r-nothing"]);
    assert_eq!((code, nothing.as_str()), (Some(0), ""), "{stderr}");
}

#[test]
fn audit_verify_json_names_the_first_problem_and_since_when() {
    let project = review_scenario();
    let verify = |project: &Project| {
        let output = project
            .agentctl()
            .args(["audit", "verify", "--json"])
            .output()
            .unwrap();
        let value: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        (output.status.code(), value)
    };
    let (code, intact) = verify(&project);
    assert_eq!(code, Some(0));
    assert_eq!(intact["ok"], true);
    assert_eq!(intact["status"], "intact");
    let entries = project.audit();
    assert_eq!(intact["entries"], entries.len());
    assert_eq!(intact["head"], entries.last().unwrap()["hash"]);
    assert!(intact["problem"].is_null());

    let log = project.read("AUDIT_LOG.md");
    project.write(
        "AUDIT_LOG.md",
        &log.replace("- note: `change window 14:00`", "- note: `any time`"),
    );
    let (code, damaged) = verify(&project);
    assert_eq!(code, Some(1));
    assert_eq!(damaged["ok"], false);
    assert_eq!(damaged["status"], "damaged");
    let approved = entries
        .iter()
        .find(|entry| entry["event"] == "gate.approved")
        .unwrap();
    let seq = approved["seq"].as_u64().unwrap();
    assert_eq!(damaged["problem"]["entry"], seq);
    assert_eq!(damaged["problem"]["kind"], "edited");
    assert!(damaged["problem"]["line"].as_u64().unwrap() > 1);
    assert_eq!(damaged["entries"], seq - 1);
    assert_eq!(
        damaged["problem"]["since"],
        entries[seq as usize - 2]["at"],
        "trustworthy up to the entry before"
    );
}

#[test]
fn the_review_page_shows_runs_approvals_denials_diffs_and_verify_in_a_real_browser() {
    let project = review_scenario();
    let page = project.path("review.html");
    project.expect_offline(&["audit", "export", "--html", "review.html"], 0);
    let html = std::fs::read_to_string(&page).unwrap();
    // The payloads went through a tool argument and are in the log, but never as markup.
    assert!(project.read("AUDIT_LOG.md").contains("onerror="));
    assert!(!html.contains("<img"));
    assert!(!html.contains("<script>window"));
    assert!(html.contains("&lt;script&gt;window.injected=1&lt;/script&gt;"));
    assert!(!html.contains("http://") && !html.contains("https://"));

    let Some(shown) = load_in_browser(&page) else {
        return;
    };
    assert!(
        shown["verify"]
            .as_str()
            .unwrap()
            .starts_with("Verified: intact"),
        "{shown}"
    );
    assert_eq!(shown["verify_class"], "ok");
    let runs = shown["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 3, "{shown}");
    assert!(runs
        .iter()
        .all(|run| run.as_str().unwrap().contains("task T-154")));
    assert!(shown["personas"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p == "ops-devops"));
    let approvals = shown["approvals"].as_array().unwrap();
    assert_eq!(approvals.len(), 1, "{shown}");
    assert_eq!(approvals[0]["who"], "alice");
    assert_eq!(approvals[0]["note"], "change window 14:00");
    assert!(approvals[0]["when"].as_str().unwrap().ends_with('Z'));
    let rejections = shown["rejections"].as_array().unwrap();
    assert_eq!(rejections[0]["who"], "bob");
    assert_eq!(rejections[0]["reason"], "no rollback plan");
    let denials = shown["denials"].as_array().unwrap();
    assert!(
        denials
            .iter()
            .any(|denial| denial.as_str().unwrap().contains("rm -rf /")),
        "{shown}"
    );
    assert!(shown["denial_background"]
        .as_array()
        .unwrap()
        .iter()
        .all(|colour| colour != "rgba(0, 0, 0, 0)"));
    assert!(shown["diff_paths"]
        .as_array()
        .unwrap()
        .iter()
        .any(|path| path == "deploy/k8s/deployment.yaml"));
    assert!(shown["diff_added"]
        .as_array()
        .unwrap()
        .iter()
        .any(|line| line.as_str().unwrap().contains("sidecar-29")));
    // The injected markup shows as text and never ran; the page's own script did.
    assert_eq!(shown["injected"], serde_json::Value::Null);
    assert_eq!(shown["injected_after"], serde_json::Value::Null);
    assert_eq!(shown["hostile_text_shown"], true);
    assert_eq!(shown["script_elements"], 1);
    assert_eq!(shown["img_elements"], 0);
    assert_eq!(shown["dialogs"], serde_json::json!([]));
    assert_eq!(shown["network_requests"], serde_json::json!([]));
    let all = shown["entries_visible"].as_u64().unwrap();
    let decisions = shown["entries_visible_decisions_only"].as_u64().unwrap();
    assert!(decisions > 0 && decisions < all, "{all} {decisions}");
}

#[test]
fn audit_show_follow_prints_entries_as_they_are_appended() {
    use std::io::BufRead as _;
    let runtime = runtime();
    let project = Project::example();
    let first = mock(&runtime, vec![text("First run.")]);
    project.expect(&first, &["run", "ops-devops", "--task", "T-154"], 0);
    let before = project.audit().len();

    let binary = assert_cmd::cargo::cargo_bin("agentctl");
    let mut follower = std::process::Command::new(binary)
        .args(["audit", "show", "--follow", "--event", "model.response"])
        .current_dir(project.path(""))
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = follower.stdout.take().unwrap();
    let (lines, received) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout).lines() {
            if lines.send(line.unwrap()).is_err() {
                break;
            }
        }
    });
    let next = |what: &str| {
        received
            .recv_timeout(std::time::Duration::from_secs(20))
            .unwrap_or_else(|_| panic!("no line for {what}"))
    };
    assert!(next("the existing entry").contains("model.response"));

    let second = mock(&runtime, vec![text("Second run.")]);
    project.expect(&second, &["run", "ops-devops", "--task", "T-154"], 0);
    let appended = next("the appended entry");
    assert_contains(&appended, "model.response");
    let seq: usize = appended
        .trim_start_matches('#')
        .split_whitespace()
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(seq > before, "{appended}");
    // Still running until interrupted.
    assert!(follower.try_wait().unwrap().is_none());
    follower.kill().unwrap();
    let _ = follower.wait();
}
