//! Tool handlers: file system, shell and AWS CLI calls that policy already approved.
//!
//! Owns: carrying out one tool call safely and within bounds — [`fs_read`], [`fs_list`],
//! [`fs_write`] (atomic replace plus a unified diff), [`execute_bash`] and [`use_aws`] (time
//! limit, output cap, environment built from an allowlist, the OS sandbox of
//! `agentctl-sandbox`, process-group kill) — together with the
//! tool schemas offered to the model ([`tool_specs`]) and strict parsing of the model's
//! argument text ([`parse_arguments`]).
//!
//! Does not know about: personas, permissions or policy (callers pass only calls the policy
//! engine allowed, with the path it resolved), approvals, the audit log, or the model. Handoffs
//! and gate reports are parsed here but carried out by the run loop.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

mod arguments;
mod aws;
mod bash;
mod changes;
mod confine;
mod context;
mod environment;
mod error;
mod files;
mod process;
mod scratch;
mod specs;
mod write;

pub use arguments::{parse_arguments, ParsedArguments};
pub use aws::{aws_arguments, cli_name, use_aws, AwsCall};
pub use bash::execute_bash;
pub use changes::{CommandChanges, MAX_LISTED_FILES};
pub use confine::CallScope;
pub use context::{SandboxMode, ToolContext, ToolOutput};
pub use error::ToolError;
pub use files::{fs_list, fs_read, MAX_LIST_ENTRIES};
pub use specs::{description, schema, tool_specs};
pub use write::{fs_write, FileChange, MAX_WRITE_BYTES};
