//! `[gates.S06]` and `[gates.S07]`: the evidence a persona's `gate_report … "passed"` needs.
//!
//! Owns: reading and checking these tables (patterns not empty, file paths inside the project,
//! digests as 64 hex characters). Does not know about: runs, the audit log or how a command line
//! is read; the engine checks a report against these settings.

use std::collections::BTreeMap;
use std::path::{Component, Path};

use agentctl_protocol::{Diagnostic, Gate};
use serde::Deserialize;

use crate::resolve::find_line;
use crate::ConfigError;

/// `[gates.S06]` as written.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawGateEvidence {
    /// Command patterns; the reporting persona must have run one of them in this run, and it
    /// must have exited 0.
    #[serde(default)]
    pub commands: Vec<String>,
    /// Files that must exist in the workspace, each optionally with its SHA-256.
    #[serde(default)]
    pub files: Vec<RawEvidenceFile>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawEvidenceFile {
    pub path: String,
    pub sha256: Option<String>,
}

/// What a gate needs before a persona may report it passed. Both lists, when not empty, must
/// be met.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GateEvidence {
    /// Command patterns (`*` matches any run of characters), matched against the words of a
    /// single command the reporting persona ran in this run and that exited 0.
    pub commands: Vec<String>,
    pub files: Vec<EvidenceFile>,
}

/// A file that must exist, relative to the workspace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvidenceFile {
    pub path: String,
    /// Lowercase hex; `None`: any content.
    pub sha256: Option<String>,
}

impl GateEvidence {
    pub fn is_empty(&self) -> bool {
        self.commands.is_empty() && self.files.is_empty()
    }
}

/// Checks the tables and turns them into settings per gate.
pub(crate) fn resolve(
    tables: [(Gate, Option<RawGateEvidence>); 2],
    config_file: &Path,
    text: &str,
) -> Result<BTreeMap<Gate, GateEvidence>, ConfigError> {
    let mut resolved = BTreeMap::new();
    for (gate, raw) in tables {
        let Some(raw) = raw else { continue };
        let table = format!("[gates.{gate}]");
        let invalid = |key: &str, message: String, hint: &str| {
            let line = find_line(text, key).or_else(|| find_line(text, &table));
            ConfigError::Invalid(
                Diagnostic::error(config_file, line, format!("{table}: {message}")).with_hint(hint),
            )
        };
        let mut commands = Vec::new();
        for pattern in raw.commands {
            let pattern = pattern.split_whitespace().collect::<Vec<_>>().join(" ");
            if pattern.is_empty() || pattern.chars().all(|character| character == '*') {
                return Err(invalid(
                    "commands",
                    format!("the command pattern {pattern:?} would accept any command"),
                    "name the test or scan command, e.g. \"cargo test*\" or \"python3 -m unittest*\"",
                ));
            }
            if pattern.contains([';', '|', '&', '`', '$', '<', '>', '\n']) {
                return Err(invalid(
                    "commands",
                    format!("the command pattern {pattern:?} contains shell operators"),
                    "a pattern matches the words of one plain command; write it without `;`, `|`, `&`, `$`, redirections or backticks",
                ));
            }
            commands.push(pattern);
        }
        let mut files = Vec::new();
        for file in raw.files {
            let path = Path::new(&file.path);
            let escapes = path.is_absolute()
                || path
                    .components()
                    .any(|component| matches!(component, Component::ParentDir));
            if file.path.trim().is_empty() || escapes {
                return Err(invalid(
                    "files",
                    format!(
                        "the evidence file {:?} is not a path inside the project",
                        file.path
                    ),
                    "give a path relative to the workspace, without `..`",
                ));
            }
            let sha256 = match file.sha256 {
                Some(digest) => {
                    let digest = digest.trim().to_ascii_lowercase();
                    if digest.len() != 64 || !digest.chars().all(|c| c.is_ascii_hexdigit()) {
                        return Err(invalid(
                            "sha256",
                            format!("`sha256 = {digest:?}` is not a SHA-256 (64 hex characters)"),
                            "print one with `sha256sum FILE`, or leave `sha256` out to accept any content",
                        ));
                    }
                    Some(digest)
                }
                None => None,
            };
            files.push(EvidenceFile {
                path: file.path,
                sha256,
            });
        }
        let evidence = GateEvidence { commands, files };
        if evidence.is_empty() {
            return Err(invalid(
                &table,
                "names no evidence".to_owned(),
                "add `commands = [\"cargo test*\"]` and/or `files = [{ path = \"reports/junit.xml\" }]`, or remove the table",
            ));
        }
        resolved.insert(gate, evidence);
    }
    Ok(resolved)
}
