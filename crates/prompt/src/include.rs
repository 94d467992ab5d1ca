//! Turns an include path as written (`contexts/a.md`, `/branch/plan.md`) into a file inside its
//! root, refusing every way out of that root, and reads it as UTF-8.
//!
//! Owns the two roots (the library and the workspace) and the escape rules: no `..`, no absolute
//! path other than the `/branch/` prefix, and no symlink whose target lies outside the root.
//! It does not know about directives, variables, include chains or diagnostics; callers decide
//! whether a missing file is an error or a note.

use std::io;
use std::path::{Component, Path, PathBuf};

/// The prefix that sends an include to the workspace instead of the library.
pub const WORKSPACE_PREFIX: &str = "/branch/";

/// Why an include path cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum IncludeError {
    #[error("the include path is empty; write a path relative to the library root, or `/branch/PATH` for the workspace")]
    EmptyPath,
    #[error("`{written}` climbs out of its root with `..`; write the path from the root down")]
    ParentComponent { written: String },
    #[error("`{written}` is an absolute path; only `/branch/PATH` (the workspace) may start with `/`, everything else is relative to the library root")]
    AbsolutePath { written: String },
    #[error("`{display}` resolves to {} through a symlink, outside its root {}; point the link inside the root or copy the file in", target.display(), root.display())]
    SymlinkEscape {
        display: String,
        target: PathBuf,
        root: PathBuf,
    },
    #[error("`{display}` ({}) is not a regular file; include a file, not a directory", path.display())]
    NotAFile { display: String, path: PathBuf },
    #[error("`{display}` ({}) is not valid UTF-8; prompts must be UTF-8 text", path.display())]
    NotUtf8 { display: String, path: PathBuf },
    #[error("cannot read `{display}`: {source}")]
    Io {
        display: String,
        #[source]
        source: io::Error,
    },
}

impl IncludeError {
    /// What to do about it, for the `hint:` line under the error.
    pub fn hint(&self) -> &'static str {
        match self {
            IncludeError::EmptyPath
            | IncludeError::ParentComponent { .. }
            | IncludeError::AbsolutePath { .. }
            | IncludeError::SymlinkEscape { .. } => {
                "an include stays inside its root: write `contexts/NAME.md` from the library root, or `/branch/PATH` for the workspace"
            }
            IncludeError::NotAFile { .. } => "name a file, not a directory",
            IncludeError::NotUtf8 { .. } => "save the file as UTF-8 text",
            IncludeError::Io { .. } => "check that the file is readable",
        }
    }
}

/// Which root a path resolves against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RootKind {
    Library,
    Workspace,
}

/// A root directory, with its canonical form when it exists.
#[derive(Debug)]
struct Root {
    path: PathBuf,
    canonical: Option<PathBuf>,
}

impl Root {
    fn new(path: &Path) -> Root {
        Root {
            path: path.to_path_buf(),
            canonical: std::fs::canonicalize(path).ok(),
        }
    }
}

/// The library root and the workspace that includes resolve against.
#[derive(Debug)]
pub(crate) struct IncludeRoots {
    library: Root,
    workspace: Root,
}

/// A syntactically valid include path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ResolvedPath {
    /// How the file is named in notes, diagnostics and source maps: relative to the library
    /// root, or `/branch/…` for the workspace.
    pub display: String,
    /// The path that is tried on disk.
    pub candidate: PathBuf,
    root: RootKind,
}

/// A file that exists inside its root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FoundFile {
    /// The canonical path: the identity used for cycle detection.
    pub canonical: PathBuf,
}

impl IncludeRoots {
    pub(crate) fn new(library_root: &Path, workspace: &Path) -> IncludeRoots {
        IncludeRoots {
            library: Root::new(library_root),
            workspace: Root::new(workspace),
        }
    }

    /// The canonical path of a file given relative to the library root, when it exists.
    pub(crate) fn library_file_identity(&self, relative: &Path) -> Option<PathBuf> {
        std::fs::canonicalize(self.library.path.join(relative)).ok()
    }

    /// Checks the path's shape and joins it to its root; touches no file.
    pub(crate) fn resolve(&self, written: &str) -> Result<ResolvedPath, IncludeError> {
        let written = written.trim();
        let (root, relative) = match written.strip_prefix(WORKSPACE_PREFIX) {
            Some(rest) => (RootKind::Workspace, rest),
            None => (RootKind::Library, written),
        };
        let normalized = normalize(written, relative)?;
        let display = match root {
            RootKind::Library => normalized.clone(),
            RootKind::Workspace => format!("{WORKSPACE_PREFIX}{normalized}"),
        };
        let candidate = self.root(root).path.join(&normalized);
        Ok(ResolvedPath {
            display,
            candidate,
            root,
        })
    }

