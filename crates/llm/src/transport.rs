//! The HTTP service async-openai sends through.
//!
//! Owns: executing one request with our own `reqwest::Client`, and turning any non-2xx answer
//! into an [`HttpStatusFailure`] that keeps the status, the `Retry-After` header and the raw
//! body. async-openai's default transport would retry by itself and drop the headers; this one
//! makes exactly one attempt so the policy in `retry.rs` is the only one in force. Does not know
//! about JSON, retries or streaming.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use async_openai::error::OpenAIError;
use async_openai::middleware::HttpRequestFactory;
use futures::StreamExt as _;
use reqwest::header::{AUTHORIZATION, RETRY_AFTER};

use crate::limits::{capped, CURRENT_GUARD};

/// A non-success HTTP answer, carried through async-openai inside `OpenAIError::Boxed`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("HTTP {status}: {body}")]
pub(crate) struct HttpStatusFailure {
    pub(crate) status: u16,
    pub(crate) retry_after: Option<String>,
    pub(crate) body: String,
}

/// Error bodies beyond this size are cut; the message is at the start.
const ERROR_BODY_LIMIT: usize = 64 * 1024;

#[derive(Debug, Clone)]
pub(crate) struct HttpTransport {
    pub(crate) http: reqwest::Client,
    /// async-openai always sets `Authorization`; with no key we remove it rather than send an
    /// empty bearer token, which some proxies treat as a failed login.
    pub(crate) send_authorization: bool,
}

type Answer = Pin<Box<dyn Future<Output = Result<reqwest::Response, OpenAIError>> + Send>>;

impl tower::Service<HttpRequestFactory> for HttpTransport {
    type Response = reqwest::Response;
    type Error = OpenAIError;
    type Future = Answer;

    fn poll_ready(&mut self, _context: &mut Context<'_>) -> Poll<Result<(), OpenAIError>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, factory: HttpRequestFactory) -> Answer {
        let http = self.http.clone();
        let send_authorization = self.send_authorization;
        // The guard of the attempt this request belongs to (set by the client around it).
        let guard = CURRENT_GUARD.try_with(Arc::clone).ok();
        Box::pin(async move {
            let mut request = factory.build().await?;
            if !send_authorization {
                request.headers_mut().remove(AUTHORIZATION);
            }
            let method = request.method().clone();
            let url = loggable_url(request.url());
            let started = std::time::Instant::now();
            let response = match http.execute(request).await {
                Ok(response) => response,
                Err(error) => {
                    tracing::info!(%method, %url, elapsed_ms = elapsed_ms(started), error = %error, "endpoint request failed");
                    return Err(error.into());
                }
            };
            let status = response.status();
            // The time to the response headers: for a stream, how long the server took to start.
            tracing::info!(%method, %url, status = status.as_u16(), elapsed_ms = elapsed_ms(started), "endpoint request");
            if status.is_success() {
                return Ok(match guard {
                    Some(guard) => capped(response, guard),
                    None => response,
                });
            }
            let retry_after = response
                .headers()
                .get(RETRY_AFTER)
                .and_then(|value| value.to_str().ok())
                .map(str::to_owned);
            // Only the start of an error body is read: the message is there, and a server
            // must not be able to make agentctl hold an endless one.
            let mut bytes = Vec::new();
            let mut chunks = response.bytes_stream();
            while let Some(chunk) = chunks.next().await {
                bytes.extend_from_slice(&chunk?);
                if bytes.len() >= ERROR_BODY_LIMIT {
                    bytes.truncate(ERROR_BODY_LIMIT);
                    break;
                }
            }
            let failure = HttpStatusFailure {
                status: status.as_u16(),
                retry_after,
                body: String::from_utf8_lossy(&bytes).into_owned(),
            };
            Err(OpenAIError::Boxed(Box::new(failure)))
        })
    }
}

fn elapsed_ms(started: std::time::Instant) -> u64 {
    u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX)
}

/// The URL without user name, password or query, for logs: the API key travels in a header,
/// but a base URL may carry credentials of its own.
pub(crate) fn loggable_url(url: &reqwest::Url) -> String {
    let mut shown = url.clone();
    let _ = shown.set_username("");
    let _ = shown.set_password(None);
    shown.set_query(None);
    shown.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logged_urls_carry_no_credentials() {
        let url = reqwest::Url::parse("https://user:secret@example.com/v1/chat?key=abc").unwrap();
        assert_eq!(loggable_url(&url), "https://example.com/v1/chat");
    }
}
