//! Finds the two directives prompt assembly acts on — `{{include:PATH}}` (with an optional
//! ` (if exists)` suffix) and `{{UPPER_SNAKE}}` — in a piece of text.
//!
//! Owns only the syntax: where a directive starts and ends and what it names. It does not know
//! about files, roots, variable values or line numbers; everything it does not recognise is left
//! for the caller to copy through unchanged.

/// What a directive asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DirectiveKind<'text> {
    /// `{{include:PATH}}`; `optional` when ` (if exists)` follows it.
    Include { path: &'text str, optional: bool },
    /// `{{NAME}}` where NAME matches `[A-Z][A-Z0-9_]*`.
    Variable { name: &'text str },
}

/// One directive and the byte range it occupies, suffix included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Directive<'text> {
    pub start: usize,
    pub end: usize,
    pub kind: DirectiveKind<'text>,
}

const OPEN: &str = "{{";
const CLOSE: &str = "}}";
const INCLUDE_PREFIX: &str = "include:";
const OPTIONAL_SUFFIX: &str = "(if exists)";

/// Every directive in `text`, in order, never overlapping.
///
/// A `{{` right after a `$` is skipped: `${{ … }}` is a GitHub Actions expression, and prompts
/// quote workflow files, so even `${{SECRET_NAME}}` must reach the model untouched.
pub(crate) fn scan(text: &str) -> Vec<Directive<'_>> {
    let mut directives = Vec::new();
    let mut cursor = 0;
    while let Some(offset) = text[cursor..].find(OPEN) {
        let start = cursor + offset;
        if start > 0 && text.as_bytes()[start - 1] == b'$' {
            cursor = start + OPEN.len();
            continue;
        }
        match directive_at(text, start) {
            Some(directive) => {
                cursor = directive.end;
                directives.push(directive);
            }
            // Step by one byte so `{{{NAME}}}` still finds the `{{NAME}}` inside, as a regex
            // search would.
            None => cursor = start + 1,
        }
    }
    directives
}

fn directive_at(text: &str, start: usize) -> Option<Directive<'_>> {
    let inner_start = start + OPEN.len();
    let rest = &text[inner_start..];
    if let Some(after_prefix) = rest.strip_prefix(INCLUDE_PREFIX) {
        return include_at(
            text,
            start,
            inner_start + INCLUDE_PREFIX.len(),
            after_prefix,
        );
    }
    let name_length = variable_name_length(rest);
    if name_length > 0 && rest[name_length..].starts_with(CLOSE) {
        return Some(Directive {
            start,
            end: inner_start + name_length + CLOSE.len(),
            kind: DirectiveKind::Variable {
                name: &rest[..name_length],
            },
        });
    }
    None
}

fn include_at<'text>(
    text: &'text str,
    start: usize,
    path_start: usize,
    after_prefix: &'text str,
) -> Option<Directive<'text>> {
    let close = after_prefix.find(CLOSE)?;
    let path = &after_prefix[..close];
    // A directive never spans lines; an unclosed one is ordinary text.
    if path.contains('\n') || path.contains(OPEN) {
        return None;
    }
    let mut end = path_start + close + CLOSE.len();
    let after_close = &text[end..];
    let padding = after_close.len() - after_close.trim_start_matches([' ', '\t']).len();
    let optional = after_close[padding..].starts_with(OPTIONAL_SUFFIX);
    if optional {
        end += padding + OPTIONAL_SUFFIX.len();
    }
    Some(Directive {
        start,
        end,
        kind: DirectiveKind::Include {
            path: path.trim(),
            optional,
        },
    })
}

/// Length in bytes of a leading `[A-Z][A-Z0-9_]*`, zero when there is none.
fn variable_name_length(text: &str) -> usize {
    let bytes = text.as_bytes();
    if !bytes.first().is_some_and(u8::is_ascii_uppercase) {
        return 0;
    }
    bytes
        .iter()
        .take_while(|byte| byte.is_ascii_uppercase() || byte.is_ascii_digit() || **byte == b'_')
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<DirectiveKind<'_>> {
        scan(text)
            .into_iter()
            .map(|directive| directive.kind)
            .collect()
    }

    #[test]
    fn finds_variables_and_includes_with_their_ranges() {
        let text = "- {{include:contexts/a.md}}\nUse {{CICD_PIPELINE}} now";
        let found = scan(text);
        assert_eq!(found.len(), 2);
        assert_eq!(
            &text[found[0].start..found[0].end],
            "{{include:contexts/a.md}}"
        );
        assert_eq!(
            found[0].kind,
            DirectiveKind::Include {
                path: "contexts/a.md",
                optional: false
            }
        );
        assert_eq!(&text[found[1].start..found[1].end], "{{CICD_PIPELINE}}");
    }

    #[test]
    fn optional_suffix_belongs_to_the_directive() {
        let text = "- {{include:/branch/tickets.md}} (if exists)\n";
        let found = scan(text);
        assert_eq!(
            &text[found[0].start..found[0].end],
            "{{include:/branch/tickets.md}} (if exists)"
        );
        assert_eq!(
            found[0].kind,
            DirectiveKind::Include {
                path: "/branch/tickets.md",
                optional: true
            }
        );
    }

    #[test]
    fn leaves_other_brace_syntaxes_alone() {
        assert_eq!(
            kinds("${{ secrets.TOKEN }} {{ lower_case }} {{.Values.x}}"),
            vec![]
        );
        assert_eq!(
            kinds("{% if x %}{{ Name }}{{Mixed}}{{_LEADING}}{{1ABC}}"),
            vec![]
        );
        assert_eq!(kinds("${{SECRET_NAME}} ${{include:x.md}}"), vec![]);
        assert_eq!(kinds("{{include:a.md\n}}"), vec![]);
    }

    #[test]
    fn triple_braces_still_expose_the_inner_variable() {
        assert_eq!(
            kinds("{{{NAME}}}"),
            vec![DirectiveKind::Variable { name: "NAME" }]
        );
    }

    #[test]
    fn single_letter_and_digit_names_are_variables() {
        assert_eq!(
            kinds("{{A}} {{TASK_ID2}}"),
            vec![
                DirectiveKind::Variable { name: "A" },
                DirectiveKind::Variable { name: "TASK_ID2" }
            ]
        );
    }
}
