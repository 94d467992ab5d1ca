//! What this machine supports, as a list of named checks (`agentctl doctor` prints them).
//!
//! Owns: [`Check`] and [`Support`], the checks run inside a throw-away helper process
//! ([`checks_in_this_process`], which enters namespaces and restricts itself, so it must never
//! run in agentctl's own process), and [`probe`], which starts that process and also runs one
//! real sandboxed program end to end. Does not decide what to do about a missing feature: the
//! tools refuse to run commands, `doctor` reports.

use std::path::Path;
use std::process::{Command, Stdio};

use serde::{Deserialize, Serialize};

use crate::launch::{helper_arguments, PROBE_SUBCOMMAND};
use crate::Profile;

/// The outcome of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckStatus {
    Ok,
    /// The sandbox needs it and it is not there.
    Missing,
    /// Not needed on this machine (e.g. user namespaces when running as root).
    NotNeeded,
    /// Worth knowing, but the sandbox runs.
    Warning,
}

/// One named check, e.g. `landlock` → ok, `ABI 7`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Check {
    pub name: String,
    pub status: CheckStatus,
    pub detail: String,
}

impl Check {
    pub fn new(name: &str, status: CheckStatus, detail: impl Into<String>) -> Check {
        Check {
            name: name.to_owned(),
            status,
            detail: detail.into(),
        }
    }
}

/// The sandbox checks of this machine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Support {
    pub platform: String,
    pub checks: Vec<Check>,
}

impl Support {
    /// What is missing, joined for an error message; `None` when the sandbox can run.
    pub fn missing(&self) -> Option<String> {
        let missing: Vec<String> = self
            .checks
            .iter()
            .filter(|check| check.status == CheckStatus::Missing)
            .map(|check| format!("{}: {}", check.name, check.detail))
            .collect();
        (!missing.is_empty()).then(|| missing.join("; "))
    }
}

/// Runs the kernel checks in this process. Enters namespaces and restricts the process with
/// Landlock as it goes, so only the throw-away `__sandbox-probe` process may call it.
#[cfg(target_os = "linux")]
pub fn checks_in_this_process() -> Vec<Check> {
    use crate::linux;
    let mut checks = Vec::new();
    let as_root = linux::running_as_root();
    if as_root {
        checks.push(Check::new(
            "user namespace",
            CheckStatus::NotNeeded,
            "running as root: mount and network namespaces are entered directly",
        ));
    } else {
        checks.push(namespace_check("user namespace", "user"));
    }
    checks.push(namespace_check("mount namespace", "mount"));
    checks.push(namespace_check("network namespace", "network"));
    checks.push(match linux::landlock_abi() {
        Ok(abi) if abi >= 6 => Check::new(
            "landlock",
            CheckStatus::Ok,
            format!("ABI {abi}: file system, signal and abstract-socket scoping"),
        ),
        Ok(abi) => Check::new(
            "landlock",
            CheckStatus::Ok,
            format!(
                "ABI {abi}: file system only; signals and abstract sockets need ABI 6 (Linux 6.12)"
            ),
        ),
        Err(reason) => Check::new("landlock", CheckStatus::Missing, reason),
    });
    checks
}

#[cfg(target_os = "linux")]
fn namespace_check(name: &str, kind: &str) -> Check {
    match crate::linux::try_namespace(kind) {
        Ok(()) => Check::new(name, CheckStatus::Ok, "available"),
        Err(reason) => Check::new(
            name,
            CheckStatus::Missing,
            format!("cannot create one ({reason}); check `sysctl kernel.unprivileged_userns_clone` and `user.max_user_namespaces`, or a container's seccomp profile"),
        ),
    }
}

#[cfg(not(target_os = "linux"))]
pub fn checks_in_this_process() -> Vec<Check> {
    vec![Check::new(
        "os sandbox",
        CheckStatus::Missing,
        format!(
            "no sandbox backend for {} yet (Linux only; macOS Seatbelt is planned)",
            std::env::consts::OS
        ),
    )]
}

/// Runs the checks in a throw-away `helper __sandbox-probe` process, then one real program
/// (`true`) through the exec helper with an empty profile.
pub fn probe(helper: &Path) -> Support {
    let mut checks = match Command::new(helper)
        .arg(PROBE_SUBCOMMAND)
        .env_clear()
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
    {
        Ok(output) => serde_json::from_slice::<Vec<Check>>(&output.stdout).unwrap_or_else(|_| {
            vec![Check::new(
                "sandbox probe",
                CheckStatus::Missing,
                format!(
                    "`{} {PROBE_SUBCOMMAND}` printed no checks (exit status {})",
                    helper.display(),
                    output.status
                ),
            )]
        }),
        Err(error) => vec![Check::new(
            "sandbox probe",
            CheckStatus::Missing,
            format!("cannot start `{}`: {error}", helper.display()),
        )],
    };
    checks.push(end_to_end(helper));
    Support {
        platform: std::env::consts::OS.to_owned(),
        checks,
    }
}

fn end_to_end(helper: &Path) -> Check {
    const NAME: &str = "sandboxed program";
    let scratch = match tempfile_dir() {
        Ok(scratch) => scratch,
        Err(error) => {
            return Check::new(
                NAME,
                CheckStatus::Missing,
                format!("no scratch directory: {error}"),
            )
        }
    };
    let profile = Profile {
        workspace: scratch.clone(),
        scratch: scratch.clone(),
        read: crate::SYSTEM_READ_PATHS
            .iter()
            .map(std::path::PathBuf::from)
            .filter(|path| path.exists())
            .collect(),
        write: vec![scratch.clone()],
        ..Profile::default()
    };
    let result = helper_arguments(&profile, "true".as_ref(), &[]).map(|arguments| {
        Command::new(helper)
            .args(arguments)
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .current_dir(&scratch)
            .stdin(Stdio::null())
            .output()
    });
    let _ = std::fs::remove_dir(&scratch);
    match result {
        Ok(Ok(output)) if output.status.success() => Check::new(
            NAME,
            CheckStatus::Ok,
            "`true` ran under a full profile (namespaces, mounts, Landlock, no capabilities)",
        ),
        Ok(Ok(output)) => Check::new(
            NAME,
            CheckStatus::Missing,
            String::from_utf8_lossy(&output.stderr)
                .trim()
                .trim_start_matches(crate::HELPER_FAILURE_MARKER)
                .trim()
                .to_owned(),
        ),
        Ok(Err(error)) => Check::new(NAME, CheckStatus::Missing, error.to_string()),
        Err(error) => Check::new(NAME, CheckStatus::Missing, error.to_string()),
    }
}

/// A fresh private directory under the system temporary directory.
fn tempfile_dir() -> std::io::Result<std::path::PathBuf> {
    let base = std::env::temp_dir();
    for attempt in 0..16_u32 {
        let candidate = base.join(format!("agentctl-probe-{}-{attempt}", std::process::id()));
        match std::fs::create_dir(&candidate) {
            Ok(()) => return std::fs::canonicalize(candidate),
            Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(error) => return Err(error),
        }
    }
    Err(std::io::Error::other("no free probe directory name"))
}
