//! What a command changed in the workspace: the files under the trees it may write, listed
//! before it runs and again after, and compared.
//!
//! `fs_write` knows the one file it writes; a command (`execute_bash`, `use_aws`) does not say
//! what it touched, so the run summary, `agentctl runs show` and the audit log would otherwise
//! miss every file a test run, a formatter or a code generator wrote. Each file is compared by
//! size, modification time, inode change time and inode. The change time is the kernel's: a
//! program that restores a file's size and modification time (`touch -d`) still changes it.
//! What is not seen: a change within one timestamp tick of the listing (a nanosecond on ext4).
//!
//! Listed: the trees the sandbox lets the call write (the whole workspace when the sandbox is
//! off), without `.git` directories and without the paths agentctl protects (its own state, the
//! audit log), which no call may change. A listing stops at [`MAX_LISTED_FILES`] files and then
//! says it is incomplete, so a huge tree costs a bounded walk and the summary says it could not
//! count.
//!
//! Does not know about: policy, the audit log, the sandbox's enforcement.

use std::collections::HashMap;
use std::os::unix::fs::MetadataExt as _;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// A listing stops after this many files (both listings of one call together stay bounded).
pub const MAX_LISTED_FILES: usize = 20_000;

/// What identifies one version of a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stamp {
    length: u64,
    modified: Option<SystemTime>,
    /// The inode change time: set by the kernel on every write, rename or chmod, and unlike the
    /// modification time not settable by the program (`touch -d` cannot hide a change).
    status_changed: (i64, i64),
    inode: u64,
}

/// The files under some trees at one moment.
#[derive(Debug, Clone, Default)]
pub(crate) struct TreeListing {
    files: HashMap<PathBuf, Stamp>,
    complete: bool,
}

/// What changed between two listings, as workspace-relative `/`-separated paths, each list
/// sorted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CommandChanges {
    pub created: Vec<String>,
    pub modified: Vec<String>,
    pub removed: Vec<String>,
    /// False when a listing stopped at [`MAX_LISTED_FILES`]: there may be more.
    pub complete: bool,
}

impl CommandChanges {
    /// Every changed path, created, modified and removed.
    pub fn paths(&self) -> impl Iterator<Item = &String> {
        self.created
            .iter()
            .chain(&self.modified)
            .chain(&self.removed)
    }

    pub fn is_empty(&self) -> bool {
        self.created.is_empty() && self.modified.is_empty() && self.removed.is_empty()
    }
}

impl TreeListing {
    /// Lists the files under `roots` (files or directories), skipping `.git` directories and
    /// every path in `skipped` (and what lies below it).
    pub(crate) fn take(roots: &[PathBuf], skipped: &[PathBuf]) -> TreeListing {
        let mut listing = TreeListing {
            files: HashMap::new(),
            complete: true,
        };
        for root in roots {
            let walker = walkdir::WalkDir::new(root)
                .follow_links(false)
                .into_iter()
                .filter_entry(|entry| {
                    let is_git = entry.depth() > 0
                        && entry.file_type().is_dir()
                        && entry.file_name() == ".git";
                    !is_git && !skipped.iter().any(|path| entry.path() == path)
                });
            for entry in walker.flatten() {
                if entry.file_type().is_dir() {
                    continue;
                }
                if listing.files.len() >= MAX_LISTED_FILES {
                    listing.complete = false;
                    return listing;
                }
                let Ok(metadata) = entry.metadata() else {
                    continue;
                };
                listing.files.insert(
                    entry.into_path(),
                    Stamp {
                        length: metadata.len(),
                        modified: metadata.modified().ok(),
                        status_changed: (metadata.ctime(), metadata.ctime_nsec()),
                        inode: metadata.ino(),
                    },
                );
            }
        }
        listing
    }

