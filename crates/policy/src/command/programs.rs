//! What allowed programs may not be asked to do through their own options.
//!
//! Owns: a table, per program (and per subcommand), of options, subcommands and arguments
//! that write files, run other programs or load configuration — `git diff --output=…`,
//! `git -c …`, `git difftool -x`, `find -exec`, `sed -i`, `kubectl --kubeconfig`,
//! `terraform -chdir` … — and the builtins that evaluate arithmetic or array subscripts
//! (`printf -v 'a[$(cmd)]'`, `test -v`, `let`, `read`) or run code (`trap`, `source`,
//! `enable -f`). A match is a denial whatever the persona's patterns say: a pattern such as
//! `git diff *` means "show diffs", never "write AUDIT_LOG.md". For git the table is
//! deny-by-default: only known global options and subcommands pass. Does not know about
//! patterns, paths or how the words were parsed.

use agentctl_protocol::Decision;

use super::environment::check_assignment;
use crate::request::deny;
use crate::shell::{Word, WordPart};

/// How a dangerous piece of a command is recognised among its arguments.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Danger {
    /// A long option (`--output`), also as `--output=x` and as any unambiguous prefix of two
    /// or more letters (`--outp=x`), because GNU `getopt_long` accepts those.
    Long(&'static str),
    /// A one-letter option (`-o`), also bundled with others (`-ao`) or with its value glued on
    /// (`-ofile`).
    Short(char),
    /// A whole argument, exactly (`-exec` of find, `-chdir=…` of terraform by prefix).
    Exact(&'static str),
    /// An argument starting with this text (`-chdir=`).
    Prefix(&'static str),
    /// A `NAME=value` argument, which some programs (make) take as a variable that changes
    /// the commands they run.
    Assignment,
    /// No argument at all (`cd` alone goes to `$HOME`).
    NoArgument,
    /// The program (or the subcommand) itself.
    Always,
}

/// One row of the table.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ProgramRule {
    pub(crate) program: &'static str,
    /// The subcommand the row applies to (the first argument not starting with `-`), or
    /// `None` for every use of the program.
    pub(crate) subcommand: Option<&'static str>,
    pub(crate) danger: Danger,
    pub(crate) reason: &'static str,
}

const WRITES: &str = "writes a file the policy cannot check";
const RUNS: &str = "runs a program the policy cannot see";
const LOADS: &str = "loads configuration or code from a place the policy cannot check";
const SUBSCRIPT: &str =
    "evaluates a variable name, where bash runs any `$(…)` in an array subscript";

macro_rules! rule {
    ($program:literal, $danger:expr, $reason:expr) => {
        ProgramRule {
            program: $program,
            subcommand: None,
            danger: $danger,
            reason: $reason,
        }
    };
    ($program:literal $subcommand:literal, $danger:expr, $reason:expr) => {
        ProgramRule {
            program: $program,
            subcommand: Some($subcommand),
            danger: $danger,
            reason: $reason,
        }
    };
}

use Danger::{Always, Assignment, Exact, Long, NoArgument, Prefix, Short};

/// The table. Extend it with one row per option; `docs/policy.md` lists it for users.
pub(crate) const PROGRAM_RULES: &[ProgramRule] = &[
    // git: options of every subcommand.
    rule!("git", Long("--output"), WRITES),
    rule!("git", Long("--ext-diff"), RUNS),
    rule!("git", Long("--exec"), RUNS),
    rule!("git", Long("--upload-pack"), RUNS),
    rule!("git", Long("--receive-pack"), RUNS),
    rule!("git", Long("--config-env"), LOADS),
    rule!("git", Long("--open-files-in-pager"), RUNS),
    rule!("git", Long("--template"), LOADS),
    rule!("git", Long("--separate-git-dir"), WRITES),
    // git: options of one subcommand.
    rule!("git" "grep", Short('O'), RUNS),
    rule!("git" "rebase", Short('x'), RUNS),
    rule!("git" "clone", Short('u'), RUNS),
    rule!("git" "clone", Short('c'), LOADS),
    rule!("git" "clone", Long("--config"), LOADS),
    rule!("git" "ls-remote", Short('u'), RUNS),
    rule!("git" "format-patch", Short('o'), WRITES),
    rule!("git" "format-patch", Long("--output-directory"), WRITES),
    rule!("git" "archive", Short('o'), WRITES),
    rule!("git" "archive", Long("--remote"), RUNS),
    rule!("git" "bisect", Exact("run"), RUNS),
    rule!("git" "submodule", Exact("foreach"), RUNS),
    rule!("git" "worktree", Exact("add"), WRITES),
    // kubectl, helm, terraform: where credentials and state come from.
    rule!("kubectl", Long("--kubeconfig"), LOADS),
    rule!("kubectl", Long("--server"), LOADS),
    rule!("kubectl", Short('s'), LOADS),
    rule!("kubectl", Long("--token"), LOADS),
    rule!("kubectl", Long("--as"), LOADS),
    rule!("kubectl", Long("--as-group"), LOADS),
    rule!("kubectl", Long("--cache-dir"), WRITES),
    rule!("kubectl" "plugin", Always, RUNS),
    rule!("helm", Long("--kubeconfig"), LOADS),
    rule!("helm", Long("--post-renderer"), RUNS),
    rule!("terraform", Prefix("-chdir"), LOADS),
    rule!("terraform", Prefix("-plugin-dir"), LOADS),
    rule!("terraform", Prefix("-state-out"), WRITES),
    rule!("terraform", Prefix("-backup"), WRITES),
    // find: actions that run, delete or write.
    rule!("find", Exact("-exec"), RUNS),
    rule!("find", Exact("-execdir"), RUNS),
    rule!("find", Exact("-ok"), RUNS),
    rule!("find", Exact("-okdir"), RUNS),
    rule!("find", Exact("-delete"), WRITES),
    rule!("find", Exact("-fprint"), WRITES),
    rule!("find", Exact("-fprint0"), WRITES),
    rule!("find", Exact("-fprintf"), WRITES),
    rule!("find", Exact("-fls"), WRITES),
    // Text tools that can write or run.
    rule!("sed", Short('i'), WRITES),
    rule!("sed", Long("--in-place"), WRITES),
    rule!("sed", Short('f'), LOADS),
    rule!("sed", Long("--file"), LOADS),
    rule!("sort", Short('o'), WRITES),
    rule!("sort", Long("--output"), WRITES),
    rule!("sort", Long("--compress-program"), RUNS),
    rule!("awk", Always, RUNS),
    rule!("gawk", Always, RUNS),
    rule!("mawk", Always, RUNS),
    rule!("xargs", Always, RUNS),
    rule!("tar", Long("--to-command"), RUNS),
    rule!("tar", Long("--use-compress-program"), RUNS),
    rule!("tar", Short('I'), RUNS),
    rule!("tar", Long("--checkpoint-action"), RUNS),
    rule!("tar", Long("--info-script"), RUNS),
    rule!("tar", Long("--new-volume-script"), RUNS),
    rule!("tar", Long("--rsh-command"), RUNS),
    rule!("rsync", Short('e'), RUNS),
    rule!("rsync", Long("--rsh"), RUNS),
    rule!("rsync", Long("--rsync-path"), RUNS),
    rule!("curl", Short('K'), LOADS),
    rule!("curl", Long("--config"), LOADS),
    rule!("curl", Short('o'), WRITES),
    rule!("curl", Long("--output"), WRITES),
    rule!("curl", Short('O'), WRITES),
    rule!("curl", Long("--remote-name"), WRITES),
    rule!("curl", Short('T'), LOADS),
    rule!("curl", Long("--upload-file"), LOADS),
    rule!("wget", Short('O'), WRITES),
    rule!("wget", Long("--output-document"), WRITES),
    rule!("wget", Short('e'), RUNS),
    rule!("wget", Long("--execute"), RUNS),
    rule!("wget", Long("--config"), LOADS),
    rule!("cargo", Long("--config"), LOADS),
    rule!("cargo", Short('Z'), LOADS),
    // Test runners and build tools: reports written anywhere, configuration from elsewhere.
    rule!("pytest", Long("--junitxml"), WRITES),
    rule!("pytest", Long("--junit-xml"), WRITES),
    rule!("pytest", Long("--resultlog"), WRITES),
    rule!("pytest", Long("--report-log"), WRITES),
    rule!("pytest", Long("--html"), WRITES),
    rule!("pytest", Long("--basetemp"), WRITES),
    rule!("pytest", Long("--override-ini"), LOADS),
    rule!("pytest", Exact("-o"), LOADS),
    rule!("pytest", Exact("-c"), LOADS),
    rule!("pytest", Long("--config-file"), LOADS),
    rule!("pytest", Long("--rootdir"), LOADS),
    rule!("pytest", Long("--confcutdir"), LOADS),
    rule!("python3", Long("--junitxml"), WRITES),
    rule!("python3", Long("--junit-xml"), WRITES),
    rule!("python3", Long("--resultlog"), WRITES),
    rule!("python3", Long("--report-log"), WRITES),
    rule!("python3", Long("--basetemp"), WRITES),
    rule!("python3", Long("--override-ini"), LOADS),
    rule!("python3", Long("--rootdir"), LOADS),
    rule!("make", Short('f'), LOADS),
    rule!("make", Long("--file"), LOADS),
    rule!("make", Long("--makefile"), LOADS),
    rule!("make", Short('C'), LOADS),
    rule!("make", Long("--directory"), LOADS),
    rule!("make", Short('I'), LOADS),
    rule!("make", Long("--include-dir"), LOADS),
    rule!("make", Long("--eval"), RUNS),
    rule!("make", Short('E'), RUNS),
    rule!("make", Assignment, RUNS),
    rule!("npm", Long("--script-shell"), RUNS),
    rule!("npm", Long("--userconfig"), LOADS),
    rule!("npm", Long("--globalconfig"), LOADS),
    rule!("npm", Long("--prefix"), WRITES),
    rule!("npm", Long("--cache"), WRITES),
    rule!("cd", NoArgument, LOADS),
    rule!("cd", Exact("-"), LOADS),
    rule!("pushd", NoArgument, LOADS),
    // Builtins that evaluate subscripts or arithmetic.
    rule!("printf", Exact("-v"), SUBSCRIPT),
    rule!("printf", Prefix("-v"), SUBSCRIPT),
    rule!("test", Exact("-v"), SUBSCRIPT),
    rule!("test", Exact("-R"), SUBSCRIPT),
    rule!("[", Exact("-v"), SUBSCRIPT),
    rule!("[", Exact("-R"), SUBSCRIPT),
    rule!("let", Always, SUBSCRIPT),
    rule!("read", Always, SUBSCRIPT),
    rule!("mapfile", Always, SUBSCRIPT),
    rule!("readarray", Always, SUBSCRIPT),
    rule!("getopts", Always, SUBSCRIPT),
    rule!("wait", Short('p'), SUBSCRIPT),
    // Builtins that run or load code.
    rule!("trap", Always, RUNS),
    rule!("bind", Always, RUNS),
    rule!("complete", Always, RUNS),
    rule!("compgen", Always, RUNS),
    rule!("enable", Always, LOADS),
    rule!("hash", Always, RUNS),
    rule!("fc", Always, RUNS),
    rule!("alias", Always, RUNS),
    rule!("source", Always, LOADS),
    rule!(".", Always, LOADS),
    rule!("exec", Always, RUNS),
    rule!("builtin", Always, RUNS),
    rule!("command", Always, RUNS),
    rule!("shopt", Always, LOADS),
];

/// What `set` may be given: error and trace flags. `-k` would turn any `NAME=value` argument
/// into an environment assignment, `-T`/`-o functrace` and others change what runs.
const SET_FLAGS: &str = "euxvfCB";
const SET_OPTIONS: [&str; 6] = [
    "pipefail",
    "errexit",
    "nounset",
    "xtrace",
    "noclobber",
    "noglob",
];

/// Global options git may be given before its subcommand; every other one (`-c`, `-C`,
/// `--git-dir`, `--work-tree`, `--exec-path`, `--namespace` …) is refused.
const GIT_GLOBAL_OPTIONS: [&str; 9] = [
    "--no-pager",
    "-P",
    "--version",
    "--help",
    "--no-optional-locks",
    "--literal-pathspecs",
    "--glob-pathspecs",
    "--noglob-pathspecs",
    "--icase-pathspecs",
];

/// git subcommands the policy knows and lets the persona's patterns decide about. Others
/// (`difftool`, `mergetool`, `filter-branch`, `daemon`, `hook`, `credential` …) are refused.
const GIT_SUBCOMMANDS: [&str; 52] = [
    "add",
    "am",
    "apply",
    "archive",
    "bisect",
    "blame",
    "branch",
    "bundle",
    "cat-file",
    "check-attr",
    "check-ignore",
    "checkout",
    "cherry",
    "cherry-pick",
    "clean",
    "clone",
    "commit",
    "config",
    "count-objects",
    "describe",
    "diff",
    "fetch",
    "for-each-ref",
    "format-patch",
    "fsck",
    "grep",
    "init",
    "log",
    "ls-files",
    "ls-remote",
    "ls-tree",
    "merge",
    "merge-base",
    "mv",
    "name-rev",
    "notes",
    "pull",
    "push",
    "range-diff",
    "rebase",
    "reflog",
    "remote",
    "reset",
    "restore",
    "rev-list",
    "rev-parse",
    "rm",
    "shortlog",
    "show",
    "stash",
    "status",
    "switch",
];

/// Read-only forms of `git config`; every other use writes configuration.
const GIT_CONFIG_READS: [&str; 6] = ["--get", "--get-all", "--get-regexp", "--list", "-l", "get"];

/// Shells whose options are checked for login, rc-file and interactive modes.
pub(crate) const SHELLS: [&str; 7] = ["sh", "bash", "zsh", "dash", "ksh", "mksh", "ash"];

/// Builtins that set variables named by their arguments.
pub(crate) const DECLARATION_BUILTINS: [&str; 6] =
    ["export", "declare", "typeset", "local", "readonly", "unset"];

/// The denial for `words` (the command name first), if some argument is in the table.
pub(crate) fn check(program: &str, words: &[Word]) -> Option<Decision> {
    let arguments: Vec<String> = words.iter().skip(1).map(Word::text).collect();
    if program == "git" {
        if let Some(decision) = check_git(&arguments) {
            return Some(decision);
        }
    }
    if SHELLS.contains(&program) {
        if let Some(decision) = check_shell(program, &arguments) {
            return Some(decision);
        }
    }
    if DECLARATION_BUILTINS.contains(&program) {
        if let Some(decision) = check_declaration(program, &words[1..]) {
            return Some(decision);
        }
    }
    if program == "sed" {
        if let Some(decision) = check_sed_scripts(&arguments) {
            return Some(decision);
        }
    }
    if program == "set" {
        return check_set(&arguments);
    }
    if program == "command" && matches!(arguments.first().map(String::as_str), Some("-v" | "-V")) {
        return None;
    }
    let subcommand = subcommand_of(program, &arguments);
    for rule in PROGRAM_RULES.iter().filter(|rule| rule.program == program) {
        let scope: &[String] = match rule.subcommand {
            None => &arguments,
            Some(wanted) => match &subcommand {
                Some((index, name)) if name == wanted => &arguments[index + 1..],
                _ => continue,
            },
        };
        let found = match rule.danger {
            Always => Some(String::new()),
            NoArgument if scope.is_empty() => Some(String::new()),
            NoArgument => None,
            danger => scope
                .iter()
                .take_while(|argument| argument.as_str() != "--")
                .find(|argument| matches_danger(danger, argument))
                .cloned(),
        };
        if let Some(argument) = found {
            let mut shown = program.to_owned();
            if let Some(wanted) = rule.subcommand {
                shown.push(' ');
                shown.push_str(wanted);
            }
            if !argument.is_empty() {
                shown.push(' ');
                shown.push_str(&argument);
            }
            return Some(deny(
                format!("program: {}", rule_name(rule)),
                format!(
                    "`{shown}` {}, so it is not allowed whatever the persona's patterns say; \
                     do the job without it",
                    rule.reason
                ),
            ));
        }
    }
    None
}

fn rule_name(rule: &ProgramRule) -> String {
    let mut name = rule.program.to_owned();
    if let Some(subcommand) = rule.subcommand {
        name.push(' ');
        name.push_str(subcommand);
    }
    match rule.danger {
        Long(option) | Exact(option) | Prefix(option) => {
            name.push(' ');
            name.push_str(option);
        }
        Short(letter) => {
            name.push_str(" -");
            name.push(letter);
        }
        Assignment => name.push_str(" NAME=value"),
        NoArgument => name.push_str(" (no argument)"),
        Always => {}
    }
    name
}

fn matches_danger(danger: Danger, argument: &str) -> bool {
    match danger {
        Long(option) => {
            let Some(written) = argument.strip_prefix("--") else {
                return false;
            };
            let name = written.split('=').next().unwrap_or_default();
            let full = option.trim_start_matches('-');
            name == full || (name.len() >= 2 && full.starts_with(name))
        }
        Short(letter) => {
            argument.starts_with('-')
                && !argument.starts_with("--")
                && argument
                    .chars()
                    .skip(1)
                    .take_while(char::is_ascii_alphabetic)
                    .any(|c| c == letter)
        }
        Exact(text) => argument == text,
        Prefix(text) => argument.starts_with(text),
        Assignment => {
            !argument.starts_with('-')
                && argument.split_once('=').is_some_and(|(name, _)| {
                    !name.is_empty()
                        && name
                            .chars()
                            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '+' || c == ':')
                })
        }
        NoArgument | Always => true,
    }
}

