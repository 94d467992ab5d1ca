//! The retry policy: which failures are worth another attempt, and how long to wait.
//!
//! Owns: classifying one failed attempt ([`AttemptFailure`]), exponential backoff with full
//! jitter, and reading `Retry-After` (delta-seconds or an HTTP date). Does not send anything;
//! `client.rs` runs the loop.
//!
//! A request is sent again only when the server is known not to be working on it: no
//! connection was made, the connection was closed without an answer, or the server answered
//! 408, 429 or 5xx. A timeout or a stream that broke off is never retried.

use std::time::{Duration, SystemTime};

use async_openai::error::{OpenAIError, StreamError};
use rand::Rng as _;
use serde_json::Value;

use crate::error::ModelError;
use crate::response::{error_message, excerpt};
use crate::transport::HttpStatusFailure;

/// How one attempt failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum AttemptFailure {
    /// Worth retrying: 408, 429, 5xx, connection failures, resets, timeouts.
    Transient {
        reason: String,
        retry_after: Option<Duration>,
        /// No connection was ever made (refused, DNS, TLS handshake).
        never_connected: bool,
    },
    /// The request reached the server and no usable answer came back in time, or a stream
    /// broke off after it had started. Not retried: a single-slot local server may still be
    /// working on the request, and a second copy would only queue behind the first.
    Unanswered { reason: String },
    /// The server will not stream this request; ask again without streaming.
    StreamingRefused { reason: String },
    /// Retrying cannot help.
    Fatal(ModelError),
}

impl AttemptFailure {
    pub(crate) fn transient(reason: impl Into<String>) -> Self {
        AttemptFailure::Transient {
            reason: reason.into(),
            retry_after: None,
            never_connected: false,
        }
    }
}

/// Maps an async-openai error from one attempt. `streaming` says whether the attempt asked
/// for a stream, which is when a refusal to stream is recognised.
pub(crate) fn classify(error: OpenAIError, streaming: bool) -> AttemptFailure {
    match error {
        OpenAIError::Boxed(boxed) => match boxed.downcast::<HttpStatusFailure>() {
            Ok(failure) => classify_status(&failure, streaming),
            Err(other) => AttemptFailure::transient(error_chain(other.as_ref())),
        },
        OpenAIError::Reqwest(error) => AttemptFailure::Transient {
            never_connected: error.is_connect(),
            reason: error_chain(&error),
            retry_after: None,
        },
        OpenAIError::JSONDeserialize(error, content) => {
            AttemptFailure::Fatal(ModelError::Malformed {
                detail: format!("{error}; the body starts with: {}", excerpt(&content)),
            })
        }
        OpenAIError::StreamError(stream_error) => match *stream_error {
            // The byte stream broke mid-reply (reset, truncated chunk): a transport failure.
            StreamError::EventStream(detail) => AttemptFailure::Unanswered {
                reason: format!("the stream broke off: {detail}"),
            },
            StreamError::UnknownEvent(event) => AttemptFailure::Fatal(ModelError::Malformed {
                detail: format!("unexpected stream event: {}", excerpt(&event.data)),
            }),
        },
        OpenAIError::ApiError(api) => classify_status(
            &HttpStatusFailure {
                status: api.status_code.as_u16(),
                retry_after: None,
                body: api.api_error.message,
            },
            streaming,
        ),
        OpenAIError::InvalidArgument(detail) => {
            AttemptFailure::Fatal(ModelError::InvalidRequest { detail })
        }
        other => AttemptFailure::Fatal(ModelError::Malformed {
            detail: other.to_string(),
        }),
    }
}

/// The server's own words from an error body: the JSON error message if there is one,
/// otherwise the body as text.
pub(crate) fn server_message(status: u16, body: &str) -> String {
    let parsed = serde_json::from_str::<Value>(body).ok();
    match parsed.as_ref().and_then(error_message) {
        Some(message) => message,
        None if body.trim().is_empty() => format!("HTTP {status} with an empty body"),
        None => body.trim().to_owned(),
    }
}

fn classify_status(failure: &HttpStatusFailure, streaming: bool) -> AttemptFailure {
    let status = failure.status;
    let message = server_message(status, &failure.body);
    if streaming && status >= 400 && message.to_ascii_lowercase().contains("stream") {
        return AttemptFailure::StreamingRefused {
            reason: format!("HTTP {status}: {message}"),
        };
    }
    // OpenAI answers 429 for an exhausted quota too; waiting will not refill it.
    if status == 429 && failure.body.contains("insufficient_quota") {
        return AttemptFailure::Fatal(ModelError::Rejected { status, message });
    }
    if status == 408 || status == 429 || (500..=599).contains(&status) {
        return AttemptFailure::Transient {
            reason: format!("HTTP {status}: {}", excerpt(&message)),
            retry_after: failure
                .retry_after
                .as_deref()
                .and_then(|value| parse_retry_after(value, SystemTime::now())),
            never_connected: false,
        };
    }
    AttemptFailure::Fatal(ModelError::Rejected { status, message })
}

