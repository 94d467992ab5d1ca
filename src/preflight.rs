//! The endpoint checks `run`, `resume`, `chat` and `doctor` make before any gate, audit entry or
//! model call: an API key where one is needed, the endpoint reachable, the model served — for
//! every model the run can reach: the starting persona's and those of the personas its handoffs
//! lead to, each distinct model once.
//!
//! Owns: building a client from the configuration, which models a set of personas needs,
//! turning a [`PreflightProblem`] into an `error:`/`hint:` pair and its exit code (2 for a
//! setting to fix, 1 for an endpoint that does not answer), and `resume`'s warning when the
//! endpoint or model differs from the run's start. The checks themselves are in
//! `agentctl_llm` (`preflight.rs`).

use agentctl_config::Config;
use agentctl_llm::{EndpointSettings, OpenAiClient, PreflightProblem, PreflightReport};
use agentctl_persona::Persona;

use crate::exit::Exit;
use crate::output;

/// How many model ids an "unknown model" hint lists.
const LISTED_MODELS: usize = 10;

/// The model client of a run (or of `doctor`'s checks) from the project's endpoint settings,
/// or the configuration error and its hint (exit 2).
pub fn client(config: &Config) -> Result<OpenAiClient, (String, Option<String>)> {
    let base_url = config
        .base_url()
        .map_err(|error| (error.to_string(), error.hint()))?;
    let settings = EndpointSettings {
        api_key: config.endpoint.api_key.clone(),
        timeout: config.endpoint.timeout,
        first_token_timeout: config.endpoint.first_token_timeout,
        max_retries: config.endpoint.max_retries,
        reply_limits: agentctl_llm::ReplyLimits {
            max_bytes: config.limits.reply.max_reply_bytes,
            max_tokens: config.limits.reply.max_reply_tokens,
            max_duration: config.limits.reply.max_reply_time,
        },
        ..EndpointSettings::new(base_url)
    };
    OpenAiClient::new(settings).map_err(|error| (error.to_string(), None))
}

/// One model a run may call and the personas that call it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelUse {
    pub model: String,
    pub personas: Vec<String>,
}

/// The distinct models `personas` call on this configuration, in the order first needed.
pub fn model_uses<'p>(
    config: &Config,
    personas: impl IntoIterator<Item = &'p Persona>,
) -> Vec<ModelUse> {
    let mut uses: Vec<ModelUse> = Vec::new();
    for persona in personas {
        let model = config.model_for(persona.model.as_deref());
        match uses.iter_mut().find(|known| known.model == model) {
            Some(known) => {
                if !known.personas.contains(&persona.name) {
                    known.personas.push(persona.name.clone());
                }
            }
            None => uses.push(ModelUse {
                model,
                personas: vec![persona.name.clone()],
            }),
        }
    }
    uses
}

/// Runs the checks for every model of `uses` (each once) with the run's own `client`, so the
/// connection it opens serves the first model call; prints the first problem with its fix,
/// naming the personas that need an unknown model, and returns its exit code.
pub async fn check(
    client: &OpenAiClient,
    config: &Config,
    uses: &[ModelUse],
) -> Result<PreflightReport, Exit> {
    let models: Vec<String> = uses.iter().map(|used| used.model.clone()).collect();
    client.preflight(&models).await.map_err(|problem| {
        let mut message = problem.to_string();
        if let PreflightProblem::UnknownModel { model, .. } = &problem {
            if let Some(used) = uses.iter().find(|used| &used.model == model) {
                message.push_str(&format!(
                    " (the model of {})",
                    used.personas
                        .iter()
                        .map(|name| output::line(name).into_owned())
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
        }
        output::error(&message, Some(&hint(config, &problem)));
        exit_for(&problem)
    })
}

/// 1 when the endpoint did not answer (the work could not be done now); 2 for a setting to fix.
pub fn exit_for(problem: &PreflightProblem) -> Exit {
    match problem {
        PreflightProblem::Unreachable { .. } => Exit::Failure,
        PreflightProblem::MissingKey { .. }
        | PreflightProblem::KeyRefused { .. }
        | PreflightProblem::UnknownModel { .. } => Exit::BadInput,
    }
}

/// What to do about `problem`.
pub fn hint(config: &Config, problem: &PreflightProblem) -> String {
    let key_variable = &config.endpoint.api_key_env;
    match problem {
        PreflightProblem::MissingKey { .. } => format!(
            "export {key_variable}=... (the variable named by [endpoint] api_key_env), or point [endpoint] base_url (or OPENAI_BASE_URL) at a local server; `agentctl docs endpoints` lists both"
        ),
        PreflightProblem::KeyRefused { .. } => format!(
            "check the key in {key_variable} (the variable named by [endpoint] api_key_env)"
        ),
        PreflightProblem::Unreachable { .. } => "start the server, or set [endpoint] base_url in agentctl.toml (or OPENAI_BASE_URL) to a running one; `agentctl doctor` shows what agentctl sees".to_owned(),
        PreflightProblem::UnknownModel { available, .. } => {
            let mut listed: Vec<&str> = available.iter().take(LISTED_MODELS).map(String::as_str).collect();
            if available.len() > LISTED_MODELS {
                listed.push("…");
            }
            format!(
                "the endpoint serves: {}. Set [endpoint] model, map the persona's model in [models], or pass --model",
                listed.join(", ")
            )
        }
    }
}

/// Warns when `resume` would talk to another endpoint or model than the run started with (from
/// the run's `run.started` audit entry).
pub fn warn_if_changed(
    config: &Config,
    run_id: &str,
    endpoint_host: &str,
    model_now: impl Fn(&str) -> String,
) {
    // Streamed, stopping at the run's start: the log may be far larger than memory should be.
    let mut found = None;
    let needles = [run_id.as_bytes().to_vec()];
    let read = agentctl_audit::for_each_entry(&config.paths.audit_log, &needles, |entry| {
        let is_start = entry.event == agentctl_protocol::EventKind::RunStarted
            && entry.run.as_ref().is_some_and(|run| run.as_str() == run_id);
        if is_start {
            found = Some(entry);
        }
        !is_start
    });
    let (Ok(()), Some(started)) = (read, found) else {
        return;
    };
    let text = |key: &str| {
        started
            .details
            .get(key)
            .and_then(serde_json::Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    let (endpoint_then, model_then, persona) = (text("endpoint"), text("model"), text("persona"));
    if !endpoint_then.is_empty() && endpoint_then != endpoint_host {
        output::warning(&format!(
            "run {run_id} started on the endpoint {endpoint_then}; it continues on {endpoint_host} (from this shell's configuration)"
        ));
    }
    let model = model_now(&persona);
    if !model_then.is_empty() && model_then != model {
        output::warning(&format!(
            "run {run_id} started {persona} with the model {model_then}; it continues with {model}"
        ));
    }
}
