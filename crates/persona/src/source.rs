//! Reading one library file safely: size limit, binary and encoding checks, emptiness, and a
//! cheap look at the top of a file for its name (used to find one persona without parsing the
//! whole library).
//!
//! Does not know about: persona styles beyond what a name looks like; it hands the text to
//! `detect::parse`.

use std::io::Read;
use std::path::Path;

use agentctl_protocol::Diagnostic;

use crate::detect;
use crate::front_matter::{top_level_key, unquote};
use crate::markdown;
use crate::model::Persona;

/// Files larger than this are refused: persona files are prompts, not data.
pub const MAX_FILE_BYTES: u64 = 1024 * 1024;

/// How much of a file [`peek_identity`] reads.
const PEEK_BYTES: u64 = 16 * 1024;

/// Reads `disk_path` as UTF-8 text, reporting problems at `display_path`.
pub fn read_text(disk_path: &Path, display_path: &Path) -> Result<String, Diagnostic> {
    let size = fs_err::metadata(disk_path)
        .map_err(|error| io_problem(display_path, &error))?
        .len();
    if size > MAX_FILE_BYTES {
        return Err(Diagnostic::error(
            display_path,
            None,
            format!("file is too large ({size} bytes; the limit is 1 MiB)"),
        )
        .with_hint(
            "a persona is a prompt: move reference material into contexts/ and include it",
        ));
    }
    let bytes = fs_err::read(disk_path).map_err(|error| io_problem(display_path, &error))?;
    if let Some(position) = bytes.iter().position(|&byte| byte == 0) {
        return Err(Diagnostic::error(
            display_path,
            Some(line_at(&bytes, position)),
            "file is binary (it contains a NUL byte)",
        )
        .with_hint("persona files are UTF-8 text; remove this file from the library"));
    }
    let text = String::from_utf8(bytes).map_err(|error| {
        let position = error.utf8_error().valid_up_to();
        Diagnostic::error(
            display_path,
            Some(line_at(error.as_bytes(), position)),
            "file is not valid UTF-8",
        )
        .with_hint("save the file as UTF-8")
    })?;
    if text.trim().is_empty() {
        return Err(Diagnostic::error(display_path, None, "file is empty")
            .with_hint("write a persona into it or delete it"));
    }
    Ok(text)
}

fn io_problem(display_path: &Path, error: &std::io::Error) -> Diagnostic {
    Diagnostic::error(display_path, None, format!("cannot read file: {error}"))
        .with_hint("check that the file exists and is readable")
}

fn line_at(bytes: &[u8], position: usize) -> usize {
    bytes[..position]
        .iter()
        .filter(|&&byte| byte == b'\n')
        .count()
        + 1
}

/// Reads and parses one library file in whatever style it is written.
pub fn load_file(disk_path: &Path, display_path: &Path) -> Result<Persona, Vec<Diagnostic>> {
    let text = read_text(disk_path, display_path).map_err(|error| vec![error])?;
    detect::parse(display_path, &text)
}

/// What the top of a file says about who it is, found without parsing the file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct PeekedIdentity {
    pub name: Option<String>,
    pub role: Option<String>,
    pub prefix: Option<String>,
}

