//! Differential test: the policy's reading of a command line against what bash really runs.
//!
//! For every command the policy allows, the command is run by the real bash in a throwaway
//! sandbox: `PATH` is a directory of stub programs that only log their argv, the working
//! directory is a scratch workspace, the network is off (`unshare -rn`), a timeout applies, and
//! a `DEBUG` trap (with `set -T`, so it reaches subshells and substitutions) logs every simple
//! command bash executes, builtins included. The test fails when bash executed a command the
//! policy did not see, when a program received an argv the policy would not allow on its own,
//! or when anything outside the workspace changed. Denied commands are counted, not run.
//!
//! `cargo test` runs the hand-written corpus and a few hundred generated commands; the full
//! corpus and the proptest fuzz target are `#[ignore]`d and run by
//! `scripts/shell-differential.sh`.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use agentctl_protocol::{Decision, PatternRules, Permissions, ToolName};

use super::{collect, Collected};
use crate::shell::Word;
use crate::{PolicyEngine, PolicySpec, ToolRequest};

/// Programs that exist in the sandbox, all as stubs that log their argv and do nothing else.
const STUBS: [&str; 40] = [
    "git",
    "ls",
    "cat",
    "head",
    "tail",
    "wc",
    "grep",
    "id",
    "curl",
    "rm",
    "touch",
    "whoami",
    "sh",
    "bash",
    "env",
    "find",
    "sed",
    "xargs",
    "kubectl",
    "terraform",
    "python3",
    "tee",
    "cp",
    "mv",
    "ln",
    "mkdir",
    "printenv",
    "uname",
    "date",
    "sleep",
    "nc",
    "wget",
    "awk",
    "sort",
    "tr",
    "cut",
    "dd",
    "chmod",
    "make",
    "npm",
];

/// The persona of the test: permissive but realistic.
fn permissions() -> Permissions {
    let allow = [
        "echo",
        "echo *",
        "printf *",
        "ls",
        "ls *",
        "cat *",
        "head *",
        "tail *",
        "wc *",
        "grep *",
        "git status",
        "git diff",
        "git diff *",
        "git log *",
        "git show *",
        "true",
        "false",
        "pwd",
        "test *",
        "[ *",
        "export *",
        "cd *",
        "sed *",
        "find *",
        "sort *",
        "tr *",
        "cut *",
        "touch *",
        "mkdir *",
        "tee *",
        "cp *",
        "ln *",
        "env",
        "kubectl get *",
        "terraform plan *",
        "python3 -c *",
        "set *",
        "unset *",
        "command *",
        ":",
        ": *",
    ];
    Permissions {
        tools: vec![ToolName::ExecuteBash],
        read: vec!["**".into()],
        write: vec!["**".into()],
        deny: vec!["secrets/**".into()],
        commands: PatternRules {
            allow: allow.iter().map(|pattern| (*pattern).to_owned()).collect(),
            approve: vec!["git push *".into()],
            deny: vec!["rm -rf *".into()],
        },
        aws: PatternRules::default(),
        mcp: Default::default(),
    }
}

