//! The shared vocabulary of agentctl.
//!
//! Owns: the plain data types every other crate speaks — identifiers ([`RunId`], [`TaskId`],
//! [`SessionId`]), SDLC [`Gate`]s, built-in [`ToolName`]s, a persona's [`Permissions`], policy
//! [`Decision`]s, chat [`Message`]s and tool calls, audit [`EventKind`]s, and lint
//! [`Diagnostic`]s.
//!
//! Does not know about: files, the network, parsing of persona formats, how a decision is
//! reached, or how anything is rendered. Everything here is serde data with no I/O, so it can be
//! persisted in run state and audit entries and shared by every layer.

mod diagnostic;
mod event;
mod gate;
mod ids;
mod mcp;
mod message;
mod permissions;
mod tool;

pub use diagnostic::{Diagnostic, Severity};
pub use event::EventKind;
pub use gate::{Gate, GateStatus, ParseGateError};
pub use ids::{RunId, SessionId, TaskId};
pub use mcp::{offered_tool_name, McpRules, McpServerSpec, McpTransport, MCP_TOOL_PREFIX};
pub use message::{Message, Role, ToolCall, Usage};
pub use permissions::{Decision, DecisionKind, PatternRules, Permissions};
pub use tool::{ParseToolNameError, ToolName};
