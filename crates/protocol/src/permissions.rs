//! What a persona may do, and the shape of a policy decision about one tool call.

use serde::{Deserialize, Serialize};

use crate::{McpRules, ToolName};

/// `allow`, `approve` and `deny` pattern lists, used for shell commands and for AWS
/// `service:Operation` calls. `*` matches any run of characters.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PatternRules {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allow: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub approve: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deny: Vec<String>,
}

impl PatternRules {
    pub fn is_empty(&self) -> bool {
        self.allow.is_empty() && self.approve.is_empty() && self.deny.is_empty()
    }
}

/// Everything the policy engine needs to know about one persona. The default is the safe
/// default of SPEC §4: read-only (`fs_read`, `fs_list` over everything), no commands, no AWS, no
/// handoffs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Permissions {
    /// The tools the persona was granted, excluding the derived `handoff` and `gate_report`.
    pub tools: Vec<ToolName>,
    /// Workspace-relative gitignore-style globs the persona may read.
    pub read: Vec<String>,
    /// Workspace-relative globs the persona may write.
    pub write: Vec<String>,
    /// Globs no tool may touch, read or write.
    pub deny: Vec<String>,
    /// Shell command rules for `execute_bash`.
    pub commands: PatternRules,
    /// `service:Operation` rules for `use_aws`.
    pub aws: PatternRules,
    /// `server:tool` rules for tools from MCP servers.
    #[serde(default, skip_serializing_if = "McpRules::is_empty")]
    pub mcp: McpRules,
}

impl Default for Permissions {
    fn default() -> Self {
        Permissions {
            tools: vec![ToolName::FsRead, ToolName::FsList],
            read: vec!["**".to_owned()],
            write: Vec::new(),
            deny: Vec::new(),
            commands: PatternRules::default(),
            aws: PatternRules::default(),
            mcp: McpRules::default(),
        }
    }
}

/// How strict a decision is. Ordered so that the strictest wins with `max`: allow < approve <
/// deny.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DecisionKind {
    Allow,
    Approve,
    Deny,
}

/// The one policy decision made for a tool call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "decision", rename_all = "snake_case")]
pub enum Decision {
    /// Run it. `rule` names what allowed it, for the audit log.
    Allow { rule: String },
    /// Stop and ask a human (gate S08) before running it.
    Approve { rule: String, reason: String },
    /// Refuse it; the reason goes back to the model and into the audit log.
    Deny { rule: String, reason: String },
}

impl Decision {
    pub fn kind(&self) -> DecisionKind {
        match self {
            Decision::Allow { .. } => DecisionKind::Allow,
            Decision::Approve { .. } => DecisionKind::Approve,
            Decision::Deny { .. } => DecisionKind::Deny,
        }
    }

    pub fn rule(&self) -> &str {
        match self {
            Decision::Allow { rule }
            | Decision::Approve { rule, .. }
            | Decision::Deny { rule, .. } => rule,
        }
    }

    /// The stricter of two decisions; on a tie, the first.
    pub fn strictest(self, other: Decision) -> Decision {
        if other.kind() > self.kind() {
            other
        } else {
            self
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strictest_decision_wins() {
        let allow = Decision::Allow { rule: "a".into() };
        let approve = Decision::Approve {
            rule: "b".into(),
            reason: "r".into(),
        };
        let deny = Decision::Deny {
            rule: "c".into(),
            reason: "r".into(),
        };
        assert_eq!(allow.clone().strictest(approve.clone()), approve);
        assert_eq!(approve.clone().strictest(deny.clone()), deny);
        assert_eq!(deny.clone().strictest(allow), deny);
    }

    #[test]
    fn default_permissions_are_read_only() {
        let permissions = Permissions::default();
        assert!(permissions.write.is_empty());
        assert!(!permissions.tools.contains(&ToolName::FsWrite));
        assert!(!permissions.tools.contains(&ToolName::ExecuteBash));
        assert!(permissions.commands.is_empty());
    }
}
