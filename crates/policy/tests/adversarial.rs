#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Every policy rule against inputs a model might use to get around it.

use std::path::Path;

use agentctl_policy::{PolicyEngine, PolicyError, PolicySpec, ToolRequest};
use agentctl_protocol::{Decision, DecisionKind, Gate, PatternRules, Permissions, ToolName};

struct Fixture {
    _directory: tempfile::TempDir,
    engine: PolicyEngine,
}

fn devops_permissions() -> Permissions {
    Permissions {
        tools: vec![
            ToolName::FsRead,
            ToolName::FsList,
            ToolName::FsWrite,
            ToolName::ExecuteBash,
            ToolName::UseAws,
        ],
        read: vec!["**".into()],
        write: vec!["**".into()],
        deny: vec![".env".into(), "**/*.pem".into(), "secrets/**".into()],
        commands: PatternRules {
            allow: vec![
                "git status".into(),
                "git diff *".into(),
                "echo *".into(),
                "true".into(),
                "kubectl get *".into(),
                "kubectl apply *".into(),
                "terraform plan *".into(),
            ],
            approve: vec![
                "kubectl apply * -n production*".into(),
                "terraform apply *".into(),
            ],
            deny: vec!["rm -rf *".into()],
        },
        aws: PatternRules {
            allow: vec!["ecs:Describe*".into(), "ecs:*".into()],
            approve: vec!["ecs:UpdateService".into()],
            deny: vec!["iam:*".into()],
        },
        mcp: Default::default(),
    }
}

fn protected() -> Vec<String> {
    [
        "AUDIT_LOG.md",
        "PROJECT_STATE.md",
        ".agentctl/**",
        "agentctl.toml",
        "personas/**",
        "contexts/**",
        "templates/**",
        "prompts/**",
    ]
    .into_iter()
    .map(String::from)
    .collect()
}

fn fixture_with(permissions: Permissions, handoffs: &[&str], reports: &[Gate]) -> Fixture {
    let directory = tempfile::tempdir().unwrap();
    let engine = PolicyEngine::new(PolicySpec {
        permissions,
        workspace: directory.path().to_path_buf(),
        protected: protected(),
        guarded: Vec::new(),
        handoff_targets: handoffs.iter().map(|s| s.to_string()).collect(),
        reports: reports.to_vec(),
    })
    .unwrap();
    Fixture {
        _directory: directory,
        engine,
    }
}

fn devops() -> Fixture {
    fixture_with(
        devops_permissions(),
        &["release-manager", "qa-engineer"],
        &[],
    )
}

impl Fixture {
    fn root(&self) -> &Path {
        self.engine.workspace()
    }

    fn decide(&self, request: ToolRequest) -> Decision {
        self.engine.decide(&request).decision
    }

    fn read(&self, path: &str) -> Decision {
        self.decide(ToolRequest::FsRead { path: path.into() })
    }

    fn write(&self, path: &str) -> Decision {
        self.decide(ToolRequest::FsWrite { path: path.into() })
    }

    fn list(&self, path: &str) -> Decision {
        self.decide(ToolRequest::FsList { path: path.into() })
    }

    fn bash(&self, command: &str) -> Decision {
        self.decide(ToolRequest::ExecuteBash {
            command: command.into(),
        })
    }

    fn aws(&self, service: &str, operation: &str) -> Decision {
        self.decide(ToolRequest::UseAws {
            service: service.into(),
            operation: operation.into(),
        })
    }
}

fn reason(decision: &Decision) -> &str {
    match decision {
        Decision::Allow { .. } => panic!("expected a reason, got {decision:?}"),
        Decision::Approve { reason, .. } | Decision::Deny { reason, .. } => reason,
    }
}

#[track_caller]
fn assert_denied(decision: &Decision, rule: &str) {
    assert_eq!(decision.kind(), DecisionKind::Deny, "{decision:?}");
    assert_eq!(decision.rule(), rule, "{decision:?}");
}

#[track_caller]
fn assert_allowed(decision: &Decision, rule: &str) {
    assert_eq!(
        decision,
        &Decision::Allow {
            rule: rule.to_owned()
        }
    );
}

// ---- tools -------------------------------------------------------------------------------