    /// What changed from `before` to `self`, relative to `workspace`.
    pub(crate) fn changes_since(&self, before: &TreeListing, workspace: &Path) -> CommandChanges {
        let relative = |path: &Path| {
            let inside = path.strip_prefix(workspace).unwrap_or(path);
            inside.to_string_lossy().replace('\\', "/")
        };
        let mut changes = CommandChanges {
            complete: self.complete && before.complete,
            ..CommandChanges::default()
        };
        for (path, stamp) in &self.files {
            match before.files.get(path) {
                None => changes.created.push(relative(path)),
                Some(earlier) if earlier != stamp => changes.modified.push(relative(path)),
                Some(_) => {}
            }
        }
        for path in before.files.keys() {
            if !self.files.contains_key(path) {
                changes.removed.push(relative(path));
            }
        }
        changes.created.sort();
        changes.modified.sort();
        changes.removed.sort();
        changes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn created_modified_and_removed_files_are_told_apart_and_skipped_trees_are_not_listed() {
        let workspace = tempfile::tempdir().unwrap();
        let root = std::fs::canonicalize(workspace.path()).unwrap();
        for (path, text) in [
            ("keep.txt", "same"),
            ("edit.txt", "old"),
            ("gone.txt", "bye"),
            ("state/run.json", "{}"),
            (".git/HEAD", "ref"),
        ] {
            let file = root.join(path);
            std::fs::create_dir_all(file.parent().unwrap()).unwrap();
            std::fs::write(file, text).unwrap();
        }
        let skipped = [root.join("state")];
        let before = TreeListing::take(std::slice::from_ref(&root), &skipped);
        assert_eq!(before.files.len(), 3, "{:?}", before.files.keys());
        std::fs::write(root.join("edit.txt"), "newer text").unwrap();
        std::fs::remove_file(root.join("gone.txt")).unwrap();
        std::fs::create_dir(root.join("out")).unwrap();
        std::fs::write(root.join("out/new.txt"), "hello").unwrap();
        std::fs::write(root.join("state/run.json"), "{\"changed\": true}").unwrap();
        std::fs::write(root.join(".git/HEAD"), "other ref").unwrap();
        let after = TreeListing::take(std::slice::from_ref(&root), &skipped);
        let changes = after.changes_since(&before, &root);
        assert_eq!(
            changes,
            CommandChanges {
                created: vec!["out/new.txt".to_owned()],
                modified: vec!["edit.txt".to_owned()],
                removed: vec!["gone.txt".to_owned()],
                complete: true,
            }
        );
        assert_eq!(changes.paths().count(), 3);
        // Nothing changed: nothing reported.
        let again = TreeListing::take(std::slice::from_ref(&root), &skipped);
        assert!(again.changes_since(&after, &root).is_empty());
        // Same size, modification time put back: the kernel's change time still moves.
        let file = root.join("keep.txt");
        let modified = std::fs::metadata(&file).unwrap().modified().unwrap();
        std::thread::sleep(std::time::Duration::from_millis(20));
        std::fs::write(&file, "SAME").unwrap();
        std::fs::File::options()
            .write(true)
            .open(&file)
            .unwrap()
            .set_modified(modified)
            .unwrap();
        assert_eq!(
            std::fs::metadata(&file).unwrap().modified().unwrap(),
            modified
        );
        let disguised = TreeListing::take(std::slice::from_ref(&root), &skipped);
        assert_eq!(
            disguised.changes_since(&again, &root).modified,
            ["keep.txt"]
        );
    }

    #[test]
    fn a_listing_past_its_limit_says_it_is_incomplete() {
        let workspace = tempfile::tempdir().unwrap();
        let root = std::fs::canonicalize(workspace.path()).unwrap();
        for index in 0..=MAX_LISTED_FILES {
            std::fs::write(root.join(format!("f{index}")), "").unwrap();
        }
        let listing = TreeListing::take(std::slice::from_ref(&root), &[]);
        assert!(!listing.complete);
        assert_eq!(listing.files.len(), MAX_LISTED_FILES);
        assert!(!listing.changes_since(&listing, &root).complete);
    }
}
