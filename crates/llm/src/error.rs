//! The errors a model call can end with.
//!
//! Owns: [`ModelError`] and the hints its messages carry. Does not know how errors are
//! classified or retried; `retry.rs` and `client.rs` decide which one a failure becomes.

/// Why a model call failed. Every message names the endpoint or the server's own words and,
/// where there is one, what to do about it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ModelError {
    /// No connection could be made on any attempt.
    #[error(
        "cannot reach the model endpoint at {url}: {detail}; start the server, or point \
         [endpoint] base_url in agentctl.toml (or OPENAI_BASE_URL) at a running one"
    )]
    Unreachable { url: String, detail: String },

    /// The server refused the request with a status that retrying cannot fix.
    #[error("the model endpoint rejected the request (HTTP {status}): {message}{}", rejection_hint(*status))]
    Rejected { status: u16, message: String },

    /// Every attempt failed with a transient error.
    #[error("the model endpoint failed {attempts} times in a row; last error: {last}")]
    RetriesExhausted { attempts: u32, last: String },

    /// The request was sent but no answer came in time (or the stream broke off). It was not
    /// sent again: a single-slot server may still be working on it.
    #[error(
        "the model endpoint did not answer: {detail}; the request was not sent again, since \
         the server may still be working on it (for a slow local server raise the named \
         setting in agentctl.toml)"
    )]
    NoAnswer { detail: String },

    /// The server answered, but not with a chat completion we can read.
    #[error("the model endpoint sent a reply that is not a chat completion: {detail}")]
    Malformed { detail: String },

    /// The endpoint settings cannot work (bad URL, unusable API key).
    #[error("invalid endpoint settings: {detail}")]
    InvalidSettings { detail: String },

    /// The reply went past one of the caps in [`crate::ReplyLimits`]; it is discarded and
    /// not retried, since asking again would most likely repeat it.
    #[error(
        "the model's reply was stopped: {detail}; it was discarded. If replies this large are \
         expected, raise [limits] {key} in agentctl.toml"
    )]
    ReplyLimit { key: &'static str, detail: String },

    /// The request could not be encoded for sending.
    #[error("cannot encode the chat request: {detail}")]
    InvalidRequest { detail: String },
}

fn rejection_hint(status: u16) -> &'static str {
    match status {
        401 | 403 => {
            "; check the API key (the variable named by [endpoint] api_key_env, OPENAI_API_KEY \
             by default)"
        }
        404 => {
            "; check [endpoint] base_url (it usually ends in /v1) and that the model name \
             exists on this server"
        }
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unreachable_names_url_and_configuration() {
        let error = ModelError::Unreachable {
            url: "http://127.0.0.1:9/v1".into(),
            detail: "connection refused".into(),
        };
        let message = error.to_string();
        assert!(message.contains("http://127.0.0.1:9/v1"), "{message}");
        assert!(message.contains("[endpoint] base_url"), "{message}");
        assert!(message.contains("OPENAI_BASE_URL"), "{message}");
    }

    #[test]
    fn rejected_keeps_message_and_adds_hint_for_auth() {
        let error = ModelError::Rejected {
            status: 401,
            message: "Incorrect API key provided".into(),
        };
        assert_eq!(
            error.to_string(),
            "the model endpoint rejected the request (HTTP 401): Incorrect API key provided; \
             check the API key (the variable named by [endpoint] api_key_env, OPENAI_API_KEY \
             by default)"
        );
        let plain = ModelError::Rejected {
            status: 400,
            message: "bad".into(),
        };
        assert_eq!(
            plain.to_string(),
            "the model endpoint rejected the request (HTTP 400): bad"
        );
    }
}
