//! Exit codes, defined once (SPEC §2).

use std::process::ExitCode;

/// How a command ended. Every command maps its outcome to exactly one of these.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Done (for `audit verify`: intact).
    Success,
    /// The work did not succeed: endpoint failure after retries, a limit hit, approval
    /// rejected, a prerequisite gate not passed, `audit verify` found damage.
    Failure,
    /// Bad input, nothing was run: usage, config, persona library, task file, lint errors.
    BadInput,
    /// Paused at a human gate; state saved.
    Paused,
    /// Interrupted (Ctrl-C); state saved.
    Interrupted,
}

impl Exit {
    pub fn code(self) -> u8 {
        match self {
            Exit::Success => 0,
            Exit::Failure => 1,
            Exit::BadInput => 2,
            Exit::Paused => 3,
            Exit::Interrupted => 130,
        }
    }
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> ExitCode {
        ExitCode::from(exit.code())
    }
}

impl Exit {
    /// How a run that stopped with `status` ends the command.
    pub fn for_status(status: agentctl_core::RunStatus) -> Exit {
        use agentctl_core::RunStatus;
        match status {
            // A chat session waiting for its next message is done for this command.
            RunStatus::Finished | RunStatus::Waiting => Exit::Success,
            // A human rejection ends the work unfinished.
            RunStatus::Failed | RunStatus::Rejected | RunStatus::Running => Exit::Failure,
            RunStatus::Paused => Exit::Paused,
            RunStatus::Interrupted => Exit::Interrupted,
        }
    }

    /// The one mapping from an engine error to an exit code, by kind.
    pub fn for_error(error: &agentctl_core::CoreError) -> Exit {
        use agentctl_core::CoreError;
        match error {
            CoreError::Input(_)
            | CoreError::RunNotFound { .. }
            | CoreError::AmbiguousRun { .. }
            | CoreError::NoOpenRun { .. }
            | CoreError::RunEnded { .. }
            | CoreError::NotAChatSession { .. }
            | CoreError::NotWaiting { .. }
            | CoreError::GateMismatch { .. }
            | CoreError::DigestMismatch { .. }
            | CoreError::EmptyName
            | CoreError::NotAnApprover { .. }
            | CoreError::AlreadyDecided { .. }
            | CoreError::AlreadyApproved { .. }
            | CoreError::NotApprovableAhead { .. }
            | CoreError::NotRecordableByHuman { .. }
            | CoreError::Evidence { .. } => Exit::BadInput,
            // Still waiting for a human is a pause, not a failure.
            CoreError::AwaitingDecision { .. } => Exit::Paused,
            // Another process drives the run: this command could not do its work now, and
            // changed nothing; trying again later may succeed.
            CoreError::RunBusy { .. }
            | CoreError::Io(_)
            | CoreError::StateFile { .. }
            | CoreError::RunState { .. }
            | CoreError::Journal { .. }
            | CoreError::Audit(_)
            | CoreError::StateChangedAfterPause { .. }
            | CoreError::NoPendingAction { .. }
            | CoreError::DecisionMismatch { .. }
            | CoreError::PersonaMissing { .. }
            | CoreError::PersonaUnloadable { .. }
            | CoreError::NoActivePersona
            | CoreError::HandoffTemplate { .. }
            | CoreError::UnsafeOwnFile(_) => Exit::Failure,
        }
    }
}

#[cfg(test)]
mod tests {
    use agentctl_core::{CoreError, RunStatus};
    use agentctl_protocol::Gate;

    use super::Exit;

    #[test]
    fn a_busy_run_fails_a_pause_pauses_and_a_refused_decision_is_bad_input() {
        let busy = CoreError::RunBusy {
            run_id: "r-1".to_owned(),
            pid: "42".to_owned(),
            command: "agentctl run ops-devops --task T-1".to_owned(),
        };
        assert_eq!(Exit::for_error(&busy), Exit::Failure);
        let waiting = CoreError::AwaitingDecision {
            run_id: "r-1".to_owned(),
            task_id: "T-1".to_owned(),
            gate: Gate::S08,
            waiting: "ops-devops may not start".to_owned(),
        };
        assert_eq!(Exit::for_error(&waiting), Exit::Paused);
        assert_eq!(Exit::for_error(&CoreError::EmptyName), Exit::BadInput);
        assert_eq!(Exit::for_status(RunStatus::Rejected), Exit::Failure);
        assert_eq!(Exit::for_status(RunStatus::Finished), Exit::Success);
    }
}
