//! Scrubbing secrets out of text before it is written, and cutting large outputs down to size.
//!
//! Does not know where the text came from or where it goes. The patterns aim at secrets with a
//! recognisable shape (provider key prefixes, `Authorization` headers, `password=` style
//! assignments, PEM private keys); a secret with no shape cannot be found this way, which is why
//! tools also strip secrets from the environment of the commands they run.

use std::sync::LazyLock;

use regex::Regex;
use serde_json::Value;

/// What a secret is replaced with.
pub const REDACTED: &str = "«redacted»";

/// Each pattern either replaces its whole match, or keeps the `keep` group (a key, a header
/// name) and replaces the rest.
const PATTERNS: &[&str] = &[
    // A PEM private key block, or its start when the output was cut before the END line.
    r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----(?s:.*?)(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|\z)",
    r"(?i)(?P<keep>\bauthorization[ \t]*:[ \t]*(?:bearer|basic|token)[ \t]+)[^\s'\x22`]+",
    r"(?i)(?P<keep>\bbearer[ \t]+)[A-Za-z0-9._~+/=-]{20,}",
    r"(?i)(?P<keep>\b(?:aws_secret_access_key|aws_session_token)['\x22]?[ \t]*[=:][ \t]*)['\x22]?[^\s'\x22,;]+['\x22]?",
    // `password=…`, `DB_PASSWORD=…`, `"api_key": "…"`, `GITHUB_TOKEN=…` (but not `max_tokens=…`).
    r"(?i)(?P<keep>\b[A-Za-z0-9_.-]*?(?:password|passwd|secret|api_?key|access_?token|auth_?token|_token|private_?key)['\x22]?[ \t]*[=:][ \t]*)(?:\x22[^\x22\n]*\x22|'[^'\n]*'|[^\s,;&]+)",
    r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b",
    r"\bsk-[A-Za-z0-9_-]{20,}",
    r"\bgh[pousr]_[A-Za-z0-9]{30,}",
    r"\bgithub_pat_[A-Za-z0-9_]{20,}",
    r"\bxox[abprs]-[A-Za-z0-9-]{10,}",
];

static COMPILED: LazyLock<Result<Vec<Regex>, regex::Error>> =
    LazyLock::new(|| PATTERNS.iter().map(|pattern| Regex::new(pattern)).collect());

/// Replaces every secret found in `text` with `«redacted»`, keeping the key or header name in
/// front of it (`password=«redacted»`, `Authorization: Bearer «redacted»`).
pub fn redact(text: &str) -> String {
    let patterns = match &*COMPILED {
        Ok(patterns) => patterns,
        // The patterns are constants covered by the tests below; should one ever fail to compile,
        // hide everything rather than let a secret through.
        Err(_) => return REDACTED.to_owned(),
    };
    let mut current = std::borrow::Cow::Borrowed(text);
    for pattern in patterns {
        let replacement = if pattern.capture_names().any(|name| name == Some("keep")) {
            "${keep}«redacted»"
        } else {
            REDACTED
        };
        if let std::borrow::Cow::Owned(changed) = pattern.replace_all(&current, replacement) {
            current = std::borrow::Cow::Owned(changed);
        }
    }
    current.into_owned()
}

