//! The scratch directory of one command call: `agentctl-call-PID-XXXXXX` in the system temporary
//! directory (or the configured base), the command's `HOME`, `TMPDIR` and only writable place
//! outside the workspace. It is removed when the call ends; one left behind by a process that
//! was killed (`kill -9` skips every destructor) is removed by the next agentctl process that
//! creates one in the same place.
//!
//! Sweeping is conservative: only directories named with a process id that no longer exists,
//! owned by the current user, and not symbolic links. A directory of a process that is still
//! alive, or of another user, is never touched. A process id is read in this process's pid
//! namespace: two agentctl processes in different pid namespaces sharing one temporary
//! directory should each be given their own (`TMPDIR`).
//!
//! Does not know about: what the command does inside it (see `confine`).

use std::os::unix::fs::MetadataExt;
use std::path::Path;

const PREFIX: &str = "agentctl-call-";

/// Creates this call's scratch directory in `base`, first (once per process) removing the ones
/// that processes which no longer exist left there.
pub(crate) fn create(base: &Path) -> std::io::Result<tempfile::TempDir> {
    static SWEPT: std::sync::Once = std::sync::Once::new();
    SWEPT.call_once(|| sweep(base));
    tempfile::Builder::new()
        .prefix(&format!("{PREFIX}{}-", std::process::id()))
        .tempdir_in(base)
}

/// Removes the scratch directories in `base` whose process is gone.
fn sweep(base: &Path) {
    let Ok(entries) = std::fs::read_dir(base) else {
        return;
    };
    let user = rustix::process::getuid().as_raw();
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|name| name.strip_prefix(PREFIX))
            .and_then(|rest| rest.split_once('-'))
            .and_then(|(pid, _)| pid.parse::<i32>().ok())
        else {
            continue;
        };
        if is_alive(pid) {
            continue;
        }
        let path = entry.path();
        let Ok(metadata) = std::fs::symlink_metadata(&path) else {
            continue;
        };
        if metadata.is_dir() && metadata.uid() == user {
            // Removing a directory never follows a link inside it.
            let _ = std::fs::remove_dir_all(&path);
        }
    }
}

/// Whether a process with this id exists (a signal-0 probe; "not permitted" means it exists).
fn is_alive(pid: i32) -> bool {
    let Some(pid) = rustix::process::Pid::from_raw(pid) else {
        return true;
    };
    !matches!(
        rustix::process::test_kill_process(pid),
        Err(rustix::io::Errno::SRCH)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The id of a process that has exited and been reaped.
    fn gone_pid() -> i32 {
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id() as i32;
        child.wait().unwrap();
        pid
    }

    #[test]
    fn only_the_directories_of_processes_that_are_gone_are_swept() {
        let base = tempfile::tempdir().unwrap();
        let gone = gone_pid();
        let left = base.path().join(format!("{PREFIX}{gone}-abc123"));
        std::fs::create_dir_all(left.join("inside")).unwrap();
        std::fs::write(left.join("inside/file"), "x").unwrap();
        let alive = base
            .path()
            .join(format!("{PREFIX}{}-def456", std::process::id()));
        std::fs::create_dir(&alive).unwrap();
        let a_file = base.path().join(format!("{PREFIX}{gone}-file"));
        std::fs::write(&a_file, "not a directory").unwrap();
        let target = base.path().join("elsewhere");
        std::fs::create_dir(&target).unwrap();
        std::fs::write(target.join("keep"), "kept").unwrap();
        let link = base.path().join(format!("{PREFIX}{gone}-link"));
        std::os::unix::fs::symlink(&target, &link).unwrap();
        let old_style = base.path().join(format!("{PREFIX}Xy12ab"));
        std::fs::create_dir(&old_style).unwrap();
        let unrelated = base.path().join(format!("other-{gone}-dir"));
        std::fs::create_dir(&unrelated).unwrap();

        sweep(base.path());

        assert!(!left.exists(), "a gone process's directory is removed");
        assert!(alive.is_dir(), "a live process's directory stays");
        assert!(a_file.is_file());
        assert!(
            std::fs::symlink_metadata(&link).is_ok(),
            "a link is not followed or removed"
        );
        assert_eq!(
            std::fs::read_to_string(target.join("keep")).unwrap(),
            "kept"
        );
        assert!(old_style.is_dir(), "a name without a process id stays");
        assert!(unrelated.is_dir());
    }

    #[test]
    fn a_new_scratch_directory_carries_this_process_id() {
        let base = tempfile::tempdir().unwrap();
        let scratch = create(base.path()).unwrap();
        let name = scratch
            .path()
            .file_name()
            .unwrap()
            .to_str()
            .unwrap()
            .to_owned();
        assert!(
            name.starts_with(&format!("{PREFIX}{}-", std::process::id())),
            "{name}"
        );
        assert!(is_alive(std::process::id() as i32));
        assert!(!is_alive(gone_pid()));
    }
}
