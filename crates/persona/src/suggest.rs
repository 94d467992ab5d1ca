//! "Did you mean …?" for misspelt keys and names, and the message for a name that names nothing.
//!
//! The distance is `strsim`'s optimal string alignment (insertions, deletions, substitutions and
//! swaps of two neighbours), so `wirte` is one edit from `write`.
//!
//! Does not know about: what the candidates are; callers pass the valid spellings.

use agentctl_protocol::Diagnostic;

/// The closest candidate when it is close enough to be a plausible typo: at most a third of
/// the word's length away (and at least one edit allowed).
pub fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (word.chars().count() / 3).max(1);
    candidates
        .into_iter()
        .map(|candidate| (strsim::osa_distance(word, candidate), candidate))
        .filter(|(distance, _)| *distance <= limit)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| candidate)
}

/// How many known names a hint lists before it points at `agentctl personas` instead.
const LISTED_NAMES: usize = 12;

/// The error for a persona or stage command name that names nothing. It has no file: the
/// mistake is in what was typed, so it prints as `error: no persona … named `x``.
pub fn unknown_persona<'a>(name: &str, known: impl IntoIterator<Item = &'a str>) -> Diagnostic {
    let mut known: Vec<&str> = known.into_iter().collect();
    known.sort_unstable();
    known.dedup();
    let message = format!("no persona or stage command named `{name}`");
    if known.is_empty() {
        return Diagnostic::error("", None, message)
            .with_hint("the library is empty; `agentctl init` scaffolds the default team");
    }
    let suggestion = closest(name, known.iter().copied())
        .map(|candidate| format!("did you mean `{candidate}`? "))
        .unwrap_or_default();
    let listed = if known.len() > LISTED_NAMES {
        format!(
            "{}, … ({} in all; `agentctl personas` lists them)",
            known[..LISTED_NAMES].join(", "),
            known.len()
        )
    } else {
        known.join(", ")
    };
    Diagnostic::error("", None, message).with_hint(format!("{suggestion}known: {listed}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions_only_for_near_misses() {
        let keys = ["tools", "write", "handoffs"];
        assert_eq!(closest("wirte", keys), Some("write"));
        assert_eq!(closest("handoff", keys), Some("handoffs"));
        assert_eq!(closest("favourite_colour", keys), None);
    }

    #[test]
    fn an_unknown_name_has_no_location_and_a_suggestion() {
        let error = unknown_persona("ops-devop", ["qa", "ops-devops"]);
        assert_eq!(error.path, std::path::PathBuf::new());
        assert_eq!(error.line, None);
        assert_eq!(
            error.to_string(),
            "no persona or stage command named `ops-devop`"
        );
        assert_eq!(
            error.hint.as_deref(),
            Some("did you mean `ops-devops`? known: ops-devops, qa")
        );
        let many: Vec<String> = (0..20).map(|index| format!("p{index:02}")).collect();
        let error = unknown_persona("zzz", many.iter().map(String::as_str));
        assert!(error
            .hint
            .as_deref()
            .unwrap()
            .ends_with("p11, … (20 in all; `agentctl personas` lists them)"));
    }
}
