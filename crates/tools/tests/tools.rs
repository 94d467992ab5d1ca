#![allow(clippy::unwrap_used, clippy::expect_used)]
//! End-to-end tests of the tool handlers against real files, bash and a fake `aws` program.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::Once;
use std::time::{Duration, Instant};

use agentctl_protocol::{Gate, GateStatus, ToolName};
use agentctl_tools::{
    execute_bash, fs_list, fs_read, fs_write, parse_arguments, use_aws, AwsCall, CallScope,
    ParsedArguments, SandboxMode, ToolContext, ToolError,
};
use serde_json::json;
use tempfile::TempDir;

/// A context for testing the handlers themselves. The OS sandbox needs the `agentctl` binary
/// as its exec helper, which this crate's tests cannot build, so it is off here; the sandbox
/// is tested through the real binary in the repository's `tests/sandbox.rs`.
fn workspace() -> (TempDir, ToolContext) {
    let directory = tempfile::tempdir().unwrap();
    let mut ctx = ToolContext::new(directory.path());
    ctx.sandbox = SandboxMode::Off;
    ctx.parent_environment = std::env::vars().collect();
    (directory, ctx)
}

fn names_in(directory: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(directory)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

// ---------------------------------------------------------------- fs_read / fs_list

#[tokio::test]
async fn fs_read_returns_text_and_cuts_at_the_cap() {
    let (directory, mut ctx) = workspace();
    std::fs::write(directory.path().join("notes.txt"), "line one\nline two\n").unwrap();
    let output = fs_read(&ctx, Path::new("notes.txt"), "notes.txt")
        .await
        .unwrap();
    assert_eq!(output.text, "line one\nline two\n");
    assert!(!output.truncated);

    ctx.output_cap_bytes = 8;
    let absolute = directory.path().join("notes.txt");
    let cut = fs_read(&ctx, &absolute, "notes.txt").await.unwrap();
    assert!(cut.truncated);
    assert_eq!(
        cut.text,
        "line one\n[truncated: showing the first 8 of 18 bytes of `notes.txt`]"
    );
}

#[tokio::test]
async fn fs_read_refuses_binary_missing_and_directories() {
    let (directory, ctx) = workspace();
    std::fs::write(directory.path().join("image.bin"), b"PNG\x00\x01\x02").unwrap();
    std::fs::create_dir(directory.path().join("src")).unwrap();

    let binary = fs_read(&ctx, Path::new("image.bin"), "image.bin")
        .await
        .unwrap_err();
    assert_eq!(binary.kind(), "binary");
    assert_eq!(
        binary.to_string(),
        "`image.bin` looks like a binary file (NUL byte at offset 3); fs_read only returns text"
    );
    let missing = fs_read(&ctx, Path::new("absent.md"), "absent.md")
        .await
        .unwrap_err();
    assert_eq!(missing.kind(), "not_found");
    assert!(missing.to_string().contains("`absent.md`"));
    let directory_error = fs_read(&ctx, Path::new("src"), "src").await.unwrap_err();
    assert_eq!(directory_error.kind(), "not_a_file");

    std::fs::write(directory.path().join("latin1.txt"), b"caf\xe9\n").unwrap();
    let latin1 = fs_read(&ctx, Path::new("latin1.txt"), "latin1.txt")
        .await
        .unwrap_err();
    assert_eq!(latin1.kind(), "not_utf8");
}

#[tokio::test]
async fn fs_list_sorts_and_marks_directories() {
    let (directory, ctx) = workspace();
    std::fs::create_dir(directory.path().join("src")).unwrap();
    std::fs::create_dir(directory.path().join(".github")).unwrap();
    std::fs::write(directory.path().join("README.md"), "x").unwrap();
    std::fs::write(directory.path().join("Cargo.toml"), "x").unwrap();

    let output = fs_list(&ctx, Path::new("."), ".").await.unwrap();
    assert_eq!(output.text, ".github/\nCargo.toml\nREADME.md\nsrc/\n");
    assert!(!output.truncated);

    let empty = fs_list(&ctx, Path::new("src"), "src").await.unwrap();
    assert_eq!(empty.text, "(`src` is empty)");
    let file = fs_list(&ctx, Path::new("README.md"), "README.md")
        .await
        .unwrap_err();
    assert_eq!(file.kind(), "not_a_directory");
}

#[tokio::test]
async fn fs_list_bounds_the_entry_count() {
    let (directory, ctx) = workspace();
    for index in 0..1005 {
        std::fs::write(directory.path().join(format!("f{index:04}")), "").unwrap();
    }
    let output = fs_list(&ctx, Path::new("."), ".").await.unwrap();
    assert!(output.truncated);
    let lines: Vec<&str> = output.text.lines().collect();
    assert_eq!(lines.len(), 1001);
    assert_eq!(lines[0], "f0000");
    assert_eq!(lines[999], "f0999");
    assert_eq!(
        lines[1000],
        "[5 more entries not shown; 1005 entries in total]"
    );
}

// ---------------------------------------------------------------- fs_write

#[tokio::test]
async fn fs_write_creates_file_and_parents_with_a_diff() {
    let (directory, ctx) = workspace();
    let (output, change) = fs_write(
        &ctx,
        Path::new("deploy/app/config.yaml"),
        "deploy/app/config.yaml",
        "replicas: 2\nimage: app:1.4\n",
    )
    .await
    .unwrap();
    assert_eq!(
        output.text,
        "created `deploy/app/config.yaml` (2 lines, 27 bytes)"
    );
    assert!(change.created);
    assert_eq!(change.path, "deploy/app/config.yaml");
    assert_eq!(
        change.diff,
        "--- a/deploy/app/config.yaml\n+++ b/deploy/app/config.yaml\n@@ -0,0 +1,2 @@\n+replicas: 2\n+image: app:1.4\n"
    );
    assert_eq!((change.added_lines, change.removed_lines), (2, 0));
    assert_eq!((change.bytes_before, change.bytes_after), (0, 27));
    let written = directory.path().join("deploy/app/config.yaml");
    assert_eq!(
        std::fs::read_to_string(&written).unwrap(),
        "replicas: 2\nimage: app:1.4\n"
    );
    let mode = std::fs::metadata(&written).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o644);
}