/// The first argument that does not start with `-`, with its index: the subcommand.
fn subcommand_of(program: &str, arguments: &[String]) -> Option<(usize, String)> {
    if !matches!(program, "git" | "kubectl" | "helm" | "terraform" | "cargo") {
        return None;
    }
    arguments
        .iter()
        .enumerate()
        .find(|(_, argument)| !argument.starts_with('-'))
        .map(|(index, argument)| (index, argument.clone()))
}

fn check_git(arguments: &[String]) -> Option<Decision> {
    let Some((index, subcommand)) = arguments
        .iter()
        .enumerate()
        .find(|(_, argument)| !argument.starts_with('-'))
    else {
        return arguments
            .iter()
            .find(|option| !GIT_GLOBAL_OPTIONS.contains(&option.as_str()))
            .map(|option| git_global_denial(option));
    };
    if let Some(option) = arguments[..index]
        .iter()
        .find(|option| !GIT_GLOBAL_OPTIONS.contains(&option.as_str()))
    {
        return Some(git_global_denial(option));
    }
    if !GIT_SUBCOMMANDS.contains(&subcommand.as_str()) {
        return Some(deny(
            "program: git subcommand",
            format!(
                "`git {subcommand}` is not one of the git commands the policy understands \
                 (aliases, `difftool`, `mergetool`, `filter-branch`, `hook` and plumbing that \
                 runs programs are refused); allowed git commands: {}",
                GIT_SUBCOMMANDS.join(", ")
            ),
        ));
    }
    if subcommand == "config" {
        let first = arguments.get(index + 1).map(String::as_str).unwrap_or("");
        if !GIT_CONFIG_READS.contains(&first) {
            return Some(deny(
                "program: git config",
                "`git config` may only read (`--get`, `--get-all`, `--get-regexp`, `--list`); \
                 changing git configuration can make git run programs",
            ));
        }
    }
    None
}

