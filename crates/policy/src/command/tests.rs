use super::*;
use agentctl_protocol::DecisionKind;

fn rules() -> CommandRules {
    CommandRules::new(&PatternRules {
        allow: vec![
            "git status".into(),
            "git diff *".into(),
            "echo *".into(),
            "true".into(),
            "ls *".into(),
            "rm *".into(),
            "cd *".into(),
            "terraform *".into(),
            "export *".into(),
        ],
        approve: vec!["terraform apply *".into()],
        deny: vec!["rm -rf *".into()],
    })
    .unwrap()
}

/// Writes allowed under `out/`, reads everywhere, nothing else.
fn paths(path: &str, access: Access) -> Decision {
    match access {
        Access::Read => Decision::Allow {
            rule: "read: **".into(),
        },
        Access::Write if path.starts_with("out/") => Decision::Allow {
            rule: "write: out/**".into(),
        },
        Access::Write => deny("no write rule", format!("`{path}` is not writable")),
    }
}

fn decide(text: &str) -> Decision {
    rules().decide(text, &paths)
}

fn rule(text: &str) -> String {
    decide(text).rule().to_owned()
}

#[test]
fn every_simple_command_must_be_allowed() {
    assert_eq!(rule("git status"), "allow: git status");
    assert_eq!(
        rule("git status && git diff HEAD"),
        "allow: git status; allow: git diff *"
    );
    assert_eq!(rule("true; curl x"), "no command rule");
    assert_eq!(rule("git status | sh"), "no command rule");
}

#[test]
fn trailing_star_needs_an_argument() {
    assert_eq!(rule("git diff"), "no command rule");
    assert_eq!(rule("git diff --stat"), "allow: git diff *");
}

#[test]
fn deny_and_approve_beat_allow() {
    assert_eq!(rule("rm -rf build"), "deny: rm -rf *");
    // `rm` operands are judged as writes, like an output redirection.
    assert_eq!(rule("rm out/build.log"), "allow: rm *; write: out/**");
    assert_eq!(rule("rm build.log"), "no write rule");
    assert_eq!(
        rule("terraform apply -auto-approve"),
        "approve: terraform apply *"
    );
    assert_eq!(rule("terraform plan -out x"), "allow: terraform *");
    assert_eq!(
        rule("terraform apply x; rm -rf /"),
        "deny: rm -rf *",
        "deny beats approve across commands"
    );
}

#[test]
fn run_time_parts_cannot_dodge_deny_or_approve() {
    assert_eq!(rule("rm -$FLAGS /"), "deny: rm -rf *");
    assert_eq!(rule("rm $(echo -rf) /"), "deny: rm -rf *");
    assert_eq!(rule("rm -r? /"), "deny: rm -rf *");
    // A run-time word that could turn into `apply` is now refused outright.
    assert_eq!(rule("terraform $VERB x"), "shell: parameter expansion");
    assert_eq!(rule("/bin/rm -rf /"), "deny: rm -rf *");
    assert_eq!(rule("r\"m\" -rf /"), "deny: rm -rf *");
    let reason = match decide("rm -$FLAGS /") {
        Decision::Deny { reason, .. } => reason,
        other => panic!("{other:?}"),
    };
    assert!(reason.contains("once expanded"), "{reason}");
}

#[test]
fn substitutions_are_checked_on_their_own() {
    assert_eq!(rule("echo $(rm -rf ~)"), "deny: rm -rf *");
    assert_eq!(rule("echo `curl x`"), "no command rule");
    assert_eq!(
        rule("echo \"$(git status)\""),
        "allow: git status; allow: echo *"
    );
    // Unquoted, an empty output leaves a bare `echo`, which `echo *` does not allow.
    assert_eq!(rule("echo $(git status)"), "no command rule");
}

#[test]
fn wrappers_are_looked_through() {
    assert_eq!(rule("bash -c \"curl x\""), "no command rule");
    assert_eq!(rule("sh -c 'git status'"), "allow: git status");
    assert_eq!(
        rule("/bin/bash -ec 'git status; true'"),
        "allow: git status; allow: true"
    );
    assert_eq!(rule("eval \"rm -rf /\""), "deny: rm -rf *");
    assert_eq!(rule("eval git status"), "allow: git status");
    assert_eq!(rule("bash -c \"bash -c 'eval curl x'\""), "no command rule");
    assert_eq!(rule("bash -c \"$SCRIPT\""), "shell: wrapper");
    assert_eq!(rule("eval $X"), "shell: wrapper");
    assert_eq!(rule("bash -o pipefail -c 'curl x'"), "shell: wrapper");
    assert_eq!(rule("bash -c"), "shell: wrapper");
    assert_eq!(rule("sh script.sh"), "no command rule");
    let nested = format!("{}true{}", "eval ".repeat(3), "");
    assert_eq!(rule(&nested), "allow: true");
}

#[test]
fn wrapper_depth_is_limited() {
    assert_eq!(rule(&format!("{}true", "eval ".repeat(8))), "allow: true");
    assert_eq!(
        rule(&format!("{}true", "eval ".repeat(9))),
        "shell: wrapper"
    );
    assert_eq!(rule("sh -c \"sh -c 'sh -c true'\""), "allow: true");
}

