//! Resolving names as people write them — `release-manager`, `Release Manager [RM]`, `DEVOPS`
//! — to persona names.
//!
//! Handoff targets, in order: the persona's name (as written or slugified); a `[PREFIX]` in
//! brackets matching a persona's prefix; the text before the bracket matching a persona's name
//! or role, case-insensitively after slugifying. Active roles of stage commands: a prefix
//! (`DEVOPS` matches `[DEVOPS]`), then a name, then a role. The first rule that matches exactly
//! one persona wins; a rule matching several is ambiguous.
//!
//! Does not know about: files; it works on identities the library or a peek provides.

use agentctl_protocol::Diagnostic;

use crate::markdown::slugify;
use crate::model::{Persona, PersonaKind};
use crate::suggest::closest;

/// What resolution needs to know about a persona, with its comparison keys computed once
/// (a library may hold a thousand personas, each with several handoffs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Identity {
    pub name: String,
    name_slug: String,
    role_slug: Option<String>,
    prefix_key: Option<String>,
}

impl Identity {
    pub(crate) fn new(name: String, role: Option<&str>, prefix: Option<&str>) -> Identity {
        Identity {
            name_slug: slugify(&name),
            role_slug: role.map(slugify).filter(|slug| !slug.is_empty()),
            prefix_key: prefix.map(prefix_key).filter(|key| !key.is_empty()),
            name,
        }
    }

    pub(crate) fn of(persona: &Persona) -> Identity {
        Identity::new(
            persona.name.clone(),
            persona.role.as_deref(),
            persona.prefix.as_deref(),
        )
    }
}

/// `[RM]`, `rm`, ` RM ` → `RM`.
fn prefix_key(text: &str) -> String {
    text.trim()
        .trim_start_matches('[')
        .trim_end_matches(']')
        .trim()
        .to_uppercase()
}

/// The outcome of resolving one written name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Resolution {
    Found(String),
    Ambiguous(Vec<String>),
    Missing,
}

type Rule<'a> = Box<dyn Fn(&Identity) -> bool + 'a>;

fn first_unique(identities: &[Identity], rules: Vec<Rule<'_>>) -> Resolution {
    for rule in rules {
        let matches: Vec<String> = identities
            .iter()
            .filter(|identity| rule(identity))
            .map(|identity| identity.name.clone())
            .collect();
        match matches.len() {
            0 => continue,
            1 => {
                return matches
                    .into_iter()
                    .next()
                    .map_or(Resolution::Missing, Resolution::Found)
            }
            _ => return Resolution::Ambiguous(matches),
        }
    }
    Resolution::Missing
}

/// `Release Manager [RM]` → (`Release Manager`, Some(`RM`)).
fn split_bracket(written: &str) -> (&str, Option<String>) {
    let written = written.trim();
    match (written.rfind('['), written.ends_with(']')) {
        (Some(open), true) => (written[..open].trim(), Some(prefix_key(&written[open..]))),
        _ => (written, None),
    }
}

/// The first rule for handoff targets: `written` is the persona's name, as written or slugified
/// (`written_slug` is `slugify(written)`).
pub(crate) fn names_exactly(written: &str, written_slug: &str, identity: &Identity) -> bool {
    identity.name == written.trim() || identity.name_slug == written_slug
}

/// Resolves a handoff target among `identities` (personas only).
pub(crate) fn resolve_handoff(written: &str, identities: &[Identity]) -> Resolution {
    let (text, bracket) = split_bracket(written);
    let written_slug = slugify(written);
    let text_slug = slugify(text);
    first_unique(
        identities,
        vec![
            Box::new(|identity: &Identity| names_exactly(written, &written_slug, identity)),
            Box::new(|identity: &Identity| bracket.is_some() && identity.prefix_key == bracket),
            Box::new(|identity: &Identity| {
                !text_slug.is_empty() && identity.name_slug == text_slug
            }),
            Box::new(|identity: &Identity| {
                !text_slug.is_empty() && identity.role_slug.as_deref() == Some(text_slug.as_str())
            }),
        ],
    )
}

/// Resolves a stage command's `## Active Role:` among `identities` (personas only).
pub(crate) fn resolve_active_role(written: &str, identities: &[Identity]) -> Resolution {
    let key = prefix_key(written);
    let slug = slugify(written);
    first_unique(
        identities,
        vec![
            Box::new(|identity: &Identity| identity.prefix_key.as_deref() == Some(key.as_str())),
            Box::new(|identity: &Identity| identity.name_slug == slug),
            Box::new(|identity: &Identity| identity.role_slug.as_deref() == Some(slug.as_str())),
        ],
    )
}

fn known_names_hint(written: &str, identities: &[Identity]) -> String {
    let names: Vec<&str> = identities
        .iter()
        .map(|identity| identity.name.as_str())
        .collect();
    let suggestion = closest(&slugify(written), names.iter().copied())
        .map(|name| format!("did you mean `{name}`? "))
        .unwrap_or_default();
    if names.is_empty() {
        format!("{suggestion}the library has no personas")
    } else {
        format!("{suggestion}known personas: {}", names.join(", "))
    }
}

/// A name that matches no loaded persona but does match a library file that failed to parse:
/// a knock-on of that file's own error, reported under it instead of as an error of its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct KnockOn {
    /// The name the broken file would define.
    pub broken: String,
    /// The persona or stage command that needs it.
    pub needed_by: String,
    /// Where it is needed: `personas/x.md:19`.
    pub site: String,
}

fn knock_on(
    written: &str,
    broken: &[Identity],
    persona: &Persona,
    line: Option<usize>,
    resolve: fn(&str, &[Identity]) -> Resolution,
) -> Option<KnockOn> {
    let Resolution::Found(name) = resolve(written, broken) else {
        return None;
    };
    let site = match line {
        Some(line) => format!("{}:{line}", persona.source.display()),
        None => persona.source.display().to_string(),
    };
    Some(KnockOn {
        broken: name,
        needed_by: persona.name.clone(),
        site,
    })
}

