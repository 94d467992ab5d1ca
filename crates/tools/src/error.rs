//! Why a tool call failed, as a stable kind plus a message the model can act on.
//!
//! Owns: [`ToolError`] and its kind names. Does not know how errors are rendered, audited or
//! sent back to the model; the run loop turns them into tool results.

use std::io;
use std::time::Duration;

use agentctl_protocol::ToolName;

/// A tool call that could not be carried out. Every message names the path or command and says
/// what to do next, because it goes back to the model verbatim.
#[derive(Debug, thiserror::Error)]
pub enum ToolError {
    #[error(
        "`{path}` does not exist; to see the names that do, call fs_list with {{\"path\": \"{parent}\"}}"
    )]
    NotFound {
        path: String,
        /// The directory to list: the path's parent, `.` for a name at the workspace root.
        parent: String,
    },

    #[error("`{path}` is not a regular file; use fs_list for a directory")]
    NotAFile { path: String },

    #[error("`{path}` is not a directory; use fs_read to read a file")]
    NotADirectory { path: String },

    #[error("`{path}` is {size} bytes, more than the {limit}-byte limit for {what}")]
    TooLarge {
        path: String,
        size: u64,
        limit: u64,
        what: &'static str,
    },

    #[error("`{path}` is not UTF-8 text (invalid byte at offset {offset}); these tools only handle text files")]
    NotUtf8 { path: String, offset: usize },

    #[error("`{path}` looks like a binary file (NUL byte at offset {offset}); fs_read only returns text")]
    Binary { path: String, offset: usize },

    #[error("`{path}` is a symbolic link; fs_write does not write through links, write to the file it points at instead")]
    Symlink { path: String },

    #[error("`{path}` has {links} hard links; a file with other names may be one the persona may not read, so fs_read does not read it")]
    HardLink { path: String, links: u64 },

    #[error(
        "`{path}` resolves outside the workspace; only paths inside the workspace can be written"
    )]
    OutsideWorkspace { path: String },

    #[error("could not {action} `{path}`: {source}")]
    Io {
        action: &'static str,
        path: String,
        #[source]
        source: io::Error,
    },

    #[error(
        "`{command}` was killed at its {limit:?} time limit but had not exited {grace:?} later"
    )]
    Timeout {
        command: String,
        limit: Duration,
        grace: Duration,
    },

    #[error("could not start `{program}` in `{directory}`: {source}; check that the program is installed and on PATH and that the workspace exists")]
    SpawnFailed {
        program: String,
        directory: String,
        #[source]
        source: io::Error,
    },

    #[error("the OS sandbox could not be set up, so the command did not run: {detail}")]
    SandboxUnavailable { detail: String },

    #[error("invalid arguments for {tool}: {problem}; expected a JSON object matching {schema}")]
    InvalidArguments {
        tool: ToolName,
        problem: String,
        schema: String,
    },
}

impl ToolError {
    /// A stable snake_case name for the failure, used in audit entries and tool results.
    pub fn kind(&self) -> &'static str {
        match self {
            ToolError::NotFound { .. } => "not_found",
            ToolError::NotAFile { .. } => "not_a_file",
            ToolError::NotADirectory { .. } => "not_a_directory",
            ToolError::TooLarge { .. } => "too_large",
            ToolError::NotUtf8 { .. } => "not_utf8",
            ToolError::Binary { .. } => "binary",
            ToolError::Symlink { .. } => "symlink",
            ToolError::HardLink { .. } => "hard_link",
            ToolError::OutsideWorkspace { .. } => "outside_workspace",
            ToolError::Io { .. } => "io",
            ToolError::Timeout { .. } => "timeout",
            ToolError::SpawnFailed { .. } => "spawn_failed",
            ToolError::SandboxUnavailable { .. } => "sandbox_unavailable",
            ToolError::InvalidArguments { .. } => "invalid_arguments",
        }
    }

    /// Maps an I/O error on `path` to the most specific kind, so a missing file reads as
    /// `not_found` rather than a generic `io`.
    pub(crate) fn from_io(action: &'static str, path: &str, source: io::Error) -> ToolError {
        match source.kind() {
            io::ErrorKind::NotFound => ToolError::NotFound {
                path: path.to_owned(),
                parent: parent_of(path),
            },
            io::ErrorKind::NotADirectory => ToolError::NotADirectory {
                path: path.to_owned(),
            },
            io::ErrorKind::IsADirectory => ToolError::NotAFile {
                path: path.to_owned(),
            },
            _ => ToolError::Io {
                action,
                path: path.to_owned(),
                source,
            },
        }
    }
}

