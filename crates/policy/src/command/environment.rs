//! Which variables a command line may set or read.
//!
//! Owns: the allowlist of variable names a command may assign (`NAME=value cmd`, `NAME=value`
//! alone, `env NAME=value cmd`, `export NAME=value`), the rules for their values, and which
//! parameter expansions (`$NAME`, `${NAME}`, `$?` …) may appear in a command's words. A name not
//! on the list is refused, because programs load configuration and code through variables no
//! denylist can enumerate (`XDG_CONFIG_HOME`, `KUBECONFIG`, `GIT_CONFIG_*`, `LD_PRELOAD`,
//! `BASH_ENV`, `PYTHONWARNINGS` …). Does not know about patterns or paths.

use agentctl_protocol::Decision;

use crate::request::deny;
use crate::shell::{Word, WordPart};

/// Variables that only change how programs format their output or which locale they use. None
/// of them names a file to load or a program to run.
pub(crate) const HARMLESS_VARIABLES: [&str; 35] = [
    "CI",
    "TERM",
    "NO_COLOR",
    "FORCE_COLOR",
    "CLICOLOR",
    "CLICOLOR_FORCE",
    "COLORTERM",
    "COLUMNS",
    "LINES",
    "LANG",
    "LANGUAGE",
    "LC_ALL",
    "LC_COLLATE",
    "LC_CTYPE",
    "LC_MESSAGES",
    "LC_MONETARY",
    "LC_NUMERIC",
    "LC_TIME",
    "TZ",
    "SOURCE_DATE_EPOCH",
    "RUST_BACKTRACE",
    "RUST_LOG",
    "RUST_LOG_STYLE",
    "CARGO_TERM_COLOR",
    "CARGO_TERM_QUIET",
    "CARGO_TERM_VERBOSE",
    "CARGO_INCREMENTAL",
    "NODE_ENV",
    "PYTHONUNBUFFERED",
    "PYTHONDONTWRITEBYTECODE",
    "PYTHONHASHSEED",
    "PYTHONIOENCODING",
    "DEBIAN_FRONTEND",
    "TF_IN_AUTOMATION",
    "GIT_TERMINAL_PROMPT",
];

/// Special parameters whose value is a number or the shell's flags, never a path.
const HARMLESS_SPECIAL_PARAMETERS: [&str; 3] = ["?", "#", "-"];

pub(crate) fn is_harmless_variable(name: &str) -> bool {
    HARMLESS_VARIABLES.contains(&name)
}

/// The decision for setting `name` to `value`, if it is refused.
pub(crate) fn check_assignment(name: &str, value: &Word) -> Option<Decision> {
    if !is_harmless_variable(name) {
        return Some(deny(
            "shell: variable not allowed",
            format!(
                "setting `{name}` is not allowed: a command may set only {}; other variables can \
                 make programs load configuration or code. Run the command without it",
                HARMLESS_VARIABLES.join(", ")
            ),
        ));
    }
    let Some(text) = value.static_text() else {
        return Some(deny(
            "shell: variable not allowed",
            format!(
                "the value of `{name}` (`{}`) is only known at run time; write the value out",
                value.text()
            ),
        ));
    };
    if !is_harmless_value(&text) {
        return Some(deny(
            "shell: variable not allowed",
            format!(
                "the value `{text}` of `{name}` looks like a path leaving the workspace (it \
                 starts with `/`, `~` or `.`, or contains `..`)"
            ),
        ));
    }
    None
}

/// A value that cannot name a place outside the workspace, even when joined with others.
fn is_harmless_value(text: &str) -> bool {
    !(text.starts_with(['/', '~', '.'])
        || text.contains("..")
        || text.contains('\n')
        || text.contains("/."))
}

/// The name inside `$NAME`, `${NAME}`, `$1`, `$?` as written.
pub(crate) fn parameter_name(raw: &str) -> &str {
    let body = raw.strip_prefix('$').unwrap_or(raw);
    body.strip_prefix('{')
        .and_then(|inner| inner.strip_suffix('}'))
        .unwrap_or(body)
}

/// Whether the value of this expansion can never be a path outside the workspace nor a secret:
/// `$?`, `$#`, `$-` and the variables of [`HARMLESS_VARIABLES`], whose values a command line
/// may only set to harmless text.
pub(crate) fn is_harmless_parameter(raw: &str) -> bool {
    let name = parameter_name(raw);
    HARMLESS_SPECIAL_PARAMETERS.contains(&name) || is_harmless_variable(name)
}

/// The first parameter expansion in `word` that is not harmless.
pub(crate) fn harmful_parameter(word: &Word) -> Option<&str> {
    word.parts.iter().find_map(|part| match part {
        WordPart::Parameter(raw) if !is_harmless_parameter(raw) => Some(raw.as_str()),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn literal(text: &str) -> Word {
        Word {
            parts: vec![WordPart::Literal(text.to_owned())],
        }
    }

    #[test]
    fn only_listed_names_with_plain_values_may_be_set() {
        assert!(check_assignment("CI", &literal("1")).is_none());
        assert!(check_assignment("TZ", &literal("Europe/Paris")).is_none());
        for name in [
            "XDG_CONFIG_HOME",
            "KUBECONFIG",
            "GIT_CONFIG_GLOBAL",
            "LD_PRELOAD",
            "PATH",
            "BASH_ENV",
            "ENV",
            "HOME",
            "PYTHONWARNINGS",
            "http_proxy",
            "x",
        ] {
            assert!(check_assignment(name, &literal("v")).is_some(), "{name}");
        }
        for value in ["/etc", "~/x", "..", "a/../b", ".", "a/.x"] {
            assert!(
                check_assignment("LANG", &literal(value)).is_some(),
                "{value}"
            );
        }
    }

    #[test]
    fn harmless_parameters() {
        assert!(is_harmless_parameter("$?"));
        assert!(is_harmless_parameter("${CI}"));
        assert!(!is_harmless_parameter("$PPID"));
        assert!(!is_harmless_parameter("$HOME"));
        assert!(!is_harmless_parameter("$OPENAI_API_KEY"));
        assert!(!is_harmless_parameter("$1"));
        assert!(!is_harmless_parameter("$$"));
    }
}
