#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

//! Opening agentctl's own files — the audit log, the project state file, `.agentctl/` and what
//! is in it — so that a repository cannot point them elsewhere.
//!
//! A repository may ship `AUDIT_LOG.md` as a symbolic link to `~/.bashrc`, or `.agentctl` as a
//! link to a directory outside the project. agentctl did not make those links and must not
//! write through them. Every function here walks from a trusted directory (the project root)
//! one component at a time with `openat(…, O_NOFOLLOW)`, so a link at any component below it
//! is an error naming the path, and a regular file with more than one name (a hard link) is
//! refused too: appending to it would change the other name.
//!
//! Owns: those checks and the file handles they produce. Does not know what the files hold,
//! how they are locked or written; the audit writer and the run store use these handles.
//! Components above the trusted directory are not checked: the user chose that path.
//!
//! On platforms without `openat` (Windows) the same walk is done with `symlink_metadata`,
//! which reports links but cannot close the race between the check and the open.

use std::fs::File;
use std::path::{Component, Path, PathBuf};

/// Why agentctl refused one of its own paths.
#[derive(Debug, thiserror::Error)]
pub enum SafeFsError {
    #[error("`{path}` is a symbolic link; agentctl does not read or write its own state through links it did not make")]
    Symlink { path: PathBuf },
    #[error("`{path}` has {links} hard links; agentctl does not write its own state to a file that has other names")]
    HardLink { path: PathBuf, links: u64 },
    #[error("`{path}` is not a {expected}")]
    WrongKind {
        path: PathBuf,
        expected: &'static str,
    },
    #[error("cannot open `{path}`: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl SafeFsError {
    /// What the user should do.
    pub fn hint(&self) -> String {
        match self {
            SafeFsError::Symlink { path } | SafeFsError::HardLink { path, .. } => format!(
                "replace `{}` with a plain file or directory (move the link away; agentctl creates what is missing)",
                path.display()
            ),
            SafeFsError::WrongKind { path, .. } => {
                format!("remove or rename `{}`", path.display())
            }
            SafeFsError::Io { .. } => {
                "check that the path exists and that you may read and write it".to_owned()
            }
        }
    }

    /// Whether the file (or a directory on its way) does not exist.
    pub fn is_not_found(&self) -> bool {
        matches!(self, SafeFsError::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound)
    }
}

/// How to open the final file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Read only; the file must exist.
    Read,
    /// Read and append, creating the file (mode 0644) if it is missing.
    Append,
    /// Write without truncating, creating the file if it is missing (lock files).
    Write,
}

