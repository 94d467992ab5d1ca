//! Assembles system prompts: includes, variables, Tera templates, source maps, digests.
//!
//! Owns the rules of SPEC §5: `{{include:path}}` (library root) and `{{include:/branch/path}}`
//! (workspace) with optional ` (if exists)`, nesting, cycle and escape checks; `{{UPPER_SNAKE}}`
//! variables; byte-for-byte passthrough of every other brace syntax; the prompt layout
//! (docs/prompt-assembly.md); the source map and SHA-256 of the result; and rendering of
//! `templates/` with Tera.
//!
//! Does not know about: how personas or tasks are parsed (it takes the model types), where
//! variables were configured (the caller layers `--var` over `[vars]`), the model endpoint, or
//! the audit log that records the digest. It reads files but writes none.

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

mod assemble;
mod digest;
mod directive;
mod expand;
mod include;
mod sources;
mod template;
mod variables;

pub use assemble::{assemble, AssembledPrompt, PromptInputs, MISSING_CONTEXT_NOTE};
pub use digest::{estimate_tokens, sha256_hex};
pub use include::WORKSPACE_PREFIX;
pub use sources::{render_sources, SourceSpan, GENERATED_SOURCE};
pub use template::{render_template, template_context, TemplateError};
