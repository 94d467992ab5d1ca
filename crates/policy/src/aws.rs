//! `use_aws` rules: `service:Operation` against `aws.deny`, `aws.approve` and `aws.allow`.
//!
//! Owns: validating the call's names and matching them. Services are lower-case AWS CLI names
//! (`ecs`, `cloudwatch`, `s3api`); operations are API names in PascalCase (`UpdateService`).
//! `allow` matches case-sensitively, while `deny` and `approve` also catch any other spelling
//! of the same name, so an odd capitalisation can only make a call stricter. Does not know how
//! the `aws` CLI is invoked.
//!
//! The CLI's own commands that are not AWS services — `configure` (reads and writes the
//! credentials file, prints keys with `export-credentials`), `sso`, `login` and `history` — are
//! matched by `allow` and `approve` only when the pattern names them exactly (`configure:List`,
//! `sso:*`), never by a wildcard service such as `*` or `*:*`.

use agentctl_protocol::{Decision, PatternRules};

use crate::request::deny;
use crate::wildcard::WildcardPattern;
use crate::PolicyError;

/// `aws` subcommands that look like services but act on the CLI, its credentials or its
/// local history.
const CLI_COMMANDS: [&str; 4] = ["configure", "sso", "login", "history"];

#[derive(Debug, Clone)]
pub(crate) struct AwsRules {
    allow: Vec<WildcardPattern>,
    approve: Vec<WildcardPattern>,
    deny: Vec<WildcardPattern>,
}

impl AwsRules {
    pub(crate) fn new(rules: &PatternRules) -> Result<AwsRules, PolicyError> {
        Ok(AwsRules {
            allow: compile("aws.allow", &rules.allow, false)?,
            approve: compile("aws.approve", &rules.approve, true)?,
            deny: compile("aws.deny", &rules.deny, true)?,
        })
    }

    pub(crate) fn decide(&self, service: &str, operation: &str) -> Decision {
        if let Err(reason) = validate(service, operation) {
            return deny("aws: invalid call", reason);
        }
        let call = format!("{service}:{operation}");
        if let Some(pattern) = self.deny.iter().find(|p| p.matches(&call)) {
            return deny(
                format!("deny: {}", pattern.text()),
                format!("AWS call `{call}` matches deny rule `{}`", pattern.text()),
            );
        }
        let names = |pattern: &&WildcardPattern| names_service(pattern, service);
        if let Some(pattern) = self.approve.iter().filter(names).find(|p| p.matches(&call)) {
            return Decision::Approve {
                rule: format!("approve: {}", pattern.text()),
                reason: format!(
                    "AWS call `{call}` matches approve rule `{}`; a human must approve it",
                    pattern.text()
                ),
            };
        }
        if let Some(pattern) = self.allow.iter().filter(names).find(|p| p.matches(&call)) {
            return Decision::Allow {
                rule: format!("allow: {}", pattern.text()),
            };
        }
        let allowed: Vec<&str> = self.allow.iter().map(WildcardPattern::text).collect();
        let hint = if allowed.is_empty() {
            "this persona may not call AWS".to_owned()
        } else {
            format!("allowed: {}", allowed.join(", "))
        };
        deny(
            "no aws rule",
            format!("AWS call `{call}` is not allowed for this persona; {hint}"),
        )
    }
}

/// Whether `pattern` may grant a call to `service`: always for a real service; for one of the
/// CLI's own commands only when the pattern's service part is that exact name.
fn names_service(pattern: &WildcardPattern, service: &str) -> bool {
    if !CLI_COMMANDS.contains(&service) {
        return true;
    }
    pattern
        .text()
        .split_once(':')
        .is_some_and(|(named, _)| named == service)
}

fn compile(
    list: &str,
    patterns: &[String],
    case_insensitive: bool,
) -> Result<Vec<WildcardPattern>, PolicyError> {
    patterns
        .iter()
        .map(|written| {
            let trimmed = written.trim();
            if trimmed != "*" && !trimmed.contains(':') {
                return Err(PolicyError::UnsupportedPattern {
                    list: list.to_owned(),
                    pattern: written.clone(),
                    reason: "AWS patterns look like `service:Operation`, e.g. `ecs:Describe*`"
                        .to_owned(),
                });
            }
            Ok(WildcardPattern::new(trimmed, case_insensitive))
        })
        .collect()
}

