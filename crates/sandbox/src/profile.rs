//! What one sandboxed call may touch, as plain paths the exec helper applies without judging.
//!
//! Owns: [`Profile`] (the exact lists the helper turns into Landlock rules and mounts),
//! [`ProfileRequest`] (what the caller knows: the persona's globs, the protected paths, the
//! deny matcher) and [`build_profile`], which turns globs into directories and finds which
//! directories must not gain, lose or rename entries. Reads the file system (to resolve paths,
//! list directories and find deny-scope matches); changes nothing. Does not apply anything:
//! that is the platform module's job, in the helper process.
//!
//! Landlock grants access to whole directory trees and has no exceptions below a granted
//! directory, so the profile is built in three layers:
//! - `read`, `write`: trees granted to the process (a glob becomes the directory of its literal
//!   prefix: `infra/**` → `infra`, `*.md` → the workspace), so the sandbox is never narrower
//!   than the policy but may be wider; the policy stays the finer layer;
//! - `read_only`, `hidden`: existing paths covered by read-only bind mounts (protected state)
//!   or by an empty, unreadable mount (deny scopes), whatever the grants above say;
//! - `modify_only`: directories that lie on the way to a protected path (or where a protected
//!   path is missing). In them existing files may be written but no entry may be created,
//!   removed or renamed, so an agent can neither create `PROJECT_STATE.md` when it does not
//!   exist yet nor move a protected directory's parent aside and build a fake one.

use std::collections::BTreeSet;
use std::path::{Component, Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::SandboxError;

/// The system directories every sandboxed program may read and execute, when they exist.
pub const SYSTEM_READ_PATHS: [&str; 12] = [
    "/usr",
    "/bin",
    "/sbin",
    "/lib",
    "/lib32",
    "/lib64",
    "/libx32",
    "/etc",
    "/opt",
    "/proc",
    "/sys",
    "/nix/store",
];

/// Devices every sandboxed program may read and write.
pub const DEVICE_PATHS: [&str; 6] = [
    "/dev/null",
    "/dev/zero",
    "/dev/full",
    "/dev/random",
    "/dev/urandom",
    "/dev/tty",
];

/// Most workspace entries examined when looking for files a deny scope names. Past it the
/// profile cannot be built and the call is refused rather than run with an unknown exposure.
pub const DENY_SCAN_LIMIT: usize = 200_000;

/// Everything the exec helper applies for one call. Every path is absolute.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    /// The canonical workspace (for display only).
    pub workspace: PathBuf,
    /// The private, empty directory used as `HOME` and `TMPDIR`; writable.
    pub scratch: PathBuf,
    /// Trees (or files) the process may read and execute.
    pub read: Vec<PathBuf>,
    /// Trees (or files) the process may create, change, remove and rename in.
    pub write: Vec<PathBuf>,
    /// Directories whose existing files may be written, but where no entry may be created,
    /// removed or renamed.
    pub modify_only: Vec<PathBuf>,
    /// Existing protected paths, bind-mounted read-only over themselves.
    pub read_only: Vec<PathBuf>,
    /// Existing paths a deny scope names, covered by an empty unreadable mount.
    pub hidden: Vec<PathBuf>,
    /// Whether the process keeps the host's network; otherwise it gets an empty network
    /// namespace (not even loopback is up).
    pub network: bool,
}

/// What the caller knows about one call.
pub struct ProfileRequest<'a> {
    /// Absolute; canonicalised here.
    pub workspace: &'a Path,
    /// Workspace-relative gitignore-style globs the persona may read.
    pub read_globs: &'a [String],
    /// Workspace-relative globs the persona may write.
    pub write_globs: &'a [String],
    /// Absolute paths no sandboxed process may change, whether they exist yet or not.
    pub protected: &'a [PathBuf],
    /// Whether a workspace-relative (`/`-separated) path falls under a deny scope.
    pub denied: &'a dyn Fn(&str) -> bool,
    /// Further absolute paths to make readable (toolchains and the like).
    pub extra_read: &'a [PathBuf],
    pub network: bool,
    /// The call's scratch directory; must exist.
    pub scratch: &'a Path,
}

