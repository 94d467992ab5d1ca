//! MCP tools through the real binary: real servers from the registries (`mcp-server-git` from
//! PyPI, `@modelcontextprotocol/server-filesystem` from npm, installed by
//! `scripts/mcp-servers.sh install`) driven by a scripted model. Each test checks the effect —
//! what the model was offered and sent, what changed on disk and in git, what the audit log
//! says. Where the servers are not installed each test says so and returns; `.ci/run` sets
//! `AGENTCTL_REQUIRE_MCP=1` after installing them, which makes that a failure.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

mod common;

use std::path::{Path, PathBuf};

use common::{
    assert_contains, interrupt, mock, offered_tools, runtime, stderr_of, stdout_of, text,
    tool_call, tool_results, wait_until, Project,
};
use serde_json::{json, Value};

fn servers_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("AGENTCTL_MCP_DIR")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache/agentctl/mcp"))
        })?;
    if dir.join("venv/bin/mcp-server-git").is_file()
        && dir
            .join("node_modules/@modelcontextprotocol/server-filesystem/dist/index.js")
            .is_file()
    {
        return Some(dir);
    }
    assert!(
        std::env::var_os("AGENTCTL_REQUIRE_MCP").is_none(),
        "AGENTCTL_REQUIRE_MCP is set but the MCP servers are not installed in {}",
        dir.display()
    );
    eprintln!(
        "SKIPPED: the real MCP servers are not installed in {}; run scripts/mcp-servers.sh install",
        dir.display()
    );
    None
}

/// The example project as a git repository, with a `repo-steward` persona whose MCP rules
/// come from `mcp_rules` (YAML flow mapping) and the servers from `servers` (TOML).
fn project_with(servers: &str, mcp_rules: &str) -> Project {
    let project = Project::example();
    project.edit_config(&[("max_denials = 5", "max_denials = 20")]);
    let mut config = project.read("agentctl.toml");
    config.push_str(servers);
    project.write("agentctl.toml", &config);
    let persona = format!(
        "---\nname: repo-steward\nrole: Repository steward\ndescription: Looks after the repository through MCP tools.\ntools: [fs_read, fs_list]\nwrite: [\"deploy/**\"]\nmcp: {mcp_rules}\n---\nYou look after the repository of {{{{PROJECT_NAME}}}}.\n"
    );
    common::write(&project.root.join("../personas/repo-steward.md"), &persona);
    git(&project.root, &["init", "-q", "-b", "main"]);
    git(&project.root, &["add", "-A"]);
    git(&project.root, &["commit", "-q", "-m", "initial"]);
    project
}

fn git(root: &Path, args: &[&str]) -> String {
    let output = std::process::Command::new("git")
        .current_dir(root)
        .args([
            "-c",
            "user.name=test",
            "-c",
            "user.email=test@example.invalid",
        ])
        .args(args)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "git {args:?}: {}",
        stderr_of(&output)
    );
    stdout_of(&output)
}

fn git_server(dir: &Path) -> String {
    format!(
        "\n[mcp.servers.git]\ncommand = \"{}\"\nargs = [\"--repository\", \"${{WORKSPACE}}\"]\nwrite = [\".git/**\"]\n",
        dir.join("venv/bin/mcp-server-git").display()
    )
}

