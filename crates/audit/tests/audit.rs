#![allow(clippy::unwrap_used, clippy::expect_used)]
//! End-to-end tests of the audit log: write through `AuditWriter`, damage the file the way a
//! person or a crash would, and check what `verify` names.

use std::path::{Path, PathBuf};
use std::process::Command;

use agentctl_audit::{
    read_entries, render_entry, verify, AuditEntry, AuditRecord, AuditWriter, Damage,
    VerifyOutcome, HEADER,
};
use agentctl_protocol::{EventKind, RunId, TaskId};
use serde_json::json;

fn record(index: u64) -> AuditRecord {
    let base = AuditRecord::new(EventKind::ToolAllowed)
        .with_run(RunId::new("r-20261122-050012-3f9a"))
        .with_task(TaskId::new("T-154"))
        .with_persona("devops-engineer")
        .with_detail("tool", "execute_bash")
        .with_detail("command", format!("make test-{index}"));
    if index == 2 {
        base.with_detail(
            "diff",
            "--- a/deploy.yml\n+++ b/deploy.yml\n-replicas: 2\n+replicas: 3\n",
        )
    } else {
        base
    }
}

/// A log with `count` entries and the entries as the writer returned them.
fn write_log(count: u64) -> (tempfile::TempDir, PathBuf, Vec<AuditEntry>) {
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("nested").join("AUDIT_LOG.md");
    let mut writer = AuditWriter::open(&path).unwrap();
    let entries = (1..=count)
        .map(|index| writer.append(record(index)).unwrap())
        .collect();
    (directory, path, entries)
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap()
}

/// The header and each entry block (heading through the blank line after the machine line).
fn split_blocks(text: &str) -> (String, Vec<String>) {
    let header_end = text.find("\n### ").map_or(text.len(), |offset| offset + 1);
    let (header, mut rest) = text.split_at(header_end);
    let mut blocks = Vec::new();
    while let Some(end) = rest.find(" -->\n\n") {
        let (block, remainder) = rest.split_at(end + " -->\n\n".len());
        blocks.push(block.to_owned());
        rest = remainder;
    }
    assert!(rest.is_empty(), "unexpected trailing text: {rest:?}");
    (header.to_owned(), blocks)
}

/// 1-based number of the first line that contains `needle`.
fn line_of(text: &str, needle: &str) -> usize {
    text.lines().position(|line| line.contains(needle)).unwrap() + 1
}

fn damaged(path: &Path) -> (Option<u64>, usize, Damage, String) {
    match verify(path).unwrap().outcome {
        VerifyOutcome::Damaged {
            seq,
            line,
            problem,
            message,
        } => (seq, line, problem, message),
        other => panic!("expected damage, got {other:?}"),
    }
}

#[test]
fn round_trip_five_entries() {
    let (_directory, path, written) = write_log(5);
    let text = read(&path);
    assert!(text.starts_with(HEADER));
    assert_eq!(text.matches("<!-- agentctl:v2 ").count(), 5);

    let entries = read_entries(&path).unwrap();
    assert_eq!(entries, written);
    assert_eq!(
        entries.iter().map(|entry| entry.seq).collect::<Vec<_>>(),
        [1, 2, 3, 4, 5]
    );
    assert_eq!(entries[0].prev, "0".repeat(64));
    for pair in entries.windows(2) {
        assert_eq!(pair[1].prev, pair[0].hash);
    }
    assert_eq!(
        entries[1].details["diff"],
        json!("--- a/deploy.yml\n+++ b/deploy.yml\n-replicas: 2\n+replicas: 3\n")
    );

    let report = verify(&path).unwrap();
    assert_eq!(report.outcome, VerifyOutcome::Intact);
    assert_eq!(report.entries, 5);
    assert_eq!(report.last_hash.as_deref(), Some(written[4].hash.as_str()));
}

#[test]
fn timestamps_are_utc_with_milliseconds() {
    let (_directory, _path, written) = write_log(1);
    let at = written[0].at.as_bytes();
    assert_eq!(at.len(), "2026-11-22T05:00:00.123Z".len());
    assert_eq!((at[10], at[19], at[23]), (b'T', b'.', b'Z'));
}

