//! The model client of agentctl: the [`ModelClient`] trait the run loop calls, and
//! [`OpenAiClient`], its implementation for any OpenAI-compatible endpoint (OpenAI, vLLM,
//! llama.cpp server, Ollama …) built on async-openai over real HTTP.
//!
//! Owns: the Chat Completions wire format, bounded retries with backoff and jitter honouring
//! `Retry-After`, streaming with a remembered fallback to non-streaming, and lenient parsing
//! of whatever a server sends back. Does not know about personas, policy, tools' behaviour,
//! configuration files or environment variables: callers pass an [`EndpointSettings`] and a
//! [`ChatRequest`] and get a [`ChatResponse`] or a [`ModelError`].

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

mod client;
mod error;
mod limits;
mod preflight;
mod request;
mod response;
mod retry;
mod settings;
mod stream;
mod transport;

use std::time::Duration;

pub use client::OpenAiClient;
pub use error::ModelError;
pub use limits::ReplyLimits;
pub use preflight::{ModelStatus, PreflightProblem, PreflightReport};
pub use request::{ChatRequest, ToolChoice, ToolSpec};
pub use response::ChatResponse;
pub use settings::EndpointSettings;

/// Receives a reply while it is being produced.
///
/// After `on_retry` any text already passed to `on_text` belongs to a failed attempt and the
/// next attempt starts over, so a terminal should start a fresh line.
pub trait StreamObserver: Send {
    /// A piece of assistant text, in order.
    fn on_text(&mut self, delta: &str);

    /// Completion tokens of the reply so far (the server's count when it sent one, else the
    /// number of text and tool-call pieces), after each streamed piece.
    fn on_tokens(&mut self, tokens: u64) {
        let _ = tokens;
    }

    /// Retry number `attempt` (1 for the first) will be made after `wait` because of `reason`;
    /// `attempts` is the most the call will make, the first one included.
    fn on_retry(&mut self, attempt: u32, attempts: u32, wait: Duration, reason: &str) {
        let _ = (attempt, attempts, wait, reason);
    }

    /// The server refused to stream; this and later requests of the client go without it.
    fn on_fallback(&mut self, reason: &str) {
        let _ = reason;
    }
}

/// An observer that ignores everything, for callers that only want the final reply.
#[derive(Debug, Clone, Copy, Default)]
pub struct SilentObserver;

impl StreamObserver for SilentObserver {
    fn on_text(&mut self, _delta: &str) {}
}

/// Something that can answer chat requests.
#[async_trait::async_trait]
pub trait ModelClient: Send + Sync {
    /// Sends `request` and returns the complete reply; streamed text is also passed to
    /// `observer` as it arrives.
    async fn complete(
        &self,
        request: &ChatRequest<'_>,
        observer: &mut dyn StreamObserver,
    ) -> Result<ChatResponse, ModelError>;
}
