//! Benchmarks 1 and 2: `agentctl lint` over a generated 1,000-persona library (the binary and
//! the in-process `lint_project`), and `agentctl prompt PERSONA` in the same library.
//!
//! Owns: checking that what was timed did the full job (every persona linted, the right prompt
//! printed), so a fast number can never come from a run that failed early. Does not generate the
//! library (see `generate`).

use std::path::{Path, PathBuf};
use std::time::Instant;

use agentctl_config::{Config, EnvVars, Overrides};
use anyhow::{bail, Context as _};

use crate::generate::{self, LibraryShape};
use crate::report::{Goal, Row};
use crate::spawn::{self, Binaries};
use crate::stats::{millis, Summary};

/// A generated library on disk.
#[derive(Debug, Clone)]
pub struct GeneratedLibrary {
    pub root: PathBuf,
    pub shape: LibraryShape,
    pub files: usize,
    pub generated_in_ms: f64,
}

pub fn prepare(work: &Path, shape: LibraryShape) -> anyhow::Result<GeneratedLibrary> {
    let root = work.join("library");
    let started = Instant::now();
    let files = generate::write_library(&root, &shape)?;
    Ok(GeneratedLibrary {
        root,
        shape,
        files,
        generated_in_ms: millis(started.elapsed()),
    })
}

fn shape_text(library: &GeneratedLibrary) -> String {
    format!(
        "{} personas, {} context files",
        library.shape.personas,
        library.shape.personas * library.shape.contexts_per_persona
    )
}

/// `agentctl lint --json`, spawned `runs` times after one warm-up run.
pub fn lint_binary(
    binaries: &Binaries,
    library: &GeneratedLibrary,
    runs: usize,
) -> anyhow::Result<Row> {
    let mut samples = Vec::with_capacity(runs);
    for attempt in 0..=runs {
        let timed = spawn::run_timed(&binaries.agentctl, &["lint", "--json"], &library.root, &[0])?;
        if attempt == 0 {
            check_lint_report(&timed.output.stdout, library)?;
            continue;
        }
        samples.push(millis(timed.wall));
    }
    Ok(Row::new(
        format!("`agentctl lint` ({})", shape_text(library)),
        "ms",
        summary(&samples)?,
    )
    .goal(Goal::Below(300.0))
    .note("wall time of the spawned release binary, from spawn to exit; page cache warm (one untimed run first)"))
}

fn check_lint_report(stdout: &[u8], library: &GeneratedLibrary) -> anyhow::Result<()> {
    let report: serde_json::Value =
        serde_json::from_slice(stdout).context("`agentctl lint --json` printed no JSON")?;
    let personas = report["personas"].as_u64().unwrap_or(0);
    let errors = report["errors"].as_u64().unwrap_or(u64::MAX);
    let warnings = report["warnings"].as_u64().unwrap_or(u64::MAX);
    if personas != library.shape.personas as u64 || errors != 0 || warnings != 0 {
        let first = report["diagnostics"]
            .as_array()
            .and_then(|diagnostics| diagnostics.first())
            .map(ToString::to_string)
            .unwrap_or_default();
        bail!(
            "lint of the generated library found {personas} personas, {errors} errors and \
             {warnings} warnings (expected {}, 0, 0); first diagnostic: {first}",
            library.shape.personas
        );
    }
    Ok(())
}

/// What a fresh `agentctl-bench in-process-once` process measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Once {
    /// `Config::load` + `lint_project`.
    Lint,
    /// The phases of lint, one by one.
    Phases,
}

/// Runs one in-process measurement and returns it as JSON (milliseconds). Meant to run in a
/// fresh process: the policy crate caches compiled pattern sets, so a second lint in the same
/// process would measure a warm cache that the real command never has.
pub fn in_process_once(what: Once, root: &Path) -> anyhow::Result<serde_json::Value> {
    match what {
        Once::Lint => {
            let started = Instant::now();
            let config = Config::load(root, &EnvVars::default(), &Overrides::default())
                .map_err(|error| anyhow::anyhow!("{error}"))?;
            let outcome = agentctl_core::lint::lint_project(&config);
            let elapsed = millis(started.elapsed());
            Ok(serde_json::json!({
                "lint_ms": elapsed,
                "personas": outcome.personas,
                "diagnostics": outcome.diagnostics.len(),
            }))
        }
        Once::Phases => {
            let config = Config::load(root, &EnvVars::default(), &Overrides::default())
                .map_err(|error| anyhow::anyhow!("{error}"))?;
            phases(&config)
        }
    }
}

