//! Test-only helpers for agentctl: a mock OpenAI-compatible endpoint on a real socket.
//!
//! Owns: [`MockEndpoint`], the scripted server that stands in for a model in tests and
//! benchmarks (in-process, or as the `agentctl-mock-endpoint` binary), and the [`MockReply`]
//! script vocabulary. Does not know about agentctl's client, personas or runs: it only speaks
//! the Chat Completions wire protocol and records what it was sent, so tests can assert on the
//! requests agentctl really made.

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

mod render;
mod reply;
mod server;

pub use reply::MockReply;
pub use server::{
    MockEndpoint, MockEndpointBuilder, RecordedRequest, DEFAULT_MOCK_MODEL, DEFAULT_SERVED_MODELS,
    STREAMING_REFUSAL_MESSAGE,
};

/// A script file for the `agentctl-mock-endpoint` binary: either a bare JSON array of replies,
/// or an object `{"about", "model", "refuse_streaming_with_tools", "replies"}`.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScriptFile {
    /// Lines for the human reading the script (what it plays, in which order); the mock ignores
    /// them. JSON has no comments, and a shipped script needs to say what it is.
    #[serde(default)]
    pub about: Vec<String>,
    #[serde(default)]
    pub model: Option<String>,
    #[serde(default)]
    pub refuse_streaming_with_tools: bool,
    pub replies: Vec<MockReply>,
}

impl ScriptFile {
    /// Parses either form. The form is chosen by the first character rather than by trying
    /// both, so a typo is reported with its own line and column.
    pub fn parse(text: &str) -> Result<ScriptFile, serde_json::Error> {
        if text.trim_start().starts_with('[') {
            Ok(ScriptFile {
                about: Vec::new(),
                model: None,
                refuse_streaming_with_tools: false,
                replies: serde_json::from_str(text)?,
            })
        } else {
            serde_json::from_str(text)
        }
    }

    /// A builder configured from this script.
    pub fn into_builder(self) -> MockEndpointBuilder {
        let builder = MockEndpoint::builder()
            .script(self.replies)
            .refuse_streaming_with_tools(self.refuse_streaming_with_tools);
        match self.model {
            Some(model) => builder.model(model),
            None => builder,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_file_accepts_both_forms_and_reports_typos() {
        let bare = ScriptFile::parse(r#"[{"text": "a"}]"#).unwrap();
        assert_eq!(bare.replies, vec![MockReply::text("a")]);
        let full = ScriptFile::parse(
            r#"{"about": ["what it plays"], "model": "m", "replies": ["close"]}"#,
        )
        .unwrap();
        assert_eq!(full.about, ["what it plays"]);
        assert_eq!(full.model.as_deref(), Some("m"));
        assert_eq!(full.replies, vec![MockReply::Close]);
        let typo = ScriptFile::parse("[\n {\"txt\": \"a\"}]").unwrap_err();
        assert!(typo.to_string().contains("txt"), "{typo}");
        assert_eq!(typo.line(), 2);
    }
}
