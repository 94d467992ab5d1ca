//! Reading one shell word: quotes, escapes, `$` expansions, backticks and globs.
//!
//! Owns: how the characters of a word become [`WordPart`]s, and handing `$( )` and backtick
//! bodies back to the list parser. Does not know about lists, pipelines or redirections.

use super::{is_metacharacter, parse_at_depth, Closer, Parser, ShellError, Word, WordPart};

impl Parser {
    /// Reads one word; `None` when the cursor is at a metacharacter or the end.
    pub(super) fn read_word(&mut self) -> Result<Option<Word>, ShellError> {
        let mut word = Word::default();
        let mut consumed = false;
        let mut opens_brace = false;
        let mut closes_brace = false;
        while let Some(character) = self.peek() {
            if is_metacharacter(character) {
                break;
            }
            match character {
                '\\' => match self.escaped_character() {
                    Some(escaped) => {
                        word.push_char(escaped);
                        self.advance_escape();
                    }
                    None => {
                        word.push_char('\\');
                        self.advance(1);
                    }
                },
                '\'' => self.read_single_quoted(&mut word)?,
                '"' => self.read_double_quoted(&mut word)?,
                '$' => self.read_dollar(&mut word, false)?,
                '`' => self.read_backticks(&mut word, false)?,
                '*' | '?' | '[' | ']' => {
                    word.push(WordPart::Glob(character));
                    self.advance(1);
                }
                _ => {
                    opens_brace |= character == '{';
                    closes_brace |= character == '}';
                    word.push_char(character);
                    self.advance(1);
                }
            }
            consumed = true;
        }
        if !consumed {
            return Ok(None);
        }
        if opens_brace && closes_brace && word.text() != "{}" {
            return Err(ShellError::new(format!(
                "brace expansion in `{}` is not supported; write the words out",
                word.text()
            )));
        }
        word.settle_brackets();
        Ok(Some(word))
    }

    fn read_single_quoted(&mut self, word: &mut Word) -> Result<(), ShellError> {
        self.advance(1);
        // An empty quoted string is still a (empty) word.
        word.push(WordPart::Literal(String::new()));
        // Inside single quotes a backslash-newline is two literal characters: read raw.
        loop {
            match self.chars.get(self.position).copied() {
                None => return Err(ShellError::new("a single quote is never closed")),
                Some('\'') => {
                    self.position += 1;
                    return Ok(());
                }
                Some(character) => {
                    word.push_char(character);
                    self.position += 1;
                }
            }
        }
    }

    fn read_double_quoted(&mut self, word: &mut Word) -> Result<(), ShellError> {
        self.advance(1);
        word.push(WordPart::Literal(String::new()));
        loop {
            match self.peek() {
                None => return Err(ShellError::new("a double quote is never closed")),
                Some('"') => {
                    self.advance(1);
                    return Ok(());
                }
                Some('\\') => match self.escaped_character() {
                    Some(escaped @ ('$' | '`' | '"' | '\\')) => {
                        word.push_char(escaped);
                        self.advance_escape();
                    }
                    _ => {
                        word.push_char('\\');
                        self.advance(1);
                    }
                },
                Some('$') => self.read_dollar(word, true)?,
                Some('`') => self.read_backticks(word, true)?,
                Some(character) => {
                    word.push_char(character);
                    self.advance(1);
                }
            }
        }
    }

    fn read_dollar(&mut self, word: &mut Word, quoted: bool) -> Result<(), ShellError> {
        let start = self.position;
        match self.peek_at(1) {
            Some('(') => {
                if self.peek_at(2) == Some('(') {
                    return Err(ShellError::new("arithmetic `$(( ))` is not supported"));
                }
                self.advance(2);
                self.nested(|parser| parser.parse_list(Closer::Parenthesis))?;
                let raw: String = self.chars[start..self.position].iter().collect();
                word.push(WordPart::Substitution(raw));
            }
            Some('{') => {
                let body_start = self.logical_index(2);
                let Some(length) = self.chars[body_start..].iter().position(|&c| c == '}') else {
                    return Err(ShellError::new("a `${` is never closed"));
                };
                let body: String = self.chars[body_start..body_start + length].iter().collect();
                if !is_parameter_name(&body) {
                    return Err(ShellError::new(format!(
                        "`${{{body}}}` is not supported; only plain `${{NAME}}` expansions are"
                    )));
                }
                self.position = body_start + length + 1;
                let raw: String = self.chars[start..self.position].iter().collect();
                word.push(WordPart::Parameter(raw));
            }
            Some('[') => return Err(ShellError::new("arithmetic `$[ ]` is not supported")),
            Some('\'') if !quoted => {
                return Err(ShellError::new("ANSI-C quoting `$'…'` is not supported"))
            }
            Some('"') if !quoted => {
                return Err(ShellError::new("locale quoting `$\"…\"` is not supported"))
            }
            Some(first) if first.is_ascii_alphabetic() || first == '_' => {
                self.advance(2);
                while self
                    .peek()
                    .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
                {
                    self.advance(1);
                }
                let raw: String = self.chars[start..self.position].iter().collect();
                word.push(WordPart::Parameter(raw));
            }
            Some(special) if special.is_ascii_digit() || "@*#?$!-".contains(special) => {
                self.advance(2);
                word.push(WordPart::Parameter(format!("${special}")));
            }
            _ => {
                word.push_char('$');
                self.advance(1);
            }
        }
        Ok(())
    }

    fn read_backticks(&mut self, word: &mut Word, quoted: bool) -> Result<(), ShellError> {
        let start = self.position;
        self.advance(1);
        let mut inner = String::new();
        loop {
            match self.peek() {
                None => return Err(ShellError::new("a backtick is never closed")),
                Some('`') => {
                    self.advance(1);
                    break;
                }
                Some('\\') => {
                    match self.escaped_character() {
                        Some(escaped @ ('`' | '\\' | '$')) => inner.push(escaped),
                        Some('"') if quoted => inner.push('"'),
                        Some(other) => {
                            inner.push('\\');
                            inner.push(other);
                        }
                        None => inner.push('\\'),
                    }
                    self.advance_escape();
                }
                Some(character) => {
                    inner.push(character);
                    self.advance(1);
                }
            }
        }
        let nested = parse_at_depth(&inner, self.depth + 1)?;
        self.script.commands.extend(nested.commands);
        self.script.redirections.extend(nested.redirections);
        let raw: String = self.chars[start..self.position.min(self.chars.len())]
            .iter()
            .collect();
        word.push(WordPart::Substitution(raw));
        Ok(())
    }
}

fn is_parameter_name(body: &str) -> bool {
    let mut characters = body.chars();
    match characters.next() {
        Some(first) if first.is_ascii_alphabetic() || first == '_' => {
            characters.all(|c| c.is_ascii_alphanumeric() || c == '_')
        }
        Some(first) if first.is_ascii_digit() => characters.all(|c| c.is_ascii_digit()),
        Some('@' | '*' | '#' | '?' | '$' | '!' | '-') => characters.next().is_none(),
        _ => false,
    }
}
