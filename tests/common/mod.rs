//! Shared helpers for the end-to-end tests of the real `agentctl` binary: a temporary copy of
//! the example project, a command builder with a clean environment, a mock endpoint on a real
//! socket, and a snapshot of the workspace to prove what did and did not change.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::{Duration, Instant};

use agentctl_test_support::{MockEndpoint, MockReply};

pub const REPOSITORY: &str = env!("CARGO_MANIFEST_DIR");

/// What the tests' environment may set that would change what agentctl does; every command the
/// tests start runs without them.
pub const CLEARED_VARIABLES: [&str; 10] = [
    "OPENAI_BASE_URL",
    "OPENAI_API_KEY",
    "AGENTCTL_MODEL",
    "AGENTCTL_LOG",
    "AGENTCTL_CACHE_DIR",
    "RUST_LOG",
    "NO_COLOR",
    "CLICOLOR",
    "CLICOLOR_FORCE",
    "AGENTCTL_STATUS_LINE",
];

/// A temporary project: the repository's example workspace with the shipped library beside it.
pub struct Project {
    _directory: tempfile::TempDir,
    pub root: PathBuf,
}

impl Project {
    /// `examples/` copied to `TMP/examples`, and the library to `TMP/{personas,…}` so the
    /// example's `library = ".."` resolves as in the repository.
    pub fn example() -> Project {
        let directory = tempfile::tempdir().unwrap();
        let repository = Path::new(REPOSITORY);
        for folder in ["personas", "contexts", "templates", "prompts"] {
            copy_tree(&repository.join(folder), &directory.path().join(folder));
        }
        copy_example_sources(repository, &directory.path().join("examples"));
        let root = directory.path().join("examples");
        // Tests never talk to a real endpoint.
        let config = root.join("agentctl.toml");
        let text = std::fs::read_to_string(&config).unwrap();
        assert!(
            text.contains("base_url = \"local\""),
            "examples/agentctl.toml no longer uses the local endpoint"
        );
        std::fs::write(
            &config,
            text.replace(
                "base_url = \"local\"",
                "base_url = \"http://127.0.0.1:9/v1\"",
            ),
        )
        .unwrap();
        Project {
            _directory: directory,
            root,
        }
    }

    /// [`Project::example`] with the project root moved to a sub-project of `examples/` (such as
    /// `mcp-git`), whose `library = "../.."` then resolves to the copied library.
    pub fn example_at(sub_project: &str) -> Project {
        let mut project = Project::example();
        project.root = project.root.join(sub_project);
        project
    }

    /// A fresh project made by `agentctl init` in an empty temporary directory (the starter
    /// project: the shipped team, a tiny service with its tests, a secrets scan, T-154/T-155).
    pub fn initialized() -> Project {
        let project = Project::with_files(&[]);
        project.expect_offline(&["init", "."], 0);
        project
    }

    /// An empty directory with only the given files.
    pub fn with_files(files: &[(&str, &str)]) -> Project {
        let directory = tempfile::tempdir().unwrap();
        let root = directory.path().to_path_buf();
        for (path, text) in files {
            write(&root.join(path), text);
        }
        Project {
            _directory: directory,
            root,
        }
    }

    pub fn path(&self, relative: &str) -> PathBuf {
        self.root.join(relative)
    }

    pub fn write(&self, relative: &str, text: &str) {
        write(&self.root.join(relative), text);
    }

    /// Replaces text in agentctl.toml; each `from` must be there, so a test can never run with a
    /// setting it only thinks it changed.
    pub fn edit_config(&self, edits: &[(&str, &str)]) {
        self.edit("agentctl.toml", edits);
    }

    /// Replaces the first occurrence of each `from` in the file `relative` with its `to`;
    /// asserts that each is there, so a test never edits a text that is not in the file.
    pub fn edit(&self, relative: &str, edits: &[(&str, &str)]) {
        let mut text = self.read(relative);
        for (from, to) in edits {
            assert!(text.contains(from), "{relative} has no `{from}` to replace");
            text = text.replacen(from, to, 1);
        }
        self.write(relative, &text);
    }

    pub fn read(&self, relative: &str) -> String {
        std::fs::read_to_string(self.root.join(relative)).unwrap_or_default()
    }

