//! The agentctl engine: the run loop, the handoff router, gates and `PROJECT_STATE.md`,
//! human approvals, and the run store under `.agentctl/`.
//!
//! Owns: deciding what happens next in a run — which persona is active, which gates must hold
//! before it starts, when a tool call is sent to the policy engine, executed, paused for a
//! human, or refused — and persisting enough after every step that `resume` continues exactly.
//! Every tool call goes through one orchestrator: policy → approval → execute → record.
//!
//! Does not know about: terminals, colours or command-line flags (the binary renders
//! [`RunEvent`]s), the wire format of any model endpoint (behind [`agentctl_llm::ModelClient`]),
//! how persona files are parsed, or how a policy decision is reached.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

pub mod activation;
pub mod approvals;
pub mod briefing;
pub mod chat;
pub mod context_window;
mod error;
pub mod events;
pub mod gate_evidence;
pub mod gates;
mod handoff;
pub mod lint;
mod mcp_tools;
pub mod os_user;
pub mod own_files;
mod persona_start;
pub mod personas;
pub mod project_state;
pub mod recorder;
pub mod registry;
mod repeated_call;
mod reply_caps;
pub mod review;
mod run_decisions;
pub mod run_journal;
pub mod run_lock;
pub mod run_loop;
pub mod run_state;
mod run_stop;
pub mod sandbox_scope;
pub mod store;
pub mod task_file;
mod tool_call;

pub use error::CoreError;
pub use events::{CollectEvents, IgnoreEvents, RunEvent, RunObserver};
pub use run_lock::RunLock;
pub use run_loop::{resume, start, RunContext, RunReport};
pub use run_state::{PendingApproval, PendingKind, RunMode, RunState, RunStatus};
