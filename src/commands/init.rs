//! `agentctl init [DIR]`: scaffold agentctl.toml, the shipped team and a starter project (a tiny
//! service with its tests, a secrets scan and two sample tasks) the whole team can work on.

use std::path::{Path, PathBuf};

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
    let gitignore = match ignore_agent_state(&target) {
        Ok(gitignore) => gitignore,
        Err(error) => {
            output::error(&error.to_string(), None);
            return Exit::Failure;
        }
    };
    let created = files.len() + usize::from(gitignore == GitIgnore::Created);
    let mut report = format!("created {created} files in {}", target.display());
    if gitignore == GitIgnore::Appended {
        report.push_str("\nadded `.agentctl/` to .gitignore");
    }
    let is_current = target.as_os_str().is_empty()
        || target == Path::new(".")
        || std::env::current_dir()
            .ok()
            .zip(fs_err::canonicalize(&target).ok())
            .is_some_and(|(current, target)| current == target);
    let headline = "agentctl lint && agentctl run orch-planner --task T-154";
    if is_current {
        report.push_str(&format!("\nnext: {headline}"));
    } else {
        report.push_str(&format!("\nnext: cd {} && {headline}", target.display()));
    }
    report.push_str(
        "\n  (the planner hands the task to QA, Security and DevOps in gate order; set the endpoint first: agentctl docs endpoints)",
    );
    output::note(&report);
    Exit::Success
}

/// The line that keeps agentctl's run state out of version control. AUDIT_LOG.md and
/// PROJECT_STATE.md are meant to be committed and reviewed; `.agentctl/` (run state, approvals
/// in flight, caches) is not.
const IGNORE_LINE: &str = ".agentctl/";

#[derive(Debug, PartialEq, Eq)]
enum GitIgnore {
    Created,
    Appended,
    AlreadyThere,
}

/// Creates `.gitignore` with `.agentctl/`, or appends that line to an existing one that lacks
/// it. An existing file is never replaced, even with `--force`.
fn ignore_agent_state(target: &Path) -> std::io::Result<GitIgnore> {
    let path = target.join(".gitignore");
    let existing = match fs_err::read_to_string(&path) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            fs_err::write(&path, format!("# agentctl run state (keep AUDIT_LOG.md and PROJECT_STATE.md)\n{IGNORE_LINE}\n"))?;
            return Ok(GitIgnore::Created);
        }
        Err(error) => return Err(error),
    };
    let ignored = existing.lines().any(|line| {
        matches!(
            line.trim().trim_start_matches('/'),
            ".agentctl" | ".agentctl/" | ".agentctl/*" | ".agentctl/**"
        )
    });
    if ignored {
        return Ok(GitIgnore::AlreadyThere);
    }
    let separator = if existing.is_empty() || existing.ends_with('\n') {
        ""
    } else {
        "\n"
    };
    fs_err::write(&path, format!("{existing}{separator}{IGNORE_LINE}\n"))?;
    Ok(GitIgnore::Appended)
}
