//! Running a child process with a time limit, an output cap and process-group cleanup.
//!
//! Owns: spawning (empty stdin, stdout and stderr on one pipe, a new process group, through the
//! sandbox's exec helper when the sandbox is enforced), reading the output incrementally while
//! keeping only its head, the deadline, killing the whole group, and telling a helper that
//! refused to set up the sandbox from a program that failed. Does not know what the program is
//! or why it was allowed; `bash` and `aws` build the request.
//!
//! Killing the group: `kill(2)` on the negative group id through rustix's safe wrapper, no
//! extra process. The group is killed on timeout, after every normal exit (so background jobs a
//! command left behind do not outlive it), and from a drop guard if the caller abandons the
//! call midway.

use std::ffi::{OsStr, OsString};
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{ExitStatus, Stdio};
use std::time::Duration;

use tokio::io::AsyncReadExt;
use tokio::net::unix::pipe;
use tokio::process::Command;
use tokio::time::Instant;

use agentctl_sandbox::{
    HELPER_FAILED_EXIT_CODE, HELPER_FAILURE_MARKER, PROGRAM_NOT_STARTED_EXIT_CODE,
};

use crate::confine::Confinement;
use crate::context::ToolOutput;
use crate::error::ToolError;

/// How long a killed process may take to be reaped before the call fails with `timeout`.
const KILL_GRACE: Duration = Duration::from_secs(5);

/// How long to keep collecting output after a kill, in case something outside the group still
/// holds the pipe open.
const DRAIN_GRACE: Duration = Duration::from_secs(1);

const READ_CHUNK_BYTES: usize = 64 * 1024;

/// One program to run.
pub(crate) struct ProcessRequest<'a> {
    pub program: &'a OsStr,
    pub arguments: Vec<OsString>,
    pub working_directory: &'a Path,
    pub environment: Vec<(String, OsString)>,
    pub timeout: Duration,
    pub output_cap_bytes: usize,
    /// How the call is named in errors, e.g. the shell command text.
    pub label: String,
    /// The call's scratch directory and sandbox.
    pub confinement: &'a Confinement,
}

/// Runs the request to completion or to its deadline and describes the outcome for the model.
pub(crate) async fn run_bounded(request: ProcessRequest<'_>) -> Result<ToolOutput, ToolError> {
    let spawn_failed = |source| ToolError::SpawnFailed {
        program: request.program.to_string_lossy().into_owned(),
        directory: request.working_directory.display().to_string(),
        source,
    };
    let (sender, mut receiver) = pipe::pipe().map_err(spawn_failed)?;
    let stdout = sender.into_blocking_fd().map_err(spawn_failed)?;
    let stderr = stdout.try_clone().map_err(spawn_failed)?;
    // The command (and with it the parent's copies of the pipe's write end) is dropped right
    // after spawning, so the pipe reports end of file once the child side closes.
    let (program, arguments) = request
        .confinement
        .command_line(request.program, request.arguments.clone())?;
    // What the command may change, listed before it starts, so its effects can be reported.
    let before = request.confinement.list_writable();
    let mut child = {
        let mut command = Command::new(&program);
        command
            .args(&arguments)
            .current_dir(request.working_directory)
            .env_clear()
            .envs(
                request
                    .environment
                    .iter()
                    .map(|(name, value)| (name, value)),
            )
            .stdin(Stdio::null())
            .stdout(stdout)
            .stderr(stderr)
            .process_group(0)
            .kill_on_drop(true);
        command.spawn().map_err(spawn_failed)?
    };
    let mut group = ProcessGroup { id: child.id() };
    let mut output = CappedOutput::new(request.output_cap_bytes);
    let mut chunk = vec![0_u8; READ_CHUNK_BYTES];
    let mut status: Option<ExitStatus> = None;
    let mut output_closed = false;
    let mut timed_out = false;
    let deadline = Instant::now() + request.timeout;
    let wait_failed = |source| ToolError::Io {
        action: "wait for",
        path: request.label.clone(),
        source,
    };

    while status.is_none() || !output_closed {
        tokio::select! {
            read = receiver.read(&mut chunk), if !output_closed => {
                output_closed = output.take_read(read, &chunk);
            }
            waited = child.wait(), if status.is_none() => {
                status = Some(waited.map_err(wait_failed)?);
            }
            () = tokio::time::sleep_until(deadline) => {
                timed_out = true;
                break;
            }
        }
    }

    group.kill();
    if timed_out {
        if status.is_none() {
            // Only reached if the group kill could not run; harmless otherwise.
            let _ = child.start_kill();
            status = match tokio::time::timeout(KILL_GRACE, child.wait()).await {
                Ok(waited) => Some(waited.map_err(wait_failed)?),
                Err(_) => {
                    return Err(ToolError::Timeout {
                        command: request.label.clone(),
                        limit: request.timeout,
                        grace: KILL_GRACE,
                    })
                }
            };
        }
        let drain_deadline = Instant::now() + DRAIN_GRACE;
        while !output_closed {
            tokio::select! {
                read = receiver.read(&mut chunk) => {
                    output_closed = output.take_read(read, &chunk);
                }
                () = tokio::time::sleep_until(drain_deadline) => break,
            }
        }
    }
    if request.confinement.is_sandboxed() {
        if let Some(error) = helper_failure(&request, &output, status) {
            return Err(error);
        }
    }
    let mut described = describe(output, status, timed_out, request.timeout);
    described.sandbox = Some(request.confinement.record.clone());
    described.changed_files = Some(request.confinement.changes_since(&before));
    Ok(described)
}

