//! End-to-end tests of bad input: every broken persona, include, variable, configuration and
//! task is refused with exit code 2, a message naming the file (and line where there is one)
//! and a hint, and nothing is written — no AUDIT_LOG.md, no .agentctl/, no other file.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{expect_exit, stderr_of, stdout_of, Project};
use serde_json::Value;

const GOOD_PERSONA: &str = "---
name: builder
tools: [fs_read]
---
You build things.
";

/// A project with an empty agentctl.toml, one good persona and `files`.
fn project_with(files: &[(&str, &str)]) -> Project {
    let mut all = vec![("agentctl.toml", ""), ("personas/builder.md", GOOD_PERSONA)];
    all.extend_from_slice(files);
    Project::with_files(&all)
}

/// Runs `args`, asserts exit 2, an empty stdout, every `needle` on stderr, a `hint:` line and
/// no trace on disk. Returns stderr.
fn refuses(project: &Project, args: &[&str], needles: &[&str]) -> String {
    let before = project.snapshot();
    let output = project.expect_offline(args, 2);
    let stderr = stderr_of(&output);
    assert_eq!(stdout_of(&output), "", "stdout carries data only");
    for needle in needles {
        assert!(stderr.contains(needle), "missing `{needle}` in\n{stderr}");
    }
    assert!(stderr.contains("hint: "), "no hint in\n{stderr}");
    project.assert_nothing_written(&before);
    stderr
}

/// `agentctl lint --json` on a project expected to have errors: exit 2, the report.
fn lint_report(project: &Project) -> Value {
    let before = project.snapshot();
    let output = project.expect_offline(&["lint", "--json"], 2);
    project.assert_nothing_written(&before);
    serde_json::from_slice(&output.stdout).unwrap()
}

/// The one error diagnostic of a lint report, as `(path, line, message, hint)`.
fn only_error(report: &Value) -> (String, Option<u64>, String, String) {
    let errors: Vec<&Value> = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|diagnostic| diagnostic["severity"] == "error")
        .collect();
    assert_eq!(errors.len(), 1, "{report:#}");
    assert_eq!(report["errors"], 1);
    let error = errors[0];
    (
        error["path"].as_str().unwrap().to_owned(),
        error["line"].as_u64(),
        error["message"].as_str().unwrap().to_owned(),
        error["hint"].as_str().unwrap_or_default().to_owned(),
    )
}

// ---------------------------------------------------------------------------------------------
// persona files

#[test]
fn malformed_yaml_front_matter() {
    let project = project_with(&[(
        "personas/broken.md",
        "---\nname: broken\ntools: [fs_read\n---\nBody\n",
    )]);
    let stderr = refuses(
        &project,
        &["personas"],
        &[
            "error: personas/broken.md:",
            ": invalid front matter: ",
            "hint: front matter is YAML between the `---` lines",
            "error: the persona library has errors\n",
        ],
    );
    let line: usize = stderr
        .split("personas/broken.md:")
        .nth(1)
        .and_then(|rest| rest.split(':').next())
        .and_then(|line| line.parse().ok())
        .unwrap_or_else(|| panic!("no line in {stderr}"));
    assert!((3..=4).contains(&line), "line {line} in {stderr}");
}

#[test]
fn unknown_front_matter_field() {
    let project = project_with(&[(
        "personas/typo.md",
        "---\nname: typo\nhanfoffs: [builder]\n---\nBody\n",
    )]);
    refuses(
        &project,
        &["personas"],
        &[
            "error: personas/typo.md:3: unknown front matter key `hanfoffs`\n",
            "  hint: did you mean `handoffs`?",
        ],
    );
    let (path, line, message, hint) = only_error(&lint_report(&project));
    assert_eq!(path, "personas/typo.md");
    assert_eq!(line, Some(3));
    assert_eq!(message, "unknown front matter key `hanfoffs`");
    assert!(hint.starts_with("did you mean `handoffs`?"), "{hint}");
}

