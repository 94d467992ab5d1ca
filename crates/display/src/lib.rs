//! Text from models and tools made safe to show a human.
//!
//! Owns: deciding which characters must never reach a terminal, an editor or a Markdown view
//! as they are, and how they are shown instead. Every C0 and C1 control (which covers ESC, so
//! every escape sequence: CSI, OSC, DCS, and the one-byte C1 CSI U+009B), DEL, every Unicode
//! format character (bidi embeddings, overrides and isolates such as U+202E, zero-width
//! characters, U+FEFF, the invisible tag characters U+E0000–U+E007F), the line and paragraph
//! separators, and the handful of letters that render as nothing (Hangul fillers and similar)
//! are replaced by visible escapes:
//!
//! - C0 controls and DEL become their Unicode control pictures: ESC `[2K` reads `␛[2K`, a
//!   carriage return `␍`, a newline inside one line `␊`;
//! - everything else becomes a Rust-style escape: `\u{202e}`, `\u{9b}`.
//!
//! The escapes are printable text, so escaping is idempotent and the rest of a sequence (`[2K`)
//! stays readable. [`line`] is for text shown inside one line of agentctl's own layout (a
//! progress line, a table cell, a prompt): nothing in it can start a new line. [`block`] is for
//! multi-line text (a model's answer, a chat reply): it keeps newlines, tabs and CRLF line ends,
//! which move the cursor only forward, and escapes a lone carriage return, which would let the
//! next text overwrite the line. JSON for humans goes through [`json_pretty`], which writes the
//! same characters as `\uXXXX` escapes so the strings stay exact once parsed.
//!
//! agentctl's own colours are added by a renderer *after* escaping, so content can never
//! carry a colour, a cursor movement or a hyperlink of its own.
//!
//! Why a crate of its own: the binary (terminal output) and `agentctl-audit` (the Markdown of
//! AUDIT_LOG.md and the JSON in its machine lines) must escape exactly the same characters, and
//! the audit crate sits below everything the binary uses. `agentctl-protocol` is vocabulary
//! with no rendering; this crate is rendering with no vocabulary. It depends only on
//! `unicode-properties` (for the general categories, so the set follows Unicode releases) and
//! serde_json.
//!
//! Does not know about: terminals, colours, Markdown, where text came from, or secrets
//! (redaction is `agentctl-audit`'s job and happens before display).

use std::borrow::Cow;
use std::io;

use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};

/// Letters and marks that render as nothing or as blank space in most fonts, used to hide
/// text in plain sight. They are not format characters, so the category alone misses them.
const INVISIBLE_LETTERS: &[char] = &[
    '\u{034f}', // combining grapheme joiner
    '\u{115f}', // Hangul choseong filler
    '\u{1160}', // Hangul jungseong filler
    '\u{17b4}', // Khmer vowel inherent aq
    '\u{17b5}', // Khmer vowel inherent aa
    '\u{180b}', // Mongolian free variation selectors one to three and four
    '\u{180c}', '\u{180d}', '\u{180f}', '\u{3164}', // Hangul filler
    '\u{ffa0}', // halfwidth Hangul filler
];

/// Whether `character` is never shown as it is: a control, a format or separator character,
/// or an invisible letter. Newline and tab are controls too; [`block`] keeps them by choice.
pub fn is_hidden(character: char) -> bool {
    if character.is_ascii() {
        return character.is_ascii_control();
    }
    matches!(
        character.general_category(),
        GeneralCategory::Control
            | GeneralCategory::Format
            | GeneralCategory::LineSeparator
            | GeneralCategory::ParagraphSeparator
    ) || INVISIBLE_LETTERS.contains(&character)
}

/// Appends `character` as it is shown: its visible escape if it is hidden, else itself.
pub fn push_char(out: &mut String, character: char) {
    if !is_hidden(character) {
        out.push(character);
        return;
    }
    let code = u32::from(character);
    match code {
        // C0 controls have pictures at U+2400 + code; DEL's is U+2421.
        0..=0x1f => out.push(char::from_u32(0x2400 + code).unwrap_or('\u{fffd}')),
        0x7f => out.push('\u{2421}'),
        _ => {
            out.push_str("\\u{");
            out.push_str(&format!("{code:x}"));
            out.push('}');
        }
    }
}

