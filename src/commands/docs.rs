//! `agentctl docs [TOPIC]`: the user documentation, embedded in the binary at build time, so a
//! user who installed agentctl with `cargo install` can read what hints point to without a
//! clone of the repository.

use clap::Args;

use crate::cli::GlobalArgs;
use crate::exit::Exit;
use crate::output;

/// Every topic: its name, a one-line summary, and the page.
pub const TOPICS: [(&str, &str, &str); 14] = [
    (
        "cli",
        "every command, flag, output and exit code",
        include_str!("../../docs/cli.md"),
    ),
    (
        "configuration",
        "agentctl.toml: every key, layers, environment variables",
        include_str!("../../docs/configuration.md"),
    ),
    (
        "formats",
        "persona file styles, Claude Code and Kiro agents, and how they map",
        include_str!("../../docs/formats.md"),
    ),
    (
        "prompt-assembly",
        "includes, variables and the layout of a system prompt",
        include_str!("../../docs/prompt-assembly.md"),
    ),
    (
        "policy",
        "how each tool call is allowed, sent for approval or denied",
        include_str!("../../docs/policy.md"),
    ),
    (
        "tools",
        "the tools a persona can be given",
        include_str!("../../docs/tools.md"),
    ),
    (
        "mcp",
        "MCP servers: declaring them, which persona may use which tool",
        include_str!("../../docs/mcp.md"),
    ),
    (
        "gates",
        "phases, gates S01–S10 and human approvals",
        include_str!("../../docs/gates.md"),
    ),
    (
        "audit-log",
        "AUDIT_LOG.md: entries, the hash chain, verification",
        include_str!("../../docs/audit-log.md"),
    ),
    (
        "endpoints",
        "OpenAI-compatible endpoints, keys, local models",
        include_str!("../../docs/endpoints.md"),
    ),
    (
        "output",
        "progress, colours, the run summary, --quiet, -v, completions",
        include_str!("../../docs/output.md"),
    ),
    (
        "chat",
        "the interactive team chat",
        include_str!("../../docs/chat.md"),
    ),
    (
        "security-model",
        "what agentctl defends against and how",
        include_str!("../../docs/security-model.md"),
    ),
    (
        "architecture",
        "the crates and where each concept lives",
        include_str!("../../docs/ARCHITECTURE.md"),
    ),
];

#[derive(Debug, Args)]
pub struct DocsArgs {
    /// The page to print, e.g. `configuration`; without it, the list of pages.
    pub topic: Option<String>,
}

pub fn execute(_global: &GlobalArgs, args: DocsArgs) -> Exit {
    let Some(topic) = args.topic else {
        let width = TOPICS
            .iter()
            .map(|(name, _, _)| name.len())
            .max()
            .unwrap_or(0);
        let mut text = String::from("Documentation pages (agentctl docs TOPIC):\n");
        for (name, summary, _) in TOPICS {
            text.push_str(&format!("  {name:<width$}  {summary}\n"));
        }
        output::stdout(&text);
        return Exit::Success;
    };
    let wanted = topic.trim_end_matches(".md").to_ascii_lowercase();
    match TOPICS.iter().find(|(name, _, _)| *name == wanted) {
        Some((_, _, page)) => {
            output::stdout(page);
            Exit::Success
        }
        None => {
            let names: Vec<&str> = TOPICS.iter().map(|(name, _, _)| *name).collect();
            let suggestion = agentctl_persona::closest(&wanted, names.iter().copied())
                .map(|name| format!("did you mean `{name}`? "))
                .unwrap_or_default();
            output::error(
                &format!("no documentation page named `{topic}`"),
                Some(&format!("{suggestion}pages: {}", names.join(", "))),
            );
            Exit::BadInput
        }
    }
}
