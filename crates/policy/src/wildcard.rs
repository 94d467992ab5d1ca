//! `*` patterns for shell commands and AWS `service:Operation` calls.
//!
//! Owns: compiling a pattern such as `git diff *` (where `*` matches any run of characters,
//! spaces included, and everything else is literal) and two questions about it: does it match
//! this exact text, and could it match some text a partly unknown subject turns into at run
//! time. Does not know about shells, AWS or decisions.

/// One position of a pattern or of a subject: a literal character, or "any run of characters".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Token {
    Char(char),
    /// In a pattern, `*`. In a subject, text only known at run time (an expansion or a glob).
    Any,
}

/// A compiled `*` pattern. Runs of whitespace in the pattern collapse to one space, because
/// the subject is a command's words joined by single spaces.
#[derive(Debug, Clone)]
pub(crate) struct WildcardPattern {
    text: String,
    tokens: Vec<Token>,
    case_insensitive: bool,
}

impl WildcardPattern {
    pub(crate) fn new(pattern: &str, case_insensitive: bool) -> WildcardPattern {
        let text = pattern.split_whitespace().collect::<Vec<_>>().join(" ");
        let mut tokens: Vec<Token> = Vec::with_capacity(text.len());
        for character in text.chars() {
            let token = if character == '*' {
                Token::Any
            } else {
                Token::Char(fold(character, case_insensitive))
            };
            // `**` means the same as `*`; collapsing keeps the search table small.
            if !(token == Token::Any && tokens.last() == Some(&Token::Any)) {
                tokens.push(token);
            }
        }
        WildcardPattern {
            text,
            tokens,
            case_insensitive,
        }
    }

    /// The pattern as the persona wrote it, whitespace normalised.
    pub(crate) fn text(&self) -> &str {
        &self.text
    }

    /// Whether the pattern matches exactly this text.
    pub(crate) fn matches(&self, subject: &str) -> bool {
        let subject: Vec<Token> = subject.chars().map(Token::Char).collect();
        self.could_match(&subject)
    }

    /// Whether some run-time value of the subject's [`Token::Any`] parts makes the pattern
    /// match. With no `Any` in the subject this is the same as [`WildcardPattern::matches`].
    pub(crate) fn could_match(&self, subject: &[Token]) -> bool {
        let subject: Vec<Token> = subject
            .iter()
            .map(|token| match token {
                Token::Char(character) => Token::Char(fold(*character, self.case_insensitive)),
                Token::Any => Token::Any,
            })
            .collect();
        languages_intersect(&self.tokens, &subject)
    }
}

fn fold(character: char, case_insensitive: bool) -> char {
    if case_insensitive {
        character.to_ascii_lowercase()
    } else {
        character
    }
}

/// Whether some string is matched by both `*` patterns. A table over (pattern position,
/// subject position): a `*` on either side may match nothing or swallow the other side's next
/// token; equal characters advance both.
fn languages_intersect(pattern: &[Token], subject: &[Token]) -> bool {
    let columns = subject.len() + 1;
    let mut reachable = vec![false; (pattern.len() + 1) * columns];
    reachable[0] = true;
    for pattern_index in 0..=pattern.len() {
        for subject_index in 0..=subject.len() {
            if !reachable[pattern_index * columns + subject_index] {
                continue;
            }
            let pattern_token = pattern.get(pattern_index);
            let subject_token = subject.get(subject_index);
            let mut mark = |next_pattern: usize, next_subject: usize| {
                reachable[next_pattern * columns + next_subject] = true;
            };
            if pattern_token == Some(&Token::Any) {
                mark(pattern_index + 1, subject_index);
                if subject_token.is_some() {
                    mark(pattern_index, subject_index + 1);
                }
            }
            if subject_token == Some(&Token::Any) {
                mark(pattern_index, subject_index + 1);
                if pattern_token.is_some() {
                    mark(pattern_index + 1, subject_index);
                }
            }
            if let (Some(Token::Char(left)), Some(Token::Char(right))) =
                (pattern_token, subject_token)
            {
                if left == right {
                    mark(pattern_index + 1, subject_index + 1);
                }
            }
        }
    }
    reachable[pattern.len() * columns + subject.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn subject(parts: &[Option<&str>]) -> Vec<Token> {
        let mut tokens = Vec::new();
        for part in parts {
            match part {
                Some(text) => tokens.extend(text.chars().map(Token::Char)),
                None => tokens.push(Token::Any),
            }
        }
        tokens
    }

    #[test]
    fn star_matches_any_run_including_spaces() {
        let pattern = WildcardPattern::new("git diff *", false);
        assert!(pattern.matches("git diff --stat HEAD"));
        assert!(pattern.matches("git diff "));
        assert!(!pattern.matches("git diff"));
        assert!(!pattern.matches("git push"));
        assert!(!pattern.matches("git diffx"));
    }

    #[test]
    fn everything_but_star_is_literal() {
        let pattern = WildcardPattern::new("ls ?.md [a]", false);
        assert!(pattern.matches("ls ?.md [a]"));
        assert!(!pattern.matches("ls a.md a"));
    }

    #[test]
    fn star_in_the_middle() {
        let pattern = WildcardPattern::new("kubectl apply * -n production*", false);
        assert!(pattern.matches("kubectl apply -f k8s/ -n production"));
        assert!(pattern.matches("kubectl apply -f k8s/ -n production --wait"));
        assert!(!pattern.matches("kubectl apply -f k8s/ -n staging"));
    }

    #[test]
    fn pattern_whitespace_is_normalised() {
        let pattern = WildcardPattern::new("  git   status ", false);
        assert_eq!(pattern.text(), "git status");
        assert!(pattern.matches("git status"));
    }

    #[test]
    fn unknown_parts_could_match() {
        let pattern = WildcardPattern::new("rm -rf *", false);
        assert!(pattern.could_match(&subject(&[Some("rm -"), None, Some(" /")])));
        assert!(pattern.could_match(&subject(&[Some("rm"), None])));
        assert!(!pattern.could_match(&subject(&[Some("ls "), None])));
        assert!(!pattern.could_match(&subject(&[Some("rm -r")])));
    }

    #[test]
    fn case_insensitive_folds_both_sides() {
        let pattern = WildcardPattern::new("ecs:UpdateService", true);
        assert!(pattern.matches("ecs:updateservice"));
        let strict = WildcardPattern::new("ecs:UpdateService", false);
        assert!(!strict.matches("ecs:updateservice"));
    }
}