/// `text` for one line of a layout: every hidden character escaped, newline and tab included.
pub fn line(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_hidden) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for character in text.chars() {
        push_char(&mut out, character);
    }
    Cow::Owned(out)
}

/// `text` for a multi-line area: newlines, tabs and CRLF line ends kept, everything else that
/// is hidden escaped (a lone carriage return included).
pub fn block(text: &str) -> Cow<'_, str> {
    let keeps = |character: char| matches!(character, '\n' | '\t');
    if !text
        .chars()
        .any(|character| is_hidden(character) && !keeps(character))
    {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    let mut characters = text.chars().peekable();
    while let Some(character) = characters.next() {
        if keeps(character) || (character == '\r' && characters.peek() == Some(&'\n')) {
            out.push(character);
        } else {
            push_char(&mut out, character);
        }
    }
    Cow::Owned(out)
}

/// `text` escaped for one line (see [`line`]) and cut to at most `width` characters, an
/// ellipsis marking the cut. The whole text is kept, newlines shown as `␊`, so nothing after a
/// line break is hidden from the reader; it is cut after escaping, so an escape is never split.
pub fn cut_line(text: &str, width: usize) -> String {
    let escaped = line(text);
    if escaped.chars().count() > width {
        let mut cut: String = escaped.chars().take(width.saturating_sub(1)).collect();
        cut.push('…');
        cut
    } else {
        escaped.into_owned()
    }
}

/// Pretty JSON whose strings are exact once parsed but show hidden characters as `\uXXXX`
/// escapes, so the text itself is safe on a terminal.
pub fn json_pretty<T: serde::Serialize + ?Sized>(value: &T) -> Result<String, serde_json::Error> {
    let mut bytes = Vec::with_capacity(256);
    let formatter = SafeFormatter {
        inner: serde_json::ser::PrettyFormatter::new(),
    };
    let mut serializer = serde_json::Serializer::with_formatter(&mut bytes, formatter);
    value.serialize(&mut serializer)?;
    String::from_utf8(bytes).map_err(|error| serde::ser::Error::custom(error.to_string()))
}

/// Compact JSON with hidden characters written as `\uXXXX` escapes (see [`json_pretty`]).
pub fn json_compact<T: serde::Serialize + ?Sized>(value: &T) -> Result<String, serde_json::Error> {
    let mut bytes = Vec::with_capacity(256);
    let formatter = SafeFormatter {
        inner: serde_json::ser::CompactFormatter,
    };
    let mut serializer = serde_json::Serializer::with_formatter(&mut bytes, formatter);
    value.serialize(&mut serializer)?;
    String::from_utf8(bytes).map_err(|error| serde::ser::Error::custom(error.to_string()))
}

/// Writes a fragment of a JSON string (serde_json has already escaped quotes, backslashes and
/// C0 controls) with every hidden character, and every character `also` picks, as `\uXXXX`
/// (two escapes, a surrogate pair, above U+FFFF). For serde_json formatters.
pub fn write_json_fragment<W>(
    writer: &mut W,
    fragment: &str,
    also: impl Fn(char) -> bool,
) -> io::Result<()>
where
    W: ?Sized + io::Write,
{
    let mut start = 0;
    for (index, character) in fragment.char_indices() {
        if !is_hidden(character) && !also(character) {
            continue;
        }
        writer.write_all(&fragment.as_bytes()[start..index])?;
        let mut units = [0u16; 2];
        for unit in character.encode_utf16(&mut units) {
            write!(writer, "\\u{unit:04x}")?;
        }
        start = index + character.len_utf8();
    }
    writer.write_all(&fragment.as_bytes()[start..])
}

/// A serde_json formatter that delegates layout to `inner` and escapes hidden characters.
struct SafeFormatter<F> {
    inner: F,
}

impl<F: serde_json::ser::Formatter> serde_json::ser::Formatter for SafeFormatter<F> {
    fn write_string_fragment<W>(&mut self, writer: &mut W, fragment: &str) -> io::Result<()>
    where
        W: ?Sized + io::Write,
    {
        write_json_fragment(writer, fragment, |_| false)
    }

