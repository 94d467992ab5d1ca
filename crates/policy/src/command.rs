//! `execute_bash` rules: every simple command and redirection of a command line on its own.
//!
//! Owns: looking through `eval`, `sh -c` and friends; matching each simple command (its words
//! joined by single spaces, leading `NAME=value` assignments set aside) against the persona's
//! `commands` patterns; refusing assignments that change how programs are found or loaded;
//! sending redirection targets to the path rules; and combining everything into the strictest
//! decision. Does not know how the text is tokenised (see `shell`) or how paths are judged
//! (the engine passes a [`PathCheck`]).

use agentctl_protocol::{Decision, PatternRules};

mod arguments;
mod environment;
mod programs;

use programs::SHELLS;

use crate::request::deny;
use crate::shell::{
    self, join_subject, Assignment, RedirectionKind, SimpleCommand, Word, WordPart,
};
use crate::wildcard::WildcardPattern;
use crate::PolicyError;

/// Command text longer than this is refused unread.
pub const MAX_COMMAND_BYTES: usize = 64 * 1024;

/// How many `eval` / `sh -c` layers are looked through.
const MAX_WRAPPER_DEPTH: usize = 8;

/// Short options of those shells that take no argument and may sit before `-c`. `-l` (login)
/// and `-i` (interactive) are not among them: such shells read the user's profile and rc files.
const HARMLESS_SHELL_FLAGS: &str = "cexuv";

/// Commands that change the working directory, after which a relative redirection target no
/// longer names the workspace path it looks like.
const DIRECTORY_CHANGERS: [&str; 3] = ["cd", "pushd", "popd"];

/// Output targets that never touch the workspace.
const HARMLESS_OUTPUTS: [&str; 3] = ["/dev/null", "/dev/stdout", "/dev/stderr"];
const HARMLESS_INPUTS: [&str; 2] = ["/dev/null", "/dev/stdin"];

/// The rule of an empty list of decisions; dropped when combined with real rules.
const NOTHING_TO_CHECK: &str = "nothing to check";

/// How a redirection uses its target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Access {
    Read,
    Write,
}

/// Judges a workspace-relative path for reading or writing.
pub(crate) type PathCheck<'a> = &'a dyn Fn(&str, Access) -> Decision;

#[derive(Debug, Clone)]
pub(crate) struct CommandRules {
    allow: Vec<WildcardPattern>,
    approve: Vec<WildcardPattern>,
    deny: Vec<WildcardPattern>,
}

impl CommandRules {
    pub(crate) fn new(rules: &PatternRules) -> Result<CommandRules, PolicyError> {
        Ok(CommandRules {
            allow: compile("commands.allow", &rules.allow)?,
            approve: compile("commands.approve", &rules.approve)?,
            deny: compile("commands.deny", &rules.deny)?,
        })
    }

    /// The decision for a whole command line.
    pub(crate) fn decide(&self, text: &str, check_path: PathCheck<'_>) -> Decision {
        if text.len() > MAX_COMMAND_BYTES {
            return deny(
                "shell: too long",
                format!(
                    "the command is {} bytes; the limit is {MAX_COMMAND_BYTES}; write a script with fs_write and run it",
                    text.len()
                ),
            );
        }
        if text.contains('\0') {
            return deny("shell: NUL byte", "the command contains a NUL byte");
        }
        let mut collected = Collected::default();
        if let Err(decision) = collect(text, 0, &mut collected) {
            return decision;
        }
        if collected.commands.is_empty() && collected.redirections.is_empty() {
            return deny("shell: empty", "the command is empty");
        }
        let mut decisions: Vec<Decision> = collected
            .commands
            .iter()
            .map(|command| self.decide_simple(command, check_path))
            .collect();
        decisions.push(decide_redirections(&collected, check_path));
        combine(decisions)
    }

