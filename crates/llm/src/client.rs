//! [`OpenAiClient`]: the [`ModelClient`] that talks to an OpenAI-compatible endpoint through
//! async-openai over real HTTP.
//!
//! Owns: the attempt loop (bounded retries, backoff waits, the streaming fallback and its
//! per-client memory), timeouts, and turning attempts into a [`ChatResponse`]. Does not know
//! about personas, tools' meaning or the run loop; it sends what it is given.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

use async_openai::config::OpenAIConfig;
use async_openai::Client;
use futures::StreamExt as _;
use serde_json::Value;

use crate::error::ModelError;
use crate::limits::{ReplyGuard, CURRENT_GUARD};
use crate::request::{wire_body, ChatRequest, WireBody};
use crate::response::{parse_completion, ChatResponse, Completion};
use crate::retry::{backoff_wait, classify, AttemptFailure};
use crate::settings::EndpointSettings;
use crate::stream::StreamAssembly;
use crate::transport::HttpTransport;
use crate::{ModelClient, StreamObserver};

/// A client for one OpenAI-compatible endpoint. Cheap to share behind an `Arc`; it remembers
/// across calls when the server has refused streaming.
pub struct OpenAiClient {
    openai: Client<OpenAIConfig>,
    /// The same HTTP client, for the requests that are not chat completions (preflight).
    pub(crate) http: reqwest::Client,
    settings: EndpointSettings,
    host: String,
    streaming_refused: AtomicBool,
}

impl std::fmt::Debug for OpenAiClient {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("OpenAiClient")
            .field("base_url", &self.settings.base_url)
            .field("streaming_refused", &self.streaming_refused)
            .finish_non_exhaustive()
    }
}

impl OpenAiClient {
    /// Builds the HTTP client; checks the URL and the API key but does not connect.
    pub fn new(settings: EndpointSettings) -> Result<Self, ModelError> {
        let base_url = settings.base_url.trim_end_matches('/').to_owned();
        let url = reqwest::Url::parse(&base_url).map_err(|error| ModelError::InvalidSettings {
            detail: format!(
                "base_url {:?} is not a URL ({error}); expected something like \
                 http://127.0.0.1:8080/v1",
                settings.base_url
            ),
        })?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(ModelError::InvalidSettings {
                detail: format!(
                    "base_url {:?} must start with http:// or https://",
                    settings.base_url
                ),
            });
        }
        let host = match (url.host_str(), url.port()) {
            (Some(host), Some(port)) => format!("{host}:{port}"),
            (Some(host), None) => host.to_owned(),
            (None, _) => {
                return Err(ModelError::InvalidSettings {
                    detail: format!("base_url {:?} has no host", settings.base_url),
                })
            }
        };
        let api_key = settings.api_key.clone().filter(|key| !key.is_empty());
        if let Some(key) = &api_key {
            // async-openai builds the Authorization header with `unwrap`; refuse a key it
            // would panic on (a stray newline from a secrets file, say) here instead.
            if reqwest::header::HeaderValue::from_str(&format!("Bearer {key}")).is_err() {
                return Err(ModelError::InvalidSettings {
                    detail: "the API key contains characters that cannot be sent in an HTTP \
                             header (a trailing newline?)"
                        .to_owned(),
                });
            }
        }