    /// `agentctl` in this project with a clean environment.
    pub fn agentctl(&self) -> assert_cmd::Command {
        let mut command = assert_cmd::Command::cargo_bin("agentctl").unwrap();
        command.current_dir(&self.root);
        for name in CLEARED_VARIABLES {
            command.env_remove(name);
        }
        command.env("AGENTCTL_CACHE_DIR", self.root.join(".test-cache"));
        command
    }

    /// `agentctl` pointed at a mock endpoint.
    pub fn agentctl_with(&self, endpoint: &MockEndpoint) -> assert_cmd::Command {
        let mut command = self.agentctl();
        command.env("OPENAI_BASE_URL", endpoint.base_url());
        command
    }

    /// `agentctl ARGS` against `endpoint`, run to the end; asserts that it exited with `code`
    /// (the message shows its stdout and stderr).
    #[track_caller]
    pub fn expect(&self, endpoint: &MockEndpoint, args: &[&str], code: i32) -> Output {
        expect_exit(self.agentctl_with(endpoint).args(args), code)
    }

    /// `agentctl ARGS` with no endpoint configured, run to the end; asserts that it exited with
    /// `code` (the message shows its stdout and stderr).
    #[track_caller]
    pub fn expect_offline(&self, args: &[&str], code: i32) -> Output {
        expect_exit(self.agentctl().args(args), code)
    }

    /// The JSON that `agentctl ARGS` (a `--json` command, no endpoint) prints; asserts that it
    /// exited with 0 and printed JSON of that shape.
    #[track_caller]
    pub fn expect_json<T: serde::de::DeserializeOwned>(&self, args: &[&str]) -> T {
        let output = self.expect_offline(args, 0);
        serde_json::from_slice(&output.stdout).unwrap_or_else(|error| {
            panic!(
                "agentctl {args:?} printed no such JSON ({error}): {}",
                stdout_of(&output)
            )
        })
    }

    /// `agentctl` against `endpoint` as a plain process, for a test that starts it in the
    /// background (to wait for, signal or kill it): the same clean environment as
    /// [`Project::agentctl`]; the caller sets the arguments and where its output goes.
    pub fn background(&self, endpoint: &MockEndpoint) -> std::process::Command {
        let mut command = std::process::Command::new(assert_cmd::cargo::cargo_bin("agentctl"));
        command.current_dir(&self.root);
        for name in CLEARED_VARIABLES {
            command.env_remove(name);
        }
        command
            .env("AGENTCTL_CACHE_DIR", self.root.join(".test-cache"))
            .env("OPENAI_BASE_URL", endpoint.base_url());
        command
    }

