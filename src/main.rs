//! The `agentctl` binary: command-line parsing, rendering and exit codes. Domain logic lives
//! in the `crates/` libraries; this crate only wires them to a terminal.

mod cli;
mod commands;
mod exit;
mod mcp_launch;
mod output;
mod progress;
mod shipped;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::Cli;
use crate::exit::Exit;

fn main() -> ExitCode {
    let cli = Cli::parse();
    output::init_tracing(cli.global.verbose);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            output::error(&format!("cannot start the async runtime: {error}"), None);
            return Exit::Failure.into();
        }
    };
    let exit = runtime.block_on(commands::dispatch(cli));
    exit.into()
}