fn check_set(arguments: &[String]) -> Option<Decision> {
    let mut expecting_option = false;
    for argument in arguments {
        let fine = if expecting_option {
            expecting_option = false;
            SET_OPTIONS.contains(&argument.as_str())
        } else if argument == "-o" || argument == "+o" {
            expecting_option = true;
            true
        } else {
            let letters = argument.get(1..).unwrap_or_default();
            let (flags, takes_option) = match letters.strip_suffix('o') {
                Some(flags) => (flags, true),
                None => (letters, false),
            };
            expecting_option = takes_option;
            argument.len() > 1
                && argument.starts_with(['-', '+'])
                && flags.chars().all(|letter| SET_FLAGS.contains(letter))
        };
        if !fine {
            return Some(deny(
                "program: set",
                format!(
                    "`set {argument}` is not allowed; `set` may only turn on or off -e, -u, -x, \
                     -v, -f, -C and -o {}",
                    SET_OPTIONS.join("|")
                ),
            ));
        }
    }
    if expecting_option {
        return Some(deny("program: set", "`set -o` needs an option name"));
    }
    None
}

fn git_global_denial(option: &str) -> Decision {
    deny(
        "program: git global option",
        format!(
            "`git {option}` changes which repository, configuration or programs git uses, so \
             it is not allowed; allowed before the subcommand: {}",
            GIT_GLOBAL_OPTIONS.join(", ")
        ),
    )
}

