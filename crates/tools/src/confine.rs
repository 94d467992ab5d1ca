//! Starting a persona's process inside the OS sandbox.
//!
//! Owns: [`CallScope`] (what the caller says one persona's process may touch), the call's
//! private scratch directory (created outside the workspace, used as `HOME`, `TMPDIR` and the
//! `XDG_*` directories, deleted after the call), building the sandbox profile, the command line
//! that goes through the exec helper, and the record of what was applied for the audit log.
//! Does not apply anything itself (the helper does, in the child) and does not judge the
//! command (the policy did).

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};

use agentctl_sandbox::{build_profile, helper_arguments, Profile, ProfileRequest};
use serde_json::{json, Value};

use crate::changes::{CommandChanges, TreeListing};
use crate::context::{SandboxMode, ToolContext};
use crate::error::ToolError;

/// What one persona's process may touch, given by the caller for each call.
pub struct CallScope<'a> {
    /// The persona's read globs (workspace-relative, gitignore style).
    pub read: &'a [String],
    /// The persona's write globs.
    pub write: &'a [String],
    /// Whether a workspace-relative path falls under one of the persona's deny scopes.
    pub denied: &'a (dyn Fn(&str) -> bool + Sync),
    /// Absolute paths no process may change, existing or not: the audit log, the state file,
    /// agentctl.toml, the state directory, `.git`, the persona library, the task files.
    pub protected: &'a [PathBuf],
    /// Whether the process keeps network access.
    pub network: bool,
    /// Further environment variable names the persona passes to its processes.
    pub env: &'a [String],
}

impl CallScope<'static> {
    /// Read everything, write nothing, no network, nothing protected beyond that: for callers
    /// without a persona (tests, benchmarks).
    pub fn read_only() -> CallScope<'static> {
        CallScope {
            read: READ_EVERYTHING.as_slice(),
            write: &[],
            denied: &deny_nothing,
            protected: &[],
            network: false,
            env: &[],
        }
    }
}

static READ_EVERYTHING: std::sync::LazyLock<[String; 1]> =
    std::sync::LazyLock::new(|| ["**".to_owned()]);

fn deny_nothing(_: &str) -> bool {
    false
}

/// One call's confinement: its scratch directory (removed on drop) and, when the sandbox is
/// enforced, the profile and the helper that applies it.
pub(crate) struct Confinement {
    scratch: tempfile::TempDir,
    sandboxed: Option<(PathBuf, Profile)>,
    pub(crate) record: Value,
    /// Where the call's effects on the workspace are looked for (see `changes`).
    watched: Watched,
}

/// The trees a call may change and the paths inside them no call may change.
struct Watched {
    workspace: PathBuf,
    roots: Vec<PathBuf>,
    skipped: Vec<PathBuf>,
}