    fn decide_simple(&self, command: &SimpleCommand, check_path: PathCheck<'_>) -> Decision {
        if let Some(decision) = check_assignments(command) {
            return decision;
        }
        let Some(name_word) = command.words.first() else {
            let rule = if command.assignments.is_empty() {
                "redirection only"
            } else {
                "assignment only"
            };
            return Decision::Allow {
                rule: rule.to_owned(),
            };
        };
        let Some(name) = name_word.static_text() else {
            return deny(
                "shell: dynamic command name",
                format!(
                    "the command name `{}` is only known at run time, so it cannot be checked; write the command out",
                    name_word.text()
                ),
            );
        };
        if name.is_empty() {
            return deny("shell: empty command name", "a command name is empty");
        }
        // The persona's own deny rule is the clearest answer; then what the program would do
        // with its options and arguments; then the persona's approve and allow rules.
        let pattern_decision = self.decide_pattern(&name, command);
        if matches!(pattern_decision, Decision::Deny { .. }) {
            return pattern_decision;
        }
        let program = name.rsplit('/').next().unwrap_or(&name);
        if let Some(decision) = programs::check(program, &command.words) {
            return decision;
        }
        let argument_decisions = arguments::check(program, &command.words, check_path);
        if argument_decisions
            .iter()
            .any(|decision| matches!(decision, Decision::Deny { .. }))
        {
            return combine(argument_decisions);
        }
        let mut decisions = vec![pattern_decision];
        decisions.extend(argument_decisions);
        combine(decisions)
    }

    /// The persona's patterns for one simple command with a static name.
    fn decide_pattern(&self, name: &str, command: &SimpleCommand) -> Decision {
        let text = command
            .words
            .iter()
            .map(Word::text)
            .collect::<Vec<_>>()
            .join(" ");
        let shown = shorten(&text);
        let mut subjects = vec![join_subject(&command.words.iter().collect::<Vec<_>>())];
        if let Some((_, base)) = name.rsplit_once('/') {
            // `/usr/bin/rm -rf x` must not slip past a deny rule written as `rm -rf *`.
            let base_word = Word {
                parts: vec![WordPart::Literal(base.to_owned())],
            };
            let mut words: Vec<&Word> = vec![&base_word];
            words.extend(command.words.iter().skip(1));
            subjects.push(join_subject(&words));
        }
        let could_match =
            |pattern: &WildcardPattern| subjects.iter().any(|s| pattern.could_match(s));
        let once_expanded = |pattern: &WildcardPattern| {
            if pattern.matches(&text) {
                ""
            } else {
                " once expanded"
            }
        };
        if let Some(pattern) = self.deny.iter().find(|p| could_match(p)) {
            return deny(
                format!("deny: {}", pattern.text()),
                format!(
                    "command `{shown}` matches deny rule `{}`{}",
                    pattern.text(),
                    once_expanded(pattern)
                ),
            );
        }
        if let Some(pattern) = self.approve.iter().find(|p| could_match(p)) {
            return Decision::Approve {
                rule: format!("approve: {}", pattern.text()),
                reason: format!(
                    "command `{shown}` matches approve rule `{}`{}; a human must approve it",
                    pattern.text(),
                    once_expanded(pattern)
                ),
            };
        }
        // An unquoted word made only of expansions disappears when they expand to nothing
        // (`cat $CI` runs `cat`), so an allow pattern must match the line both ways.
        let without_vanishing = command
            .words
            .iter()
            .filter(|word| !word.may_vanish())
            .map(Word::text)
            .collect::<Vec<_>>()
            .join(" ");
        if let Some(pattern) = self
            .allow
            .iter()
            .find(|p| p.matches(&text) && p.matches(&without_vanishing))
        {
            return Decision::Allow {
                rule: format!("allow: {}", pattern.text()),
            };
        }
        let allowed: Vec<&str> = self.allow.iter().map(WildcardPattern::text).collect();
        let hint = if allowed.is_empty() {
            "this persona may not run commands".to_owned()
        } else {
            format!("allowed: {}", allowed.join(", "))
        };
        deny(
            "no command rule",
            format!("command `{shown}` is not allowed for this persona; {hint}"),
        )
    }
}

fn compile(list: &str, patterns: &[String]) -> Result<Vec<WildcardPattern>, PolicyError> {
    patterns
        .iter()
        .map(|written| {
            if written.trim().is_empty() {
                return Err(PolicyError::UnsupportedPattern {
                    list: list.to_owned(),
                    pattern: written.clone(),
                    reason: "the pattern is empty".to_owned(),
                });
            }
            Ok(WildcardPattern::new(written, false))
        })
        .collect()
}

#[derive(Debug, Default)]
struct Collected {
    commands: Vec<SimpleCommand>,
    redirections: Vec<shell::Redirection>,
    /// Names of the wrappers looked through (`eval`, `bash`, `env` …), which bash also runs.
    wrappers: Vec<String>,
}

