//! Caps on one model reply: bytes read from the server, completion tokens, and wall time.
//!
//! Owns: [`ReplyLimits`] (what the caller configures), the per-reply [`ReplyGuard`] that counts
//! the bytes of the response body as they arrive, and the body wrapper the HTTP transport puts
//! around every successful response. Once the byte cap is passed the wrapped body ends with an
//! error, so neither async-openai's SSE reader nor its JSON reader ever holds more than the cap,
//! whatever the server sends. Does not decide what happens next: `client.rs` turns a tripped
//! guard into [`crate::ModelError::ReplyLimit`], which is never retried.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use futures::{Stream, StreamExt as _};

/// Caps on one reply, streamed or not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReplyLimits {
    /// Bytes of the HTTP body of one attempt (SSE framing included for a stream).
    pub max_bytes: u64,
    /// Completion tokens: the server's own count when it reports one, and for a stream at
    /// least the number of content and tool-call pieces received.
    pub max_tokens: u64,
    /// Wall time of the whole reply, retries and their waits included.
    pub max_duration: Duration,
}

impl ReplyLimits {
    pub const DEFAULT_MAX_BYTES: u64 = 4 * 1024 * 1024;
    pub const DEFAULT_MAX_TOKENS: u64 = 32_768;
    pub const DEFAULT_MAX_DURATION: Duration = Duration::from_secs(600);
}

impl Default for ReplyLimits {
    fn default() -> Self {
        ReplyLimits {
            max_bytes: Self::DEFAULT_MAX_BYTES,
            max_tokens: Self::DEFAULT_MAX_TOKENS,
            max_duration: Self::DEFAULT_MAX_DURATION,
        }
    }
}

/// Counts the body bytes of one attempt and remembers whether the cap was passed.
#[derive(Debug)]
pub(crate) struct ReplyGuard {
    max_bytes: u64,
    received: AtomicU64,
    exceeded: AtomicBool,
}

impl ReplyGuard {
    pub(crate) fn new(max_bytes: u64) -> Arc<Self> {
        Arc::new(ReplyGuard {
            max_bytes,
            received: AtomicU64::new(0),
            exceeded: AtomicBool::new(false),
        })
    }

    /// Whether the body went past the cap (the attempt failed because of it).
    pub(crate) fn exceeded(&self) -> bool {
        self.exceeded.load(Ordering::Relaxed)
    }

    pub(crate) fn max_bytes(&self) -> u64 {
        self.max_bytes
    }

    /// Adds `length` bytes; false once the total is over the cap.
    fn admit(&self, length: usize) -> bool {
        let length = u64::try_from(length).unwrap_or(u64::MAX);
        let total = self
            .received
            .fetch_add(length, Ordering::Relaxed)
            .saturating_add(length);
        if total > self.max_bytes {
            self.exceeded.store(true, Ordering::Relaxed);
            return false;
        }
        true
    }
}

tokio::task_local! {
    /// The guard of the attempt being made on this task; the transport picks it up when
    /// async-openai hands it the request.
    pub(crate) static CURRENT_GUARD: Arc<ReplyGuard>;
}

/// The error a capped body ends with.
#[derive(Debug, thiserror::Error)]
#[error("the reply is larger than {max_bytes} bytes; agentctl stopped reading it")]
pub(crate) struct BodyTooLarge {
    max_bytes: u64,
}

/// `response` with its body counted against `guard`: the body ends with [`BodyTooLarge`] as
/// soon as the total passes the cap, and nothing after that is read from the connection.
pub(crate) fn capped(response: reqwest::Response, guard: Arc<ReplyGuard>) -> reqwest::Response {
    let status = response.status();
    let version = response.version();
    let headers = response.headers().clone();
    let body = capped_stream(response.bytes_stream(), guard);
    let mut builder = http::Response::builder().status(status).version(version);
    if let Some(slot) = builder.headers_mut() {
        *slot = headers;
    }
    match builder.body(reqwest::Body::wrap_stream(body)) {
        Ok(response) => reqwest::Response::from(response),
        // Status, version and headers came from a valid response, so this cannot fail; an
        // empty body is the safe answer if it ever did.
        Err(_) => reqwest::Response::from(http::Response::new(reqwest::Body::from(""))),
    }
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

fn capped_stream<S>(
    chunks: S,
    guard: Arc<ReplyGuard>,
) -> impl Stream<Item = Result<bytes::Bytes, BoxError>> + Send + 'static
where
    S: Stream<Item = Result<bytes::Bytes, reqwest::Error>> + Send + 'static,
{
    let mut stopped = false;
    chunks
        .map(move |chunk| -> Result<bytes::Bytes, BoxError> {
            let chunk = chunk.map_err(|error| Box::new(error) as BoxError)?;
            if guard.admit(chunk.len()) {
                Ok(chunk)
            } else {
                Err(Box::new(BodyTooLarge {
                    max_bytes: guard.max_bytes(),
                }))
            }
        })
        // Nothing is read past the first error: the connection is dropped with the stream.
        .take_while(move |item| {
            let go_on = !stopped;
            stopped |= item.is_err();
            futures::future::ready(go_on)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn body_ends_with_an_error_once_over_the_cap() {
        let guard = ReplyGuard::new(10);
        let chunks = futures::stream::iter(
            (0..1000).map(|_| Ok::<_, reqwest::Error>(bytes::Bytes::from_static(b"abcd"))),
        );
        let items: Vec<_> = capped_stream(chunks, Arc::clone(&guard)).collect().await;
        // 4 + 4 fit, the third passes 10: two chunks, then one error, then nothing.
        assert_eq!(items.len(), 3);
        assert!(items[0].is_ok() && items[1].is_ok());
        assert!(items[2].is_err());
        assert!(guard.exceeded());
    }

    #[tokio::test]
    async fn body_within_the_cap_is_untouched() {
        let guard = ReplyGuard::new(8);
        let chunks = futures::stream::iter(
            (0..2).map(|_| Ok::<_, reqwest::Error>(bytes::Bytes::from_static(b"abcd"))),
        );
        let items: Vec<_> = capped_stream(chunks, Arc::clone(&guard)).collect().await;
        assert_eq!(items.len(), 2);
        assert!(!guard.exceeded());
    }
}