#[test]
fn the_writer_redacts_secrets_and_keeps_comment_syntax_inert() {
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("AUDIT_LOG.md");
    let mut writer = AuditWriter::open(&path).unwrap();
    let entry = writer
        .append(
            AuditRecord::new(EventKind::ToolResult)
                .with_detail(
                    "output",
                    "export OPENAI_API_KEY=sk-abcdefghijklmnopqrstuvwxyz012345",
                )
                .with_detail("note", "ends the comment --> early? <!-- no"),
        )
        .unwrap();
    assert_eq!(
        entry.details["output"],
        json!("export OPENAI_API_KEY=«redacted»")
    );
    let text = read(&path);
    assert!(!text.contains("sk-abcdef"));
    assert_eq!(
        text.matches("-->").count(),
        2,
        "only the machine line ends a comment, plus the visible note"
    );
    assert_eq!(
        read_entries(&path).unwrap()[0].details["note"],
        json!("ends the comment --> early? <!-- no")
    );
    assert_eq!(verify(&path).unwrap().outcome, VerifyOutcome::Intact);
}

#[test]
fn editing_a_visible_detail_is_caught_at_its_line() {
    let (_directory, path, _) = write_log(5);
    let text = read(&path);
    let original = "- command: `make test-3`";
    // The compact encoding keeps no second copy to compare with: the entry is named at its
    // heading, and its hash no longer matches.
    let line = line_of(&text, "### 3 ");
    std::fs::write(&path, text.replace(original, "- command: `make test-9`")).unwrap();

    let (seq, found_line, problem, message) = damaged(&path);
    assert_eq!((seq, found_line, problem), (Some(3), line, Damage::Edited));
    assert!(message.contains("was changed"), "{message}");
    assert_eq!(verify(&path).unwrap().entries, 2);
}

