//! The exec helper: `agentctl __sandbox-exec PROFILE_JSON -- PROGRAM ARGS…` applies the profile
//! to its own (single-threaded) process and then execs the program, which inherits every
//! restriction; and `agentctl __sandbox-probe`, which prints the kernel checks.
//!
//! Owns: the order "apply everything, then exec", refusing to exec when any step failed, and
//! reporting that failure on stderr after [`HELPER_FAILURE_MARKER`] with exit code
//! [`HELPER_FAILED_EXIT_CODE`]. Does not build profiles and does not judge the program.

use std::ffi::OsString;
use std::io::Write;
use std::os::unix::process::CommandExt;
use std::process::Command;

use crate::launch::{
    parse_helper_arguments, HELPER_FAILED_EXIT_CODE, HELPER_FAILURE_MARKER,
    PROGRAM_NOT_STARTED_EXIT_CODE,
};
use crate::{Profile, SandboxError};

/// Runs the helper with the arguments after the subcommand. Returns only on failure, with the
/// exit code to use.
pub fn exec_main(arguments: &[OsString]) -> i32 {
    let (profile, program, rest) = match parse_helper_arguments(arguments) {
        Ok(parsed) => parsed,
        Err(error) => return fail(HELPER_FAILED_EXIT_CODE, &error.to_string()),
    };
    if let Err(error) = apply(&profile) {
        return fail(HELPER_FAILED_EXIT_CODE, &error.to_string());
    }
    let error = Command::new(&program).args(&rest).exec();
    fail(
        PROGRAM_NOT_STARTED_EXIT_CODE,
        &format!(
            "cannot run `{}` inside the sandbox: {error}",
            program.to_string_lossy()
        ),
    )
}

/// Prints the kernel checks as JSON on stdout.
pub fn probe_main() -> i32 {
    let checks = crate::probe::checks_in_this_process();
    let text = serde_json::to_string(&checks).unwrap_or_else(|_| "[]".to_owned());
    let mut stdout = std::io::stdout();
    match writeln!(stdout, "{text}") {
        Ok(()) => 0,
        Err(_) => 1,
    }
}

/// Applies `profile` to the current process.
pub fn apply(profile: &Profile) -> Result<(), SandboxError> {
    #[cfg(target_os = "linux")]
    {
        crate::linux::apply(profile)
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = profile;
        Err(SandboxError::Unavailable {
            missing: format!(
                "no sandbox backend for {} yet (Linux only)",
                std::env::consts::OS
            ),
        })
    }
}

fn fail(code: i32, message: &str) -> i32 {
    let mut stderr = std::io::stderr();
    let _ = writeln!(stderr, "{HELPER_FAILURE_MARKER} {message}");
    code
}
