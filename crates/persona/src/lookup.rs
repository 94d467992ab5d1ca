//! Loading one persona (or stage command and its active role) while parsing as few files as
//! possible, for commands such as `agentctl prompt` that must stay fast on a large library.
//!
//! Files whose stem equals the name are tried first. Otherwise only the top few KiB of other
//! files are read for their name, role and prefix (see `source::peek_identity`); a candidate is
//! confirmed by a full parse. Handoff targets are looked up the same way: the files whose stem is
//! the target as written or slugified are peeked first, and when each target is the name of one
//! of them, nothing else is read; only a target not found by file name (a role, a `[PREFIX]`, a
//! persona whose file is named otherwise) makes every persona file be peeked. Active roles of
//! stage commands always peek every persona file (a prefix match comes first there).
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
use crate::markdown::slugify;
use crate::model::{Persona, PersonaKind};
use crate::overlay::PersonaOverlay;
use crate::resolve::{names_exactly, resolve_command, resolve_handoffs, Identity};
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

    /// The identity of file `index` when it is a persona file that names a persona, with its
    /// overlay's role and prefix applied.
    fn identity(
        &mut self,
        index: usize,
        overlays: &BTreeMap<String, PersonaOverlay>,
    ) -> Option<Identity> {
        if self.files[index].area != Area::Personas {
            return None;
        }
        let peeked = self.get(index).clone();
        let name = peeked.name?;
        let overlay = overlays.get(&name);
        let role = overlay
            .and_then(|overlay| overlay.role.clone())
            .or(peeked.role);
        let prefix = overlay
            .and_then(|overlay| overlay.prefix.clone())
            .or(peeked.prefix);
        Some(Identity::new(name, role.as_deref(), prefix.as_deref()))
    }

    /// Identities of the files under personas/, with overlays' role and prefix applied.
    fn persona_identities(
        &mut self,
        overlays: &BTreeMap<String, PersonaOverlay>,
    ) -> Vec<(usize, Identity)> {
        (0..self.files.len())
            .filter_map(|index| Some((index, self.identity(index, overlays)?)))
            .collect()
    }

    /// Identities enough to resolve every one of `targets` by name: those of the persona files
    /// whose stem is a target as written or slugified. `None` when some target is not the name
    /// of one of them (it may be a role, a prefix, or a persona in a file named otherwise).
    fn identities_by_file_name(
        &mut self,
        targets: &[&str],
        overlays: &BTreeMap<String, PersonaOverlay>,
    ) -> Option<Vec<(usize, Identity)>> {
        let mut found: Vec<(usize, Identity)> = Vec::new();
        for written in targets {
            let slug = slugify(written);
            let stems = [written.trim(), slug.as_str()];
            let candidates: Vec<usize> = (0..self.files.len())
                .filter(|&index| {
                    self.files[index].area == Area::Personas
                        && self.files[index]
                            .stem()
                            .is_some_and(|stem| stems.contains(&stem))
                })
                .collect();
            let mut named = false;
            for index in candidates {
                let Some(identity) = self.identity(index, overlays) else {
                    continue;
                };
                named |= names_exactly(written, &slug, &identity);
                if !found.iter().any(|(known, _)| *known == index) {
                    found.push((index, identity));
                }
            }
            if !named {
                return None;
            }
        }
        Some(found)
    }
}

/// Identities to resolve handoffs against, peeked as they are needed: by file name first, and
/// the whole personas directory once a target is not found that way.
struct Resolver<'f, 'o> {
    peeks: Peeks<'f>,
    overlays: &'o BTreeMap<String, PersonaOverlay>,
    all: Option<Vec<(usize, Identity)>>,
    /// Which file each identity handed out so far came from, by persona name.
    files_by_name: BTreeMap<String, usize>,
}

impl<'f, 'o> Resolver<'f, 'o> {
    fn new(peeks: Peeks<'f>, overlays: &'o BTreeMap<String, PersonaOverlay>) -> Self {
        Resolver {
            peeks,
            overlays,
            all: None,
            files_by_name: BTreeMap::new(),
        }
    }

    /// Every persona file's identity (each file peeked once).
    fn all(&mut self) -> Vec<(usize, Identity)> {
        if self.all.is_none() {
            let identities = self.peeks.persona_identities(self.overlays);
            self.remember(&identities);
            self.all = Some(identities);
        }
        self.all.clone().unwrap_or_default()
    }

    /// Identities that resolve `persona`'s handoffs as the whole library would: the files named
    /// after its targets when that finds each of them, else every persona file.
    fn for_handoffs_of(&mut self, persona: &Persona) -> Vec<(usize, Identity)> {
        if self.all.is_none() {
            let targets: Vec<&str> = persona
                .handoffs
                .iter()
                .map(|handoff| handoff.written.as_str())
                .collect();
            if let Some(found) = self.peeks.identities_by_file_name(&targets, self.overlays) {
                self.remember(&found);
                return found;
            }
        }
        self.all()
    }

    fn remember(&mut self, identities: &[(usize, Identity)]) {
        for (index, identity) in identities {
            self.files_by_name
                .entry(identity.name.clone())
                .or_insert(*index);
        }
    }

