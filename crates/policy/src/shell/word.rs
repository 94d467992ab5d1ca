//! One shell word after parsing: what is literal and what is only known at run time.
//!
//! Owns: the pieces of a word and the two views the policy needs of it — its text (quotes
//! removed, expansions shown as written) and its subject tokens (expansions as "anything").
//! Does not know about patterns or decisions.

use crate::wildcard::Token;

/// A piece of one word.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum WordPart {
    /// Text with quotes and escapes removed.
    Literal(String),
    /// An unquoted `*`, `?` or bracket expression character: pathname expansion at run time.
    Glob(char),
    /// `$NAME`, `${NAME}`, `$1`, `$@` … as written.
    Parameter(String),
    /// `$(…)` or `` `…` `` as written; its commands are parsed separately.
    Substitution(String),
}

/// A word of a simple command, an assignment value or a redirection target.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Word {
    pub(crate) parts: Vec<WordPart>,
}

impl Word {
    pub(crate) fn push_char(&mut self, character: char) {
        if let Some(WordPart::Literal(text)) = self.parts.last_mut() {
            text.push(character);
        } else {
            self.parts.push(WordPart::Literal(character.to_string()));
        }
    }

    pub(crate) fn push(&mut self, part: WordPart) {
        self.parts.push(part);
    }

    /// The word as the policy shows and matches it: quotes removed, expansions as written.
    pub(crate) fn text(&self) -> String {
        let mut text = String::new();
        for part in &self.parts {
            match part {
                WordPart::Literal(literal) => text.push_str(literal),
                WordPart::Glob(character) => text.push(*character),
                WordPart::Parameter(raw) | WordPart::Substitution(raw) => text.push_str(raw),
            }
        }
        text
    }

    /// The text when nothing in the word changes at run time.
    pub(crate) fn static_text(&self) -> Option<String> {
        if self.is_static() {
            Some(self.text())
        } else {
            None
        }
    }

    /// Whether the word is only unquoted expansions, which bash drops entirely when they
    /// expand to nothing.
    pub(crate) fn may_vanish(&self) -> bool {
        !self.parts.is_empty()
            && self
                .parts
                .iter()
                .all(|part| matches!(part, WordPart::Parameter(_) | WordPart::Substitution(_)))
    }

    pub(crate) fn is_static(&self) -> bool {
        self.parts
            .iter()
            .all(|part| matches!(part, WordPart::Literal(_)))
    }

    /// Tokens for "could this match a pattern once expanded": every run-time piece is
    /// [`Token::Any`].
    pub(crate) fn subject_tokens(&self) -> Vec<Token> {
        let mut tokens = Vec::new();
        for part in &self.parts {
            match part {
                WordPart::Literal(literal) => tokens.extend(literal.chars().map(Token::Char)),
                WordPart::Glob(_) | WordPart::Parameter(_) | WordPart::Substitution(_) => {
                    if tokens.last() != Some(&Token::Any) {
                        tokens.push(Token::Any);
                    }
                }
            }
        }
        tokens
    }

    /// Bracket characters only form a glob when a `[` is later closed by `]` in the same
    /// word; `[ -f x ]` is the test command, not a pattern.
    pub(crate) fn settle_brackets(&mut self) {
        let opening = self
            .parts
            .iter()
            .position(|part| part == &WordPart::Glob('['));
        let closed = opening.is_some_and(|start| {
            self.parts[start..]
                .iter()
                .any(|part| part == &WordPart::Glob(']'))
        });
        if closed {
            return;
        }
        let parts = std::mem::take(&mut self.parts);
        for part in parts {
            match part {
                WordPart::Glob(character @ ('[' | ']')) => self.push_char(character),
                // An empty literal marks a quoted part (`""`): keep it, it stops the word from
                // vanishing.
                WordPart::Literal(text) if text.is_empty() => self.push(WordPart::Literal(text)),
                WordPart::Literal(text) => text.chars().for_each(|c| self.push_char(c)),
                other => self.push(other),
            }
        }
    }
}

/// Builds the subject tokens of a simple command: words joined by single spaces. A word that
/// starts with a run-time piece also swallows the space before it, because an empty unquoted
/// expansion disappears together with its word.
pub(crate) fn join_subject(words: &[&Word]) -> Vec<Token> {
    let mut tokens = Vec::new();
    for (index, word) in words.iter().enumerate() {
        let word_tokens = word.subject_tokens();
        if index > 0 {
            if word_tokens.first() == Some(&Token::Any) {
                if tokens.last() != Some(&Token::Any) {
                    tokens.push(Token::Any);
                }
                tokens.extend(word_tokens.into_iter().skip(1));
                continue;
            }
            tokens.push(Token::Char(' '));
        }
        tokens.extend(word_tokens);
    }
    tokens
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_and_tokens_of_a_mixed_word() {
        let mut word = Word::default();
        word.push_char('-');
        word.push(WordPart::Parameter("$FLAGS".into()));
        word.push_char('x');
        assert_eq!(word.text(), "-$FLAGSx");
        assert!(!word.is_static());
        assert_eq!(
            word.subject_tokens(),
            vec![Token::Char('-'), Token::Any, Token::Char('x')]
        );
    }

    #[test]
    fn unmatched_brackets_are_literal() {
        let mut word = Word::default();
        word.push(WordPart::Glob('['));
        word.settle_brackets();
        assert_eq!(word.static_text().as_deref(), Some("["));

        let mut glob = Word::default();
        glob.push(WordPart::Glob('['));
        glob.push_char('a');
        glob.push(WordPart::Glob(']'));
        glob.settle_brackets();
        assert!(!glob.is_static());
    }

    #[test]
    fn leading_expansion_swallows_the_space() {
        let mut command = Word::default();
        command.push_char('r');
        command.push_char('m');
        let mut flags = Word::default();
        flags.push(WordPart::Parameter("$X".into()));
        let mut target = Word::default();
        target.push_char('/');
        let tokens = join_subject(&[&command, &flags, &target]);
        assert_eq!(
            tokens,
            vec![
                Token::Char('r'),
                Token::Char('m'),
                Token::Any,
                Token::Char(' '),
                Token::Char('/')
            ]
        );
    }
}