#[tokio::test]
async fn fs_write_replaces_atomically_keeps_mode_and_leaves_no_temporary_files() {
    let (directory, ctx) = workspace();
    let script = directory.path().join("run.sh");
    let before: String = (1..=20).map(|line| format!("line {line}\n")).collect();
    std::fs::write(&script, &before).unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o750)).unwrap();

    let after = before.replace("line 3\n", "line three\n") + "line 21\n";
    let (output, change) = fs_write(&ctx, &script, "run.sh", &after).await.unwrap();
    assert_eq!(
        output.text,
        "updated `run.sh`: +2 -1 lines (151 -> 163 bytes)"
    );
    assert!(!change.created);
    assert_eq!(
        change.diff,
        "--- a/run.sh\n+++ b/run.sh\n\
         @@ -1,6 +1,6 @@\n line 1\n line 2\n-line 3\n+line three\n line 4\n line 5\n line 6\n\
         @@ -18,3 +18,4 @@\n line 18\n line 19\n line 20\n+line 21\n"
    );
    assert_eq!(std::fs::read_to_string(&script).unwrap(), after);
    let mode = std::fs::metadata(&script).unwrap().permissions().mode() & 0o7777;
    assert_eq!(mode, 0o750);
    assert_eq!(names_in(directory.path()), ["run.sh"]);

    let (unchanged, same) = fs_write(&ctx, &script, "run.sh", &after).await.unwrap();
    assert_eq!(
        unchanged.text,
        "`run.sh` already holds this content; nothing was written"
    );
    assert_eq!(same.diff, "");
    assert!(!same.changed_anything());
    assert!(change.changed_anything());
    assert_eq!(names_in(directory.path()), ["run.sh"]);
}