/// The part of `path` below `trusted`, as plain names; `None` when `path` is not below it or
/// has `..` in that part, in which case only `path`'s own parent is trusted.
fn split(trusted: &Path, path: &Path) -> (PathBuf, Vec<std::ffi::OsString>) {
    let names = |relative: &Path| -> Option<Vec<std::ffi::OsString>> {
        relative
            .components()
            .map(|component| match component {
                Component::Normal(name) => Some(name.to_os_string()),
                _ => None,
            })
            .collect()
    };
    if let Some(parts) = path
        .strip_prefix(trusted)
        .ok()
        .and_then(names)
        .filter(|parts| !parts.is_empty())
    {
        return (trusted.to_path_buf(), parts);
    }
    let parent = path
        .parent()
        .filter(|parent| !parent.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .to_path_buf();
    let file_name = path
        .file_name()
        .map(|name| vec![name.to_os_string()])
        .unwrap_or_default();
    (parent, file_name)
}

/// Opens `path`, which should lie below the `trusted` directory, without following a link at
/// any component below `trusted`. With `create_directories`, missing directories on the way
/// are created (mode 0755).
pub fn open(
    trusted: &Path,
    path: &Path,
    access: Access,
    create_directories: bool,
) -> Result<File, SafeFsError> {
    let (start, names) = split(trusted, path);
    imp::open(&start, &names, access, create_directories, path)
}

/// Checks, without opening the final file, that no component of `path` below `trusted` is a
/// link and that the file, if it exists, has a single name. For files replaced by renaming a
/// temporary file over them (the rename itself never follows a link at the last component),
/// creating missing directories on the way when asked.
pub fn check(trusted: &Path, path: &Path, create_directories: bool) -> Result<(), SafeFsError> {
    let (start, names) = split(trusted, path);
    imp::check(&start, &names, create_directories, path)
}

/// `path` with the first `count` names of `names` appended to `start`, for error messages.
fn shown(start: &Path, names: &[std::ffi::OsString], count: usize) -> PathBuf {
    let mut path = start.to_path_buf();
    for name in names.iter().take(count) {
        path.push(name);
    }
    path
}

#[cfg(unix)]
mod imp {
    use std::ffi::OsString;
    use std::fs::File;
    use std::os::fd::OwnedFd;
    use std::path::Path;

    use rustix::fs::{self as fs, Mode, OFlags, CWD};
    use rustix::io::Errno;

    use super::{shown, Access, SafeFsError};

    fn io(path: std::path::PathBuf, errno: Errno) -> SafeFsError {
        SafeFsError::Io {
            path,
            source: std::io::Error::from(errno),
        }
    }

    /// Whether `name` in `directory` is a symbolic link (after an open refused it).
    fn is_link(directory: &OwnedFd, name: &OsString) -> bool {
        fs::statat(directory, name.as_os_str(), fs::AtFlags::SYMLINK_NOFOLLOW)
            .is_ok_and(|stat| fs::FileType::from_raw_mode(stat.st_mode) == fs::FileType::Symlink)
    }

    /// Opens the directories on the way and returns the one holding the last name.
    fn walk(
        start: &Path,
        names: &[OsString],
        create_directories: bool,
    ) -> Result<OwnedFd, SafeFsError> {
        let directory_flags =
            OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC | OFlags::RDONLY;
        let start_flags = OFlags::DIRECTORY | OFlags::CLOEXEC | OFlags::RDONLY;
        let mut current = match fs::openat(CWD, start, start_flags, Mode::empty()) {
            // The trusted directory itself is the caller's choice; make it when asked.
            Err(Errno::NOENT) if create_directories => {
                std::fs::create_dir_all(start).map_err(|source| SafeFsError::Io {
                    path: start.to_path_buf(),
                    source,
                })?;
                fs::openat(CWD, start, start_flags, Mode::empty())
            }
            other => other,
        }
        .map_err(|errno| io(start.to_path_buf(), errno))?;
        let last = names.len().saturating_sub(1);
        for (index, name) in names.iter().enumerate().take(last) {
            let opened =
                match fs::openat(&current, name.as_os_str(), directory_flags, Mode::empty()) {
                    Err(Errno::NOENT) if create_directories => {
                        match fs::mkdirat(&current, name.as_os_str(), Mode::from_raw_mode(0o755)) {
                            Ok(()) | Err(Errno::EXIST) => {}
                            Err(errno) => return Err(io(shown(start, names, index + 1), errno)),
                        }
                        fs::openat(&current, name.as_os_str(), directory_flags, Mode::empty())
                    }
                    other => other,
                };
            current = match opened {
                Ok(fd) => fd,
                Err(Errno::LOOP | Errno::NOTDIR) if is_link(&current, name) => {
                    return Err(SafeFsError::Symlink {
                        path: shown(start, names, index + 1),
                    })
                }
                Err(Errno::NOTDIR) => {
                    return Err(SafeFsError::WrongKind {
                        path: shown(start, names, index + 1),
                        expected: "directory",
                    })
                }
                Err(errno) => return Err(io(shown(start, names, index + 1), errno)),
            };
        }
        Ok(current)
    }

    fn single_name(file: &OwnedFd, path: &Path) -> Result<(), SafeFsError> {
        let stat = fs::fstat(file).map_err(|errno| io(path.to_path_buf(), errno))?;
        if fs::FileType::from_raw_mode(stat.st_mode) != fs::FileType::RegularFile {
            return Err(SafeFsError::WrongKind {
                path: path.to_path_buf(),
                expected: "regular file",
            });
        }
        #[allow(clippy::useless_conversion)]
        let links = u64::from(stat.st_nlink);
        if links > 1 {
            return Err(SafeFsError::HardLink {
                path: path.to_path_buf(),
                links,
            });
        }
        Ok(())
    }

    pub(super) fn open(
        start: &Path,
        names: &[OsString],
        access: Access,
        create_directories: bool,
        path: &Path,
    ) -> Result<File, SafeFsError> {
        let directory = walk(start, names, create_directories)?;
        let Some(name) = names.last() else {
            return Err(SafeFsError::WrongKind {
                path: path.to_path_buf(),
                expected: "file",
            });
        };
        let flags = OFlags::NOFOLLOW
            | OFlags::CLOEXEC
            | match access {
                Access::Read => OFlags::RDONLY,
                Access::Append => OFlags::RDWR | OFlags::APPEND | OFlags::CREATE,
                Access::Write => OFlags::WRONLY | OFlags::CREATE,
            };
        let file = match fs::openat(
            &directory,
            name.as_os_str(),
            flags,
            Mode::from_raw_mode(0o644),
        ) {
            Ok(fd) => fd,
            Err(Errno::LOOP) if is_link(&directory, name) => {
                return Err(SafeFsError::Symlink {
                    path: path.to_path_buf(),
                })
            }
            Err(errno) => return Err(io(path.to_path_buf(), errno)),
        };
        single_name(&file, path)?;
        Ok(File::from(file))
    }

    pub(super) fn check(
        start: &Path,
        names: &[OsString],
        create_directories: bool,
        path: &Path,
    ) -> Result<(), SafeFsError> {
        let directory = walk(start, names, create_directories)?;
        let Some(name) = names.last() else {
            return Ok(());
        };
        match fs::statat(&directory, name.as_os_str(), fs::AtFlags::SYMLINK_NOFOLLOW) {
            Err(Errno::NOENT) => Ok(()),
            Err(errno) => Err(io(path.to_path_buf(), errno)),
            Ok(stat) => {
                let kind = fs::FileType::from_raw_mode(stat.st_mode);
                if kind == fs::FileType::Symlink {
                    return Err(SafeFsError::Symlink {
                        path: path.to_path_buf(),
                    });
                }
                #[allow(clippy::useless_conversion)]
                let links = u64::from(stat.st_nlink);
                if kind == fs::FileType::RegularFile && links > 1 {
                    return Err(SafeFsError::HardLink {
                        path: path.to_path_buf(),
                        links,
                    });
                }
                Ok(())
            }
        }
    }
}

#[cfg(not(unix))]
mod imp {
    use std::ffi::OsString;
    use std::fs::File;
    use std::path::Path;

    use super::{shown, Access, SafeFsError};

    pub(super) fn check(
        start: &Path,
        names: &[OsString],
        create_directories: bool,
        path: &Path,
    ) -> Result<(), SafeFsError> {
        for count in 1..=names.len() {
            let here = shown(start, names, count);
            match std::fs::symlink_metadata(&here) {
                Ok(metadata) if metadata.file_type().is_symlink() => {
                    return Err(SafeFsError::Symlink { path: here })
                }
                Ok(_) => {}
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                    if create_directories && count < names.len() {
                        std::fs::create_dir(&here)
                            .map_err(|source| SafeFsError::Io { path: here, source })?;
                    }
                }
                Err(source) => return Err(SafeFsError::Io { path: here, source }),
            }
        }
        let _ = path;
        Ok(())
    }

    pub(super) fn open(
        start: &Path,
        names: &[OsString],
        access: Access,
        create_directories: bool,
        path: &Path,
    ) -> Result<File, SafeFsError> {
        check(start, names, create_directories, path)?;
        let mut options = std::fs::OpenOptions::new();
        match access {
            Access::Read => options.read(true),
            Access::Append => options.read(true).append(true).create(true),
            Access::Write => options.write(true).create(true),
        };
        options.open(path).map_err(|source| SafeFsError::Io {
            path: path.to_path_buf(),
            source,
        })
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::io::Write;
    use std::os::unix::fs::symlink;

    fn root() -> (tempfile::TempDir, PathBuf) {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().canonicalize().unwrap();
        (directory, path)
    }

    #[test]
    fn plain_files_open_and_missing_directories_are_made() {
        let (_guard, root) = root();
        let path = root.join(".agentctl/runs/r-1/state.lock");
        let mut file = open(&root, &path, Access::Write, true).unwrap();
        file.write_all(b"x").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"x");
        check(&root, &root.join(".agentctl/runs/r-1/state.json"), false).unwrap();
    }

    #[test]
    fn a_link_at_the_file_is_refused_and_its_target_untouched() {
        let (_guard, root) = root();
        let (_outside_guard, outside) = self::root();
        std::fs::write(outside.join("bashrc"), "original").unwrap();
        symlink(outside.join("bashrc"), root.join("AUDIT_LOG.md")).unwrap();
        let error = open(&root, &root.join("AUDIT_LOG.md"), Access::Append, false).unwrap_err();
        assert!(matches!(error, SafeFsError::Symlink { .. }), "{error}");
        assert!(error.to_string().contains("AUDIT_LOG.md"));
        let error = check(&root, &root.join("AUDIT_LOG.md"), false).unwrap_err();
        assert!(matches!(error, SafeFsError::Symlink { .. }), "{error}");
        assert_eq!(
            std::fs::read_to_string(outside.join("bashrc")).unwrap(),
            "original"
        );
    }

    #[test]
    fn a_link_at_a_directory_on_the_way_is_refused() {
        let (_guard, root) = root();
        let (_outside_guard, outside) = self::root();
        symlink(&outside, root.join(".agentctl")).unwrap();
        let path = root.join(".agentctl/locks/project-state.lock");
        let error = open(&root, &path, Access::Write, true).unwrap_err();
        match &error {
            SafeFsError::Symlink { path } => assert_eq!(path, &root.join(".agentctl")),
            other => panic!("{other}"),
        }
        assert!(check(&root, &root.join(".agentctl/runs/x/state.json"), true).is_err());
        assert!(std::fs::read_dir(&outside).unwrap().next().is_none());
    }

    #[test]
    fn hard_links_are_refused() {
        let (_guard, root) = root();
        std::fs::write(root.join("secret"), "s").unwrap();
        std::fs::hard_link(root.join("secret"), root.join("AUDIT_LOG.md")).unwrap();
        let error = open(&root, &root.join("AUDIT_LOG.md"), Access::Append, false).unwrap_err();
        assert!(
            matches!(error, SafeFsError::HardLink { links: 2, .. }),
            "{error}"
        );
        assert!(check(&root, &root.join("AUDIT_LOG.md"), false).is_err());
    }

    #[test]
    fn paths_outside_the_trusted_directory_check_their_last_name() {
        let (_guard, root) = root();
        let (_other_guard, other) = self::root();
        let path = other.join("log.md");
        open(&root, &path, Access::Append, false).unwrap();
        std::fs::remove_file(&path).unwrap();
        symlink(root.join("x"), &path).unwrap();
        assert!(open(&root, &path, Access::Append, false).is_err());
    }
}
