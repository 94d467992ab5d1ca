//! `agentctl-bench`: measures agentctl's performance goals on this machine and prints a
//! Markdown results table (see docs/BENCHMARKS.md; `scripts/bench.sh` builds and runs it).
//!
//! Owns: the command line, the scratch directory, and running the measurements in order. Each
//! `measure_*` module owns one benchmark; `generate` builds their inputs. This is a
//! measurement tool, not a test: nothing here runs under `cargo test` except unit tests of its
//! helpers.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

mod cpu;
mod generate;
mod measure_audit;
mod measure_library;
mod measure_process;
mod measure_sandbox;
mod measure_turns;
mod report;
mod spawn;
mod stats;

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context as _;
use clap::{Parser, Subcommand};

use crate::generate::LibraryShape;
use crate::report::Row;
use crate::spawn::Binaries;

/// Measure agentctl: lint and prompt on a 1,000-persona library, run-loop CPU per model turn,
/// peak memory and start-up of the binary, and audit-log verification throughput.
///
/// Build everything in release first (scripts/bench.sh does both).
#[derive(Debug, Parser)]
#[command(name = "agentctl-bench")]
struct Arguments {
    #[command(subcommand)]
    benchmark: Option<Benchmark>,
    /// The agentctl binary to measure (default: `agentctl` next to this program).
    #[arg(long, value_name = "PATH", global = true)]
    agentctl: Option<PathBuf>,
    /// The mock endpoint binary (default: `agentctl-mock-endpoint` next to this program).
    #[arg(long, value_name = "PATH", global = true)]
    mock_endpoint: Option<PathBuf>,
    /// The example project used for `agentctl personas` start-up timing.
    #[arg(long, value_name = "DIR", default_value = "examples", global = true)]
    examples: PathBuf,
    /// Timed repetitions of each spawned-binary measurement (after one untimed warm-up).
    #[arg(long, default_value_t = 10, global = true)]
    runs: usize,
    /// Measured scripted sessions per run-loop variant (after two warm-up rounds).
    #[arg(long, default_value_t = 30, global = true)]
    sessions: usize,
    /// Personas in the generated library (each with 5 context files).
    #[arg(long, default_value_t = 1000, global = true)]
    personas: usize,
    /// Entries in the generated audit log.
    #[arg(long, default_value_t = 100_000, global = true)]
    audit_entries: u64,
    /// Also write the rows as JSON to this file.
    #[arg(long, value_name = "PATH", global = true)]
    json: Option<PathBuf>,
}

#[derive(Debug, Clone, PartialEq, Eq, Subcommand)]
enum Benchmark {
    /// Everything below, in this order (the default).
    All,
    /// `agentctl lint` (binary and in-process) over the generated library.
    Lint,
    /// `agentctl prompt PERSONA` in the generated library.
    Prompt,
    /// Run-loop CPU per model turn, in process, gross and net of the HTTP floor and tool work.
    Turns,
    /// Peak RSS of one `agentctl run` of the scripted session against the mock binary.
    Memory,
    /// Start-up time of `agentctl --version` and `agentctl personas`.
    Startup,
    /// `audit verify` throughput over the generated log (in-process and binary).
    Audit,
    /// The OS sandbox's added cost per `execute_bash` command.
    Sandbox,
    /// Internal: one cold in-process measurement in a fresh process, printed as JSON.
    #[command(hide = true)]
    InProcessOnce {
        #[arg(value_enum)]
        what: measure_library::Once,
        library: PathBuf,
    },
    /// Only write the generated library and audit log into DIR (for profiling by hand).
    Generate {
        /// Where to write `library/` and `audit-project/`; created if missing.
        directory: PathBuf,
    },
}

impl Benchmark {
    fn includes(&self, other: Benchmark) -> bool {
        *self == Benchmark::All || *self == other
    }
}

