//! The arguments of one simple command as paths and run-time values.
//!
//! Owns: refusing arguments that reach outside the workspace (`/etc/passwd`, `../x`,
//! `/proc/$PPID/environ`, `--file=/tmp/x`, `-o/tmp/x`, `@/etc/x`, `file:///etc/x`), the
//! parameter expansions and substitutions allowed in arguments, globs that could match `..`,
//! and the file operands of programs that write (`tee`, `cp`, `mv`, `ln`, `rm`, `touch` …),
//! which are judged like an output redirection. Does not know about patterns or how the words
//! were parsed.

use agentctl_protocol::Decision;

use super::environment::harmful_parameter;
use super::{Access, PathCheck};
use crate::request::deny;
use crate::shell::{Word, WordPart};

/// Programs whose run-time arguments are only printed, so a `$(…)` in them is harmless
/// (the commands inside it are checked on their own).
const DISPLAY_PROGRAMS: [&str; 2] = ["echo", "printf"];

/// Programs whose operands are files they create, change or remove.
const WRITING_PROGRAMS: [&str; 17] = [
    "tee", "cp", "mv", "ln", "link", "rm", "unlink", "rmdir", "mkdir", "touch", "truncate",
    "install", "shred", "mkfifo", "chmod", "chown", "chgrp",
];

/// Programs whose first operand is a mode or owner, not a file.
const FIRST_OPERAND_IS_NOT_A_FILE: [&str; 3] = ["chmod", "chown", "chgrp"];

/// Paths outside the workspace that are harmless to name.
const HARMLESS_PATHS: [&str; 4] = ["/dev/null", "/dev/stdin", "/dev/stdout", "/dev/stderr"];

/// The decisions for the arguments of `words` (the command name first).
pub(crate) fn check(program: &str, words: &[Word], check_path: PathCheck<'_>) -> Vec<Decision> {
    let mut decisions = Vec::new();
    for argument in words.iter().skip(1) {
        if let Some(decision) = check_run_time_parts(program, argument) {
            decisions.push(decision);
            continue;
        }
        if DISPLAY_PROGRAMS.contains(&program) {
            // Printed, never opened.
            continue;
        }
        let text = argument.text();
        if let Some(decision) = check_link_escape(program, argument, check_path) {
            decisions.push(decision);
            continue;
        }
        for candidate in path_candidates(&text) {
            if HARMLESS_PATHS.contains(&candidate) {
                continue;
            }
            if let Decision::Deny { rule, reason } = check_path(candidate, Access::Read) {
                decisions.push(Decision::Deny {
                    rule,
                    reason: format!("argument `{text}` of `{program}`: {reason}"),
                });
            }
        }
    }
    if WRITING_PROGRAMS.contains(&program) {
        decisions.extend(check_file_operands(program, words, check_path));
    }
    decisions
}

/// The rule the path checks give a path that resolves outside the workspace.
const OUTSIDE_RULE: &str = "path outside workspace";

/// An argument that names an existing symbolic link (or a path through one) leading out of the
/// workspace, such as `cd link` or `cat link/x` for `link -> /etc`. Only the workspace
/// boundary is judged here; scopes are not, because most arguments are not paths at all.
fn check_link_escape(
    program: &str,
    argument: &Word,
    check_path: PathCheck<'_>,
) -> Option<Decision> {
    let text = argument.static_text()?;
    if text.is_empty() || text.starts_with('-') || HARMLESS_PATHS.contains(&text.as_str()) {
        return None;
    }
    match check_path(&text, Access::Read) {
        Decision::Deny { rule, reason } if rule == OUTSIDE_RULE => Some(Decision::Deny {
            rule,
            reason: format!("argument `{text}` of `{program}`: {reason}"),
        }),
        _ => None,
    }
}

/// Whether `program` writes its operands.
pub(crate) fn writes_operands(program: &str) -> bool {
    WRITING_PROGRAMS.contains(&program)
}

fn check_run_time_parts(program: &str, argument: &Word) -> Option<Decision> {
    let has_substitution = argument
        .parts
        .iter()
        .any(|part| matches!(part, WordPart::Substitution(_)));
    if has_substitution && !DISPLAY_PROGRAMS.contains(&program) {
        return Some(deny(
            "shell: substitution in argument",
            format!(
                "the argument `{}` of `{program}` is the output of a command, only known at run \
                 time, so it cannot be checked as a path; run the inner command first and write \
                 its result into the command",
                argument.text()
            ),
        ));
    }
    if let Some(parameter) = harmful_parameter(argument) {
        return Some(deny(
            "shell: parameter expansion",
            format!(
                "`{parameter}` in `{}` is only known at run time and may name a path outside the \
                 workspace or hold a secret; write the value out (only `$?`, `$#`, `$-` and the \
                 harmless variables such as `$CI` or `$LANG` may be expanded)",
                argument.text()
            ),
        ));
    }
    if could_match_dot_dot(argument) {
        return Some(deny(
            "shell: glob",
            format!(
                "the pattern `{}` could match `..` and leave the workspace; name the files",
                argument.text()
            ),
        ));
    }
    None
}