/// Builds the profile for one call.
pub fn build_profile(request: &ProfileRequest<'_>) -> Result<Profile, SandboxError> {
    let workspace =
        std::fs::canonicalize(request.workspace).map_err(|source| SandboxError::Path {
            path: request.workspace.to_path_buf(),
            what: "resolve the workspace",
            source,
        })?;
    let scratch = std::fs::canonicalize(request.scratch).map_err(|source| SandboxError::Path {
        path: request.scratch.to_path_buf(),
        what: "resolve the scratch directory",
        source,
    })?;

    let mut read: Vec<PathBuf> = SYSTEM_READ_PATHS
        .iter()
        .map(PathBuf::from)
        .filter(|path| path.exists())
        .collect();
    read.extend(
        request
            .extra_read
            .iter()
            .filter_map(|path| std::fs::canonicalize(path).ok()),
    );
    read.extend(scope_roots(&workspace, request.read_globs));

    let write = scope_roots(&workspace, request.write_globs);

    let mut read_only = Vec::new();
    let mut guarded: BTreeSet<PathBuf> = BTreeSet::new();
    for protected in request.protected {
        let Some(target) = inside_workspace(&workspace, protected) else {
            continue;
        };
        let exists = std::fs::symlink_metadata(&target).is_ok();
        // The deepest existing directory on the way to the protected path.
        let mut directory = if exists {
            parent_of(&target)
        } else {
            nearest_existing(&target)
        };
        if exists {
            read_only.push(target.clone());
            // Renaming the parent of a mount point moves the mount with it, so the directory
            // holding that parent must not rename entries either.
            directory = directory.and_then(|parent| parent_of(&parent));
            if parent_of(&target).as_deref() == Some(workspace.as_path()) {
                directory = None;
            }
        }
        while let Some(current) = directory {
            if !current.starts_with(&workspace) {
                break;
            }
            guarded.insert(current.clone());
            if current == workspace {
                break;
            }
            directory = parent_of(&current);
        }
    }

    let (mut write, modify_only) = carve(write, &guarded);
    let hidden = deny_matches(&workspace, request.denied)?;
    write.push(scratch.clone());
    Ok(Profile {
        workspace,
        scratch,
        read: dedup(read),
        write: dedup(write),
        modify_only: dedup(modify_only),
        read_only: dedup(read_only),
        hidden,
        network: request.network,
    })
}

/// The existing directory (or file) each glob's literal prefix names, inside the workspace.
/// A glob whose prefix does not exist yet grants nothing in this call.
pub fn scope_roots(workspace: &Path, globs: &[String]) -> Vec<PathBuf> {
    let mut roots = Vec::new();
    for glob in globs {
        let prefix = literal_prefix(glob);
        let candidate = workspace.join(&prefix);
        let Ok(real) = std::fs::canonicalize(&candidate) else {
            continue;
        };
        if real.starts_with(workspace) {
            roots.push(real);
        }
    }
    dedup(roots)
}

/// The leading components of a gitignore-style glob that contain no wildcard. A pattern without
/// a `/` (other than a trailing one) matches at any depth, so its prefix is the workspace.
pub fn literal_prefix(glob: &str) -> PathBuf {
    let trimmed = glob.trim();
    let anchored_text = trimmed
        .strip_prefix("./")
        .or_else(|| trimmed.strip_prefix('/'));
    let text = anchored_text.unwrap_or(trimmed).trim_end_matches('/');
    if anchored_text.is_none() && !text.contains('/') {
        return PathBuf::new();
    }
    let mut prefix = PathBuf::new();
    for part in text.split('/') {
        let wild = part.is_empty()
            || part == "."
            || part == ".."
            || part.contains(['*', '?', '[', ']', '{', '}', '\\', '!']);
        if wild {
            break;
        }
        prefix.push(part);
    }
    prefix
}

