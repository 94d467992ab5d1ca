//! `[personas.NAME]` overlays from `agentctl.toml`: what a persona's own style cannot say.
//!
//! Owns: the overlay's shape ([`PersonaOverlay`], strict: unknown keys are errors), the handoff
//! entry shape shared with canonical front matter ([`HandoffSpec`]), and [`apply`], which
//! replaces each field the overlay gives and records where it came from.
//!
//! Does not know about: where the overlay was read from (config discovery is the config crate's
//! job) or which personas exist (the library reports overlays naming no persona).

use std::fmt;
use std::path::PathBuf;

use agentctl_protocol::{Gate, McpRules, PatternRules, ToolName};
use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};

use crate::formats::context_ref_from_text;
use crate::model::{HandoffContext, HandoffTarget, Limits, Origin, Persona, SandboxNeeds};

/// One `[personas.NAME]` table. Every field is optional; a given field replaces the persona's
/// value (for `limits`, each given limit replaces that limit).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PersonaOverlay {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// E.g. `"[DEVOPS]"`, so handoffs written as `DevOps [DEVOPS]` resolve to this persona.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefix: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tools: Option<Vec<ToolName>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub write: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deny: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commands: Option<PatternRules>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aws: Option<PatternRules>,
    /// `server:tool` rules for MCP tools.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mcp: Option<McpRules>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handoffs: Option<Vec<HandoffSpec>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reports: Option<Vec<Gate>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stages: Option<Vec<Gate>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limits: Option<Limits>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// What the OS sandbox allows the persona's processes: `{ network = true, env = [...] }`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sandbox: Option<SandboxNeeds>,
    /// Context files; a trailing ` (if exists)` or ` (optional)` marks one optional.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<Vec<String>>,
    /// The 1-based line of the `[personas.NAME]` table in agentctl.toml, when the reader of
    /// that file knows it; diagnostics and origins point there. Never read from the table.
    #[serde(skip)]
    pub line: Option<usize>,
}

impl PersonaOverlay {
    /// Whether the overlay sets any permission field.
    pub fn declares_permissions(&self) -> bool {
        self.tools.is_some()
            || self.read.is_some()
            || self.write.is_some()
            || self.deny.is_some()
            || self.commands.is_some()
            || self.aws.is_some()
            || self.mcp.is_some()
    }
}

/// A handoff entry as written: a bare target name, or `{ to, tools, context }`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum HandoffSpec {
    Name(String),
    Edge(HandoffEdge),
}

/// The long form of a handoff entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HandoffEdge {
    pub to: String,
    /// A ceiling on the tools the target may use when entered through this edge.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tools: Option<Vec<ToolName>>,
    #[serde(default)]
    pub context: HandoffContext,
}

impl HandoffSpec {
    pub fn target(&self) -> &str {
        match self {
            HandoffSpec::Name(name) => name,
            HandoffSpec::Edge(edge) => &edge.to,
        }
    }

    /// The unresolved edge this entry describes.
    pub fn to_handoff_target(&self) -> HandoffTarget {
        match self {
            HandoffSpec::Name(name) => HandoffTarget {
                written: name.trim().to_owned(),
                resolved: None,
                tools: None,
                context: HandoffContext::Packet,
                items: Vec::new(),
            },
            HandoffSpec::Edge(edge) => HandoffTarget {
                written: edge.to.trim().to_owned(),
                resolved: None,
                tools: edge.tools.clone(),
                context: edge.context,
                items: Vec::new(),
            },
        }
    }
}

// Hand-written rather than `#[serde(untagged)]` so that a mistake inside the long form (an
// unknown tool, a misspelt key) reports that mistake instead of "did not match any variant".
impl<'de> Deserialize<'de> for HandoffSpec {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct SpecVisitor;

        impl<'de> Visitor<'de> for SpecVisitor {
            type Value = HandoffSpec;

            fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
                formatter.write_str("a persona name or a table { to, tools, context }")
            }

            fn visit_str<E: de::Error>(self, value: &str) -> Result<HandoffSpec, E> {
                Ok(HandoffSpec::Name(value.to_owned()))
            }

            fn visit_map<M: MapAccess<'de>>(self, map: M) -> Result<HandoffSpec, M::Error> {
                HandoffEdge::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(HandoffSpec::Edge)
            }
        }

        deserializer.deserialize_any(SpecVisitor)
    }
}

/// The file overlays come from, as shown in origins.
const OVERLAY_FILE: &str = "agentctl.toml";

