//! Scrubbing secrets out of text and JSON before it is written, printed or sent back to a
//! model, and cutting large outputs down to size.
//!
//! Three ways a secret is found, applied together by a [`Redactor`]:
//!
//! 1. **By structure.** JSON is read as JSON: under a key that names a secret (`password`,
//!    `secret`, `token`, `api_key`, `private_key`, `SecretAccessKey`, `SessionToken`,
//!    `Authorization`, … compared case-insensitively with `_`, `-` and `.` ignored; see
//!    [`is_secret_key`]) every string or number is replaced, whatever it looks like. Text that
//!    is JSON as a whole (the AWS CLI's output, a tool call's arguments) is parsed first; JSON
//!    inside other text is found by its `"key": "value"` pairs.
//! 2. **By value.** The exact values of secrets agentctl itself holds (its API key, the AWS
//!    credentials in its environment), given to [`Redactor::new`], are replaced wherever they
//!    appear, whatever their length. A value shorter than eight characters is replaced only
//!    where it stands as a word of its own, so a short key cannot blank out ordinary text.
//! 3. **By shape.** Provider key prefixes (`sk-…`, `ghp_…`, `AKIA…`), `Authorization` headers,
//!    `password=` style assignments and PEM private key blocks.
//!
//! A secret with no key, no shape and a value agentctl does not know cannot be found; that is
//! why tools also strip secrets from the environment of the commands they run. Does not know
//! where the text came from or where it goes.

use std::borrow::Cow;
use std::sync::{LazyLock, OnceLock};

use aho_corasick::{AhoCorasick, AhoCorasickKind};
use regex::{Captures, Regex};
use serde_json::Value;

/// What a secret is replaced with.
pub const REDACTED: &str = "«redacted»";

/// Values shorter than this are replaced only where they stand as a word of their own.
const SHORT_VALUE: usize = 8;

/// A shape a secret has: its pattern, and the words one of which every match of the pattern
/// contains. Text holding none of a shape's words is not searched with its pattern, and a
/// pattern is compiled only the first time its words turn up: most text holds no secret, and
/// compiling every pattern up front cost a short run more than all its turns.
///
/// Each pattern either replaces its whole match, or keeps the `keep` group (a key, a header
/// name) and replaces the rest; a replaced value that was quoted keeps its quotes.
///
/// Word boundaries are ASCII ones (`(?-u:\b)`): a Unicode boundary keeps the regex engine off
/// its fast automaton (every search falls back to the slow one, and compiling it is heavy),
/// and an ASCII boundary holds wherever a Unicode one does, so it finds the same secrets and
/// more (`ésk-…` too).
struct Shape {
    /// Looked for with ASCII case ignored (a superset for the case-sensitive patterns); see
    /// [`FOLDS_TO_ASCII`] for the letters outside ASCII a `(?i)` pattern also takes.
    words: &'static [&'static str],
    pattern: &'static str,
}