#[test]
fn unknown_tool() {
    let project = project_with(&[(
        "personas/shell.md",
        "---\nname: shell\ntools: [fs_read, run_shell]\n---\nBody\n",
    )]);
    // The broken file stops what needs it (here: itself) …
    refuses(
        &project,
        &["show", "shell"],
        &[
            "error: personas/shell.md:3: unknown tool `run_shell`\n",
            "  hint: valid tools are fs_read, fs_list, fs_write, execute_bash, use_aws\n",
            "error: the persona files `shell` needs have errors\n",
        ],
    );
    // … and nothing else: a persona that does not need it is shown, with one warning.
    let output = project.expect_offline(&["show", "builder"], 0);
    assert_eq!(
        stderr_of(&output),
        "warning: personas/shell.md has errors and was skipped: `builder` does not need it (`agentctl lint` lists the problems)\n"
    );
}

#[test]
fn duplicate_persona_names_in_two_files() {
    let project = project_with(&[(
        "personas/team/builder-copy.md",
        "---\nname: builder\n---\nAnother builder.\n",
    )]);
    let stderr = refuses(
        &project,
        &["personas"],
        &[
            "name `builder` is defined twice: personas/builder.md and personas/team/builder-copy.md",
            "  hint: names must be unique across personas/ and prompts/",
        ],
    );
    assert!(
        stderr.starts_with("error: personas/team/builder-copy.md:2: "),
        "{stderr}"
    );
}

#[test]
fn dangling_handoff() {
    let project = project_with(&[(
        "personas/lonely.md",
        "---\nname: lonely\nhandoffs: [builder, nobody]\n---\nBody\n",
    )]);
    refuses(
        &project,
        &["run", "lonely", "--task", "T-1", "--dry-run"],
        &[
            "error: personas/lonely.md:3: handoff target `nobody` matches no persona\n",
            "  hint: known personas: builder, lonely\n",
        ],
    );
}

#[test]
fn binary_file_in_personas() {
    let project = project_with(&[]);
    // The first NUL byte sits on line 3, after the PNG signature's two line breaks.
    std::fs::write(
        project.path("personas/logo.md"),
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
    )
    .unwrap();
    refuses(
        &project,
        &["personas"],
        &[
            "error: personas/logo.md:3: file is binary (it contains a NUL byte)\n",
            "  hint: persona files are UTF-8 text; remove this file from the library\n",
        ],
    );
}

#[test]
fn a_file_over_one_mebibyte() {
    let huge = format!("---\nname: huge\n---\n{}\n", "x".repeat(1024 * 1024 + 10));
    let project = project_with(&[("personas/huge.md", &huge)]);
    let stderr = refuses(
        &project,
        &["personas"],
        &[
            "error: personas/huge.md: file is too large (",
            " bytes; the limit is 1 MiB)\n",
            "  hint: a persona is a prompt: move reference material into contexts/",
        ],
    );
    assert!(
        stderr.contains(&format!("({} bytes;", huge.len())),
        "{stderr}"
    );
}

#[test]
fn an_empty_persona_file() {
    let project = project_with(&[("personas/empty.md", "")]);
    refuses(
        &project,
        &["personas"],
        &[
            "error: personas/empty.md: file is empty\n",
            "  hint: write a persona into it or delete it\n",
        ],
    );
}

// ---------------------------------------------------------------------------------------------
// includes and variables

#[test]
fn missing_include() {
    let project = project_with(&[(
        "personas/reader.md",
        "---\nname: reader\n---\nRead this first.\n\n{{include:contexts/missing.md}}\n",
    )]);
    refuses(
        &project,
        &["prompt", "reader"],
        &[
            "error: personas/reader.md:6: include contexts/missing.md not found",
            "  hint: create contexts/missing.md, or write ` (if exists)` after the reference to make it optional\n",
        ],
    );
    let (path, line, message, _) = only_error(&lint_report(&project));
    assert_eq!((path.as_str(), line), ("personas/reader.md", Some(6)));
    assert!(message.starts_with("include contexts/missing.md not found"));
}

