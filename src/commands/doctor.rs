//! `agentctl doctor`: what this machine supports, as a list of checks.
//!
//! Owns: collecting the checks (today the OS sandbox's: Landlock, namespaces, one sandboxed
//! program end to end, and programs on PATH the sandbox cannot reach) and printing them. Each
//! check is a name, a status and a detail, so further checks (endpoints, tools) are one more
//! function adding to the list. Exit 0 when nothing needed is missing, 1 otherwise.

use clap::Args;
use serde::Serialize;

use agentctl_sandbox::{Check, CheckStatus};

use crate::cli::GlobalArgs;
use crate::exit::Exit;
use crate::output;

#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// Print JSON: `{ "platform": "linux", "ok": true, "checks": [{ "name", "status", "detail" }] }`.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Serialize)]
struct DoctorReport {
    platform: String,
    ok: bool,
    checks: Vec<Check>,
}

pub fn execute(_global: &GlobalArgs, args: DoctorArgs) -> Exit {
    let mut checks = sandbox_checks();
    checks.extend(path_checks());
    let ok = checks
        .iter()
        .all(|check| check.status != CheckStatus::Missing);
    let report = DoctorReport {
        platform: std::env::consts::OS.to_owned(),
        ok,
        checks,
    };
    if args.json {
        output::json(&report);
    } else {
        output::stdout(&render(&report));
    }
    if ok {
        Exit::Success
    } else {
        Exit::Failure
    }
}

fn sandbox_checks() -> Vec<Check> {
    match std::env::current_exe() {
        Ok(helper) => agentctl_sandbox::probe(&helper).checks,
        Err(error) => vec![Check::new(
            "sandbox helper",
            CheckStatus::Missing,
            format!("cannot find the agentctl binary to use as the exec helper: {error}"),
        )],
    }
}

/// Directories on PATH outside what every sandboxed process may read: programs there (a
/// toolchain under a home directory) cannot run unless `[sandbox] read` names them.
fn path_checks() -> Vec<Check> {
    let path = agentctl_config::EnvVars::from_process()
        .lookup("PATH")
        .unwrap_or_default();
    let mut unreachable: Vec<String> = std::env::split_paths(&path)
        .filter(|directory| directory.is_dir())
        .filter(|directory| {
            !agentctl_sandbox::SYSTEM_READ_PATHS
                .iter()
                .any(|system| directory.starts_with(system))
        })
        .map(|directory| directory.display().to_string())
        .collect();
    unreachable.dedup();
    if unreachable.is_empty() {
        return vec![Check::new(
            "programs on PATH",
            CheckStatus::Ok,
            "every PATH directory is readable inside the sandbox",
        )];
    }
    vec![Check::new(
        "programs on PATH",
        CheckStatus::Warning,
        format!(
            "outside the sandbox's system directories, so their programs cannot run in it unless `[sandbox] read` in agentctl.toml names them (with what they need, e.g. `~/.rustup`): {}",
            unreachable.join(", ")
        ),
    )]
}

fn render(report: &DoctorReport) -> String {
    let mut text = format!("agentctl doctor ({})\n", report.platform);
    for check in &report.checks {
        let status = match check.status {
            CheckStatus::Ok => "ok",
            CheckStatus::Missing => "MISSING",
            CheckStatus::NotNeeded => "not needed",
            CheckStatus::Warning => "warning",
        };
        text.push_str(&format!(
            "  {:<20} {:<11} {}\n",
            check.name, status, check.detail
        ));
    }
    text.push_str(if report.ok {
        "The OS sandbox can run here.\n"
    } else {
        "The OS sandbox cannot run here: `execute_bash` and `use_aws` will be refused unless agentctl.toml sets `[sandbox] mode = \"off\"`.\n"
    });
    text
}
