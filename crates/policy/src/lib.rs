//! Decides whether a tool call is allowed, needs approval, or is denied.
//!
//! Owns: the policy of one persona, compiled once by [`PolicyEngine::new`] from a
//! [`PolicySpec`], and one [`Verdict`] per [`ToolRequest`] from [`PolicyEngine::decide`]:
//! whether the tool was granted, whether a path stays in the workspace and in the persona's
//! scopes, whether every command of a shell line is allowed, whether an AWS call, handoff or
//! gate report is permitted. Decisions are ordered deny > approve > allow; the strictest match
//! wins; no match is a denial. See `docs/policy.md`.
//!
//! Does not know about: running tools, asking humans, the audit log, configuration files or
//! persona formats. It reads the file system only to resolve symbolic links.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

mod aws;
mod command;
mod describe;
mod engine;
mod error;
mod evidence;
mod git_hooks;
mod mcp;
mod path;
mod request;
mod scope;
mod shell;
mod wildcard;

pub use command::MAX_COMMAND_BYTES;
pub use describe::EffectivePolicy;
pub use engine::PolicyEngine;
pub use error::PolicyError;
pub use evidence::evidence_command_match;
pub use mcp::{pattern_names_server, rules_reach_server};
pub use request::{PolicySpec, ToolRequest, Verdict};
