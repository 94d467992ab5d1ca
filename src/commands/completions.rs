//! `agentctl completions SHELL` and `agentctl man`: shell completion scripts (clap_complete)
//! and the manual page (clap_mangen), both generated from the same command definitions as
//! `--help`, printed on stdout. Nothing is installed; docs/output.md says where to put them.

use clap::{Args, CommandFactory};

use crate::cli::Cli;
use crate::exit::Exit;
use crate::output;

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub struct ManArgs {}

pub fn completions(args: CompletionsArgs) -> Exit {
    let mut command = Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut command, "agentctl", &mut script);
    write_exact(&script)
}

pub fn man(_args: ManArgs) -> Exit {
    let command = Cli::command();
    let mut page = Vec::new();
    if let Err(error) = clap_mangen::Man::new(command).render(&mut page) {
        output::error(&format!("cannot render the manual page: {error}"), None);
        return Exit::Failure;
    }
    write_exact(&page)
}

/// The generated text goes out byte for byte (completion scripts carry no content from
/// outside the binary, and escaping would break them).
fn write_exact(bytes: &[u8]) -> Exit {
    match String::from_utf8(bytes.to_vec()) {
        Ok(text) => {
            output::stdout_raw(&text);
            Exit::Success
        }
        Err(error) => {
            output::error(&format!("generated text is not UTF-8: {error}"), None);
            Exit::Failure
        }
    }
}