/// Reads the first few KiB of a file and picks out its name, role and prefix the way the
/// parsers would. Only a hint for finding candidates: the match is confirmed by a full parse.
pub(crate) fn peek_identity(disk_path: &Path) -> PeekedIdentity {
    // Sized for the whole peek, so a small file is read in one call.
    let mut bytes = Vec::with_capacity(PEEK_BYTES as usize);
    let read = fs_err::File::open(disk_path)
        .and_then(|file| file.take(PEEK_BYTES).read_to_end(&mut bytes));
    if read.is_err() {
        return PeekedIdentity::default();
    }
    let text = String::from_utf8_lossy(&bytes);
    if crate::formats::kiro_agent::looks_like(&text) {
        // JSON has no line-wise shape to peek at, so the name is read from the whole file,
        // within the same size limit as parsing.
        let small = fs_err::metadata(disk_path).is_ok_and(|meta| meta.len() <= MAX_FILE_BYTES);
        let name = small
            .then(|| fs_err::read_to_string(disk_path).ok())
            .flatten()
            .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok())
            .and_then(|value| value.get("name")?.as_str().map(str::to_owned))
            .or_else(|| {
                disk_path
                    .file_stem()
                    .and_then(|stem| stem.to_str())
                    .map(str::to_owned)
            });
        return PeekedIdentity {
            name,
            ..PeekedIdentity::default()
        };
    }
    let mut identity = PeekedIdentity::default();
    let mut lines = text.lines();
    let mut in_front_matter = text
        .strip_prefix('\u{feff}')
        .unwrap_or(&text)
        .starts_with("---");
    if in_front_matter {
        lines.next();
    }
    let mut heading_lines = Vec::new();
    for line in lines {
        if in_front_matter {
            if matches!(line.trim_end(), "---" | "...") {
                in_front_matter = false;
                continue;
            }
            let Some(key) = top_level_key(line) else {
                continue;
            };
            let value = line
                .split_once(':')
                .map(|(_, value)| unquote(value).to_owned())
                .filter(|value| !value.is_empty());
            match key {
                "name" => identity.name = value,
                "role" => identity.role = value,
                "prefix" => identity.prefix = value,
                _ => {}
            }
        } else {
            heading_lines.push(line);
        }
    }
    let body = heading_lines.join("\n");
    let body_lines = markdown::lines(&body, 1);
    if identity.name.is_none() {
        if let Some((title, _)) = markdown::first_title(&body_lines) {
            identity.name = Some(markdown::name_from_title(&title));
            identity
                .role
                .get_or_insert_with(|| markdown::role_from_title(&title));
        }
    }
    for line in &body_lines {
        let labelled =
            markdown::bullet(line.text).and_then(|(_, content)| markdown::bold_label(content));
        match labelled {
            Some((label, value)) if label.eq_ignore_ascii_case("prefix") => {
                identity.prefix.get_or_insert(value);
            }
            Some((label, value)) if label.eq_ignore_ascii_case("role name") => {
                identity.role = Some(value);
            }
            _ => {}
        }
    }
    identity
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_binary_empty_and_huge_files() {
        let directory = tempfile::tempdir().unwrap();
        let binary = directory.path().join("b.md");
        fs_err::write(&binary, b"# Role: X\n\0\x01").unwrap();
        let error = read_text(&binary, Path::new("personas/b.md")).unwrap_err();
        assert_eq!(error.message, "file is binary (it contains a NUL byte)");
        assert_eq!(error.line, Some(2));

        let empty = directory.path().join("e.md");
        fs_err::write(&empty, "  \n\n").unwrap();
        let error = read_text(&empty, Path::new("personas/e.md")).unwrap_err();
        assert_eq!(error.message, "file is empty");

        let latin1 = directory.path().join("l.md");
        fs_err::write(&latin1, b"# Role: X\n\ncaf\xe9\n").unwrap();
        let error = read_text(&latin1, Path::new("personas/l.md")).unwrap_err();
        assert_eq!(error.message, "file is not valid UTF-8");
        assert_eq!(error.line, Some(3));
    }

    #[test]
    fn peeks_names_from_front_matter_and_headings() {
        let directory = tempfile::tempdir().unwrap();
        let canonical = directory.path().join("a.md");
        fs_err::write(
            &canonical,
            "---\nname: \"rm\"\nprefix: '[RM]'\n---\n# Ignored\n",
        )
        .unwrap();
        let identity = peek_identity(&canonical);
        assert_eq!(identity.name.as_deref(), Some("rm"));
        assert_eq!(identity.prefix.as_deref(), Some("[RM]"));

        let sheet = directory.path().join("b.txt");
        fs_err::write(
            &sheet,
            "# Role: DevOps\n\n## Metadata\n- **Role Name:** DevOps\n- **Prefix:** [DEVOPS]\n",
        )
        .unwrap();
        let identity = peek_identity(&sheet);
        assert_eq!(identity.name.as_deref(), Some("devops"));
        assert_eq!(identity.prefix.as_deref(), Some("[DEVOPS]"));
        assert_eq!(identity.role.as_deref(), Some("DevOps"));
    }
}
