//! Which SDLC phases (S01–S10) a piece of free text means.
//!
//! The rule, documented in docs/formats.md: any explicit `S01`–`S10` in the text wins; without
//! one, keywords decide — deploy/release → S09 and S10, quality/test/QA → S06, security → S07.
//! A style's own numbering such as "Stage 6" is not an S-number and is ignored.
//!
//! Does not know about: gate status or enforcement; it only reads text.

use agentctl_protocol::Gate;

/// Every `S01`–`S10` written in `text` (as a whole word), sorted and without duplicates.
pub(crate) fn explicit_gates(text: &str) -> Vec<Gate> {
    let bytes = text.as_bytes();
    let mut gates = Vec::new();
    for (index, &byte) in bytes.iter().enumerate() {
        if byte != b'S' {
            continue;
        }
        let before_is_word = index > 0 && bytes[index - 1].is_ascii_alphanumeric();
        let digits = bytes.get(index + 1..index + 3);
        let after_is_word = bytes
            .get(index + 3)
            .is_some_and(|next| next.is_ascii_alphanumeric());
        if let Some(&[tens, units]) = digits {
            if !before_is_word && !after_is_word && tens.is_ascii_digit() && units.is_ascii_digit()
            {
                let number = (tens - b'0') * 10 + (units - b'0');
                if let Some(gate) = Gate::from_number(number) {
                    gates.push(gate);
                }
            }
        }
    }
    gates.sort();
    gates.dedup();
    gates
}

/// Explicit gates if there are any, else the keyword rule.
pub(crate) fn stages_from_text(text: &str) -> Vec<Gate> {
    let explicit = explicit_gates(text);
    if !explicit.is_empty() {
        return explicit;
    }
    let mut gates = Vec::new();
    let words: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty())
        .map(str::to_lowercase)
        .collect();
    let any = |test: &dyn Fn(&str) -> bool| words.iter().any(|word| test(word));
    if any(&|word| word.starts_with("deploy") || word.starts_with("release")) {
        gates.extend([Gate::S09, Gate::S10]);
    }
    if any(&|word| word == "quality" || word.starts_with("test") || word == "qa") {
        gates.push(Gate::S06);
    }
    if any(&|word| word == "security") {
        gates.push(Gate::S07);
    }
    gates.sort();
    gates.dedup();
    gates
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn explicit_gates_win() {
        assert_eq!(
            stages_from_text("must be S09 for staging, S10 for production"),
            vec![Gate::S09, Gate::S10]
        );
        assert_eq!(stages_from_text("Security review (S07)"), vec![Gate::S07]);
        assert_eq!(explicit_gates("S11 XS09 S090 S06"), vec![Gate::S06]);
    }

    #[test]
    fn keywords_apply_without_explicit_gates() {
        assert_eq!(
            stages_from_text("Deployment (Stage 6)"),
            vec![Gate::S09, Gate::S10]
        );
        assert_eq!(stages_from_text("QA and Testing"), vec![Gate::S06]);
        assert_eq!(stages_from_text("Security"), vec![Gate::S07]);
        assert_eq!(stages_from_text("Discovery"), Vec::<Gate>::new());
    }
}
