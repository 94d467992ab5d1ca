//! YAML front matter: splitting it off a Markdown file, parsing it with `serde_norway`, and
//! turning every YAML problem into a diagnostic at the right line of the file.
//!
//! Owns: the `---` … `---` split, line arithmetic (YAML line + offset of the front matter),
//! finding the line of a top-level key or of a value inside it, and the unknown-key policy
//! ("did you mean …", else "put extra data under `metadata:`").
//!
//! Does not know about: which keys a style accepts or what they mean; callers pass those.

use std::path::Path;

use agentctl_protocol::Diagnostic;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_norway::{Mapping, Value};

use crate::suggest::closest;

/// Keys other tools in the ecosystem write into front matter; kept in `metadata` silently.
pub(crate) const ECOSYSTEM_KEYS: [&str; 5] = ["metadata", "color", "version", "author", "license"];

/// The parts of a file that starts with a `---` line.
#[derive(Debug, Clone, Copy)]
pub(crate) struct FrontMatter<'a> {
    /// The YAML between the markers.
    pub yaml: &'a str,
    /// The file line of the first YAML line.
    pub first_line: usize,
    /// Everything after the closing marker.
    pub body: &'a str,
    /// The file line where `body` starts.
    pub body_line: usize,
}

/// Front matter found at the start of a file, or why it is broken.
pub(crate) enum Split<'a> {
    Absent,
    Present(FrontMatter<'a>),
    /// Opened on line 1, never closed.
    Unclosed,
}

/// Splits front matter off `text`. A UTF-8 byte order mark before the `---` is tolerated.
pub(crate) fn split(text: &str) -> Split<'_> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut pieces = text.split_inclusive('\n');
    let Some(first) = pieces.next() else {
        return Split::Absent;
    };
    if first.trim_end() != "---" {
        return Split::Absent;
    }
    let yaml_start = first.len();
    let mut offset = yaml_start;
    for (index, piece) in pieces.enumerate() {
        let marker = piece.trim_end();
        if marker == "---" || marker == "..." {
            let closing_line = index + 2;
            return Split::Present(FrontMatter {
                yaml: &text[yaml_start..offset],
                first_line: 2,
                body: &text[offset + piece.len()..],
                body_line: closing_line + 1,
            });
        }
        offset += piece.len();
    }
    Split::Unclosed
}

/// The diagnostic for [`Split::Unclosed`].
pub(crate) fn unclosed(path: &Path) -> Diagnostic {
    Diagnostic::error(
        path,
        Some(1),
        "front matter opened with `---` on line 1 is never closed",
    )
    .with_hint("end the front matter with a line holding only `---`")
}

/// `"value"` or `'value'` → `value`.
pub(crate) fn unquote(text: &str) -> &str {
    let text = text.trim();
    for quote in ['"', '\''] {
        if let Some(inner) = text
            .strip_prefix(quote)
            .and_then(|rest| rest.strip_suffix(quote))
        {
            return inner;
        }
    }
    text
}

/// The key of a top-level `key: …` line, if the line is one.
pub(crate) fn top_level_key(line: &str) -> Option<&str> {
    let first = line.chars().next()?;
    if first.is_whitespace() || matches!(first, '#' | '-' | '{' | '[') {
        return None;
    }
    let colon = line.find(':')?;
    let key = unquote(&line[..colon]);
    (!key.is_empty()).then_some(key)
}