#[test]
fn a_tool_not_granted_is_denied_whatever_the_arguments() {
    let fixture = fixture_with(Permissions::default(), &[], &[]);
    let decision = fixture.aws("ecs", "DescribeServices");
    assert_denied(&decision, "tool not granted");
    assert_eq!(
        reason(&decision),
        "tool `use_aws` is not granted to this persona"
    );
    assert_denied(&fixture.write("notes.md"), "tool not granted");
    assert_denied(&fixture.bash("true"), "tool not granted");
    assert_allowed(&fixture.read("README.md"), "read: **");
}

#[test]
fn derived_tools_listed_in_tools_grant_nothing() {
    let mut permissions = Permissions::default();
    permissions.tools.push(ToolName::Handoff);
    permissions.tools.push(ToolName::GateReport);
    let fixture = fixture_with(permissions, &[], &[]);
    let handoff = fixture.decide(ToolRequest::Handoff { to: "qa".into() });
    assert_denied(&handoff, "tool not granted");
    let report = fixture.decide(ToolRequest::GateReport { gate: "S06".into() });
    assert_denied(&report, "tool not granted");
}

#[test]
fn unknown_tools_are_denied_listing_the_available_ones() {
    let fixture = fixture_with(Permissions::default(), &["qa"], &[]);
    let decision = fixture.decide(ToolRequest::Unknown {
        name: "sudo".into(),
    });
    assert_denied(&decision, "unknown tool");
    assert_eq!(
        reason(&decision),
        "unknown tool `sudo`; available: fs_read, fs_list, handoff"
    );
}

// ---- paths -------------------------------------------------------------------------------

#[test]
fn paths_leaving_the_workspace_are_denied() {
    let fixture = devops();
    for raw in [
        "../etc/passwd",
        "/etc/passwd",
        "a/../../x",
        "~/.ssh/id_rsa",
        "..",
    ] {
        assert_denied(&fixture.read(raw), "path outside workspace");
        assert_denied(&fixture.write(raw), "path outside workspace");
    }
    for raw in ["", "a\0b", "a\\..\\..\\x"] {
        assert_denied(&fixture.read(raw), "invalid path");
    }
    let verdict = fixture.engine.decide(&ToolRequest::FsRead {
        path: "/etc/passwd".into(),
    });
    assert_eq!(verdict.resolved_path, None);
}

#[test]
fn allowed_paths_resolve_inside_the_workspace() {
    let fixture = devops();
    let verdict = fixture.engine.decide(&ToolRequest::FsWrite {
        path: "infra/./main.tf".into(),
    });
    assert_allowed(&verdict.decision, "write: **");
    assert_eq!(
        verdict.resolved_path,
        Some(fixture.root().join("infra/main.tf"))
    );
}

#[cfg(unix)]
#[test]
fn a_symlinked_directory_pointing_out_is_denied_even_for_new_files() {
    let fixture = devops();
    let outside = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(outside.path(), fixture.root().join("escape")).unwrap();
    assert_denied(&fixture.read("escape/passwd"), "path outside workspace");
    assert_denied(&fixture.write("escape/new.txt"), "path outside workspace");
    assert_denied(&fixture.list("escape"), "path outside workspace");
    assert_denied(
        &fixture.bash("git status > escape/out.txt"),
        "path outside workspace",
    );
    assert!(!outside.path().join("new.txt").exists());
}

#[cfg(unix)]
#[test]
fn a_symlink_inside_the_workspace_cannot_launder_a_protected_or_denied_path() {
    let fixture = devops();
    std::fs::write(fixture.root().join("AUDIT_LOG.md"), "log").unwrap();
    std::os::unix::fs::symlink(
        fixture.root().join("AUDIT_LOG.md"),
        fixture.root().join("notes.md"),
    )
    .unwrap();
    std::fs::create_dir(fixture.root().join("secrets")).unwrap();
    std::os::unix::fs::symlink(
        fixture.root().join("secrets"),
        fixture.root().join("public"),
    )
    .unwrap();
    let decision = fixture.write("notes.md");
    assert_denied(&decision, "protected: AUDIT_LOG.md");
    assert!(reason(&decision).contains("link to `AUDIT_LOG.md`"));
    assert_denied(&fixture.read("public/key"), "deny: secrets/**");
}

