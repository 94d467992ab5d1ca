//! Benchmark 3: agentctl's own CPU time per model turn.
//!
//! A scripted session (10 turns of 3 `fs_read` calls each, then a plain answer: 11 model turns)
//! runs in this process through `agentctl_core::start` against the in-process
//! [`MockEndpoint`] over loopback HTTP, with streaming on and audit entries and run state
//! fsynced exactly as in production. Process CPU time (all threads) is read around `start`.
//!
//! Two baselines are measured in the same process, interleaved with the sessions, and
//! subtracted per session:
//! - the floor: the same request bodies (recorded from the agentctl session) sent by a bare
//!   `reqwest` client to a fresh mock with the same script, each reply read and parsed. This
//!   removes the mock server's CPU and the unavoidable HTTP/JSON cost;
//! - tool work: the same number of `agentctl_tools::fs_read` calls made directly.
//!
//! A second variant asks for a denied path instead, so no tool runs and only the floor is
//! subtracted. Does not know how the numbers are printed.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use agentctl_config::{Config, EnvVars, Overrides};
use agentctl_core::{IgnoreEvents, RunContext, RunStatus};
use agentctl_persona::{Library, LibraryPaths, Task};
use agentctl_test_support::{MockEndpoint, MockReply};
use anyhow::{anyhow, bail, Context as _};
use serde_json::Value;

use crate::cpu::{Spent, Stopwatch};
use crate::generate::{self, RunProject};
use crate::report::Row;
use crate::stats::{millis, Summary};

pub const TOOL_TURNS: usize = 10;
pub const CALLS_PER_TURN: usize = 3;
pub const MODEL_TURNS: usize = TOOL_TURNS + 1;

/// Whether the session's tool calls are allowed (and run) or denied by policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Calls {
    Allowed,
    Denied,
}

/// Everything a session needs that does not change between sessions.
struct Fixture {
    project: RunProject,
    config: Config,
    library: Library,
    task: Task,
}

impl Fixture {
    fn load(work: &Path) -> anyhow::Result<Fixture> {
        let root = work.join("run-project");
        let project = generate::write_run_project(&root, "http://127.0.0.1:9/v1", true)?;
        let config = Config::load(&root, &EnvVars::default(), &Overrides::default())
            .map_err(|error| anyhow!("{error}"))?;
        let paths = LibraryPaths {
            root: config.paths.library.clone(),
            personas: config.paths.personas.clone(),
            prompts: config.paths.prompts.clone(),
        };
        let (library, diagnostics) = Library::load(&paths, &config.overlays);
        if !diagnostics.is_empty() {
            bail!("the run project's library has problems: {diagnostics:?}");
        }
        let task = agentctl_persona::load_task(&config.paths.tasks, &project.task)
            .map_err(|diagnostic| anyhow!("{diagnostic:?}"))?;
        Ok(Fixture {
            project,
            config,
            library,
            task,
        })
    }

    fn script(&self, calls: Calls) -> Vec<MockReply> {
        let project = &self.project;
        match calls {
            Calls::Allowed => generate::session_script(TOOL_TURNS, CALLS_PER_TURN, |index| {
                project.readable(index)
            }),
            Calls::Denied => {
                generate::session_script(TOOL_TURNS, CALLS_PER_TURN, |index| project.denied(index))
            }
        }
    }
}

/// One agentctl session: its cost and the request bodies it sent.
async fn agentctl_session(
    fixture: &Fixture,
    calls: Calls,
) -> anyhow::Result<(Spent, Vec<Value>, agentctl_core::RunReport)> {
    let endpoint = MockEndpoint::builder()
        .script(fixture.script(calls))
        .start()
        .await;
    let mut config = fixture.config.clone();
    config.endpoint.base_url = endpoint.base_url();
    let settings = agentctl_llm::EndpointSettings {
        timeout: Duration::from_secs(30),
        max_retries: 0,
        ..agentctl_llm::EndpointSettings::new(endpoint.base_url())
    };
    let client = agentctl_llm::OpenAiClient::new(settings)?;
    let (stop, interrupt) = tokio::sync::watch::channel(false);
    let context = RunContext {
        endpoint_host: client.endpoint_host(),
        tools: agentctl_tools::ToolContext::new(config.paths.workspace.clone()),
        config,
        library: fixture.library.clone(),
        task: fixture.task.clone(),
        client: Arc::new(client),
        mcp: Arc::new(agentctl_mcp::McpHub::empty()),
        interrupt,
    };
    let target = agentctl_core::activation::resolve_in_library(
        &context.library,
        &fixture.project.persona,
        &BTreeMap::new(),
    )
    .map_err(|diagnostics| anyhow!("{diagnostics:?}"))?;

    let watch = Stopwatch::start();
    let report =
        agentctl_core::start(&context, &target, BTreeMap::new(), None, &mut IgnoreEvents).await?;
    let spent = watch.stop();
    drop(stop);

    let expected_denials = match calls {
        Calls::Allowed => 0,
        Calls::Denied => TOOL_TURNS * CALLS_PER_TURN,
    };
    if report.status != RunStatus::Finished
        || report.turns as usize != MODEL_TURNS
        || report.tool_calls as usize != TOOL_TURNS * CALLS_PER_TURN
        || report.denials as usize != expected_denials
    {
        bail!("the scripted session did not run as planned: {report:?}");
    }
    let bodies = endpoint
        .chat_requests()
        .into_iter()
        .map(|request| request.body)
        .collect();
    Ok((spent, bodies, report))
}

