//! Loading one persona (or stage command and its active role) while parsing as few files as
//! possible, for commands such as `agentctl prompt` that must stay fast on a large library.
//!
//! Files whose stem equals the name are tried first. Otherwise, and to resolve handoffs and
//! active roles, only the top few KiB of other files are read for their name, role and prefix
//! (see `source::peek_identity`); a candidate is confirmed by a full parse.
//!
//! For the start of a run, the personas the run can reach through handoffs are parsed too (never
//! the rest of the library), so a broken file the run would need stops it before any model is
//! called instead of at the handoff.
//!
//! Does not know about: library-wide problems (duplicates, overlays naming nothing, dangling
//! handoffs); `Library::load` reports those. Here a dangling handoff simply stays unresolved,
//! except for a run, where it is an error.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use agentctl_protocol::Diagnostic;

use crate::library::{apply_overlay, Area, Library, LibraryFile, LibraryPaths};
use crate::model::{Persona, PersonaKind};
use crate::overlay::PersonaOverlay;
use crate::resolve::{resolve_command, resolve_handoffs, Identity};
use crate::source::{load_file, peek_identity, PeekedIdentity};

/// Peeked identities, read at most once per file.
struct Peeks<'f> {
    files: &'f [LibraryFile],
    identities: Vec<Option<PeekedIdentity>>,
}

impl<'f> Peeks<'f> {
    fn new(files: &'f [LibraryFile]) -> Self {
        Peeks {
            files,
            identities: vec![None; files.len()],
        }
    }

    fn get(&mut self, index: usize) -> &PeekedIdentity {
        let file = &self.files[index];
        self.identities[index].get_or_insert_with(|| peek_identity(&file.disk))
    }

    /// Identities of the files under personas/, with overlays' role and prefix applied.
    fn persona_identities(
        &mut self,
        overlays: &BTreeMap<String, PersonaOverlay>,
    ) -> Vec<(usize, Identity)> {
        let mut identities = Vec::new();
        for index in 0..self.files.len() {
            if self.files[index].area != Area::Personas {
                continue;
            }
            let peeked = self.get(index).clone();
            let Some(name) = peeked.name else {
                continue;
            };
            let overlay = overlays.get(&name);
            let role = overlay
                .and_then(|overlay| overlay.role.clone())
                .or(peeked.role);
            let prefix = overlay
                .and_then(|overlay| overlay.prefix.clone())
                .or(peeked.prefix);
            identities.push((
                index,
                Identity::new(name, role.as_deref(), prefix.as_deref()),
            ));
        }
        identities
    }
}

impl Library {
    /// Loads the persona or stage command `name` and, for a command, the persona it runs as,
    /// each with its overlay applied and handoffs resolved where they can be.
    pub fn load_one(
        paths: &LibraryPaths,
        overlays: &BTreeMap<String, PersonaOverlay>,
        name: &str,
    ) -> Result<(Persona, Option<Persona>), Vec<Diagnostic>> {
        load(paths, overlays, name, Mode::Look)
    }

    /// [`Library::load_one`] for a persona a run has reached, which will follow the handoffs: a
    /// handoff target that matches no persona, or several, is an error here instead of staying
    /// unresolved.
    pub fn load_for_run(
        paths: &LibraryPaths,
        overlays: &BTreeMap<String, PersonaOverlay>,
        name: &str,
    ) -> Result<(Persona, Option<Persona>), Vec<Diagnostic>> {
        load(paths, overlays, name, Mode::Reach)
    }

    /// [`Library::load_for_run`] for the persona or command a run starts with. Every persona
    /// the run can reach through handoffs is also parsed and checked the same way (and then
    /// dropped: the run loads each one again when it reaches it), so a broken file the run
    /// would need is reported now, with its own errors, before any model turn is paid for.
    /// Files no handoff path reaches are only peeked at, never parsed.
    pub fn load_for_run_start(
        paths: &LibraryPaths,
        overlays: &BTreeMap<String, PersonaOverlay>,
        name: &str,
    ) -> Result<(Persona, Option<Persona>), Vec<Diagnostic>> {
        load(paths, overlays, name, Mode::Start)
    }
}