/// Commands written by hand to probe every class of issue 9 and the shell's corners.
const HAND_WRITTEN: &[&str] = &[
    "echo hello",
    "echo $\\\n(id)",
    "echo $\\\n(\\\nid)",
    "echo \"$\\\n(id)\"",
    "echo `\\\nid`",
    "e\\\ncho x",
    "echo x \\\n&& id",
    "echo x &\\\n& id",
    "echo x |\\\n id",
    "echo x >\\\n> out.txt",
    "echo x 2>\\\n&1",
    "echo 'a\\\nb'",
    "echo \"a\\\nb\"",
    "echo a\\\\\nid",
    "echo a \\\\\n id",
    "echo $\\\n{HOME}",
    "echo $\\\n((1+1))",
    "echo $(\\\n(1+1))",
    "# comment \\\nid",
    "echo x # comment \\\nid",
    "echo x \\\n# not a comment",
    "printf -v 'a[$(id)]' x",
    "printf -v a x",
    "printf '%s\\n' x",
    "printf %d 'a[$(id)]'",
    "test -v 'a[$(id)]'",
    "[ -v 'a[$(id)]' ]",
    "test 'a[$(id)]' -eq 1",
    "[ 'a[$(id)]' -eq 1 ]",
    "[[ -v a[$(id)] ]]",
    "[[ 'a[$(id)]' -eq 1 ]]",
    "declare 'a[$(id)]=1'",
    "declare -n r='a[$(id)]'; echo $r",
    "export 'a[$(id)]'",
    "local 'a[$(id)]'",
    "readonly 'a[$(id)]=1'",
    "typeset -i x='a[$(id)]'",
    "let 'a[$(id)]'",
    "(( a[$(id)] ))",
    "echo $(( a[$(id)] ))",
    "read -a 'a[$(id)]' < /dev/null",
    "mapfile 'a[$(id)]' < /dev/null",
    "unset 'a[$(id)]'",
    "echo ${a[$(id)]}",
    "echo ${x:-$(id)}",
    "echo ${!x}",
    "x='a[$(id)]'; echo $((x))",
    "bash -l -c 'echo x'",
    "bash --login -c 'echo x'",
    "bash -i -c 'echo x'",
    "bash --rcfile x -c 'echo x'",
    "bash --init-file x -c 'echo x'",
    "sh -l -c 'echo x'",
    "bash -lc 'echo x'",
    "bash -c 'echo x'",
    "sh -c 'echo $(id)'",
    "bash -c 'id'",
    "eval 'echo x'",
    "eval 'id'",
    "eval echo '$(id)'",
    "BASH_ENV=x bash -c 'echo x'",
    "ENV=x sh -c 'echo x'",
    "XDG_CONFIG_HOME=deploy git status",
    "KUBECONFIG=k kubectl get pods",
    "GIT_CONFIG_GLOBAL=g git status",
    "LD_PRELOAD=x git status",
    "PATH=. git status",
    "env XDG_CONFIG_HOME=deploy git status",
    "env PATH=. git status",
    "env CI=1 git status",
    "CI=1 git status",
    "export PATH=.",
    "export CI=1; git status",
    "git diff --output=AUDIT_LOG.md",
    "git log --output=.git/config",
    "git difftool -x id",
    "git -c core.fsmonitor=id status",
    "git -c alias.st='!id' st",
    "git -C /tmp status",
    "git --git-dir=/tmp status",
    "git --work-tree=/ status",
    "git --exec-path=. status",
    "git diff --ext-diff",
    "git log --oneline -5",
    "git diff HEAD~1..HEAD --stat",
    "head /proc/$PPID/environ",
    "head /proc/self/environ",
    "cat /etc/passwd",
    "cat ../x",
    "cat a/../../x",
    "cat ~/.ssh/id_rsa",
    "cat $HOME/.bashrc",
    "cat .*/x",
    "cat *",
    "cat a.txt",
    "ls sub",
    "ls -la",
    "ls /",
    "ln -s /tmp link; echo x > link/f",
    "ln -s .. up",
    "ln AUDIT_LOG.md x; echo y >> x",
    "touch new.txt",
    "cp a.txt b.txt",
    "tee out.txt < a.txt",
    "tee /tmp/x < a.txt",
    "echo x > out.txt",
    "echo x > /tmp/x",
    "echo x > ../x",
    "echo x > AUDIT_LOG.md",
    "echo x >> $F",
    "cd sub && echo x > y",
    "cd sub; ls",
    "find . -name '*.txt'",
    "find . -exec id \\;",
    "find . -delete",
    "sed -n 1p a.txt",
    "sed -i s/a/b/ a.txt",
    "sed 's/a/b/w /tmp/x' a.txt",
    "sed 1e a.txt",
    "kubectl get pods --kubeconfig=k",
    "terraform -chdir=/tmp plan",
    "terraform plan -out=plan.bin",
    "python3 -c 'print(1)'",
    "echo $(git status)",
    "echo `git status`",
    "echo $(id)",
    "echo \"$(id)\"",
    "echo '$(id)'",
    "echo \\$(id)",
    "echo \"\\$(id)\"",
    "echo $'\\x41'",
    "echo {a,b}",
    "echo x; id",
    "echo x && id",
    "echo x || id",
    "echo x | id",
    "echo x & id",
    "(echo x; id)",
    "{ echo x; id; }",
    "echo x\nid",
    "if true; then id; fi",
    "for i in 1; do id; done",
    "f() { id; }; f",
    "cat <<EOF\n$(id)\nEOF",
    "cat <<< $(id)",
    "cat <(id)",
    "echo >(id)",
    "time id",
    "! id",
    "coproc id",
    "trap id EXIT",
    "source x",
    ". x",
    "exec id",
    "command id",
    "command -v git",
    "builtin echo x",
    "enable -f x y",
    "hash -p /bin/id ls; ls",
    "alias ls=id; ls",
    "set -e; echo x",
    "set -euo pipefail; echo x",
    "set -k; echo x",
    "shopt -s extglob",
    "true",
    ": $(id)",
    ":",
    "echo $CI $? $#",
    "echo $PPID",
    "echo $OPENAI_API_KEY",
    "echo \"${CI}\"",
    "CI=1",
    "FOO=1",
    "FOO=$(id)",
    "CI=$(id) git status",
    "LANG=/proc/1 cat $LANG/environ",
    "echo a\\",
    "echo 'unterminated",
    "echo \"unterminated",
    "echo $(",
    "echo )",
    "ls sub/*",
    "cat secrets/key",
    "git push origin main",
    "rm -rf /",
    "rm -rf $(echo /)",
    "echo x;; id",
    "echo x |& cat",
    "echo x 2>&1 | cat",
    "cat < a.txt > out.txt",
    "cat a.txt >| out.txt",
    "echo x &> out.txt",
    "echo x >& out.txt",
    "cat <> a.txt",
    "echo x 3> out.txt",
];

