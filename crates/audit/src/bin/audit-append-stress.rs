//! Test helper, not a user tool: appends COUNT entries to the audit log at PATH, each tagged
//! with LABEL, so the integration tests can run several writer processes against one file.
//!
//! Usage: `audit-append-stress PATH COUNT LABEL`

use std::path::PathBuf;
use std::process::ExitCode;

use agentctl_audit::{AuditRecord, AuditWriter};
use agentctl_protocol::EventKind;

fn main() -> ExitCode {
    let arguments: Vec<String> = std::env::args().skip(1).collect();
    let [path, count, label] = arguments.as_slice() else {
        return ExitCode::from(2);
    };
    let Ok(count) = count.parse::<u64>() else {
        return ExitCode::from(2);
    };
    match append(PathBuf::from(path), count, label) {
        Ok(()) => ExitCode::SUCCESS,
        Err(_) => ExitCode::FAILURE,
    }
}

fn append(path: PathBuf, count: u64, label: &str) -> Result<(), agentctl_audit::AuditError> {
    let mut writer = AuditWriter::open(&path)?;
    for index in 0..count {
        writer.append(
            AuditRecord::new(EventKind::ToolResult)
                .with_persona(label)
                .with_detail("writer", label)
                .with_detail("index", index)
                .with_detail("output", format!("line one of {label} {index}\nline two")),
        )?;
    }
    Ok(())
}