    /// The file of a persona a handoff resolved to.
    fn file_of(&self, name: &str) -> Option<usize> {
        self.files_by_name.get(name).copied()
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
        load(paths, overlays, name, Mode::Look).map(|start| (start.persona, start.active))
    }

    /// [`Library::load_one`] for a persona a run has reached, which will follow the handoffs: a
    /// handoff target that matches no persona, or several, is an error here instead of staying
    /// unresolved.
    pub fn load_for_run(
        paths: &LibraryPaths,
        overlays: &BTreeMap<String, PersonaOverlay>,
        name: &str,
    ) -> Result<(Persona, Option<Persona>), Vec<Diagnostic>> {
        load(paths, overlays, name, Mode::Reach).map(|start| (start.persona, start.active))
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
        Library::load_run_start(paths, overlays, name).map(|start| (start.persona, start.active))
    }

    /// [`Library::load_for_run_start`], also returning the personas the run can reach through
    /// handoffs as that check parsed them (with their overlays), so a caller can look at them
    /// (their models, for the endpoint preflight) without parsing anything again.
    pub fn load_run_start(
        paths: &LibraryPaths,
        overlays: &BTreeMap<String, PersonaOverlay>,
        name: &str,
    ) -> Result<RunStart, Vec<Diagnostic>> {
        load(paths, overlays, name, Mode::Start)
    }
}

/// What the start of a run loaded: the persona or stage command named, a command's active
/// role, and every other persona the run can reach through handoffs, nearest first.
#[derive(Debug, Clone)]
pub struct RunStart {
    pub persona: Persona,
    pub active: Option<Persona>,
    pub reachable: Vec<Persona>,
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
) -> Result<RunStart, Vec<Diagnostic>> {
    let strict = mode != Mode::Look;
    let (files, walk_problems) = paths.files();
    let mut peeks = Peeks::new(&files);
    let mut persona = find(&files, &mut peeks, name, walk_problems)?;
    overlay(&mut persona, overlays)?;

    let needs_identities = !persona.handoffs.is_empty() || persona.kind == PersonaKind::Command;
    if !needs_identities {
        return Ok(RunStart {
            persona,
            active: None,
            reachable: Vec::new(),
        });
    }
    let mut resolver = Resolver::new(peeks, overlays);
    let identities = if persona.kind == PersonaKind::Command {
        resolver.all()
    } else {
        resolver.for_handoffs_of(&persona)
    };
    let unresolved = resolve_handoffs(&mut persona, &plain(&identities), &[], &mut Vec::new());
    if strict && !unresolved.is_empty() {
        return Err(unresolved);
    }
    if persona.kind != PersonaKind::Command {
        let reachable = if mode == Mode::Start {
            check_reachable(&files, &mut resolver, &[&persona])?
        } else {
            Vec::new()
        };
        return Ok(RunStart {
            persona,
            active: None,
            reachable,
        });
    }

    let role = active_role(&files, &identities, &mut persona)?;
    let mut role = overlay_owned(role, overlays)?;
    let unresolved = resolve_handoffs(&mut role, &plain(&identities), &[], &mut Vec::new());
    if strict && !unresolved.is_empty() {
        return Err(unresolved);
    }
    let reachable = if mode == Mode::Start {
        check_reachable(&files, &mut resolver, &[&persona, &role])?
    } else {
        Vec::new()
    };
    Ok(RunStart {
        persona,
        active: Some(role),
        reachable,
    })
}

fn plain(identities: &[(usize, Identity)]) -> Vec<Identity> {
    identities
        .iter()
        .map(|(_, identity)| identity.clone())
        .collect()
}

