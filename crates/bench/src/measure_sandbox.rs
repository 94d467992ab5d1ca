//! Benchmark 6: the OS sandbox's added cost per command.
//!
//! Owns: a small project with the usual protected paths, and timing `execute_bash "true"`
//! through the tools crate three ways, interleaved so that machine noise hits all alike: with
//! the sandbox off, enforced without network (the default: a new network namespace), and
//! enforced with the persona's network kept. Every variant pays the spawn, the scratch
//! directory and the output pipe; the difference is what the sandbox adds (the exec helper's
//! extra exec, namespaces, mounts, Landlock). Does not know how the sandbox works.

use std::path::{Path, PathBuf};
use std::time::Instant;

use agentctl_tools::{CallScope, SandboxMode, ToolContext};
use anyhow::{bail, Context as _};

use crate::report::{Goal, Row};
use crate::stats::{millis, Summary};

/// Builds the project and measures `runs` commands per variant.
pub async fn measure(agentctl: &Path, work: &Path, runs: usize) -> anyhow::Result<Vec<Row>> {
    let workspace = work.join("sandbox-project");
    for directory in [".git", ".agentctl", "tasks", "personas", "src"] {
        fs_err::create_dir_all(workspace.join(directory))?;
    }
    for file in [
        "AUDIT_LOG.md",
        "PROJECT_STATE.md",
        "agentctl.toml",
        "src/main.rs",
    ] {
        fs_err::write(workspace.join(file), "x\n")?;
    }
    let protected: Vec<PathBuf> = [
        "AUDIT_LOG.md",
        "PROJECT_STATE.md",
        "agentctl.toml",
        ".agentctl",
        ".git",
        "tasks",
        "personas",
    ]
    .iter()
    .map(|name| workspace.join(name))
    .collect();
    let read = vec!["**".to_owned()];
    let write = vec!["**".to_owned()];
    let denied = |relative: &str| relative == ".env";
    let scope = |network: bool| CallScope {
        read: &read,
        write: &write,
        denied: &denied,
        protected: &protected,
        network,
        env: &[],
    };
    let mut off = ToolContext::new(&workspace);
    off.sandbox = SandboxMode::Off;
    off.parent_environment = vec![("PATH".to_owned(), "/usr/bin:/bin".to_owned())];
    let mut enforced = off.clone();
    enforced.sandbox = SandboxMode::Enforce {
        helper: agentctl.to_path_buf(),
    };

    let time = |ctx: ToolContext, network: bool| {
        let scope = scope(network);
        async move {
            let started = Instant::now();
            let output = agentctl_tools::execute_bash(&ctx, &scope, "true")
                .await
                .map_err(|error| anyhow::anyhow!("{error}"))?;
            if output.exit_code != Some(0) {
                bail!("`true` failed: {}", output.text);
            }
            anyhow::Ok(millis(started.elapsed()))
        }
    };
    // Warm-up: page cache, the helper binary, the first namespace.
    for _ in 0..3 {
        time(off.clone(), false).await?;
        time(enforced.clone(), false).await?;
        time(enforced.clone(), true).await?;
    }
    let (mut plain, mut sandboxed, mut with_network) = (Vec::new(), Vec::new(), Vec::new());
    let (mut added, mut added_with_network) = (Vec::new(), Vec::new());
    for _ in 0..runs {
        let base = time(off.clone(), false).await?;
        let confined = time(enforced.clone(), false).await?;
        let networked = time(enforced.clone(), true).await?;
        plain.push(base);
        sandboxed.push(confined);
        with_network.push(networked);
        added.push(confined - base);
        added_with_network.push(networked - base);
    }
    let summary = |samples: &[f64]| Summary::of(samples).context("no runs were measured");
    Ok(vec![
        Row::new("`execute_bash true`, sandbox off", "ms", summary(&plain)?),
        Row::new("`execute_bash true`, sandboxed (no network)", "ms", summary(&sandboxed)?),
        Row::new("`execute_bash true`, sandboxed with network", "ms", summary(&with_network)?),
        Row::new("sandbox's added cost per command (no network)", "ms", summary(&added)?)
            .goal(Goal::Below(5.0))
            .note("paired difference with the sandbox-off run just before it; includes the new network namespace"),
        Row::new("sandbox's added cost per command (network kept)", "ms", summary(&added_with_network)?)
            .goal(Goal::Below(5.0))
            .note("without the network namespace: exec helper, mount namespace, bind mounts, Landlock"),
    ])
}
