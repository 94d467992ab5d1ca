//! A deliberately small shell parser for `execute_bash` command text.
//!
//! Owns: turning command text into every simple command it would run (including those inside
//! `$(…)`, backticks, subshells and `{ …; }` groups) and every redirection, with quotes removed.
//! It understands lists (`;`, `&&`, `||`, `&`, newlines), pipelines (`|`, `|&`), quoting,
//! escapes, comments, `$NAME`/`${NAME}` and redirections. Everything else bash can do —
//! here-documents, `if`/`for`/`while`/`case`, functions, arithmetic, process substitution,
//! brace expansion, `${…}` operators, `$'…'` — is a [`ShellError`], so the policy denies it
//! rather than guess. Does not know about patterns, wrappers such as `sh -c`, or decisions.

mod grammar;
mod quoting;
mod word;

pub(crate) use word::{join_subject, Word, WordPart};

/// How deep `( )`, `{ }`, `$( )` and backticks may nest before the parser gives up.
const MAX_DEPTH: usize = 32;

/// Words that start constructs this parser does not model. A command starting with one of them
/// is refused.
const RESERVED_WORDS: [&str; 22] = [
    "if", "then", "else", "elif", "fi", "do", "done", "case", "esac", "while", "until", "for",
    "in", "select", "function", "time", "coproc", "!", "[[", "]]", "{", "}",
];

/// Command text the parser does not fully understand.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub(crate) struct ShellError {
    message: String,
}

impl ShellError {
    fn new(message: impl Into<String>) -> ShellError {
        ShellError {
            message: message.into(),
        }
    }
}

/// Every simple command and redirection found in one piece of command text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ParsedScript {
    pub(crate) commands: Vec<SimpleCommand>,
    pub(crate) redirections: Vec<Redirection>,
    /// A command was put in the background with `&`: the line's exit status is not its own.
    pub(crate) background: bool,
}