#[test]
fn dynamic_command_names_are_denied() {
    assert_eq!(rule("$CMD"), "shell: dynamic command name");
    assert_eq!(rule("$(echo curl) x"), "shell: dynamic command name");
    assert_eq!(rule("/usr/bin/cu* x"), "shell: dynamic command name");
}

#[test]
fn assignments_are_set_aside_but_only_listed_names_allowed() {
    assert_eq!(rule("CI=1 git status"), "allow: git status");
    assert_eq!(rule("CI=1"), "assignment only");
    assert_eq!(rule("> out/x"), "redirection only; write: out/**");
    for text in [
        "FOO=1 git status",
        "FOO=1",
        "PATH=./bin git status",
        "PATH=./bin; git status",
        "LD_PRELOAD=x.so git status",
        "GIT_SSH_COMMAND=x git status",
        "XDG_CONFIG_HOME=deploy git status",
        "KUBECONFIG=k git status",
        "GIT_CONFIG_GLOBAL=g git status",
        "BASH_ENV=x bash -c 'git status'",
        "env XDG_CONFIG_HOME=deploy git status",
        "env PATH=. git status",
        "export PATH=/tmp",
        "export $X CI=1",
        "export XDG_CONFIG_HOME=x",
        "CI=$X git status",
        "LANG=/tmp git status",
    ] {
        assert_eq!(rule(text), "shell: variable not allowed", "{text}");
    }
    assert_eq!(rule("env CI=1 git status"), "allow: git status");
    assert_eq!(rule("env -i git status"), "shell: env option");
    assert_eq!(rule("export CI=1"), "allow: export *");
}

#[test]
fn redirections_follow_the_path_rules() {
    assert_eq!(
        rule("git status > out/s.txt"),
        "allow: git status; write: out/**"
    );
    assert_eq!(rule("git status > AUDIT_LOG.md"), "no write rule");
    assert_eq!(rule("git status 2>&1"), "allow: git status");
    assert_eq!(rule("git status > /dev/null 2>&1"), "allow: git status");
    assert_eq!(
        rule("git status < input.txt"),
        "allow: git status; read: **"
    );
    assert_eq!(rule("git status > $FILE"), "shell: dynamic redirection");
    assert_eq!(rule("(git status) > x"), "no write rule");
    let reason = match decide("git status >> x.md") {
        Decision::Deny { reason, .. } => reason,
        other => panic!("{other:?}"),
    };
    assert!(reason.starts_with("redirection `>> x.md`"), "{reason}");
}

#[test]
fn redirections_after_cd_are_denied() {
    assert_eq!(
        rule("cd sub && git status > out/x"),
        "shell: redirection after cd"
    );
    assert_eq!(
        rule("cd sub && git status > /dev/null"),
        "allow: cd *; allow: git status"
    );
}

#[test]
fn size_nul_and_empty_limits() {
    let long = format!("echo {}", "a".repeat(MAX_COMMAND_BYTES));
    assert_eq!(rule(&long), "shell: too long");
    assert_eq!(rule("echo a\0b"), "shell: NUL byte");
    assert_eq!(rule("   "), "shell: empty");
    assert_eq!(rule("# only a comment"), "shell: empty");
}

#[test]
fn unsupported_syntax_is_denied_with_the_parser_reason() {
    let decision = decide("cat <<EOF\nx\nEOF");
    assert_eq!(decision.kind(), DecisionKind::Deny);
    assert_eq!(decision.rule(), "shell: unsupported syntax");
    match decision {
        Decision::Deny { reason, .. } => assert!(reason.contains("here-documents")),
        other => panic!("{other:?}"),
    }
}

#[test]
fn unknown_commands_list_what_is_allowed() {
    match decide("curl x") {
        Decision::Deny { reason, .. } => {
            assert!(reason.starts_with("command `curl x` is not allowed for this persona"));
            assert!(reason.contains("git status"));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn empty_patterns_are_errors() {
    let error = CommandRules::new(&PatternRules {
        deny: vec![" ".into()],
        ..PatternRules::default()
    })
    .unwrap_err();
    assert!(error.to_string().contains("commands.deny"));
}

#[test]
fn arbitrary_text_never_panics_and_is_mostly_denied() {
    // A fixed linear congruential sequence: the same inputs on every run.
    const ALPHABET: &[char] = &[
        'a', 'r', 'm', ' ', '-', '$', '(', ')', '`', '\'', '"', '\\', ';', '&', '|', '<', '>', '{',
        '}', '[', ']', '*', '?', '#', '\n', '=', '~', '/', '.', '1', '2', 'P', '!', ',',
    ];
    let rules = rules();
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    let mut allowed = 0;
    for _ in 0..20_000 {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1);
        let length = (state >> 58) as usize + 1;
        let mut text = String::new();
        for _ in 0..length {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1);
            text.push(ALPHABET[(state >> 33) as usize % ALPHABET.len()]);
        }
        if rules.decide(&text, &paths).kind() == DecisionKind::Allow {
            allowed += 1;
        }
    }
    assert!(allowed < 2_000, "{allowed} random lines were allowed");
}
