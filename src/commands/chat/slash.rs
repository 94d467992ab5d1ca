//! Slash commands: parsing a `/…` line into a [`SlashCommand`], and the text of the read-only
//! ones (`/help`, `/personas`, `/tools`, `/gates`). Knows nothing about the engine or where the
//! line came from; the REPL carries the commands out.

use std::fmt::Write as _;

use agentctl_core::project_state::ProjectState;
use agentctl_persona::{Library, PersonaKind};
use agentctl_policy::EffectivePolicy;
use agentctl_protocol::{Gate, GateStatus, PatternRules};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SlashCommand {
    Help,
    Personas,
    Switch(String),
    Tools,
    Prompt,
    Gates,
    Approve {
        by: Option<String>,
        note: Option<String>,
    },
    Reject {
        by: Option<String>,
        reason: String,
    },
    Audit,
    Exit,
}

pub const HELP: &str = "\
Type a message and press Enter to send it to the active persona; end a line with \\ to go on
on the next line; start a message with // to send text that begins with /.

  /help                            this list
  /personas                        the personas of the library (* marks the active one)
  /switch NAME                     hand the session to another persona yourself
  /tools                           what the active persona may do: tools, paths, commands
  /prompt                          the active persona's system prompt
  /gates                           gate status (S01–S10) of the session's task
  /approve [--by NAME] [--note TEXT]
                                   approve the action waiting at a gate
  /reject [--by NAME] REASON       reject it; the persona is told why
  /audit                           this session's audit log entries
  /exit                            end the session (Ctrl-D too)

Ctrl-C stops the reply in progress; the session goes on.
";

/// Parses a line that starts with `/`. The error is a one-line message for the human.
pub fn parse(line: &str) -> Result<SlashCommand, String> {
    let line = line.trim();
    let (name, rest) = line
        .split_once(char::is_whitespace)
        .map_or((line, ""), |(name, rest)| (name, rest.trim()));
    let no_arguments = |command: SlashCommand| {
        if rest.is_empty() {
            Ok(command)
        } else {
            Err(format!("{name} takes no arguments"))
        }
    };
    match name {
        "/help" | "/?" => no_arguments(SlashCommand::Help),
        "/personas" => no_arguments(SlashCommand::Personas),
        "/tools" => no_arguments(SlashCommand::Tools),
        "/prompt" => no_arguments(SlashCommand::Prompt),
        "/gates" => no_arguments(SlashCommand::Gates),
        "/audit" => no_arguments(SlashCommand::Audit),
        "/exit" | "/quit" => no_arguments(SlashCommand::Exit),
        "/switch" => match rest.split_whitespace().collect::<Vec<_>>().as_slice() {
            [persona] => Ok(SlashCommand::Switch((*persona).to_owned())),
            _ => Err("usage: /switch NAME (see /personas)".to_owned()),
        },
        "/approve" => {
            let flags = Flags::parse(rest, "--note")?;
            if !flags.free.is_empty() {
                return Err(format!(
                    "unexpected `{}`; usage: /approve [--by NAME] [--note TEXT]",
                    flags.free
                ));
            }
            Ok(SlashCommand::Approve {
                by: flags.by,
                note: flags.text,
            })
        }
        "/reject" => {
            let flags = Flags::parse(rest, "--reason")?;
            let reason = match (flags.text, flags.free) {
                (Some(text), free) if free.is_empty() => text,
                (None, free) if !free.is_empty() => free,
                _ => return Err("usage: /reject [--by NAME] REASON".to_owned()),
            };
            Ok(SlashCommand::Reject {
                by: flags.by,
                reason,
            })
        }
        _ => Err(format!(
            "unknown command `{name}`; /help lists the commands"
        )),
    }
}

/// `--by NAME`, a text flag that takes the rest of the line, and words given without a flag.
struct Flags {
    by: Option<String>,
    text: Option<String>,
    free: String,
}

impl Flags {
    fn parse(rest: &str, text_flag: &str) -> Result<Flags, String> {
        let mut flags = Flags {
            by: None,
            text: None,
            free: String::new(),
        };
        let mut remaining = rest.trim();
        while !remaining.is_empty() {
            let (word, after) = remaining
                .split_once(char::is_whitespace)
                .map_or((remaining, ""), |(word, after)| (word, after.trim_start()));
            if word == "--by" {
                let (name, after) = after
                    .split_once(char::is_whitespace)
                    .map_or((after, ""), |(name, after)| (name, after.trim_start()));
                if name.is_empty() || name.starts_with("--") {
                    return Err("--by needs a name, e.g. --by alice".to_owned());
                }
                flags.by = Some(unquote(name).to_owned());
                remaining = after;
            } else if word == text_flag || word == "--note" {
                flags.text = Some(unquote(after.trim()).to_owned()).filter(|text| !text.is_empty());
                if flags.text.is_none() {
                    return Err(format!("{word} needs a text"));
                }
                remaining = "";
            } else {
                // Everything from the first free word on is free text (a reason).
                flags.free = unquote(remaining).to_owned();
                remaining = "";
            }
        }
        Ok(flags)
    }
}

fn unquote(text: &str) -> &str {
    for quote in ['"', '\''] {
        if let Some(inner) = text
            .strip_prefix(quote)
            .and_then(|text| text.strip_suffix(quote))
        {
            return inner;
        }
    }
    text
}

