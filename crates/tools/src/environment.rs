//! The environment a child process (bash or the AWS CLI) starts with.
//!
//! Owns: the allowlist of variables passed through and the secret-name patterns that remove
//! them again. Child processes start from an empty environment, so anything not named here —
//! API keys, tokens, cloud credentials — never reaches them. Does not know how the process is
//! spawned or what it runs.

use std::ffi::OsString;

/// The only variables a child process may inherit.
const PASSED_THROUGH: [&str; 8] = [
    "PATH", "HOME", "LANG", "LC_ALL", "TERM", "USER", "TZ", "TMPDIR",
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
/// `extra_denylist` holds further name fragments to strip.
pub(crate) fn child_environment(
    kind: ChildKind,
    extra_denylist: &[String],
    lookup: impl Fn(&str) -> Option<OsString>,
) -> Vec<(String, OsString)> {
    let aws_selectors: &[&str] = match kind {
        ChildKind::Shell => &[],
        ChildKind::AwsCli => &AWS_SELECTORS,
    };
    PASSED_THROUGH
        .iter()
        .chain(aws_selectors)
        .filter(|name| {
            let exempt_prefix = aws_selectors.contains(name);
            !looks_secret(name, exempt_prefix) && !matches_denylist(name, extra_denylist)
        })
        .filter_map(|name| lookup(name).map(|value| ((*name).to_owned(), value)))
        .collect()
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
        child_environment(kind, extra, |name| parent.get(name).map(OsString::from))
            .into_iter()
            .map(|(name, _)| name)
            .collect()
    }

    #[test]
    fn shell_gets_only_the_allowlist() {
        assert_eq!(names(ChildKind::Shell, &[]), ["PATH", "HOME", "TZ"]);
    }

    #[test]
    fn aws_cli_also_gets_profile_and_region() {
        assert_eq!(
            names(ChildKind::AwsCli, &[]),
            ["PATH", "HOME", "TZ", "AWS_PROFILE", "AWS_REGION"]
        );
    }

    #[test]
    fn extra_denylist_removes_allowlisted_names() {
        assert_eq!(
            names(ChildKind::AwsCli, &["tz".to_owned(), "PROFILE".to_owned()]),
            ["PATH", "HOME", "AWS_REGION"]
        );
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
