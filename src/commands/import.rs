//! `agentctl import FILE [--output PATH]`: read a persona file in any supported style — a Claude
//! Code subagent, a Kiro / Q CLI agent JSON, or any of agentctl's own styles — and write it in
//! the canonical style (YAML front matter + Markdown prompt).
//!
//! What does not map is printed as warnings (`warning: FILE:LINE: …`), the same ones `lint`
//! shows for the file in place. Needs no project: it reads one file and writes one.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use clap::Args;

use crate::cli::GlobalArgs;
use crate::exit::Exit;
use crate::output;

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The persona file to convert, e.g. `.claude/agents/reviewer.md` or `reviewer.json`.
    pub file: PathBuf,
    /// Write the canonical file here instead of printing it on stdout.
    #[arg(long, short, value_name = "PATH")]
    pub output: Option<PathBuf>,
    /// Overwrite PATH if it exists.
    #[arg(long)]
    pub force: bool,
}

pub fn execute(_global: &GlobalArgs, args: ImportArgs) -> Exit {
    let text = match agentctl_persona::read_text(&args.file, &args.file) {
        Ok(text) => text,
        Err(problem) => {
            output::diagnostics(&[problem]);
            return Exit::BadInput;
        }
    };
    let mut persona = match agentctl_persona::parse(&args.file, &text) {
        Ok(persona) => persona,
        Err(problems) => {
            output::diagnostics(&problems);
            return Exit::BadInput;
        }
    };
    let mut warnings = std::mem::take(&mut persona.warnings);
    warnings.sort_by_key(|warning| warning.line);
    output::diagnostics(&warnings);
    let comment = format!(
        "imported by `agentctl import` from {} ({})",
        args.file.display(),
        persona.format.as_str()
    );
    let canonical = match agentctl_persona::formats::render::to_canonical(&persona, Some(&comment))
    {
        Ok(canonical) => canonical,
        Err(error) => {
            output::error(
                &format!("{}: {error}", args.file.display()),
                Some("stage commands are already Markdown; copy the file into prompts/ as it is"),
            );
            return Exit::BadInput;
        }
    };
    let Some(destination) = args.output else {
        output::stdout(&canonical);
        return Exit::Success;
    };
    match write_new(&destination, &canonical, args.force) {
        Ok(()) => {
            output::note(&format!(
                "wrote {} (persona `{}`, canonical style)",
                destination.display(),
                persona.name
            ));
            Exit::Success
        }
        Err(WriteError::Exists) => {
            output::error(
                &format!("{} already exists", destination.display()),
                Some("pass --force to overwrite it, or choose another --output"),
            );
            Exit::BadInput
        }
        Err(WriteError::Io(error)) => {
            output::error(
                &format!("cannot write {}: {error}", destination.display()),
                None,
            );
            Exit::Failure
        }
    }
}

enum WriteError {
    Exists,
    Io(std::io::Error),
}

/// Writes through a temporary file in the same directory and renames it into place, so a
/// failure leaves nothing half-written; without `force`, an existing file is never replaced
/// (checked atomically by the rename, not before it).
fn write_new(destination: &Path, text: &str, force: bool) -> Result<(), WriteError> {
    let directory = match destination.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let mut temporary = tempfile::NamedTempFile::new_in(&directory).map_err(WriteError::Io)?;
    temporary
        .write_all(text.as_bytes())
        .and_then(|()| temporary.as_file().sync_all())
        .map_err(WriteError::Io)?;
    let persisted = if force {
        temporary.persist(destination)
    } else {
        temporary.persist_noclobber(destination)
    };
    persisted.map(|_| ()).map_err(|error| {
        if error.error.kind() == std::io::ErrorKind::AlreadyExists {
            WriteError::Exists
        } else {
            WriteError::Io(error.error)
        }
    })
}