#[test]
fn a_persona_uses_the_git_server_within_its_rules() {
    let Some(dir) = servers_dir() else { return };
    let runtime = runtime();
    let project = project_with(
        &git_server(&dir),
        r#"{allow: ["git:git_status", "git:git_log"], deny: ["git:git_commit"]}"#,
    );
    let workspace = project.root.canonicalize().unwrap();
    project.write("deploy/notes.md", "untracked change\n");
    let endpoint = mock(
        &runtime,
        vec![
            tool_call("mcp__git__git_status", json!({"repo_path": workspace})),
            tool_call(
                "mcp__git__git_commit",
                json!({"repo_path": workspace, "message": "sneaky"}),
            ),
            text("The working tree has one untracked file."),
        ],
    );
    let head_before = git(&project.root, &["rev-parse", "HEAD"]);
    project.expect(&endpoint, &["run", "repo-steward", "--task", "T-154"], 0);

    let requests = endpoint.chat_requests();
    let offered = offered_tools(&requests[0].body);
    assert!(
        offered.contains(&"mcp__git__git_status".to_owned()),
        "{offered:?}"
    );
    assert!(
        offered.contains(&"mcp__git__git_log".to_owned()),
        "{offered:?}"
    );
    assert!(
        !offered
            .iter()
            .any(|name| name.contains("commit") || name.contains("git_add")),
        "only allowed tools are offered: {offered:?}"
    );
    // The model saw the real git status, then a refusal for the tool it was never offered.
    let answers = tool_results(&requests[1].body);
    assert!(answers[0].contains("deploy/notes.md"), "{answers:?}");
    let answers = tool_results(&requests[2].body);
    assert!(answers[1].starts_with("denied:"), "{answers:?}");
    assert_eq!(
        git(&project.root, &["rev-parse", "HEAD"]),
        head_before,
        "no commit happened"
    );

    let servers = project.events("mcp.server");
    assert_eq!(servers.len(), 1, "{servers:?}");
    assert_eq!(servers[0]["details"]["status"], "ready");
    let allowed = project.events("tool.allowed");
    assert!(allowed
        .iter()
        .any(|entry| entry["details"]["tool"] == "mcp__git__git_status"));
    let denied = project.events("tool.denied");
    assert!(denied
        .iter()
        .any(|entry| entry["details"]["tool"] == "mcp__git__git_commit"));
    let results = project.events("tool.result");
    assert!(results
        .iter()
        .any(|entry| entry["details"]["server"] == "git" && entry["details"]["ok"] == true));
    project.assert_audit_intact();
}

#[test]
fn the_filesystem_servers_writes_are_confined_to_the_personas_scope() {
    let Some(dir) = servers_dir() else { return };
    let runtime = runtime();
    let servers = format!(
        "\n[mcp.servers.files]\ncommand = \"node\"\nargs = [\"{}\", \"${{WORKSPACE}}\"]\nwrite = [\"deploy/**\"]\n",
        dir.join("node_modules/@modelcontextprotocol/server-filesystem/dist/index.js")
            .display()
    );
    let project = project_with(
        &servers,
        r#"{allow: ["files:write_file", "files:read_text_file"], write_paths: {"files:write_file": [path]}, read_paths: {"files:read_text_file": [path]}}"#,
    );
    let workspace = project.root.canonicalize().unwrap();
    let before = project.snapshot();
    let audit_before = project.read("AUDIT_LOG.md");
    let endpoint = mock(
        &runtime,
        vec![
            tool_call(
                "mcp__files__write_file",
                json!({"path": workspace.join("deploy/plan.md"), "content": "# Plan\n"}),
            ),
            tool_call(
                "mcp__files__write_file",
                json!({"path": workspace.join("app/server.py"), "content": "print('pwned')\n"}),
            ),
            tool_call(
                "mcp__files__write_file",
                json!({"path": workspace.join("AUDIT_LOG.md"), "content": "empty\n"}),
            ),
            tool_call(
                "mcp__files__write_file",
                json!({"path": "/tmp/agentctl-mcp-escape.txt", "content": "out\n"}),
            ),
            text("Plan written."),
        ],
    );
    project.expect(&endpoint, &["run", "repo-steward", "--task", "T-154"], 0);
    assert_eq!(project.read("deploy/plan.md"), "# Plan\n");
    let changed = Project::changed(&before, &project.snapshot());
    assert_eq!(
        changed,
        vec!["deploy/plan.md".to_owned()],
        "only the allowed write happened"
    );
    assert!(!Path::new("/tmp/agentctl-mcp-escape.txt").exists());
    assert!(project.read("AUDIT_LOG.md").starts_with(&audit_before));
    let denied = project.events("tool.denied");
    assert_eq!(denied.len(), 3, "{denied:#?}");
    let reasons: Vec<&str> = denied
        .iter()
        .map(|entry| entry["details"]["reason"].as_str().unwrap())
        .collect();
    assert!(reasons[0].contains("write scope"), "{reasons:?}");
    assert!(reasons[1].contains("AUDIT_LOG.md"), "{reasons:?}");
    assert!(reasons[2].contains("absolute"), "{reasons:?}");
    project.assert_audit_intact();
}