        // rustls is built without a default provider; ignoring the error is right when
        // another part of the process installed one first.
        let _ = rustls::crypto::ring::default_provider().install_default();
        // No retries inside reqwest: `retry.rs` is the only retry policy in force. reqwest's
        // default one retries only HTTP/2 refusals (not built in here), but copies the headers
        // and extensions of every request in case; with no retries allowed it copies nothing.
        let mut builder = reqwest::Client::builder()
            .connect_timeout(settings.timeout)
            .retry(reqwest::retry::never().max_retries_per_request(0));
        if url.scheme() == "http" {
            // A plain-HTTP endpoint needs no certificates: an empty trust store instead of the
            // system's (loading and parsing a few hundred roots is most of a short run's
            // start-up). A redirect to https:// from such an endpoint then fails to verify.
            builder = builder.tls_certs_only(std::iter::empty());
        }
        if is_loopback(&url) {
            // A local server is never behind the user's HTTP proxy.
            builder = builder.no_proxy();
        }
        let http = builder
            .build()
            .map_err(|error| ModelError::InvalidSettings {
                detail: format!("cannot build the HTTP client: {error}"),
            })?;
        // Org and project ids are cleared so nothing leaks in from OPENAI_ORG_ID and friends,
        // which async-openai reads on its own: only the config crate decides what is sent.
        let config = OpenAIConfig::new()
            .with_api_base(base_url.clone())
            .with_api_key(api_key.clone().unwrap_or_default())
            .with_org_id("")
            .with_project_id("");
        let transport = HttpTransport {
            http: http.clone(),
            send_authorization: api_key.is_some(),
        };
        // `Client::build`, not `with_config`: the latter first builds a default reqwest client,
        // which loads the system's root certificates even for a plain-HTTP endpoint.
        let openai = Client::build(http.clone(), config).with_http_service(transport);
        Ok(OpenAiClient {
            openai,
            http,
            settings: EndpointSettings {
                base_url,
                ..settings
            },
            host,
            streaming_refused: AtomicBool::new(false),
        })
    }

    /// `host[:port]` of the endpoint, for logs and audit entries (never the key).
    pub fn endpoint_host(&self) -> String {
        self.host.clone()
    }

    pub fn settings(&self) -> &EndpointSettings {
        &self.settings
    }

    /// Whether this client has seen the server refuse streaming and now asks without it.
    pub fn streaming_disabled(&self) -> bool {
        self.streaming_refused.load(Ordering::Relaxed)
    }

    /// One attempt with its own byte guard: a body cut at the cap fails the attempt with
    /// [`ModelError::ReplyLimit`] whatever async-openai made of the broken body.
    async fn attempt(
        &self,
        request: &ChatRequest<'_>,
        streaming: bool,
        observer: &mut dyn StreamObserver,
    ) -> Result<Completion, AttemptFailure> {
        let guard = ReplyGuard::new(self.settings.reply_limits.max_bytes);
        let outcome = CURRENT_GUARD
            .scope(Arc::clone(&guard), async {
                if streaming {
                    self.attempt_streaming(&wire_body(request, true), observer)
                        .await
                } else {
                    self.attempt_plain(&wire_body(request, false)).await
                }
            })
            .await;
        match outcome {
            Err(_) if guard.exceeded() => Err(AttemptFailure::Fatal(ModelError::ReplyLimit {
                key: "max_reply_bytes",
                detail: format!(
                    "it grew past {} bytes ([limits] max_reply_bytes)",
                    guard.max_bytes()
                ),
            })),
            other => other,
        }
    }

    fn too_many_tokens(&self, tokens: u64) -> AttemptFailure {
        AttemptFailure::Fatal(ModelError::ReplyLimit {
            key: "max_reply_tokens",
            detail: format!(
                "it reached {tokens} completion tokens, more than the {} allowed \
                 ([limits] max_reply_tokens)",
                self.settings.reply_limits.max_tokens
            ),
        })
    }

    async fn attempt_plain(&self, body: &WireBody<'_>) -> Result<Completion, AttemptFailure> {
        let chat = self.openai.chat();
        let call = chat.create_byot::<&WireBody<'_>, Value>(body);
        let reply = match tokio::time::timeout(self.settings.first_token_timeout, call).await {
            Ok(reply) => reply.map_err(|error| classify(error, false))?,
            Err(_) => return Err(self.no_first_answer("the reply")),
        };
        let completion = parse_completion(&reply)
            .map_err(|detail| AttemptFailure::Fatal(ModelError::Malformed { detail }))?;
        if completion.usage.completion_tokens > self.settings.reply_limits.max_tokens {
            return Err(self.too_many_tokens(completion.usage.completion_tokens));
        }
        Ok(completion)
    }

    async fn attempt_streaming(
        &self,
        body: &WireBody<'_>,
        observer: &mut dyn StreamObserver,
    ) -> Result<Completion, AttemptFailure> {
        let chat = self.openai.chat();
        let open = chat.create_stream_byot::<&WireBody<'_>, Value>(body);
        let first_token = self.settings.first_token_timeout;
        let mut stream = match tokio::time::timeout(first_token, open).await {
            Ok(stream) => stream.map_err(|error| classify(error, true))?,
            Err(_) => return Err(self.no_first_answer("the start of the stream")),
        };
        let mut assembly = StreamAssembly::default();
        loop {
            // A server may send the headers at once and then read the prompt: until the first
            // event the long wait applies, after it the silence limit.
            let (limit, key) = if assembly.chunks() == 0 {
                (first_token, "first_token_timeout_s")
            } else {
                (self.settings.timeout, "timeout_s")
            };
            let chunk = match tokio::time::timeout(limit, stream.next()).await {
                Ok(Some(chunk)) => chunk.map_err(|error| classify(error, true))?,
                Ok(None) => break,
                Err(_) => {
                    return Err(AttemptFailure::Unanswered {
                        reason: format!(
                            "the stream went silent for {:.1}s ([endpoint] {key})",
                            limit.as_secs_f64()
                        ),
                    })
                }
            };
            match assembly.accept(&chunk) {
                Ok(Some(text)) => {
                    observer.on_text(&text);
                    observer.on_tokens(assembly.tokens());
                }
                Ok(None) => observer.on_tokens(assembly.tokens()),
                Err(message) => {
                    return Err(AttemptFailure::transient(format!(
                        "the server reported an error mid-stream: {message}"
                    )))
                }
            }
            // Stop reading as soon as the reply is too long; dropping the stream closes it.
            if assembly.tokens() > self.settings.reply_limits.max_tokens {
                return Err(self.too_many_tokens(assembly.tokens()));
            }
        }
        if assembly.chunks() == 0 {
            // Typically a server that ignored `stream: true` and sent one JSON body, which
            // holds no SSE events. Asking again without streaming reads it properly.
            return Err(AttemptFailure::StreamingRefused {
                reason: "the server answered a streaming request without any stream events"
                    .to_owned(),
            });
        }
        Ok(assembly.finish())
    }

    fn no_first_answer(&self, waiting_for: &str) -> AttemptFailure {
        AttemptFailure::Unanswered {
            reason: format!(
                "nothing came back for {:.1}s while waiting for {waiting_for} \
                 ([endpoint] first_token_timeout_s)",
                self.settings.first_token_timeout.as_secs_f64()
            ),
        }
    }
}

