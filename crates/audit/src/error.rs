//! Errors of the audit crate, each naming the log file and, where it applies, the line.
//!
//! Damage found by `verify` is not an error: it is a [`crate::VerifyOutcome`]. These errors are
//! the cases where the crate could not do its work at all.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    /// The log file does not exist (only `read_entries` and `verify` report this; the writer
    /// creates the file).
    #[error("audit log {path} does not exist")]
    NotFound { path: PathBuf },
    /// Reading, writing or syncing failed. The source comes from `fs_err` and names the path.
    #[error("audit log I/O failed: {source}")]
    Io {
        #[from]
        source: std::io::Error,
    },
    /// The exclusive file lock could not be taken or released.
    #[error("cannot lock audit log {path}: {source}")]
    Lock {
        path: PathBuf,
        source: std::io::Error,
    },
    /// A machine line could not be read back.
    #[error("audit log {path}, line {line}: {message}")]
    Malformed {
        path: PathBuf,
        line: usize,
        message: String,
    },
    /// agentctl's own file is a link it did not make, or lies behind one.
    #[error("{source}")]
    Link {
        #[from]
        source: agentctl_safe_fs::SafeFsError,
    },
    /// The recorded head of the chain cannot be read.
    #[error("audit head {path}: {message}")]
    Anchor { path: PathBuf, message: String },
    /// The log ends before the head agentctl recorded: it was cut short or rewritten.
    #[error("refusing to append to {path}: it no longer holds entry #{entries} that agentctl recorded at {at} (it ends at entry #{found}); the log was cut short or rewritten: `agentctl audit verify` says since when")]
    Shortened {
        path: PathBuf,
        entries: u64,
        at: String,
        found: u64,
    },
    /// A record's details could not be turned into canonical JSON.
    #[error("cannot encode audit entry {seq} as JSON: {source}")]
    Encode { seq: u64, source: serde_json::Error },
}

impl AuditError {
    /// What the user should do next.
    pub fn hint(&self) -> Option<String> {
        match self {
            AuditError::NotFound { .. } => Some(
                "no audit log has been written yet; it is created by the first `agentctl run`"
                    .to_owned(),
            ),
            AuditError::Io { .. } => {
                Some("check that the file and its directory exist and are writable".to_owned())
            }
            AuditError::Lock { .. } => Some(
                "another process may hold the lock; check that the file system supports locks"
                    .to_owned(),
            ),
            AuditError::Malformed { .. } => {
                Some("run `agentctl audit verify` to find the first damaged entry".to_owned())
            }
            AuditError::Encode { .. } => None,
            AuditError::Link { source } => Some(source.hint()),
            AuditError::Anchor { .. } => Some(
                "the head file is written only by agentctl; restore it from a backup, or move it aside to start a new anchor"
                    .to_owned(),
            ),
            AuditError::Shortened { .. } => Some(
                "run `agentctl audit verify` to see since when; restore the log from a backup, or move .agentctl/audit-head.json aside to start a new anchor once the loss is recorded"
                    .to_owned(),
            ),
        }
    }
}