/// What a lookup is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Showing one persona: a dangling handoff stays unresolved.
    Look,
    /// A persona a run reached: a dangling handoff is an error.
    Reach,
    /// The start of a run: as `Reach`, and every persona reachable from it is checked too.
    Start,
}

fn load(
    paths: &LibraryPaths,
    overlays: &BTreeMap<String, PersonaOverlay>,
    name: &str,
    mode: Mode,
) -> Result<(Persona, Option<Persona>), Vec<Diagnostic>> {
    let strict = mode != Mode::Look;
    let (files, walk_problems) = paths.files();
    let mut peeks = Peeks::new(&files);
    let mut persona = find(&files, &mut peeks, name, walk_problems)?;
    overlay(&mut persona, overlays)?;

    let needs_identities = !persona.handoffs.is_empty() || persona.kind == PersonaKind::Command;
    if !needs_identities {
        return Ok((persona, None));
    }
    let identities = peeks.persona_identities(overlays);
    let plain: Vec<Identity> = identities
        .iter()
        .map(|(_, identity)| identity.clone())
        .collect();
    let unresolved = resolve_handoffs(&mut persona, &plain, &[], &mut Vec::new());
    if strict && !unresolved.is_empty() {
        return Err(unresolved);
    }
    if persona.kind != PersonaKind::Command {
        if mode == Mode::Start {
            check_reachable(&files, &identities, overlays, &[&persona])?;
        }
        return Ok((persona, None));
    }

    let role = active_role(&files, &identities, &mut persona)?;
    let mut role = overlay_owned(role, overlays)?;
    let unresolved = resolve_handoffs(&mut role, &plain, &[], &mut Vec::new());
    if strict && !unresolved.is_empty() {
        return Err(unresolved);
    }
    if mode == Mode::Start {
        check_reachable(&files, &identities, overlays, &[&persona, &role])?;
    }
    Ok((persona, Some(role)))
}

/// Parses every persona reachable from `starts` through resolved handoffs, nearest first, and
/// returns the errors of the first one that does not load (its file's own errors) or whose
/// handoffs do not resolve. Only the files the peeked identities point at are parsed.
fn check_reachable(
    files: &[LibraryFile],
    identities: &[(usize, Identity)],
    overlays: &BTreeMap<String, PersonaOverlay>,
    starts: &[&Persona],
) -> Result<(), Vec<Diagnostic>> {
    let plain: Vec<Identity> = identities
        .iter()
        .map(|(_, identity)| identity.clone())
        .collect();
    let mut seen: BTreeSet<String> = starts.iter().map(|persona| persona.name.clone()).collect();
    let mut pending: VecDeque<String> = starts
        .iter()
        .flat_map(|persona| handoff_targets(persona))
        .collect();
    while let Some(name) = pending.pop_front() {
        if !seen.insert(name.clone()) {
            continue;
        }
        let Some((index, _)) = identities
            .iter()
            .find(|(_, identity)| identity.name == name)
        else {
            continue;
        };
        let file = &files[*index];
        let mut persona = load_file(&file.disk, &file.display)?;
        if persona.name != name {
            return Err(vec![Diagnostic::error(
                &file.display,
                None,
                format!(
                    "expected this file to define `{name}`, a handoff target, but it defines `{}`",
                    persona.name
                ),
            )
            .with_hint("run `agentctl lint` to check the library")]);
        }
        overlay(&mut persona, overlays)?;
        let unresolved = resolve_handoffs(&mut persona, &plain, &[], &mut Vec::new());
        if !unresolved.is_empty() {
            return Err(unresolved);
        }
        pending.extend(handoff_targets(&persona));
    }
    Ok(())
}

