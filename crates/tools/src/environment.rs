//! The environment a child process (bash or the AWS CLI) starts with.
//!
//! Owns: the allowlist of variables passed through, the names a persona adds to it, the
//! secret-name patterns that remove them again, and the variables that point every program's
//! home, temporary and configuration directories at the call's private scratch directory.
//! Child processes start from an empty environment, so anything not named here — API keys,
//! tokens, cloud credentials, `GIT_CONFIG_*`, `KUBECONFIG` and other config pointers — never
//! reaches them. Does not know how the process is spawned or what it runs.

use std::ffi::OsString;
use std::path::Path;

/// The only variables a child process may inherit (besides the names its persona adds).
const PASSED_THROUGH: [&str; 6] = ["PATH", "LANG", "LC_ALL", "TERM", "USER", "TZ"];

/// Set to the call's scratch directory, so no program reads or writes the user's own home,
/// temporary or configuration directories (git, ssh, kubectl, cloud CLIs and most other tools
/// find their configuration through these).
pub(crate) const POINTED_AT_SCRATCH: [&str; 7] = [
    "HOME",
    "TMPDIR",
    "XDG_CONFIG_HOME",
    "XDG_CACHE_HOME",
    "XDG_DATA_HOME",
    "XDG_STATE_HOME",
    "XDG_RUNTIME_DIR",
];

/// Kept for the AWS CLI only: they choose a profile and a region, and the credentials then come
/// from that profile or the instance role, never from the agent's own environment.
const AWS_SELECTORS: [&str; 3] = ["AWS_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION"];

/// A variable whose name contains one of these (any case) is treated as a secret.
const SECRET_FRAGMENTS: [&str; 5] = ["KEY", "TOKEN", "SECRET", "PASSWORD", "CREDENTIAL"];

/// A variable whose name starts with one of these (any case) belongs to a provider SDK.
const SECRET_PREFIXES: [&str; 3] = ["AWS_", "OPENAI_", "ANTHROPIC_"];

/// Which child the environment is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ChildKind {
    Shell,
    AwsCli,
}

/// Builds the child's whole environment. `lookup` reads a variable of the parent process;
/// `persona_names` are the further names the persona asked for (its `sandbox.env`);
/// `extra_denylist` holds further name fragments to strip; `scratch`, when given, becomes
/// `HOME`, `TMPDIR` and the `XDG_*` directories, which no persona name can override.
pub(crate) fn child_environment(
    kind: ChildKind,
    extra_denylist: &[String],
    persona_names: &[String],
    scratch: Option<&Path>,
    lookup: impl Fn(&str) -> Option<OsString>,
) -> Vec<(String, OsString)> {
    let aws_selectors: &[&str] = match kind {
        ChildKind::Shell => &[],
        ChildKind::AwsCli => &AWS_SELECTORS,
    };
    let mut names: Vec<&str> = PASSED_THROUGH
        .iter()
        .chain(aws_selectors)
        .copied()
        .collect();
    for name in persona_names {
        if !names.contains(&name.as_str()) {
            names.push(name);
        }
    }
    let mut environment: Vec<(String, OsString)> = names
        .into_iter()
        .filter(|name| !POINTED_AT_SCRATCH.contains(name))
        .filter(|name| {
            let exempt_prefix = aws_selectors.contains(name);
            !looks_secret(name, exempt_prefix) && !matches_denylist(name, extra_denylist)
        })
        .filter_map(|name| lookup(name).map(|value| (name.to_owned(), value)))
        .collect();
    if let Some(scratch) = scratch {
        for name in POINTED_AT_SCRATCH {
            environment.push((name.to_owned(), scratch.as_os_str().to_owned()));
        }
    }
    environment
}

/// Whether a variable name matches the built-in secret patterns. `exempt_prefix` skips the
/// provider-prefix rule for the few AWS selectors that are deliberately passed on.
pub(crate) fn looks_secret(name: &str, exempt_prefix: bool) -> bool {
    let upper = name.to_ascii_uppercase();
    SECRET_FRAGMENTS
        .iter()
        .any(|fragment| upper.contains(fragment))
        || (!exempt_prefix
            && SECRET_PREFIXES
                .iter()
                .any(|prefix| upper.starts_with(prefix)))
}