#[tokio::test]
async fn fs_write_refuses_symlinks_and_escapes() {
    let (directory, ctx) = workspace();
    let outside = tempfile::tempdir().unwrap();
    let target = outside.path().join("victim.txt");
    std::fs::write(&target, "original\n").unwrap();
    std::os::unix::fs::symlink(&target, directory.path().join("link.txt")).unwrap();
    std::os::unix::fs::symlink(outside.path(), directory.path().join("elsewhere")).unwrap();

    let through_link = fs_write(&ctx, Path::new("link.txt"), "link.txt", "changed\n")
        .await
        .unwrap_err();
    assert_eq!(through_link.kind(), "symlink");
    assert!(through_link
        .to_string()
        .contains("`link.txt` is a symbolic link"));

    let escape = fs_write(
        &ctx,
        Path::new("elsewhere/new/file.txt"),
        "elsewhere/new/file.txt",
        "x",
    )
    .await
    .unwrap_err();
    assert_eq!(escape.kind(), "outside_workspace");

    assert_eq!(std::fs::read_to_string(&target).unwrap(), "original\n");
    assert_eq!(names_in(outside.path()), ["victim.txt"]);
}

#[tokio::test]
async fn fs_write_refuses_to_replace_a_directory() {
    let (directory, ctx) = workspace();
    std::fs::create_dir(directory.path().join("docs")).unwrap();
    let error = fs_write(&ctx, Path::new("docs"), "docs", "x")
        .await
        .unwrap_err();
    assert_eq!(error.kind(), "not_a_file");
    assert_eq!(names_in(directory.path()), ["docs"]);
}

// ---------------------------------------------------------------- execute_bash

#[tokio::test]
async fn bash_runs_in_the_workspace_and_combines_output() {
    let (directory, ctx) = workspace();
    std::fs::write(directory.path().join("marker.txt"), "").unwrap();
    let output = execute_bash(
        &ctx,
        &CallScope::read_only(),
        "ls; echo to-stderr >&2; exit 3",
    )
    .await
    .unwrap();
    assert_eq!(output.text, "marker.txt\nto-stderr\n[exit code 3]");
    assert_eq!(output.exit_code, Some(3));
    assert!(!output.timed_out);
    assert!(!output.truncated);

    let quiet = execute_bash(&ctx, &CallScope::read_only(), "true")
        .await
        .unwrap();
    assert_eq!(quiet.text, "(no output)");
    assert_eq!(quiet.exit_code, Some(0));

    let stdin = execute_bash(&ctx, &CallScope::read_only(), "cat; echo done")
        .await
        .unwrap();
    assert_eq!(stdin.text, "done\n");
}

#[tokio::test]
async fn bash_output_is_capped_while_the_rest_is_drained() {
    let (_directory, mut ctx) = workspace();
    ctx.output_cap_bytes = 1000;
    ctx.bash_timeout = Duration::from_secs(60);
    let started = Instant::now();
    let output = execute_bash(
        &ctx,
        &CallScope::read_only(),
        "head -c 52428800 /dev/zero | tr '\\0' a",
    )
    .await
    .unwrap();
    assert!(started.elapsed() < Duration::from_secs(30));
    assert!(output.truncated);
    assert!(!output.timed_out);
    assert_eq!(output.exit_code, Some(0));
    let expected = format!(
        "{}\n[output truncated: kept the first 1000 of 52428800 bytes]",
        "a".repeat(1000)
    );
    assert_eq!(output.text, expected);
}

fn process_is_gone(pid: u32) -> bool {
    // A killed process reparented to an init that does not reap stays a zombie; it no longer
    // runs, which is what matters.
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat
            .rsplit_once(')')
            .map(|(_, rest)| rest.trim_start().starts_with('Z'))
            .unwrap_or(false),
    }
}