/// Parses `text` and gathers its commands, replacing each `eval …` or `sh -c …` by the commands
/// of the script it runs. The wrappers themselves are transparent: only what they run is
/// matched, but their assignments are still checked.
fn collect(text: &str, depth: usize, collected: &mut Collected) -> Result<(), Decision> {
    let script = shell::parse(text).map_err(|error| {
        deny(
            "shell: unsupported syntax",
            format!("{error}; the policy runs only commands it can fully check"),
        )
    })?;
    collected.redirections.extend(script.redirections);
    for command in script.commands {
        if let Some(name) = command.words.first().and_then(Word::static_text) {
            if name.rsplit('/').next() == Some("env") && command.words.len() > 1 {
                collected.wrappers.push(name);
            }
        }
        let command = unwrap_env(command)?;
        match wrapped_script(&command)? {
            Some(inner) => {
                if depth >= MAX_WRAPPER_DEPTH {
                    return Err(deny(
                        "shell: wrapper",
                        format!("more than {MAX_WRAPPER_DEPTH} levels of `eval` / `sh -c`"),
                    ));
                }
                if let Some(name) = command.words.first().and_then(Word::static_text) {
                    collected.wrappers.push(name);
                }
                if !command.assignments.is_empty() {
                    collected.commands.push(SimpleCommand {
                        assignments: command.assignments,
                        words: Vec::new(),
                    });
                }
                collect(&inner, depth + 1, collected)?;
            }
            None => collected.commands.push(command),
        }
    }
    Ok(())
}

/// `env NAME=value … COMMAND …` is `NAME=value … COMMAND …`: the assignments meet the same
/// allowlist as prefix assignments and the command is matched on its own. Options of `env`
/// (`-i`, `-u`, `-S`, `-C` …) are refused; `env` alone stays a command named `env`.
fn unwrap_env(mut command: SimpleCommand) -> Result<SimpleCommand, Decision> {
    for _ in 0..MAX_WRAPPER_DEPTH {
        let is_env = command
            .words
            .first()
            .and_then(Word::static_text)
            .is_some_and(|name| name.rsplit('/').next() == Some("env"));
        if !is_env || command.words.len() < 2 {
            return Ok(command);
        }
        let mut rest = command.words.split_off(1);
        let mut assignments = std::mem::take(&mut command.assignments);
        let mut index = 0;
        while let Some(word) = rest.get(index) {
            let text = word.text();
            if text.starts_with('-') {
                return Err(deny(
                    "shell: env option",
                    format!("`env {text}` is not allowed; set variables as `NAME=value COMMAND`"),
                ));
            }
            let Some((name, value)) = text.split_once('=') else {
                break;
            };
            let is_name = name
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            if !is_name {
                break;
            }
            let value = match word.static_text() {
                Some(_) => Word {
                    parts: vec![WordPart::Literal(value.to_owned())],
                },
                None => word.clone(),
            };
            assignments.push(Assignment {
                name: name.to_owned(),
                value,
            });
            index += 1;
        }
        let words = rest.split_off(index);
        if words.is_empty() {
            command.assignments = assignments;
            return Ok(command);
        }
        command = SimpleCommand { assignments, words };
    }
    Err(deny(
        "shell: wrapper",
        format!("more than {MAX_WRAPPER_DEPTH} levels of `env`"),
    ))
}

/// The script an `eval` or `SHELL [-flags] -c SCRIPT` command runs, if it is one.
fn wrapped_script(command: &SimpleCommand) -> Result<Option<String>, Decision> {
    let Some(name) = command.words.first().and_then(Word::static_text) else {
        return Ok(None);
    };
    let arguments = &command.words[1..];
    if name == "eval" {
        let mut pieces = Vec::with_capacity(arguments.len());
        for argument in arguments {
            let Some(piece) = argument.static_text() else {
                return Err(deny(
                    "shell: wrapper",
                    format!(
                        "`eval` of `{}`, which is only known at run time, cannot be checked",
                        argument.text()
                    ),
                ));
            };
            pieces.push(piece);
        }
        return Ok(Some(pieces.join(" ")));
    }
    let base = name.rsplit('/').next().unwrap_or(&name);
    if !SHELLS.contains(&base) {
        return Ok(None);
    }
    let mut index = 0;
    let mut runs_script_argument = false;
    while let Some(flags) = arguments
        .get(index)
        .and_then(Word::static_text)
        .and_then(|text| text.strip_prefix('-').map(str::to_owned))
    {
        if flags.is_empty() || !flags.chars().all(|c| HARMLESS_SHELL_FLAGS.contains(c)) {
            break;
        }
        runs_script_argument |= flags.contains('c');
        index += 1;
    }
    if !runs_script_argument {
        let mentions_c = arguments.iter().any(|argument| {
            argument
                .static_text()
                .is_some_and(|t| t.starts_with('-') && !t.starts_with("--") && t.contains('c'))
        });
        if mentions_c {
            return Err(deny(
                "shell: wrapper",
                format!("cannot tell which script `{name}` runs with these options; use `{base} -c 'COMMANDS'`"),
            ));
        }
        return Ok(None);
    }
    let Some(script_word) = arguments.get(index) else {
        return Err(deny(
            "shell: wrapper",
            format!("`{name} -c` is missing its script"),
        ));
    };
    match script_word.static_text() {
        Some(script) => Ok(Some(script)),
        None => Err(deny(
            "shell: wrapper",
            format!(
                "the script `{}` given to `{name} -c` is only known at run time, so it cannot be checked",
                script_word.text()
            ),
        )),
    }
}