/// Shell options that read profile or rc files, or make the shell interactive.
fn check_shell(program: &str, arguments: &[String]) -> Option<Decision> {
    for argument in arguments {
        if argument == "--" || !argument.starts_with(['-', '+']) {
            break;
        }
        let refused = if let Some(long) = argument.strip_prefix("--") {
            !matches!(long, "noprofile" | "norc" | "posix" | "noediting")
        } else {
            // Short options: -l (login), -i (interactive), -s (script from stdin), -O / -o
            // (options such as `login_shell`), and any letter we do not list.
            argument
                .chars()
                .skip(1)
                .any(|letter| !"cexuvfnh".contains(letter))
        };
        if refused {
            return Some(deny(
                "shell: login or rc shell",
                format!(
                    "`{program} {argument}` starts a login, interactive or rc-reading shell, or \
                     uses an option the policy does not model; use `{program} -c 'COMMANDS'`"
                ),
            ));
        }
        if argument.starts_with('-') && argument.contains('c') && !argument.starts_with("--") {
            break;
        }
    }
    None
}

/// `export`, `declare` … may only set listed variables, with no options (`-n` makes a
/// reference whose use evaluates a subscript, `-i` evaluates arithmetic).
fn check_declaration(program: &str, arguments: &[Word]) -> Option<Decision> {
    for argument in arguments {
        let Some(text) = argument.static_text() else {
            return Some(deny(
                "shell: variable not allowed",
                format!(
                    "`{program} {}` names variables only known at run time",
                    argument.text()
                ),
            ));
        };
        if text.starts_with(['-', '+']) {
            return Some(deny(
                "shell: variable not allowed",
                format!("`{program} {text}`: options of `{program}` are not allowed"),
            ));
        }
        let (name, value) = match text.split_once('=') {
            Some((name, value)) => (name.trim_end_matches('+'), value),
            None => (text.as_str(), ""),
        };
        if program == "unset" && !name.contains(['[', ']']) {
            continue;
        }
        let value = Word {
            parts: vec![WordPart::Literal(value.to_owned())],
        };
        if let Some(decision) = check_assignment(name, &value) {
            return Some(decision);
        }
    }
    None
}

