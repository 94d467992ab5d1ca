//! The append-only, hash-chained `AUDIT_LOG.md`: writer, reader and verifier.
//!
//! Owns: the entry model ([`AuditRecord`] in, [`AuditEntry`] out), its canonical JSON and
//! SHA-256 chain, the Markdown rendering of each entry, appending under a file lock with fsync,
//! reading entries back for `agentctl audit show`, verifying the chain and the visible text for
//! `agentctl audit verify`, and redacting secrets and cutting large outputs before they are
//! logged. The format is described in `docs/audit-log.md`.
//!
//! Does not know about: runs, policies, tools or models (callers describe events as records), the
//! command line, or where the log lives (callers pass the path from the configuration).
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

mod anchor;
mod compact;
mod entry;
mod error;
mod reader;
mod redact;
mod render;
mod verify;
mod writer;

pub use anchor::{
    head_path, verify_anchored, verify_anchored_file, AnchorReport, AuditHead, HeadFile, NamedHead,
    HEAD_FILE_NAME,
};
pub use compact::render_compact;
pub use entry::{chain_hash, format_timestamp, AuditEntry, AuditRecord, GENESIS_HASH};
pub use error::AuditError;
pub use reader::{for_each_entry, read_entries};
pub use redact::{cut, is_secret_key, redact, redact_value, Redactor, REDACTED};
pub use render::{render_entry, HEADER};
pub use verify::{verify, verify_bytes, Damage, VerifyOutcome, VerifyReport};
pub use writer::AuditWriter;
