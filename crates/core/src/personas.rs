//! How a persona becomes an acting agent: its tools under an edge's ceiling, its policy
//! engine, the tool schemas the model is offered, and its effective limits.

use agentctl_config::{Config, RunLimits};
use agentctl_llm::ToolSpec;
use agentctl_persona::Persona;
use agentctl_policy::{PolicyEngine, PolicySpec};
use agentctl_protocol::{Gate, ToolName};
use serde_json::Value;

use crate::CoreError;

/// The persona with its tools cut down to `ceiling` (a handoff edge's limit). Nothing is ever
/// added: a ceiling only removes.
pub fn with_ceiling(mut persona: Persona, ceiling: Option<&[ToolName]>) -> Persona {
    if let Some(ceiling) = ceiling {
        persona
            .permissions
            .tools
            .retain(|tool| ceiling.contains(tool));
        if !ceiling.contains(&ToolName::Handoff) {
            persona.handoffs.clear();
        }
        if !ceiling.contains(&ToolName::GateReport) {
            persona.reports.clear();
        }
        // A ceiling names built-in tools only: nothing from an MCP server passes through one.
        persona.permissions.mcp = agentctl_protocol::McpRules::default();
    }
    persona
}

/// The policy engine for an active persona.
pub fn policy_for(config: &Config, persona: &Persona) -> Result<PolicyEngine, CoreError> {
    PolicyEngine::new(PolicySpec {
        permissions: persona.permissions.clone(),
        workspace: config.paths.workspace.clone(),
        protected: config.protected_globs_for(&persona.name),
        guarded: if config.open_to_agents.tasks_open_to(&persona.name) {
            config.task_globs()
        } else {
            Vec::new()
        },
        handoff_targets: persona
            .handoffs
            .iter()
            .map(|target| target.name().to_owned())
            .collect(),
        reports: persona.reports.clone(),
    })
    .map_err(|error| pattern_error(persona, &error))
}

/// The policy engine for a persona with every path list's set built now, as `agentctl lint`
/// checks it (a run builds each set on its first use).
pub fn checked_policy_for(config: &Config, persona: &Persona) -> Result<PolicyEngine, CoreError> {
    let engine = policy_for(config, persona)?;
    engine
        .compile_all()
        .map_err(|error| pattern_error(persona, &error))?;
    Ok(engine)
}

fn pattern_error(persona: &Persona, error: &agentctl_policy::PolicyError) -> CoreError {
    CoreError::Input(vec![agentctl_protocol::Diagnostic::error(
        &persona.source,
        None,
        error.to_string(),
    )
    .with_hint("fix the persona's patterns; `agentctl lint` checks them all")])
}

/// The tool schemas offered to the model: exactly the persona's tools, with `handoff.to`
/// limited to its targets and `gate_report.gate` to the gates it may report.
pub fn tool_specs(persona: &Persona) -> Vec<ToolSpec> {
    let offered = persona.offered_tools();
    agentctl_tools::tool_specs()
        .into_iter()
        .filter(|(tool, _, _)| offered.contains(tool))
        .map(|(tool, description, mut parameters)| {
            match tool {
                ToolName::Handoff => {
                    let targets: Vec<Value> = persona
                        .handoffs
                        .iter()
                        .map(|target| Value::from(target.name()))
                        .collect();
                    set_enum(&mut parameters, "to", targets);
                }
                ToolName::GateReport => {
                    let gates: Vec<Value> = persona
                        .reports
                        .iter()
                        .filter(|gate| matches!(gate, Gate::S06 | Gate::S07))
                        .map(|gate| Value::from(gate.as_str()))
                        .collect();
                    set_enum(&mut parameters, "gate", gates);
                }
                _ => {}
            }
            ToolSpec {
                name: tool.as_str().to_owned(),
                description: description.to_owned(),
                parameters,
            }
        })
        .collect()
}

fn set_enum(schema: &mut Value, property: &str, values: Vec<Value>) {
    if let Some(slot) = schema
        .get_mut("properties")
        .and_then(|properties| properties.get_mut(property))
    {
        if let Some(object) = slot.as_object_mut() {
            object.insert("enum".to_owned(), Value::Array(values));
        }
    }
}

/// Run limits: the configuration's, lowered by the persona's own `limits`.
pub fn effective_limits(config: &Config, persona: Option<&Persona>) -> RunLimits {
    let mut limits = config.limits;
    if let Some(own) = persona.map(|persona| &persona.limits) {
        if let Some(value) = own.max_turns {
            limits.max_turns = limits.max_turns.min(value);
        }
        if let Some(value) = own.max_handoffs {
            limits.max_handoffs = limits.max_handoffs.min(value);
        }
        if let Some(value) = own.token_budget {
            limits.token_budget = limits.token_budget.min(value);
        }
        if let Some(value) = own.max_denials {
            limits.max_denials = limits.max_denials.min(value);
        }
    }
    limits
}