/// The personas `persona` hands off to, as resolved.
fn handoff_targets(persona: &Persona) -> Vec<String> {
    persona
        .handoffs
        .iter()
        .filter_map(|handoff| handoff.resolved.clone())
        .collect()
}

fn overlay(
    persona: &mut Persona,
    overlays: &BTreeMap<String, PersonaOverlay>,
) -> Result<(), Vec<Diagnostic>> {
    match overlays.get(&persona.name) {
        Some(overlay) => apply_overlay(persona, overlay).map_err(|problem| vec![problem]),
        None => Ok(()),
    }
}

fn overlay_owned(
    mut persona: Persona,
    overlays: &BTreeMap<String, PersonaOverlay>,
) -> Result<Persona, Vec<Diagnostic>> {
    overlay(&mut persona, overlays)?;
    Ok(persona)
}

/// Finds `name`: files named after it first, then files whose top says it, then files whose
/// top says nothing clear.
fn find(
    files: &[LibraryFile],
    peeks: &mut Peeks<'_>,
    name: &str,
    walk_problems: Vec<Diagnostic>,
) -> Result<Persona, Vec<Diagnostic>> {
    let mut problems = Vec::new();
    let mut tried = vec![false; files.len()];
    let attempt = |index: usize, tried: &mut [bool], problems: &mut Vec<Diagnostic>| {
        tried[index] = true;
        match load_file(&files[index].disk, &files[index].display) {
            Ok(persona) if persona.name == name => Some(persona),
            Ok(_) => None,
            Err(errors) => {
                problems.extend(errors);
                None
            }
        }
    };
    for (index, file) in files.iter().enumerate() {
        if file.stem() == Some(name) {
            if let Some(persona) = attempt(index, &mut tried, &mut problems) {
                return Ok(persona);
            }
        }
    }
    for index in 0..files.len() {
        if !tried[index] && peeks.get(index).name.as_deref() == Some(name) {
            if let Some(persona) = attempt(index, &mut tried, &mut problems) {
                return Ok(persona);
            }
        }
    }
    for index in 0..files.len() {
        if !tried[index] && peeks.get(index).name.is_none() {
            if let Some(persona) = attempt(index, &mut tried, &mut problems) {
                return Ok(persona);
            }
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let known: Vec<String> = (0..files.len())
        .filter_map(|index| peeks.get(index).name.clone())
        .collect();
    let mut diagnostics = walk_problems;
    diagnostics.push(crate::suggest::unknown_persona(
        name,
        known.iter().map(String::as_str),
    ));
    Err(diagnostics)
}

/// Resolves and loads the persona a stage command runs as.
fn active_role(
    files: &[LibraryFile],
    identities: &[(usize, Identity)],
    command: &mut Persona,
) -> Result<Persona, Vec<Diagnostic>> {
    let plain: Vec<Identity> = identities
        .iter()
        .map(|(_, identity)| identity.clone())
        .collect();
    resolve_command(command, &plain, &[], &mut Vec::new()).map_err(|problem| vec![problem])?;
    let Some(resolved) = command
        .command
        .as_ref()
        .and_then(|spec| spec.resolved_role.clone())
    else {
        return Err(vec![Diagnostic::error(
            &command.source,
            None,
            "stage command has no active role",
        )]);
    };
    let Some((index, _)) = identities
        .iter()
        .find(|(_, identity)| identity.name == resolved)
    else {
        return Err(vec![Diagnostic::error(
            &command.source,
            None,
            format!("active role `{resolved}` could not be found again"),
        )]);
    };
    let file = &files[*index];
    let role = load_file(&file.disk, &file.display)?;
    if role.name != resolved {
        return Err(vec![Diagnostic::error(
            &file.display,
            None,
            format!(
                "expected this file to define `{resolved}`, the active role of `{}`, but it defines `{}`",
                command.name, role.name
            ),
        )
        .with_hint("run `agentctl lint` to check the library")]);
    }
    Ok(role)
}