/// Parses every persona reachable from `starts` through resolved handoffs, nearest first, and
/// returns them, or the errors of the first one that does not load (its file's own errors) or
/// whose handoffs do not resolve. Only the files the resolved handoffs point at are parsed.
fn check_reachable(
    files: &[LibraryFile],
    resolver: &mut Resolver<'_, '_>,
    starts: &[&Persona],
) -> Result<Vec<Persona>, Vec<Diagnostic>> {
    let mut reached = Vec::new();
    let mut seen: BTreeSet<String> = starts.iter().map(|persona| persona.name.clone()).collect();
    let mut pending: VecDeque<String> = starts
        .iter()
        .flat_map(|persona| handoff_targets(persona))
        .collect();
    while let Some(name) = pending.pop_front() {
        if !seen.insert(name.clone()) {
            continue;
        }
        let Some(index) = resolver.file_of(&name) else {
            continue;
        };
        let file = &files[index];
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
        overlay(&mut persona, resolver.overlays)?;
        let identities = resolver.for_handoffs_of(&persona);
        let unresolved = resolve_handoffs(&mut persona, &plain(&identities), &[], &mut Vec::new());
        if !unresolved.is_empty() {
            return Err(unresolved);
        }
        pending.extend(handoff_targets(&persona));
        reached.push(persona);
    }
    Ok(reached)
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

#[cfg(test)]
mod tests {
    use super::*;

    fn persona_file(name: &str, role: &str, handoffs: &[&str]) -> String {
        let handoffs = handoffs
            .iter()
            .map(|target| format!("  - {target}\n"))
            .collect::<String>();
        let handoffs = if handoffs.is_empty() {
            String::new()
        } else {
            format!("handoffs:\n{handoffs}")
        };
        format!(
            "---\nname: {name}\nrole: {role}\ntools: [fs_read]\n{handoffs}---\n# {role}\n\nBody.\n"
        )
    }

    /// A library of `start` (handing off to `targets`), `qa`, `ops` and twenty others, one of
    /// which names `Ops Lead` as its role in a file named otherwise.
    fn library(directory: &std::path::Path, targets: &[&str]) -> LibraryPaths {
        let personas = directory.join("personas");
        std::fs::create_dir_all(&personas).unwrap();
        let write = |file: &str, text: String| std::fs::write(personas.join(file), text).unwrap();
        write("start.md", persona_file("start", "Starter", targets));
        write("qa.md", persona_file("qa", "QA Engineer", &[]));
        write("ops.md", persona_file("ops", "Operator", &["qa"]));
        write("lead-file.md", persona_file("lead", "Ops Lead", &[]));
        for index in 0..20 {
            write(
                &format!("other-{index}.md"),
                persona_file(&format!("other-{index}"), &format!("Other {index}"), &[]),
            );
        }
        LibraryPaths {
            root: directory.to_path_buf(),
            personas,
            prompts: directory.join("prompts"),
        }
    }

    fn peeked(resolver: &Resolver<'_, '_>) -> usize {
        resolver
            .peeks
            .identities
            .iter()
            .filter(|identity| identity.is_some())
            .count()
    }

    #[test]
    fn handoff_targets_named_like_their_files_are_found_without_peeking_others() {
        let directory = tempfile::tempdir().unwrap();
        let paths = library(directory.path(), &["ops", "QA"]);
        let (files, _) = paths.files();
        let overlays = BTreeMap::new();
        let mut resolver = Resolver::new(Peeks::new(&files), &overlays);
        let file = files
            .iter()
            .find(|file| file.stem() == Some("start"))
            .unwrap();
        let mut start = load_file(&file.disk, &file.display).unwrap();
        let identities = resolver.for_handoffs_of(&start);
        let mut names: Vec<&str> = identities
            .iter()
            .map(|(_, identity)| identity.name.as_str())
            .collect();
        names.sort_unstable();
        assert_eq!(names, ["ops", "qa"]);
        assert_eq!(peeked(&resolver), 2, "only the two named files are read");
        let unresolved = resolve_handoffs(&mut start, &plain(&identities), &[], &mut Vec::new());
        assert!(unresolved.is_empty(), "{unresolved:?}");
        check_reachable(&files, &mut resolver, &[&start]).unwrap();
        assert_eq!(peeked(&resolver), 2, "ops hands off to qa, already known");
    }

    #[test]
    fn a_target_not_found_by_file_name_peeks_every_persona_file() {
        let directory = tempfile::tempdir().unwrap();
        let paths = library(directory.path(), &["ops", "Ops Lead"]);
        let (files, _) = paths.files();
        let overlays = BTreeMap::new();
        let mut resolver = Resolver::new(Peeks::new(&files), &overlays);
        let file = files
            .iter()
            .find(|file| file.stem() == Some("start"))
            .unwrap();
        let mut start = load_file(&file.disk, &file.display).unwrap();
        let identities = resolver.for_handoffs_of(&start);
        assert_eq!(identities.len(), 24);
        assert_eq!(peeked(&resolver), 24);
        let unresolved = resolve_handoffs(&mut start, &plain(&identities), &[], &mut Vec::new());
        assert!(unresolved.is_empty(), "{unresolved:?}");
        let resolved: Vec<Option<&str>> = start
            .handoffs
            .iter()
            .map(|handoff| handoff.resolved.as_deref())
            .collect();
        assert_eq!(resolved, [Some("ops"), Some("lead")]);
    }

    #[test]
    fn a_file_named_like_the_target_but_defining_another_persona_falls_back_to_a_scan() {
        let directory = tempfile::tempdir().unwrap();
        let paths = library(directory.path(), &["lead"]);
        // `lead.md` exists but defines someone else; `lead` lives in lead-file.md.
        std::fs::write(
            paths.personas.join("lead.md"),
            persona_file("not-the-lead", "Impostor", &[]),
        )
        .unwrap();
        let (files, _) = paths.files();
        let overlays = BTreeMap::new();
        let mut resolver = Resolver::new(Peeks::new(&files), &overlays);
        let file = files
            .iter()
            .find(|file| file.stem() == Some("start"))
            .unwrap();
        let mut start = load_file(&file.disk, &file.display).unwrap();
        let identities = resolver.for_handoffs_of(&start);
        assert_eq!(peeked(&resolver), 25);
        resolve_handoffs(&mut start, &plain(&identities), &[], &mut Vec::new());
        assert_eq!(start.handoffs[0].resolved.as_deref(), Some("lead"));
        assert_eq!(
            resolver.file_of("lead").map(|index| files[index].stem()),
            Some(Some("lead-file"))
        );
    }
}