impl<'a> FrontMatter<'a> {
    fn yaml_lines(&self) -> impl Iterator<Item = (usize, &'a str)> + '_ {
        self.yaml
            .lines()
            .enumerate()
            .map(|(index, line)| (self.first_line + index, line))
    }

    /// The file line of a top-level key.
    pub(crate) fn key_line(&self, key: &str) -> Option<usize> {
        self.yaml_lines()
            .find(|(_, line)| top_level_key(line) == Some(key))
            .map(|(number, _)| number)
    }

    /// The file line inside `key`'s value where `token` is written, else the key's line.
    pub(crate) fn value_line(&self, key: &str, token: &str) -> Option<usize> {
        let start = self.key_line(key)?;
        let found = self
            .yaml_lines()
            .skip(start - self.first_line)
            .enumerate()
            .take_while(|(position, (_, line))| *position == 0 || top_level_key(line).is_none())
            .find(|(position, (_, line))| {
                let text = if *position == 0 {
                    line.split_once(':').map_or("", |(_, value)| value)
                } else {
                    line
                };
                text.contains(token)
            })
            .map(|(_, (number, _))| number);
        Some(found.unwrap_or(start))
    }

    fn is_blank(&self) -> bool {
        self.yaml
            .lines()
            .all(|line| line.trim().is_empty() || line.trim_start().starts_with('#'))
    }

    /// The front matter as a YAML mapping (empty front matter is an empty mapping).
    pub(crate) fn mapping(&self, path: &Path) -> Result<Mapping, Diagnostic> {
        if self.is_blank() {
            return Ok(Mapping::new());
        }
        match serde_norway::from_str::<Value>(self.yaml) {
            Ok(Value::Mapping(mapping)) => Ok(mapping),
            Ok(Value::Null) => Ok(Mapping::new()),
            Ok(_) => Err(Diagnostic::error(
                path,
                Some(self.first_line),
                "front matter is not a mapping of `key: value` lines",
            )
            .with_hint("write one `key: value` per line between the `---` markers")),
            Err(error) => Err(self.yaml_error(path, &error)),
        }
    }

    /// The front matter deserialized into `T`.
    pub(crate) fn deserialize<T: DeserializeOwned>(&self, path: &Path) -> Result<T, Diagnostic> {
        let yaml = if self.is_blank() { "{}" } else { self.yaml };
        serde_norway::from_str(yaml).map_err(|error| self.yaml_error(path, &error))
    }

    /// A YAML error placed at its line in the file.
    pub(crate) fn yaml_error(&self, path: &Path, error: &serde_norway::Error) -> Diagnostic {
        let line = error.location().map_or(self.first_line - 1, |location| {
            self.first_line + location.line() - 1
        });
        let message = strip_location(&error.to_string());
        let is_shape_problem = [
            "unknown field",
            "unknown variant",
            "invalid type",
            "missing field",
        ]
        .iter()
        .any(|marker| message.contains(marker));
        let hint = if is_shape_problem {
            "fix the value on this line; the message says what is accepted"
        } else {
            "front matter is YAML between the `---` lines; check indentation, quoting and `key: value` shape on this line"
        };
        Diagnostic::error(path, Some(line), format!("invalid front matter: {message}"))
            .with_hint(hint)
    }

    /// One error for each key of `mapping` not in `known`.
    pub(crate) fn unknown_keys(
        &self,
        path: &Path,
        mapping: &Mapping,
        known: &[&str],
    ) -> Vec<Diagnostic> {
        let mut diagnostics = Vec::new();
        for key in mapping.keys() {
            let Some(key) = key.as_str() else {
                diagnostics.push(
                    Diagnostic::error(
                        path,
                        Some(self.first_line),
                        format!("front matter key {key:?} is not a string"),
                    )
                    .with_hint("keys are plain words such as `name` or `tools`"),
                );
                continue;
            };
            if known.contains(&key) {
                continue;
            }
            let hint = match closest(key, known.iter().copied()) {
                Some(suggestion) => format!("did you mean `{suggestion}`?"),
                None => format!(
                    "put extra data under `metadata:` (e.g. `metadata: {{ {key}: … }}`); known keys are {}",
                    known.join(", ")
                ),
            };
            diagnostics.push(
                Diagnostic::error(
                    path,
                    self.key_line(key),
                    format!("unknown front matter key `{key}`"),
                )
                .with_hint(hint),
            );
        }
        diagnostics
    }
}

/// Removes serde_norway's ` at line N column M`, which counts from the front matter, not the
/// file; the diagnostic carries the file line instead.
fn strip_location(message: &str) -> String {
    let mut result = message.to_owned();
    while let Some(start) = result.find(" at line ") {
        let rest = &result[start + " at line ".len()..];
        let digits = rest.chars().take_while(char::is_ascii_digit).count();
        let mut end = start + " at line ".len() + digits;
        if let Some(column) = result[end..].strip_prefix(" column ") {
            end += " column ".len() + column.chars().take_while(char::is_ascii_digit).count();
        }
        if digits == 0 {
            break;
        }
        result.replace_range(start..end, "");
    }
    result
}

/// A YAML value that may be written as one string or a list of strings (`tags: sdlc`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum StringList {
    One(String),
    Many(Vec<String>),
}

// Hand-written rather than `#[serde(untagged)]` so a wrong shape is reported at the value's
// own line as "expected a string or a list of strings".
impl<'de> Deserialize<'de> for StringList {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ListVisitor;

        impl<'de> serde::de::Visitor<'de> for ListVisitor {
            type Value = StringList;

            fn expecting(&self, formatter: &mut std::fmt::Formatter) -> std::fmt::Result {
                formatter.write_str("a string or a list of strings")
            }