const SHAPES: [Shape; 10] = [
    // A PEM private key block, or its start when the output was cut before the END line.
    Shape {
        words: &["-----BEGIN "],
        pattern: r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----(?s:.*?)(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|\z)",
    },
    Shape {
        words: &["authorization"],
        pattern: r"(?i)(?P<keep>(?-u:\b)authorization[ \t]*:[ \t]*(?:bearer|basic|token)[ \t]+)[^\s'\x22`]+",
    },
    Shape {
        words: &["bearer"],
        pattern: r"(?i)(?P<keep>(?-u:\b)bearer[ \t]+)[A-Za-z0-9._~+/=-]{20,}",
    },
    Shape {
        words: &["aws_s"],
        pattern: r"(?i)(?P<keep>(?-u:\b)(?:aws_secret_access_key|aws_session_token|aws_security_token)['\x22]?[ \t]*[=:][ \t]*)(?:\x22[^\x22\n]*\x22|'[^'\n]*'|[^\s'\x22,;]+)",
    },
    // `password=…`, `DB_PASSWORD=…`, `api_key: …`, `GITHUB_TOKEN=…`, `SecretAccessKey: …` (but
    // not `max_tokens=…`).
    Shape {
        words: &[
            "password",
            "passwd",
            "passphrase",
            "secret",
            "apikey",
            "api_key",
            "token",
            "privatekey",
            "private_key",
        ],
        pattern: r"(?i)(?P<keep>(?-u:\b)[A-Za-z0-9_.-]*?(?:password|passwd|passphrase|secret|secret_?access_?key|api_?key|token|private_?key)['\x22]?[ \t]*[=:][ \t]*)(?:\x22[^\x22\n]*\x22|'[^'\n]*'|[^\s,;&]+)",
    },
    Shape {
        words: &["AKIA", "ASIA"],
        pattern: r"(?-u:\b)(?:AKIA|ASIA)[0-9A-Z]{16}(?-u:\b)",
    },
    Shape {
        words: &["sk-"],
        pattern: r"(?-u:\b)sk-[A-Za-z0-9_-]{20,}",
    },
    Shape {
        words: &["ghp_", "gho_", "ghu_", "ghs_", "ghr_"],
        pattern: r"(?-u:\b)gh[pousr]_[A-Za-z0-9]{30,}",
    },
    Shape {
        words: &["github_pat_"],
        pattern: r"(?-u:\b)github_pat_[A-Za-z0-9_]{20,}",
    },
    Shape {
        words: &["xoxa-", "xoxb-", "xoxp-", "xoxr-", "xoxs-"],
        pattern: r"(?-u:\b)xox[abprs]-[A-Za-z0-9-]{10,}",
    },
];

/// The characters outside ASCII that Unicode case folding equates with an ASCII letter: the
/// Kelvin sign with `k` and the long s with `s` (a unit test checks every character). A
/// case-insensitive pattern matches `paſsword=…`, which the ASCII word search would miss, so
/// text holding one of them is searched with every pattern.
const FOLDS_TO_ASCII: [&str; 2] = ["\u{212A}", "\u{17F}"];

/// Which shapes a text may hold, as a bit per entry of [`SHAPES`].
type ShapeSet = u16;
const EVERY_SHAPE: ShapeSet = (1 << SHAPES.len()) - 1;

/// Every shape's words (then [`FOLDS_TO_ASCII`]) in one automaton, and the shapes each of its
/// patterns stands for.
static SHAPE_WORDS: LazyLock<Option<(AhoCorasick, Vec<ShapeSet>)>> = LazyLock::new(|| {
    let mut words = Vec::new();
    let mut owners = Vec::new();
    for (index, shape) in SHAPES.iter().enumerate() {
        for word in shape.words {
            words.push(*word);
            owners.push(1 << index);
        }
    }
    for fold in FOLDS_TO_ASCII {
        words.push(fold);
        owners.push(EVERY_SHAPE);
    }
    // A noncontiguous NFA, the quickest kind to build (the contiguous one and the DFA are built
    // from it): a short run's texts take less to search than a faster automaton takes to make.
    let searcher = AhoCorasick::builder()
        .ascii_case_insensitive(true)
        .kind(Some(AhoCorasickKind::NoncontiguousNFA))
        .build(words)
        .ok()?;
    Some((searcher, owners))
});

/// Each shape's compiled pattern, compiled the first time a text holds one of its words.
static COMPILED: [OnceLock<Result<Regex, regex::Error>>; SHAPES.len()] =
    [const { OnceLock::new() }; SHAPES.len()];

fn compiled(index: usize) -> Result<&'static Regex, &'static regex::Error> {
    COMPILED[index]
        .get_or_init(|| Regex::new(SHAPES[index].pattern))
        .as_ref()
}

