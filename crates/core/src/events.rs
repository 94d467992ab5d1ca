//! What a run reports to its front end while it works. The terminal (`run`), the chat REPL
//! and tests all consume the same events; the engine never prints.

use agentctl_protocol::{Gate, GateStatus, Usage};

use crate::run_state::{PendingApproval, RunStatus};

/// Progress of a run, in the order it happens.
#[derive(Debug, Clone, PartialEq)]
pub enum RunEvent {
    RunStarted {
        run_id: String,
        task_id: String,
        persona: String,
        model: String,
        endpoint: String,
    },
    RunResumed {
        run_id: String,
        persona: String,
        model: String,
        endpoint: String,
        /// The endpoint host the run started with, when it differs from `endpoint` (the
        /// current configuration decides where a resumed run's model calls go).
        started_with: Option<String>,
        /// Bytes of a torn last journal record (a crash mid-save) dropped on resume; 0 when none.
        journal_torn_bytes: u64,
    },
    PersonaStarted {
        persona: String,
        prompt_sha256: String,
        tools: Vec<String>,
    },
    GateChecked {
        persona: String,
        gate: Gate,
        status: GateStatus,
        satisfied: bool,
    },
    /// A piece of streamed model text.
    ModelText {
        delta: String,
    },
    /// A model request is about to be sent for `persona`'s turn `turn` (a front end starts
    /// its "waiting for the model" line).
    ModelWaiting {
        persona: String,
        turn: u32,
    },
    /// Completion tokens of the reply being streamed, so far.
    ModelTokens {
        tokens: u64,
    },
    /// Retry `attempt` of at most `attempts - 1` follows after `wait_ms`.
    ModelRetry {
        attempt: u32,
        attempts: u32,
        wait_ms: u64,
        reason: String,
    },
    ModelFallback {
        reason: String,
    },
    ModelTurn {
        turn: u32,
        usage: Usage,
        latency_ms: u64,
        tool_calls: usize,
    },
    ToolAllowed {
        tool: String,
        summary: String,
    },
    ToolDenied {
        tool: String,
        summary: String,
        reason: String,
    },
    ToolFinished {
        tool: String,
        ok: bool,
        summary: String,
    },
    /// A tool call changed a file in the workspace (its diff is in the audit log).
    FileChanged {
        path: String,
        created: bool,
        added_lines: usize,
        removed_lines: usize,
    },
    GateReported {
        gate: Gate,
        status: GateStatus,
        by: String,
    },
    Handoff {
        from: String,
        to: String,
        summary: String,
    },
    Paused {
        pending: PendingApproval,
    },
    Finished {
        status: RunStatus,
        reason: String,
    },
    /// An MCP server the active persona could use did not start; its tools are not offered.
    McpServerFailed {
        server: String,
        error: String,
    },
}

/// Receives run events. Implemented by front ends.
pub trait RunObserver: Send {
    fn on_event(&mut self, event: &RunEvent);
}

/// Discards every event (benchmarks, quiet runs).
#[derive(Debug, Default)]
pub struct IgnoreEvents;

impl RunObserver for IgnoreEvents {
    fn on_event(&mut self, _event: &RunEvent) {}
}

/// Keeps every event (tests).
#[derive(Debug, Default)]
pub struct CollectEvents {
    pub events: Vec<RunEvent>,
}

impl RunObserver for CollectEvents {
    fn on_event(&mut self, event: &RunEvent) {
        self.events.push(event.clone());
    }
}
