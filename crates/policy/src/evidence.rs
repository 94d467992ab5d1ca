//! Whether a command line a persona ran counts as evidence for a gate (`[gates.S06] commands`).
//!
//! Owns: reading the line with the same shell reader as the command policy and accepting it
//! only when it is exactly one plain command — no lists, pipes, background jobs, substitutions,
//! variables, globs or assignments — whose words match a pattern. So the exit status agentctl
//! recorded is that command's own: `cargo test || true` (two commands), `true # cargo test`
//! (the comment is not a word), `echo cargo test` (its first word is `echo`) and
//! `cargo test &` (exit status of the shell, not the tests) do not count.
//!
//! Does not know about: runs, exit codes or the audit log; the engine pairs a match with the
//! recorded result.

use crate::shell::{self, RedirectionKind};
use crate::wildcard::WildcardPattern;

/// The pattern `command` matches, or why it is not evidence.
pub fn evidence_command_match(command: &str, patterns: &[String]) -> Result<String, String> {
    let script = shell::parse(command)
        .map_err(|error| format!("agentctl cannot read the command line: {error}"))?;
    if script.background {
        return Err("it runs a command in the background (`&`)".to_owned());
    }
    let [single] = script.commands.as_slice() else {
        return Err(format!(
            "it is {} commands, not one plain command",
            script.commands.len()
        ));
    };
    if !single.assignments.is_empty() {
        return Err("it sets variables before the command".to_owned());
    }
    if script
        .redirections
        .iter()
        .any(|redirection| redirection.kind != RedirectionKind::Duplicate)
    {
        return Err("it redirects input or output to a file".to_owned());
    }
    let mut words = Vec::with_capacity(single.words.len());
    for word in &single.words {
        match word.static_text() {
            Some(text) => words.push(text),
            None => {
                return Err(format!(
                    "its word `{}` changes at run time (a variable, substitution or glob)",
                    word.text()
                ))
            }
        }
    }
    if words
        .first()
        .is_none_or(|program| program.is_empty() || program.contains(char::is_whitespace))
    {
        return Err("it names no program".to_owned());
    }
    let subject = words.join(" ");
    patterns
        .iter()
        .find(|pattern| WildcardPattern::new(pattern, false).matches(&subject))
        .cloned()
        .ok_or_else(|| format!("`{subject}` matches none of {}", patterns.join(", ")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn patterns() -> Vec<String> {
        vec!["cargo test*".to_owned(), "python3 -m unittest*".to_owned()]
    }

    #[test]
    fn plain_commands_match() {
        assert_eq!(
            evidence_command_match("cargo test --workspace", &patterns()).unwrap(),
            "cargo test*"
        );
        assert!(
            evidence_command_match("python3 -m unittest discover -s tests 2>&1", &patterns())
                .is_ok()
        );
        assert!(evidence_command_match("'cargo' test", &patterns()).is_ok());
    }

    #[test]
    fn attacks_do_not_count() {
        for attack in [
            "true # cargo test",
            "cargo test || true",
            "cargo test; true",
            "false && cargo test",
            "echo cargo test",
            "cargo test &",
            "cargo test | tee out.txt",
            "cargo test > /dev/null",
            "CARGO=true cargo test",
            "$RUNNER test",
            "cargo test $(true)",
            "\"cargo test\"",
            "sh -c 'cargo test'",
            "( cargo test & )",
        ] {
            assert!(
                evidence_command_match(attack, &patterns()).is_err(),
                "{attack} was accepted"
            );
        }
    }
}
