//! Confines a path given by a model to the workspace.
//!
//! Owns: rejecting paths that are malformed or leave the workspace (empty, NUL or control
//! characters, absolute, `~`, backslashes, `..` past the root) and resolving symbolic links one
//! component at a time, so a link pointing out of the workspace is refused even when the file
//! it would create does not exist yet. Reads the file system only to look at links. Does not
//! know about read/write scopes or decisions.

use std::io::ErrorKind;
use std::path::{Component, Path, PathBuf};

/// A path that stays inside the workspace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ResolvedPath {
    /// Absolute, with every existing symbolic link resolved.
    pub(crate) absolute: PathBuf,
    /// Workspace-relative with `/`, from the text alone (`a/./b/../c` → `a/c`); empty for the
    /// workspace itself.
    pub(crate) lexical: String,
    /// Workspace-relative with `/`, after resolving symbolic links.
    pub(crate) physical: String,
}

impl ResolvedPath {
    /// The relative forms a scope must judge: the one the model named and, when a link makes
    /// it differ, the one the file system will touch.
    pub(crate) fn relative_forms(&self) -> Vec<&str> {
        if self.lexical == self.physical {
            vec![self.lexical.as_str()]
        } else {
            vec![self.lexical.as_str(), self.physical.as_str()]
        }
    }

    /// How the path is shown in reasons.
    pub(crate) fn display(&self) -> &str {
        if self.lexical.is_empty() {
            "."
        } else {
            &self.lexical
        }
    }

    pub(crate) fn is_workspace_root(&self) -> bool {
        self.physical.is_empty() || self.lexical.is_empty()
    }
}

/// Why a path was refused; becomes a deny decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PathRejection {
    pub(crate) rule: &'static str,
    pub(crate) reason: String,
}

const INVALID: &str = "invalid path";
const OUTSIDE: &str = "path outside workspace";

fn invalid(reason: String) -> PathRejection {
    PathRejection {
        rule: INVALID,
        reason,
    }
}

fn outside(reason: String) -> PathRejection {
    PathRejection {
        rule: OUTSIDE,
        reason,
    }
}

/// Resolves `raw` against `workspace`, which must already be canonical.
pub(crate) fn resolve(workspace: &Path, raw: &str) -> Result<ResolvedPath, PathRejection> {
    check_text(raw)?;
    let lexical = lexical_components(raw)?.join("/");
    let absolute = resolve_links(workspace, raw)?;
    let physical = relative_text(workspace, &absolute).ok_or_else(|| {
        outside(format!(
            "`{raw}` resolves outside the workspace through a symbolic link"
        ))
    })?;
    Ok(ResolvedPath {
        absolute,
        lexical,
        physical,
    })
}

fn check_text(raw: &str) -> Result<(), PathRejection> {
    if raw.is_empty() {
        return Err(invalid("the path is empty".to_owned()));
    }
    if raw.contains('\0') {
        return Err(invalid("the path contains a NUL byte".to_owned()));
    }
    if raw.chars().any(char::is_control) {
        return Err(invalid(format!(
            "`{}` contains control characters",
            raw.escape_debug()
        )));
    }
    if raw.starts_with('/') || Path::new(raw).is_absolute() {
        return Err(outside(format!(
            "`{raw}` is absolute; use a path relative to the workspace"
        )));
    }
    if raw.starts_with('~') {
        return Err(outside(format!(
            "`{raw}` refers to a home directory; use a path relative to the workspace"
        )));
    }
    if raw.contains('\\') {
        return Err(invalid(format!(
            "`{raw}` contains a backslash; separate directories with `/`"
        )));
    }
    Ok(())
}

fn lexical_components(raw: &str) -> Result<Vec<&str>, PathRejection> {
    let mut components: Vec<&str> = Vec::new();
    for component in raw.split('/') {
        match component {
            "" | "." => {}
            ".." => {
                if components.pop().is_none() {
                    return Err(outside(format!("`{raw}` leaves the workspace with `..`")));
                }
            }
            name => components.push(name),
        }
    }
    Ok(components)
}

/// Walks the path one component at a time from the workspace. Each existing link is resolved
/// before the next component is looked at, so `link/../x` goes where the kernel would take it,
/// and the walk must stay inside the workspace at every step.
fn resolve_links(workspace: &Path, raw: &str) -> Result<PathBuf, PathRejection> {
    let mut current = workspace.to_path_buf();
    for component in raw.split('/') {
        match component {
            "" | "." => continue,
            ".." => {
                if current.as_path() == workspace {
                    return Err(outside(format!("`{raw}` leaves the workspace with `..`")));
                }
                current.pop();
            }
            name => {
                let candidate = current.join(name);
                current = match fs_err::symlink_metadata(&candidate) {
                    Ok(metadata) if metadata.file_type().is_symlink() => {
                        fs_err::canonicalize(&candidate).map_err(|_| {
                            outside(format!(
                                "`{raw}` goes through the symbolic link `{name}`, which points \
                                 nowhere or loops; a write through it could land anywhere"
                            ))
                        })?
                    }
                    Ok(_) => candidate,
                    Err(error) if error.kind() == ErrorKind::NotFound => candidate,
                    Err(error) => {
                        return Err(invalid(format!("cannot resolve `{raw}`: {error}")));
                    }
                };
            }
        }
        if !current.starts_with(workspace) {
            return Err(outside(format!(
                "`{raw}` resolves outside the workspace through a symbolic link"
            )));
        }
    }
    Ok(current)
}

