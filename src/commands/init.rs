//! `agentctl init [DIR]`: scaffold agentctl.toml, the shipped team and a sample task.

use std::path::PathBuf;

use clap::Args;

use crate::cli::GlobalArgs;
use crate::exit::Exit;
use crate::output;
use crate::shipped::{DEFAULT_CONFIG, SHIPPED_FILES};

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Directory to scaffold (created if missing; default: the current directory).
    pub dir: Option<PathBuf>,
    /// Overwrite files that already exist.
    #[arg(long)]
    pub force: bool,
}

pub fn execute(_global: &GlobalArgs, args: InitArgs) -> Exit {
    let target = args.dir.unwrap_or_else(|| PathBuf::from("."));
    let mut files: Vec<(String, &str)> = vec![("agentctl.toml".to_owned(), DEFAULT_CONFIG)];
    files.extend(
        SHIPPED_FILES
            .iter()
            .map(|(path, text)| ((*path).to_owned(), *text)),
    );
    // Check everything before writing anything, so a refusal leaves nothing half-written.
    if !args.force {
        let existing: Vec<&str> = files
            .iter()
            .filter(|(path, _)| target.join(path).exists())
            .map(|(path, _)| path.as_str())
            .collect();
        if !existing.is_empty() {
            output::error(
                &format!("{} already has {}", target.display(), existing.join(", ")),
                Some("pass --force to overwrite them, or choose an empty directory"),
            );
            return Exit::BadInput;
        }
    }
    for (path, text) in &files {
        let destination = target.join(path);
        let written = destination
            .parent()
            .map_or(Ok(()), fs_err::create_dir_all)
            .and_then(|()| fs_err::write(&destination, text));
        if let Err(error) = written {
            output::error(&error.to_string(), None);
            return Exit::Failure;
        }
    }
    output::note(&format!(
        "created {} files in {}\nnext: cd {} && agentctl lint && agentctl personas",
        files.len(),
        target.display(),
        target.display()
    ));
    Exit::Success
}
