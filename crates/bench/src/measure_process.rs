//! Benchmark 4: peak memory of one full `agentctl run` of the scripted session (the real binary
//! against the `agentctl-mock-endpoint` binary), and start-up time of `agentctl --version` and
//! `agentctl personas`.
//!
//! Owns: the per-run mock process and its script file. Does not know how peak memory is read
//! (see `spawn`).

use std::path::Path;

use anyhow::{bail, Context as _};

use crate::generate;
use crate::measure_turns::{CALLS_PER_TURN, MODEL_TURNS, TOOL_TURNS};
use crate::report::{Goal, Row};
use crate::spawn::{self, Binaries, MockProcess};
use crate::stats::{millis, Summary};

/// Peak RSS (MiB) and wall time of `agentctl run bench-runner --task T-1`, each run against a
/// fresh mock endpoint process.
pub fn run_memory(binaries: &Binaries, work: &Path, runs: usize) -> anyhow::Result<Vec<Row>> {
    let root = work.join("binary-run-project");
    let project = generate::write_run_project(&root, "http://127.0.0.1:9/v1", true)?;
    let script =
        generate::session_script(TOOL_TURNS, CALLS_PER_TURN, |index| project.readable(index));
    let script_path = work.join("session-script.json");
    fs_err::write(&script_path, serde_json::to_string_pretty(&script)?)?;
    let mut peaks = Vec::with_capacity(runs);
    let mut walls = Vec::with_capacity(runs);
    for _ in 0..runs {
        let mock = MockProcess::start(&binaries.mock_endpoint, &script_path, work)?;
        generate::write_run_config(&root, &mock.base_url, true)?;
        let (timed, peak_kib) = spawn::run_measuring_memory(
            &binaries.agentctl,
            &["run", &project.persona, "--task", &project.task, "--json"],
            &root,
            &[0],
        )?;
        drop(mock);
        check_run_report(&timed.output.stdout)?;
        peaks.push(peak_kib as f64 / 1024.0);
        walls.push(millis(timed.wall));
    }
    let peak = Summary::of(&peaks).context("no runs were measured")?;
    let wall = Summary::of(&walls).context("no runs were measured")?;
    Ok(vec![
        Row::new(
            format!("peak RSS of `agentctl run` ({MODEL_TURNS}-turn session, binary)"),
            "MiB",
            peak,
        )
        .goal(Goal::Below(15.0))
        .note(format!(
            "ru_maxrss of the agentctl process from `{} -v`; the mock endpoint is a separate process and not counted",
            spawn::TIME_PROGRAM
        )),
        Row::new("wall time of that `agentctl run` (fsync-bound)", "ms", wall),
    ])
}

fn check_run_report(stdout: &[u8]) -> anyhow::Result<()> {
    let report: serde_json::Value =
        serde_json::from_slice(stdout).context("`agentctl run --json` printed no JSON")?;
    let turns = report["turns"].as_u64().unwrap_or(0);
    let calls = report["tool_calls"].as_u64().unwrap_or(0);
    if report["status"] != "finished"
        || turns != MODEL_TURNS as u64
        || calls != (TOOL_TURNS * CALLS_PER_TURN) as u64
    {
        bail!("`agentctl run` did not run the scripted session as planned: {report}");
    }
    Ok(())
}

/// Start-up: `agentctl --version`, and `agentctl personas` in the example project.
pub fn startup(binaries: &Binaries, examples: &Path, runs: usize) -> anyhow::Result<Vec<Row>> {
    if !examples.join("agentctl.toml").is_file() {
        bail!(
            "{} holds no agentctl.toml; pass the example project with --examples",
            examples.display()
        );
    }
    let mut rows = Vec::new();
    for (arguments, name) in [
        (&["--version"][..], "`agentctl --version`"),
        (&["personas"][..], "`agentctl personas` (example project)"),
    ] {
        let mut samples = Vec::with_capacity(runs);
        for attempt in 0..=runs {
            let timed = spawn::run_timed(&binaries.agentctl, arguments, examples, &[0])?;
            if attempt > 0 {
                samples.push(millis(timed.wall));
            }
        }
        let summary = Summary::of(&samples).context("no runs were measured")?;
        rows.push(
            Row::new(format!("start-up: {name}"), "ms", summary)
                .note("wall time from spawn to exit, repeated spawns"),
        );
    }
    Ok(rows)
}
