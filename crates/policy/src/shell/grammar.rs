//! A second reading of the command text with the tree-sitter bash grammar.
//!
//! Owns: parsing the text with `tree-sitter-bash` (the full bash grammar, also used by Codex
//! CLI for the same job) and refusing the text when that grammar finds a syntax error, a node
//! kind outside the subset the policy models, or a different number of simple commands or
//! redirections than the hand-written reader found. Two independent readings must agree before
//! any command is matched, so a gap in one of them is a denial instead of a way around the
//! rules. Does not know about patterns, wrappers or decisions.

use std::cell::RefCell;

use tree_sitter::{Node, Parser};

use super::{ParsedScript, ShellError};

/// Named node kinds whose meaning the policy fully models. Anything else (arithmetic,
/// subscripts, `[[ ]]`, here-documents, control flow, functions, brace expansion …) is refused.
const UNDERSTOOD_KINDS: [&str; 23] = [
    "program",
    "list",
    "pipeline",
    "command",
    "command_name",
    "word",
    "string",
    "string_content",
    "raw_string",
    "simple_expansion",
    "expansion",
    "command_substitution",
    "subshell",
    "compound_statement",
    "redirected_statement",
    "file_redirect",
    "file_descriptor",
    "variable_assignment",
    "variable_name",
    "special_variable_name",
    "concatenation",
    "comment",
    "number",
];

/// Named kinds that stand for one simple command in the hand-written reader.
const COMMAND_KINDS: [&str; 4] = [
    "command",
    "declaration_command",
    "unset_command",
    "variable_assignment",
];

thread_local! {
    static PARSER: RefCell<Option<Parser>> = const { RefCell::new(None) };
}

/// What the bash grammar found in one piece of command text.
#[derive(Debug, Default, PartialEq, Eq)]
struct Census {
    commands: usize,
    redirections: usize,
}

/// Checks that the bash grammar reads `text` as the same commands the hand-written reader did.
pub(super) fn cross_check(text: &str, script: &ParsedScript) -> Result<(), ShellError> {
    let census = PARSER.with(|cell| -> Result<Census, ShellError> {
        let mut slot = cell.borrow_mut();
        if slot.is_none() {
            let mut parser = Parser::new();
            parser
                .set_language(&tree_sitter_bash::LANGUAGE.into())
                .map_err(|error| {
                    ShellError::new(format!("the bash grammar could not be loaded: {error}"))
                })?;
            *slot = Some(parser);
        }
        let Some(parser) = slot.as_mut() else {
            return Err(ShellError::new("the bash grammar could not be loaded"));
        };
        let tree = parser
            .parse(text, None)
            .ok_or_else(|| ShellError::new("the bash grammar could not read the command"))?;
        let mut census = Census::default();
        visit(tree.root_node(), text, false, &mut census)?;
        Ok(census)
    })?;
    let expected = Census {
        // A line of only redirections (`> file`) is a command for the reader, not the grammar.
        commands: script
            .commands
            .iter()
            .filter(|command| !(command.words.is_empty() && command.assignments.is_empty()))
            .count(),
        redirections: script.redirections.len(),
    };
    if census != expected {
        return Err(ShellError::new(format!(
            "the bash grammar reads {} command(s) and {} redirection(s) where the policy reads {} \
             and {}, so the command cannot be checked; write it as plain simple commands",
            census.commands, census.redirections, expected.commands, expected.redirections
        )));
    }
    Ok(())
}

fn visit(
    node: Node<'_>,
    text: &str,
    in_command: bool,
    census: &mut Census,
) -> Result<(), ShellError> {
    if node.is_error() || node.is_missing() {
        let shown: String = node
            .utf8_text(text.as_bytes())
            .unwrap_or_default()
            .chars()
            .take(40)
            .collect();
        return Err(ShellError::new(format!(
            "bash would read `{shown}` differently from the policy, or not at all (syntax error \
             at byte {})",
            node.start_byte()
        )));
    }
    let kind = node.kind();
    let mut inside_command = in_command;
    if node.is_named() {
        let counted =
            COMMAND_KINDS.contains(&kind) && !(kind == "variable_assignment" && in_command);
        let understood = UNDERSTOOD_KINDS.contains(&kind)
            || kind == "declaration_command"
            || kind == "unset_command";
        if !understood {
            return Err(ShellError::new(format!(
                "`{}` is a bash construct ({}) the policy does not model",
                shorten(node.utf8_text(text.as_bytes()).unwrap_or_default()),
                kind.replace('_', " ")
            )));
        }
        if counted {
            census.commands += 1;
            inside_command = true;
        }
        if kind == "file_redirect" {
            census.redirections += 1;
        }
        if kind == "command_substitution" {
            inside_command = false;
        }
    }
    let mut cursor = node.walk();
    for child in node.children(&mut cursor) {
        visit(child, text, inside_command, census)?;
    }
    Ok(())
}

fn shorten(text: &str) -> String {
    let head: String = text.chars().take(40).collect();
    if head.len() < text.len() {
        format!("{head}…")
    } else {
        head
    }
}