/// A scratch sandbox with stub programs, a workspace and two logs.
struct Sandbox {
    _directory: tempfile::TempDir,
    root: PathBuf,
    workspace: PathBuf,
    argv_log: PathBuf,
    trace_log: PathBuf,
    isolate_network: bool,
}

/// What bash did with one command.
struct Trace {
    argvs: Vec<Vec<String>>,
    traced: Vec<String>,
}

/// A program found on the test's own `PATH` (the sandbox's `PATH` holds only stubs).
fn host_program(name: &str) -> PathBuf {
    std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .map(|directory| directory.join(name))
        .find(|candidate| candidate.is_file())
        .unwrap_or_else(|| panic!("the differential test needs `{name}` on PATH"))
}

fn bash_path() -> PathBuf {
    for candidate in ["/bin/bash", "/usr/bin/bash"] {
        if Path::new(candidate).exists() {
            return PathBuf::from(candidate);
        }
    }
    panic!(
        "the differential test needs bash at /bin/bash or /usr/bin/bash; install bash rather \
         than skipping this test"
    );
}

impl Sandbox {
    fn new() -> Sandbox {
        let directory = tempfile::tempdir().unwrap();
        let root = directory.path().canonicalize().unwrap();
        let bin = root.join("bin");
        fs::create_dir_all(&bin).unwrap();
        fs::create_dir_all(root.join("home")).unwrap();
        let argv_log = root.join("argv.log");
        let trace_log = root.join("trace.log");
        let bash = bash_path();
        for stub in STUBS {
            let path = bin.join(stub);
            // Only builtins, so the stub does not depend on PATH; one write per record, so stubs
            // running in parallel (`a & b`) do not interleave.
            fs::write(
                &path,
                format!(
                    "#!{}\nrecord=\"${{0##*/}}\"; for a in \"$@\"; do record+=$'\\037'\"$a\"; done\nprintf '%s\\036' \"$record\" >> '{}'\n",
                    bash.display(),
                    argv_log.display()
                ),
            )
            .unwrap();
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
        }
        let isolate_network = Command::new(host_program("unshare"))
            .args(["-rn", "true"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|status| status.success());
        let workspace = root.join("ws");
        let sandbox = Sandbox {
            _directory: directory,
            root,
            workspace,
            argv_log,
            trace_log,
            isolate_network,
        };
        sandbox.reset_workspace();
        sandbox
    }

    fn reset_workspace(&self) {
        let _ = fs::remove_dir_all(&self.workspace);
        fs::create_dir_all(self.workspace.join("sub")).unwrap();
        fs::create_dir_all(self.workspace.join("secrets")).unwrap();
        fs::write(self.workspace.join("a.txt"), "a\n").unwrap();
        fs::write(self.workspace.join("sub/b.txt"), "b\n").unwrap();
        fs::write(self.workspace.join("secrets/key"), "k\n").unwrap();
        fs::write(self.workspace.join("AUDIT_LOG.md"), "log\n").unwrap();
        let _ = fs::remove_file(&self.argv_log);
        let _ = fs::remove_file(&self.trace_log);
    }

    /// Everything outside the workspace, except the logs.
    fn outside_snapshot(&self) -> BTreeSet<PathBuf> {
        let mut found = BTreeSet::new();
        let mut pending = vec![self.root.clone()];
        while let Some(directory) = pending.pop() {
            let Ok(entries) = fs::read_dir(&directory) else {
                continue;
            };
            for entry in entries.flatten() {
                let path = entry.path();
                if path == self.workspace || path == self.argv_log || path == self.trace_log {
                    continue;
                }
                if entry.file_type().is_ok_and(|kind| kind.is_dir()) {
                    pending.push(path.clone());
                }
                found.insert(path);
            }
        }
        found
    }

    fn run(&self, command: &str) -> Trace {
        self.reset_workspace();
        let script = format!(
            "set -T\ntrap 'printf \"%s\\036\" \"$BASH_COMMAND\" >> \"{}\"' DEBUG\n{command}\n",
            self.trace_log.display()
        );
        let mut process = Command::new(host_program("timeout"));
        process.args(["-s", "KILL", "5"]);
        if self.isolate_network {
            process.arg(host_program("unshare")).arg("-rn");
        }
        process
            .arg(bash_path())
            .args(["--norc", "--noprofile", "-c", &script])
            .env_clear()
            .env("PATH", self.root.join("bin"))
            .env("HOME", self.root.join("home"))
            .env("LANG", "C")
            .current_dir(&self.workspace)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let _ = process.status().unwrap();
        let argvs = fs::read_to_string(&self.argv_log)
            .unwrap_or_default()
            .split('\u{1e}')
            .filter(|entry| !entry.is_empty())
            .map(|entry| entry.split('\u{1f}').map(str::to_owned).collect())
            .collect();
        let traced = fs::read_to_string(&self.trace_log)
            .unwrap_or_default()
            .split('\u{1e}')
            .filter(|entry| !entry.is_empty())
            .map(str::to_owned)
            .collect();
        Trace { argvs, traced }
    }
}

/// The figures of one differential run.
#[derive(Debug, Default)]
struct Figures {
    total: usize,
    allowed: usize,
    denied: usize,
    disagreements: Vec<String>,
}

struct Harness {
    sandbox: Sandbox,
    engine: PolicyEngine,
}

impl Harness {
    fn new() -> Harness {
        let sandbox = Sandbox::new();
        let engine = PolicyEngine::new(PolicySpec {
            permissions: permissions(),
            guarded: Vec::new(),
            workspace: sandbox.workspace.clone(),
            protected: vec!["AUDIT_LOG.md".into()],
            handoff_targets: Vec::new(),
            reports: Vec::new(),
        })
        .unwrap();
        Harness { sandbox, engine }
    }