/// Replaces each field `overlay` gives and records `origin_label` (e.g.
/// `[personas.ops-devops] overlay`) as its origin. Setting any permission field marks the
/// persona's permissions as declared.
pub fn apply(persona: &mut Persona, overlay: &PersonaOverlay, origin_label: &str) {
    let record = |persona: &mut Persona, field: &str| {
        persona.origins.insert(
            field.to_owned(),
            Origin {
                path: PathBuf::from(OVERLAY_FILE),
                line: overlay.line,
                how: origin_label.to_owned(),
            },
        );
    };

    if let Some(description) = &overlay.description {
        persona.description = Some(description.clone());
        record(persona, "description");
    }
    if let Some(role) = &overlay.role {
        persona.role = Some(role.clone());
        record(persona, "role");
    }
    if let Some(prefix) = &overlay.prefix {
        persona.prefix = Some(prefix.clone());
        record(persona, "prefix");
    }
    if let Some(model) = &overlay.model {
        persona.model = Some(model.clone());
        record(persona, "model");
    }
    if let Some(stages) = &overlay.stages {
        persona.stages = sorted_gates(stages);
        record(persona, "stages");
    }
    if let Some(reports) = &overlay.reports {
        persona.reports = sorted_gates(reports);
        record(persona, "reports");
    }
    if let Some(tools) = &overlay.tools {
        persona.permissions.tools = tools.clone();
        record(persona, "permissions.tools");
    }
    if let Some(read) = &overlay.read {
        persona.permissions.read = read.clone();
        record(persona, "permissions.read");
    }
    if let Some(write) = &overlay.write {
        persona.permissions.write = write.clone();
        record(persona, "permissions.write");
    }
    if let Some(deny) = &overlay.deny {
        persona.permissions.deny = deny.clone();
        record(persona, "permissions.deny");
    }
    if let Some(commands) = &overlay.commands {
        persona.permissions.commands = commands.clone();
        record(persona, "permissions.commands");
    }
    if let Some(aws) = &overlay.aws {
        persona.permissions.aws = aws.clone();
        record(persona, "permissions.aws");
    }
    if let Some(mcp) = &overlay.mcp {
        persona.permissions.mcp = mcp.clone();
        record(persona, "permissions.mcp");
    }
    if overlay.declares_permissions() {
        persona.permissions_declared = true;
        persona.origins.remove("permissions");
    }
    if let Some(handoffs) = &overlay.handoffs {
        persona.handoffs = handoffs
            .iter()
            .map(HandoffSpec::to_handoff_target)
            .collect();
        persona
            .origins
            .retain(|field, _| !field.starts_with("handoffs."));
        record(persona, "handoffs");
        for handoff in persona.handoffs.clone() {
            record(persona, &format!("handoffs.{}", handoff.written));
        }
    }
    if let Some(context) = &overlay.context {
        persona.context = context
            .iter()
            .map(|entry| context_ref_from_text(entry))
            .collect();
        record(persona, "context");
    }
    if let Some(limits) = &overlay.limits {
        merge_limits(&mut persona.limits, limits);
        record(persona, "limits");
    }
    if let Some(sandbox) = &overlay.sandbox {
        persona.sandbox = sandbox.clone();
        record(persona, "sandbox");
    }
}

fn merge_limits(limits: &mut Limits, overlay: &Limits) {
    if overlay.max_turns.is_some() {
        limits.max_turns = overlay.max_turns;
    }
    if overlay.max_handoffs.is_some() {
        limits.max_handoffs = overlay.max_handoffs;
    }
    if overlay.token_budget.is_some() {
        limits.token_budget = overlay.token_budget;
    }
    if overlay.max_denials.is_some() {
        limits.max_denials = overlay.max_denials;
    }
}

