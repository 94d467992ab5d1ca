//! Assembles a persona's system prompt: the resolved body, its context files and, for a stage
//! command, the command's instructions and parameters — the layout of docs/prompt-assembly.md.
//!
//! Owns [`PromptInputs`], [`AssembledPrompt`] and the order of sections. It does not know how
//! personas are parsed, how the caller layered `--var` over `[vars]`, nor what the task says
//! (the task is the first user message, not part of the system prompt; only its variables are
//! used here).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use agentctl_persona::{ContextRef, Persona, Task};
use agentctl_protocol::Diagnostic;
use serde::{Deserialize, Serialize};

use crate::digest::sha256_hex;
use crate::expand::{ChainLink, Expander, FileText, LoadedFile, Purpose};
use crate::include::{IncludeRoots, WORKSPACE_PREFIX};
use crate::sources::SourceSpan;
use crate::variables::VariableScope;

/// Everything a system prompt depends on. The same inputs give the same bytes.
#[derive(Debug, Clone, Copy)]
pub struct PromptInputs<'a> {
    /// `{{include:path}}` and context paths resolve here.
    pub library_root: &'a Path,
    /// `{{include:/branch/path}}` and `/branch/…` context paths resolve here.
    pub workspace: &'a Path,
    /// The persona whose body opens the prompt; for a stage command, its active role.
    pub persona: &'a Persona,
    /// The stage command being run, if any.
    pub command: Option<&'a Persona>,
    /// Supplies `vars:` (lowest precedence) and `TASK_ID`, `TASK_TITLE`, `TASK_ENV`.
    pub task: Option<&'a Task>,
    /// Variables already layered by the caller (`--var` over `agentctl.toml [vars]`).
    pub vars: &'a BTreeMap<String, String>,
    /// Stage command parameters after defaults; visible upper-cased as variables.
    pub params: &'a BTreeMap<String, String>,
}

/// A system prompt with its digest and the origin of every byte.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssembledPrompt {
    pub text: String,
    /// SHA-256 of `text`, lowercase hex; recorded in the audit log.
    pub sha256: String,
    /// Contiguous spans covering `text` from 0 to its length, in order.
    pub sources: Vec<SourceSpan>,
    /// What was skipped on purpose, e.g. optional includes that do not exist.
    pub notes: Vec<String>,
}

/// Builds the system prompt, or returns every problem found in one pass.
pub fn assemble(inputs: &PromptInputs<'_>) -> Result<AssembledPrompt, Vec<Diagnostic>> {
    let roots = IncludeRoots::new(inputs.library_root, inputs.workspace);
    let scope = VariableScope::new(inputs.vars, inputs.task, inputs.params);
    let mut expander = Expander::new(&roots, &scope);

    expand_body(&mut expander, &roots, inputs.persona);
    expander.output.finish_line();
    append_context(&mut expander, &roots, inputs);
    if let Some(command) = inputs.command {
        append_stage_command(&mut expander, &roots, command, inputs.params);
    }

    let (output, diagnostics, notes) = expander.finish();
    if diagnostics.iter().any(Diagnostic::is_error) {
        return Err(diagnostics);
    }
    let (text, sources) = output.into_parts();
    Ok(AssembledPrompt {
        sha256: sha256_hex(text.as_bytes()),
        text,
        sources,
        notes,
    })
}

fn expand_body(expander: &mut Expander<'_>, roots: &IncludeRoots, persona: &Persona) {
    expander.expand(FileText {
        display: persona.source.display().to_string(),
        identity: roots.library_file_identity(&persona.source),
        text: &persona.body,
        first_line: persona.body_line,
    });
}

/// `## Context` with one `### path` per file that exists; omitted when none does.
fn append_context(expander: &mut Expander<'_>, roots: &IncludeRoots, inputs: &PromptInputs<'_>) {
    let owners = std::iter::once(inputs.persona).chain(inputs.command);
    let mut seen = BTreeSet::new();
    let mut loaded = Vec::new();
    for owner in owners {
        let referrer = context_referrer(roots, owner);
        for reference in &owner.context {
            if !seen.insert(reference.path.trim().to_owned()) {
                continue;
            }
            let file = expander.within(&referrer, |expander| load_context(expander, reference));
            if let Some(file) = file {
                loaded.push((referrer.clone(), file));
            }
        }
    }
    if loaded.is_empty() {
        return;
    }
    expander.output.push_generated("\n## Context\n");
    for (referrer, file) in loaded {
        expander
            .output
            .push_generated(&format!("\n### {}\n\n", file.display));
        expander.within(&referrer, |expander| {
            expander.expand(FileText {
                display: file.display,
                identity: Some(file.identity),
                text: &file.text,
                first_line: 1,
            });
        });
        expander.output.finish_line();
    }
}

/// A context path names a library file, or else a workspace file (`AGENTS.md` usually lives
/// in the project, not the library); `/branch/…` always names the workspace. A missing context
/// file is reported as a note, never fatal: context is activation material a persona pack
/// may list before the project has it (lint warns about required ones).
fn load_context(expander: &mut Expander<'_>, reference: &ContextRef) -> Option<LoadedFile> {
    let written = reference.path.trim();
    let candidate = if written.starts_with(WORKSPACE_PREFIX) || expander.exists(written) {
        written.to_owned()
    } else {
        format!("{WORKSPACE_PREFIX}{written}")
    };
    let notes_before = expander.notes.len();
    let file = expander.load(&candidate, true, Purpose::Context);
    if file.is_none() && !reference.optional && expander.notes.len() > notes_before {
        if let Some(note) = expander.notes.last_mut() {
            *note = note.replacen("skipped optional", MISSING_CONTEXT_NOTE, 1);
        }
    }
    file
}

/// The start of a note about a required context file that does not exist.
pub const MISSING_CONTEXT_NOTE: &str = "missing required";

/// The persona file, at the line its context list was declared, as the start of the chain.
fn context_referrer(roots: &IncludeRoots, owner: &Persona) -> ChainLink {
    ChainLink {
        display: owner.source.display().to_string(),
        identity: roots.library_file_identity(&owner.source),
        line: owner.origins.get("context").and_then(|origin| origin.line),
    }
}

fn append_stage_command(
    expander: &mut Expander<'_>,
    roots: &IncludeRoots,
    command: &Persona,
    params: &BTreeMap<String, String>,
) {
    expander
        .output
        .push_generated(&format!("\n## Stage command: {}\n\n", command.name));
    expand_body(expander, roots, command);
    expander.output.finish_line();
    if params.is_empty() {
        return;
    }
    let mut listing = String::from("\n### Parameters\n\n");
    for (name, value) in params {
        listing.push_str(&format!("- {name} = {value}\n"));
    }
    expander.output.push_generated(&listing);
}
