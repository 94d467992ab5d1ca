//! agentctl's own files under the project root — the project state file, `.agentctl/` and the
//! run state, its journal, decisions and locks in it — are never reached through a link agentctl did not
//! make.
//!
//! The binary declares the project root once ([`trust_project_root`]) when it loads the
//! configuration; every atomic replace and lock under it is then checked component by
//! component below the root ([`agentctl_safe_fs`]). Without a declared root (library use,
//! unit tests) only the last component is checked. The audit log has its own, stricter open in
//! the audit writer.
//!
//! Does not write anything itself; `store` does.

use std::path::{Path, PathBuf};
use std::sync::{OnceLock, PoisonError, RwLock};

use crate::CoreError;

fn roots() -> &'static RwLock<Vec<PathBuf>> {
    static ROOTS: OnceLock<RwLock<Vec<PathBuf>>> = OnceLock::new();
    ROOTS.get_or_init(RwLock::default)
}

/// Declares `root` a project root: links below it are refused on agentctl's own paths.
pub fn trust_project_root(root: &Path) {
    let mut roots = roots().write().unwrap_or_else(PoisonError::into_inner);
    if !roots.iter().any(|known| known == root) {
        roots.push(root.to_path_buf());
    }
}

/// The directory below which `path` is checked: the deepest declared root holding it, else its
/// parent.
fn trusted_for(path: &Path) -> PathBuf {
    let roots = roots().read().unwrap_or_else(PoisonError::into_inner);
    roots
        .iter()
        .filter(|root| path.starts_with(root) && path != root.as_path())
        .max_by_key(|root| root.components().count())
        .cloned()
        .unwrap_or_else(|| {
            path.parent()
                .filter(|parent| !parent.as_os_str().is_empty())
                .unwrap_or(Path::new("."))
                .to_path_buf()
        })
}

/// Checks that no component of `path` below its project root is a link and the file is not a
/// hard link, creating missing directories on the way.
pub fn check(path: &Path) -> Result<(), CoreError> {
    agentctl_safe_fs::check(&trusted_for(path), path, true).map_err(refusal)
}

/// Opens `path` for writing (creating it) without following links below its project root.
pub fn open_for_lock(path: &Path) -> Result<std::fs::File, CoreError> {
    agentctl_safe_fs::open(
        &trusted_for(path),
        path,
        agentctl_safe_fs::Access::Write,
        true,
    )
    .map_err(refusal)
}

/// Opens `path` for reading and appending (creating it) without following links below its
/// project root; the file must have a single name.
pub fn open_for_appending(path: &Path) -> Result<std::fs::File, CoreError> {
    agentctl_safe_fs::open(
        &trusted_for(path),
        path,
        agentctl_safe_fs::Access::Append,
        true,
    )
    .map_err(refusal)
}

/// Opens `path` for reading without following links below its project root; the file must
/// exist and have a single name.
pub fn open_for_reading(path: &Path) -> Result<std::fs::File, CoreError> {
    agentctl_safe_fs::open(
        &trusted_for(path),
        path,
        agentctl_safe_fs::Access::Read,
        false,
    )
    .map_err(refusal)
}

fn refusal(error: agentctl_safe_fs::SafeFsError) -> CoreError {
    match error {
        agentctl_safe_fs::SafeFsError::Io { source, .. } => CoreError::Io(source),
        other => CoreError::UnsafeOwnFile(other),
    }
}
