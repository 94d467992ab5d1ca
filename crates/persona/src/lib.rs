//! Loads persona packs in every supported style into one [`Persona`] model.
//!
//! Owns: detecting a file's style from its content ([`detect()`]), one parser per style
//! ([`formats`]), `[personas.NAME]` overlays ([`PersonaOverlay`], [`apply`]), the library and
//! its cross-file checks ([`Library`]), and task files ([`load_task`]). Every field of a loaded
//! persona records where it came from (`Persona::origins`), and every problem is a
//! [`Diagnostic`](agentctl_protocol::Diagnostic) with a file and, where known, a line.
//!
//! Does not know about: prompt assembly (includes and `{{VARIABLES}}` are left in the body for
//! the prompt crate), `agentctl.toml` discovery (overlays arrive parsed), policy, or running
//! anything. It reads files and nothing else.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

mod detect;
pub mod formats;
mod front_matter;
mod library;
mod lookup;
mod markdown;
mod model;
mod overlay;
mod resolve;
mod source;
mod stages;
mod suggest;
mod task;

pub use detect::{detect, parse};
pub use library::{Library, LibraryPaths};
pub use lookup::RunStart;
pub use model::{
    CommandSpec, ContextRef, Environment, HandoffContext, HandoffTarget, Limits, McpServer, Origin,
    Param, Persona, PersonaKind, SandboxNeeds, SourceFormat, Task,
};
pub use overlay::{apply, HandoffEdge, HandoffSpec, PersonaOverlay};
pub use source::{load_file, read_text, MAX_FILE_BYTES};
pub use suggest::{closest, unknown_persona};
pub use task::{available_ids, load_task, parse_task};
