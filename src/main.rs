//! The `agentctl` binary: command-line parsing, rendering and exit codes. Domain logic lives
//! in the `crates/` libraries; this crate only wires them to a terminal.

mod cli;
mod commands;
mod exit;
mod mcp_launch;
mod output;
mod preflight;
mod progress;
mod shipped;
mod style;
mod table;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::Cli;
use crate::exit::Exit;

fn main() -> ExitCode {
    // The sandbox helper runs before anything else (no runtime, no threads): it must stay
    // single-threaded to enter namespaces, and it becomes the sandboxed program.
    if let Some(code) = sandbox_helper() {
        return ExitCode::from(u8::try_from(code).unwrap_or(1));
    }
    let cli = Cli::parse();
    output::init_tracing(cli.global.verbose);
    let runtime = match runtime_for(&cli.command).enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            output::error(&format!("cannot start the async runtime: {error}"), None);
            return Exit::Failure.into();
        }
    };
    let exit = runtime.block_on(commands::dispatch(cli));
    exit.into()
}

/// The async runtime a command runs on. One thread for every command but `chat`: a run is one
/// conversation, its work is waiting on the endpoint, tools and disk one step at a time, and a
/// second thread would only add hand-offs between threads to each turn. `chat` blocks its thread
/// while the human types (the line editor is synchronous), and the MCP servers' and the
/// connection's tasks keep running meanwhile on the other worker.
fn runtime_for(command: &cli::Command) -> tokio::runtime::Builder {
    match command {
        cli::Command::Chat(_) => {
            let mut builder = tokio::runtime::Builder::new_multi_thread();
            builder.worker_threads(2);
            builder
        }
        _ => tokio::runtime::Builder::new_current_thread(),
    }
}

/// `agentctl __sandbox-exec …` and `agentctl __sandbox-probe`: hidden, used by agentctl itself.
fn sandbox_helper() -> Option<i32> {
    let mut arguments = std::env::args_os().skip(1);
    let subcommand = arguments.next()?;
    if subcommand == agentctl_sandbox::HELPER_SUBCOMMAND {
        let rest: Vec<std::ffi::OsString> = arguments.collect();
        Some(agentctl_sandbox::helper::exec_main(&rest))
    } else if subcommand == agentctl_sandbox::PROBE_SUBCOMMAND {
        Some(agentctl_sandbox::helper::probe_main())
    } else {
        None
    }
}