/// The shapes whose words `text` holds; [`EVERY_SHAPE`] should the search fail to build.
fn shapes_in(text: &str) -> ShapeSet {
    let Some((searcher, owners)) = &*SHAPE_WORDS else {
        return EVERY_SHAPE;
    };
    let mut found: ShapeSet = 0;
    for word in searcher.find_overlapping_iter(text) {
        found |= owners[word.pattern().as_usize()];
        if found == EVERY_SHAPE {
            break;
        }
    }
    found
}

/// Keys longer than this are not taken for names (checked after the match: a bounded repeat in
/// the pattern would cost a copy of the Unicode class per character).
const MAX_KEY_CHARS: usize = 80;

/// `"key": "value"` inside text, plain or escaped once more (`\"key\": \"value\"`, JSON text
/// stored in a JSON string).
static QUOTED_PAIRS: LazyLock<Result<[Regex; 2], regex::Error>> = LazyLock::new(|| {
    Ok([
        Regex::new(r#""(?P<key>[^"\\\n]+)"[ \t]*:[ \t]*"(?P<value>(?:[^"\\\n]|\\.)*)""#)?,
        Regex::new(
            r#"\\"(?P<key>[^"\\\n]+)\\"[ \t]*:[ \t]*\\"(?P<value>(?:[^"\\\n]|\\[^"\n])*)\\""#,
        )?,
    ])
});

/// Whether a JSON key or variable name names a secret: it contains `password`, `passwd`,
/// `passphrase`, `secret`, `token`, `apikey`, `privatekey`, `authorization` or `cookie`, or is
/// `auth` or `pwd` (case and `_`, `-`, `.`, spaces ignored) — unless it names something about
/// a secret rather than the secret itself (`…id`, `…arn`, `…name`, `…type`, `…tokens`,
/// `…expiration`, `…file`, `…env`, …).
pub fn is_secret_key(key: &str) -> bool {
    let key: String = key
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|character| character.to_ascii_lowercase())
        .collect();
    const ABOUT: &[&str] = &[
        "id",
        "ids",
        "arn",
        "arns",
        "name",
        "names",
        "type",
        "types",
        "count",
        "length",
        "tokens",
        "expiration",
        "expiry",
        "expires",
        "expiresat",
        "file",
        "path",
        "env",
        "url",
        "uri",
        "version",
        "versions",
        "format",
        "policy",
        "rotation",
    ];
    if SECRET_KEYS_WHOLE.contains(&key.as_str()) {
        return true;
    }
    SECRET_KEY_NAMES.iter().any(|name| key.contains(name))
        && !ABOUT.iter().any(|about| key.ends_with(about))
}

/// What [`is_secret_key`] looks for in a key (after dropping all but ASCII letters and digits,
/// lower case): a key containing one of these names a secret…
const SECRET_KEY_NAMES: [&str; 9] = [
    "password",
    "passwd",
    "passphrase",
    "secret",
    "token",
    "apikey",
    "privatekey",
    "authorization",
    "cookie",
];
/// … and so does a key that is one of these.
const SECRET_KEYS_WHOLE: [&str; 2] = ["auth", "pwd"];

static SECRET_KEY_SEARCH: LazyLock<Option<AhoCorasick>> = LazyLock::new(|| {
    // Noncontiguous, the quickest kind to build, as for SHAPE_WORDS above.
    AhoCorasick::builder()
        .kind(Some(AhoCorasickKind::NoncontiguousNFA))
        .build(SECRET_KEY_NAMES.iter().chain(&SECRET_KEYS_WHOLE))
        .ok()
});

/// Whether some part of `text` could be a key [`is_secret_key`] takes: a key is a run of the
/// text, so what it keeps of a key (its ASCII letters and digits, lower case) is a run of what
/// the same reduction keeps of the whole text. `false` means no key in the text names a secret;
/// `true` only that one may.
fn may_hold_secret_key(text: &str) -> bool {
    let Some(search) = &*SECRET_KEY_SEARCH else {
        return true;
    };
    let kept: Vec<u8> = text
        .bytes()
        .filter(u8::is_ascii_alphanumeric)
        .map(|byte| byte.to_ascii_lowercase())
        .collect();
    search.is_match(&kept)
}

