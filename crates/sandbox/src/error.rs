//! Why a sandbox could not be built or applied.

use std::path::PathBuf;

/// A sandbox that could not be set up. The call it was for must not run.
#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    #[error("could not {what} `{path}`: {source}")]
    Path {
        path: PathBuf,
        what: &'static str,
        #[source]
        source: std::io::Error,
    },

    #[error("the workspace `{workspace}` has more than {limit} entries, too many to find what the deny scopes name; narrow the workspace (`[paths] workspace`)")]
    WorkspaceTooLarge { workspace: PathBuf, limit: usize },

    /// The kernel (or platform) lacks something the sandbox needs.
    #[error("the OS sandbox is unavailable: {missing}; run `agentctl doctor` to see what this machine supports, or set `[sandbox] mode = \"off\"` in agentctl.toml to run without it (every audit entry then says so)")]
    Unavailable { missing: String },

    #[error("invalid sandbox helper arguments: {0}")]
    Arguments(String),
}