/// Checks `NAME=value` prefixes and assignment-only commands against the allowlist.
fn check_assignments(command: &SimpleCommand) -> Option<Decision> {
    command
        .assignments
        .iter()
        .find_map(|assignment| environment::check_assignment(&assignment.name, &assignment.value))
}

fn decide_redirections(collected: &Collected, check_path: PathCheck<'_>) -> Decision {
    let mut decisions = Vec::new();
    let mut touches_files = false;
    for redirection in &collected.redirections {
        let accesses: &[Access] = match redirection.kind {
            RedirectionKind::Duplicate => continue,
            RedirectionKind::Read => &[Access::Read],
            RedirectionKind::Write => &[Access::Write],
            RedirectionKind::ReadWrite => &[Access::Read, Access::Write],
        };
        let operator = &redirection.operator;
        let Some(target) = redirection.target.static_text() else {
            decisions.push(deny(
                "shell: dynamic redirection",
                format!(
                    "the target of `{operator} {}` is only known at run time, so it cannot be checked",
                    redirection.target.text()
                ),
            ));
            continue;
        };
        let harmless = accesses.iter().all(|access| match access {
            Access::Read => HARMLESS_INPUTS.contains(&target.as_str()),
            Access::Write => HARMLESS_OUTPUTS.contains(&target.as_str()),
        });
        if harmless {
            continue;
        }
        touches_files = true;
        for access in accesses {
            let decision = match check_path(&target, *access) {
                Decision::Deny { rule, reason } => Decision::Deny {
                    rule,
                    reason: format!("redirection `{operator} {target}`: {reason}"),
                },
                other => other,
            };
            decisions.push(decision);
        }
    }
    let changes_directory = collected.commands.iter().any(|command| {
        command
            .words
            .first()
            .and_then(Word::static_text)
            .is_some_and(|name| {
                DIRECTORY_CHANGERS.contains(&name.rsplit('/').next().unwrap_or(&name))
            })
    });
    let writes_operands = collected.commands.iter().any(|command| {
        command
            .words
            .first()
            .and_then(Word::static_text)
            .is_some_and(|name| {
                arguments::writes_operands(name.rsplit('/').next().unwrap_or(&name))
            })
    });
    if (touches_files || writes_operands) && changes_directory {
        decisions.push(deny(
            "shell: redirection after cd",
            "a command line that changes directory cannot also redirect to files, because the \
             targets would no longer be workspace paths; run the redirection separately",
        ));
    }
    combine(decisions)
}

/// The strictest decision; a list of only allows becomes one allow naming every rule used.
fn combine(decisions: Vec<Decision>) -> Decision {
    let mut allow_rules: Vec<String> = Vec::new();
    let mut strictest: Option<Decision> = None;
    for decision in decisions {
        if let Decision::Allow { rule } = &decision {
            if !allow_rules.contains(rule) && rule != NOTHING_TO_CHECK {
                allow_rules.push(rule.clone());
            }
        }
        strictest = Some(match strictest {
            None => decision,
            Some(current) => current.strictest(decision),
        });
    }
    match strictest {
        None | Some(Decision::Allow { .. }) => Decision::Allow {
            rule: if allow_rules.is_empty() {
                NOTHING_TO_CHECK.to_owned()
            } else {
                allow_rules.join("; ")
            },
        },
        Some(other) => other,
    }
}

fn shorten(text: &str) -> String {
    const LIMIT: usize = 200;
    if text.chars().count() <= LIMIT {
        text.to_owned()
    } else {
        let head: String = text.chars().take(LIMIT).collect();
        format!("{head}…")
    }
}

#[cfg(test)]
mod differential;
#[cfg(test)]
mod tests;