/// sed commands that write files (`w`, `W`, the `w` flag of `s`) or run programs (`e`, the
/// `e` flag of `s`) or read files (`r`, `R`). Scripts are read conservatively: anything the
/// scanner is unsure of is refused.
fn check_sed_scripts(arguments: &[String]) -> Option<Decision> {
    let mut scripts: Vec<&str> = Vec::new();
    let mut index = 0;
    let mut explicit = false;
    while index < arguments.len() {
        let argument = &arguments[index];
        if argument == "-e" || argument == "--expression" {
            if let Some(script) = arguments.get(index + 1) {
                scripts.push(script);
            }
            explicit = true;
            index += 2;
            continue;
        }
        if let Some(script) = argument.strip_prefix("--expression=") {
            scripts.push(script);
            explicit = true;
        } else if !argument.starts_with('-') && !explicit {
            scripts.push(argument);
            break;
        }
        index += 1;
    }
    scripts
        .into_iter()
        .find(|script| !sed_script_is_harmless(script))
        .map(|script| {
            deny(
                "program: sed script",
                format!(
                    "the sed script `{script}` may write files, read files or run programs (`w`, \
                     `W`, `r`, `R`, `e`, or an `s` command with the `w` or `e` flag), or is too \
                     complex to check; use simple `s/…/…/g`, `p` or `d` commands"
                ),
            )
        })
}

