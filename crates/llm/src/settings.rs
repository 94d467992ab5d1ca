//! How to reach one OpenAI-compatible endpoint and how patiently to retry it.
//!
//! Owns: [`EndpointSettings`] and its defaults. Does not read agentctl.toml or environment
//! variables; the config crate resolves those and hands the result here.

use std::time::Duration;

use crate::ReplyLimits;

/// Connection and retry settings for one endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointSettings {
    /// Base URL including the version path, e.g. `http://127.0.0.1:8080/v1`.
    pub base_url: String,
    /// Sent as `Authorization: Bearer …`; no header at all when `None`.
    pub api_key: Option<String>,
    /// Limit for making the connection, and for the silence between two pieces of a streamed
    /// reply once it has started (a long stream that keeps talking is never cut off).
    pub timeout: Duration,
    /// How long to wait for the first byte of an answer after the request was sent: the start
    /// of a stream, or the whole body of a non-streaming reply. A local server reads the whole
    /// prompt before it answers, and a single-slot one queues requests, so this is long.
    pub first_token_timeout: Duration,
    /// Retries after the first attempt; 0 means try once.
    pub max_retries: u32,
    /// Ceiling of the first backoff; doubles with each retry.
    pub backoff_base: Duration,
    /// Largest wait between attempts, including waits asked for by `Retry-After`.
    pub backoff_max: Duration,
    /// Caps on the size, tokens and wall time of one reply.
    pub reply_limits: ReplyLimits,
}

impl EndpointSettings {
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(120);
    pub const DEFAULT_FIRST_TOKEN_TIMEOUT: Duration = Duration::from_secs(600);
    pub const DEFAULT_MAX_RETRIES: u32 = 3;
    pub const DEFAULT_BACKOFF_BASE: Duration = Duration::from_millis(500);
    pub const DEFAULT_BACKOFF_MAX: Duration = Duration::from_secs(30);

    /// Settings for `base_url` with every other field at its default.
    pub fn new(base_url: impl Into<String>) -> Self {
        EndpointSettings {
            base_url: base_url.into(),
            api_key: None,
            timeout: Self::DEFAULT_TIMEOUT,
            first_token_timeout: Self::DEFAULT_FIRST_TOKEN_TIMEOUT,
            max_retries: Self::DEFAULT_MAX_RETRIES,
            backoff_base: Self::DEFAULT_BACKOFF_BASE,
            backoff_max: Self::DEFAULT_BACKOFF_MAX,
            reply_limits: ReplyLimits::default(),
        }
    }
}