            fn visit_str<E: serde::de::Error>(self, value: &str) -> Result<StringList, E> {
                Ok(StringList::One(value.to_owned()))
            }

            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut sequence: A,
            ) -> Result<StringList, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = sequence.next_element::<String>()? {
                    items.push(item);
                }
                Ok(StringList::Many(items))
            }
        }

        deserializer.deserialize_any(ListVisitor)
    }
}

impl StringList {
    pub(crate) fn into_vec(self) -> Vec<String> {
        match self {
            StringList::One(value) => vec![value],
            StringList::Many(values) => values,
        }
    }
}

/// A JSON value for metadata: scalars become strings, lists and maps stay as they are.
pub(crate) fn metadata_value(value: serde_json::Value) -> serde_json::Value {
    match value {
        serde_json::Value::Number(number) => serde_json::Value::String(number.to_string()),
        serde_json::Value::Bool(flag) => serde_json::Value::String(flag.to_string()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn present(text: &str) -> FrontMatter<'_> {
        match split(text) {
            Split::Present(front_matter) => front_matter,
            _ => panic!("no front matter in {text:?}"),
        }
    }

    #[test]
    fn splits_front_matter_and_counts_lines() {
        let front_matter = present("---\nname: x\ntools: [fs_read]\n---\n\nBody\n");
        assert_eq!(front_matter.yaml, "name: x\ntools: [fs_read]\n");
        assert_eq!(front_matter.first_line, 2);
        assert_eq!(front_matter.body, "\nBody\n");
        assert_eq!(front_matter.body_line, 5);
        assert_eq!(front_matter.key_line("tools"), Some(3));
        assert!(matches!(split("# Title\n"), Split::Absent));
        assert!(matches!(split("---\nname: x\n"), Split::Unclosed));
    }

    #[test]
    fn finds_values_inside_a_block_list() {
        let front_matter = present("---\ntools:\n  - fs_read\n  - fs_raed\nmodel: m\n---\n");
        assert_eq!(front_matter.value_line("tools", "fs_raed"), Some(4));
        assert_eq!(front_matter.value_line("tools", "missing"), Some(2));
    }

    #[test]
    fn yaml_errors_point_at_the_file_line() {
        let text = "---\nname: x\ndescription: y\ntools: [fs_read\nmodel: m\n---\n";
        let front_matter = present(text);
        let error = front_matter.mapping(Path::new("p.md")).unwrap_err();
        let line = error.line.unwrap();
        assert!((5..=6).contains(&line), "line {line}: {}", error.message);
        assert!(!error.message.contains("at line"), "{}", error.message);
    }

    #[test]
    fn a_wrong_shape_is_reported_at_its_value() {
        #[derive(Debug, Deserialize)]
        #[allow(dead_code)]
        struct Tags {
            name: String,
            tags: StringList,
        }
        let front_matter = present("---\nname: x\ntags:\n  a: b\n---\n");
        let error = front_matter
            .deserialize::<Tags>(Path::new("p.md"))
            .unwrap_err();
        assert_eq!(error.line, Some(4), "{error:?}");
        assert!(error
            .message
            .contains("expected a string or a list of strings"));
        let front_matter = present("---\nname: x\ntags: sdlc\n---\n");
        let tags = front_matter.deserialize::<Tags>(Path::new("p.md")).unwrap();
        assert_eq!(tags.tags, StringList::One("sdlc".to_owned()));
    }

    #[test]
    fn strips_yaml_relative_locations() {
        assert_eq!(
            strip_location("invalid type: string, expected u32 at line 3 column 7"),
            "invalid type: string, expected u32"
        );
        assert_eq!(strip_location("no location"), "no location");
    }

    #[test]
    fn unknown_keys_get_a_suggestion_or_the_metadata_hint() {
        let front_matter = present("---\nname: x\ntool: [fs_read]\nfavourite_colour: blue\n---\n");
        let mapping = front_matter.mapping(Path::new("p.md")).unwrap();
        let diagnostics =
            front_matter.unknown_keys(Path::new("p.md"), &mapping, &["name", "tools"]);
        assert_eq!(diagnostics.len(), 2);
        assert_eq!(diagnostics[0].line, Some(3));
        assert_eq!(
            diagnostics[0].hint.as_deref(),
            Some("did you mean `tools`?")
        );
        assert_eq!(diagnostics[1].line, Some(4));
        assert!(diagnostics[1]
            .hint
            .as_deref()
            .unwrap()
            .starts_with("put extra data under `metadata:`"));
    }
}