fn sed_script_is_harmless(script: &str) -> bool {
    let characters: Vec<char> = script.chars().collect();
    let mut index = 0;
    while index < characters.len() {
        let character = characters[index];
        match character {
            ' ' | '\t' | '\n' | ';' | '{' | '}' | '!' | ',' | '$' | '0'..='9' => index += 1,
            '/' | '\\' => {
                // An address regex: skip to the closing delimiter.
                let delimiter = if character == '\\' {
                    index += 1;
                    match characters.get(index) {
                        Some(delimiter) => *delimiter,
                        None => return false,
                    }
                } else {
                    '/'
                };
                let Some(end) = skip_delimited(&characters, index + 1, delimiter) else {
                    return false;
                };
                index = end + 1;
                while characters
                    .get(index)
                    .is_some_and(|c| *c == 'I' || *c == 'M')
                {
                    index += 1;
                }
            }
            's' | 'y' => {
                let Some(&delimiter) = characters.get(index + 1) else {
                    return false;
                };
                if delimiter == '\n' || delimiter == '\\' {
                    return false;
                }
                let Some(middle) = skip_delimited(&characters, index + 2, delimiter) else {
                    return false;
                };
                let Some(end) = skip_delimited(&characters, middle + 1, delimiter) else {
                    return false;
                };
                index = end + 1;
                while let Some(&flag) = characters.get(index) {
                    match flag {
                        'g' | 'p' | 'i' | 'I' | 'm' | 'M' | '0'..='9' => index += 1,
                        'w' | 'W' | 'e' => return false,
                        _ => break,
                    }
                }
            }
            'p' | 'd' | 'D' | 'n' | 'N' | 'P' | 'q' | 'Q' | 'h' | 'H' | 'g' | 'G' | 'x' | '='
            | 'l' | 'z' => index += 1,
            _ => return false,
        }
    }
    true
}

