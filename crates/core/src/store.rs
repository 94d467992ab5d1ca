//! Durable files under `.agentctl/`: atomic replacement, advisory locks, and run ids.
//!
//! Every state file is written to a temporary file in the same directory, fsynced and renamed
//! over the old one, so a crash (kill -9) leaves the previous or the next version, never a
//! torn one.

use std::io::Write;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::CoreError;

/// Replaces `path` with `bytes` atomically and durably.
pub fn atomic_write(path: &Path, bytes: &[u8]) -> Result<(), CoreError> {
    crate::own_files::check(path)?;
    let directory = path
        .parent()
        .filter(|parent| !parent.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    fs_err::create_dir_all(directory)?;
    let mut temporary = tempfile::Builder::new()
        .prefix(".tmp-")
        .tempfile_in(directory)?;
    temporary.write_all(bytes)?;
    temporary.as_file().sync_data()?;
    temporary
        .persist(path)
        .map_err(|error| CoreError::Io(error.error))?;
    // The rename itself is durable once the directory entry is.
    if let Ok(handle) = std::fs::File::open(directory) {
        let _ = handle.sync_all();
    }
    Ok(())
}

/// An exclusive advisory lock held until dropped.
#[derive(Debug)]
pub struct FileLock {
    file: std::fs::File,
}

impl FileLock {
    pub fn acquire(path: &Path) -> Result<FileLock, CoreError> {
        let file = crate::own_files::open_for_lock(path)?;
        fs4::FileExt::lock(&file)?;
        Ok(FileLock { file })
    }
}

impl Drop for FileLock {
    fn drop(&mut self) {
        let _ = fs4::FileExt::unlock(&self.file);
    }
}

/// SHA-256 of bytes as lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut text = String::with_capacity(64);
    for byte in digest {
        text.push_str(&format!("{byte:02x}"));
    }
    text
}

/// A new run id: `r-YYYYMMDD-HHMMSS-xxxx`, sortable by start time.
pub fn new_run_id(prefix: &str) -> String {
    let now = time::OffsetDateTime::now_utc();
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let count = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let entropy = format!(
        "{}-{}-{count}",
        now.unix_timestamp_nanos(),
        std::process::id()
    );
    let suffix = &sha256_hex(entropy.as_bytes())[..6];
    format!(
        "{prefix}-{:04}{:02}{:02}-{:02}{:02}{:02}-{suffix}",
        now.year(),
        u8::from(now.month()),
        now.day(),
        now.hour(),
        now.minute(),
        now.second()
    )
}

/// The current time as RFC 3339 UTC with milliseconds.
pub fn now_rfc3339() -> String {
    let now = time::OffsetDateTime::now_utc();
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        now.year(),
        u8::from(now.month()),
        now.day(),
        now.hour(),
        now.minute(),
        now.second(),
        now.millisecond()
    )
}

/// Runs blocking file work — fsynced saves, audit appends, file locks — from async code without
/// stalling the runtime's other tasks (the Ctrl-C listener, a mock server in tests).
///
/// `block_in_place` rather than `spawn_blocking`: the engine's saves borrow the run state and the
/// recorder, which `spawn_blocking` would need to own; `block_in_place` hands this worker's other
/// tasks to another worker for the duration instead. On a current-thread runtime (or outside
/// one) there is no other worker to hand them to, and the work runs inline.
pub fn blocking<T>(work: impl FnOnce() -> T) -> T {
    match tokio::runtime::Handle::try_current() {
        Ok(handle) if handle.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(work)
        }
        _ => work(),
    }
}

/// The directory of one run.
pub fn run_dir(state_dir: &Path, run_id: &str) -> PathBuf {
    state_dir.join("runs").join(run_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_replaces_and_leaves_no_temporaries() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("state.json");
        atomic_write(&path, b"one").unwrap();
        atomic_write(&path, b"two").unwrap();
        assert_eq!(fs_err::read_to_string(&path).unwrap(), "two");
        let names: Vec<_> = fs_err::read_dir(directory.path())
            .unwrap()
            .map(|entry| entry.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 1, "{names:?}");
    }

    #[test]
    fn run_ids_are_distinct_and_shaped() {
        let first = new_run_id("r");
        let second = new_run_id("r");
        assert!(
            first.starts_with("r-") && first.len() == "r-20261122-050012-abcdef".len(),
            "{first}"
        );
        assert_ne!(first, second);
    }
}