#[test]
fn protected_files_are_never_writable() {
    let fixture = devops();
    let decision = fixture.write("AUDIT_LOG.md");
    assert_denied(&decision, "protected: AUDIT_LOG.md");
    assert_eq!(
        reason(&decision),
        "`AUDIT_LOG.md` is written only by agentctl; no agent may change it"
    );
    for (path, rule) in [
        (".agentctl/runs/x", "protected: .agentctl/**"),
        ("agentctl.toml", "protected: agentctl.toml"),
        ("personas/x.md", "protected: personas/**"),
        ("PROJECT_STATE.md", "protected: PROJECT_STATE.md"),
        ("./docs/../AUDIT_LOG.md", "protected: AUDIT_LOG.md"),
        ("audit_log.md", "protected: AUDIT_LOG.md"),
        (".git/hooks/pre-commit", "protected: .git"),
        ("vendor/lib/.git/config", "protected: .git"),
    ] {
        assert_denied(&fixture.write(path), rule);
    }
    // Protected is about writing; reading stays with the read scope.
    assert_allowed(&fixture.read("AUDIT_LOG.md"), "read: **");
}

#[test]
fn deny_beats_allow_for_paths() {
    let fixture = devops();
    assert_denied(&fixture.read("secrets/db/password"), "deny: secrets/**");
    assert_denied(&fixture.read("secrets"), "deny: secrets/**");
    assert_denied(&fixture.list("secrets"), "deny: secrets/**");
    assert_denied(&fixture.read(".env"), "deny: .env");
    assert_denied(&fixture.read("services/api/.env"), "deny: .env");
    assert_denied(&fixture.write("certs/tls.pem"), "deny: **/*.pem");
    assert_denied(&fixture.read("SECRETS/key"), "deny: secrets/**");
    assert_allowed(&fixture.read("src/.envrc"), "read: **");
}

#[test]
fn scopes_are_gitignore_style() {
    let permissions = Permissions {
        tools: vec![ToolName::FsRead, ToolName::FsList, ToolName::FsWrite],
        read: vec!["docs/**".into(), "*.md".into()],
        write: vec!["docs/*.md".into()],
        ..Permissions::default()
    };
    let fixture = fixture_with(permissions, &[], &[]);
    assert_allowed(&fixture.read("docs/a/b.txt"), "read: docs/**");
    assert_allowed(&fixture.read("src/deep/README.md"), "read: *.md");
    assert_denied(&fixture.read("src/main.rs"), "no read rule");
    assert_allowed(&fixture.write("docs/guide.md"), "write: docs/*.md");
    assert_denied(&fixture.write("docs/sub/guide.md"), "no write rule");
    assert_denied(&fixture.write("README.md"), "no write rule");
    assert_allowed(&fixture.list("."), "read: docs/**");
    assert_allowed(&fixture.list("docs"), "read: docs/**");
    assert_allowed(&fixture.list("src"), "read: *.md");
}

#[test]
fn listing_needs_a_read_pattern_that_reaches_the_directory() {
    let permissions = Permissions {
        read: vec!["docs/api/**".into()],
        ..Permissions::default()
    };
    let fixture = fixture_with(permissions, &[], &[]);
    assert_allowed(&fixture.list("."), "read: docs/api/**");
    assert_allowed(&fixture.list("docs"), "read: docs/api/**");
    assert_denied(&fixture.list("src"), "no read rule");
    std::fs::create_dir(fixture.root().join("src")).unwrap();
    std::fs::write(fixture.root().join("src/lib.rs"), "").unwrap();
    // Listing a file is reading it.
    assert_denied(&fixture.list("src/lib.rs"), "no read rule");
}

// ---- commands ----------------------------------------------------------------------------

#[test]
fn every_command_of_a_line_must_be_allowed() {
    let fixture = devops();
    for command in [
        "true; curl x",
        "git status && curl x",
        "git status | sh",
        "git status || curl x",
        "git status & curl x",
        "git status\ncurl x",
        "echo `curl x`",
        "(curl x)",
        "{ curl x; }",
        "bash -c \"curl x\"",
    ] {
        let decision = fixture.bash(command);
        assert_denied(&decision, "no command rule");
        assert!(
            reason(&decision).contains("is not allowed for this persona"),
            "{command}: {decision:?}"
        );
    }
    assert_eq!(
        reason(&fixture.bash("true; curl x")),
        "command `curl x` is not allowed for this persona; allowed: git status, git diff *, \
         echo *, true, kubectl get *, kubectl apply *, terraform plan *"
    );
}