/// `NAME=value … word word …`, without its redirections (those are in
/// [`ParsedScript::redirections`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct SimpleCommand {
    pub(crate) assignments: Vec<Assignment>,
    pub(crate) words: Vec<Word>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Assignment {
    pub(crate) name: String,
    pub(crate) value: Word,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RedirectionKind {
    /// `<`
    Read,
    /// `>`, `>>`, `>|`, `&>`, `&>>`, `>&file`
    Write,
    /// `<>`
    ReadWrite,
    /// `2>&1`, `>&2`, `<&0`, `>&-`: no file involved.
    Duplicate,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Redirection {
    /// The operator as written, with its file descriptor: `2>`, `>>`, `&>`.
    pub(crate) operator: String,
    pub(crate) kind: RedirectionKind,
    pub(crate) target: Word,
}

/// Parses command text. Fails on anything outside the supported subset.
/// The subset reader alone, without the bash grammar (for measurements).
#[cfg(test)]
pub(crate) fn parse_subset(text: &str) -> Result<ParsedScript, ShellError> {
    parse_at_depth(text, 0)
}

/// The text is read twice, by the subset reader below and by the bash grammar, and the two
/// readings must agree.
pub(crate) fn parse(text: &str) -> Result<ParsedScript, ShellError> {
    let script = parse_at_depth(text, 0)?;
    grammar::cross_check(text, &script)?;
    Ok(script)
}

fn parse_at_depth(text: &str, depth: usize) -> Result<ParsedScript, ShellError> {
    if depth > MAX_DEPTH {
        return Err(ShellError::new(format!(
            "commands nest more than {MAX_DEPTH} levels deep"
        )));
    }
    let mut parser = Parser {
        chars: text.chars().collect(),
        position: 0,
        depth,
        script: ParsedScript::default(),
    };
    parser.parse_list(Closer::End)?;
    Ok(parser.script)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Closer {
    End,
    Parenthesis,
    Brace,
}

struct Parser {
    chars: Vec<char>,
    position: usize,
    depth: usize,
    script: ParsedScript,
}

fn is_metacharacter(character: char) -> bool {
    matches!(
        character,
        ' ' | '\t' | '\n' | ';' | '&' | '|' | '<' | '>' | '(' | ')'
    )
}

impl Parser {
    /// The index of the first character at or after `index` that is not part of a
    /// backslash-newline pair. Bash removes those pairs before it splits words (outside single
    /// quotes and comments), so `$\<newline>(` is `$(`; the cursor sees the text the same way.
    fn skip_continuations(&self, mut index: usize) -> usize {
        while self.chars.get(index) == Some(&'\\') && self.chars.get(index + 1) == Some(&'\n') {
            index += 2;
        }
        index
    }

    /// The raw index of the character `offset` places ahead, line continuations removed.
    fn logical_index(&self, offset: usize) -> usize {
        let mut index = self.skip_continuations(self.position);
        for _ in 0..offset {
            index = self.skip_continuations(index + 1);
        }
        index
    }

    fn peek(&self) -> Option<char> {
        self.peek_at(0)
    }

    fn peek_at(&self, offset: usize) -> Option<char> {
        self.chars.get(self.logical_index(offset)).copied()
    }

    /// The character right after the one at the cursor, with no continuation removed: what a
    /// backslash at the cursor escapes.
    fn escaped_character(&self) -> Option<char> {
        self.chars.get(self.logical_index(0) + 1).copied()
    }

    /// Moves past `count` characters, line continuations removed.
    fn advance(&mut self, count: usize) {
        if count == 0 {
            return;
        }
        self.position = self.logical_index(count - 1) + 1;
    }

    /// Moves past the backslash at the cursor and the character it escapes.
    fn advance_escape(&mut self) {
        self.position = self.logical_index(0) + 2;
    }

    fn skip_blanks(&mut self) {
        while let Some(' ' | '\t') = self.peek() {
            self.advance(1);
        }
    }

    /// A comment runs to the end of the line; bash does not join lines inside it.
    fn skip_comment(&mut self) {
        if self.peek() == Some('#') {
            self.position = self.logical_index(0);
            while self
                .chars
                .get(self.position)
                .is_some_and(|character| *character != '\n')
            {
                self.advance(1);
            }
        }
    }

    /// Whether the text at the cursor is exactly `word` followed by a word boundary.
    fn at_reserved_word(&self, word: &str) -> bool {
        let length = word.chars().count();
        word.chars()
            .enumerate()
            .all(|(offset, character)| self.peek_at(offset) == Some(character))
            && self.peek_at(length).is_none_or(is_metacharacter)
    }

    fn at_redirection(&self) -> bool {
        let mut offset = 0;
        while self.peek_at(offset).is_some_and(|c| c.is_ascii_digit()) {
            offset += 1;
        }
        match self.peek_at(offset) {
            Some('<' | '>') => true,
            Some('&') => offset == 0 && self.peek_at(1) == Some('>'),
            _ => false,
        }
    }

    fn nested(
        &mut self,
        parse: impl FnOnce(&mut Parser) -> Result<(), ShellError>,
    ) -> Result<(), ShellError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(ShellError::new(format!(
                "commands nest more than {MAX_DEPTH} levels deep"
            )));
        }
        let result = parse(self);
        self.depth -= 1;
        result
    }

    fn parse_list(&mut self, closer: Closer) -> Result<(), ShellError> {
        // `needs_command`: after `|`, `&&` or `||` another command must follow.
        // `has_command`: a command ended and no separator has been seen since.
        let mut needs_command = false;
        let mut has_command = false;
        let mut any_command = false;
        loop {
            self.skip_blanks();
            self.skip_comment();
            let Some(character) = self.peek() else {
                if needs_command {
                    return Err(ShellError::new("the command ends after `|`, `&&` or `||`"));
                }
                return match closer {
                    Closer::End => Ok(()),
                    Closer::Parenthesis => Err(ShellError::new("a `(` is never closed")),
                    Closer::Brace => Err(ShellError::new("a `{` group is never closed with `; }`")),
                };
            };
            let separator_allowed = has_command && !needs_command;
            match character {
                '\n' => {
                    self.advance(1);
                    has_command = false;
                }
                ';' => {
                    if self.peek_at(1) == Some(';') {
                        return Err(ShellError::new(
                            "`;;` belongs to `case`, which is not supported",
                        ));
                    }
                    if !separator_allowed {
                        return Err(ShellError::new("unexpected `;`"));
                    }
                    self.advance(1);
                    has_command = false;
                }
                '&' if self.peek_at(1) != Some('>') => {
                    if !separator_allowed {
                        return Err(ShellError::new("unexpected `&`"));
                    }
                    if self.peek_at(1) == Some('&') {
                        self.advance(2);
                        needs_command = true;
                    } else {
                        self.script.background = true;
                        self.advance(1);
                    }
                    has_command = false;
                }
                '|' => {
                    if !separator_allowed {
                        return Err(ShellError::new("unexpected `|`"));
                    }
                    let width = if matches!(self.peek_at(1), Some('|' | '&')) {
                        2
                    } else {
                        1
                    };
                    self.advance(width);
                    needs_command = true;
                    has_command = false;
                }
                ')' => {
                    if closer != Closer::Parenthesis {
                        return Err(ShellError::new("unexpected `)`"));
                    }
                    if needs_command || !any_command {
                        return Err(ShellError::new("unexpected `)`"));
                    }
                    self.advance(1);
                    return Ok(());
                }
                _ => {
                    if closer == Closer::Brace && self.at_reserved_word("}") {
                        if needs_command || !any_command {
                            return Err(ShellError::new("unexpected `}`"));
                        }
                        self.advance(1);
                        return Ok(());
                    }
                    if has_command {
                        return Err(ShellError::new(format!(
                            "unexpected `{character}` after a `( )` or `{{ }}` group"
                        )));
                    }
                    self.parse_command()?;
                    has_command = true;
                    any_command = true;
                    needs_command = false;
                }
            }
        }
    }

    fn parse_command(&mut self) -> Result<(), ShellError> {
        if self.peek() == Some('(') {
            if self.peek_at(1) == Some('(') {
                return Err(ShellError::new("arithmetic `(( ))` is not supported"));
            }
            self.advance(1);
            self.nested(|parser| parser.parse_list(Closer::Parenthesis))?;
            return self.parse_trailing_redirections();
        }
        if self.at_reserved_word("{") {
            self.advance(1);
            self.nested(|parser| parser.parse_list(Closer::Brace))?;
            return self.parse_trailing_redirections();
        }
        self.parse_simple_command()
    }

    fn parse_trailing_redirections(&mut self) -> Result<(), ShellError> {
        loop {
            self.skip_blanks();
            if self.at_redirection() {
                self.parse_redirection()?;
                continue;
            }
            return match self.peek() {
                None | Some(';' | '&' | '|' | '\n' | ')' | '#') => Ok(()),
                Some(other) => Err(ShellError::new(format!(
                    "unexpected `{other}` after a `( )` or `{{ }}` group"
                ))),
            };
        }
    }

    fn parse_simple_command(&mut self) -> Result<(), ShellError> {
        let mut command = SimpleCommand::default();
        loop {
            self.skip_blanks();
            match self.peek() {
                None | Some(';' | '\n' | '|' | ')' | '#') => break,
                Some('&') if self.peek_at(1) != Some('>') => break,
                Some('(') => return Err(ShellError::new(
                    "a `(` inside a command (a function definition or an array) is not supported",
                )),
                _ => {}
            }
            if self.at_redirection() {
                self.parse_redirection()?;
                continue;
            }
            if command.words.is_empty() {
                if let Some(name) = self.take_assignment_name() {
                    let value = self.read_word()?.unwrap_or_default();
                    command.assignments.push(Assignment { name, value });
                    continue;
                }
            }
            let Some(word) = self.read_word()? else {
                return Err(ShellError::new("expected a word"));
            };
            if command.words.is_empty() {
                let text = word.text();
                if RESERVED_WORDS.contains(&text.as_str()) {
                    return Err(ShellError::new(format!(
                        "`{text}` starts a shell construct the policy does not support \
                         (if, for, while, case, functions, `[[ ]]`, `!`, `time`); \
                         run the commands one by one"
                    )));
                }
            }
            command.words.push(word);
        }
        self.script.commands.push(command);
        Ok(())
    }

    /// Consumes `NAME=` or `NAME+=` when the cursor is at an unquoted assignment.
    fn take_assignment_name(&mut self) -> Option<String> {
        let first = self.peek()?;
        if !(first.is_ascii_alphabetic() || first == '_') {
            return None;
        }
        let mut offset = 1;
        while self
            .peek_at(offset)
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            offset += 1;
        }
        let name_end = offset;
        if self.peek_at(offset) == Some('+') {
            offset += 1;
        }
        if self.peek_at(offset) != Some('=') {
            return None;
        }
        let name: String = (0..name_end)
            .filter_map(|index| self.peek_at(index))
            .collect();
        self.advance(offset + 1);
        Some(name)
    }

    fn parse_redirection(&mut self) -> Result<(), ShellError> {
        let mut operator = String::new();
        while let Some(digit) = self.peek().filter(char::is_ascii_digit) {
            operator.push(digit);
            self.advance(1);
        }
        let following = (self.peek(), self.peek_at(1), self.peek_at(2));
        let (width, kind, duplicates) = match following {
            (Some('&'), Some('>'), Some('>')) => (3, RedirectionKind::Write, false),
            (Some('&'), Some('>'), _) => (2, RedirectionKind::Write, false),
            (Some('<'), Some('<'), Some('<')) => {
                return Err(ShellError::new("here-strings `<<<` are not supported"))
            }
            (Some('<'), Some('<'), _) => {
                return Err(ShellError::new(
                    "here-documents `<<` are not supported; write the file with fs_write first",
                ))
            }
            (Some('<' | '>'), Some('('), _) => {
                return Err(ShellError::new(
                    "process substitution `<( )` / `>( )` is not supported",
                ))
            }
            (Some('<'), Some('>'), _) => (2, RedirectionKind::ReadWrite, false),
            (Some('<'), Some('&'), _) => (2, RedirectionKind::Duplicate, true),
            (Some('<'), _, _) => (1, RedirectionKind::Read, false),
            (Some('>'), Some('>' | '|'), _) => (2, RedirectionKind::Write, false),
            (Some('>'), Some('&'), _) => (2, RedirectionKind::Write, true),
            (Some('>'), _, _) => (1, RedirectionKind::Write, false),
            _ => return Err(ShellError::new("expected a redirection")),
        };
        operator.extend((0..width).filter_map(|index| self.peek_at(index)));
        self.advance(width);
        self.skip_blanks();
        let Some(target) = self.read_word()? else {
            return Err(ShellError::new(format!(
                "redirection `{operator}` has no target"
            )));
        };
        let kind = if duplicates {
            let text = target.static_text().unwrap_or_default();
            let digits = text.trim_end_matches('-');
            let is_descriptor =
                text == "-" || (!digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit()));
            if is_descriptor {
                RedirectionKind::Duplicate
            } else if operator.ends_with("<&") {
                return Err(ShellError::new(format!(
                    "`{operator}` needs a file descriptor number"
                )));
            } else {
                // `>&file` sends both output streams to the file.
                kind
            }
        } else {
            kind
        };
        self.script.redirections.push(Redirection {
            operator,
            kind,
            target,
        });
        Ok(())
    }
}

#[cfg(test)]
mod tests;