/// The index of the next unescaped `delimiter` at or after `start`.
fn skip_delimited(characters: &[char], start: usize, delimiter: char) -> Option<usize> {
    let mut index = start;
    while let Some(&character) = characters.get(index) {
        if character == '\\' {
            index += 2;
            continue;
        }
        if character == delimiter {
            return Some(index);
        }
        index += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<Word> {
        text.split(' ')
            .map(|word| Word {
                parts: vec![WordPart::Literal(word.to_owned())],
            })
            .collect()
    }

    fn denied(text: &str) -> bool {
        let words = words(text);
        let program = words[0].text();
        check(&program, &words).is_some()
    }

    #[test]
    fn git_options_that_write_run_or_load_are_refused() {
        for text in [
            "git diff --output=AUDIT_LOG.md",
            "git diff --outp=x",
            "git log --output .git/config",
            "git -c alias.x=!sh x",
            "git -c core.fsmonitor=x status",
            "git -C /tmp status",
            "git --git-dir=/tmp/x status",
            "git --work-tree=/ status",
            "git --exec-path=. status",
            "git difftool -x sh",
            "git difftool --extcmd=sh",
            "git mergetool",
            "git fetch --upload-pack=x origin",
            "git clone -u x repo",
            "git ls-remote --upload-pack=x origin",
            "git rebase -x sh main",
            "git rebase --exec=sh main",
            "git config core.fsmonitor x",
            "git config --global alias.x !sh",
            "git diff --ext-diff",
            "git grep -O x",
            "git format-patch -o /tmp HEAD~1",
            "git submodule foreach sh",
            "git frobnicate",
        ] {
            assert!(denied(text), "{text}");
        }
        for text in [
            "git status",
            "git diff --stat HEAD",
            "git log --oneline -5",
            "git --no-pager log",
            "git config --get user.name",
            "git add -u",
            "git push -u origin main",
            "git cherry-pick -x abc",
        ] {
            assert!(!denied(text), "{text}");
        }
    }

    #[test]
    fn other_programs_use_the_same_table() {
        assert!(!denied("set -euo pipefail"));
        assert!(denied("set -o functrace"));
        assert!(denied("set -euo"));
        for text in [
            "kubectl get pods --kubeconfig=x",
            "terraform -chdir=/tmp plan",
            "find . -exec sh ;",
            "find . -delete",
            "find . -fprint x",
            "sed -i s/a/b/ f",
            "sed -ni s/a/b/ f",
            "sed s/a/b/w/tmp/x f",
            "sed 1e f",
            "sed -e p -e w/tmp/x f",
            "printf -v a[$(id)] x",
            "test -v a[$(id)]",
            "[ -v a[$(id)] ]",
            "let x=1",
            "read -a x",
            "mapfile x",
            "trap id EXIT",
            "source x",
            "bash -l -c true",
            "bash -lc true",
            "bash --login -c true",
            "bash -i",
            "bash --rcfile x",
            "bash --init-file x -c true",
            "sh -l",
            "bash -O extglob -c true",
            "export PATH=x",
            "export -n CI",
            "declare -i CI=1",
            "declare a[1]=x",
            "unset a[$(id)]",
            "xargs sh",
            "git difftool -x sh",
            "pytest --junitxml=AUDIT_LOG.md",
            "python3 -m pytest --junitxml=AUDIT_LOG.md",
            "make test SHELL=./x",
            "make -f x test",
            "make test --eval=x",
            "npm test --script-shell=./x",
            "cargo test --config x",
            "cd",
            "cd -",
        ] {
            assert!(denied(text), "{text}");
        }
        for text in [
            "kubectl get pods",
            "find . -name x -print",
            "sed -n 1,5p f",
            "sed s/a/b/g f",
            "sed -e s/a/b/ -e p f",
            "printf %s x",
            "test -f x",
            "bash -c true",
            "bash --noprofile --norc -c true",
            "bash -ec true",
            "export CI=1",
            "unset CI",
            "pytest -q tests",
            "make test",
            "cd sub",
            "cargo test -- --nocapture",
        ] {
            assert!(!denied(text), "{text}");
        }
    }
}