#[test]
fn include_cycle_shows_the_chain() {
    let project = project_with(&[
        (
            "personas/looper.md",
            "---\nname: looper\n---\nStart.\n{{include:contexts/a.md}}\n",
        ),
        ("contexts/a.md", "A\n{{include:contexts/b.md}}\n"),
        ("contexts/b.md", "B\n{{include:contexts/a.md}}\n"),
    ]);
    refuses(
        &project,
        &["prompt", "looper"],
        &[
            "error: contexts/b.md:2: include cycle: personas/looper.md:5 → contexts/a.md:2 → contexts/b.md:2 → contexts/a.md\n",
            "  hint: remove one of the includes in the cycle\n",
        ],
    );
}

#[test]
fn include_that_climbs_out_of_the_library() {
    // The project sits one level down, so `../secret.md` names a real file outside it.
    let project = Project::with_files(&[
        ("secret.md", "TOP SECRET\n"),
        ("service/agentctl.toml", ""),
        (
            "service/personas/escaper.md",
            "---\nname: escaper\n---\nStart.\n{{include:../secret.md}}\n",
        ),
    ]);
    let stderr = refuses(
        &project,
        &["--root", "service", "prompt", "escaper"],
        &[
            "error: personas/escaper.md:5: include `../secret.md` refused: `../secret.md` climbs out of its root with `..`",
            "(chain: personas/escaper.md:5 → ../secret.md)\n",
            "  hint: an include stays inside its root",
        ],
    );
    assert!(!stderr.contains("TOP SECRET"), "{stderr}");
    assert!(!project.path("service/.agentctl").exists());
    assert!(!project.path("service/AUDIT_LOG.md").exists());
}

#[test]
fn unresolved_variable_at_prompt_time() {
    let project = project_with(&[(
        "personas/greeter.md",
        "---\nname: greeter\n---\nWelcome to {{PROJECT_NAME}}.\nTarget: {{CLUSTER_NAME}}.\n",
    )]);
    project.write("agentctl.toml", "[vars]\nPROJECT_NAME = \"shopfront\"\n");
    let stderr = refuses(
        &project,
        &["prompt", "greeter"],
        &[
            "error: personas/greeter.md:5: unresolved variable {{CLUSTER_NAME}}\n",
            "  hint: pass --var CLUSTER_NAME=VALUE or set it under [vars] in agentctl.toml\n",
        ],
    );
    assert!(!stderr.contains("PROJECT_NAME"), "{stderr}");
}

#[test]
fn var_without_an_equals_sign() {
    let project = Project::example();
    refuses(
        &project,
        &[
            "run",
            "ops-devops",
            "--task",
            "T-154",
            "--var",
            "PROJECT_NAME",
        ],
        &[
            "error: `--var PROJECT_NAME` is not KEY=VALUE\n",
            "hint: write it as `--var NAME=value`\n",
        ],
    );
    refuses(
        &project,
        &["prompt", "ops-devops", "--param", "env"],
        &["error: `--param env` is not KEY=VALUE\n"],
    );
}

// ---------------------------------------------------------------------------------------------
// agentctl.toml

#[test]
fn malformed_agentctl_toml_names_its_line() {
    let project = project_with(&[]);
    project.write(
        "agentctl.toml",
        "approvers = [\"alice\"]\n\n[vars]\nPROJECT_NAME = \n",
    );
    refuses(
        &project,
        &["personas"],
        &["agentctl.toml:4: ", "hint: fix the TOML at that line"],
    );
    let report = lint_report(&project);
    let (path, line, _, hint) = only_error(&report);
    assert!(path.ends_with("agentctl.toml"), "{path}");
    assert_eq!(line, Some(4));
    assert!(hint.starts_with("fix the TOML at that line"), "{hint}");
}

#[test]
fn unknown_key_in_agentctl_toml_names_its_line() {
    let project = project_with(&[]);
    project.write(
        "agentctl.toml",
        "[vars]\nPROJECT_NAME = \"x\"\n\n[endpoint]\nmodle = \"gpt-4.1-mini\"\n",
    );
    refuses(
        &project,
        &["show", "builder"],
        &[
            "agentctl.toml:5: unknown field `modle`, expected one of `base_url`, `api_key_env`, `model`",
            "hint: remove the key or fix its spelling",
        ],
    );
}