fn phases(config: &Config) -> anyhow::Result<serde_json::Value> {
    let paths = agentctl_persona::LibraryPaths {
        root: config.paths.library.clone(),
        personas: config.paths.personas.clone(),
        prompts: config.paths.prompts.clone(),
    };
    let started = Instant::now();
    let (loaded, diagnostics) = agentctl_persona::Library::load(&paths, &config.overlays);
    let load_ms = millis(started.elapsed());
    if !diagnostics.is_empty() {
        bail!(
            "the generated library has problems: {:?}",
            diagnostics.first()
        );
    }
    let started = Instant::now();
    for persona in loaded.personas() {
        let target = agentctl_core::activation::resolve_in_library(
            &loaded,
            &persona.name,
            &Default::default(),
        )
        .map_err(|found| anyhow::anyhow!("{found:?}"))?;
        agentctl_core::activation::build_prompt(config, &target, None)
            .map_err(|found| anyhow::anyhow!("{found:?}"))?;
    }
    let prompts_ms = millis(started.elapsed());
    let started = Instant::now();
    for persona in loaded.personas() {
        agentctl_core::personas::checked_policy_for(config, persona)?;
    }
    let policies_ms = millis(started.elapsed());
    Ok(serde_json::json!({
        "load_ms": load_ms,
        "prompts_ms": prompts_ms,
        "policies_ms": policies_ms,
    }))
}

/// Runs `in-process-once` in a fresh copy of this program `runs + 1` times (the first is a
/// warm-up) and returns the JSON each measured run printed.
fn fresh_process_runs(
    what: &str,
    library: &GeneratedLibrary,
    runs: usize,
) -> anyhow::Result<Vec<serde_json::Value>> {
    let me = std::env::current_exe().context("cannot locate this program")?;
    let root = library.root.display().to_string();
    let mut measured = Vec::with_capacity(runs);
    for attempt in 0..=runs {
        let timed = spawn::run_timed(&me, &["in-process-once", what, &root], &library.root, &[0])?;
        let value: serde_json::Value = serde_json::from_slice(&timed.output.stdout)
            .context("in-process-once printed no JSON")?;
        if attempt > 0 {
            measured.push(value);
        }
    }
    Ok(measured)
}

fn field(values: &[serde_json::Value], name: &str) -> anyhow::Result<Summary> {
    let samples: Vec<f64> = values
        .iter()
        .map(|value| value[name].as_f64().unwrap_or(f64::NAN))
        .collect();
    Summary::of(&samples).with_context(|| format!("no `{name}` samples"))
}

/// `Config::load` + `agentctl_core::lint::lint_project`, timed inside a fresh process each run
/// (cold caches, no process start-up or printing).
pub fn lint_in_process(library: &GeneratedLibrary, runs: usize) -> anyhow::Result<Row> {
    let measured = fresh_process_runs("lint", library, runs)?;
    for value in &measured {
        if value["personas"].as_u64() != Some(library.shape.personas as u64)
            || value["diagnostics"].as_u64() != Some(0)
        {
            bail!("in-process lint did not lint the library cleanly: {value}");
        }
    }
    Ok(Row::new(
        format!("`lint_project` in-process ({})", shape_text(library)),
        "ms",
        field(&measured, "lint_ms")?,
    )
    .goal(Goal::Below(300.0))
    .note("Config::load + agentctl_core::lint::lint_project timed inside a fresh process per run (cold pattern cache), no start-up or printing"))
}

/// Where in-process lint time goes: the phases `lint_project` runs, timed one by one in a
/// fresh process per run. Informational rows without goals.
pub fn lint_phases(library: &GeneratedLibrary, runs: usize) -> anyhow::Result<Vec<Row>> {
    let measured = fresh_process_runs("phases", library, runs)?;
    Ok(vec![
        Row::new(
            "lint phase: `Library::load` (parse, resolve handoffs)",
            "ms",
            field(&measured, "load_ms")?,
        ),
        Row::new(
            "lint phase: assemble every persona's prompt",
            "ms",
            field(&measured, "prompts_ms")?,
        ),
        Row::new(
            "lint phase: compile every persona's policy",
            "ms",
            field(&measured, "policies_ms")?,
        ),
    ])
}

/// `agentctl prompt PERSONA` for one persona with handoffs, context files and an include.
pub fn prompt_binary(
    binaries: &Binaries,
    library: &GeneratedLibrary,
    runs: usize,
) -> anyhow::Result<Row> {
    let persona = generate::sample_persona(&library.shape);
    let mut samples = Vec::with_capacity(runs);
    for attempt in 0..=runs {
        let timed = spawn::run_timed(
            &binaries.agentctl,
            &["prompt", &persona],
            &library.root,
            &[0],
        )?;
        if attempt == 0 {
            let text = String::from_utf8_lossy(&timed.output.stdout);
            let expected = format!("engineer {}", &persona[2..].trim_start_matches('0'));
            if !text.contains(&expected) || !text.contains("Context note") {
                bail!("`agentctl prompt {persona}` printed an unexpected prompt:\n{text}");
            }
            continue;
        }
        samples.push(millis(timed.wall));
    }
    Ok(Row::new(
        format!("`agentctl prompt {persona}` (same library)"),
        "ms",
        summary(&samples)?,
    )
    .goal(Goal::Below(30.0))
    .note("wall time of the spawned binary; the persona has 2 handoffs, 4 context files and 1 include"))
}

fn summary(samples: &[f64]) -> anyhow::Result<Summary> {
    Summary::of(samples).context("no samples were taken (runs = 0?)")
}