fn sorted_gates(gates: &[Gate]) -> Vec<Gate> {
    let mut gates = gates.to_vec();
    gates.sort();
    gates.dedup();
    gates
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::new_persona;
    use crate::model::{PersonaKind, SourceFormat};
    use agentctl_protocol::Permissions;

    fn persona() -> Persona {
        new_persona(
            "ops-devops",
            PersonaKind::Persona,
            SourceFormat::SwarmPersona,
            "personas/ops.md".into(),
            String::new(),
            1,
        )
    }

    #[test]
    fn handoff_entries_take_both_shapes() {
        let overlay: PersonaOverlay = serde_json::from_str(
            r#"{"handoffs": ["release-manager", {"to": "qa-engineer", "tools": ["fs_read"], "context": "full"}]}"#,
        )
        .unwrap();
        let handoffs = overlay.handoffs.unwrap();
        assert_eq!(handoffs[0], HandoffSpec::Name("release-manager".into()));
        assert_eq!(
            handoffs[1],
            HandoffSpec::Edge(HandoffEdge {
                to: "qa-engineer".into(),
                tools: Some(vec![ToolName::FsRead]),
                context: HandoffContext::Full,
            })
        );
    }

    #[test]
    fn reads_the_documented_toml_table() {
        let table = r#"
tools = ["fs_read", "fs_list", "fs_write", "execute_bash"]
read = ["**"]
write = ["infra/**", "deploy/**"]
deny = [".env"]
commands = { allow = ["git status"], approve = ["terraform apply *"], deny = ["rm -rf *"] }
aws = { allow = ["ecs:Describe*"], approve = ["ecs:UpdateService"] }
handoffs = ["release-manager", { to = "qa-engineer", tools = ["fs_read"], context = "full" }]
reports = ["S06"]
stages = ["S09", "S10"]
limits = { max_turns = 20 }
sandbox = { network = true, env = ["KUBECONFIG"] }
model = "gpt-4.1-mini"
context = ["contexts/technical_context.md"]
"#;
        let overlay: PersonaOverlay = toml::from_str(table).unwrap();
        assert_eq!(overlay.stages, Some(vec![Gate::S09, Gate::S10]));
        let sandbox = overlay.sandbox.clone().unwrap();
        assert!(sandbox.network);
        assert_eq!(sandbox.env, vec!["KUBECONFIG".to_owned()]);
        assert_eq!(
            overlay.handoffs.as_ref().unwrap()[1].target(),
            "qa-engineer"
        );
        assert_eq!(overlay.commands.unwrap().deny, vec!["rm -rf *".to_owned()]);
        let error = toml::from_str::<PersonaOverlay>("tools = [\"fs_raed\"]").unwrap_err();
        assert!(error.to_string().contains("fs_raed"), "{error}");
    }

    #[test]
    fn a_mistake_inside_a_handoff_edge_is_named() {
        let error = serde_json::from_str::<PersonaOverlay>(
            r#"{"handoffs": [{"to": "qa", "tols": ["fs_read"]}]}"#,
        )
        .unwrap_err();
        assert!(
            error.to_string().contains("unknown field `tols`"),
            "{error}"
        );
    }

    #[test]
    fn unknown_overlay_keys_are_rejected() {
        let error = serde_json::from_str::<PersonaOverlay>(r#"{"writes": ["x/**"]}"#).unwrap_err();
        assert!(
            error.to_string().contains("unknown field `writes`"),
            "{error}"
        );
    }

    #[test]
    fn apply_replaces_given_fields_and_records_origins() {
        let mut persona = persona();
        let overlay = PersonaOverlay {
            tools: Some(vec![ToolName::FsRead, ToolName::FsWrite]),
            write: Some(vec!["infra/**".into()]),
            stages: Some(vec![Gate::S10, Gate::S09]),
            limits: Some(Limits {
                max_turns: Some(20),
                ..Limits::default()
            }),
            context: Some(vec!["AGENTS.md (if exists)".into()]),
            ..PersonaOverlay::default()
        };
        persona.limits.token_budget = Some(1000);
        apply(&mut persona, &overlay, "[personas.ops-devops] overlay");

        assert!(persona.permissions_declared);
        assert_eq!(
            persona.permissions.tools,
            vec![ToolName::FsRead, ToolName::FsWrite]
        );
        assert_eq!(persona.permissions.write, vec!["infra/**".to_owned()]);
        assert_eq!(persona.permissions.read, Permissions::default().read);
        assert_eq!(persona.stages, vec![Gate::S09, Gate::S10]);
        assert_eq!(persona.limits.max_turns, Some(20));
        assert_eq!(persona.limits.token_budget, Some(1000));
        assert_eq!(persona.context[0].path, "AGENTS.md");
        assert!(persona.context[0].optional);
        let origin = &persona.origins["permissions.write"];
        assert_eq!(origin.how, "[personas.ops-devops] overlay");
        assert_eq!(origin.path, PathBuf::from("agentctl.toml"));
        assert!(!persona.origins.contains_key("permissions"));
        assert!(!persona.origins.contains_key("permissions.aws"));
    }

    #[test]
    fn an_overlay_without_permission_fields_keeps_the_default() {
        let mut persona = persona();
        let overlay = PersonaOverlay {
            model: Some("gpt-4.1-mini".into()),
            ..PersonaOverlay::default()
        };
        apply(&mut persona, &overlay, "[personas.ops-devops] overlay");
        assert!(!persona.permissions_declared);
        assert_eq!(persona.permissions, Permissions::default());
        assert_eq!(persona.model.as_deref(), Some("gpt-4.1-mini"));
    }
}
