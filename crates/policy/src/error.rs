//! Why a policy could not be built. Bad tool calls are never errors: they are denials.

use std::path::PathBuf;

/// A persona's permissions or the workspace cannot form a policy.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    #[error("the workspace `{}` must be an absolute path", path.display())]
    WorkspaceNotAbsolute { path: PathBuf },
    #[error("cannot use the workspace: {source}; check that the directory exists")]
    Workspace {
        #[source]
        source: std::io::Error,
    },
    #[error("`{pattern}` in `{list}` is not a valid glob: {message}")]
    InvalidGlob {
        list: String,
        pattern: String,
        message: String,
    },
    #[error("`{pattern}` in `{list}` cannot be used: {reason}")]
    UnsupportedPattern {
        list: String,
        pattern: String,
        reason: String,
    },
}