#[test]
fn an_overlay_for_no_persona_names_its_line() {
    let project = project_with(&[]);
    project.write(
        "agentctl.toml",
        "[vars]\nPROJECT_NAME = \"x\"\n\n[personas.biulder]\ntools = [\"fs_read\"]\n",
    );
    refuses(
        &project,
        &["personas"],
        &[
            "error: agentctl.toml:4: overlay `[personas.biulder]` names no persona or stage command\n",
            "  hint: did you mean `[personas.builder]`? known names: builder\n",
        ],
    );
}

// ---------------------------------------------------------------------------------------------
// tasks

#[test]
fn a_task_with_an_unknown_key() {
    let project = project_with(&[(
        "tasks/T-1.md",
        "---\nid: T-1\ntitle: Ship it\npriority: high\n---\nShip the thing.\n",
    )]);
    refuses(
        &project,
        &["prompt", "builder", "--task", "T-1"],
        &[
            "error: tasks/T-1.md:4: unknown front matter key `priority`\n",
            "  hint: put extra data under `metadata:`",
        ],
    );
    refuses(
        &project,
        &["run", "builder", "--task", "T-1"],
        &["error: tasks/T-1.md:4: unknown front matter key `priority`\n"],
    );
}

#[test]
fn run_with_a_task_that_does_not_exist_lists_the_available_ids() {
    let project = Project::example();
    refuses(
        &project,
        &["run", "ops-devops", "--task", "T-999"],
        &[
            "error: tasks/T-999.md: task `T-999` not found\n",
            "available tasks: T-154, T-155\n",
        ],
    );
}

// ---------------------------------------------------------------------------------------------
// lint reports everything in one pass

#[test]
fn lint_reports_several_problems_in_one_pass() {
    let project = project_with(&[
        (
            "personas/shell.md",
            "---\nname: shell\ntools: [fs_read, run_shell]\n---\nBody\n",
        ),
        (
            "personas/lonely.md",
            "---\nname: lonely\nhandoffs: [nobody]\n---\nBody\n",
        ),
        (
            "personas/reader.md",
            "---\nname: reader\n---\nRead this first.\n{{include:contexts/missing.md}}\n",
        ),
    ]);
    let before = project.snapshot();
    let output = expect_exit(project.agentctl().arg("lint"), 2);
    let stderr = stderr_of(&output);
    for expected in [
        "error: personas/shell.md:3: unknown tool `run_shell`\n",
        "error: personas/lonely.md:3: handoff target `nobody` matches no persona\n",
        "error: personas/reader.md:5: include contexts/missing.md not found",
    ] {
        assert!(
            stderr.contains(expected),
            "missing `{expected}` in\n{stderr}"
        );
    }
    assert_eq!(stderr.matches("\n  hint: ").count(), 3, "{stderr}");
    // A file that does not parse is not counted as a persona, so only the totals are fixed.
    let summary = stdout_of(&output);
    assert!(summary.starts_with("checked "), "{summary}");
    assert!(
        summary.ends_with(" 0 stage commands, 0 tasks: 3 errors, 0 warnings\n"),
        "{summary}"
    );
    project.assert_nothing_written(&before);

    let report = lint_report(&project);
    assert_eq!(report["errors"], 3);
    assert_eq!(report["warnings"], 0);
    let mut located: Vec<(String, u64)> = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|diagnostic| {
            assert_eq!(diagnostic["severity"], "error");
            assert!(diagnostic["hint"].is_string(), "{diagnostic}");
            (
                diagnostic["path"].as_str().unwrap().to_owned(),
                diagnostic["line"].as_u64().unwrap(),
            )
        })
        .collect();
    located.sort();
    assert_eq!(
        located,
        [
            ("personas/lonely.md".to_owned(), 3),
            ("personas/reader.md".to_owned(), 5),
            ("personas/shell.md".to_owned(), 3),
        ]
    );
}
