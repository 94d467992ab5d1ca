//! The command line that starts a program through the exec helper.
//!
//! Owns: the hidden subcommand names, the helper's argument vector
//! (`__sandbox-exec PROFILE_JSON -- PROGRAM ARGS…`) and how the helper reports its own
//! failure (an exit code plus a marker line, so a caller can tell "the sandbox could not be
//! set up" from "the program failed"). Does not spawn anything; the tools crate does.

use std::ffi::{OsStr, OsString};

use crate::{Profile, SandboxError};

/// The hidden subcommand of `agentctl` that sandboxes itself and execs the program.
pub const HELPER_SUBCOMMAND: &str = "__sandbox-exec";

/// The hidden subcommand that runs the kernel checks and prints them as JSON.
pub const PROBE_SUBCOMMAND: &str = "__sandbox-probe";

/// Exit code of a helper that refused to run the program because the sandbox could not be set
/// up (the convention of `env`, `nohup` and container runtimes).
pub const HELPER_FAILED_EXIT_CODE: i32 = 125;

/// Exit code of a helper whose sandbox was set up but whose program could not be started.
pub const PROGRAM_NOT_STARTED_EXIT_CODE: i32 = 127;

/// The start of every message the helper prints about itself.
pub const HELPER_FAILURE_MARKER: &str = "agentctl sandbox:";

/// Arguments for the helper (after the helper program itself).
pub fn helper_arguments(
    profile: &Profile,
    program: &OsStr,
    arguments: &[OsString],
) -> Result<Vec<OsString>, SandboxError> {
    let encoded = serde_json::to_string(profile)
        .map_err(|error| SandboxError::Arguments(error.to_string()))?;
    let mut vector = Vec::with_capacity(arguments.len() + 4);
    vector.push(OsString::from(HELPER_SUBCOMMAND));
    vector.push(OsString::from(encoded));
    vector.push(OsString::from("--"));
    vector.push(program.to_os_string());
    vector.extend(arguments.iter().cloned());
    Ok(vector)
}

/// Splits the helper's arguments (after the subcommand) into the profile, the program and its
/// arguments.
pub(crate) fn parse_helper_arguments(
    arguments: &[OsString],
) -> Result<(Profile, OsString, Vec<OsString>), SandboxError> {
    let usage = || {
        SandboxError::Arguments(format!(
            "expected `{HELPER_SUBCOMMAND} PROFILE_JSON -- PROGRAM [ARGUMENTS…]`"
        ))
    };
    let [profile, separator, program, rest @ ..] = arguments else {
        return Err(usage());
    };
    if separator != "--" {
        return Err(usage());
    }
    let profile_text = profile.to_str().ok_or_else(usage)?;
    let profile: Profile = serde_json::from_str(profile_text)
        .map_err(|error| SandboxError::Arguments(format!("the profile is not valid: {error}")))?;
    Ok((profile, program.clone(), rest.to_vec()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_round_trip() {
        let profile = Profile {
            network: true,
            write: vec!["/work/space".into()],
            ..Profile::default()
        };
        let arguments = helper_arguments(
            &profile,
            OsStr::new("bash"),
            &["-c".into(), "echo -- hi".into()],
        )
        .unwrap();
        assert_eq!(arguments[0], HELPER_SUBCOMMAND);
        let (parsed, program, rest) = parse_helper_arguments(&arguments[1..]).unwrap();
        assert_eq!(parsed, profile);
        assert_eq!(program, "bash");
        assert_eq!(
            rest,
            vec![OsString::from("-c"), OsString::from("echo -- hi")]
        );
        assert!(parse_helper_arguments(&arguments[1..2]).is_err());
    }
}