/// Redacts every string inside a JSON value, keys excepted.
pub fn redact_value(value: &mut Value) {
    match value {
        Value::String(text) => {
            let redacted = redact(text);
            if redacted != *text {
                *text = redacted;
            }
        }
        Value::Array(items) => items.iter_mut().for_each(redact_value),
        Value::Object(map) => map.values_mut().for_each(redact_value),
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

/// Shortens `text` to at most `max_bytes` of its own bytes, keeping the head and the tail (each
/// cut on a character boundary) with a line between them that says how many bytes were left
/// out. Text that fits is returned unchanged.
pub fn cut(text: &str, max_bytes: usize) -> String {
    if text.len() <= max_bytes {
        return text.to_owned();
    }
    let head_end = floor_char_boundary(text, max_bytes / 2);
    let tail_start = ceil_char_boundary(text, text.len() - (max_bytes - max_bytes / 2));
    let removed = tail_start - head_end;
    let mut out = String::with_capacity(max_bytes + 48);
    out.push_str(&text[..head_end]);
    out.push_str("\n[… ");
    out.push_str(&removed.to_string());
    out.push_str(" bytes cut …]\n");
    out.push_str(&text[tail_start..]);
    out
}

fn floor_char_boundary(text: &str, mut index: usize) -> usize {
    while !text.is_char_boundary(index) {
        index -= 1;
    }
    index
}

fn ceil_char_boundary(text: &str, mut index: usize) -> usize {
    while !text.is_char_boundary(index) {
        index += 1;
    }
    index
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_pattern_compiles() {
        assert_eq!(COMPILED.as_ref().map(Vec::len).unwrap(), PATTERNS.len());
    }

    #[test]
    fn redacts_provider_keys() {
        assert_eq!(
            redact("key sk-proj-abcdefghijklmnopqrstuvwx end"),
            "key «redacted» end"
        );
        assert_eq!(redact("id=AKIAIOSFODNN7EXAMPLE."), "id=«redacted».");
        assert_eq!(
            redact("token ghp_abcdefghijklmnopqrstuvwxyz0123456789 here"),
            "token «redacted» here"
        );
    }

    #[test]
    fn keeps_names_and_redacts_values() {
        assert_eq!(
            redact("curl -H 'Authorization: Bearer abc.def-123' x"),
            "curl -H 'Authorization: Bearer «redacted»' x"
        );
        assert_eq!(
            redact("password=hunter2 user=bob"),
            "password=«redacted» user=bob"
        );
        assert_eq!(
            redact("DB_PASSWORD=hunter2 GITHUB_TOKEN: abc max_tokens=100 input_tokens: 5"),
            "DB_PASSWORD=«redacted» GITHUB_TOKEN: «redacted» max_tokens=100 input_tokens: 5"
        );
        assert_eq!(
            redact(r#"{"password": "two words", "user": "bob"}"#),
            r#"{"password": «redacted», "user": "bob"}"#
        );
        assert_eq!(
            redact("aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\nregion = eu"),
            "aws_secret_access_key = «redacted»\nregion = eu"
        );
    }

    #[test]
    fn redacts_private_key_blocks_even_when_cut() {
        let text = "before\n-----BEGIN RSA PRIVATE KEY-----\nMIIE\nabc\n-----END RSA PRIVATE KEY-----\nafter";
        assert_eq!(redact(text), "before\n«redacted»\nafter");
        assert_eq!(
            redact("x -----BEGIN OPENSSH PRIVATE KEY-----\nb3Bl"),
            "x «redacted»"
        );
    }

    #[test]
    fn leaves_ordinary_text_alone() {
        let text =
            "task-abcdefghijklmnopqrstuvwxyz max_tokens=100 risk-assessment passwords matter";
        assert_eq!(redact(text), text);
    }

    #[test]
    fn redaction_is_idempotent() {
        let once = redact("password=hunter2 sk-abcdefghijklmnopqrstuvwxyz");
        assert_eq!(redact(&once), once);
    }

    #[test]
    fn redacts_nested_json_strings() {
        let mut value = serde_json::json!({"args": ["--token", "ghp_abcdefghijklmnopqrstuvwxyz0123456789"], "n": 1});
        redact_value(&mut value);
        assert_eq!(
            value,
            serde_json::json!({"args": ["--token", "«redacted»"], "n": 1})
        );
    }

    #[test]
    fn cut_keeps_head_and_tail_and_counts() {
        let text = "0123456789".repeat(10);
        let cut_text = cut(&text, 20);
        assert_eq!(cut_text, "0123456789\n[… 80 bytes cut …]\n0123456789");
        assert_eq!(cut("short", 20), "short");
    }

    #[test]
    fn cut_respects_char_boundaries() {
        // Each "é" is two bytes, "€" three: a byte budget lands inside characters.
        let text = "éééééééééé€€€€€€";
        let result = cut(text, 9);
        assert_eq!(result, "éé\n[… 31 bytes cut …]\n€");
        let text = "ab€cd";
        assert_eq!(cut(text, 3), "a\n[… 4 bytes cut …]\ncd");
        assert_eq!(cut(text, 0), "\n[… 7 bytes cut …]\n");
    }
}