#[test]
fn editing_the_json_is_caught_at_the_entry() {
    let (_directory, path, _) = write_log(5);
    let text = read(&path);
    // A machine line that overrides a value the reviewer reads.
    let original = r#"{"seq":2}"#;
    assert_eq!(text.matches(original).count(), 1);
    let line = line_of(&text, "### 2 ");
    std::fs::write(
        &path,
        text.replace(original, r#"{"seq":2,"values":{"command":"make test-7"}}"#),
    )
    .unwrap();

    let (seq, found_line, problem, _) = damaged(&path);
    assert_eq!((seq, found_line, problem), (Some(2), line, Damage::Edited));
}

#[test]
fn an_entry_rewritten_with_a_recomputed_hash_breaks_the_next_link() {
    let (_directory, path, written) = write_log(4);
    let (header, mut blocks) = split_blocks(&read(&path));
    let mut forged = written[1].clone();
    forged
        .details
        .insert("command".to_owned(), json!("rm -rf /"));
    let (forged, canonical) = AuditEntry::seal(
        forged.seq,
        forged.at.clone(),
        forged.prev.clone(),
        AuditRecord {
            run: forged.run.clone(),
            task: forged.task.clone(),
            persona: forged.persona.clone(),
            event: forged.event,
            details: forged.details.clone(),
        },
    )
    .unwrap();
    blocks[1] = render_entry(&forged, &canonical);
    let text = format!("{header}{}", blocks.concat());
    std::fs::write(&path, &text).unwrap();

    let (seq, line, problem, message) = damaged(&path);
    assert_eq!((seq, problem), (Some(2), Damage::Edited));
    assert_eq!(line, line_of(&text, "### 2 "));
    assert!(message.contains("hash recomputed"), "{message}");
}

#[test]
fn deleting_an_entry_is_reported_as_removed() {
    let (_directory, path, _) = write_log(5);
    let (header, mut blocks) = split_blocks(&read(&path));
    blocks.remove(2);
    let text = format!("{header}{}", blocks.concat());
    std::fs::write(&path, &text).unwrap();

    let (seq, line, problem, message) = damaged(&path);
    assert_eq!((seq, problem), (Some(3), Damage::Removed));
    assert_eq!(line, line_of(&text, "### 4 "));
    assert!(message.contains("entry 3 is missing"), "{message}");
}

#[test]
fn deleting_the_first_entry_is_reported_as_removed() {
    let (_directory, path, _) = write_log(3);
    let (header, mut blocks) = split_blocks(&read(&path));
    blocks.remove(0);
    std::fs::write(&path, format!("{header}{}", blocks.concat())).unwrap();
    let (seq, _, problem, _) = damaged(&path);
    assert_eq!((seq, problem), (Some(1), Damage::Removed));
}

#[test]
fn a_forged_entry_with_a_valid_hash_of_its_own_is_reported_as_inserted() {
    let (_directory, path, written) = write_log(5);
    let (header, mut blocks) = split_blocks(&read(&path));
    // The forger knows entry 2's hash and builds a sound entry 3 that links to it.
    let (forged, canonical) = AuditEntry::seal(
        3,
        written[2].at.clone(),
        written[1].hash.clone(),
        AuditRecord::new(EventKind::GateApproved).with_detail("gate", "S08"),
    )
    .unwrap();
    blocks.insert(2, render_entry(&forged, &canonical));
    let text = format!("{header}{}", blocks.concat());
    std::fs::write(&path, &text).unwrap();

    let (seq, line, problem, _) = damaged(&path);
    assert_eq!((seq, problem), (Some(3), Damage::Inserted));
    assert_eq!(line, line_of(&text, "gate.approved"));
}

#[test]
fn a_forged_entry_that_links_nowhere_is_reported_as_inserted() {
    let (_directory, path, written) = write_log(4);
    let (header, mut blocks) = split_blocks(&read(&path));
    let (forged, canonical) = AuditEntry::seal(
        9,
        written[0].at.clone(),
        "f".repeat(64),
        AuditRecord::new(EventKind::GateApproved),
    )
    .unwrap();
    blocks.insert(1, render_entry(&forged, &canonical));
    let text = format!("{header}{}", blocks.concat());
    std::fs::write(&path, &text).unwrap();

    let (seq, line, problem, _) = damaged(&path);
    assert_eq!(
        (seq, line, problem),
        (Some(9), line_of(&text, "### 9 "), Damage::Inserted)
    );
}

#[test]
fn a_copied_entry_is_reported_as_inserted() {
    let (_directory, path, _) = write_log(3);
    let (header, mut blocks) = split_blocks(&read(&path));
    let copy = blocks[0].clone();
    blocks.push(copy);
    std::fs::write(&path, format!("{header}{}", blocks.concat())).unwrap();
    let (seq, _, problem, message) = damaged(&path);
    assert_eq!((seq, problem), (Some(1), Damage::Inserted));
    assert!(message.contains("copy"), "{message}");
}

#[test]
fn swapping_two_entries_is_reported_as_reordered() {
    let (_directory, path, _) = write_log(5);
    let (header, mut blocks) = split_blocks(&read(&path));
    blocks.swap(2, 3);
    let text = format!("{header}{}", blocks.concat());
    std::fs::write(&path, &text).unwrap();

    let (seq, line, problem, _) = damaged(&path);
    assert_eq!(
        (seq, line, problem),
        (Some(4), line_of(&text, "### 4 "), Damage::Reordered)
    );
    assert_eq!(verify(&path).unwrap().entries, 2);
}

#[test]
fn text_slipped_between_entries_is_reported_as_inserted() {
    let (_directory, path, _) = write_log(3);
    let (header, mut blocks) = split_blocks(&read(&path));
    blocks.insert(2, "Approved by the CTO.\n\n".to_owned());
    let text = format!("{header}{}", blocks.concat());
    std::fs::write(&path, &text).unwrap();
    let (seq, line, problem, _) = damaged(&path);
    assert_eq!(
        (seq, line, problem),
        (None, line_of(&text, "Approved by"), Damage::Inserted)
    );
}

#[test]
fn a_fake_entry_heading_in_the_header_does_not_pass_as_intact() {
    let (_directory, path, _) = write_log(2);
    let text = read(&path).replacen("# Audit log\n", "# Audit log\n\n### 0 · fake\n", 1);
    std::fs::write(&path, &text).unwrap();
    assert!(matches!(
        verify(&path).unwrap().outcome,
        VerifyOutcome::Torn { line: 3, .. }
    ));
}

#[test]
fn a_cut_off_last_entry_is_torn_not_tampering() {
    let (_directory, path, written) = write_log(5);
    let text = read(&path);
    let fifth = text.find("### 5 ").unwrap();
    let cut_at = fifth + 60;
    std::fs::write(&path, &text.as_bytes()[..cut_at]).unwrap();

    let report = verify(&path).unwrap();
    assert_eq!(report.entries, 4);
    assert_eq!(report.last_hash.as_deref(), Some(written[3].hash.as_str()));
    match report.outcome {
        VerifyOutcome::Torn { line, .. } => assert_eq!(line, line_of(&text, "### 5 ")),
        other => panic!("expected torn, got {other:?}"),
    }
    assert_eq!(read_entries(&path).unwrap().len(), 4);
}

#[test]
fn appending_after_a_torn_tail_chains_from_the_last_complete_entry() {
    let (_directory, path, written) = write_log(5);
    let text = read(&path);
    let torn_line = line_of(&text, "### 5 ");
    // Cut entry 5 in the middle of its machine line.
    let machine = text.rfind("<!-- agentctl:v2 ").unwrap();
    std::fs::write(&path, &text.as_bytes()[..machine + 40]).unwrap();

    let mut writer = AuditWriter::open(&path).unwrap();
    let next = writer.append(record(6)).unwrap();
    assert_eq!(next.seq, 5, "the torn entry never got its number");
    assert_eq!(next.prev, written[3].hash);
    let after = writer.append(record(7)).unwrap();
    assert_eq!(after.prev, next.hash);

    let report = verify(&path).unwrap();
    assert_eq!(report.entries, 6);
    match report.outcome {
        VerifyOutcome::Torn { line, .. } => assert_eq!(line, torn_line),
        other => panic!("expected torn, got {other:?}"),
    }
    let seqs: Vec<u64> = read_entries(&path)
        .unwrap()
        .iter()
        .map(|entry| entry.seq)
        .collect();
    assert_eq!(seqs, [1, 2, 3, 4, 5, 6]);
}

#[test]
fn a_torn_entry_inside_a_code_fence_is_closed_before_the_next_entry() {
    let (_directory, path, written) = write_log(2);
    let text = read(&path);
    let cut_at = text.find("-replicas: 2").unwrap();
    std::fs::write(&path, &text.as_bytes()[..cut_at]).unwrap();

    let mut writer = AuditWriter::open(&path).unwrap();
    let next = writer.append(record(3)).unwrap();
    assert_eq!(
        (next.seq, next.prev.as_str()),
        (2, written[0].hash.as_str())
    );
    let text = read(&path);
    assert!(text.contains("+++ b/deploy.yml\n```\n\n### 2 "), "{text}");
    assert!(matches!(
        verify(&path).unwrap().outcome,
        VerifyOutcome::Torn { .. }
    ));
}

#[test]
fn a_missing_final_newline_is_torn_and_the_next_append_completes_it() {
    let (_directory, path, written) = write_log(3);
    let text = read(&path);
    std::fs::write(&path, &text.as_bytes()[..text.len() - 2]).unwrap();
    let report = verify(&path).unwrap();
    assert_eq!(report.entries, 3);
    assert!(matches!(report.outcome, VerifyOutcome::Torn { .. }));

    let mut writer = AuditWriter::open(&path).unwrap();
    let next = writer.append(record(4)).unwrap();
    assert_eq!(
        (next.seq, next.prev.as_str()),
        (4, written[2].hash.as_str())
    );
    let report = verify(&path).unwrap();
    assert_eq!((report.entries, report.outcome), (4, VerifyOutcome::Intact));
}

#[test]
fn a_torn_block_that_later_entries_chain_from_was_damaged_not_torn() {
    let (_directory, path, _) = write_log(4);
    let text = read(&path);
    // Break entry 2's machine line so it no longer reads as complete.
    let machine = text.match_indices("<!-- agentctl:v2 ").nth(1).unwrap().0;
    let end = machine + text[machine..].find(" -->\n").unwrap();
    let broken = format!("{}{}", &text[..end], &text[end + " -->".len()..]);
    std::fs::write(&path, &broken).unwrap();
    let (seq, line, problem, _) = damaged(&path);
    assert_eq!(
        (seq, line, problem),
        (Some(2), line_of(&broken, "### 2 "), Damage::Malformed)
    );
}

#[test]
fn a_torn_first_entry_after_the_header_starts_the_chain_again() {
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("AUDIT_LOG.md");
    let mut writer = AuditWriter::open(&path).unwrap();
    writer.append(record(1)).unwrap();
    let text = read(&path);
    std::fs::write(&path, &text.as_bytes()[..HEADER.len() + 20]).unwrap();
    drop(writer);

    let mut writer = AuditWriter::open(&path).unwrap();
    let first = writer.append(record(2)).unwrap();
    assert_eq!(
        (first.seq, first.prev.as_str()),
        (1, "0".repeat(64).as_str())
    );
    let report = verify(&path).unwrap();
    assert_eq!(report.entries, 1);
    assert!(matches!(report.outcome, VerifyOutcome::Torn { .. }));
}

#[test]
fn writers_notice_each_others_appends() {
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("AUDIT_LOG.md");
    let mut first = AuditWriter::open(&path).unwrap();
    let mut second = AuditWriter::open(&path).unwrap();
    let one = first.append(record(1)).unwrap();
    let two = second.append(record(2)).unwrap();
    let three = first.append(record(3)).unwrap();
    assert_eq!((one.seq, two.seq, three.seq), (1, 2, 3));
    assert_eq!(three.prev, two.hash);
    assert_eq!(verify(&path).unwrap().outcome, VerifyOutcome::Intact);
}

fn assert_each_writer_in_order(path: &Path, writers: &[&str], per_writer: u64) {
    let entries = read_entries(path).unwrap();
    assert_eq!(entries.len() as u64, per_writer * writers.len() as u64);
    for writer in writers {
        let indices: Vec<u64> = entries
            .iter()
            .filter(|entry| entry.details["writer"] == json!(writer))
            .map(|entry| entry.details["index"].as_u64().unwrap())
            .collect();
        assert_eq!(
            indices,
            (0..per_writer).collect::<Vec<_>>(),
            "writer {writer}"
        );
    }
    let report = verify(path).unwrap();
    assert_eq!(report.outcome, VerifyOutcome::Intact);
    assert_eq!(report.entries, per_writer * writers.len() as u64);
}

fn append_tagged(path: &Path, label: &str, count: u64) {
    let mut writer = AuditWriter::open(path).unwrap();
    for index in 0..count {
        writer
            .append(
                AuditRecord::new(EventKind::ToolResult)
                    .with_detail("writer", label)
                    .with_detail("index", index)
                    .with_detail("output", format!("{label}\n{index}")),
            )
            .unwrap();
    }
}

#[test]
fn concurrent_threads_never_interleave() {
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("AUDIT_LOG.md");
    std::thread::scope(|scope| {
        for label in ["alpha", "beta", "gamma"] {
            let path = &path;
            scope.spawn(move || append_tagged(path, label, 40));
        }
    });
    assert_each_writer_in_order(&path, &["alpha", "beta", "gamma"], 40);
}

#[test]
fn concurrent_processes_never_interleave() {
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("logs").join("AUDIT_LOG.md");
    let helper = env!("CARGO_BIN_EXE_audit-append-stress");
    let children: Vec<_> = ["proc-a", "proc-b"]
        .into_iter()
        .map(|label| {
            Command::new(helper)
                .arg(&path)
                .arg("40")
                .arg(label)
                .spawn()
                .unwrap()
        })
        .collect();
    append_tagged(&path, "in-process", 40);
    for mut child in children {
        assert!(child.wait().unwrap().success());
    }
    assert_each_writer_in_order(&path, &["proc-a", "proc-b", "in-process"], 40);
    let text = read(&path);
    assert_eq!(
        text.matches(HEADER).count(),
        1,
        "the header is written once"
    );
}

#[test]
fn verify_and_read_report_a_missing_file() {
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("AUDIT_LOG.md");
    assert!(matches!(
        verify(&path),
        Err(agentctl_audit::AuditError::NotFound { .. })
    ));
    assert!(matches!(
        read_entries(&path),
        Err(agentctl_audit::AuditError::NotFound { .. })
    ));
}

#[test]
fn a_batch_appends_in_one_write_and_chains_like_single_appends() {
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("AUDIT_LOG.md");
    let mut writer = agentctl_audit::AuditWriter::open(&path).unwrap();
    writer
        .append(agentctl_audit::AuditRecord::new(
            agentctl_protocol::EventKind::RunStarted,
        ))
        .unwrap();
    let records = (0..3)
        .map(|index| {
            agentctl_audit::AuditRecord::new(agentctl_protocol::EventKind::ToolDenied)
                .with_detail("index", serde_json::Value::from(index))
        })
        .collect();
    let entries = writer.append_all(records).unwrap();
    assert_eq!(
        entries.iter().map(|entry| entry.seq).collect::<Vec<_>>(),
        vec![2, 3, 4]
    );
    assert_eq!(entries[1].prev, entries[0].hash);
    writer
        .append(agentctl_audit::AuditRecord::new(
            agentctl_protocol::EventKind::RunFinished,
        ))
        .unwrap();
    let report = agentctl_audit::verify(&path).unwrap();
    assert_eq!(report.entries, 5);
    assert!(
        matches!(report.outcome, agentctl_audit::VerifyOutcome::Intact),
        "{:?}",
        report.outcome
    );
    assert!(writer.append_all(Vec::new()).unwrap().is_empty());
}