    fn is_allowed(&self, command: &str) -> bool {
        matches!(
            self.engine
                .decide(&ToolRequest::ExecuteBash {
                    command: command.to_owned()
                })
                .decision,
            Decision::Allow { .. }
        )
    }

    /// `None` when the policy and bash agree, else what went wrong.
    fn check(&self, command: &str, figures: &mut Figures) {
        figures.total += 1;
        if !self.is_allowed(command) {
            figures.denied += 1;
            return;
        }
        figures.allowed += 1;
        let mut collected = Collected::default();
        if collect(command, 0, &mut collected).is_err() {
            figures
                .disagreements
                .push(format!("{command:?}: allowed but not collectable"));
            return;
        }
        let mut seen: BTreeSet<String> = collected
            .commands
            .iter()
            .filter_map(|command| command.words.first().and_then(Word::static_text))
            .collect();
        seen.extend(collected.wrappers.iter().cloned());
        figures.disagreements.extend(self.compare(command, &seen));
    }

    /// Runs `command` under bash and lists every way it went beyond `seen`, the command names
    /// the policy read, or beyond what the policy allows.
    fn compare(&self, command: &str, seen: &BTreeSet<String>) -> Vec<String> {
        let mut disagreements = Vec::new();
        let before = self.sandbox.outside_snapshot();
        let trace = self.sandbox.run(command);
        let after = self.sandbox.outside_snapshot();
        for argv in &trace.argvs {
            let text = argv
                .iter()
                .map(|argument| format!("'{}'", argument.replace('\'', "'\\''")))
                .collect::<Vec<_>>()
                .join(" ");
            if !self.is_allowed(&text) {
                disagreements.push(format!(
                    "{command:?}: bash ran the program `{text}`, which the policy does not allow"
                ));
            }
        }
        for traced in &trace.traced {
            let Some(name) = traced_name(traced) else {
                continue;
            };
            let base = name.rsplit('/').next().unwrap_or(&name).to_owned();
            if !seen.contains(&name) && !seen.contains(&base) {
                disagreements.push(format!(
                    "{command:?}: bash executed `{traced}`, which the policy never saw (saw {seen:?})"
                ));
            }
        }
        if before != after {
            let changed: Vec<_> = after.symmetric_difference(&before).collect();
            disagreements.push(format!(
                "{command:?}: changed files outside the workspace: {changed:?}"
            ));
        }
        disagreements
    }
}

/// The command name of a `$BASH_COMMAND`: the first word after any `NAME=value` words, with
/// quotes and backslashes removed. `None` for an assignment-only command.
fn traced_name(traced: &str) -> Option<String> {
    for word in traced.split_whitespace() {
        let is_assignment = word.split_once('=').is_some_and(|(name, _)| {
            let name = name.trim_end_matches('+');
            !name.is_empty()
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                && !name.starts_with(|c: char| c.is_ascii_digit())
        });
        if is_assignment {
            continue;
        }
        return Some(
            word.chars()
                .filter(|c| !matches!(c, '\'' | '"' | '\\'))
                .collect(),
        );
    }
    None
}

/// A small deterministic generator of command lines built from shell pieces known to be
/// tricky: quotes, expansions, substitutions, continuations, subscripts, redirections.
struct Generator {
    state: u64,
}

const NAMES: [&str; 30] = [
    "echo",
    "echo",
    "printf",
    "ls",
    "cat",
    "git diff",
    "git status",
    "git log",
    "head",
    "id",
    "curl",
    "rm",
    "true",
    "test",
    "[",
    "export",
    "env",
    "bash -c",
    "sh -c",
    "eval",
    "cd",
    "sed",
    "find",
    "declare",
    "let",
    "read",
    "unset",
    "tee",
    "touch",
    "ln -s",
];

const ATOMS: [&str; 72] = [
    "a",
    "a.txt",
    "sub",
    "x y",
    "-n",
    "--stat",
    "-v",
    "-la",
    "'a b'",
    "\"a b\"",
    "'$(id)'",
    "\"$(id)\"",
    "$(id)",
    "`id`",
    "$(echo x)",
    "`echo x`",
    "$\\\n(id)",
    "\\$(id)",
    "a[$(id)]",
    "'a[$(id)]'",
    "\"a[$(id)]\"",
    "$HOME",
    "${CI}",
    "$CI",
    "$PPID",
    "$?",
    "$#",
    "$1",
    "*",
    ".*",
    "sub/*",
    "/etc/passwd",
    "../x",
    "~",
    "~/x",
    "{a,b}",
    "$((1+1))",
    "$'\\x41'",
    "x\\\ny",
    "'x\\\ny'",
    "\"x\\\ny\"",
    "--output=f",
    "-o",
    "f",
    "-c",
    "'echo hi'",
    "'id'",
    "\"echo $(id)\"",
    "2>&1",
    "> out.txt",
    ">> out.txt",
    "< a.txt",
    "> /tmp/x",
    "> ../x",
    ">> AUDIT_LOG.md",
    "> $F",
    "-exec",
    "\\;",
    "-i",
    "s/a/b/",
    "'s/a/b/w x'",
    "/proc/self/environ",
    "${a[0]}",
    "${x:-y}",
    "\\\n",
    "#",
    "# c",
    "=",
    "CI=1",
    "PATH=.",
    "XDG_CONFIG_HOME=x",
    "-e",
];

/// Names and arguments a realistic persona allows, mixed with the tricky ones so that a good
/// share of the generated lines is allowed and really run under bash.
const BENIGN_NAMES: [&str; 16] = [
    "echo",
    "echo",
    "printf",
    "ls",
    "cat",
    "git diff",
    "git status",
    "git log",
    "head",
    "true",
    "test",
    "cd",
    "sed -n",
    "find .",
    "wc",
    "grep",
];

const BENIGN_ATOMS: [&str; 40] = [
    "a.txt",
    "sub",
    "-n",
    "-l",
    "--stat",
    "'a b'",
    "\"a b\"",
    "'$(id)'",
    "\"\\$(id)\"",
    "$CI",
    "\"$CI\"",
    "${CI}",
    "$?",
    "$#",
    "*",
    "sub/*",
    "*.txt",
    "x\\\ny",
    "'x\\\ny'",
    "\"x\\\ny\"",
    "2>&1",
    "> out.txt",
    ">> out.txt",
    "< a.txt",
    "2> /dev/null",
    "$(echo x)",
    "`echo x`",
    "\"$(git status)\"",
    "'a[$(id)]'",
    "'${a[$(id)]}'",
    "\\$",
    "\\*",
    "\"*\"",
    "'-v'",
    "#",
    "# c $(id)",
    "-name",
    "'*.txt'",
    "1p",
    "\\\n",
];

const SEPARATORS: [&str; 8] = ["; ", " && ", " || ", " | ", "\n", " & ", "; ", " && "];

impl Generator {
    fn new(seed: u64) -> Generator {
        Generator {
            state: seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1,
        }
    }

