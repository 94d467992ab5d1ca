//! `agentctl show PERSONA`: the resolved definition, its effective policy, and where every
//! field came from.

use std::fmt::Write as _;

use clap::Args;
use serde::Serialize;

use agentctl_persona::Persona;

use crate::cli::GlobalArgs;
use crate::commands::{load_config, load_library_for};
use crate::exit::Exit;
use crate::output;

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// Persona or stage command name (see `agentctl personas`).
    pub persona: String,
    /// Print JSON: `{ "persona": {…the persona model…}, "effective_policy": {…} }`.
    #[arg(long)]
    pub json: bool,
}

#[derive(Serialize)]
struct ShowJson<'a> {
    persona: &'a Persona,
    offered_tools: Vec<String>,
    effective_policy: Option<agentctl_policy::EffectivePolicy>,
    /// What the OS sandbox lets the persona's processes do (`mode`, `network`, `env`).
    sandbox: serde_json::Value,
}

pub fn execute(global: &GlobalArgs, args: ShowArgs) -> Exit {
    let config = match load_config(global, &Default::default()) {
        Ok(config) => config,
        Err(exit) => return exit,
    };
    let library = match load_library_for(&config, &args.persona) {
        Ok(library) => library,
        Err(exit) => return exit,
    };
    let Some(persona) = library.get(&args.persona) else {
        let known = library.iter().map(|persona| persona.name.as_str());
        output::diagnostics(&[agentctl_persona::unknown_persona(&args.persona, known)]);
        return Exit::BadInput;
    };
    // A stage command acts with its active role's permissions.
    let acting = persona
        .command
        .as_ref()
        .and_then(|spec| spec.resolved_role.as_deref())
        .and_then(|role| library.get(role))
        .unwrap_or(persona);
    let policy = match agentctl_core::personas::policy_for(&config, acting) {
        Ok(engine) => Some(engine.describe()),
        Err(agentctl_core::CoreError::Input(diagnostics)) => {
            output::diagnostics(&diagnostics);
            None
        }
        Err(error) => {
            output::error(&error.to_string(), None);
            None
        }
    };
    let offered: Vec<String> = acting
        .offered_tools()
        .iter()
        .map(ToString::to_string)
        .collect();
    let sandbox = agentctl_core::sandbox_scope::summary(&config, acting);
    if args.json {
        output::json(&ShowJson {
            persona,
            offered_tools: offered,
            effective_policy: policy,
            sandbox,
        });
        return Exit::Success;
    }
    let mut text = render(
        persona,
        acting,
        &offered,
        policy.as_ref(),
        &config.paths.root,
    );
    text.push_str(&render_sandbox(&sandbox));
    output::stdout(&text);
    Exit::Success
}

fn render(
    persona: &Persona,
    acting: &Persona,
    offered: &[String],
    policy: Option<&agentctl_policy::EffectivePolicy>,
    root: &std::path::Path,
) -> String {
    let mut text = String::new();
    let source = persona.source.strip_prefix(root).unwrap_or(&persona.source);
    let _ = writeln!(
        text,
        "{} ({:?}, {} format)",
        persona.name,
        persona.kind,
        persona.format.as_str()
    );
    let _ = writeln!(text, "  source:       {}", source.display());
    let field = |text: &mut String, label: &str, value: Option<String>| {
        if let Some(value) = value.filter(|value| !value.is_empty()) {
            let _ = writeln!(text, "  {label:<13} {value}");
        }
    };
    field(&mut text, "description:", persona.description.clone());
    field(&mut text, "role:", persona.role.clone());
    field(&mut text, "prefix:", persona.prefix.clone());
    field(&mut text, "model:", persona.model.clone());
    field(
        &mut text,
        "stages:",
        Some(
            persona
                .stages
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", "),
        ),
    );
    field(
        &mut text,
        "reports:",
        Some(
            persona
                .reports
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", "),
        ),
    );
    if let Some(spec) = &persona.command {
        let _ = writeln!(
            text,
            "  runs as:      {} (written `{}`)",
            spec.resolved_role.as_deref().unwrap_or("?"),
            spec.active_role.as_deref().unwrap_or("")
        );
        for param in &spec.params {
            let _ = writeln!(
                text,
                "  param:        {}{}{}{}",
                param.name,
                if param.required { " (required)" } else { "" },
                param
                    .default
                    .as_deref()
                    .map(|default| format!(" = {default}"))
                    .unwrap_or_default(),
                param
                    .description
                    .as_deref()
                    .map(|description| format!(" — {description}"))
                    .unwrap_or_default()
            );
        }
        for (name, value) in &spec.production_when {
            let _ = writeln!(text, "  production:   when {name}={value} (needs S08)");
        }
    }
    let _ = writeln!(
        text,
        "\nTools offered{}: {}",
        if acting.name == persona.name {
            String::new()
        } else {
            format!(" (as {})", acting.name)
        },
        if offered.is_empty() {
            "none".to_owned()
        } else {
            offered.join(", ")
        }
    );
    if !acting.permissions_declared {
        let _ = writeln!(text, "  (no permissions declared: the safe default, read-only with no commands and no handoffs)");
    }
    if !acting.handoffs.is_empty() {
        let _ = writeln!(text, "\nHandoffs:");
        for target in &acting.handoffs {
            let ceiling = target
                .tools
                .as_ref()
                .map(|tools| {
                    format!(
                        " (tools at most: {})",
                        tools
                            .iter()
                            .map(ToString::to_string)
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                })
                .unwrap_or_default();
            let _ = writeln!(
                text,
                "  → {} (written `{}`){ceiling}",
                target.name(),
                target.written
            );
        }
    }
    if !persona.context.is_empty() {
        let _ = writeln!(text, "\nContext on activation:");
        for reference in &persona.context {
            let _ = writeln!(
                text,
                "  {}{}",
                reference.path,
                if reference.optional {
                    " (optional)"
                } else {
                    ""
                }
            );
        }
    }
    if let Some(policy) = policy {
        let _ = writeln!(text, "\nEffective policy:");
        text.push_str(&render_policy(policy, crate::table::terminal_width()));
    }
    if !persona.mcp_servers.is_empty() {
        let _ = writeln!(
            text,
            "\nMCP servers this file declares (started on the persona's first need):"
        );
        for (name, server) in &persona.mcp_servers {
            let how = match (&server.command, &server.url) {
                (Some(command), _) => std::iter::once(command.as_str())
                    .chain(server.args.iter().map(String::as_str))
                    .collect::<Vec<_>>()
                    .join(" "),
                (None, Some(url)) => url.clone(),
                (None, None) => "-".to_owned(),
            };
            let _ = writeln!(text, "  {name}: {how}");
        }
    }
    if !persona.metadata.is_empty() {
        let _ = writeln!(text, "\nKept from the source:");
        for (key, value) in &persona.metadata {
            let rendered = match value {
                serde_json::Value::String(text) => text.clone(),
                serde_json::Value::Array(items) => items
                    .iter()
                    .map(|item| {
                        item.as_str()
                            .map(str::to_owned)
                            .unwrap_or_else(|| item.to_string())
                    })
                    .collect::<Vec<_>>()
                    .join("; "),
                other => other.to_string(),
            };
            let _ = writeln!(text, "  {key}: {rendered}");
        }
    }
    if !persona.origins.is_empty() {
        let _ = writeln!(text, "\nOrigins:");
        for (field, origin) in &persona.origins {
            let path = origin.path.strip_prefix(root).unwrap_or(&origin.path);
            let line = origin
                .line
                .map(|line| format!(":{line}"))
                .unwrap_or_default();
            let _ = writeln!(
                text,
                "  {field:<24} {}{line} ({})",
                path.display(),
                origin.how
            );
        }
    }
    text
}