/// `/personas`: one line per persona of the library, the active one marked.
pub fn personas(library: &Library, active: &str) -> String {
    let mut text = String::new();
    for persona in library
        .iter()
        .filter(|persona| persona.kind == PersonaKind::Persona)
    {
        let mark = if persona.name == active { '*' } else { ' ' };
        let _ = writeln!(
            text,
            "{mark} {:<18} {:<16} {}",
            persona.name,
            persona.role.as_deref().unwrap_or("-"),
            persona.description.as_deref().unwrap_or_default()
        );
    }
    text
}

/// `/tools`: the effective policy of the active persona, one rule kind per line.
pub fn policy(persona: &str, policy: &EffectivePolicy) -> String {
    let list = |items: &[String]| {
        if items.is_empty() {
            "(none)".to_owned()
        } else {
            items.join(", ")
        }
    };
    let tools: Vec<String> = policy.tools.iter().map(ToString::to_string).collect();
    let reports: Vec<String> = policy.reports.iter().map(ToString::to_string).collect();
    let mut text = format!("{persona} may use: {}\n", list(&tools));
    let _ = writeln!(text, "  read:       {}", list(&policy.read));
    let _ = writeln!(text, "  write:      {}", list(&policy.write));
    let _ = writeln!(text, "  never:      {}", list(&policy.deny));
    let _ = writeln!(text, "  protected:  {}", list(&policy.protected));
    rules(&mut text, "commands", &policy.commands);
    rules(&mut text, "aws", &policy.aws);
    let _ = writeln!(text, "  handoff to: {}", list(&policy.handoff_targets));
    let _ = writeln!(text, "  reports:    {}", list(&reports));
    let _ = writeln!(text, "  workspace:  {}", policy.workspace.display());
    text
}

fn rules(text: &mut String, label: &str, rules: &PatternRules) {
    if rules.allow.is_empty() && rules.approve.is_empty() && rules.deny.is_empty() {
        let _ = writeln!(text, "  {label}:{}(none)", " ".repeat(11 - label.len()));
        return;
    }
    for (kind, patterns) in [
        ("allow", &rules.allow),
        ("approve", &rules.approve),
        ("deny", &rules.deny),
    ] {
        if !patterns.is_empty() {
            let _ = writeln!(text, "  {label} {kind}: {}", patterns.join(", "));
        }
    }
}

/// `/gates`: every gate of one task with its recorded status.
pub fn gates(state: &ProjectState, task: &str) -> String {
    let records = state.tasks.get(task);
    let mut text = format!("gates of task {task}:\n");
    for gate in Gate::ALL {
        let record = records.and_then(|records| records.get(&gate));
        let status = record.map_or(GateStatus::NotStarted, |record| record.status);
        let _ = write!(text, "  {gate} {:<28} {status}", gate.title());
        if let Some(record) = record {
            let _ = write!(
                text,
                " by {} at {}",
                agentctl_display::line(&record.by),
                agentctl_display::line(&record.at)
            );
            if !record.evidence.is_empty() {
                let _ = write!(text, " — {}", agentctl_display::line(&record.evidence));
            }
        }
        text.push('\n');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_without_arguments_parse_and_refuse_arguments() {
        assert_eq!(parse("/help"), Ok(SlashCommand::Help));
        assert_eq!(parse("  /exit  "), Ok(SlashCommand::Exit));
        assert_eq!(
            parse("/tools now"),
            Err("/tools takes no arguments".to_owned())
        );
    }

    #[test]
    fn switch_needs_exactly_one_name() {
        assert_eq!(
            parse("/switch qa-engineer"),
            Ok(SlashCommand::Switch("qa-engineer".to_owned()))
        );
        assert!(parse("/switch").is_err());
        assert!(parse("/switch a b").is_err());
    }

    #[test]
    fn approve_takes_by_and_a_note_that_runs_to_the_end_of_the_line() {
        assert_eq!(
            parse("/approve --by alice --note window 14:00 today"),
            Ok(SlashCommand::Approve {
                by: Some("alice".to_owned()),
                note: Some("window 14:00 today".to_owned()),
            })
        );
        assert_eq!(
            parse("/approve --note \"ok then\""),
            Ok(SlashCommand::Approve {
                by: None,
                note: Some("ok then".to_owned()),
            })
        );
        assert_eq!(
            parse("/approve"),
            Ok(SlashCommand::Approve {
                by: None,
                note: None
            })
        );
        assert!(parse("/approve yes please").is_err());
        assert!(parse("/approve --by").is_err());
    }

    #[test]
    fn reject_needs_a_reason_given_freely_or_with_a_flag() {
        assert_eq!(
            parse("/reject --by bob not in this window"),
            Ok(SlashCommand::Reject {
                by: Some("bob".to_owned()),
                reason: "not in this window".to_owned(),
            })
        );
        assert_eq!(
            parse("/reject --reason no rollback plan"),
            Ok(SlashCommand::Reject {
                by: None,
                reason: "no rollback plan".to_owned(),
            })
        );
        assert!(parse("/reject").is_err());
        assert!(parse("/reject --by bob").is_err());
    }

    #[test]
    fn an_unknown_command_names_itself() {
        assert_eq!(
            parse("/deploy now"),
            Err("unknown command `/deploy`; /help lists the commands".to_owned())
        );
    }
}