/// Splits the write trees so that no guarded directory gets the right to create, remove or
/// rename entries: a tree containing a guarded directory is replaced by "modify existing files"
/// on itself plus full rights on each child directory, recursively.
fn carve(write: Vec<PathBuf>, guarded: &BTreeSet<PathBuf>) -> (Vec<PathBuf>, Vec<PathBuf>) {
    let mut full = Vec::new();
    let mut modify_only = Vec::new();
    let mut pending = write;
    while let Some(tree) = pending.pop() {
        let contains_guarded = guarded.iter().any(|directory| directory.starts_with(&tree));
        if !contains_guarded || !tree.is_dir() {
            full.push(tree);
            continue;
        }
        modify_only.push(tree.clone());
        let Ok(entries) = std::fs::read_dir(&tree) else {
            continue;
        };
        for entry in entries.flatten() {
            let is_directory = entry.file_type().map(|kind| kind.is_dir()).unwrap_or(false);
            if is_directory {
                pending.push(entry.path());
            }
        }
    }
    (full, modify_only)
}

/// Existing workspace paths a deny scope names. Does not descend into a match, nor into `.git`
/// (read-only to every sandboxed process anyway).
fn deny_matches(
    workspace: &Path,
    denied: &dyn Fn(&str) -> bool,
) -> Result<Vec<PathBuf>, SandboxError> {
    let mut hidden = Vec::new();
    let mut walker = walkdir::WalkDir::new(workspace)
        .min_depth(1)
        .follow_links(false)
        .into_iter();
    let mut seen = 0_usize;
    while let Some(entry) = walker.next() {
        let Ok(entry) = entry else { continue };
        seen += 1;
        if seen > DENY_SCAN_LIMIT {
            return Err(SandboxError::WorkspaceTooLarge {
                workspace: workspace.to_path_buf(),
                limit: DENY_SCAN_LIMIT,
            });
        }
        let Ok(relative) = entry.path().strip_prefix(workspace) else {
            continue;
        };
        let text = slash_joined(relative);
        if entry.depth() == 1 && text == ".git" {
            walker.skip_current_dir();
            continue;
        }
        if denied(&text) {
            hidden.push(entry.path().to_path_buf());
            if entry.file_type().is_dir() {
                walker.skip_current_dir();
            }
        }
    }
    Ok(hidden)
}