fn wait_until_gone(pid: u32) -> bool {
    let deadline = Instant::now() + Duration::from_secs(3);
    while Instant::now() < deadline {
        if process_is_gone(pid) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

fn pid_after(text: &str, label: &str) -> u32 {
    text.lines()
        .find_map(|line| line.strip_prefix(label))
        .and_then(|pid| pid.trim().parse().ok())
        .unwrap_or_else(|| panic!("no `{label}` line in {text:?}"))
}

#[tokio::test]
async fn bash_timeout_kills_the_whole_process_group() {
    let (_directory, mut ctx) = workspace();
    ctx.bash_timeout = Duration::from_secs(1);
    let started = Instant::now();
    let output = execute_bash(
        &ctx,
        &CallScope::read_only(),
        "sleep 30 & echo \"grandchild $!\"; sleep 30",
    )
    .await
    .unwrap();
    let elapsed = started.elapsed();
    assert!(elapsed < Duration::from_secs(5), "took {elapsed:?}");
    assert!(output.timed_out);
    assert_eq!(output.exit_code, None);
    assert!(
        output
            .text
            .ends_with("[timed out after 1s; the command's process group was killed]"),
        "{}",
        output.text
    );
    let grandchild = pid_after(&output.text, "grandchild ");
    assert!(
        wait_until_gone(grandchild),
        "grandchild {grandchild} still runs"
    );
}

#[tokio::test]
async fn bash_background_jobs_do_not_outlive_the_command() {
    let (_directory, ctx) = workspace();
    let output = execute_bash(
        &ctx,
        &CallScope::read_only(),
        "sleep 30 >/dev/null 2>&1 & echo \"background $!\"",
    )
    .await
    .unwrap();
    assert_eq!(output.exit_code, Some(0));
    assert!(!output.timed_out);
    let background = pid_after(&output.text, "background ");
    assert!(
        wait_until_gone(background),
        "background job {background} still runs"
    );
}

static PARENT_SECRETS: Once = Once::new();

/// Puts secrets into this test process's environment, as a developer's shell would.
fn parent_has_secrets() {
    PARENT_SECRETS.call_once(|| {
        std::env::set_var("OPENAI_API_KEY", "sk-parent-secret");
        std::env::set_var("AWS_SECRET_ACCESS_KEY", "aws-parent-secret");
        std::env::set_var("AGENTCTL_TEST_PLAIN", "not-allowlisted");
        std::env::set_var("AWS_PROFILE", "deploy-profile");
        std::env::set_var("LANG", "C.UTF-8");
    });
}

#[tokio::test]
async fn bash_environment_is_stripped_of_secrets() {
    parent_has_secrets();
    let (_directory, ctx) = workspace();
    let output = execute_bash(&ctx, &CallScope::read_only(), "env | cut -d= -f1 | sort")
        .await
        .unwrap();
    let names: Vec<&str> = output.text.lines().collect();
    for absent in [
        "OPENAI_API_KEY",
        "AWS_SECRET_ACCESS_KEY",
        "AGENTCTL_TEST_PLAIN",
        "AWS_PROFILE",
    ] {
        assert!(!names.contains(&absent), "{absent} leaked: {names:?}");
    }
    assert!(names.contains(&"PATH"), "{names:?}");
    assert!(names.contains(&"LANG"), "{names:?}");

    let values = execute_bash(
        &ctx,
        &CallScope::read_only(),
        "echo \"[${OPENAI_API_KEY-unset}] [${AWS_SECRET_ACCESS_KEY-unset}]\"",
    )
    .await
    .unwrap();
    assert_eq!(values.text, "[unset] [unset]\n");

    let mut denying = ctx.clone();
    denying.extra_env_denylist = vec!["lang".to_owned()];
    let without_lang = execute_bash(
        &denying,
        &CallScope::read_only(),
        "echo \"[${LANG-unset}]\"",
    )
    .await
    .unwrap();
    assert_eq!(without_lang.text, "[unset]\n");
}

#[tokio::test]
async fn bash_reports_a_missing_workspace() {
    let (directory, mut ctx) = workspace();
    ctx.workspace = directory.path().join("missing");
    let error = execute_bash(&ctx, &CallScope::read_only(), "true")
        .await
        .unwrap_err();
    assert_eq!(error.kind(), "spawn_failed");
    assert!(error.to_string().contains("missing"), "{error}");
}

// ---------------------------------------------------------------- use_aws

const FAKE_AWS: &str = "#!/bin/sh\n\
for argument in \"$@\"; do printf '<%s>\\n' \"$argument\"; done\n\
printf 'profile=%s secret=%s openai=%s\\n' \"${AWS_PROFILE-unset}\" \"${AWS_SECRET_ACCESS_KEY-unset}\" \"${OPENAI_API_KEY-unset}\"\n";

fn fake_aws(directory: &Path) -> PathBuf {
    let bin = directory.join("bin");
    std::fs::create_dir(&bin).unwrap();
    let program = bin.join("aws");
    std::fs::write(&program, FAKE_AWS).unwrap();
    std::fs::set_permissions(&program, std::fs::Permissions::from_mode(0o755)).unwrap();
    program
}

/// Another test thread may fork while the script's write handle is open, which makes exec fail
/// with "text file busy" for a moment; retry that one failure.
async fn use_aws_retrying(
    ctx: &ToolContext,
    call: &AwsCall,
) -> Result<agentctl_tools::ToolOutput, ToolError> {
    for _ in 0..20 {
        match use_aws(ctx, &CallScope::read_only(), call).await {
            Err(ToolError::SpawnFailed { source, .. }) if source.raw_os_error() == Some(26) => {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            other => return other,
        }
    }
    use_aws(ctx, &CallScope::read_only(), call).await
}

#[tokio::test]
async fn use_aws_passes_arguments_verbatim_without_a_shell() {
    parent_has_secrets();
    let (directory, mut ctx) = workspace();
    ctx.aws_program = fake_aws(directory.path());
    let parameters = json!({
        "cluster": "prod; touch semicolon.txt && echo $(touch substituted.txt) `id` | cat > redirected.txt",
        "service": "web's \"api\"\n$HOME",
        "desiredCount": 3
    });
    let call = AwsCall {
        service: "ecs".to_owned(),
        operation: "UpdateService".to_owned(),
        parameters: parameters.as_object().unwrap().clone(),
        region: Some("eu-west-1".to_owned()),
    };
    let output = use_aws_retrying(&ctx, &call).await.unwrap();
    let input = serde_json::to_string(&parameters).unwrap();
    let expected = format!(
        "<ecs>\n<update-service>\n<--cli-input-json>\n<{input}>\n<--output>\n<json>\n<--region>\n<eu-west-1>\n\
         profile=deploy-profile secret=unset openai=unset\n"
    );
    assert_eq!(output.text, expected);
    assert_eq!(output.exit_code, Some(0));
    assert!(input.contains("$(touch substituted.txt) `id` | cat > redirected.txt"));
    assert_eq!(names_in(directory.path()), ["bin"]);
}

#[tokio::test]
async fn use_aws_without_region_or_parameters() {
    let (directory, mut ctx) = workspace();
    ctx.aws_program = fake_aws(directory.path());
    let call = AwsCall {
        service: "rds".to_owned(),
        operation: "ListDBInstances".to_owned(),
        parameters: serde_json::Map::new(),
        region: None,
    };
    let output = use_aws_retrying(&ctx, &call).await.unwrap();
    let argv: Vec<&str> = output.text.lines().take(6).collect();
    assert_eq!(
        argv,
        [
            "<rds>",
            "<list-db-instances>",
            "<--cli-input-json>",
            "<{}>",
            "<--output>",
            "<json>"
        ]
    );
    assert!(output.text.lines().nth(6).unwrap().starts_with("profile="));
}

#[tokio::test]
async fn use_aws_reports_a_missing_program() {
    let (directory, mut ctx) = workspace();
    ctx.aws_program = directory.path().join("no-such-aws");
    let call = AwsCall {
        service: "ecs".to_owned(),
        operation: "DescribeServices".to_owned(),
        parameters: serde_json::Map::new(),
        region: None,
    };
    let error = use_aws(&ctx, &CallScope::read_only(), &call)
        .await
        .unwrap_err();
    assert_eq!(error.kind(), "spawn_failed");
    assert!(error.to_string().contains("no-such-aws"), "{error}");
}

// ---------------------------------------------------------------- parse_arguments

fn problem(tool: ToolName, arguments: &str) -> String {
    let error = parse_arguments(tool, arguments).unwrap_err();
    assert_eq!(error.kind(), "invalid_arguments");
    error.to_string()
}

#[test]
fn parse_arguments_accepts_well_formed_calls() {
    assert_eq!(
        parse_arguments(ToolName::FsRead, "  \n{\"path\": \"src/main.rs\"}\n ").unwrap(),
        ParsedArguments::FsRead {
            path: "src/main.rs".to_owned()
        }
    );
    let aws = parse_arguments(
        ToolName::UseAws,
        r#"{"service":"ecs","operation":"DescribeServices","parameters":{"cluster":"prod"},"region":null}"#,
    )
    .unwrap();
    let ParsedArguments::UseAws(call) = aws else {
        panic!("expected use_aws arguments, got {aws:?}");
    };
    assert_eq!(call.parameters.get("cluster"), Some(&json!("prod")));
    assert_eq!(call.region, None);
    assert_eq!(
        parse_arguments(
            ToolName::Handoff,
            r#"{"to":"qa-engineer","summary":"ready for tests","items":["src/lib.rs"]}"#
        )
        .unwrap(),
        ParsedArguments::Handoff {
            to: "qa-engineer".to_owned(),
            summary: "ready for tests".to_owned(),
            items: vec!["src/lib.rs".to_owned()],
        }
    );
    let report = parse_arguments(
        ToolName::GateReport,
        r#"{"gate":"S07","status":"failed","evidence":"cargo audit: 1 vulnerability"}"#,
    )
    .unwrap();
    assert_eq!(
        report,
        ParsedArguments::GateReport {
            gate: Gate::S07,
            status: GateStatus::Failed,
            evidence: "cargo audit: 1 vulnerability".to_owned()
        }
    );
    assert_eq!(report.tool(), Some(ToolName::GateReport));
}

#[test]
fn parse_arguments_rejects_invalid_json() {
    let message = problem(ToolName::FsRead, "{\"path\": ");
    assert!(
        message.starts_with(
            "invalid arguments for fs_read: EOF while parsing a value at line 1 column 8"
        ),
        "{message}"
    );
    assert!(message.contains(r#""required":["path"]"#), "{message}");
    let empty = problem(ToolName::ExecuteBash, "   ");
    assert!(empty.starts_with("invalid arguments for execute_bash: the arguments are empty; expected a JSON object matching {"), "{empty}");
    let trailing = problem(ToolName::FsList, r#"{"path":"."} extra"#);
    assert!(trailing.contains("trailing characters"), "{trailing}");
}

#[test]
fn parse_arguments_names_a_missing_field() {
    let message = problem(ToolName::FsWrite, r#"{"path":"a.txt"}"#);
    assert!(
        message.starts_with("invalid arguments for fs_write: missing field `content`"),
        "{message}"
    );
    assert!(
        message.contains(r#""required":["path","content"]"#),
        "{message}"
    );
}

#[test]
fn parse_arguments_names_a_wrong_type() {
    let message = problem(ToolName::ExecuteBash, r#"{"command": ["ls", "-la"]}"#);
    assert!(
        message.starts_with(
            "invalid arguments for execute_bash: invalid type: sequence, expected a string"
        ),
        "{message}"
    );
    let not_object = problem(ToolName::FsRead, r#""src/main.rs""#);
    assert!(
        not_object.contains("expected a JSON object"),
        "{not_object}"
    );
}

#[test]
fn parse_arguments_names_an_extra_field() {
    let message = problem(ToolName::FsRead, r#"{"path":"a.txt","sudo":true}"#);
    assert!(
        message.starts_with("invalid arguments for fs_read: unknown field `sudo`, expected `path`"),
        "{message}"
    );
    let aws = problem(
        ToolName::UseAws,
        r#"{"service":"ecs","operation":"UpdateService","profile":"admin"}"#,
    );
    assert!(aws.contains("unknown field `profile`"), "{aws}");
}

#[test]
fn parse_arguments_checks_aws_names_and_gates() {
    let option = problem(
        ToolName::UseAws,
        r#"{"service":"ecs","operation":"--debug"}"#,
    );
    assert!(
        option.contains("field `operation` is `--debug`"),
        "{option}"
    );
    let gate = problem(
        ToolName::GateReport,
        r#"{"gate":"S11","status":"passed","evidence":"x"}"#,
    );
    assert!(gate.contains("field `gate`: `S11` is not a gate"), "{gate}");
}