    /// Every file under the root except agentctl's own state, with its bytes.
    pub fn snapshot(&self) -> BTreeMap<String, Vec<u8>> {
        let mut files = BTreeMap::new();
        for entry in walkdir_files(&self.root) {
            let relative = entry
                .strip_prefix(&self.root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            if relative.starts_with(".agentctl/")
                || relative == "AUDIT_LOG.md"
                || relative.starts_with(".test-cache/")
            {
                continue;
            }
            let bytes = match std::fs::read_link(&entry) {
                Ok(target) => format!("symlink -> {}", target.display()).into_bytes(),
                Err(_) => std::fs::read(&entry).unwrap(),
            };
            files.insert(relative, bytes);
        }
        files
    }

    /// Paths whose content differs between two snapshots (added, removed or changed).
    pub fn changed(
        before: &BTreeMap<String, Vec<u8>>,
        after: &BTreeMap<String, Vec<u8>>,
    ) -> Vec<String> {
        let mut changed: Vec<String> = before
            .iter()
            .filter(|(path, bytes)| after.get(*path) != Some(bytes))
            .map(|(path, _)| path.clone())
            .collect();
        changed.extend(
            after
                .keys()
                .filter(|path| !before.contains_key(*path))
                .cloned(),
        );
        changed.sort();
        changed.dedup();
        changed
    }

    /// The audit log's entries as JSON (through `agentctl audit show --json`).
    pub fn audit(&self) -> Vec<serde_json::Value> {
        let output = self.expect_offline(&["audit", "show", "--json"], 0);
        serde_json::from_slice(&output.stdout).unwrap()
    }

    pub fn events(&self, kind: &str) -> Vec<serde_json::Value> {
        self.audit()
            .into_iter()
            .filter(|entry| entry["event"] == kind)
            .collect()
    }

    pub fn assert_audit_intact(&self) {
        self.expect_offline(&["audit", "verify"], 0);
    }
}

fn walkdir_files(root: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(directory) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&directory) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let kind = entry.file_type().unwrap();
            if kind.is_dir() {
                stack.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

pub fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// Copies the files of `examples/` that belong to the repository (those git tracks), never what
/// a run there left behind (`AUDIT_LOG.md`, `.agentctl/`). Outside a git checkout (a source
/// tarball) every file is copied, less the run output the example's own `.gitignore` names.
fn copy_example_sources(repository: &Path, to: &Path) {
    static TRACKED: std::sync::OnceLock<Option<Vec<String>>> = std::sync::OnceLock::new();
    let tracked = TRACKED.get_or_init(|| {
        let output = std::process::Command::new("git")
            .arg("-C")
            .arg(repository)
            .args(["ls-files", "-z", "--", "examples"])
            .output()
            .ok()
            .filter(|output| output.status.success() && !output.stdout.is_empty())?;
        let text = String::from_utf8(output.stdout).ok()?;
        Some(
            text.split('\0')
                .filter_map(|path| path.strip_prefix("examples/"))
                .map(str::to_owned)
                .collect(),
        )
    });
    let Some(tracked) = tracked else {
        copy_tree(&repository.join("examples"), to);
        let _ = std::fs::remove_file(to.join("AUDIT_LOG.md"));
        let _ = std::fs::remove_dir_all(to.join(".agentctl"));
        return;
    };
    for relative in tracked {
        let destination = to.join(relative);
        std::fs::create_dir_all(destination.parent().unwrap()).unwrap();
        std::fs::copy(repository.join("examples").join(relative), &destination).unwrap();
    }
}

pub fn copy_tree(from: &Path, to: &Path) {
    for file in walkdir_files(from) {
        let relative = file.strip_prefix(from).unwrap();
        let destination = to.join(relative);
        std::fs::create_dir_all(destination.parent().unwrap()).unwrap();
        std::fs::copy(&file, &destination).unwrap();
    }
}

/// A multi-threaded runtime whose workers serve mock endpoints while the test thread runs the
/// binary synchronously.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

pub fn mock(runtime: &tokio::runtime::Runtime, replies: Vec<MockReply>) -> MockEndpoint {
    runtime.block_on(MockEndpoint::start(replies))
}

pub fn tool_call(name: &str, arguments: serde_json::Value) -> MockReply {
    MockReply::ToolCalls(vec![(name.to_owned(), arguments.to_string())])
}

/// A model reply that asks to run `command` with the `execute_bash` tool.
pub fn bash_call(command: &str) -> MockReply {
    tool_call("execute_bash", serde_json::json!({ "command": command }))
}

pub fn text(answer: &str) -> MockReply {
    MockReply::Text(answer.to_owned())
}

/// Runs `command` to the end and asserts that it exited with `code`; the message shows its
/// stdout and stderr.
#[track_caller]
pub fn expect_exit(command: &mut assert_cmd::Command, code: i32) -> Output {
    let shown = format!("{command:?}");
    let output = command.output().unwrap();
    assert_eq!(
        output.status.code(),
        Some(code),
        "{shown}\nstdout:\n{}\nstderr:\n{}",
        stdout_of(&output),
        stderr_of(&output)
    );
    output
}

/// The contents of the tool messages (the answers to tool calls) in a recorded request's body,
/// in the order sent.
#[track_caller]
pub fn tool_results(body: &serde_json::Value) -> Vec<String> {
    body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|message| message["role"] == "tool")
        .map(|message| message["content"].as_str().unwrap().to_owned())
        .collect()
}

/// The names of the tools a recorded request's body offered the model, sorted; none when it
/// offered no tools.
pub fn offered_tools(body: &serde_json::Value) -> Vec<String> {
    let mut names: Vec<String> = body["tools"]
        .as_array()
        .map(|tools| {
            tools
                .iter()
                .map(|tool| tool["function"]["name"].as_str().unwrap().to_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// Waits, checking every 20 ms for at most `limit`, until `ready` holds; fails if `child` ends
/// first (it was to still be running then) or time runs out, naming `what` it waited for.
#[track_caller]
pub fn wait_until(
    what: &str,
    child: &mut std::process::Child,
    limit: Duration,
    ready: impl Fn() -> bool,
) {
    let started = Instant::now();
    while !ready() {
        assert!(started.elapsed() < limit, "never happened: {what}");
        assert!(
            child.try_wait().unwrap().is_none(),
            "the process ended before: {what}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Sends SIGINT (what Ctrl-C sends) to `child`.
pub fn interrupt(child: &std::process::Child) {
    let status = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success(), "kill -INT {} failed", child.id());
}

/// Asserts that `text` contains `needle`; the message shows both.
#[track_caller]
pub fn assert_contains(text: &str, needle: &str) {
    assert!(text.contains(needle), "`{needle}` is missing from:\n{text}");
}

/// The first line of `text` that contains `needle`; fails, showing `text`, when none does.
#[track_caller]
pub fn line_containing<'a>(text: &'a str, needle: &str) -> &'a str {
    text.lines()
        .find(|line| line.contains(needle))
        .unwrap_or_else(|| panic!("no line with `{needle}` in:\n{text}"))
}

pub fn stdout_of(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr_of(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// The text of the seed file in `tests/fixtures/seeds/` whose name starts with `prefix`
/// (`"002"`), exactly as stored.
pub fn seed(prefix: &str) -> String {
    let directory = Path::new(REPOSITORY).join("tests/fixtures/seeds");
    let path = walkdir_files(&directory)
        .into_iter()
        .find(|path| {
            path.file_name()
                .is_some_and(|name| name.to_string_lossy().starts_with(prefix))
        })
        .unwrap_or_else(|| panic!("no seed {prefix} in {}", directory.display()));
    std::fs::read_to_string(path).unwrap()
}

impl Project {
    /// Asserts that agentctl left no trace: no audit log, no `.agentctl/`, and every other
    /// file exactly as in `before`.
    pub fn assert_nothing_written(&self, before: &BTreeMap<String, Vec<u8>>) {
        assert!(
            !self.path("AUDIT_LOG.md").exists(),
            "AUDIT_LOG.md was written"
        );
        assert!(!self.path(".agentctl").exists(), ".agentctl/ was created");
        assert_eq!(
            Project::changed(before, &self.snapshot()),
            Vec::<String>::new(),
            "files changed"
        );
    }
}

/// A model reply that hands off to `to`.
pub fn handoff(to: &str, summary: &str) -> MockReply {
    tool_call(
        "handoff",
        serde_json::json!({"to": to, "summary": summary, "items": ["item one"]}),
    )
}

/// The example project where ops-devops may also run `sleep *`, and must ask a human before
/// running `echo approved*`.
pub fn project_with_approval_rule() -> Project {
    let project = Project::example();
    project.edit_config(&[
        ("approve = [\n", "approve = [\n    \"echo approved*\",\n"),
        (
            "    \"git status\",\n",
            "    \"git status\",\n    \"sleep *\",\n",
        ),
    ]);
    project
}

/// What `scripts/browser-test.sh run PAGE` reports, or `None` when it printed SKIPPED (then
/// AGENTCTL_REQUIRE_BROWSER=1 makes the skip a failure).
#[allow(clippy::print_stderr)] // the skip is said where the test output shows it
pub fn load_in_browser(page: &std::path::Path) -> Option<serde_json::Value> {
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/browser-test.sh");
    let output = std::process::Command::new("bash")
        .arg(script)
        .arg("run")
        .arg(page)
        .output()
        .unwrap();
    let stderr = stderr_of(&output);
    if output.status.code() == Some(3) {
        assert!(
            std::env::var("AGENTCTL_REQUIRE_BROWSER").as_deref() != Ok("1"),
            "AGENTCTL_REQUIRE_BROWSER=1 but the browser test was skipped: {stderr}"
        );
        eprintln!("SKIPPED: the review page browser test: {stderr}");
        return None;
    }
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    Some(serde_json::from_slice(&output.stdout).unwrap())
}