/// Finds and replaces secrets; see the module doc. [`Redactor::default`] knows no values and
/// finds secrets by structure and shape only.
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    /// Exact secret values, longest first so a value inside another is not replaced first.
    known: Vec<String>,
}

impl Redactor {
    /// A redactor that also replaces these exact values (empty ones are ignored).
    pub fn new(known: impl IntoIterator<Item = String>) -> Redactor {
        let mut known: Vec<String> = known
            .into_iter()
            .filter(|value| !value.trim().is_empty())
            .collect();
        known.sort_by(|left, right| right.len().cmp(&left.len()).then(left.cmp(right)));
        known.dedup();
        Redactor { known }
    }

    /// `text` with every secret found replaced by `«redacted»`, keeping the key or header name
    /// in front of it (`password=«redacted»`, `"token": "«redacted»"`).
    pub fn text(&self, text: &str) -> String {
        let structured = self.json_text(text);
        let text = structured.as_deref().unwrap_or(text);
        let current = replace_values(text, &self.known);
        let current = replace_quoted_pairs(&current);
        replace_shapes(&current).into_owned()
    }

    /// Text that is JSON as a whole and holds a secret key, redacted as JSON and written again
    /// (pretty when it was on several lines, as the AWS CLI prints it). `None` when the text
    /// is not JSON or holds no secret key, so it is left exactly as it was.
    fn json_text(&self, text: &str) -> Option<String> {
        let trimmed = text.trim();
        if !(trimmed.starts_with('{') || trimmed.starts_with('[')) {
            return None;
        }
        let mut parsed = serde_json::from_str::<Value>(trimmed).ok()?;
        let mut found = Vec::new();
        collect_secret_values(&parsed, false, &mut found);
        if found.is_empty() {
            return None;
        }
        self.value(&mut parsed);
        let mut written = if trimmed.contains('\n') {
            serde_json::to_string_pretty(&parsed).ok()?
        } else {
            serde_json::to_string(&parsed).ok()?
        };
        if text.ends_with('\n') {
            written.push('\n');
        }
        Some(written)
    }

    /// Redacts a JSON value in place: under a secret key everything is replaced, every other
    /// string goes through [`Redactor::text`]. Keys are kept.
    pub fn value(&self, value: &mut Value) {
        match value {
            Value::String(text) => {
                let redacted = self.text(text);
                if redacted != *text {
                    *text = redacted;
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|item| self.value(item)),
            Value::Object(map) => {
                for (key, item) in map.iter_mut() {
                    if is_secret_key(key) {
                        blank(item);
                    } else {
                        self.value(item);
                    }
                }
            }
            Value::Null | Value::Bool(_) | Value::Number(_) => {}
        }
    }

    /// A tool call's arguments for the record: parsed, redacted by structure and written back
    /// as compact JSON in the model's key order; text that is not JSON is redacted as text.
    pub fn arguments(&self, arguments: &str) -> String {
        match serde_json::from_str::<Value>(arguments) {
            Ok(mut value) => {
                self.value(&mut value);
                serde_json::to_string(&value).unwrap_or_else(|_| REDACTED.to_owned())
            }
            Err(_) => self.text(arguments),
        }
    }
}

/// Replaces every string and number in `value` (a secret key's value).
fn blank(value: &mut Value) {
    match value {
        Value::String(_) | Value::Number(_) => *value = Value::from(REDACTED),
        Value::Array(items) => items.iter_mut().for_each(blank),
        Value::Object(map) => map.values_mut().for_each(blank),
        Value::Null | Value::Bool(_) => {}
    }
}

/// The strings and numbers found under secret keys.
fn collect_secret_values(value: &Value, secret: bool, out: &mut Vec<String>) {
    match value {
        Value::String(text) if secret && !text.is_empty() && text != REDACTED => {
            out.push(text.clone())
        }
        Value::Number(number) if secret => out.push(number.to_string()),
        Value::Array(items) => items
            .iter()
            .for_each(|item| collect_secret_values(item, secret, out)),
        Value::Object(map) => map
            .iter()
            .for_each(|(key, item)| collect_secret_values(item, secret || is_secret_key(key), out)),
        _ => {}
    }
}

/// Replaces each value (and its JSON-escaped form) wherever it appears.
fn replace_values<'t>(text: &'t str, values: &[String]) -> Cow<'t, str> {
    if values.is_empty() {
        return Cow::Borrowed(text);
    }
    let mut values: Vec<&String> = values.iter().collect();
    values.sort_by_key(|value| std::cmp::Reverse(value.len()));
    let mut current = text.to_owned();
    for value in values {
        let escaped = serde_json::to_string(value).unwrap_or_default();
        let escaped = escaped
            .strip_prefix('"')
            .and_then(|inner| inner.strip_suffix('"'))
            .unwrap_or(value);
        for form in [value.as_str(), escaped] {
            if form.is_empty() || !current.contains(form) {
                continue;
            }
            current = if form.chars().count() < SHORT_VALUE {
                replace_words(&current, form)
            } else {
                current.replace(form, REDACTED)
            };
        }
    }
    Cow::Owned(current)
}