fn slash_joined(relative: &Path) -> String {
    relative
        .components()
        .map(|component| component.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// `path` with its existing part resolved, if it lies inside the workspace.
fn inside_workspace(workspace: &Path, path: &Path) -> Option<PathBuf> {
    if path.components().any(|part| part == Component::ParentDir) {
        return None;
    }
    let existing = nearest_existing(path)?;
    let real_existing = std::fs::canonicalize(&existing).ok()?;
    let rest = path.strip_prefix(&existing).ok()?;
    let target = if rest.as_os_str().is_empty() {
        // The path itself exists: keep a symlink's own location (it is what gets replaced).
        match std::fs::symlink_metadata(path) {
            Ok(metadata) if metadata.file_type().is_symlink() => {
                let parent = std::fs::canonicalize(path.parent()?).ok()?;
                parent.join(path.file_name()?)
            }
            _ => real_existing,
        }
    } else {
        real_existing.join(rest)
    };
    if target.starts_with(workspace) {
        Some(target)
    } else {
        None
    }
}

/// The path itself if it exists, else its deepest existing ancestor.
fn nearest_existing(path: &Path) -> Option<PathBuf> {
    let mut current = Some(path);
    while let Some(candidate) = current {
        if std::fs::symlink_metadata(candidate).is_ok() {
            return Some(candidate.to_path_buf());
        }
        current = candidate.parent();
    }
    None
}

fn parent_of(path: &Path) -> Option<PathBuf> {
    path.parent().map(Path::to_path_buf)
}

fn dedup(mut paths: Vec<PathBuf>) -> Vec<PathBuf> {
    paths.sort();
    paths.dedup();
    paths
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_prefixes_follow_gitignore_anchoring() {
        assert_eq!(literal_prefix("infra/**"), PathBuf::from("infra"));
        assert_eq!(
            literal_prefix("./deploy/k8s/*.yaml"),
            PathBuf::from("deploy/k8s")
        );
        assert_eq!(literal_prefix("/docs"), PathBuf::from("docs"));
        assert_eq!(literal_prefix("**"), PathBuf::new());
        assert_eq!(literal_prefix("*.md"), PathBuf::new());
        assert_eq!(literal_prefix("notes/"), PathBuf::new());
        assert_eq!(literal_prefix("a/../b/**"), PathBuf::from("a"));
    }

    fn request<'a>(
        workspace: &'a Path,
        write: &'a [String],
        protected: &'a [PathBuf],
        scratch: &'a Path,
        denied: &'a dyn Fn(&str) -> bool,
    ) -> ProfileRequest<'a> {
        ProfileRequest {
            workspace,
            read_globs: &[],
            write_globs: write,
            protected,
            denied,
            extra_read: &[],
            network: false,
            scratch,
        }
    }

    #[test]
    fn a_missing_protected_file_stops_creation_in_its_directory() {
        let directory = tempfile::tempdir().unwrap();
        let workspace = std::fs::canonicalize(directory.path()).unwrap();
        std::fs::create_dir_all(workspace.join("src/deep")).unwrap();
        std::fs::create_dir_all(workspace.join("scratch")).unwrap();
        std::fs::write(workspace.join("AUDIT_LOG.md"), "").unwrap();
        let protected = [
            workspace.join("AUDIT_LOG.md"),
            workspace.join("PROJECT_STATE.md"),
        ];
        let write = ["**".to_owned()];
        let no_deny = |_: &str| false;
        let scratch = workspace.join("scratch");
        let profile =
            build_profile(&request(&workspace, &write, &protected, &scratch, &no_deny)).unwrap();
        assert_eq!(profile.read_only, vec![workspace.join("AUDIT_LOG.md")]);
        assert_eq!(profile.modify_only, vec![workspace.clone()]);
        assert!(profile.write.contains(&workspace.join("src")));
        assert!(!profile.write.contains(&workspace));
    }

    #[test]
    fn existing_protected_files_at_the_top_leave_the_workspace_writable() {
        let directory = tempfile::tempdir().unwrap();
        let workspace = std::fs::canonicalize(directory.path()).unwrap();
        std::fs::create_dir_all(workspace.join("lib/personas")).unwrap();
        std::fs::create_dir_all(workspace.join("scratch")).unwrap();
        std::fs::write(workspace.join("AUDIT_LOG.md"), "").unwrap();
        std::fs::write(workspace.join(".env"), "KEY=1").unwrap();
        let protected = [workspace.join("AUDIT_LOG.md")];
        let write = ["**".to_owned()];
        let deny_env = |relative: &str| relative == ".env";
        let scratch = workspace.join("scratch");
        let profile = build_profile(&request(
            &workspace, &write, &protected, &scratch, &deny_env,
        ))
        .unwrap();
        assert!(profile.write.contains(&workspace));
        assert!(profile.modify_only.is_empty());
        assert_eq!(profile.hidden, vec![workspace.join(".env")]);

        // A nested protected directory guards the directory holding its parent.
        let nested = [workspace.join("lib/personas")];
        let profile =
            build_profile(&request(&workspace, &write, &nested, &scratch, &deny_env)).unwrap();
        assert_eq!(profile.modify_only, vec![workspace.clone()]);
        assert!(profile.write.contains(&workspace.join("lib")));
    }
}
