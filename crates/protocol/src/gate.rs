//! SDLC phases and gates S01–S10 and their recorded status.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// One of the ten SDLC phases. S06–S10 carry the gates agentctl enforces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Gate {
    S01,
    S02,
    S03,
    S04,
    S05,
    /// Quality gates (tests, coverage); reported by a persona that `reports` S06.
    S06,
    /// Security review; reported by a persona that `reports` S07.
    S07,
    /// Human approval; recorded only by a human through `agentctl approve`.
    S08,
    /// Staging deployment.
    S09,
    /// Production deployment.
    S10,
}

impl Gate {
    pub const ALL: [Gate; 10] = [
        Gate::S01,
        Gate::S02,
        Gate::S03,
        Gate::S04,
        Gate::S05,
        Gate::S06,
        Gate::S07,
        Gate::S08,
        Gate::S09,
        Gate::S10,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Gate::S01 => "S01",
            Gate::S02 => "S02",
            Gate::S03 => "S03",
            Gate::S04 => "S04",
            Gate::S05 => "S05",
            Gate::S06 => "S06",
            Gate::S07 => "S07",
            Gate::S08 => "S08",
            Gate::S09 => "S09",
            Gate::S10 => "S10",
        }
    }

    /// The phase number, 1 to 10.
    pub fn number(self) -> u8 {
        self as u8 + 1
    }

    pub fn from_number(number: u8) -> Option<Gate> {
        Gate::ALL.get(usize::from(number.checked_sub(1)?)).copied()
    }

    /// What the phase is, in a few words.
    pub fn title(self) -> &'static str {
        match self {
            Gate::S01 => "discovery",
            Gate::S02 => "requirements",
            Gate::S03 => "architecture",
            Gate::S04 => "planning",
            Gate::S05 => "implementation",
            Gate::S06 => "quality gates",
            Gate::S07 => "security review",
            Gate::S08 => "human approval",
            Gate::S09 => "staging deployment",
            Gate::S10 => "production deployment",
        }
    }
}

impl fmt::Display for Gate {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.as_str())
    }
}

/// A string that is not a gate name such as `S08`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseGateError(pub String);

impl fmt::Display for ParseGateError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "`{}` is not a gate; expected S01 to S10", self.0)
    }
}

impl std::error::Error for ParseGateError {}

impl FromStr for Gate {
    type Err = ParseGateError;

    /// Accepts `S08`, `s08` and `S8`.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let trimmed = text.trim();
        let digits = trimmed
            .strip_prefix('S')
            .or_else(|| trimmed.strip_prefix('s'))
            .ok_or_else(|| ParseGateError(text.to_owned()))?;
        let number: u8 = digits
            .parse()
            .map_err(|_| ParseGateError(text.to_owned()))?;
        Gate::from_number(number).ok_or_else(|| ParseGateError(text.to_owned()))
    }
}

/// The recorded state of one gate for one task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum GateStatus {
    /// Nothing recorded yet.
    #[default]
    NotStarted,
    /// Waiting on a human (S08) or in progress.
    Pending,
    Passed,
    Failed,
    /// S08 approved by a human.
    Approved,
    /// S08 rejected by a human.
    Rejected,
}

impl GateStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            GateStatus::NotStarted => "not_started",
            GateStatus::Pending => "pending",
            GateStatus::Passed => "passed",
            GateStatus::Failed => "failed",
            GateStatus::Approved => "approved",
            GateStatus::Rejected => "rejected",
        }
    }

    /// Whether a later stage may rely on this gate.
    pub fn is_satisfied(self) -> bool {
        matches!(self, GateStatus::Passed | GateStatus::Approved)
    }
}

impl FromStr for GateStatus {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.trim().to_ascii_lowercase().replace([' ', '-'], "_").as_str() {
            "not_started" | "" | "-" => Ok(GateStatus::NotStarted),
            "pending" => Ok(GateStatus::Pending),
            "passed" | "pass" => Ok(GateStatus::Passed),
            "failed" | "fail" => Ok(GateStatus::Failed),
            "approved" => Ok(GateStatus::Approved),
            "rejected" => Ok(GateStatus::Rejected),
            other => Err(format!(
                "`{other}` is not a gate status; expected passed, failed, pending, approved, rejected or not_started"
            )),
        }
    }
}

impl fmt::Display for GateStatus {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_gate_spellings() {
        assert_eq!("S08".parse::<Gate>(), Ok(Gate::S08));
        assert_eq!("s8".parse::<Gate>(), Ok(Gate::S08));
        assert_eq!("S10".parse::<Gate>(), Ok(Gate::S10));
        assert!("S11".parse::<Gate>().is_err());
        assert!("S0".parse::<Gate>().is_err());
        assert!("08".parse::<Gate>().is_err());
    }

    #[test]
    fn numbers_round_trip() {
        for gate in Gate::ALL {
            assert_eq!(Gate::from_number(gate.number()), Some(gate));
        }
    }
}