/// Replaces `word` where no letter or digit touches it on either side.
fn replace_words(text: &str, word: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(index) = rest.find(word) {
        let before = rest[..index].chars().next_back();
        let after = rest[index + word.len()..].chars().next();
        let alone =
            !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric);
        out.push_str(&rest[..index]);
        out.push_str(if alone { REDACTED } else { word });
        rest = &rest[index + word.len()..];
    }
    out.push_str(rest);
    out
}

fn replace_quoted_pairs(text: &str) -> Cow<'_, str> {
    // Both patterns start at a double quote: text without one holds no pair; and only a pair
    // whose key names a secret is replaced.
    if !text.contains('"') || !may_hold_secret_key(text) {
        return Cow::Borrowed(text);
    }
    replace_every_quoted_pair(text)
}

/// [`replace_quoted_pairs`] without the checks that skip text holding no pair to replace.
fn replace_every_quoted_pair(text: &str) -> Cow<'_, str> {
    let Ok(patterns) = &*QUOTED_PAIRS else {
        return Cow::Owned(REDACTED.to_owned());
    };
    let mut current = Cow::Borrowed(text);
    for pattern in patterns {
        let replaced = pattern.replace_all(&current, |captures: &Captures<'_>| {
            let whole = &captures[0];
            match captures.name("value") {
                Some(value)
                    if captures["key"].chars().count() <= MAX_KEY_CHARS
                        && is_secret_key(&captures["key"])
                        && !value.as_str().is_empty() =>
                {
                    let start = value.start() - captures.get(0).map_or(0, |all| all.start());
                    format!(
                        "{}{REDACTED}{}",
                        &whole[..start],
                        &whole[start + value.as_str().len()..]
                    )
                }
                _ => whole.to_owned(),
            }
        });
        if let Cow::Owned(changed) = replaced {
            current = Cow::Owned(changed);
        }
    }
    current
}

fn replace_shapes(text: &str) -> Cow<'_, str> {
    // Exact, not a heuristic: a pattern whose words the text does not hold cannot match it.
    let mut present = shapes_in(text);
    let mut current = Cow::Borrowed(text);
    for index in 0..SHAPES.len() {
        if present & (1 << index) == 0 {
            continue;
        }
        let Ok(pattern) = compiled(index) else {
            // The patterns are constants covered by the tests below; should one ever fail to
            // compile, hide everything rather than let a secret through.
            return Cow::Owned(REDACTED.to_owned());
        };
        let replaced = replace_shape(pattern, &current);
        if let Cow::Owned(changed) = replaced {
            // What was replaced is gone; the patterns still to come look at what is left.
            present = shapes_in(&changed);
            current = Cow::Owned(changed);
        }
    }
    current
}

