//! `fs_write`: atomic replacement of a text file, with a unified diff of what changed.
//!
//! Owns: the write itself (temporary file in the same directory, fsync, rename, directory
//! fsync), keeping an existing file's mode, creating missing parent directories, and the diff
//! and line counts recorded for the audit log. Also refuses, as defence in depth, to write
//! through a symbolic link or outside the workspace. Does not decide whether the write is
//! allowed; the policy engine did.

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Component, Path};
use std::time::Duration;

use similar::{ChangeTag, TextDiff};

use crate::context::{ToolContext, ToolOutput};
use crate::error::ToolError;
use crate::files::run_blocking;

/// Largest content `fs_write` accepts, and largest existing file it will diff and replace.
pub const MAX_WRITE_BYTES: u64 = 16 * 1024 * 1024;

/// Mode of a newly created file. The process umask cannot be read without `unsafe`, so the
/// common result of `0666 & ~022` is used.
const NEW_FILE_MODE: u32 = 0o644;

/// Bounds the diff's running time on pathological inputs; past it `similar` gives a coarser,
/// still correct diff.
const DIFF_TIME_LIMIT: Duration = Duration::from_secs(2);

/// What one `fs_write` changed, for the `file.diff` audit event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileChange {
    /// Workspace-relative, `/`-separated.
    pub path: String,
    pub created: bool,
    /// Unified diff with 3 lines of context and `a/PATH`, `b/PATH` headers; empty when the
    /// content did not change.
    pub diff: String,
    pub added_lines: usize,
    pub removed_lines: usize,
    pub bytes_before: u64,
    pub bytes_after: u64,
}

impl FileChange {
    /// Whether the write changed the file: it created it, or the content differs.
    pub fn changed_anything(&self) -> bool {
        self.created || !self.diff.is_empty()
    }
}

/// Replaces (or creates) the file at `resolved` with `content`.
pub async fn fs_write(
    ctx: &ToolContext,
    resolved: &Path,
    shown_path: &str,
    content: &str,
) -> Result<(ToolOutput, FileChange), ToolError> {
    let workspace = ctx.workspace.clone();
    let target = ctx.workspace.join(resolved);
    let shown = shown_path.to_owned();
    let content = content.to_owned();
    run_blocking(shown_path, move || {
        write_file(&workspace, &target, &shown, &content)
    })
    .await
}

fn write_file(
    workspace: &Path,
    target: &Path,
    shown: &str,
    content: &str,
) -> Result<(ToolOutput, FileChange), ToolError> {
    if content.len() as u64 > MAX_WRITE_BYTES {
        return Err(ToolError::TooLarge {
            path: shown.to_owned(),
            size: content.len() as u64,
            limit: MAX_WRITE_BYTES,
            what: "fs_write content",
        });
    }
    let existing = read_existing(target, shown)?;
    let parent = target.parent().ok_or_else(|| ToolError::NotAFile {
        path: shown.to_owned(),
    })?;
    ensure_directory_inside(workspace, parent, shown)?;
    let relative = workspace_relative(workspace, target, shown);
    let before = existing
        .as_ref()
        .map(|file| file.text.as_str())
        .unwrap_or("");
    let change = describe_change(&relative, existing.is_none(), before, content);

    if existing.as_ref().is_some_and(|file| file.text == content) {
        let text = format!("`{shown}` already holds this content; nothing was written");
        return Ok((ToolOutput::text(text, false), change));
    }
    let mode = existing.as_ref().map_or(NEW_FILE_MODE, |file| file.mode);
    replace_atomically(parent, target, shown, content, mode)?;

    let text = if change.created {
        format!(
            "created `{shown}` ({} lines, {} bytes)",
            change.added_lines, change.bytes_after
        )
    } else {
        format!(
            "updated `{shown}`: +{} -{} lines ({} -> {} bytes)",
            change.added_lines, change.removed_lines, change.bytes_before, change.bytes_after
        )
    };
    Ok((ToolOutput::text(text, false), change))
}

struct ExistingFile {
    text: String,
    mode: u32,
}

fn read_existing(target: &Path, shown: &str) -> Result<Option<ExistingFile>, ToolError> {
    let metadata = match fs_err::symlink_metadata(target) {
        Ok(metadata) => metadata,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(error) => return Err(ToolError::from_io("inspect", shown, error)),
    };
    if metadata.file_type().is_symlink() {
        return Err(ToolError::Symlink {
            path: shown.to_owned(),
        });
    }
    if !metadata.is_file() {
        return Err(ToolError::NotAFile {
            path: shown.to_owned(),
        });
    }
    if metadata.len() > MAX_WRITE_BYTES {
        return Err(ToolError::TooLarge {
            path: shown.to_owned(),
            size: metadata.len(),
            limit: MAX_WRITE_BYTES,
            what: "a file fs_write replaces",
        });
    }
    let bytes = fs_err::read(target).map_err(|error| ToolError::from_io("read", shown, error))?;
    let text = String::from_utf8(bytes).map_err(|error| ToolError::NotUtf8 {
        path: shown.to_owned(),
        offset: error.utf8_error().valid_up_to(),
    })?;
    Ok(Some(ExistingFile {
        text,
        // Permission bits only: new content never inherits set-user-id, set-group-id or sticky.
        mode: metadata.permissions().mode() & 0o777,
    }))
}

