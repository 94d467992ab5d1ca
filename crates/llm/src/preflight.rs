//! Checks before a run spends anything: is the endpoint reachable, is there an API key when it
//! needs one, does it serve the model.
//!
//! Owns: one `GET {base_url}/models` with a short timeout and what its answer means. A server
//! without `/models` (HTTP 404 or 405, or a body that is not a model list) is not an error: the
//! model is then "unverified". An endpoint needs a key when it is https on a host that is not
//! this machine. Does not know about personas, runs or exit codes; the binary maps a
//! [`PreflightProblem`] to its message and exit code.

use std::time::Duration;

use serde_json::Value;

use crate::client::{is_loopback, OpenAiClient};

/// The longest the preflight waits for the endpoint, whatever the run's own timeout.
const PREFLIGHT_TIMEOUT: Duration = Duration::from_secs(10);

/// Why a run should not start.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PreflightProblem {
    #[error("no API key for {base_url}: a remote https endpoint needs one")]
    MissingKey { base_url: String },
    #[error("cannot reach the model endpoint at {base_url}: {detail}")]
    Unreachable { base_url: String, detail: String },
    #[error("the model endpoint at {base_url} refused the API key (HTTP {status})")]
    KeyRefused { base_url: String, status: u16 },
    #[error("the endpoint at {base_url} does not serve the model `{model}`{}", suggestion.as_ref().map(|name| format!("; did you mean `{name}`?")).unwrap_or_default())]
    UnknownModel {
        base_url: String,
        model: String,
        suggestion: Option<String>,
        available: Vec<String>,
    },
}

/// What the endpoint said about one model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModelStatus {
    /// Listed by `GET /models`.
    Known,
    /// The server has no model list; the model is tried when the run asks it.
    Unverified { why: String },
}

/// The result of a preflight that found nothing in the way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreflightReport {
    pub base_url: String,
    /// Whether an API key is configured (never the key itself).
    pub key_present: bool,
    pub key_needed: bool,
    /// Per model asked about, in order.
    pub models: Vec<(String, ModelStatus)>,
    /// What `/models` listed, when it did.
    pub available: Option<Vec<String>>,
}

impl OpenAiClient {
    /// Checks the key, the connection and each of `models`, stopping at the first problem.
    pub async fn preflight(&self, models: &[String]) -> Result<PreflightReport, PreflightProblem> {
        let base_url = self.settings().base_url.clone();
        let url = reqwest::Url::parse(&base_url).ok();
        let key_present = self
            .settings()
            .api_key
            .as_deref()
            .is_some_and(|key| !key.is_empty());
        let key_needed = url
            .as_ref()
            .is_some_and(|url| url.scheme() == "https" && !is_loopback(url));
        if key_needed && !key_present {
            return Err(PreflightProblem::MissingKey { base_url });
        }
        let mut request = self
            .http
            .get(format!("{base_url}/models"))
            .timeout(PREFLIGHT_TIMEOUT.min(self.settings().timeout));
        if let Some(key) = self
            .settings()
            .api_key
            .as_deref()
            .filter(|key| !key.is_empty())
        {
            request = request.bearer_auth(key);
        }
        let response = request
            .send()
            .await
            .map_err(|error| PreflightProblem::Unreachable {
                base_url: base_url.clone(),
                detail: describe(&error),
            })?;
        let status = response.status().as_u16();
        if matches!(status, 401 | 403) {
            return Err(PreflightProblem::KeyRefused { base_url, status });
        }
        let available = if response.status().is_success() {
            response
                .json::<Value>()
                .await
                .ok()
                .and_then(|body| model_ids(&body))
        } else {
            None
        };
        let mut checked = Vec::new();
        for model in models {
            let status = match &available {
                Some(ids) if ids.iter().any(|id| id == model) => ModelStatus::Known,
                Some(ids) => {
                    return Err(PreflightProblem::UnknownModel {
                        base_url,
                        model: model.clone(),
                        suggestion: closest(model, ids),
                        available: ids.clone(),
                    })
                }
                None => ModelStatus::Unverified {
                    why: format!(
                        "the server has no model list (GET /models answered HTTP {status})"
                    ),
                },
            };
            checked.push((model.clone(), status));
        }
        Ok(PreflightReport {
            base_url,
            key_present,
            key_needed,
            models: checked,
            available,
        })
    }
}

/// The ids of an OpenAI-style model list, `{"data": [{"id": …}, …]}`; Ollama's `{"models":
/// [{"name"|"model": …}]}` too.
fn model_ids(body: &Value) -> Option<Vec<String>> {
    if let Some(data) = body.get("data").and_then(Value::as_array) {
        return Some(
            data.iter()
                .filter_map(|model| model.get("id").and_then(Value::as_str).map(str::to_owned))
                .collect(),
        );
    }
    let models = body.get("models").and_then(Value::as_array)?;
    Some(
        models
            .iter()
            .filter_map(|model| {
                model
                    .get("model")
                    .or_else(|| model.get("name"))
                    .and_then(Value::as_str)
                    .map(str::to_owned)
            })
            .collect(),
    )
}

/// The listed id closest to `model`, when it is close enough to be a typo (or differs only in
/// case or a `:tag` / `-date` suffix).
fn closest(model: &str, ids: &[String]) -> Option<String> {
    let lower = model.to_ascii_lowercase();
    if let Some(prefixed) = ids.iter().find(|id| {
        let id = id.to_ascii_lowercase();
        id.starts_with(&lower) || lower.starts_with(&id)
    }) {
        return Some(prefixed.clone());
    }
    let limit = (model.chars().count() / 3).max(1);
    ids.iter()
        .map(|id| (strsim::osa_distance(&lower, &id.to_ascii_lowercase()), id))
        .filter(|(distance, _)| *distance <= limit)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, id)| id.clone())
}

/// A connection error in a few words: the innermost cause, which names the refusal or the name
/// that did not resolve.
fn describe(error: &reqwest::Error) -> String {
    let mut source: Option<&dyn std::error::Error> = Some(error);
    let mut last = error.to_string();
    while let Some(current) = source {
        last = current.to_string();
        source = current.source();
    }
    if error.is_timeout() {
        format!("no answer within {} s", PREFLIGHT_TIMEOUT.as_secs())
    } else {
        last
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn did_you_mean_finds_typos_and_tags() {
        let ids = vec!["qwen2.5-coder-1.5b".to_owned(), "smollm2".to_owned()];
        assert_eq!(closest("smolm2", &ids).as_deref(), Some("smollm2"));
        assert_eq!(
            closest("qwen2.5-coder", &ids).as_deref(),
            Some("qwen2.5-coder-1.5b")
        );
        assert_eq!(closest("gpt-4.1-mini", &ids), None);
    }

    #[test]
    fn model_lists_of_openai_and_ollama_shapes() {
        let openai = serde_json::json!({"data": [{"id": "a"}, {"id": "b"}]});
        assert_eq!(
            model_ids(&openai),
            Some(vec!["a".to_owned(), "b".to_owned()])
        );
        let ollama = serde_json::json!({"models": [{"name": "llama3:8b"}]});
        assert_eq!(model_ids(&ollama), Some(vec!["llama3:8b".to_owned()]));
        assert_eq!(model_ids(&serde_json::json!({"ok": true})), None);
    }
}