/// The floor: the same exchange with a bare reqwest client.
async fn floor_session(
    fixture: &Fixture,
    calls: Calls,
    bodies: &[Value],
    http: &reqwest::Client,
) -> anyhow::Result<Spent> {
    let endpoint = MockEndpoint::builder()
        .script(fixture.script(calls))
        .start()
        .await;
    let url = format!("{}/chat/completions", endpoint.base_url());
    let watch = Stopwatch::start();
    for body in bodies {
        let bytes = serde_json::to_vec(body)?;
        let response = http
            .post(&url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(bytes)
            .send()
            .await?;
        if !response.status().is_success() {
            bail!(
                "the mock answered {} to the floor client",
                response.status()
            );
        }
        let payload = response.bytes().await?;
        parse_reply(&payload)?;
    }
    Ok(watch.stop())
}

/// Parses a reply the way any client must: a JSON body, or SSE `data:` events.
fn parse_reply(payload: &[u8]) -> anyhow::Result<usize> {
    let text = std::str::from_utf8(payload).context("the reply is not UTF-8")?;
    if text.trim_start().starts_with('{') {
        serde_json::from_str::<Value>(text)?;
        return Ok(1);
    }
    let mut events = 0;
    for line in text.lines() {
        if let Some(data) = line.strip_prefix("data:").map(str::trim) {
            if data != "[DONE]" {
                serde_json::from_str::<Value>(data)?;
                events += 1;
            }
        }
    }
    Ok(events)
}

/// The tool handlers alone: the session's `fs_read` calls made directly.
async fn tool_work(fixture: &Fixture) -> anyhow::Result<Spent> {
    let context = agentctl_tools::ToolContext::new(fixture.config.paths.workspace.clone());
    let paths: Vec<String> = (0..TOOL_TURNS * CALLS_PER_TURN)
        .map(|index| fixture.project.readable(index))
        .collect();
    let watch = Stopwatch::start();
    for path in &paths {
        agentctl_tools::fs_read(&context, Path::new(path), path).await?;
    }
    Ok(watch.stop())
}

/// Per-session samples, in milliseconds per model turn.
#[derive(Debug, Default)]
struct Samples {
    gross: Vec<f64>,
    wall: Vec<f64>,
    floor: Vec<f64>,
    tools: Vec<f64>,
    net: Vec<f64>,
}

fn per_turn(duration: Duration) -> f64 {
    millis(duration) / MODEL_TURNS as f64
}

/// Runs `sessions` measured sessions of each variant (after 2 warm-up rounds), interleaved.
pub async fn measure(work: &Path, sessions: usize) -> anyhow::Result<Vec<Row>> {
    let fixture = Fixture::load(work)?;
    // reqwest is built with rustls but no default crypto provider; agentctl's client installs
    // one when it is created, so create one before the bare client.
    agentctl_llm::OpenAiClient::new(agentctl_llm::EndpointSettings::new("http://127.0.0.1:9/v1"))?;
    let http = reqwest::Client::builder().no_proxy().build()?;
    let mut allowed = Samples::default();
    let mut denied = Samples::default();
    let mut last_report = None;
    for round in 0..sessions + 2 {
        let (allowed_spent, allowed_bodies, report) =
            agentctl_session(&fixture, Calls::Allowed).await?;
        last_report = Some(report);
        let allowed_floor = floor_session(&fixture, Calls::Allowed, &allowed_bodies, &http).await?;
        let tools = tool_work(&fixture).await?;
        let (denied_spent, denied_bodies, _) = agentctl_session(&fixture, Calls::Denied).await?;
        let denied_floor = floor_session(&fixture, Calls::Denied, &denied_bodies, &http).await?;
        if round < 2 {
            continue;
        }
        let gross = per_turn(allowed_spent.cpu);
        let floor = per_turn(allowed_floor.cpu);
        let tool = per_turn(tools.cpu);
        allowed.gross.push(gross);
        allowed.wall.push(per_turn(allowed_spent.wall));
        allowed.floor.push(floor);
        allowed.tools.push(tool);
        allowed.net.push(gross - floor - tool);
        let gross = per_turn(denied_spent.cpu);
        let floor = per_turn(denied_floor.cpu);
        denied.gross.push(gross);
        denied.wall.push(per_turn(denied_spent.wall));
        denied.floor.push(floor);
        denied.net.push(gross - floor);
    }
    let of = |samples: &[f64]| Summary::of(samples).context("no sessions were measured");
    let report = last_report.context("no sessions were run")?;
    let components = components(&fixture, &report)?;
    let session = format!("{MODEL_TURNS}-turn session, {TOOL_TURNS}×{CALLS_PER_TURN} fs_read");
    Ok(vec![
        Row::new(format!("run-loop CPU/turn, gross ({session} allowed)"), "ms", of(&allowed.gross)?)
            .note("process CPU (all threads) around agentctl_core::start, including the in-process mock server, HTTP, tool handlers, state saves and fsynced audit appends"),
        Row::new("bare reqwest floor CPU/turn (same bodies, same mock)", "ms", of(&allowed.floor)?)
            .note("the recorded request bodies replayed with a bare reqwest client against the same mock; replies read and parsed"),
        Row::new(format!("fs_read handler CPU/turn ({CALLS_PER_TURN} calls, direct)"), "ms", of(&allowed.tools)?),
        Row::new("run-loop CPU/turn, net of floor and tool work (allowed)", "ms", of(&allowed.net)?)
            .note("per session: gross − floor − fs_read work, then the median over sessions; a diagnostic of the loop alone (the 0.5 ms target is whole-process, measured by scripts/bench.sh against the Python peers)"),
        Row::new(format!("run-loop CPU/turn, gross ({session} denied by policy)"), "ms", of(&denied.gross)?),
        Row::new("run-loop CPU/turn, net of floor (denied: no tool work)", "ms", of(&denied.net)?)
            .note("every call is denied by policy, so no tool handler runs; only the floor is subtracted"),
        Row::new("run-loop wall time/turn (allowed, fsync-bound)", "ms", of(&allowed.wall)?)
            .note("wall time is dominated by fsync of run state and audit entries on this disk; shown for context, not a CPU number"),
    ]
    .into_iter()
    .chain(components)
    .collect())
}

/// What the durable writes of a turn cost on their own: one atomic replacement of a run state
/// of the session's average size, and one audit append, each timed over 40 repetitions.
fn components(fixture: &Fixture, report: &agentctl_core::RunReport) -> anyhow::Result<Vec<Row>> {
    const REPETITIONS: usize = 40;
    let state_dir = &fixture.config.paths.state_dir;
    let final_state = agentctl_core::store::run_dir(state_dir, &report.run_id).join("state.json");
    let final_size = fs_err::metadata(&final_state)?.len() as usize;
    let average_size = final_size / 2;
    let scratch = state_dir.join("bench-components");
    fs_err::create_dir_all(&scratch)?;
    let bytes = vec![b'x'; average_size];
    let mut saves = Vec::with_capacity(REPETITIONS);
    for _ in 0..REPETITIONS {
        let watch = Stopwatch::start();
        agentctl_core::store::atomic_write(&scratch.join("state.json"), &bytes)?;
        saves.push(millis(watch.stop().cpu));
    }
    let mut writer = agentctl_audit::AuditWriter::open(&scratch.join("AUDIT_LOG.md"))?;
    let mut appends = Vec::with_capacity(REPETITIONS);
    for step in 0..REPETITIONS {
        let record = agentctl_audit::AuditRecord::new(agentctl_protocol::EventKind::ToolAllowed)
            .with_run(agentctl_protocol::RunId::new("r-bench"))
            .with_task(agentctl_protocol::TaskId::new("T-1"))
            .with_persona("bench-runner")
            .with_detail("call_id", format!("call_{step}_0"))
            .with_detail("tool", "fs_read")
            .with_detail("arguments", r#"{"path":"notes/small.txt"}"#)
            .with_detail("rule", "read: **")
            .with_detail("step", step);
        let watch = Stopwatch::start();
        writer.append(record)?;
        appends.push(millis(watch.stop().cpu));
    }
    let entries = match (report.audit_first_seq, report.audit_last_seq) {
        (Some(first), Some(last)) => (last - first + 1) as f64,
        _ => 0.0,
    };
    let of = |samples: &[f64]| Summary::of(samples).context("no repetitions were measured");
    let per_turn = [entries / MODEL_TURNS as f64];
    Ok(vec![
        Row::new(
            format!(
                "component: durable run-state save ({} KiB: tempfile, write, fdatasync, rename, dir fsync)",
                average_size / 1024
            ),
            "ms CPU",
            of(&saves)?,
        ),
        Row::new("component: audit append (seal, render, write, fdatasync)", "ms CPU", of(&appends)?),
        Row::new("component: audit entries per model turn (allowed session)", "entries", of(&per_turn)?),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_parse_as_json_or_server_sent_events() {
        assert_eq!(parse_reply(br#"{"choices": []}"#).unwrap(), 1);
        let events = b"data: {\"a\": 1}\n\ndata: {\"b\": 2}\n\ndata: [DONE]\n\n";
        assert_eq!(parse_reply(events).unwrap(), 2);
        assert!(parse_reply(b"data: {broken\n\n").is_err());
    }
}
