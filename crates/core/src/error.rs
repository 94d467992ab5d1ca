//! Errors of the engine that are not tool errors (those go back to the model).

use std::path::PathBuf;

use agentctl_protocol::Diagnostic;

#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    #[error(transparent)]
    Io(#[from] std::io::Error),
    #[error("{path}:{line}: {message}")]
    StateFile {
        path: PathBuf,
        line: usize,
        message: String,
    },
    #[error("{path} is not a valid run state: {message}")]
    RunState { path: PathBuf, message: String },
    #[error("the audit log cannot be written: {0}")]
    Audit(#[from] agentctl_audit::AuditError),
    #[error("bad input")]
    Input(Vec<Diagnostic>),
    #[error("{message}")]
    Refused { message: String, hint: String },
}

impl CoreError {
    pub fn refused(message: impl Into<String>, hint: impl Into<String>) -> CoreError {
        CoreError::Refused {
            message: message.into(),
            hint: hint.into(),
        }
    }

    pub fn hint(&self) -> Option<&str> {
        match self {
            CoreError::Refused { hint, .. } => Some(hint),
            _ => None,
        }
    }
}