fn validate(service: &str, operation: &str) -> Result<(), String> {
    let service_ok = !service.is_empty()
        && service
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !service_ok {
        return Err(format!(
            "`{service}` is not an AWS service name; use the lower-case CLI name such as `ecs`"
        ));
    }
    let operation_ok = operation.starts_with(|c: char| c.is_ascii_uppercase())
        && operation.chars().all(|c| c.is_ascii_alphanumeric());
    if !operation_ok {
        return Err(format!(
            "`{operation}` is not an AWS operation name; use the API name in PascalCase such as `DescribeServices`"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use agentctl_protocol::DecisionKind;

    fn rules() -> AwsRules {
        AwsRules::new(&PatternRules {
            allow: vec!["ecs:*".into(), "cloudwatch:GetMetricData".into()],
            approve: vec!["ecs:UpdateService".into()],
            deny: vec!["iam:*".into(), "ecs:Delete*".into()],
        })
        .unwrap()
    }

    #[test]
    fn deny_beats_approve_beats_allow() {
        let rules = rules();
        assert_eq!(
            rules.decide("ecs", "DeleteService").rule(),
            "deny: ecs:Delete*"
        );
        assert_eq!(
            rules.decide("ecs", "UpdateService").rule(),
            "approve: ecs:UpdateService"
        );
        assert_eq!(rules.decide("ecs", "ListTasks").rule(), "allow: ecs:*");
        assert_eq!(rules.decide("s3", "ListBuckets").rule(), "no aws rule");
    }

    #[test]
    fn other_spellings_cannot_dodge_approval() {
        let rules = rules();
        // PascalCase with odd capitals still hits the approve rule.
        assert_eq!(
            rules.decide("ecs", "UPDATESERVICE").kind(),
            DecisionKind::Approve
        );
        assert_eq!(
            rules.decide("ecs", "updateService").rule(),
            "aws: invalid call"
        );
        assert_eq!(
            rules.decide("ecs", "update-service").rule(),
            "aws: invalid call"
        );
        assert_eq!(rules.decide("ECS", "ListTasks").rule(), "aws: invalid call");
        assert_eq!(rules.decide("ecs", "List*").rule(), "aws: invalid call");
    }

    #[test]
    fn allow_is_case_sensitive() {
        let rules = rules();
        assert_eq!(
            rules.decide("cloudwatch", "GetMetricDATA").rule(),
            "no aws rule"
        );
    }

    #[test]
    fn cli_commands_are_not_services_unless_named() {
        let everything = AwsRules::new(&PatternRules {
            allow: vec!["*".into(), "*:*".into(), "c*:*".into()],
            ..PatternRules::default()
        })
        .unwrap();
        for service in CLI_COMMANDS {
            assert_eq!(
                everything.decide(service, "ExportCredentials").rule(),
                "no aws rule",
                "{service}"
            );
        }
        assert_eq!(everything.decide("ecs", "ListTasks").rule(), "allow: *");
        let named = AwsRules::new(&PatternRules {
            allow: vec!["configure:List".into()],
            approve: vec!["sso:*".into()],
            ..PatternRules::default()
        })
        .unwrap();
        assert_eq!(
            named.decide("configure", "List").rule(),
            "allow: configure:List"
        );
        assert_eq!(named.decide("sso", "Login").kind(), DecisionKind::Approve);
        assert_eq!(named.decide("configure", "Set").rule(), "no aws rule");
    }

    #[test]
    fn malformed_patterns_are_errors() {
        let error = AwsRules::new(&PatternRules {
            allow: vec!["DescribeServices".into()],
            ..PatternRules::default()
        })
        .unwrap_err();
        assert!(error.to_string().contains("aws.allow"));
    }
}
