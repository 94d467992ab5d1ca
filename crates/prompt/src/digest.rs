//! Digests and size estimates of assembled text.
//!
//! Owns the SHA-256 rendering recorded in the audit log and the token estimate printed by
//! `agentctl prompt`. It does not know what the text is.

use sha2::{Digest, Sha256};

/// SHA-256 of `bytes` as 64 lowercase hex digits.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// A rough token count: one token per four characters (Unicode scalar values), rounded up.
///
/// Tokenizers differ per model and agentctl talks to any OpenAI-compatible endpoint, so this
/// is a size hint for humans, never a budget check; English prose averages close to four
/// characters per token with the common BPE vocabularies.
pub fn estimate_tokens(text: &str) -> usize {
    text.chars().count().div_ceil(4)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_of_known_input() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn token_estimate_rounds_up_per_character() {
        assert_eq!(estimate_tokens(""), 0);
        assert_eq!(estimate_tokens("abcd"), 1);
        assert_eq!(estimate_tokens("abcde"), 2);
        assert_eq!(estimate_tokens("ééééé"), 2);
    }
}
