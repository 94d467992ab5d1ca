//! The OS sandbox around every process agentctl starts for a persona.
//!
//! Owns: the per-call [`Profile`] (what the process may read, write and reach) and how it is
//! built from a persona's scopes and the project's protected paths ([`build_profile`]); probing
//! what the kernel supports ([`probe`]); the exec helper that applies a profile to itself and
//! then becomes the program ([`helper`]), and the command line that starts it ([`launch`]).
//!
//! Does not know about: personas, policy decisions, the audit log or tool output. The caller
//! decides that a call may run; this crate decides what the running process can touch,
//! whatever the caller got wrong.
//!
//! Platforms: on Linux the profile is enforced with Landlock (file system, signals, abstract
//! sockets, ptrace), a private mount namespace (read-only binds over protected paths, empty
//! mounts over deny scopes), a new network namespace when the network is off, no capabilities
//! and `no_new_privs`. On any other platform [`probe`] reports the sandbox as unavailable, so
//! callers refuse to run commands unless the project turned the sandbox off; a macOS Seatbelt
//! backend would implement [`helper::apply`] for that target.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

mod error;
pub mod helper;
pub mod launch;
#[cfg(target_os = "linux")]
mod linux;
pub mod probe;
mod profile;

pub use error::SandboxError;
pub use launch::{
    helper_arguments, HELPER_FAILED_EXIT_CODE, HELPER_FAILURE_MARKER, HELPER_SUBCOMMAND,
    PROBE_SUBCOMMAND, PROGRAM_NOT_STARTED_EXIT_CODE,
};
pub use probe::{probe, Check, CheckStatus, Support};
pub use profile::{
    build_profile, literal_prefix, scope_roots, Profile, ProfileRequest, DENY_SCAN_LIMIT,
    DEVICE_PATHS, SYSTEM_READ_PATHS,
};