/// Resolves every handoff of `persona` in place; one diagnostic per target that does not
/// resolve, except targets that match a `broken` file's identity: those are pushed to
/// `knock_ons` instead. Returns the diagnostics.
pub(crate) fn resolve_handoffs(
    persona: &mut Persona,
    identities: &[Identity],
    broken: &[Identity],
    knock_ons: &mut Vec<KnockOn>,
) -> Vec<Diagnostic> {
    let mut diagnostics = Vec::new();
    let source = persona.source.clone();
    let lines: Vec<Option<usize>> = persona
        .handoffs
        .iter()
        .map(|handoff| {
            persona
                .origins
                .get(&format!("handoffs.{}", handoff.written))
                .or_else(|| persona.origins.get("handoffs"))
                .and_then(|origin| origin.line)
        })
        .collect();
    let snapshot = persona.clone();
    for (handoff, line) in persona.handoffs.iter_mut().zip(lines) {
        let resolution = resolve_handoff(&handoff.written, identities);
        if resolution == Resolution::Missing {
            if let Some(found) =
                knock_on(&handoff.written, broken, &snapshot, line, resolve_handoff)
            {
                handoff.resolved = None;
                knock_ons.push(found);
                continue;
            }
        }
        match resolution {
            Resolution::Found(name) => handoff.resolved = Some(name),
            Resolution::Ambiguous(names) => {
                handoff.resolved = None;
                diagnostics.push(
                    Diagnostic::error(
                        &source,
                        line,
                        format!(
                            "handoff target `{}` matches several personas: {}",
                            handoff.written,
                            names.join(", ")
                        ),
                    )
                    .with_hint("write the target persona's name instead"),
                );
            }
            Resolution::Missing => {
                handoff.resolved = None;
                diagnostics.push(
                    Diagnostic::error(
                        &source,
                        line,
                        format!("handoff target `{}` matches no persona", handoff.written),
                    )
                    .with_hint(known_names_hint(&handoff.written, identities)),
                );
            }
        }
    }
    diagnostics
}

/// Resolves a stage command's active role in place; `Err` when it does not resolve (unless it
/// matches a `broken` file's identity: then the knock-on is pushed and the role stays unset).
pub(crate) fn resolve_command(
    command: &mut Persona,
    identities: &[Identity],
    broken: &[Identity],
    knock_ons: &mut Vec<KnockOn>,
) -> Result<(), Diagnostic> {
    if command.kind != PersonaKind::Command {
        return Ok(());
    }
    let line = command
        .origins
        .get("command.active_role")
        .and_then(|origin| origin.line);
    let source = command.source.clone();
    let snapshot = command.clone();
    let Some(spec) = command.command.as_mut() else {
        return Ok(());
    };
    let Some(written) = spec.active_role.clone() else {
        return Err(Diagnostic::error(
            &source,
            None,
            "stage command has no `## Active Role:` line",
        )
        .with_hint("add `## Active Role: NAME` naming the persona (or its prefix) that runs it"));
    };
    match resolve_active_role(&written, identities) {
        Resolution::Found(name) => {
            spec.resolved_role = Some(name);
            Ok(())
        }
        Resolution::Ambiguous(names) => Err(Diagnostic::error(
            &source,
            line,
            format!(
                "active role `{written}` matches several personas: {}",
                names.join(", ")
            ),
        )
        .with_hint("write the persona's name instead")),
        Resolution::Missing => {
            if let Some(found) = knock_on(&written, broken, &snapshot, line, resolve_active_role) {
                knock_ons.push(found);
                return Ok(());
            }
            Err(Diagnostic::error(
                &source,
                line,
                format!("active role `{written}` matches no persona"),
            )
            .with_hint(known_names_hint(&written, identities)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn identity(name: &str, role: Option<&str>, prefix: Option<&str>) -> Identity {
        Identity::new(name.to_owned(), role, prefix)
    }

    fn team() -> Vec<Identity> {
        vec![
            identity("devops", Some("DevOps"), Some("[DEVOPS]")),
            identity("ops-devops", None, None),
            identity("release-manager", Some("Release Manager"), Some("[RM]")),
            identity("qa-engineer", Some("QA Engineer"), None),
        ]
    }

    #[test]
    fn handoffs_resolve_by_name_prefix_and_role() {
        let team = team();
        let found = |name: &str| Resolution::Found(name.to_owned());
        assert_eq!(
            resolve_handoff("release-manager", &team),
            found("release-manager")
        );
        assert_eq!(
            resolve_handoff("Release Manager [RM]", &team),
            found("release-manager")
        );
        assert_eq!(
            resolve_handoff("Ship Captain [RM]", &team),
            found("release-manager")
        );
        assert_eq!(resolve_handoff("QA Engineer", &team), found("qa-engineer"));
        assert_eq!(
            resolve_handoff("Security [SEC]", &team),
            Resolution::Missing
        );
    }

    #[test]
    fn active_roles_resolve_by_prefix_first() {
        let team = team();
        assert_eq!(
            resolve_active_role("DEVOPS", &team),
            Resolution::Found("devops".to_owned())
        );
        assert_eq!(
            resolve_active_role("qa engineer", &team),
            Resolution::Found("qa-engineer".to_owned())
        );
        let twins = vec![
            identity("a", Some("Ops"), None),
            identity("b", Some("Ops"), None),
        ];
        assert_eq!(
            resolve_active_role("OPS", &twins),
            Resolution::Ambiguous(vec!["a".to_owned(), "b".to_owned()])
        );
    }
}