/// The helper's own failure, when it printed one and exited with its code instead of becoming
/// the program.
fn helper_failure(
    request: &ProcessRequest<'_>,
    output: &CappedOutput,
    status: Option<ExitStatus>,
) -> Option<ToolError> {
    let code = status.and_then(|status| status.code())?;
    let text = String::from_utf8_lossy(&output.head);
    let detail = text.strip_prefix(HELPER_FAILURE_MARKER)?.trim().to_owned();
    if code == HELPER_FAILED_EXIT_CODE {
        Some(ToolError::SandboxUnavailable { detail })
    } else if code == PROGRAM_NOT_STARTED_EXIT_CODE {
        Some(ToolError::SpawnFailed {
            program: request.program.to_string_lossy().into_owned(),
            directory: request.working_directory.display().to_string(),
            source: std::io::Error::new(std::io::ErrorKind::NotFound, detail),
        })
    } else {
        None
    }
}

fn describe(
    output: CappedOutput,
    status: Option<ExitStatus>,
    timed_out: bool,
    timeout: Duration,
) -> ToolOutput {
    let exit_code = status.and_then(|status| status.code());
    let total_bytes = output.total_bytes;
    let (mut text, truncated) = output.into_text();
    let mut notes = Vec::new();
    if truncated {
        notes.push(format!(
            "[output truncated: kept the first {} of {total_bytes} bytes]",
            text.len()
        ));
    }
    if timed_out {
        notes.push(format!(
            "[timed out after {timeout:?}; the command's process group was killed]"
        ));
    }
    match (exit_code, status.and_then(|status| status.signal())) {
        (Some(0), _) => {}
        (Some(code), _) => notes.push(format!("[exit code {code}]")),
        (None, Some(signal)) if !timed_out => notes.push(format!("[killed by signal {signal}]")),
        (None, _) => {}
    }
    if text.is_empty() && notes.is_empty() {
        text.push_str("(no output)");
    }
    for note in notes {
        if !text.is_empty() && !text.ends_with('\n') {
            text.push('\n');
        }
        text.push_str(&note);
    }
    ToolOutput {
        text,
        truncated,
        exit_code,
        timed_out,
        sandbox: None,
        changed_files: None,
    }
}

/// The first `cap` bytes of a stream plus a count of everything seen. Bytes beyond the cap are
/// read and discarded so the writer never blocks on a full pipe.
pub(crate) struct CappedOutput {
    head: Vec<u8>,
    cap: usize,
    total_bytes: u64,
}

impl CappedOutput {
    pub(crate) fn new(cap: usize) -> CappedOutput {
        CappedOutput {
            head: Vec::with_capacity(cap.min(READ_CHUNK_BYTES)),
            cap,
            total_bytes: 0,
        }
    }

    pub(crate) fn push(&mut self, bytes: &[u8]) {
        self.total_bytes += bytes.len() as u64;
        let room = self.cap.saturating_sub(self.head.len());
        self.head.extend_from_slice(&bytes[..room.min(bytes.len())]);
    }

    /// Records one read; returns whether the stream is finished.
    fn take_read(&mut self, read: std::io::Result<usize>, chunk: &[u8]) -> bool {
        match read {
            Ok(0) => true,
            Ok(count) => {
                self.push(&chunk[..count]);
                false
            }
            Err(error) if error.kind() == std::io::ErrorKind::Interrupted => false,
            Err(_) => true,
        }
    }

    /// The kept head as text (invalid UTF-8 replaced) and whether anything was dropped.
    pub(crate) fn into_text(mut self) -> (String, bool) {
        let truncated = self.total_bytes > self.head.len() as u64;
        if truncated {
            trim_split_character(&mut self.head);
        }
        (String::from_utf8_lossy(&self.head).into_owned(), truncated)
    }
}

/// Drops a multi-byte UTF-8 character cut in half by the cap, so the text does not end in a
/// replacement character that was never in the output.
fn trim_split_character(bytes: &mut Vec<u8>) {
    let length = bytes.len();
    for back in 1..=length.min(4) {
        let byte = bytes[length - back];
        if byte & 0b1100_0000 == 0b1000_0000 {
            continue;
        }
        let width = match byte {
            0xF0..=0xFF => 4,
            0xE0..=0xEF => 3,
            0xC0..=0xDF => 2,
            _ => 1,
        };
        if width > back {
            bytes.truncate(length - back);
        }
        return;
    }
}

/// The child's process group (its id equals the leader's pid). Killed explicitly by the
/// handler, or on drop if the handler's future is abandoned.
struct ProcessGroup {
    id: Option<u32>,
}

impl ProcessGroup {
    fn kill(&mut self) {
        if let Some(id) = self.id.take() {
            kill_group(id);
        }
    }
}

impl Drop for ProcessGroup {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Sends SIGKILL to every process of the group. A group that is already gone is not an error.
fn kill_group(group_id: u32) {
    let group = i32::try_from(group_id)
        .ok()
        .and_then(rustix::process::Pid::from_raw);
    if let Some(group) = group {
        let _ = rustix::process::kill_process_group(group, rustix::process::Signal::KILL);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capped_output_keeps_the_head_and_counts_the_rest() {
        let mut output = CappedOutput::new(5);
        output.push(b"abc");
        output.push(b"defgh");
        output.push(b"ij");
        assert_eq!(output.total_bytes, 10);
        assert_eq!(output.into_text(), ("abcde".to_owned(), true));
    }

    #[test]
    fn a_character_split_by_the_cap_is_dropped() {
        let mut output = CappedOutput::new(3);
        output.push("abé!".as_bytes());
        assert_eq!(output.into_text(), ("ab".to_owned(), true));
        let mut whole = CappedOutput::new(4);
        whole.push("abé".as_bytes());
        assert_eq!(whole.into_text(), ("abé".to_owned(), false));
    }

    #[test]
    fn killing_a_group_that_is_gone_is_harmless() {
        kill_group(u32::MAX);
        kill_group(0);
    }
}