    fn next(&mut self) -> u64 {
        self.state ^= self.state << 13;
        self.state ^= self.state >> 7;
        self.state ^= self.state << 17;
        self.state
    }

    fn below(&mut self, bound: usize) -> usize {
        (self.next() % bound as u64) as usize
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }

    /// One simple command; a benign one uses the names and arguments a persona allows.
    fn simple_command(&mut self, benign: bool) -> String {
        let mut words = Vec::new();
        if self.below(6) == 0 {
            let prefixes: &[&str] = if benign {
                &["CI=1", "LANG=C", "TZ=UTC"]
            } else {
                &["CI=1", "FOO=1", "PATH=.", "LANG=C", "BASH_ENV=x"]
            };
            words.push(self.pick(prefixes).to_owned());
        }
        words.push(
            self.pick(if benign { &BENIGN_NAMES } else { &NAMES })
                .to_owned(),
        );
        for _ in 0..self.below(4) {
            let atom = if benign && self.below(8) != 0 {
                self.pick(&BENIGN_ATOMS)
            } else {
                self.pick(&ATOMS)
            };
            words.push(atom.to_owned());
        }
        words.join(" ")
    }

    fn command_line(&mut self) -> String {
        let benign = self.below(2) == 0;
        let mut line = self.simple_command(benign);
        for _ in 0..self.below(3) {
            line.push_str(self.pick(&SEPARATORS));
            line.push_str(&self.simple_command(benign));
        }
        match self.below(10) {
            0 => line = format!("( {line} )"),
            1 => line = format!("{{ {line}; }}"),
            2 => line = format!("bash -c '{}'", line.replace('\'', "'\\''")),
            3 => line = format!("echo $({line})"),
            _ => {}
        }
        // A line continuation anywhere, including inside words and after `$`.
        if self.below(4) == 0 && !line.is_empty() {
            let mut characters: Vec<char> = line.chars().collect();
            let at = self.below(characters.len() + 1);
            characters.splice(at..at, ['\\', '\n']);
            line = characters.into_iter().collect();
        }
        line
    }
}

fn corpus(generated: usize, seed: u64) -> Vec<String> {
    let mut commands: Vec<String> = HAND_WRITTEN.iter().map(|c| (*c).to_owned()).collect();
    let mut generator = Generator::new(seed);
    commands.extend((0..generated).map(|_| generator.command_line()));
    commands
}

fn run_corpus(commands: &[String]) -> Figures {
    let harness = Harness::new();
    let mut figures = Figures::default();
    for command in commands {
        harness.check(command, &mut figures);
    }
    figures
}

fn report(figures: &Figures, seconds: f64) {
    // Printed for scripts/shell-differential.sh, which collects the figures for the docs.
    #[allow(clippy::print_stderr)]
    {
        eprintln!(
            "shell-differential: {} commands, {} allowed (run under bash), {} denied, {} \
             disagreements, {seconds:.1} s",
            figures.total,
            figures.allowed,
            figures.denied,
            figures.disagreements.len()
        );
    }
    assert!(
        figures.disagreements.is_empty(),
        "the policy and bash disagree:\n{}",
        figures.disagreements.join("\n")
    );
}

/// The harness itself must notice a command bash runs that the policy did not read, a program
/// argv the policy would refuse, and a write outside the workspace.
#[test]
fn the_harness_notices_what_a_policy_missed() {
    let harness = Harness::new();
    let seen_echo: BTreeSet<String> = ["echo".to_owned()].into();
    let missed = harness.compare("echo $\\\n(id)", &seen_echo);
    assert!(missed.iter().any(|m| m.contains("never saw")), "{missed:?}");
    let missed = harness.compare("printf -v 'a[$(id)]' x", &["printf".to_owned()].into());
    assert!(missed.iter().any(|m| m.contains("`id`")), "{missed:?}");
    let seen_git: BTreeSet<String> = ["git".to_owned()].into();
    let missed = harness.compare("git diff --output=AUDIT_LOG.md", &seen_git);
    assert!(
        missed.iter().any(|m| m.contains("does not allow")),
        "{missed:?}"
    );
    let missed = harness.compare("echo x > ../escaped", &seen_echo);
    assert!(
        missed.iter().any(|m| m.contains("outside the workspace")),
        "{missed:?}"
    );
    assert!(harness.compare("echo x", &seen_echo).is_empty());
}

#[test]
fn the_policy_agrees_with_bash_on_the_fast_corpus() {
    let started = Instant::now();
    let figures = run_corpus(&corpus(300, 9));
    assert!(
        figures.allowed >= 40,
        "too few allowed commands: {figures:?}"
    );
    report(&figures, started.elapsed().as_secs_f64());
}

/// The full corpus: `SHELL_DIFFERENTIAL_COUNT` generated commands (default 2,000) on top of
/// the hand-written ones.
#[test]
#[ignore = "slow; run by scripts/shell-differential.sh"]
fn the_policy_agrees_with_bash_on_the_full_corpus() {
    let count = std::env::var("SHELL_DIFFERENTIAL_COUNT")
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(2_000);
    let seed = std::env::var("SHELL_DIFFERENTIAL_SEED")
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(2_026);
    let started = Instant::now();
    let figures = run_corpus(&corpus(count, seed));
    report(&figures, started.elapsed().as_secs_f64());
}

mod fuzz {
    use proptest::prelude::*;

