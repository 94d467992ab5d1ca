//! The client against real MCP servers nobody here wrote, installed from the registries by
//! `scripts/mcp-servers.sh install`. Where they are not installed each test says so and returns;
//! `.ci/run` sets `AGENTCTL_REQUIRE_MCP=1` after a successful install, which turns that into a
//! failure so CI never passes without having run them.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use agentctl_mcp::{DirectLauncher, McpError, McpHub};
use agentctl_protocol::{McpServerSpec, McpTransport};

fn servers_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("AGENTCTL_MCP_DIR")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache/agentctl/mcp"))
        })?;
    let everything = dir.join("node_modules/@modelcontextprotocol/server-everything/dist/index.js");
    if everything.is_file() {
        return Some(dir);
    }
    assert!(
        std::env::var_os("AGENTCTL_REQUIRE_MCP").is_none(),
        "AGENTCTL_REQUIRE_MCP is set but no MCP servers are installed in {}",
        dir.display()
    );
    eprintln!(
        "SKIPPED: the real MCP servers are not installed in {}; run scripts/mcp-servers.sh install",
        dir.display()
    );
    None
}

fn stdio(name: &str, command: &str, args: &[String]) -> McpServerSpec {
    McpServerSpec {
        name: name.to_owned(),
        transport: McpTransport::Stdio {
            command: command.to_owned(),
            args: args.to_vec(),
            env: BTreeMap::new(),
            secret_env: BTreeMap::new(),
            env_from: Vec::new(),
            cwd: None,
        },
        startup_timeout_s: 30,
        call_timeout_s: 30,
        network: false,
        write: Vec::new(),
        personas: Vec::new(),
    }
}

fn base_env() -> Vec<(String, String)> {
    vec![(
        "PATH".to_owned(),
        std::env::var("PATH").unwrap_or_else(|_| "/usr/bin:/bin".to_owned()),
    )]
}

fn everything(dir: &std::path::Path, workspace: &std::path::Path) -> McpHub {
    let script = dir.join("node_modules/@modelcontextprotocol/server-everything/dist/index.js");
    McpHub::new(
        vec![stdio(
            "everything",
            "node",
            &[script.display().to_string(), "stdio".to_owned()],
        )],
        workspace,
        base_env(),
        Arc::new(DirectLauncher),
        4096,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reference_server_lists_and_calls_tools() {
    let Some(dir) = servers_dir() else { return };
    let workspace = tempfile::tempdir().unwrap();
    let hub = everything(&dir, workspace.path());
    assert_eq!(
        hub.status().await[0].starts,
        0,
        "nothing starts before it is needed"
    );
    let tools = hub.tools("everything").await.unwrap();
    let names: Vec<&str> = tools.iter().map(|tool| tool.name.as_str()).collect();
    assert!(names.contains(&"echo"), "tools: {names:?}");
    let echo = tools.iter().find(|tool| tool.name == "echo").unwrap();
    assert_eq!(echo.offered_name, "mcp__everything__echo");
    assert!(echo.input_schema.get("properties").is_some());

    let mut arguments = serde_json::Map::new();
    arguments.insert("message".into(), "hello from agentctl".into());
    let output = hub.call("everything", "echo", arguments).await.unwrap();
    assert!(!output.is_error);
    assert!(
        output.text.contains("hello from agentctl"),
        "{}",
        output.text
    );

    // A large result is cut at the cap.
    let mut arguments = serde_json::Map::new();
    arguments.insert("message".into(), "x".repeat(10_000).into());
    let output = hub.call("everything", "echo", arguments).await.unwrap();
    assert!(output.truncated);
    assert!(output.text.len() < 4200);

    // A tool the server does not have is an error from the server (as a protocol error or
    // an `isError` result, depending on the server's version), never a crash.
    match hub
        .call("everything", "no_such_tool", serde_json::Map::new())
        .await
    {
        Ok(output) => assert!(output.is_error && output.text.contains("no_such_tool")),
        Err(error) => assert!(matches!(error, McpError::Call { .. }), "{error}"),
    }
    assert!(
        hub.status().await[0].running,
        "the server survives a bad call"
    );
    hub.shutdown().await;
    assert!(!hub.status().await[0].running);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_dies_is_restarted_within_the_budget() {
    let workspace = tempfile::tempdir().unwrap();
    // A "server" that exits at once: every start fails, and the budget stops the retries.
    let hub = McpHub::new(
        vec![stdio(
            "broken",
            "sh",
            &["-c".into(), "echo boom >&2; exit 1".into()],
        )],
        workspace.path(),
        base_env(),
        Arc::new(DirectLauncher),
        4096,
    );
    let first = hub.tools("broken").await.unwrap_err();
    assert_eq!(first.kind(), "server_start", "{first}");
    assert!(
        first.to_string().contains("boom"),
        "stderr is quoted: {first}"
    );
    let mut last = first;
    for _ in 0..5 {
        last = hub.tools("broken").await.unwrap_err();
    }
    assert_eq!(last.kind(), "restart_budget", "{last}");
    assert_eq!(hub.status().await[0].starts, 1 + agentctl_mcp::MAX_RESTARTS);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_sees_only_the_environment_it_was_given() {
    let Some(dir) = servers_dir() else { return };
    let workspace = tempfile::tempdir().unwrap();
    let hub = everything(&dir, workspace.path());
    let tools = hub.tools("everything").await.unwrap();
    let Some(env_tool) = tools
        .iter()
        .find(|tool| tool.name.contains("env") || tool.name.contains("Env"))
    else {
        panic!(
            "the reference server no longer has an environment tool: {:?}",
            tools.iter().map(|t| &t.name).collect::<Vec<_>>()
        );
    };
    let output = hub
        .call("everything", &env_tool.name, serde_json::Map::new())
        .await
        .unwrap();
    assert!(output.text.contains("PATH"), "{}", output.text);
    for secret in ["OPENAI_API_KEY", "AWS_SECRET_ACCESS_KEY"] {
        assert!(
            !output.text.contains(secret),
            "{secret} leaked: {}",
            output.text
        );
    }
    // HOME is the server's own scratch directory, never the user's.
    let user_home = std::env::var("HOME").unwrap_or_default();
    assert!(
        output.text.contains("agentctl-mcp-everything-"),
        "{}",
        output.text
    );
    assert!(
        user_home.is_empty() || !output.text.contains(&format!("\"HOME\": \"{user_home}\"")),
        "{}",
        output.text
    );
    hub.shutdown().await;
}