pub(crate) fn is_loopback(url: &reqwest::Url) -> bool {
    let Some(host) = url.host_str() else {
        return false;
    };
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || bare
            .parse::<std::net::IpAddr>()
            .is_ok_and(|address| address.is_loopback())
}

#[async_trait::async_trait]
impl ModelClient for OpenAiClient {
    async fn complete(
        &self,
        request: &ChatRequest<'_>,
        observer: &mut dyn StreamObserver,
    ) -> Result<ChatResponse, ModelError> {
        let limit = self.settings.reply_limits.max_duration;
        match tokio::time::timeout(limit, self.complete_in_time(request, observer)).await {
            Ok(outcome) => outcome,
            Err(_) => Err(ModelError::ReplyLimit {
                key: "max_reply_seconds",
                detail: format!(
                    "it took longer than {}s ([limits] max_reply_seconds)",
                    limit.as_secs_f64()
                ),
            }),
        }
    }
}

impl OpenAiClient {
    /// [`ModelClient::complete`] without the wall-time cap.
    async fn complete_in_time(
        &self,
        request: &ChatRequest<'_>,
        observer: &mut dyn StreamObserver,
    ) -> Result<ChatResponse, ModelError> {
        let started = Instant::now();
        let mut streaming = request.stream && !self.streaming_disabled();
        let mut attempts: u32 = 0;
        let mut every_failure_was_connect = true;
        loop {
            attempts += 1;
            tracing::debug!(attempt = attempts, streaming, host = %self.host, "model request");
            let outcome = self.attempt(request, streaming, observer).await;
            let (reason, retry_after) = match outcome {
                Ok(completion) => {
                    return Ok(ChatResponse {
                        content: completion.content,
                        tool_calls: completion.tool_calls,
                        usage: completion.usage,
                        model: completion.model.unwrap_or_else(|| request.model.clone()),
                        finish_reason: completion.finish_reason,
                        latency_ms: u64::try_from(started.elapsed().as_millis())
                            .unwrap_or(u64::MAX),
                        streamed: streaming,
                        attempts,
                    })
                }
                Err(AttemptFailure::StreamingRefused { reason }) if streaming => {
                    tracing::info!(%reason, host = %self.host, "streaming refused; continuing without it");
                    self.streaming_refused.store(true, Ordering::Relaxed);
                    observer.on_fallback(&reason);
                    streaming = false;
                    // The refusal is not a failure of the endpoint: it does not use up a retry.
                    attempts -= 1;
                    continue;
                }
                Err(AttemptFailure::StreamingRefused { reason }) => (reason, None),
                Err(AttemptFailure::Fatal(error)) => return Err(error),
                Err(AttemptFailure::Unanswered { reason }) => {
                    tracing::info!(attempt = attempts, %reason, "no answer; not sent again");
                    return Err(ModelError::NoAnswer { detail: reason });
                }
                Err(AttemptFailure::Transient {
                    reason,
                    retry_after,
                    never_connected,
                }) => {
                    every_failure_was_connect &= never_connected;
                    (reason, retry_after)
                }
            };
            if attempts > self.settings.max_retries {
                return Err(if every_failure_was_connect {
                    ModelError::Unreachable {
                        url: self.settings.base_url.clone(),
                        detail: reason,
                    }
                } else {
                    ModelError::RetriesExhausted {
                        attempts,
                        last: reason,
                    }
                });
            }
            let wait = backoff_wait(
                attempts,
                retry_after,
                self.settings.backoff_base,
                self.settings.backoff_max,
            );
            tracing::debug!(attempt = attempts, wait_ms = wait.as_millis() as u64, %reason, "model request failed; retrying");
            observer.on_retry(attempts, self.settings.max_retries + 1, wait, &reason);
            tokio::time::sleep(wait).await;
        }
    }
}