impl Confinement {
    /// `extra_read` adds paths only this call may read (the AWS CLI's configuration).
    pub(crate) fn prepare(
        ctx: &ToolContext,
        scope: &CallScope<'_>,
        extra_read: &[PathBuf],
    ) -> Result<Self, ToolError> {
        let base = ctx.scratch_base.clone().unwrap_or_else(std::env::temp_dir);
        let scratch = crate::scratch::create(&base).map_err(|source| ToolError::Io {
            action: "create a scratch directory in",
            path: base.display().to_string(),
            source,
        })?;
        let helper = match &ctx.sandbox {
            SandboxMode::Off => {
                let record = json!({
                    "mode": "off",
                    "warning": "no OS sandbox: [sandbox] mode = \"off\" in agentctl.toml",
                    "network": true,
                    "env": scope.env,
                });
                // Unconfined, a command may change anything in the workspace.
                let workspace =
                    fs_err::canonicalize(&ctx.workspace).unwrap_or_else(|_| ctx.workspace.clone());
                let skipped = existing(scope.protected);
                return Ok(Confinement {
                    scratch,
                    sandboxed: None,
                    record,
                    watched: Watched {
                        roots: vec![workspace.clone()],
                        workspace,
                        skipped,
                    },
                });
            }
            SandboxMode::Enforce { helper } if helper.as_os_str().is_empty() => {
                return Err(ToolError::SandboxUnavailable {
                    detail: "no sandbox helper is configured for this caller".to_owned(),
                })
            }
            SandboxMode::Enforce { helper } => helper.clone(),
        };
        let mut readable = ctx.sandbox_read.clone();
        readable.extend(extra_read.iter().cloned());
        let profile = build_profile(&ProfileRequest {
            workspace: &ctx.workspace,
            read_globs: scope.read,
            write_globs: scope.write,
            protected: scope.protected,
            denied: &|relative| (scope.denied)(relative),
            extra_read: &readable,
            network: scope.network,
            scratch: scratch.path(),
        })
        .map_err(|error| ToolError::SandboxUnavailable {
            detail: error.to_string(),
        })?;
        let record = describe(&profile, scope.env);
        let watched = Watched {
            workspace: profile.workspace.clone(),
            roots: profile
                .write
                .iter()
                .chain(&profile.modify_only)
                .filter(|path| path.starts_with(&profile.workspace))
                .cloned()
                .collect(),
            skipped: profile
                .read_only
                .iter()
                .chain(&profile.hidden)
                .cloned()
                .chain(existing(scope.protected))
                .collect(),
        };
        Ok(Confinement {
            scratch,
            sandboxed: Some((helper, profile)),
            record,
            watched,
        })
    }

    /// The files the call may change, as they are now.
    pub(crate) fn list_writable(&self) -> TreeListing {
        TreeListing::take(&self.watched.roots, &self.watched.skipped)
    }

    /// What changed since `before` (a listing from [`Confinement::list_writable`]).
    pub(crate) fn changes_since(&self, before: &TreeListing) -> CommandChanges {
        self.list_writable()
            .changes_since(before, &self.watched.workspace)
    }

    /// The scratch directory the environment points at.
    pub(crate) fn scratch(&self) -> &Path {
        self.scratch.path()
    }

    /// The program and arguments to spawn: the helper wrapping `program` when sandboxed.
    pub(crate) fn command_line(
        &self,
        program: &OsStr,
        arguments: Vec<OsString>,
    ) -> Result<(OsString, Vec<OsString>), ToolError> {
        match &self.sandboxed {
            None => Ok((program.to_os_string(), arguments)),
            Some((helper, profile)) => {
                let wrapped = helper_arguments(profile, program, &arguments).map_err(|error| {
                    ToolError::SandboxUnavailable {
                        detail: error.to_string(),
                    }
                })?;
                Ok((helper.as_os_str().to_os_string(), wrapped))
            }
        }
    }

    pub(crate) fn is_sandboxed(&self) -> bool {
        self.sandboxed.is_some()
    }
}

/// The canonical forms of the paths that exist.
fn existing(paths: &[PathBuf]) -> Vec<PathBuf> {
    paths
        .iter()
        .filter_map(|path| fs_err::canonicalize(path).ok())
        .collect()
}

/// The profile as the audit log records it: workspace paths relative, the scratch directory
/// by name.
fn describe(profile: &Profile, env: &[String]) -> Value {
    let show = |paths: &[PathBuf]| -> Vec<String> {
        paths
            .iter()
            .filter(|path| **path != profile.scratch)
            .map(|path| match path.strip_prefix(&profile.workspace) {
                Ok(relative) if relative.as_os_str().is_empty() => ".".to_owned(),
                Ok(relative) => relative.display().to_string(),
                Err(_) => path.display().to_string(),
            })
            .collect()
    };
    let workspace_reads: Vec<PathBuf> = profile
        .read
        .iter()
        .filter(|path| path.starts_with(&profile.workspace))
        .cloned()
        .collect();
    json!({
        "mode": "enforce",
        "platform": std::env::consts::OS,
        "network": profile.network,
        "read": show(&workspace_reads),
        "write": show(&profile.write),
        "modify_only": show(&profile.modify_only),
        "read_only": show(&profile.read_only),
        "hidden": show(&profile.hidden),
        "env": env,
    })
}