#[test]
fn an_mcp_tool_behind_an_approve_rule_pauses_and_runs_once_after_approval() {
    let Some(dir) = servers_dir() else { return };
    let runtime = runtime();
    let project = project_with(
        &git_server(&dir),
        r#"{allow: ["git:git_status"], approve: ["git:git_create_branch"]}"#,
    );
    let workspace = project.root.canonicalize().unwrap();
    let endpoint = mock(
        &runtime,
        vec![
            tool_call(
                "mcp__git__git_create_branch",
                json!({"repo_path": workspace, "branch_name": "release-1.2.0"}),
            ),
            text("Branch created."),
        ],
    );
    project.expect(&endpoint, &["run", "repo-steward", "--task", "T-154"], 3);
    assert!(!git(&project.root, &["branch", "--list"]).contains("release-1.2.0"));

    project.expect_offline(
        &[
            "approve",
            "T-154",
            "--by",
            "alice",
            "--note",
            "cut the release branch",
        ],
        0,
    );
    project.expect(&endpoint, &["resume", "T-154"], 0);
    assert!(git(&project.root, &["branch", "--list"]).contains("release-1.2.0"));
    let results: Vec<Value> = project
        .events("tool.result")
        .into_iter()
        .filter(|entry| entry["details"]["mcp_tool"] == "git_create_branch")
        .collect();
    assert_eq!(results.len(), 1, "executed exactly once: {results:#?}");
    let allowed = project.events("tool.allowed");
    assert!(allowed
        .iter()
        .any(|entry| entry["details"]["approved_by"] == "alice"));

    // A second resume has nothing to do and runs nothing again.
    let again = project
        .agentctl_with(&endpoint)
        .args(["resume", "T-154"])
        .output()
        .unwrap();
    assert_ne!(again.status.code(), Some(3));
    let results = project
        .events("tool.result")
        .into_iter()
        .filter(|entry| entry["details"]["mcp_tool"] == "git_create_branch")
        .count();
    assert_eq!(results, 1);
    project.assert_audit_intact();
}

