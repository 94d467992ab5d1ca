//! `agentctl-mock-endpoint`: serves a scripted OpenAI-compatible endpoint as its own process, for
//! end-to-end tests and benchmarks of the `agentctl` binary.
//!
//! It writes its base URL (`http://127.0.0.1:PORT/v1`) to `--port-file` once it is listening,
//! and serves until it receives Ctrl-C or SIGTERM.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use agentctl_test_support::{MockEndpoint, ScriptFile};
use clap::Parser;

/// Serve a scripted mock of the OpenAI Chat Completions API on 127.0.0.1.
///
/// Example: agentctl-mock-endpoint --script replies.json --port-file /tmp/mock.url
#[derive(Debug, Parser)]
#[command(name = "agentctl-mock-endpoint", version)]
struct Arguments {
    /// JSON script: an array of replies, or {"about", "model", "refuse_streaming_with_tools",
    /// "replies"} ("about": lines for the reader, ignored). The replies are given in order,
    /// one per chat request, whatever the request says; the position is kept across clients.
    #[arg(long, value_name = "FILE")]
    script: Option<PathBuf>,
    /// Where to write the base URL once listening (written atomically).
    #[arg(long, value_name = "PATH")]
    port_file: Option<PathBuf>,
    /// Port to listen on; 0 picks a free one.
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Append every received request as a JSON line to this file.
    #[arg(long, value_name = "PATH")]
    record: Option<PathBuf>,
    /// Refuse streaming requests that offer tools, like llama-cpp-python.
    #[arg(long)]
    refuse_streaming_with_tools: bool,
}

fn main() -> ExitCode {
    let arguments = Arguments::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => return fail(&format!("cannot start the async runtime: {error}")),
    };
    match runtime.block_on(serve(arguments)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => fail(&message),
    }
}

fn fail(message: &str) -> ExitCode {
    let _ = writeln!(std::io::stderr(), "error: {message}");
    ExitCode::FAILURE
}

async fn serve(arguments: Arguments) -> Result<(), String> {
    let script = match &arguments.script {
        Some(path) => {
            let text = fs_err::read_to_string(path).map_err(|error| error.to_string())?;
            ScriptFile::parse(&text).map_err(|error| {
                format!(
                    "{} is not a valid mock script ({error}); expected a JSON array of replies \
                     such as [{{\"text\": \"hello\"}}]",
                    path.display()
                )
            })?
        }
        None => ScriptFile {
            about: Vec::new(),
            model: None,
            refuse_streaming_with_tools: false,
            replies: Vec::new(),
        },
    };
    let mut builder = script.into_builder().port(arguments.port);
    if arguments.refuse_streaming_with_tools {
        builder = builder.refuse_streaming_with_tools(true);
    }
    if let Some(path) = &arguments.record {
        builder = builder.record_to(path);
    }
    let endpoint: MockEndpoint = builder
        .try_start()
        .await
        .map_err(|error| format!("cannot start the mock endpoint: {error}"))?;
    if let Some(path) = &arguments.port_file {
        write_atomically(path, &endpoint.base_url())?;
    }
    endpoint.serve_until_signalled().await;
    Ok(())
}

/// Readers poll the port file, so it must never be seen half-written.
fn write_atomically(path: &Path, contents: &str) -> Result<(), String> {
    let mut partial = path.as_os_str().to_owned();
    partial.push(".partial");
    let partial = PathBuf::from(partial);
    fs_err::write(&partial, contents).map_err(|error| error.to_string())?;
    fs_err::rename(&partial, path).map_err(|error| error.to_string())
}