/// One shape's replacing pass.
fn replace_shape<'t>(pattern: &Regex, text: &'t str) -> Cow<'t, str> {
    let keeps = pattern.capture_names().any(|name| name == Some("keep"));
    pattern.replace_all(text, |captures: &Captures<'_>| {
        let whole = &captures[0];
        let Some(keep) = captures.name("keep").filter(|_| keeps) else {
            return REDACTED.to_owned();
        };
        let value = &whole[keep.as_str().len()..];
        let quote = value.chars().next().filter(|first| {
            matches!(first, '"' | '\'') && value.len() > 1 && value.ends_with(*first)
        });
        match quote {
            Some(quote) => format!("{}{quote}{REDACTED}{quote}", keep.as_str()),
            None if value.starts_with(REDACTED) => whole.to_owned(),
            None => format!("{}{REDACTED}", keep.as_str()),
        }
    })
}

/// Replaces every secret found in `text` by structure and shape (no known values).
pub fn redact(text: &str) -> String {
    Redactor::default().text(text)
}

/// Redacts a JSON value by structure and shape (no known values); see [`Redactor::value`].
pub fn redact_value(value: &mut Value) {
    Redactor::default().value(value)
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
        for (index, shape) in SHAPES.iter().enumerate() {
            assert!(compiled(index).is_ok(), "{}", shape.pattern);
        }
        assert!(SHAPE_WORDS.is_some() && SECRET_KEY_SEARCH.is_some());
    }

    #[test]
    fn the_letters_outside_ascii_that_fold_to_ascii_ones_are_all_listed() {
        // A `(?i)` pattern takes these for ASCII letters; the word search must know them all.
        let letter = Regex::new("(?i)^[a-z]$").unwrap();
        let folding: Vec<String> = (0x80..=0x10FFFF)
            .filter_map(char::from_u32)
            .map(String::from)
            .filter(|character| letter.is_match(character))
            .collect();
        let mut listed: Vec<String> = FOLDS_TO_ASCII.iter().map(|fold| fold.to_string()).collect();
        listed.sort();
        let mut folding = folding;
        folding.sort();
        assert_eq!(folding, listed);
    }

    /// Every pattern's replacing pass in order, with no skipping: what [`replace_shapes`] must
    /// give whatever it leaves out.
    fn every_shape_replaced(text: &str) -> String {
        let mut current = text.to_owned();
        for index in 0..SHAPES.len() {
            current = replace_shape(compiled(index).unwrap(), &current).into_owned();
        }
        current
    }

    /// Pieces random texts are made of: each shape's words and near misses, in other cases
    /// and with the letters that fold to ASCII, separators, quotes and key-like runs.
    const PIECES: &[&str] = &[
        "sk-",
        "SK-",
        "ghp_",
        "gHs_",
        "github_pat_",
        "xoxb-",
        "XOXP-",
        "AKIA",
        "ASIA",
        "akia",
        "-----BEGIN RSA PRIVATE KEY-----",
        "-----END RSA PRIVATE KEY-----",
        "-----begin ",
        "Authorization",
        "authoriza",
        "Bearer ",
        "bearer",
        "Basic ",
        "aws_secret_access_key",
        "AWS_SESSION_TOKEN",
        "aws_s",
        "password",
        "PASSWD",
        "pa\u{17F}sword",
        "\u{17F}ecret",
        "to\u{212A}en",
        "\u{212A}",
        "passphrase",
        "secret",
        "api_key",
        "ApiKey",
        "token",
        "private_key",
        "cookie",
        "auth",
        "pwd",
        "pass",
        "_",
        "-",
        ".",
        "=",
        ": ",
        ":",
        " ",
        "\t",
        "\n",
        "\"",
        "'",
        "\\\"",
        ",",
        ";",
        "&",
        "é",
        "ABCDEFGHIJKLMNOP",
        "abcdefghij0123456789",
        "x",
        "«redacted»",
    ];

    fn random_text() -> impl Strategy<Value = String> {
        proptest::collection::vec(proptest::sample::select(PIECES), 0..24)
            .prop_map(|pieces| pieces.concat())
    }

    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn skipping_patterns_whose_words_are_absent_changes_nothing(text in random_text()) {
            prop_assert_eq!(replace_shapes(&text).into_owned(), every_shape_replaced(&text));
        }

        #[test]
        fn skipping_text_without_a_secret_key_word_changes_nothing(text in random_text()) {
            prop_assert_eq!(
                replace_quoted_pairs(&text).into_owned(),
                replace_every_quoted_pair(&text).into_owned()
            );
        }
    }

    #[test]
    fn a_pattern_is_skipped_only_when_its_words_are_absent() {
        let samples = [
            ("plain words, nothing hidden", 0),
            ("key sk-proj-abcdefghijklmnopqrstuvwx end", 1 << 6),
            ("Authorization: Bearer abc.def-123", 1 << 1 | 1 << 2),
            ("export DB_PASSWORD=hunter2", 1 << 4),
            ("max_tokens=100", 1 << 4),
            ("pa\u{17F}sword=x", EVERY_SHAPE),
        ];
        for (text, expected) in samples {
            assert_eq!(shapes_in(text), expected, "{text}");
        }
        assert!(!may_hold_secret_key(r#"{"path": "notes/status.txt"}"#));
        assert!(may_hold_secret_key(r#"{"Pass-Word": "x"}"#));
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
            // Read and written again as JSON: it is still JSON after redaction.
            r#"{"password":"«redacted»","user":"bob"}"#
        );
        assert_eq!(
            redact("aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\nregion = eu"),
            "aws_secret_access_key = «redacted»\nregion = eu"
        );
    }

    #[test]
    fn a_letter_outside_ascii_next_to_a_secret_does_not_hide_it() {
        assert_eq!(
            redact("clé=sk-proj-abcdefghijklmnopqrstuvwx"),
            "clé=«redacted»"
        );
        assert_eq!(redact("épassword=hunter2 ok"), "épassword=«redacted» ok");
    }

    #[test]
    fn a_quoted_key_longer_than_a_name_is_left_alone() {
        // `cookie` is a secret key by name and matches no shape pattern.
        let long = "k".repeat(MAX_KEY_CHARS) + "cookie";
        let text = format!(r#"{{"{long}": "value"}} and "cookie": "abc""#);
        let redacted = redact(&text);
        assert!(redacted.contains(r#": "value""#), "{redacted}");
        assert!(redacted.contains(r#""cookie": "«redacted»""#), "{redacted}");
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

    const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    const SESSION: &str = "IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQ+example==";

    fn assume_role_output() -> String {
        format!(
            "{{\n    \"Credentials\": {{\n        \"AccessKeyId\": \"ASIAIOSFODNN7EXAMPLE\",\n        \"SecretAccessKey\": \"{SECRET}\",\n        \"SessionToken\": \"{SESSION}\",\n        \"Expiration\": \"2026-11-26T17:00:00+00:00\"\n    }},\n    \"AssumedRoleUser\": {{\"Arn\": \"arn:aws:sts::123456789012:assumed-role/deploy/s\"}}\n}}\n"
        )
    }

    #[test]
    fn aws_credential_json_is_redacted_by_structure_and_stays_json() {
        let text = assume_role_output();
        let redacted = redact(&text);
        assert!(
            !redacted.contains(SECRET) && !redacted.contains(SESSION),
            "{redacted}"
        );
        assert!(!redacted.contains("ASIAIOSFODNN7EXAMPLE"));
        assert!(redacted.contains("\"SecretAccessKey\": \"«redacted»\""));
        assert!(redacted.contains("\"Expiration\": \"2026-11-26T17:00:00+00:00\""));
        assert!(redacted.ends_with("}\n"));
        assert!(redacted.contains("assumed-role/deploy"));
        let parsed: Value = serde_json::from_str(&redacted).unwrap();
        assert_eq!(parsed["Credentials"]["SessionToken"], REDACTED);
        // A number under a secret key goes, the same number elsewhere stays.
        assert_eq!(
            redact("{\"pin\": 7, \"password\": 7, \"count\": 7}"),
            "{\"pin\":7,\"password\":\"«redacted»\",\"count\":7}"
        );
        // The same pairs inside other text, and escaped once more inside a JSON string.
        let inside = format!("exit 0\n{text}");
        assert!(!redact(&inside).contains(SECRET));
        let nested = serde_json::to_string(&text).unwrap();
        assert!(!redact(&nested).contains(SECRET) && !redact(&nested).contains(SESSION));
        // Unquoted forms: `aws configure export-credentials --format env` and YAML.
        let env = format!("export AWS_SECRET_ACCESS_KEY={SECRET}\nexport AWS_SESSION_TOKEN={SESSION}\nSecretAccessKey: {SECRET}\n");
        let redacted = redact(&env);
        assert!(
            !redacted.contains(SECRET) && !redacted.contains(SESSION),
            "{redacted}"
        );
    }

    #[test]
    fn secret_keys_are_matched_by_name_not_by_what_they_describe() {
        for key in [
            "password",
            "DB_PASSWORD",
            "secret",
            "client-secret",
            "SecretAccessKey",
            "SessionToken",
            "token",
            "api_key",
            "apiKey",
            "X-Api-Key",
            "private_key",
            "Authorization",
            "auth",
            "SecretString",
            "github.token",
        ] {
            assert!(is_secret_key(key), "{key}");
        }
        for key in [
            "max_tokens",
            "prompt_tokens",
            "SecretId",
            "SecretArn",
            "token_type",
            "user",
            "path",
            "api_key_env",
            "AccessKeyId",
            "Expiration",
            "command",
        ] {
            assert!(!is_secret_key(key), "{key}");
        }
    }

    #[test]
    fn values_under_secret_keys_go_whatever_they_look_like() {
        let mut value = serde_json::json!({
            "user": "bob", "password": "x", "pin": 1, "nested": {"Token": ["a", "b"], "n": 2},
            "max_tokens": 100, "ok": true
        });
        redact_value(&mut value);
        assert_eq!(
            value,
            serde_json::json!({
                "user": "bob", "password": REDACTED, "pin": 1, "nested": {"Token": [REDACTED, REDACTED], "n": 2},
                "max_tokens": 100, "ok": true
            })
        );
        let redactor = Redactor::default();
        assert_eq!(
            redactor.arguments(r#"{ "command": "deploy", "api_key" : "abc" }"#),
            r#"{"command":"deploy","api_key":"«redacted»"}"#
        );
        assert_eq!(
            redactor.arguments("not json password=abc"),
            "not json password=«redacted»"
        );
    }

    #[test]
    fn known_values_are_redacted_wherever_they_appear_whatever_their_length() {
        let redactor = Redactor::new(["k3y".to_owned(), SECRET.to_owned(), String::new()]);
        assert_eq!(redactor.text("key is k3y."), "key is «redacted».");
        // A short value inside a word is left: it is not the secret standing alone.
        assert_eq!(redactor.text("monk3ys"), "monk3ys");
        assert_eq!(redactor.text(&format!("x{SECRET}y")), "x«redacted»y");
        let mut value = serde_json::json!({"out": format!("got {SECRET}")});
        redactor.value(&mut value);
        assert_eq!(value, serde_json::json!({"out": "got «redacted»"}));
        assert_eq!(Redactor::new(Vec::new()).text("plain"), "plain");
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