#[test]
fn a_server_that_dies_mid_call_is_reported_and_restarted() {
    let Some(dir) = servers_dir() else { return };
    let runtime = runtime();
    let script = Path::new(common::REPOSITORY).join("tests/fixtures/mcp/crashing_server.py");
    let servers = format!(
        "\n[mcp.servers.crashing]\ncommand = \"{}\"\nargs = [\"{}\"]\n",
        dir.join("venv/bin/python").display(),
        script.display()
    );
    let project = project_with(&servers, r#"{allow: ["crashing:*"]}"#);
    let endpoint = mock(
        &runtime,
        vec![
            tool_call("mcp__crashing__explode", json!({})),
            tool_call("mcp__crashing__count", json!({"text": "four"})),
            text("done"),
        ],
    );
    project.expect(&endpoint, &["run", "repo-steward", "--task", "T-154"], 0);
    let requests = endpoint.chat_requests();
    let answers = tool_results(&requests[1].body);
    assert!(
        answers[0].contains("stopped during the call")
            && answers[0].contains("effects are unknown"),
        "{answers:?}"
    );
    let answers = tool_results(&requests[2].body);
    assert!(
        answers[1].contains("4 characters"),
        "restarted: {answers:?}"
    );
    project.assert_audit_intact();
}

/// The test server of `crashing_server.py`, declared for `repo-steward` alone in its
/// `[personas.NAME]` table, allowed to write `marks/`.
fn crashing_server_for_the_steward(dir: &Path) -> String {
    let script = Path::new(common::REPOSITORY).join("tests/fixtures/mcp/crashing_server.py");
    format!(
        "\n[personas.repo-steward.mcp_servers.crashing]\ncommand = \"{}\"\nargs = [\"{}\"]\nwrite = [\"marks/**\"]\n",
        dir.join("venv/bin/python").display(),
        script.display()
    )
}

#[test]
fn a_server_declared_in_a_persona_table_serves_that_persona_only() {
    let Some(dir) = servers_dir() else { return };
    let runtime = runtime();
    let project = project_with(
        &crashing_server_for_the_steward(&dir),
        r#"{allow: ["crashing:count"]}"#,
    );
    // ops-devops is given rules that would reach the server; the server is not its own.
    let mut config = project.read("agentctl.toml");
    config.push_str("\n[personas.ops-devops]\nmcp = { allow = [\"crashing:*\"] }\n");
    project.write("agentctl.toml", &config);

    let endpoint = mock(
        &runtime,
        vec![
            tool_call("mcp__crashing__count", json!({"text": "steward"})),
            text("counted"),
        ],
    );
    project.expect(&endpoint, &["run", "repo-steward", "--task", "T-154"], 0);
    let requests = endpoint.chat_requests();
    assert!(offered_tools(&requests[0].body).contains(&"mcp__crashing__count".to_owned()));
    assert!(tool_results(&requests[1].body)[0].contains("7 characters"));

    let endpoint = mock(&runtime, vec![text("nothing to count")]);
    project.expect(&endpoint, &["run", "ops-devops", "--task", "T-154"], 0);
    let offered = offered_tools(&endpoint.chat_requests()[0].body);
    assert!(
        offered.iter().all(|name| !name.starts_with("mcp__")),
        "{offered:?}"
    );

    let servers: Value = project.expect_json(&["mcp", "list", "--json"]);
    let crashing = servers
        .as_array()
        .unwrap()
        .iter()
        .find(|server| server["name"] == "crashing")
        .unwrap();
    assert_eq!(crashing["personas"], json!(["repo-steward"]));
    project.assert_audit_intact();
}

#[test]
fn ctrl_c_during_an_mcp_call_stops_the_server_and_resume_answers_it_once() {
    let Some(dir) = servers_dir() else { return };
    let runtime = runtime();
    let project = project_with(
        &crashing_server_for_the_steward(&dir),
        r#"{allow: ["crashing:linger"]}"#,
    );
    std::fs::create_dir_all(project.root.join("marks")).unwrap();
    let marker = project
        .root
        .canonicalize()
        .unwrap()
        .join("marks/linger.txt");
    let endpoint = mock(
        &runtime,
        vec![
            tool_call(
                "mcp__crashing__linger",
                json!({"marker": marker, "seconds": 4}),
            ),
            text("Stopped where I was."),
        ],
    );
    let mut child = project
        .background(&endpoint)
        .args(["run", "repo-steward", "--task", "T-154"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    wait_until(
        "the call starts",
        &mut child,
        std::time::Duration::from_secs(60),
        || std::fs::read_to_string(&marker).is_ok_and(|text| text.contains("started")),
    );
    interrupt(&child);
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(130), "{}", stderr_of(&output));
    // The server was stopped with the run: the call never finished behind agentctl's back.
    std::thread::sleep(std::time::Duration::from_secs(5));
    assert_eq!(std::fs::read_to_string(&marker).unwrap(), "started\n");

    let resumed = project.expect(&endpoint, &["resume", "T-154"], 0);
    assert_eq!(stdout_of(&resumed).trim(), "Stopped where I was.");
    // Told, not repeated: the model hears that the call was interrupted, and it ran once.
    let requests = endpoint.chat_requests();
    let answers = tool_results(&requests.last().unwrap().body);
    assert!(answers[0].contains("interrupted"), "{answers:?}");
    assert_eq!(std::fs::read_to_string(&marker).unwrap(), "started\n");
    let results = project.events("tool.result");
    assert_eq!(results.len(), 1, "{results:#?}");
    assert_eq!(results[0]["details"]["error_kind"], "interrupted");
    project.assert_audit_intact();
}

#[test]
fn mcp_list_and_tools_show_what_each_persona_may_use() {
    let Some(dir) = servers_dir() else { return };
    let project = project_with(
        &git_server(&dir),
        r#"{allow: ["git:git_status"], approve: ["git:git_create_branch"], deny: ["git:git_commit"]}"#,
    );
    let servers: Value = project.expect_json(&["mcp", "list", "--json"]);
    assert_eq!(servers[0]["name"], "git");
    assert_eq!(servers[0]["transport"], "stdio");
    assert_eq!(servers[0]["personas"], json!(["repo-steward"]));

    let tools: Value = project.expect_json(&["mcp", "tools", "git", "--json"]);
    let decision = |name: &str| -> String {
        tools
            .as_array()
            .unwrap()
            .iter()
            .find(|tool| tool["name"] == name)
            .unwrap_or_else(|| panic!("{name} not listed: {tools}"))["personas"]["repo-steward"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert_eq!(decision("git_status"), "allow");
    assert!(decision("git_create_branch").starts_with("approve"));
    assert_eq!(decision("git_commit"), "deny");
    assert_eq!(decision("git_log"), "deny", "not allowed by any pattern");

    let unknown = project.expect_offline(&["mcp", "tools", "gti"], 2);
    assert_contains(&stderr_of(&unknown), "configured: git");

    // `show` carries the persona's MCP rules in its effective policy.
    let shown: Value = project.expect_json(&["show", "repo-steward", "--json"]);
    assert_eq!(
        shown["effective_policy"]["mcp"]["approve"],
        json!(["git:git_create_branch"])
    );
}

#[test]
fn lint_flags_mcp_rules_that_reach_no_server_and_bad_server_tables_without_starting_anything() {
    let project = project_with("", r#"{allow: ["gti:git_status"]}"#);
    let lint = project.agentctl().args(["lint"]).output().unwrap();
    let text = format!("{}{}", stdout_of(&lint), stderr_of(&lint));
    assert_contains(
        &text,
        "MCP pattern `gti:git_status` matches no server in agentctl.toml",
    );

    let mut config = project.read("agentctl.toml");
    config.push_str("\n[mcp.servers.broken]\nargs = [\"x\"]\n");
    project.write("agentctl.toml", &config);
    let lint = project.expect_offline(&["lint"], 2);
    let text = stderr_of(&lint);
    assert!(
        text.contains("agentctl.toml") && text.contains("needs exactly one of `command` or `url`"),
        "{text}"
    );
}

#[test]
fn the_sandbox_confines_a_server_even_when_the_persona_rules_forget_its_paths() {
    let Some(dir) = servers_dir() else { return };
    let runtime = runtime();
    let servers = format!(
        "\n[mcp.servers.files]\ncommand = \"node\"\nargs = [\"{}\", \"${{WORKSPACE}}\"]\nwrite = [\"deploy/**\"]\n",
        dir.join("node_modules/@modelcontextprotocol/server-filesystem/dist/index.js")
            .display()
    );
    // No write_paths: the policy lets every write_file call through. The server's own
    // sandbox (write = deploy/**, protected files read-only) is the layer that holds.
    let project = project_with(&servers, r#"{allow: ["files:write_file"]}"#);
    let workspace = project.root.canonicalize().unwrap();
    let before = project.snapshot();
    let endpoint = mock(
        &runtime,
        vec![
            tool_call(
                "mcp__files__write_file",
                json!({"path": workspace.join("app/server.py"), "content": "print('pwned')\n"}),
            ),
            tool_call(
                "mcp__files__write_file",
                json!({"path": workspace.join("AUDIT_LOG.md"), "content": "empty\n"}),
            ),
            tool_call(
                "mcp__files__write_file",
                json!({"path": workspace.join("deploy/ok.md"), "content": "fine\n"}),
            ),
            text("done"),
        ],
    );
    project.expect(&endpoint, &["run", "repo-steward", "--task", "T-154"], 0);
    let changed = Project::changed(&before, &project.snapshot());
    assert_eq!(
        changed,
        vec!["deploy/ok.md".to_owned()],
        "only the write inside the server's scope landed"
    );
    let allowed = project.events("tool.allowed").len();
    assert_eq!(
        allowed, 3,
        "the policy allowed all three; the sandbox stopped two"
    );
    let failed: Vec<Value> = project
        .events("tool.result")
        .into_iter()
        .filter(|entry| entry["details"]["ok"] == false)
        .collect();
    assert_eq!(failed.len(), 2, "{failed:#?}");
    project.assert_audit_intact();
}

#[test]
fn a_kiro_agent_brings_its_own_mcp_server_and_its_trusted_tools_run() {
    let Some(dir) = servers_dir() else { return };
    let runtime = runtime();
    let project = project_with("", r#"{allow: []}"#);
    let workspace = project.root.canonicalize().unwrap();
    let agent = json!({
        "name": "repo-watcher",
        "description": "Watches the repository through git's MCP server.",
        "prompt": "You report on the state of the repository.",
        "tools": ["fs_read", "@git"],
        "allowedTools": ["@git/git_status"],
        "mcpServers": {
            "git": {
                "command": dir.join("venv/bin/mcp-server-git"),
                "args": ["--repository", workspace]
            }
        }
    });
    common::write(
        &project.root.join("../personas/repo-watcher.json"),
        &serde_json::to_string_pretty(&agent).unwrap(),
    );
    let endpoint = mock(
        &runtime,
        vec![
            tool_call("mcp__git__git_status", json!({"repo_path": workspace})),
            tool_call(
                "mcp__git__git_create_branch",
                json!({"repo_path": workspace, "branch_name": "sneaky"}),
            ),
            text("Clean."),
        ],
    );
    let output = project
        .agentctl_with(&endpoint)
        .args(["run", "repo-watcher", "--task", "T-154"])
        .output()
        .unwrap();
    // The trusted `git_status` runs; the other git tools, which Kiro would ask about, are
    // denied (agentctl cannot approve "all but the trusted ones" without also stopping those).
    assert_eq!(output.status.code(), Some(0), "{}", stderr_of(&output));
    let requests = endpoint.chat_requests();
    let answers = tool_results(&requests[1].body);
    assert!(answers[0].contains("On branch main"), "{answers:?}");
    let answers = tool_results(&requests[2].body);
    assert!(answers[1].starts_with("denied:"), "{answers:?}");
    assert!(!git(&project.root, &["branch", "--list"]).contains("sneaky"));
    let servers = project.events("mcp.server");
    assert_eq!(servers[0]["details"]["status"], "ready", "{servers:?}");
}

/// The shipped example `examples/mcp-git`: the release manager reads the history through the
/// real git server, writes release notes, and the branch waits for a human.
#[test]
fn the_shipped_mcp_example_release_manager_works_through_the_git_server() {
    let Some(dir) = servers_dir() else { return };
    let runtime = runtime();
    let project = Project::example_at("mcp-git");
    project.edit_config(&[
        (
            "base_url = \"local\"",
            "base_url = \"http://127.0.0.1:9/v1\"",
        ),
        (
            "command = \"mcp-server-git\"",
            &format!(
                "command = \"{}\"",
                dir.join("venv/bin/mcp-server-git").display()
            ),
        ),
    ]);
    git(&project.root, &["init", "-q", "-b", "main"]);
    git(&project.root, &["add", "-A"]);
    git(&project.root, &["commit", "-q", "-m", "shopfront 1.1.0"]);
    git(&project.root, &["tag", "v1.1.0"]);
    project.write("CHANGES", "the welcome endpoint answers JSON\n");
    git(&project.root, &["add", "-A"]);
    git(
        &project.root,
        &["commit", "-q", "-m", "JSON welcome response on /"],
    );
    let workspace = project.root.canonicalize().unwrap();
    let endpoint = mock(
        &runtime,
        vec![
            tool_call(
                "mcp__git__git_log",
                json!({"repo_path": workspace, "max_count": 5}),
            ),
            tool_call(
                "fs_write",
                json!({"path": "docs/releases/v1.2.0.md", "content": "# shopfront 1.2.0\n\n- JSON welcome response on /\n"}),
            ),
            tool_call(
                "mcp__git__git_create_branch",
                json!({"repo_path": workspace, "branch_name": "release-1.2.0"}),
            ),
            text("Release notes written and the release branch cut."),
        ],
    );
    project.expect(&endpoint, &["run", "release-manager", "--task", "T-201"], 3);
    let requests = endpoint.chat_requests();
    let offered = offered_tools(&requests[0].body);
    assert!(
        offered.contains(&"mcp__git__git_log".to_owned()),
        "{offered:?}"
    );
    assert!(
        !offered.iter().any(|name| name.contains("git_commit")),
        "{offered:?}"
    );
    // The model saw the real history.
    let answers = tool_results(&requests[1].body);
    assert!(answers[0].contains("JSON welcome response"), "{answers:?}");
    assert!(project
        .read("docs/releases/v1.2.0.md")
        .contains("JSON welcome"));
    assert!(!git(&project.root, &["branch", "--list"]).contains("release-1.2.0"));

    project.expect_offline(
        &[
            "approve",
            "T-201",
            "--by",
            "alice",
            "--note",
            "notes reviewed",
        ],
        0,
    );
    project.expect(&endpoint, &["resume", "T-201"], 0);
    assert!(git(&project.root, &["branch", "--list"]).contains("release-1.2.0"));
    let mcp_results = project
        .events("tool.result")
        .into_iter()
        .filter(|entry| entry["details"]["server"] == "git")
        .count();
    assert_eq!(mcp_results, 2, "git_log once, git_create_branch once");
    project.assert_audit_intact();
}