    fn begin_array<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.inner.begin_array(writer)
    }
    fn end_array<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.inner.end_array(writer)
    }
    fn begin_array_value<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.inner.begin_array_value(writer, first)
    }
    fn end_array_value<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.inner.end_array_value(writer)
    }
    fn begin_object<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.inner.begin_object(writer)
    }
    fn end_object<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.inner.end_object(writer)
    }
    fn begin_object_key<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.inner.begin_object_key(writer, first)
    }
    fn begin_object_value<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.inner.begin_object_value(writer)
    }
    fn end_object_value<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.inner.end_object_value(writer)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn escape_sequences_of_every_kind_become_visible() {
        assert_eq!(line("a\u{1b}[2K\rb"), "a␛[2K␍b");
        assert_eq!(line("\u{1b}[1A"), "␛[1A");
        assert_eq!(line("\u{1b}]0;title\u{7}"), "␛]0;title␇");
        assert_eq!(
            line("\u{1b}]8;;http://x\u{1b}\\link"),
            "␛]8;;http://x␛\\link"
        );
        assert_eq!(line("\u{1b}]52;c;ZXZpbA==\u{7}"), "␛]52;c;ZXZpbA==␇");
        assert_eq!(line("\u{9b}2K"), "\\u{9b}2K");
        assert_eq!(line("x\u{7f}"), "x␡");
    }

    #[test]
    fn bidi_and_invisible_characters_become_visible() {
        assert_eq!(line("abc\u{202e}fed"), "abc\\u{202e}fed");
        for hidden in [
            '\u{200b}',
            '\u{200c}',
            '\u{200d}',
            '\u{200e}',
            '\u{200f}',
            '\u{202a}',
            '\u{202b}',
            '\u{202c}',
            '\u{202d}',
            '\u{2066}',
            '\u{2067}',
            '\u{2068}',
            '\u{2069}',
            '\u{feff}',
            '\u{2028}',
            '\u{2029}',
            '\u{e0041}',
            '\u{ad}',
            '\u{3164}',
            '\u{61c}',
        ] {
            assert!(is_hidden(hidden), "{hidden:?}");
            assert!(!line(&hidden.to_string()).contains(hidden), "{hidden:?}");
        }
    }

    #[test]
    fn ordinary_text_is_untouched_and_escaping_is_idempotent() {
        let text = "plain ASCII, é, 日本語, emoji ❤\u{fe0f} and → arrows";
        assert!(matches!(line(text), Cow::Borrowed(_)));
        let once = line("a\u{1b}[2K\u{202e}\u{9b}b").into_owned();
        assert_eq!(line(&once), once);
        assert_eq!(block(&once), once);
    }

    #[test]
    fn line_escapes_layout_and_block_keeps_it() {
        assert_eq!(line("a\nb\tc"), "a␊b␉c");
        assert_eq!(block("a\nb\tc\r\nd"), "a\nb\tc\r\nd");
        assert_eq!(block("safe\rDENIED"), "safe␍DENIED");
        assert_eq!(block("a\u{1b}[1A\n"), "a␛[1A\n");
    }

    #[test]
    fn cut_line_keeps_every_line_and_cuts_after_escaping() {
        assert_eq!(cut_line("a\u{1b}[2Kb\nsecond", 80), "a␛[2Kb␊second");
        assert_eq!(cut_line("abcdef", 4), "abc…");
        assert_eq!(cut_line("\u{1b}[2K", 2), "␛…");
        assert_eq!(cut_line("one", 10), "one");
    }

    #[test]
    fn json_keeps_exact_strings_and_escapes_hidden_characters() {
        let value = serde_json::json!({"text": "a\u{1b}[2K\u{9b}\u{202e}\u{e0041}\u{7f}<b>"});
        let text = json_pretty(&value).unwrap();
        for raw in ['\u{1b}', '\u{9b}', '\u{202e}', '\u{e0041}', '\u{7f}'] {
            assert!(!text.contains(raw), "{raw:?} in {text}");
        }
        assert!(text.contains("\\u202e") && text.contains("\\udb40\\udc41"));
        let back: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(back, value);
        let compact = json_compact(&value).unwrap();
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&compact).unwrap(),
            value
        );
        assert!(!compact.contains('\n'));
    }
}
