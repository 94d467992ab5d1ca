//! The agent style (seed 003): front matter with `capabilities`, `use_when`, `avoid_when`,
//! `tags`, `tools` and `model`. It is parsed by the canonical parser; only the recorded format
//! differs, so `agentctl personas` can say which style a file was written in.
//!
//! Does not know about: anything the canonical parser does not.

use std::path::Path;

use agentctl_protocol::Diagnostic;

use crate::formats::canonical::parse_front_matter_persona;
use crate::model::{Persona, SourceFormat};

/// Parses an agent-style persona.
pub fn parse(path: &Path, text: &str) -> Result<Persona, Vec<Diagnostic>> {
    parse_front_matter_persona(path, text, SourceFormat::AgentFrontMatter)
}