/// Creates `directory` (and its missing ancestors) after checking that the deepest part that
/// already exists, with every symlink resolved, lies inside the workspace — so no link can
/// carry new directories or the file elsewhere.
fn ensure_directory_inside(
    workspace: &Path,
    directory: &Path,
    shown: &str,
) -> Result<(), ToolError> {
    let outside = || ToolError::OutsideWorkspace {
        path: shown.to_owned(),
    };
    if directory
        .components()
        .any(|component| component == Component::ParentDir)
    {
        return Err(outside());
    }
    let workspace_root = fs_err::canonicalize(workspace)
        .map_err(|error| ToolError::from_io("resolve the workspace for", shown, error))?;
    let mut existing = directory;
    while fs_err::symlink_metadata(existing).is_err() {
        existing = existing.parent().ok_or_else(outside)?;
    }
    let existing_real = fs_err::canonicalize(existing)
        .map_err(|error| ToolError::from_io("resolve the parent of", shown, error))?;
    if !existing_real.starts_with(&workspace_root) {
        return Err(outside());
    }
    fs_err::create_dir_all(directory)
        .map_err(|error| ToolError::from_io("create the parent directory of", shown, error))?;
    let directory_real = fs_err::canonicalize(directory)
        .map_err(|error| ToolError::from_io("resolve the parent of", shown, error))?;
    if !directory_real.starts_with(&workspace_root) {
        return Err(outside());
    }
    Ok(())
}

fn workspace_relative(workspace: &Path, target: &Path, shown: &str) -> String {
    if let Ok(relative) = target.strip_prefix(workspace) {
        return slash_joined(relative);
    }
    // The workspace may be named through a symlink while the policy engine resolved the target
    // to its real location; compare real paths before falling back to what the model wrote.
    let real_relative = (|| {
        let root = std::fs::canonicalize(workspace).ok()?;
        let parent = std::fs::canonicalize(target.parent()?).ok()?;
        let real = parent.join(target.file_name()?);
        Some(slash_joined(real.strip_prefix(root).ok()?))
    })();
    real_relative.unwrap_or_else(|| shown.trim_start_matches("./").to_owned())
}

fn slash_joined(relative: &Path) -> String {
    relative
        .components()
        .map(|component| component.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// The diff and counts for replacing `before` with `after`.
pub(crate) fn describe_change(path: &str, created: bool, before: &str, after: &str) -> FileChange {
    let diff = TextDiff::configure()
        .timeout(DIFF_TIME_LIMIT)
        .diff_lines(before, after);
    let mut added_lines = 0;
    let mut removed_lines = 0;
    for change in diff.iter_all_changes() {
        match change.tag() {
            ChangeTag::Insert => added_lines += 1,
            ChangeTag::Delete => removed_lines += 1,
            ChangeTag::Equal => {}
        }
    }
    let unified = if before == after {
        String::new()
    } else {
        diff.unified_diff()
            .context_radius(3)
            .header(&format!("a/{path}"), &format!("b/{path}"))
            .to_string()
    };
    FileChange {
        path: path.to_owned(),
        created,
        diff: unified,
        added_lines,
        removed_lines,
        bytes_before: before.len() as u64,
        bytes_after: after.len() as u64,
    }
}

/// Writes a hidden temporary file next to `target`, fsyncs it, renames it over `target` and
/// fsyncs the directory, so a reader sees the old or the new file and never a partial one. The
/// temporary file is removed if any step fails.
fn replace_atomically(
    directory: &Path,
    target: &Path,
    shown: &str,
    content: &str,
    mode: u32,
) -> Result<(), ToolError> {
    let io_error = |action: &'static str| move |error| ToolError::from_io(action, shown, error);
    let mut temporary = tempfile::Builder::new()
        .prefix(".agentctl-write-")
        .tempfile_in(directory)
        .map_err(io_error("create a temporary file next to"))?;
    temporary
        .write_all(content.as_bytes())
        .map_err(io_error("write"))?;
    temporary
        .as_file()
        .set_permissions(std::fs::Permissions::from_mode(mode))
        .map_err(io_error("set the mode of"))?;
    temporary.as_file().sync_all().map_err(io_error("flush"))?;
    temporary
        .persist(target)
        .map_err(|error| ToolError::from_io("replace", shown, error.error))?;
    fs_err::File::open(directory)
        .and_then(|handle| handle.sync_all())
        .map_err(io_error("flush the directory of"))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diff_counts_lines_and_uses_a_b_headers() {
        let change = describe_change(
            "src/app.txt",
            false,
            "one\ntwo\nthree\n",
            "one\n2\nthree\nfour\n",
        );
        assert_eq!(
            change.diff,
            "--- a/src/app.txt\n+++ b/src/app.txt\n@@ -1,3 +1,4 @@\n one\n-two\n+2\n three\n+four\n"
        );
        assert_eq!((change.added_lines, change.removed_lines), (2, 1));
        assert_eq!((change.bytes_before, change.bytes_after), (14, 17));
    }

    #[test]
    fn identical_content_has_an_empty_diff() {
        let change = describe_change("a", false, "same\n", "same\n");
        assert_eq!(change.diff, "");
        assert_eq!((change.added_lines, change.removed_lines), (0, 0));
    }
}
