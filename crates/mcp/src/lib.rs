//! Tools from Model Context Protocol servers, for agentctl personas.
//!
//! Owns: starting a configured server on first need (a child process speaking MCP on stdio, or
//! a streamable HTTP endpoint) through the official Rust SDK (`rmcp`), listing its tools with
//! their untrusted descriptions and schemas cut to size ([`McpTool`]), calling a tool with a
//! time limit and turning its result — text, structured content, `isError` — into bounded text
//! for the model ([`McpCallOutput`]), restarting a crashed server within a budget, and stopping
//! every server at the end of a run ([`McpHub::shutdown`]).
//!
//! Does not know about: personas or policy (the caller offers and calls only tools the policy
//! engine allowed), approvals, the audit log, or how a stdio server's process is confined — the
//! caller's [`Launcher`] builds that command, so the OS sandbox wraps MCP servers exactly as it
//! wraps shell commands.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

mod connect;
mod error;
mod hub;
mod result;
mod tool;

pub use error::McpError;
pub use hub::{DirectLauncher, Launcher, McpHub, ServerStatus, StdioLaunch, MAX_RESTARTS};
pub use result::McpCallOutput;
pub use tool::{McpTool, MAX_DESCRIPTION_BYTES, MAX_SCHEMA_BYTES};