    /// Finds the file on disk: `Ok(None)` when it does not exist, an error when it exists but
    /// lies outside its root or is not a file.
    pub(crate) fn locate(
        &self,
        resolved: &ResolvedPath,
    ) -> Result<Option<FoundFile>, IncludeError> {
        let root = self.root(resolved.root);
        let Some(canonical_root) = &root.canonical else {
            return Ok(None);
        };
        let canonical = match std::fs::canonicalize(&resolved.candidate) {
            Ok(canonical) => canonical,
            // A dangling symlink is as absent as a missing file: nothing can be read through it.
            Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(source) => {
                return Err(IncludeError::Io {
                    display: resolved.display.clone(),
                    source,
                })
            }
        };
        if !canonical.starts_with(canonical_root) {
            return Err(IncludeError::SymlinkEscape {
                display: resolved.display.clone(),
                target: canonical,
                root: canonical_root.clone(),
            });
        }
        if !canonical.is_file() {
            return Err(IncludeError::NotAFile {
                display: resolved.display.clone(),
                path: resolved.candidate.clone(),
            });
        }
        Ok(Some(FoundFile { canonical }))
    }

    /// Reads a located file as UTF-8 text.
    pub(crate) fn read(
        &self,
        resolved: &ResolvedPath,
        found: &FoundFile,
    ) -> Result<String, IncludeError> {
        let bytes = fs_err::read(&found.canonical).map_err(|source| IncludeError::Io {
            display: resolved.display.clone(),
            source,
        })?;
        String::from_utf8(bytes).map_err(|_| IncludeError::NotUtf8 {
            display: resolved.display.clone(),
            path: resolved.candidate.clone(),
        })
    }

    fn root(&self, kind: RootKind) -> &Root {
        match kind {
            RootKind::Library => &self.library,
            RootKind::Workspace => &self.workspace,
        }
    }
}

/// `relative` with `.` removed and `/` separators, refusing `..` and absolute forms.
fn normalize(written: &str, relative: &str) -> Result<String, IncludeError> {
    let mut parts: Vec<&str> = Vec::new();
    for component in Path::new(relative).components() {
        match component {
            Component::Normal(part) => match part.to_str() {
                Some(part) => parts.push(part),
                None => return Err(IncludeError::EmptyPath),
            },
            Component::CurDir => {}
            Component::ParentDir => {
                return Err(IncludeError::ParentComponent {
                    written: written.to_owned(),
                })
            }
            Component::RootDir | Component::Prefix(_) => {
                return Err(IncludeError::AbsolutePath {
                    written: written.to_owned(),
                })
            }
        }
    }
    if parts.is_empty() {
        return Err(IncludeError::EmptyPath);
    }
    Ok(parts.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roots() -> (tempfile::TempDir, IncludeRoots) {
        let directory = tempfile::tempdir().unwrap();
        let library = directory.path().join("library");
        let workspace = directory.path().join("workspace");
        fs_err::create_dir_all(library.join("contexts")).unwrap();
        fs_err::create_dir_all(&workspace).unwrap();
        let roots = IncludeRoots::new(&library, &workspace);
        (directory, roots)
    }

    #[test]
    fn library_and_workspace_paths_get_their_display_names() {
        let (_directory, roots) = roots();
        assert_eq!(
            roots.resolve("contexts/./a.md").unwrap().display,
            "contexts/a.md"
        );
        let workspace = roots.resolve("/branch/docs/plan.md").unwrap();
        assert_eq!(workspace.display, "/branch/docs/plan.md");
        assert!(workspace.candidate.ends_with("workspace/docs/plan.md"));
    }

    #[test]
    fn refuses_parent_components_absolute_paths_and_empty_paths() {
        let (_directory, roots) = roots();
        assert!(matches!(
            roots.resolve("contexts/../../secret.md"),
            Err(IncludeError::ParentComponent { .. })
        ));
        assert!(matches!(
            roots.resolve("/branch/../secret.md"),
            Err(IncludeError::ParentComponent { .. })
        ));
        assert!(matches!(
            roots.resolve("/etc/passwd"),
            Err(IncludeError::AbsolutePath { .. })
        ));
        assert!(matches!(
            roots.resolve("/branch//etc/passwd"),
            Err(IncludeError::AbsolutePath { .. })
        ));
        assert!(matches!(roots.resolve("  "), Err(IncludeError::EmptyPath)));
        assert!(matches!(
            roots.resolve("/branch/"),
            Err(IncludeError::EmptyPath)
        ));
    }

    #[test]
    fn missing_file_is_none_and_directory_is_an_error() {
        let (_directory, roots) = roots();
        let missing = roots.resolve("contexts/absent.md").unwrap();
        assert_eq!(roots.locate(&missing).unwrap(), None);
        let directory = roots.resolve("contexts").unwrap();
        assert!(matches!(
            roots.locate(&directory),
            Err(IncludeError::NotAFile { .. })
        ));
    }

    #[test]
    fn non_utf8_file_is_an_error_naming_it() {
        let (directory, roots) = roots();
        fs_err::write(
            directory.path().join("library/contexts/binary.md"),
            [0xff, 0xfe],
        )
        .unwrap();
        let resolved = roots.resolve("contexts/binary.md").unwrap();
        let found = roots.locate(&resolved).unwrap().unwrap();
        let error = roots.read(&resolved, &found).unwrap_err();
        assert!(
            error.to_string().contains("`contexts/binary.md`"),
            "{error}"
        );
        assert!(error.to_string().contains("not valid UTF-8"), "{error}");
    }
}