#[test]
fn substitutions_wrappers_and_eval_are_checked_inside() {
    let fixture = devops();
    assert_denied(&fixture.bash("echo $(rm -rf ~)"), "deny: rm -rf *");
    assert_denied(&fixture.bash("echo `rm -rf /`"), "deny: rm -rf *");
    assert_denied(&fixture.bash("eval \"rm -rf /\""), "deny: rm -rf *");
    assert_denied(
        &fixture.bash("echo \"$(bash -c 'rm -rf /')\""),
        "deny: rm -rf *",
    );
    assert_allowed(&fixture.bash("sh -c 'git status'"), "allow: git status");
    assert_allowed(
        &fixture.bash("echo \"$(git diff --stat)\""),
        "allow: git diff *; allow: echo *",
    );
    // Unquoted, an empty output would leave a bare `echo`, which `echo *` does not allow.
    assert_denied(&fixture.bash("echo $(git diff --stat)"), "no command rule");
}

/// Shipped QA-style patterns such as `git diff*` also match `git difftool`, and `git log*`,
/// `pytest*`, `make test*` take any option: the program table refuses the dangerous ones.
#[test]
fn broad_patterns_do_not_reach_dangerous_options() {
    let mut permissions = devops_permissions();
    permissions.commands.allow = [
        "git diff*",
        "git log*",
        "pytest*",
        "python3 -m pytest*",
        "make test*",
        "cargo test*",
        "npm test*",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    let fixture = fixture_with(permissions, &[], &[]);
    for command in [
        "git difftool -x 'touch pwned'",
        "git difftool --extcmd=sh",
        "git log --output=AUDIT_LOG.md",
        "git diff --output=.git/config",
        "pytest --junitxml=AUDIT_LOG.md",
        "python3 -m pytest --junitxml=AUDIT_LOG.md",
        "make test SHELL=./evil",
        "make test -f evil.mk",
        "cargo test --config 'target.x.runner=\"sh\"'",
        "npm test --script-shell=./evil",
    ] {
        let verdict = fixture.bash(command);
        assert_eq!(verdict.kind(), DecisionKind::Deny, "{command}: {verdict:?}");
        assert!(
            verdict.rule().starts_with("program: "),
            "{command}: {verdict:?}"
        );
    }
    for command in [
        "git diff --stat",
        "git log --oneline -3",
        "pytest -q",
        "make test",
        "cargo test",
    ] {
        assert_eq!(
            fixture.bash(command).kind(),
            DecisionKind::Allow,
            "{command}"
        );
    }
}

#[test]
fn redirection_targets_are_checked_as_paths() {
    let fixture = devops();
    assert_denied(
        &fixture.bash("git status > /etc/x"),
        "path outside workspace",
    );
    let decision = fixture.bash("git status > AUDIT_LOG.md");
    assert_denied(&decision, "protected: AUDIT_LOG.md");
    assert!(reason(&decision).starts_with("redirection `> AUDIT_LOG.md`"));
    assert_denied(&fixture.bash("git status >> .env"), "deny: .env");
    assert_denied(&fixture.bash("echo x < secrets/key"), "deny: secrets/**");
    assert_allowed(&fixture.bash("git status 2>&1"), "allow: git status");
    assert_allowed(
        &fixture.bash("git status > status.txt"),
        "allow: git status; write: **",
    );
    assert_allowed(
        &fixture.bash("git status &> /dev/null"),
        "allow: git status",
    );
}

#[test]
fn constructs_the_parser_does_not_model_are_denied() {
    let fixture = devops();
    assert_denied(&fixture.bash("$CMD"), "shell: dynamic command name");
    assert_denied(&fixture.bash("${CMD} x"), "shell: dynamic command name");
    for command in [
        "cat <<EOF\ncurl x\nEOF",
        "if true; then curl x; fi",
        "for i in 1; do curl x; done",
        "f() { curl x; }; f",
        "echo $((1 + 1))",
        "diff <(curl x) y",
        "echo ${X:-$(curl x)}",
        "echo $'\\x63url'",
        "echo {curl,x}",
    ] {
        assert_denied(&fixture.bash(command), "shell: unsupported syntax");
    }
}

#[test]
fn approve_beats_allow_for_commands() {
    let fixture = devops();
    let decision = fixture.bash("kubectl apply -f k8s/ -n production");
    assert_eq!(
        decision,
        Decision::Approve {
            rule: "approve: kubectl apply * -n production*".into(),
            reason: "command `kubectl apply -f k8s/ -n production` matches approve rule \
                     `kubectl apply * -n production*`; a human must approve it"
                .into(),
        }
    );
    assert_allowed(
        &fixture.bash("kubectl apply -f k8s/ -n staging"),
        "allow: kubectl apply *",
    );
    assert_eq!(
        fixture.bash("terraform apply -auto-approve").rule(),
        "approve: terraform apply *"
    );
    assert_eq!(
        fixture.bash("terraform apply -auto-approve").kind(),
        DecisionKind::Approve
    );
    // Deny beats approve on one line.
    assert_denied(
        &fixture.bash("terraform apply x && rm -rf /"),
        "deny: rm -rf *",
    );
    // An expansion that could spell an approved command is refused: only harmless
    // parameters (`$?`, `$CI` …) may be expanded in arguments.
    assert_denied(
        &fixture.bash("kubectl apply -f x -n $NS"),
        "shell: parameter expansion",
    );
}

#[test]
fn star_needs_its_leading_space() {
    let fixture = devops();
    assert_denied(&fixture.bash("git diff"), "no command rule");
    assert_allowed(&fixture.bash("git diff --stat HEAD"), "allow: git diff *");
    assert_denied(&fixture.bash("git push"), "no command rule");
}

#[test]
fn oversized_and_nul_commands_are_denied() {
    let fixture = devops();
    let long = format!("echo {}", "x".repeat(64 * 1024));
    assert_denied(&fixture.bash(&long), "shell: too long");
    assert_denied(&fixture.bash("git status\0; curl x"), "shell: NUL byte");
}

#[test]
fn hijacking_variables_are_denied() {
    let fixture = devops();
    assert_denied(
        &fixture.bash("PATH=. git status"),
        "shell: variable not allowed",
    );
    assert_allowed(&fixture.bash("CI=1 git status"), "allow: git status");
}

// ---- aws ---------------------------------------------------------------------------------

#[test]
fn aws_calls_follow_deny_approve_allow() {
    let fixture = devops();
    assert_eq!(
        fixture.aws("ecs", "UpdateService"),
        Decision::Approve {
            rule: "approve: ecs:UpdateService".into(),
            reason: "AWS call `ecs:UpdateService` matches approve rule `ecs:UpdateService`; \
                     a human must approve it"
                .into(),
        }
    );
    assert_allowed(
        &fixture.aws("ecs", "DescribeServices"),
        "allow: ecs:Describe*",
    );
    assert_denied(&fixture.aws("iam", "CreateUser"), "deny: iam:*");
    assert_denied(&fixture.aws("s3", "DeleteBucket"), "no aws rule");
    assert_eq!(
        fixture.aws("ecs", "UPDATESERVICE").kind(),
        DecisionKind::Approve
    );
    assert_denied(&fixture.aws("ecs", "update-service"), "aws: invalid call");
    assert_denied(&fixture.aws("ecs:UpdateService", "X"), "aws: invalid call");
}

// ---- handoffs and gates ------------------------------------------------------------------

#[test]
fn handoffs_only_to_targets() {
    let fixture = devops();
    assert_allowed(
        &fixture.decide(ToolRequest::Handoff {
            to: "qa-engineer".into(),
        }),
        "handoff: qa-engineer",
    );
    let decision = fixture.decide(ToolRequest::Handoff {
        to: "security".into(),
    });
    assert_denied(&decision, "handoff target");
    assert_eq!(
        reason(&decision),
        "`security` is not a handoff target of this persona; it may hand off to: \
         release-manager, qa-engineer"
    );
}

#[test]
fn gates_s06_and_s07_only_when_reported_and_never_s08() {
    let reporter = fixture_with(Permissions::default(), &[], &[Gate::S06, Gate::S08]);
    let s08 = reporter.decide(ToolRequest::GateReport { gate: "S08".into() });
    assert_denied(&s08, "gate: S08 is human only");
    assert_eq!(
        reason(&s08),
        "S08 is recorded only by a human through `agentctl approve`"
    );
    assert_allowed(
        &reporter.decide(ToolRequest::GateReport { gate: "s6".into() }),
        "reports: S06",
    );
    assert_denied(
        &reporter.decide(ToolRequest::GateReport { gate: "S07".into() }),
        "gate: not reported",
    );
    assert_denied(
        &reporter.decide(ToolRequest::GateReport { gate: "S10".into() }),
        "gate: not reportable",
    );
    assert_denied(
        &reporter.decide(ToolRequest::GateReport { gate: "S99".into() }),
        "gate: invalid",
    );
    let silent = devops();
    assert_denied(
        &silent.decide(ToolRequest::GateReport { gate: "S06".into() }),
        "tool not granted",
    );
    assert_denied(
        &silent.decide(ToolRequest::GateReport { gate: "S08".into() }),
        "gate: S08 is human only",
    );
}

// ---- construction and summary ------------------------------------------------------------

#[test]
fn describe_summarises_the_effective_policy() {
    let fixture = fixture_with(
        devops_permissions(),
        &["qa-engineer"],
        &[Gate::S07, Gate::S08],
    );
    let summary = fixture.engine.describe();
    assert_eq!(
        summary.tools,
        vec![
            ToolName::FsRead,
            ToolName::FsList,
            ToolName::FsWrite,
            ToolName::ExecuteBash,
            ToolName::UseAws,
            ToolName::Handoff,
            ToolName::GateReport,
        ]
    );
    assert_eq!(summary.reports, vec![Gate::S07]);
    assert_eq!(summary.protected.last().map(String::as_str), Some(".git"));
    let json = serde_json::to_value(&summary).unwrap();
    assert_eq!(json["deny"][2], "secrets/**");
    assert_eq!(json["aws"]["approve"][0], "ecs:UpdateService");
}

#[test]
fn bad_specs_are_errors_naming_the_problem() {
    let directory = tempfile::tempdir().unwrap();
    let spec = |permissions: Permissions, workspace: &Path| PolicySpec {
        permissions,
        workspace: workspace.to_path_buf(),
        protected: Vec::new(),
        guarded: Vec::new(),
        handoff_targets: Vec::new(),
        reports: Vec::new(),
    };
    let relative = PolicyEngine::new(spec(Permissions::default(), Path::new("work"))).unwrap_err();
    assert!(matches!(relative, PolicyError::WorkspaceNotAbsolute { .. }));
    let missing = PolicyEngine::new(spec(
        Permissions::default(),
        &directory.path().join("missing"),
    ))
    .unwrap_err();
    assert!(missing.to_string().contains("missing"), "{missing}");
    let negated = Permissions {
        deny: vec!["!keep.md".into()],
        ..Permissions::default()
    };
    let error = PolicyEngine::new(spec(negated, directory.path())).unwrap_err();
    assert_eq!(
        error.to_string(),
        "`!keep.md` in `deny` cannot be used: negated patterns are not supported; list what is \
         allowed and put exceptions in `deny`"
    );
}

// ---- protected state: guarded task files, hard links, hook directories ----------------------

#[cfg(unix)]
#[test]
fn a_hard_linked_file_is_not_readable_even_inside_the_read_scope() {
    let fixture = devops();
    let root = fixture.root().to_path_buf();
    std::fs::create_dir_all(root.join("secrets")).unwrap();
    std::fs::write(root.join("secrets/key"), "k").unwrap();
    std::fs::create_dir_all(root.join("docs")).unwrap();
    std::fs::hard_link(root.join("secrets/key"), root.join("docs/notes.md")).unwrap();
    assert_denied(&fixture.read("docs/notes.md"), "hard link");
    assert_denied(&fixture.list("docs/notes.md"), "hard link");
    assert_denied(&fixture.bash("git status < docs/notes.md"), "hard link");
    // Nor writable: a redirection changes every name, a diff shows the old content.
    assert_denied(&fixture.write("docs/notes.md"), "hard link");
    assert_denied(&fixture.bash("echo x >> docs/notes.md"), "hard link");
    std::fs::write(root.join("docs/plain.md"), "p").unwrap();
    assert_eq!(fixture.read("docs/plain.md").kind(), DecisionKind::Allow);
    assert_eq!(fixture.write("docs/plain.md").kind(), DecisionKind::Allow);
}

#[test]
fn a_guarded_path_is_written_only_by_fs_write() {
    let directory = tempfile::tempdir().unwrap();
    let mut permissions = devops_permissions();
    permissions.write = vec!["**".into()];
    let engine = PolicyEngine::new(PolicySpec {
        permissions,
        workspace: directory.path().to_path_buf(),
        protected: protected(),
        guarded: vec!["tasks".into(), "tasks/**".into()],
        handoff_targets: Vec::new(),
        reports: Vec::new(),
    })
    .unwrap();
    let write = engine
        .decide(&ToolRequest::FsWrite {
            path: "tasks/T-1.md".into(),
        })
        .decision;
    assert_eq!(write.kind(), DecisionKind::Allow, "{write:?}");
    let redirect = engine
        .decide(&ToolRequest::ExecuteBash {
            command: "git status > tasks/T-1.md".into(),
        })
        .decision;
    assert_denied(&redirect, "guarded: tasks");
}

#[test]
fn the_configured_hook_directory_is_protected_like_git_hooks() {
    let directory = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(directory.path().join(".git")).unwrap();
    std::fs::write(
        directory.path().join(".git/config"),
        "[core]\n\thooksPath = .githooks\n",
    )
    .unwrap();
    let mut permissions = devops_permissions();
    permissions.write = vec!["**".into()];
    let engine = PolicyEngine::new(PolicySpec {
        permissions,
        workspace: directory.path().to_path_buf(),
        protected: Vec::new(),
        guarded: Vec::new(),
        handoff_targets: Vec::new(),
        reports: Vec::new(),
    })
    .unwrap();
    for path in [
        ".githooks/pre-commit",
        ".githooks",
        "./.githooks/../.githooks/x",
    ] {
        let decision = engine
            .decide(&ToolRequest::FsWrite { path: path.into() })
            .decision;
        assert_denied(&decision, "protected: /.githooks");
    }
    let redirect = engine
        .decide(&ToolRequest::ExecuteBash {
            command: "git status > .githooks/post-checkout".into(),
        })
        .decision;
    assert_eq!(redirect.kind(), DecisionKind::Deny, "{redirect:?}");
    assert!(engine
        .describe()
        .protected
        .contains(&"/.githooks".to_owned()));
}

/// Command arguments are paths too: what leaves the workspace — absolute, `..`, `~`, a link
/// that points out, `/proc` of another process — is denied whatever the patterns allow.
#[test]
fn command_arguments_cannot_leave_the_workspace() {
    let mut permissions = devops_permissions();
    permissions.commands.allow = ["cat *", "ls *", "cd *", "head *", "git diff *", "echo *"]
        .into_iter()
        .map(String::from)
        .collect();
    let fixture = fixture_with(permissions, &[], &[]);
    let outside = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(outside.path(), fixture.root().join("escape")).unwrap();
    for command in [
        "cat /etc/passwd",
        "head /proc/self/environ",
        "cat ../x",
        "cat a/../../x",
        "cat ~/.ssh/id_rsa",
        "cat escape/secret",
        "ls escape",
        "cd escape",
        "cd escape && cat secret",
        "git diff --no-index /etc/passwd README.md",
        "git diff --no-index -- escape/a README.md",
    ] {
        assert_denied(&fixture.bash(command), "path outside workspace");
    }
    assert_denied(
        &fixture.bash("head /proc/$PPID/environ"),
        "shell: parameter expansion",
    );
    assert_denied(
        &fixture.bash("cat $HOME/.bashrc"),
        "shell: parameter expansion",
    );
    assert_denied(&fixture.bash("cat .*/x"), "shell: glob");
    assert_allowed(&fixture.bash("cat README.md"), "allow: cat *");
    assert_allowed(&fixture.bash("echo /etc/passwd"), "allow: echo *");
    assert_allowed(&fixture.bash("cat /dev/null"), "allow: cat *");
}