/// A path segment that starts with a literal `.` and contains a glob character (`.*`, `.?`,
/// `.[.]`) can match `..` in some bash versions and settings.
fn could_match_dot_dot(word: &Word) -> bool {
    let mut at_segment_start = true;
    let mut segment_starts_with_dot = false;
    for part in &word.parts {
        match part {
            WordPart::Literal(text) => {
                for character in text.chars() {
                    if character == '/' {
                        at_segment_start = true;
                        segment_starts_with_dot = false;
                        continue;
                    }
                    if at_segment_start {
                        segment_starts_with_dot = character == '.';
                    }
                    at_segment_start = false;
                }
            }
            WordPart::Glob(_) => {
                if segment_starts_with_dot {
                    return true;
                }
                at_segment_start = false;
            }
            WordPart::Parameter(_) | WordPart::Substitution(_) => at_segment_start = false,
        }
    }
    false
}

/// The pieces of an argument that a program may take as a path: the argument itself, the value
/// of `--option=value`, a value glued to a short option (`-o/tmp/x`), `@file` and `file://`
/// forms. Only pieces that could leave the workspace are returned: absolute, `~`, or with a
/// `..` segment.
fn path_candidates(text: &str) -> Vec<&str> {
    let mut pieces: Vec<&str> = vec![text];
    if let Some((_, value)) = text.split_once('=') {
        pieces.push(value);
    }
    if text.starts_with('-') && !text.starts_with("--") {
        if let Some(position) = text.find(['/', '~', '.']) {
            pieces.push(&text[position..]);
        }
    }
    for piece in pieces.clone() {
        if let Some(rest) = piece.strip_prefix('@') {
            pieces.push(rest);
        }
        for scheme in ["file://", "fileb://"] {
            if let Some(position) = piece.find(scheme) {
                pieces.push(&piece[position + scheme.len()..]);
            }
        }
        if let Some((_, after)) = piece.split_once(':') {
            if after.starts_with('/') && !after.starts_with("//") {
                // `host:/path`, `image:/path`: refused like a plain absolute path.
                pieces.push(after);
            }
        }
    }
    pieces
        .into_iter()
        .filter(|piece| {
            !piece.contains("://")
                && (piece.starts_with(['/', '~'])
                    || piece.split('/').any(|segment| segment == ".."))
        })
        .collect()
}

/// Operands of a writing program, judged as writes (scopes, deny list, protected files).
fn check_file_operands(program: &str, words: &[Word], check_path: PathCheck<'_>) -> Vec<Decision> {
    let mut decisions = Vec::new();
    let mut options_ended = false;
    let mut skipped_first = !FIRST_OPERAND_IS_NOT_A_FILE.contains(&program);
    for word in words.iter().skip(1) {
        let text = word.text();
        if !options_ended && text == "--" {
            options_ended = true;
            continue;
        }
        if !options_ended && text.starts_with('-') && text != "-" {
            continue;
        }
        if !skipped_first {
            skipped_first = true;
            continue;
        }
        let Some(path) = word.static_text() else {
            decisions.push(deny(
                "shell: dynamic file operand",
                format!("the file `{text}` given to `{program}` is only known at run time"),
            ));
            continue;
        };
        if HARMLESS_PATHS.contains(&path.as_str()) {
            continue;
        }
        decisions.push(match check_path(&path, Access::Write) {
            Decision::Deny { rule, reason } => Decision::Deny {
                rule,
                reason: format!("`{program}` would change `{path}`: {reason}"),
            },
            other => other,
        });
    }
    decisions
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn candidates_are_the_pieces_that_could_leave() {
        assert_eq!(path_candidates("/etc/passwd"), ["/etc/passwd"]);
        assert_eq!(path_candidates("--file=/tmp/x"), ["/tmp/x"]);
        assert_eq!(path_candidates("-o/tmp/x"), ["/tmp/x"]);
        assert_eq!(path_candidates("a/../../x"), ["a/../../x"]);
        assert_eq!(path_candidates("@/etc/x"), ["/etc/x"]);
        assert_eq!(path_candidates("file:///etc/x"), ["/etc/x"]);
        assert!(path_candidates("HEAD~1..HEAD").is_empty());
        assert!(path_candidates("https://example.com/../x").is_empty());
        assert!(path_candidates("src/main.rs").is_empty());
    }

    #[test]
    fn dot_globs_are_noticed() {
        let word = |parts: Vec<WordPart>| Word { parts };
        assert!(could_match_dot_dot(&word(vec![
            WordPart::Literal(".".into()),
            WordPart::Glob('*')
        ])));
        assert!(could_match_dot_dot(&word(vec![
            WordPart::Literal("a/.".into()),
            WordPart::Glob('?')
        ])));
        assert!(!could_match_dot_dot(&word(vec![
            WordPart::Glob('*'),
            WordPart::Literal(".rs".into())
        ])));
    }
}