/// The link count of a regular file at `absolute` that has more than one name; `None` for
/// anything else (a single name, a directory, a missing file).
pub(crate) fn extra_hard_links(absolute: &Path) -> Option<u64> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let metadata = std::fs::symlink_metadata(absolute).ok()?;
        (metadata.is_file() && metadata.nlink() > 1).then(|| metadata.nlink())
    }
    #[cfg(not(unix))]
    {
        let _ = absolute;
        None
    }
}

fn relative_text(workspace: &Path, absolute: &Path) -> Option<String> {
    let relative = absolute.strip_prefix(workspace).ok()?;
    let mut parts = Vec::new();
    for component in relative.components() {
        match component {
            Component::Normal(part) => parts.push(part.to_str()?),
            _ => return None,
        }
    }
    Some(parts.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn workspace() -> (tempfile::TempDir, PathBuf) {
        let directory = tempfile::tempdir().unwrap();
        let canonical = fs_err::canonicalize(directory.path()).unwrap();
        (directory, canonical)
    }

    #[test]
    fn plain_paths_resolve_lexically() {
        let (_guard, root) = workspace();
        let resolved = resolve(&root, "./docs//a/../b.md").unwrap();
        assert_eq!(resolved.lexical, "docs/b.md");
        assert_eq!(resolved.physical, "docs/b.md");
        assert_eq!(resolved.absolute, root.join("docs/b.md"));
        assert_eq!(resolve(&root, ".").unwrap().display(), ".");
    }

    #[test]
    fn malformed_and_escaping_paths_are_rejected() {
        let (_guard, root) = workspace();
        for (raw, rule) in [
            ("", INVALID),
            ("a\0b", INVALID),
            ("a\nb", INVALID),
            ("a\\b", INVALID),
            ("/etc/passwd", OUTSIDE),
            ("~/x", OUTSIDE),
            ("~", OUTSIDE),
            ("../etc/passwd", OUTSIDE),
            ("a/../../x", OUTSIDE),
            ("..", OUTSIDE),
        ] {
            let rejection = resolve(&root, raw).unwrap_err();
            assert_eq!(rejection.rule, rule, "{raw}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn links_out_of_the_workspace_are_rejected_even_for_new_files() {
        let (_guard, root) = workspace();
        let (_outside_guard, elsewhere) = workspace();
        std::os::unix::fs::symlink(&elsewhere, root.join("out")).unwrap();
        let rejection = resolve(&root, "out/new-file.txt").unwrap_err();
        assert_eq!(rejection.rule, OUTSIDE);
        assert!(rejection.reason.contains("symbolic link"));
    }

    #[cfg(unix)]
    #[test]
    fn dot_dot_after_a_link_follows_the_link() {
        let (_guard, root) = workspace();
        let (_outside_guard, elsewhere) = workspace();
        fs_err::create_dir_all(elsewhere.join("deep")).unwrap();
        std::os::unix::fs::symlink(elsewhere.join("deep"), root.join("link")).unwrap();
        // Lexically `link/../x` is `x`, but the kernel would open `elsewhere/x`.
        assert_eq!(resolve(&root, "link/../x").unwrap_err().rule, OUTSIDE);
    }

    #[cfg(unix)]
    #[test]
    fn links_inside_the_workspace_report_both_forms() {
        let (_guard, root) = workspace();
        fs_err::create_dir_all(root.join("secrets")).unwrap();
        std::os::unix::fs::symlink(root.join("secrets"), root.join("public")).unwrap();
        let resolved = resolve(&root, "public/key").unwrap();
        assert_eq!(resolved.lexical, "public/key");
        assert_eq!(resolved.physical, "secrets/key");
        assert_eq!(resolved.relative_forms(), ["public/key", "secrets/key"]);
    }

    #[cfg(unix)]
    #[test]
    fn dangling_links_are_rejected() {
        let (_guard, root) = workspace();
        std::os::unix::fs::symlink(root.join("missing"), root.join("dangling")).unwrap();
        assert_eq!(resolve(&root, "dangling").unwrap_err().rule, OUTSIDE);
    }
}