impl ToolError {
    /// [`ToolError::from_io`] for the missing path `shown` that resolved to `target`: the
    /// directory to list is the nearest one that exists (told to list a missing `docs`, a
    /// model got "does not exist" again).
    pub(crate) fn from_io_at(
        action: &'static str,
        shown: &str,
        target: &std::path::Path,
        source: io::Error,
    ) -> ToolError {
        match ToolError::from_io(action, shown, source) {
            ToolError::NotFound { path, .. } => ToolError::NotFound {
                parent: existing_parent(&path, target),
                path,
            },
            other => other,
        }
    }
}

/// The nearest existing directory above `target`, as the workspace-relative form of `shown`'s
/// matching ancestor (`.` at the root).
fn existing_parent(shown: &str, target: &std::path::Path) -> String {
    let mut relative = std::path::Path::new(shown.trim_end_matches('/')).parent();
    let mut absolute = target.parent();
    while let (Some(shown_parent), Some(target_parent)) = (relative, absolute) {
        if shown_parent.as_os_str().is_empty() {
            break;
        }
        if target_parent.is_dir() {
            return shown_parent.display().to_string();
        }
        relative = shown_parent.parent();
        absolute = target_parent.parent();
    }
    ".".to_owned()
}

/// The directory holding `path`, as a workspace-relative path for fs_list (`.` at the root).
fn parent_of(path: &str) -> String {
    match std::path::Path::new(path.trim_end_matches('/')).parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.display().to_string(),
        _ => ".".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn io_errors_map_to_specific_kinds() {
        let missing = ToolError::from_io("read", "a.txt", io::Error::from(io::ErrorKind::NotFound));
        assert_eq!(missing.kind(), "not_found");
        // The model is told the exact call that shows what exists (a small model listed the
        // missing file itself when told only "its parent directory").
        assert_eq!(
            missing.to_string(),
            r#"`a.txt` does not exist; to see the names that do, call fs_list with {"path": "."}"#
        );
        let nested = ToolError::from_io(
            "read",
            "docs/qa/plan.md",
            io::Error::from(io::ErrorKind::NotFound),
        );
        assert!(
            nested
                .to_string()
                .ends_with(r#"call fs_list with {"path": "docs/qa"}"#),
            "{nested}"
        );
        let denied = ToolError::from_io(
            "read",
            "a.txt",
            io::Error::from(io::ErrorKind::PermissionDenied),
        );
        assert_eq!(denied.kind(), "io");
        assert!(denied.to_string().starts_with("could not read `a.txt`: "));
    }

    #[test]
    fn a_missing_file_points_at_the_nearest_directory_that_exists() {
        let workspace = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(workspace.path().join("docs/old")).unwrap();
        let missing = |shown: &str| {
            ToolError::from_io_at(
                "read",
                shown,
                &workspace.path().join(shown),
                io::Error::from(io::ErrorKind::NotFound),
            )
            .to_string()
        };
        assert!(missing("docs/old/a.md").ends_with(r#"{"path": "docs/old"}"#));
        assert!(missing("docs/new/deep/a.md").ends_with(r#"{"path": "docs"}"#));
        assert!(missing("nowhere/a.md").ends_with(r#"{"path": "."}"#));
        assert!(missing("a.md").ends_with(r#"{"path": "."}"#));
    }
}