/// The error and its sources on one line, without repeating a source's text.
pub(crate) fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = vec![error.to_string()];
    let mut source = error.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if parts.last().is_none_or(|last| !last.contains(&text)) {
            parts.push(text);
        }
        source = cause.source();
    }
    parts.join(": ")
}

/// `Retry-After` as delta-seconds (`"3"`, also `"1.5"`) or an HTTP date; a date in the past
/// means no wait. Unreadable values are ignored.
pub(crate) fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    if let Ok(seconds) = value.parse::<f64>() {
        return Duration::try_from_secs_f64(seconds).ok();
    }
    let date = httpdate::parse_http_date(value).ok()?;
    Some(date.duration_since(now).unwrap_or(Duration::ZERO))
}

/// The wait before retry number `retry` (1 for the first): `Retry-After` when the server gave
/// one, otherwise a uniformly random wait up to `base · 2^(retry-1)` ("full jitter"); never
/// more than `max`.
pub(crate) fn backoff_wait(
    retry: u32,
    retry_after: Option<Duration>,
    base: Duration,
    max: Duration,
) -> Duration {
    if let Some(asked) = retry_after {
        return asked.min(max);
    }
    let doubling = 2u32.saturating_pow(retry.saturating_sub(1));
    let ceiling = base.saturating_mul(doubling).min(max);
    let ceiling_ms = u64::try_from(ceiling.as_millis()).unwrap_or(u64::MAX);
    Duration::from_millis(rand::rng().random_range(0..=ceiling_ms))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(status: u16, body: &str, retry_after: Option<&str>) -> HttpStatusFailure {
        HttpStatusFailure {
            status,
            retry_after: retry_after.map(str::to_owned),
            body: body.to_owned(),
        }
    }

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(784_111_777);
        assert_eq!(parse_retry_after("7", now), Some(Duration::from_secs(7)));
        assert_eq!(
            parse_retry_after(" 0.5 ", now),
            Some(Duration::from_millis(500))
        );
        // 784111777 is Sun, 06 Nov 1994 08:49:37 GMT.
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:47 GMT", now),
            Some(Duration::from_secs(10))
        );
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-3", now), None);
    }

    #[test]
    fn backoff_is_bounded_and_honours_retry_after_up_to_the_cap() {
        let base = Duration::from_millis(100);
        let max = Duration::from_millis(1000);
        for retry in 1..=10 {
            let ceiling = base.saturating_mul(2u32.pow(retry - 1)).min(max);
            let wait = backoff_wait(retry, None, base, max);
            assert!(wait <= ceiling, "retry {retry}: {wait:?} > {ceiling:?}");
        }
        assert_eq!(
            backoff_wait(1, Some(Duration::from_millis(300)), base, max),
            Duration::from_millis(300)
        );
        assert_eq!(
            backoff_wait(1, Some(Duration::from_secs(60)), base, max),
            max
        );
    }

    #[test]
    fn statuses_are_sorted_into_retry_reject_and_fallback() {
        assert!(matches!(
            classify_status(&status(429, "{}", Some("2")), false),
            AttemptFailure::Transient { retry_after: Some(wait), .. } if wait == Duration::from_secs(2)
        ));
        assert!(matches!(
            classify_status(&status(503, "busy", None), false),
            AttemptFailure::Transient { .. }
        ));
        assert_eq!(
            classify_status(
                &status(400, r#"{"error":{"message":"bad tool schema"}}"#, None),
                false
            ),
            AttemptFailure::Fatal(ModelError::Rejected {
                status: 400,
                message: "bad tool schema".into()
            })
        );
        let refusal = r#"{"error":{"message":"Streaming is not supported with tools"}}"#;
        assert!(matches!(
            classify_status(&status(500, refusal, None), true),
            AttemptFailure::StreamingRefused { .. }
        ));
        // The same answer to a non-streaming request is just a server error.
        assert!(matches!(
            classify_status(&status(500, refusal, None), false),
            AttemptFailure::Transient { .. }
        ));
        let quota =
            r#"{"error":{"message":"You exceeded your quota","type":"insufficient_quota"}}"#;
        assert!(matches!(
            classify_status(&status(429, quota, None), false),
            AttemptFailure::Fatal(ModelError::Rejected { status: 429, .. })
        ));
    }

    #[test]
    fn server_message_falls_back_to_raw_body() {
        assert_eq!(server_message(404, "Not Found\n"), "Not Found");
        assert_eq!(server_message(502, ""), "HTTP 502 with an empty body");
    }
}
