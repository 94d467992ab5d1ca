//! Configuration errors, each naming the file, line and what to do.

use std::path::PathBuf;

use agentctl_protocol::Diagnostic;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("no agentctl.toml found in {start} or any parent directory")]
    NotFound { start: PathBuf },
    #[error("{}", .0)]
    Invalid(Diagnostic),
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

impl ConfigError {
    /// What the user should do next.
    pub fn hint(&self) -> Option<String> {
        match self {
            ConfigError::NotFound { .. } => Some(
                "run `agentctl init` to create one, or pass `--root DIR` to name the project root"
                    .to_owned(),
            ),
            ConfigError::Invalid(diagnostic) => diagnostic.hint.clone(),
            ConfigError::Io { .. } => None,
        }
    }

    /// The error as a diagnostic, for `lint`.
    pub fn to_diagnostic(&self) -> Diagnostic {
        match self {
            ConfigError::Invalid(diagnostic) => diagnostic.clone(),
            ConfigError::NotFound { start } => {
                let mut diagnostic =
                    Diagnostic::error(start.join("agentctl.toml"), None, self.to_string());
                diagnostic.hint = self.hint();
                diagnostic
            }
            ConfigError::Io { path, .. } => Diagnostic::error(path.clone(), None, self.to_string()),
        }
    }
}
