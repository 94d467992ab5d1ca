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
