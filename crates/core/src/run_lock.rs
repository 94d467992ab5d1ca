//! Run ownership: one process drives a run at a time.
//!
//! Whoever drives a run — `run`, `resume`, `chat`, `chat --resume`, or `approve`/`reject` for
//! the moment they record a decision — holds an exclusive advisory lock on
//! `.agentctl/runs/RUN_ID/lock` from its first read of the run's state to its last write. A
//! second process is refused with [`CoreError::RunBusy`] naming the holder's pid and command
//! line (written into the lock file), and changes nothing.
//!
//! The operating system releases the lock when the holder exits, however it exits (`kill -9`
//! included), so the lock is also the run's liveness: a run whose state says `running` but whose
//! lock is free was abandoned, and is shown as `interrupted` ([`is_held`]).
//!
//! Does not know about: what a run does, or which command is running (it records the process's
//! own command line as it is).

use std::fs::File;
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use agentctl_protocol::RunId;

use crate::store::run_dir;
use crate::CoreError;

pub const LOCK_FILE_NAME: &str = "lock";

/// How long an acquisition keeps trying before it calls the run busy. A liveness probe
/// ([`is_held`]) holds the lock for microseconds; this grace keeps a probe from being mistaken
/// for a driver.
const ACQUIRE_ATTEMPTS: u32 = 10;
const ACQUIRE_PAUSE: Duration = Duration::from_millis(20);

/// Proof that this process drives one run; the lock is released when it is dropped (or when the
/// process ends).
#[derive(Debug)]
pub struct RunLock {
    file: File,
    run_id: RunId,
    run_dir: PathBuf,
    /// Whether this hold of the lock was already counted as one of the run's sessions.
    session_counted: std::sync::atomic::AtomicBool,
}

impl RunLock {
    /// Takes the run's lock, or says who holds it. Blocks for at most about 200 ms, so callers
    /// on an async runtime run it through `spawn_blocking` or accept that short wait.
    pub fn acquire(state_dir: &Path, run_id: &RunId) -> Result<RunLock, CoreError> {
        let directory = run_dir(state_dir, run_id.as_str());
        let path = directory.join(LOCK_FILE_NAME);
        // Through `own_files`: a `.agentctl` (or run directory) that is a link is refused, and
        // neither the directories nor the lock file are made at its target.
        let mut file = crate::own_files::open_for_lock(&path).map_err(|error| match error {
            CoreError::Io(error) => CoreError::Io(std::io::Error::new(
                error.kind(),
                format!("{}: {error}", path.display()),
            )),
            other => other,
        })?;
        let mut attempt = 0;
        loop {
            match fs4::FileExt::try_lock(&file) {
                Ok(()) => break,
                Err(fs4::TryLockError::WouldBlock) if attempt + 1 < ACQUIRE_ATTEMPTS => {
                    attempt += 1;
                    std::thread::sleep(ACQUIRE_PAUSE);
                }
                Err(fs4::TryLockError::WouldBlock) => {
                    let holder = read_holder(&path);
                    return Err(CoreError::RunBusy {
                        run_id: run_id.to_string(),
                        pid: holder.0,
                        command: holder.1,
                    });
                }
                Err(fs4::TryLockError::Error(error)) => return Err(CoreError::Io(error)),
            }
        }
        // Who holds it, for the refusal a second process prints. Not fsynced: it matters only
        // while this process lives.
        file.set_len(0)?;
        file.rewind()?;
        file.write_all(format!("{}\n{}\n", std::process::id(), own_command_line()).as_bytes())?;
        Ok(RunLock {
            session_counted: std::sync::atomic::AtomicBool::new(false),
            file,
            run_id: run_id.clone(),
            run_dir: directory,
        })
    }

    pub fn run_id(&self) -> &RunId {
        &self.run_id
    }

    pub fn run_dir(&self) -> &Path {
        &self.run_dir
    }
}

impl RunLock {
    /// True the first time it is asked: the first save under this hold of the lock counts one
    /// more session (one process driving the run) in the run's state.
    pub(crate) fn first_session_save(&self) -> bool {
        !self
            .session_counted
            .swap(true, std::sync::atomic::Ordering::SeqCst)
    }
}

impl Drop for RunLock {
    fn drop(&mut self) {
        // Emptied first so a stale pid is never shown; closing the file releases the lock.
        let _ = self.file.set_len(0);
        let _ = fs4::FileExt::unlock(&self.file);
    }
}

/// Whether some process (this one included) holds the run's lock now.
pub fn is_held(run_dir: &Path) -> bool {
    let Ok(file) = crate::own_files::open_for_reading(&run_dir.join(LOCK_FILE_NAME)) else {
        return false; // never locked (no lock file yet), or not agentctl's own file
    };
    match fs4::FileExt::try_lock_shared(&file) {
        Ok(()) => {
            let _ = fs4::FileExt::unlock(&file);
            false
        }
        Err(fs4::TryLockError::WouldBlock) => true,
        Err(fs4::TryLockError::Error(_)) => false,
    }
}

/// The pid and command line the holder wrote, or `unknown` while it is still writing them.
fn read_holder(path: &Path) -> (String, String) {
    let mut text = String::new();
    if let Ok(mut file) = crate::own_files::open_for_reading(path) {
        let _ = file.read_to_string(&mut text);
    }
    let mut lines = text.lines();
    let pid = lines
        .next()
        .filter(|pid| !pid.is_empty())
        .unwrap_or("unknown");
    let command = lines.next().unwrap_or("unknown");
    (pid.to_owned(), command.to_owned())
}

/// `agentctl resume T-154`: the program's file name and its arguments.
fn own_command_line() -> String {
    let mut words = std::env::args();
    let program = words
        .next()
        .map(|program| {
            Path::new(&program)
                .file_name()
                .map_or(program.clone(), |name| name.to_string_lossy().into_owned())
        })
        .unwrap_or_default();
    std::iter::once(program)
        .chain(words)
        .collect::<Vec<_>>()
        .join(" ")
        .replace(['\n', '\r'], " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_acquisition_is_refused_and_names_the_holder() {
        let state = tempfile::tempdir().unwrap();
        let run = RunId::new("r-1".to_owned());
        let first = RunLock::acquire(state.path(), &run).unwrap();
        assert!(is_held(first.run_dir()));
        let error = RunLock::acquire(state.path(), &run).unwrap_err();
        match error {
            CoreError::RunBusy { run_id, pid, .. } => {
                assert_eq!(run_id, "r-1");
                assert_eq!(pid, std::process::id().to_string());
            }
            other => panic!("expected RunBusy, got {other:?}"),
        }
        drop(first);
        assert!(!is_held(&run_dir(state.path(), "r-1")));
        let again = RunLock::acquire(state.path(), &run).unwrap();
        assert_eq!(again.run_id().as_str(), "r-1");
    }

    #[test]
    fn a_run_never_locked_is_not_held() {
        let state = tempfile::tempdir().unwrap();
        assert!(!is_held(&run_dir(state.path(), "r-none")));
    }
}