    use super::*;

    fn piece() -> impl Strategy<Value = String> {
        prop_oneof![
            proptest::sample::select(NAMES.to_vec()).prop_map(str::to_owned),
            proptest::sample::select(ATOMS.to_vec()).prop_map(str::to_owned),
            proptest::sample::select(SEPARATORS.to_vec()).prop_map(str::to_owned),
            "[ -~]{1,6}",
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig {
            cases: std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(500),
            failure_persistence: None,
            .. ProptestConfig::default()
        })]

        /// Random command lines from shell pieces and printable noise: whatever the policy
        /// allows, bash must run only what the policy saw.
        #[test]
        #[ignore = "slow; run by scripts/shell-differential.sh"]
        fn fuzzed_command_lines_agree_with_bash(
            name in proptest::sample::select(NAMES.to_vec()),
            pieces in proptest::collection::vec(piece(), 0..6),
            continuation in proptest::option::of(0usize..64),
        ) {
            let mut line = format!("{name} {}", pieces.join(" "));
            if let Some(at) = continuation {
                let mut characters: Vec<char> = line.chars().collect();
                let at = at.min(characters.len());
                characters.splice(at..at, ['\\', '\n']);
                line = characters.into_iter().collect();
            }
            let figures = run_corpus(&[line]);
            prop_assert!(figures.disagreements.is_empty(), "{:?}", figures.disagreements);
        }
    }
}