fn matches_denylist(name: &str, extra_denylist: &[String]) -> bool {
    let upper = name.to_ascii_uppercase();
    extra_denylist
        .iter()
        .filter(|fragment| !fragment.is_empty())
        .any(|fragment| upper.contains(&fragment.to_ascii_uppercase()))
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn parent() -> HashMap<&'static str, &'static str> {
        HashMap::from([
            ("PATH", "/usr/bin:/bin"),
            ("HOME", "/home/agent"),
            ("TZ", "UTC"),
            ("OPENAI_API_KEY", "sk-test"),
            ("AWS_SECRET_ACCESS_KEY", "secret"),
            ("AWS_PROFILE", "deploy"),
            ("AWS_REGION", "eu-west-1"),
            ("GITHUB_TOKEN", "ghp"),
            ("EDITOR", "vi"),
        ])
    }

    fn names(kind: ChildKind, extra: &[String]) -> Vec<String> {
        let parent = parent();
        child_environment(kind, extra, &[], None, |name| {
            parent.get(name).map(OsString::from)
        })
        .into_iter()
        .map(|(name, _)| name)
        .collect()
    }

    #[test]
    fn shell_gets_only_the_allowlist() {
        assert_eq!(names(ChildKind::Shell, &[]), ["PATH", "TZ"]);
    }

    #[test]
    fn aws_cli_also_gets_profile_and_region() {
        assert_eq!(
            names(ChildKind::AwsCli, &[]),
            ["PATH", "TZ", "AWS_PROFILE", "AWS_REGION"]
        );
    }

    #[test]
    fn extra_denylist_removes_allowlisted_names() {
        assert_eq!(
            names(ChildKind::AwsCli, &["tz".to_owned(), "PROFILE".to_owned()]),
            ["PATH", "AWS_REGION"]
        );
    }

    #[test]
    fn persona_names_are_added_but_secrets_and_home_are_not() {
        let parent = HashMap::from([
            ("PATH", "/usr/bin"),
            ("HOME", "/home/agent"),
            ("KUBECONFIG", "/home/agent/.kube/config"),
            ("GITHUB_TOKEN", "ghp"),
            ("XDG_CONFIG_HOME", "/home/agent/.config"),
        ]);
        let persona = [
            "KUBECONFIG".to_owned(),
            "GITHUB_TOKEN".to_owned(),
            "HOME".to_owned(),
            "XDG_CONFIG_HOME".to_owned(),
        ];
        let environment = child_environment(
            ChildKind::Shell,
            &[],
            &persona,
            Some(Path::new("/scratch/call-1")),
            |name| parent.get(name).map(OsString::from),
        );
        let find = |wanted: &str| {
            environment
                .iter()
                .filter(|(name, _)| name == wanted)
                .map(|(_, value)| value.to_string_lossy().into_owned())
                .collect::<Vec<_>>()
        };
        assert_eq!(find("KUBECONFIG"), ["/home/agent/.kube/config"]);
        assert!(find("GITHUB_TOKEN").is_empty());
        assert_eq!(find("HOME"), ["/scratch/call-1"]);
        assert_eq!(find("XDG_CONFIG_HOME"), ["/scratch/call-1"]);
        assert_eq!(find("TMPDIR"), ["/scratch/call-1"]);
    }

    #[test]
    fn secret_patterns() {
        assert!(looks_secret("MY_API_KEY", false));
        assert!(looks_secret("db_password", false));
        assert!(looks_secret("ANTHROPIC_BASE_URL", false));
        assert!(looks_secret("AWS_REGION", false));
        assert!(!looks_secret("AWS_REGION", true));
        assert!(looks_secret("AWS_SESSION_TOKEN", true));
        assert!(!looks_secret("LANG", false));
    }
}
