//! `agentctl doctor`: what this machine supports, as a list of checks.
//!
//! Owns: collecting the checks — the OS sandbox's (Landlock, namespaces, one sandboxed program
//! end to end, programs on PATH the sandbox cannot reach) and, inside a project, the endpoint's
//! (API key, reachable, each persona's model served; the same preflight `run` makes) — and
//! printing them. Each check is a name, a status and a detail. Exit 0 when nothing needed is
//! missing, 1 otherwise.

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

pub async fn execute(global: &GlobalArgs, args: DoctorArgs) -> Exit {
    let mut checks = sandbox_checks();
    checks.extend(path_checks());
    let sandbox_ok = checks
        .iter()
        .all(|check| check.status != CheckStatus::Missing);
    checks.extend(endpoint_checks(global).await);
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
        output::stdout(&render(&report, sandbox_ok));
    }
    if ok {
        Exit::Success
    } else {
        Exit::Failure
    }
}

/// The preflight of `run`, for the project here: key, endpoint, and the model of every persona.
/// Outside a project there is no endpoint to check, which is not a problem.
async fn endpoint_checks(global: &GlobalArgs) -> Vec<Check> {
    let current = std::env::current_dir().unwrap_or_default();
    let Ok(root) = agentctl_config::discover_root(&current, global.root.as_deref()) else {
        return vec![Check::new(
            "endpoint",
            CheckStatus::NotNeeded,
            "no agentctl.toml here or above: no endpoint to check",
        )];
    };
    let config = match agentctl_config::Config::load(
        &root,
        &agentctl_config::EnvVars::from_process(),
        &Default::default(),
    ) {
        Ok(config) => config,
        Err(error) => {
            return vec![Check::new(
                "endpoint",
                CheckStatus::Missing,
                error.to_string(),
            )]
        }
    };
    let mut models = vec![config.endpoint.model.clone()];
    let (library, _) =
        agentctl_persona::Library::load(&crate::commands::library_paths(&config), &config.overlays);
    for persona in library.personas() {
        let model = config.model_for(persona.model.as_deref());
        if !models.contains(&model) {
            models.push(model);
        }
    }
    let client = match crate::preflight::client(&config) {
        Ok(client) => client,
        Err((message, _)) => return vec![Check::new("endpoint", CheckStatus::Missing, message)],
    };
    let mut checks = Vec::new();
    match client.preflight(&models).await {
        Ok(report) => {
            checks.push(Check::new(
                "api key",
                if report.key_needed || report.key_present {
                    CheckStatus::Ok
                } else {
                    CheckStatus::NotNeeded
                },
                if report.key_present {
                    format!("present in {}", config.endpoint.api_key_env)
                } else {
                    "none, and this local or plain-http endpoint needs none".to_owned()
                },
            ));
            checks.push(Check::new(
                "endpoint",
                CheckStatus::Ok,
                format!("{} answers", report.base_url),
            ));
            for (model, status) in report.models {
                checks.push(match status {
                    agentctl_llm::ModelStatus::Known => {
                        Check::new(&format!("model {model}"), CheckStatus::Ok, "served")
                    }
                    agentctl_llm::ModelStatus::Unverified { why } => Check::new(
                        &format!("model {model}"),
                        CheckStatus::Warning,
                        format!("unverified: {why}"),
                    ),
                });
            }
        }
        Err(problem) => {
            let name = match &problem {
                agentctl_llm::PreflightProblem::MissingKey { .. }
                | agentctl_llm::PreflightProblem::KeyRefused { .. } => "api key".to_owned(),
                agentctl_llm::PreflightProblem::Unreachable { .. } => "endpoint".to_owned(),
                agentctl_llm::PreflightProblem::UnknownModel { model, .. } => {
                    format!("model {model}")
                }
            };
            checks.push(Check::new(
                &name,
                CheckStatus::Missing,
                format!("{problem}; {}", crate::preflight::hint(&config, &problem)),
            ));
        }
    }
    checks
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

fn render(report: &DoctorReport, sandbox_ok: bool) -> String {
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
    text.push_str(if sandbox_ok {
        "The OS sandbox can run here.\n"
    } else {
        "The OS sandbox cannot run here: `execute_bash` and `use_aws` will be refused unless agentctl.toml sets `[sandbox] mode = \"off\"`.\n"
    });
    text
}
