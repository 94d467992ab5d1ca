//! Command-line definitions (clap derive). One variant per subcommand; each subcommand's
//! arguments live next to its implementation in `commands/`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::commands;

/// Runs LLM personas for software delivery as a team held to its rules by code.
///
/// agentctl loads persona packs, assembles each persona's system prompt, runs it against any
/// OpenAI-compatible endpoint, confines every tool call to what the role may do, stops at human
/// gates, and writes a tamper-evident AUDIT_LOG.md.
#[derive(Debug, Parser)]
#[command(
    name = "agentctl",
    version,
    propagate_version = true,
    arg_required_else_help = true
)]
#[command(
    after_help = "Examples:\n  agentctl init my-service\n  agentctl lint\n  agentctl run ops-devops --task T-154\n  agentctl audit verify"
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Project root (default: the nearest ancestor directory holding agentctl.toml).
    #[arg(long, global = true, value_name = "DIR")]
    pub root: Option<PathBuf>,
    /// More diagnostics on stderr: -v for endpoint requests, policy decisions and timings,
    /// -vv for debug. AGENTCTL_LOG or RUST_LOG (a tracing filter) also work.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Print only the run summary, warnings and errors on stderr.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
}

impl GlobalArgs {
    /// How much `run` and `resume` show while they work.
    pub fn verbosity(&self) -> crate::progress::Verbosity {
        crate::progress::Verbosity {
            quiet: self.quiet,
            tracing: crate::output::tracing_requested(self.verbose),
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scaffold agentctl.toml, the default team and a sample task into a directory.
    #[command(after_help = "Example:\n  agentctl init my-service")]
    Init(commands::init::InitArgs),
    /// List personas and stage commands.
    #[command(after_help = "Example:\n  agentctl personas --json")]
    Personas(commands::personas::PersonasArgs),
    /// Show a persona's resolved definition and where every field came from.
    #[command(after_help = "Example:\n  agentctl show ops-devops")]
    Show(commands::show::ShowArgs),
    /// Print the exact system prompt a persona will get.
    #[command(
        after_help = "Examples:\n  agentctl prompt ops-devops --task T-154\n  agentctl prompt deployment-plan --param env=production --sources"
    )]
    Prompt(commands::prompt::PromptArgs),
    /// Convert a Claude Code or Kiro agent file (or any persona style) to the canonical style.
    #[command(
        after_help = "Examples:\n  agentctl import .claude/agents/reviewer.md --output personas/reviewer.md\n  agentctl import reviewer.json"
    )]
    Import(commands::import::ImportArgs),
    /// Print the user documentation built into this binary (`agentctl docs configuration`).
    #[command(after_help = "Examples:\n  agentctl docs\n  agentctl docs formats")]
    Docs(commands::docs::DocsArgs),
    /// Validate the whole library and report every problem.
    #[command(after_help = "Example:\n  agentctl lint --json")]
    Lint(commands::lint::LintArgs),
    /// Run a task starting with a persona; follow handoffs; stop at gates.
    #[command(
        after_help = "Examples:\n  agentctl run ops-devops --task T-154\n  agentctl run deployment-plan --task T-155 --param env=production\n  agentctl run ops-devops --task T-154 --dry-run"
    )]
    Run(commands::run::RunArgs),
    /// Talk with the team interactively; handoffs switch the persona live; gates ask in place.
    #[command(
        after_help = "Examples:\n  agentctl chat\n  agentctl chat ops-devops --task T-154\n  agentctl chat --resume s-20261122-050012-a1b2c3\n  printf 'Where does T-154 stand?\\n' | agentctl chat --task T-154"
    )]
    Chat(commands::chat::ChatArgs),
    /// List runs with their status.
    #[command(after_help = "Example:\n  agentctl runs --json")]
    Runs(commands::runs::RunsArgs),
    /// Approve the pending gate of a task or run (a human decision).
    #[command(
        after_help = "Example:\n  agentctl approve T-155 --gate S08 --by alice --note \"change window 14:00\""
    )]
    Approve(commands::approve::ApproveArgs),
    /// Reject the pending gate of a task or run.
    #[command(
        after_help = "Example:\n  agentctl reject T-155 --by alice --reason \"no rollback plan\""
    )]
    Reject(commands::approve::RejectArgs),
    /// Continue a paused or interrupted run from exactly where it stopped.
    #[command(after_help = "Example:\n  agentctl resume T-155")]
    Resume(commands::resume::ResumeArgs),
    /// Show phase and gate status (S01–S10) per task; `gates record` records S06/S07 from CI.
    #[command(
        after_help = "Examples:\n  agentctl gates --json\n  agentctl gates record S06 --task T-154 --by alice --evidence https://ci.example.com/runs/123"
    )]
    Gates(commands::gates::GatesArgs),
    /// Review or verify the audit log.
    #[command(
        subcommand,
        after_help = "Examples:\n  agentctl audit show --task T-154\n  agentctl audit verify"
    )]
    Audit(commands::audit::AuditCommand),
    /// Report what this machine supports: the OS sandbox (Landlock, namespaces) and more.
    #[command(after_help = "Examples:\n  agentctl doctor\n  agentctl doctor --json")]
    Doctor(commands::doctor::DoctorArgs),
    /// Inspect the project's MCP servers: what they offer and what each persona may use.
    #[command(
        subcommand,
        after_help = "Examples:\n  agentctl mcp list\n  agentctl mcp tools git"
    )]
    Mcp(commands::mcp::McpCommand),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    #[command(
        after_help = "Examples:\n  agentctl completions bash > ~/.local/share/bash-completion/completions/agentctl\n  agentctl completions zsh > ~/.zfunc/_agentctl\n  agentctl completions fish > ~/.config/fish/completions/agentctl.fish"
    )]
    Completions(commands::completions::CompletionsArgs),
    /// Print the manual page (roff) on stdout.
    #[command(after_help = "Example:\n  agentctl man > ~/.local/share/man/man1/agentctl.1")]
    Man(commands::completions::ManArgs),
}