/// A diagnostic: prints the decision for every hand-written command (or, with
/// `PRINT_GENERATED` set, for 80 generated ones).
#[test]
#[ignore = "diagnostic output only"]
fn print_decisions() {
    let harness = Harness::new();
    let generated = std::env::var("PRINT_GENERATED").is_ok();
    let commands = if generated {
        corpus(80, 9).split_off(HAND_WRITTEN.len())
    } else {
        corpus(0, 9)
    };
    for command in &commands {
        let verdict = harness.engine.decide(&ToolRequest::ExecuteBash {
            command: command.clone(),
        });
        #[allow(clippy::print_stderr)]
        {
            eprintln!("{command:?} => {:?}", verdict.decision);
        }
    }
}

/// How long one `execute_bash` decision takes over the corpus, and the bash grammar's share.
/// Run in release by scripts/shell-differential.sh.
#[test]
#[ignore = "timing; run by scripts/shell-differential.sh"]
fn decision_speed() {
    let commands = corpus(2_000, 2_026);
    if let Ok(path) = std::env::var("SHELL_DIFFERENTIAL_DUMP") {
        // One JSON string per line, to time another build of the policy on the same lines.
        let lines: Vec<String> = commands
            .iter()
            .map(|command| serde_json::to_string(command).unwrap())
            .collect();
        fs::write(path, lines.join("\n")).unwrap();
    }
    let directory = tempfile::tempdir().unwrap();
    let engine = PolicyEngine::new(PolicySpec {
        permissions: permissions(),
        guarded: Vec::new(),
        workspace: directory.path().to_path_buf(),
        protected: vec!["AUDIT_LOG.md".into()],
        handoff_targets: Vec::new(),
        reports: Vec::new(),
    })
    .unwrap();
    let rounds = 5;
    let started = Instant::now();
    for _ in 0..rounds {
        for command in &commands {
            let verdict = engine.decide(&ToolRequest::ExecuteBash {
                command: command.clone(),
            });
            std::hint::black_box(verdict);
        }
    }
    let decisions = (rounds * commands.len()) as f64;
    let per_decision = started.elapsed().as_secs_f64() / decisions * 1e6;
    let started = Instant::now();
    for _ in 0..rounds {
        for command in &commands {
            std::hint::black_box(crate::shell::parse_subset(command).is_ok());
        }
    }
    let per_subset_parse = started.elapsed().as_secs_f64() / decisions * 1e6;
    let started = Instant::now();
    for _ in 0..rounds {
        for command in &commands {
            std::hint::black_box(crate::shell::parse(command).is_ok());
        }
    }
    let per_full_parse = started.elapsed().as_secs_f64() / decisions * 1e6;
    #[allow(clippy::print_stderr)]
    {
        eprintln!(
            "decision-speed: {} commands x {rounds}: {per_decision:.1} µs per execute_bash \
             decision; reading: {per_subset_parse:.1} µs subset reader, {per_full_parse:.1} µs \
             with the bash grammar cross-check",
            commands.len()
        );
    }
}
