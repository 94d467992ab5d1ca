//! Running the real binaries: wall time of a spawned command, peak memory through
//! `/usr/bin/time -v`, and the `agentctl-mock-endpoint` process.
//!
//! Owns: process plumbing (arguments, working directory, exit checks, the port file). Does not
//! know what the commands do; callers pick them and judge the output.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};

/// The binaries under test.
#[derive(Debug, Clone)]
pub struct Binaries {
    pub agentctl: PathBuf,
    pub mock_endpoint: PathBuf,
}

/// What one spawned command did.
#[derive(Debug)]
pub struct Timed {
    pub wall: Duration,
    pub output: Output,
}

/// Runs `program arguments…` in `directory` with a clean agentctl environment, waits for it,
/// and fails unless it exits with one of `expected_codes`.
pub fn run_timed(
    program: &Path,
    arguments: &[&str],
    directory: &Path,
    expected_codes: &[i32],
) -> anyhow::Result<Timed> {
    let mut command = Command::new(program);
    command.args(arguments);
    isolate(&mut command, directory);
    let started = Instant::now();
    let output = command
        .output()
        .with_context(|| format!("cannot start {}", program.display()))?;
    let wall = started.elapsed();
    check_exit(program, arguments, &output, expected_codes)?;
    Ok(Timed { wall, output })
}

/// Same as [`run_timed`] under `/usr/bin/time -v`; returns the peak resident set size in KiB
/// as the kernel reported it (`ru_maxrss` of the child).
pub fn run_measuring_memory(
    program: &Path,
    arguments: &[&str],
    directory: &Path,
    expected_codes: &[i32],
) -> anyhow::Result<(Timed, u64)> {
    let time = Path::new(TIME_PROGRAM);
    if !time.is_file() {
        bail!("{TIME_PROGRAM} is missing; install it with `apt-get install time`");
    }
    let program_text = program.display().to_string();
    let mut wrapped: Vec<&str> = vec!["-v", &program_text];
    wrapped.extend_from_slice(arguments);
    let timed = run_timed(time, &wrapped, directory, expected_codes)?;
    let report = String::from_utf8_lossy(&timed.output.stderr);
    let peak = max_resident_kib(&report).with_context(|| {
        format!("{TIME_PROGRAM} -v printed no maximum resident set size:\n{report}")
    })?;
    Ok((timed, peak))
}

pub const TIME_PROGRAM: &str = "/usr/bin/time";

/// `Maximum resident set size (kbytes): 9876` from GNU time's verbose report.
pub fn max_resident_kib(report: &str) -> Option<u64> {
    report.lines().find_map(|line| {
        line.trim()
            .strip_prefix("Maximum resident set size (kbytes):")
            .and_then(|value| value.trim().parse().ok())
    })
}

/// No variable of the caller's shell may point agentctl elsewhere.
fn isolate(command: &mut Command, directory: &Path) {
    command
        .current_dir(directory)
        .stdin(Stdio::null())
        .env_remove("OPENAI_BASE_URL")
        .env_remove("OPENAI_API_KEY")
        .env_remove("AGENTCTL_MODEL")
        .env_remove("AGENTCTL_LOG")
        .env("NO_COLOR", "1");
}

fn check_exit(
    program: &Path,
    arguments: &[&str],
    output: &Output,
    expected_codes: &[i32],
) -> anyhow::Result<()> {
    let code = output.status.code().unwrap_or(-1);
    if expected_codes.contains(&code) {
        return Ok(());
    }
    bail!(
        "`{} {}` exited with {code} (expected {expected_codes:?})\nstdout: {}\nstderr: {}",
        program.display(),
        arguments.join(" "),
        tail(&output.stdout),
        tail(&output.stderr)
    )
}

fn tail(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let start = text.len().saturating_sub(2000);
    let start = (start..text.len())
        .find(|index| text.is_char_boundary(*index))
        .unwrap_or(text.len());
    text[start..].to_owned()
}

/// A running `agentctl-mock-endpoint`; killed when dropped.
#[derive(Debug)]
pub struct MockProcess {
    child: Child,
    pub base_url: String,
}

impl MockProcess {
    /// Starts the mock with `script` (a JSON script file) and waits until it is listening.
    pub fn start(binary: &Path, script: &Path, directory: &Path) -> anyhow::Result<MockProcess> {
        let port_file = directory.join("mock.url");
        let _ = fs_err::remove_file(&port_file);
        let child = Command::new(binary)
            .arg("--script")
            .arg(script)
            .arg("--port-file")
            .arg(&port_file)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .with_context(|| format!("cannot start {}", binary.display()))?;
        let mut process = MockProcess {
            child,
            base_url: String::new(),
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Ok(url) = fs_err::read_to_string(&port_file) {
                if !url.trim().is_empty() {
                    process.base_url = url.trim().to_owned();
                    return Ok(process);
                }
            }
            if let Some(status) = process.child.try_wait()? {
                bail!("{} exited early with {status}", binary.display());
            }
            if Instant::now() > deadline {
                bail!(
                    "{} wrote no port file within 10 s ({})",
                    binary.display(),
                    port_file.display()
                );
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

impl Drop for MockProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_peak_from_gnu_time() {
        let report = "\tCommand being timed: \"x\"\n\tMaximum resident set size (kbytes): 9876\n\tExit status: 0\n";
        assert_eq!(max_resident_kib(report), Some(9876));
        assert_eq!(max_resident_kib("nothing here"), None);
    }

    #[test]
    fn unexpected_exit_codes_fail_with_the_output() {
        let directory = tempfile::tempdir().unwrap();
        let shell = Path::new("/bin/sh");
        let timed = run_timed(shell, &["-c", "exit 2"], directory.path(), &[2]).unwrap();
        assert_eq!(timed.output.status.code(), Some(2));
        let error = run_timed(
            shell,
            &["-c", "echo oops >&2; exit 3"],
            directory.path(),
            &[0],
        )
        .unwrap_err()
        .to_string();
        assert!(
            error.contains("exited with 3") && error.contains("oops"),
            "{error}"
        );
    }
}