/// The effective policy as `label  value` rows (lists joined with `, `; pattern rules as
/// `allow: …`, `approve: …`, `deny: …`), indented under its heading. `show --json` has the
/// same data as JSON.
fn render_policy(policy: &agentctl_policy::EffectivePolicy, width: Option<u16>) -> String {
    let list = |items: &[String]| {
        if items.is_empty() {
            "none".to_owned()
        } else {
            items.join(", ")
        }
    };
    let rules = |rules: &agentctl_protocol::PatternRules| {
        if rules.is_empty() {
            return "none (every call denied)".to_owned();
        }
        let mut parts = Vec::new();
        for (label, patterns) in [
            ("allow", &rules.allow),
            ("approve", &rules.approve),
            ("deny", &rules.deny),
        ] {
            if !patterns.is_empty() {
                parts.push(format!("{label}: {}", patterns.join(", ")));
            }
        }
        parts.join("; ")
    };
    let tools: Vec<String> = policy.tools.iter().map(ToString::to_string).collect();
    let reports: Vec<String> = policy.reports.iter().map(ToString::to_string).collect();
    let rows = [
        ("tools", list(&tools)),
        ("read", list(&policy.read)),
        ("write", list(&policy.write)),
        ("deny", list(&policy.deny)),
        ("never written", list(&policy.protected)),
        ("commands", rules(&policy.commands)),
        ("aws", rules(&policy.aws)),
        ("handoffs to", list(&policy.handoff_targets)),
        ("reports", list(&reports)),
        ("workspace", policy.workspace.display().to_string()),
    ];
    let width = width.map(|width| width.saturating_sub(2));
    let mut table = crate::table::plain(&["", ""], width, &[0]);
    for (label, value) in rows {
        table.add_row(vec![format!("{label}:"), value]);
    }
    // The header row of `plain` is empty here: drop it, and indent the rest.
    crate::table::render(table)
        .lines()
        .skip(1)
        .map(|line| format!("  {line}\n"))
        .collect()
}

/// The sandbox section of `show`.
fn render_sandbox(sandbox: &serde_json::Value) -> String {
    if sandbox["mode"] == "off" {
        return "\nSandbox: OFF ([sandbox] mode = \"off\" in agentctl.toml): commands run with your full rights\n".to_owned();
    }
    let network = if sandbox["network"] == true {
        "on (the persona opted in)"
    } else {
        "off"
    };
    let env: Vec<&str> = sandbox["env"]
        .as_array()
        .map(|names| names.iter().filter_map(serde_json::Value::as_str).collect())
        .unwrap_or_default();
    let mut text = format!(
        "\nSandbox: enforced (write scopes only, protected files read-only, deny scopes hidden)\n  network:      {network}\n"
    );
    if !env.is_empty() {
        text.push_str(&format!("  extra env:    {}\n", env.join(", ")));
    }
    text
}