fn main() -> ExitCode {
    let arguments = Arguments::parse();
    match run(&arguments) {
        Ok(rows) => {
            let missed = rows
                .iter()
                .filter(|row| row.meets_goal() == Some(false))
                .count();
            let _ = writeln!(std::io::stdout(), "{}", report::table(&rows));
            if missed > 0 {
                progress(&format!(
                    "{missed} goal(s) missed; see the rows marked **no**"
                ));
            }
            ExitCode::SUCCESS
        }
        Err(error) => {
            let _ = writeln!(std::io::stderr(), "error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn progress(message: &str) {
    let _ = writeln!(std::io::stderr(), "agentctl-bench: {message}");
}

fn run(arguments: &Arguments) -> anyhow::Result<Vec<Row>> {
    let benchmark = arguments.benchmark.clone().unwrap_or(Benchmark::All);
    if let Benchmark::Generate { directory } = &benchmark {
        let shape = LibraryShape {
            personas: arguments.personas,
            ..LibraryShape::default()
        };
        let library = measure_library::prepare(directory, shape)?;
        let log = measure_audit::prepare(directory, arguments.audit_entries)?;
        progress(&format!(
            "wrote {} ({} files) and {} ({} entries)",
            library.root.display(),
            library.files,
            log.path.display(),
            log.entries
        ));
        return Ok(Vec::new());
    }
    if let Benchmark::InProcessOnce { what, library } = &benchmark {
        let measured = measure_library::in_process_once(*what, library)?;
        let _ = writeln!(std::io::stdout(), "{measured}");
        std::process::exit(0);
    }
    let binaries = binaries(arguments)?;
    let scratch = tempfile::Builder::new()
        .prefix("agentctl-bench-")
        .tempdir()
        .context("cannot create a scratch directory")?;
    let work = scratch.path();
    progress(&format!("scratch directory {}", work.display()));
    let started = Instant::now();
    let mut rows = Vec::new();

    if benchmark.includes(Benchmark::Lint) || benchmark.includes(Benchmark::Prompt) {
        let shape = LibraryShape {
            personas: arguments.personas,
            ..LibraryShape::default()
        };
        let library = measure_library::prepare(work, shape)?;
        progress(&format!(
            "generated {} library files in {:.0} ms",
            library.files, library.generated_in_ms
        ));
        if benchmark.includes(Benchmark::Lint) {
            progress("lint (binary)");
            rows.push(measure_library::lint_binary(
                &binaries,
                &library,
                arguments.runs,
            )?);
            progress("lint (in-process)");
            rows.push(measure_library::lint_in_process(&library, arguments.runs)?);
            rows.extend(measure_library::lint_phases(
                &library,
                arguments.runs.min(5),
            )?);
        }
        if benchmark.includes(Benchmark::Prompt) {
            progress("prompt (binary)");
            rows.push(measure_library::prompt_binary(
                &binaries,
                &library,
                arguments.runs * 2,
            )?);
        }
    }
    if benchmark.includes(Benchmark::Turns) {
        progress(&format!(
            "run-loop CPU per turn ({} sessions per variant)",
            arguments.sessions
        ));
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()?;
        rows.extend(runtime.block_on(measure_turns::measure(work, arguments.sessions))?);
    }
    if benchmark.includes(Benchmark::Memory) {
        progress("peak RSS of `agentctl run`");
        rows.extend(measure_process::run_memory(
            &binaries,
            work,
            arguments.runs.clamp(1, 5),
        )?);
    }
    if benchmark.includes(Benchmark::Startup) {
        progress("start-up");
        rows.extend(measure_process::startup(
            &binaries,
            &arguments.examples,
            arguments.runs * 3,
        )?);
    }
    if benchmark.includes(Benchmark::Audit) {
        let log = measure_audit::prepare(work, arguments.audit_entries)?;
        progress(&format!(
            "audit verify over {} entries ({} bytes)",
            log.entries, log.bytes
        ));
        let runs = arguments.runs.clamp(1, 5);
        rows.push(measure_audit::in_process(&log, runs)?);
        rows.push(measure_audit::binary(&binaries, &log, runs)?);
    }
    if benchmark.includes(Benchmark::Sandbox) {
        progress("sandbox cost per command");
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()?;
        rows.extend(runtime.block_on(measure_sandbox::measure(
            &binaries.agentctl,
            work,
            arguments.runs * 10,
        ))?);
    }
    progress(&format!("done in {:.1} s", started.elapsed().as_secs_f64()));
    if let Some(path) = &arguments.json {
        fs_err::write(path, serde_json::to_string_pretty(&rows)?)?;
    }
    Ok(rows)
}

fn binaries(arguments: &Arguments) -> anyhow::Result<Binaries> {
    let sibling = |name: &str| -> anyhow::Result<PathBuf> {
        let me = std::env::current_exe().context("cannot locate this program")?;
        let directory = me.parent().unwrap_or(Path::new("."));
        Ok(directory.join(name))
    };
    let agentctl = match &arguments.agentctl {
        Some(path) => path.clone(),
        None => sibling("agentctl")?,
    };
    let mock_endpoint = match &arguments.mock_endpoint {
        Some(path) => path.clone(),
        None => sibling("agentctl-mock-endpoint")?,
    };
    for path in [&agentctl, &mock_endpoint] {
        if !path.is_file() {
            anyhow::bail!(
                "{} does not exist; build it first: cargo build --release -p agentctl -p agentctl-test-support",
                path.display()
            );
        }
    }
    Ok(Binaries {
        agentctl: std::fs::canonicalize(&agentctl)?,
        mock_endpoint: std::fs::canonicalize(&mock_endpoint)?,
    })
}
