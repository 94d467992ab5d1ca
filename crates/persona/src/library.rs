//! The persona library: every file under `personas/` and `prompts/`, parsed, overlaid,
//! cross-checked and resolved in one pass that reports every problem it finds.
//!
//! Owns: walking the library directories (recursive, `.md`/`.txt`/`.json`, `README.md` skipped,
//! sorted), duplicate names, overlays naming nothing, and resolving handoffs and active roles.
//!
//! Does not know about: `agentctl.toml` (overlays arrive already parsed), prompt assembly, or
//! whether context files exist.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use agentctl_protocol::Diagnostic;
use walkdir::WalkDir;

use crate::model::{Persona, PersonaKind};
use crate::overlay::{apply, PersonaOverlay};
use crate::resolve::{resolve_command, resolve_handoffs, Identity, KnockOn};
use crate::source::{load_file, peek_identity};
use crate::suggest::closest;

/// Where the library lives. All absolute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LibraryPaths {
    /// The library root; diagnostics and origins show paths relative to it.
    pub root: PathBuf,
    /// Persona files (recursively).
    pub personas: PathBuf,
    /// Stage command files (recursively).
    pub prompts: PathBuf,
}

/// Which directory a file was found in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Area {
    Personas,
    Prompts,
}

/// One candidate file of the library.
#[derive(Debug, Clone)]
pub(crate) struct LibraryFile {
    pub disk: PathBuf,
    pub display: PathBuf,
    pub area: Area,
}

impl LibraryFile {
    pub(crate) fn stem(&self) -> Option<&str> {
        self.disk.file_stem().and_then(|stem| stem.to_str())
    }
}

/// Where overlays are written, as shown in diagnostics.
pub(crate) const CONFIG_FILE: &str = "agentctl.toml";

impl LibraryPaths {
    /// `path` relative to the library root when it is inside it.
    pub fn display(&self, path: &Path) -> PathBuf {
        path.strip_prefix(&self.root)
            .map(Path::to_path_buf)
            .unwrap_or_else(|_| path.to_path_buf())
    }

    /// Every library file, personas first, each directory sorted by path.
    pub(crate) fn files(&self) -> (Vec<LibraryFile>, Vec<Diagnostic>) {
        let mut files = Vec::new();
        let mut diagnostics = Vec::new();
        for (directory, area) in [
            (&self.personas, Area::Personas),
            (&self.prompts, Area::Prompts),
        ] {
            if !directory.is_dir() {
                if area == Area::Personas {
                    diagnostics.push(
                        Diagnostic::error(
                            self.display(directory),
                            None,
                            "the persona directory does not exist",
                        )
                        .with_hint("create it, run `agentctl init`, or set `[paths] personas` in agentctl.toml"),
                    );
                }
                continue;
            }
            let mut found = Vec::new();
            self.walk(directory, false, &mut found, &mut diagnostics);
            files.extend(found.into_iter().map(|disk| LibraryFile {
                display: self.display(&disk),
                disk,
                area,
            }));
        }
        (files, diagnostics)
    }

    /// Appends the library files under `directory` to `found` in path order (each directory's
    /// entries sorted by name, depth first: the order of sorting the whole list by path).
    ///
    /// Symbolic links are followed, but only links pay for it: the walk itself reads entry types
    /// from the directory listing (no `stat` per file, which a walk that follows links needs
    /// for every entry), and a link found on the way is resolved on its own; a linked directory
    /// is walked following links, with the walker's loop detection.
    fn walk(
        &self,
        directory: &Path,
        follow_links: bool,
        found: &mut Vec<PathBuf>,
        diagnostics: &mut Vec<Diagnostic>,
    ) {
        let walker = WalkDir::new(directory)
            .follow_links(follow_links)
            .sort_by_file_name()
            .into_iter()
            .filter_entry(|entry| entry.depth() == 0 || !is_hidden(entry.file_name()));
        for entry in walker {
            let entry = match entry {
                Ok(entry) => entry,
                Err(error) => {
                    let path = error.path().unwrap_or(directory).to_path_buf();
                    diagnostics.push(self.unreadable(&path, &error.to_string()));
                    continue;
                }
            };
            let file_type = entry.file_type();
            if file_type.is_file() {
                if is_library_file(entry.path()) {
                    found.push(entry.into_path());
                }
            } else if file_type.is_symlink() && entry.depth() > 0 {
                match std::fs::metadata(entry.path()) {
                    Ok(target) if target.is_dir() => {
                        self.walk(entry.path(), true, found, diagnostics);
                    }
                    Ok(target) if target.is_file() && is_library_file(entry.path()) => {
                        found.push(entry.into_path());
                    }
                    Ok(_) => {}
                    Err(error) => {
                        diagnostics.push(self.unreadable(entry.path(), &error.to_string()))
                    }
                }
            }
        }
    }

    fn unreadable(&self, path: &Path, error: &str) -> Diagnostic {
        Diagnostic::error(
            self.display(path),
            None,
            format!("cannot read the library: {error}"),
        )
        .with_hint("check the directory's permissions and symbolic links")
    }
}

fn is_hidden(name: &std::ffi::OsStr) -> bool {
    name.to_str().is_some_and(|name| name.starts_with('.'))
}

fn is_library_file(path: &Path) -> bool {
    let extension = path
        .extension()
        .and_then(|extension| extension.to_str())
        .map(str::to_ascii_lowercase);
    let is_readme = path
        .file_stem()
        .and_then(|stem| stem.to_str())
        .is_some_and(|stem| stem.eq_ignore_ascii_case("readme"));
    matches!(extension.as_deref(), Some("md" | "txt" | "json")) && !is_readme
}

/// The label recorded in origins for fields an overlay sets.
pub(crate) fn overlay_label(name: &str) -> String {
    format!("[personas.{name}] overlay")
}

/// Applies `overlay` to a persona, refusing persona-only fields on a stage command.
pub(crate) fn apply_overlay(
    persona: &mut Persona,
    overlay: &PersonaOverlay,
) -> Result<(), Diagnostic> {
    let sets_persona_only = overlay.declares_permissions()
        || overlay.handoffs.is_some()
        || overlay.reports.is_some()
        || overlay.limits.is_some()
        || overlay.prefix.is_some()
        || overlay.role.is_some();
    if persona.kind == PersonaKind::Command && sets_persona_only {
        return Err(Diagnostic::error(
            CONFIG_FILE,
            overlay.line,
            format!(
                "overlay `[personas.{}]` sets persona fields on a stage command",
                persona.name
            ),
        )
        .with_hint("a stage command runs as its active role; overlay that persona instead (only description, model, stages and context apply to a command)"));
    }
    apply(persona, overlay, &overlay_label(&persona.name));
    Ok(())
}

/// Every persona and stage command of a library, by name.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Library {
    entries: BTreeMap<String, Persona>,
    /// Files that did not parse, with the name their top says they define, if any.
    broken: Vec<BrokenFile>,
    /// For each persona or command, the broken files it needs (a handoff target or active role
    /// that only a broken file would define).
    blocked: BTreeMap<String, BTreeSet<PathBuf>>,
}

/// A library file that failed to parse.
#[derive(Debug, Clone, PartialEq)]
struct BrokenFile {
    display: PathBuf,
    name: Option<String>,
}

impl Library {
    /// Loads the whole library: parses every file, applies `overlays`, resolves handoffs and
    /// active roles. Problems in one file never stop the others; every problem found is
    /// returned, and the library holds everything that parsed.
    pub fn load(
        paths: &LibraryPaths,
        overlays: &BTreeMap<String, PersonaOverlay>,
    ) -> (Library, Vec<Diagnostic>) {
        let (files, mut diagnostics) = paths.files();
        let mut entries: BTreeMap<String, Persona> = BTreeMap::new();
        let mut broken: Vec<(BrokenFile, Option<Identity>, Vec<Diagnostic>)> = Vec::new();
        for file in &files {
            let mut persona = match load_file(&file.disk, &file.display) {
                Ok(persona) => persona,
                Err(problems) => {
                    let peeked = peek_identity(&file.disk);
                    let identity = peeked.name.clone().map(|name| {
                        Identity::new(name, peeked.role.as_deref(), peeked.prefix.as_deref())
                    });
                    let file = BrokenFile {
                        display: file.display.clone(),
                        name: peeked.name,
                    };
                    broken.push((file, identity, problems));
                    continue;
                }
            };
            diagnostics.extend(area_mismatch(file, &persona));
            diagnostics.append(&mut persona.warnings);
            if let Some(existing) = entries.get(&persona.name) {
                // Kept with the broken files, so a run of that name is stopped by it.
                let file = BrokenFile {
                    display: file.display.clone(),
                    name: Some(persona.name.clone()),
                };
                broken.push((file, None, vec![duplicate(existing, &persona)]));
                continue;
            }
            entries.insert(persona.name.clone(), persona);
        }
        for (name, overlay) in overlays {
            match entries.get_mut(name) {
                Some(persona) => {
                    if let Err(problem) = apply_overlay(persona, overlay) {
                        diagnostics.push(problem);
                    }
                }
                None => diagnostics.push(unknown_overlay(name, overlay.line, entries.keys())),
            }
        }
        let identities: Vec<Identity> = entries
            .values()
            .filter(|persona| persona.kind == PersonaKind::Persona)
            .map(Identity::of)
            .collect();
        // A broken file that would define a name already loaded is not what a dangling
        // reference is waiting for.
        let broken_identities: Vec<Identity> = broken
            .iter()
            .filter_map(|(_, identity, _)| identity.clone())
            .filter(|identity| !entries.contains_key(&identity.name))
            .collect();
        let mut knock_ons = Vec::new();
        for persona in entries.values_mut() {
            diagnostics.extend(resolve_handoffs(
                persona,
                &identities,
                &broken_identities,
                &mut knock_ons,
            ));
            if let Err(problem) =
                resolve_command(persona, &identities, &broken_identities, &mut knock_ons)
            {
                diagnostics.push(problem);
            }
        }
        diagnostics.sort_by(|left, right| {
            (&left.path, left.line, &left.message).cmp(&(&right.path, right.line, &right.message))
        });
        let mut blocked: BTreeMap<String, BTreeSet<PathBuf>> = BTreeMap::new();
        let mut causes = Vec::new();
        for (file, _, mut problems) in broken.iter().cloned() {
            let needing: Vec<&KnockOn> = knock_ons
                .iter()
                .filter(|knock_on| file.name.as_deref() == Some(knock_on.broken.as_str()))
                .collect();
            for knock_on in &needing {
                blocked
                    .entry(knock_on.needed_by.clone())
                    .or_default()
                    .insert(file.display.clone());
            }
            if let (Some(first), Some(name)) = (problems.first_mut(), file.name.as_deref()) {
                if !needing.is_empty() {
                    group_knock_ons(first, name, &needing);
                }
            }
            causes.extend(problems);
        }
        // The files that failed to parse come first: the rest may follow from them.
        causes.append(&mut diagnostics);
        let broken = broken.into_iter().map(|(file, _, _)| file).collect();
        (
            Library {
                entries,
                broken,
                blocked,
            },
            causes,
        )
    }

    /// The loaded personas a run starting at `name` can reach through resolved handoffs,
    /// `name` itself first, then nearest first; each once.
    pub fn reachable(&self, name: &str) -> Vec<&Persona> {
        let mut found: Vec<&Persona> = Vec::new();
        let mut pending = std::collections::VecDeque::from([name.to_owned()]);
        while let Some(current) = pending.pop_front() {
            let Some(persona) = self.entries.get(&current) else {
                continue;
            };
            if found.iter().any(|known| known.name == persona.name) {
                continue;
            }
            pending.extend(
                persona
                    .handoffs
                    .iter()
                    .filter_map(|handoff| handoff.resolved.clone()),
            );
            found.push(persona);
        }
        found
    }

    /// Every library file a run starting at `name` may need: the files of the personas it can
    /// reach through handoffs (and a command's active role), and the broken files any of them
    /// waits for. A broken file whose top names `name` counts as needed too. `None` when `name`
    /// is neither loaded nor the name of a broken file.
    pub fn needed_files(&self, name: &str) -> Option<BTreeSet<PathBuf>> {
        let mut files = BTreeSet::new();
        let broken_named: Vec<&BrokenFile> = self
            .broken
            .iter()
            .filter(|file| file.name.as_deref() == Some(name))
            .collect();
        if !self.entries.contains_key(name) {
            if broken_named.is_empty() {
                return None;
            }
            files.extend(broken_named.iter().map(|file| file.display.clone()));
            return Some(files);
        }
        let mut pending = vec![name.to_owned()];
        let mut seen = BTreeSet::new();
        while let Some(current) = pending.pop() {
            if !seen.insert(current.clone()) {
                continue;
            }
            let Some(persona) = self.entries.get(&current) else {
                continue;
            };
            files.insert(persona.source.clone());
            files.extend(
                self.broken
                    .iter()
                    .filter(|file| file.name.as_deref() == Some(current.as_str()))
                    .map(|file| file.display.clone()),
            );
            if let Some(waiting_for) = self.blocked.get(&current) {
                files.extend(waiting_for.iter().cloned());
            }
            pending.extend(
                persona
                    .handoffs
                    .iter()
                    .filter_map(|handoff| handoff.resolved.clone()),
            );
            if let Some(role) = persona
                .command
                .as_ref()
                .and_then(|spec| spec.resolved_role.clone())
            {
                pending.push(role);
            }
        }
        Some(files)
    }

    /// Whether `path` (as diagnostics show it) is a persona or command file of this library.
    pub fn is_library_file(&self, path: &Path) -> bool {
        self.broken.iter().any(|file| file.display == path)
            || self.entries.values().any(|persona| persona.source == path)
    }

    /// The broken files `name` waits for (a handoff target or active role only they define).
    pub fn blocked_by(&self, name: &str) -> Option<&BTreeSet<PathBuf>> {
        self.blocked.get(name)
    }

    /// A library of just these, already loaded (for a run, which loads what it reaches).
    pub fn from_personas(personas: impl IntoIterator<Item = Persona>) -> Library {
        Library {
            entries: personas
                .into_iter()
                .map(|persona| (persona.name.clone(), persona))
                .collect(),
            broken: Vec::new(),
            blocked: BTreeMap::new(),
        }
    }

    /// Personas (not stage commands), by name.
    pub fn personas(&self) -> impl Iterator<Item = &Persona> {
        self.iter()
            .filter(|persona| persona.kind == PersonaKind::Persona)
    }

    /// Stage commands, by name.
    pub fn commands(&self) -> impl Iterator<Item = &Persona> {
        self.iter()
            .filter(|persona| persona.kind == PersonaKind::Command)
    }

    /// A persona or stage command by name.
    pub fn get(&self, name: &str) -> Option<&Persona> {
        self.entries.get(name)
    }

    /// Everything, by name.
    pub fn iter(&self) -> impl Iterator<Item = &Persona> {
        self.entries.values()
    }

    /// The persona a stage command runs as, once resolved.
    pub fn active_role(&self, command: &Persona) -> Option<&Persona> {
        let name = command.command.as_ref()?.resolved_role.as_deref()?;
        self.get(name)
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// Adds the knock-ons of a broken file to its first error, so one mistake reads as one error.
fn group_knock_ons(first: &mut Diagnostic, name: &str, needing: &[&KnockOn]) {
    let sites: Vec<String> = needing
        .iter()
        .map(|knock_on| format!("{} ({})", knock_on.needed_by, knock_on.site))
        .collect();
    let note = format!(
        "until it is fixed, `{name}` is missing for {}",
        sites.join(", ")
    );
    first.hint = Some(match first.hint.take() {
        Some(hint) => format!("{hint}; {note}"),
        None => note,
    });
}

fn duplicate(existing: &Persona, later: &Persona) -> Diagnostic {
    Diagnostic::error(
        &later.source,
        later.origins.get("name").and_then(|origin| origin.line),
        format!(
            "name `{}` is defined twice: {} and {}",
            later.name,
            existing.source.display(),
            later.source.display()
        ),
    )
    .with_hint("names must be unique across personas/ and prompts/; rename one (`name:` in front matter, or its heading) or remove it")
}

/// A file whose content says "stage command" under personas/, or "persona" under prompts/.
fn area_mismatch(file: &LibraryFile, persona: &Persona) -> Option<Diagnostic> {
    let message = match (file.area, persona.kind) {
        (Area::Personas, PersonaKind::Command) => {
            "this file is a stage command (it has `params` or an `## Active Role:` line) but sits under personas/"
        }
        (Area::Prompts, PersonaKind::Persona) => {
            "this file is a persona (it has no `## Active Role:` line) but sits under prompts/"
        }
        _ => return None,
    };
    Some(
        Diagnostic::warning(&file.display, None, message)
            .with_hint("it is loaded as what its content says; move it to keep the library tidy"),
    )
}

pub(crate) fn unknown_overlay<'a>(
    name: &str,
    line: Option<usize>,
    known: impl Iterator<Item = &'a String> + Clone,
) -> Diagnostic {
    let suggestion = closest(name, known.clone().map(String::as_str))
        .map(|candidate| format!("did you mean `[personas.{candidate}]`? "))
        .unwrap_or_default();
    let names: Vec<&str> = known.map(String::as_str).collect();
    Diagnostic::error(
        CONFIG_FILE,
        line,
        format!("overlay `[personas.{name}]` names no persona or stage command"),
    )
    .with_hint(format!("{suggestion}known names: {}", names.join(", ")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_markdown_and_text_files_count() {
        assert!(is_library_file(Path::new("personas/a.md")));
        assert!(is_library_file(Path::new("personas/team/b.TXT")));
        assert!(!is_library_file(Path::new("personas/README.md")));
        assert!(!is_library_file(Path::new("personas/c.yaml")));
        assert!(is_library_file(Path::new("personas/kiro/reviewer.json")));
    }

    fn paths_in(root: &Path) -> LibraryPaths {
        LibraryPaths {
            root: root.to_path_buf(),
            personas: root.join("personas"),
            prompts: root.join("prompts"),
        }
    }

    fn listed(paths: &LibraryPaths) -> (Vec<String>, Vec<Diagnostic>) {
        let (files, diagnostics) = paths.files();
        let listed = files
            .iter()
            .map(|file| file.display.to_string_lossy().into_owned())
            .collect();
        (listed, diagnostics)
    }

    #[test]
    fn the_walk_lists_files_in_path_order_and_follows_links() {
        let directory = tempfile::tempdir().unwrap();
        let root = directory.path();
        let shared = root.join("shared");
        std::fs::create_dir_all(shared.join("deep")).unwrap();
        std::fs::write(shared.join("s.md"), "x").unwrap();
        std::fs::write(shared.join("deep/d.md"), "x").unwrap();
        let personas = root.join("personas");
        std::fs::create_dir_all(personas.join("a-b")).unwrap();
        std::fs::create_dir_all(personas.join("a")).unwrap();
        std::fs::create_dir_all(personas.join(".hidden")).unwrap();
        for file in [
            "z.md",
            "a.md",
            "a-b/x.md",
            "a/y.md",
            "a/README.md",
            "notes.yaml",
            ".hidden/h.md",
        ] {
            std::fs::write(personas.join(file), "x").unwrap();
        }
        std::fs::write(root.join("outside.md"), "x").unwrap();
        std::os::unix::fs::symlink(root.join("outside.md"), personas.join("linked.md")).unwrap();
        std::os::unix::fs::symlink(&shared, personas.join("m-linked-dir")).unwrap();
        std::os::unix::fs::symlink(root.join("missing.md"), personas.join("n-dangling.md"))
            .unwrap();
        std::fs::create_dir_all(root.join("prompts")).unwrap();
        std::fs::write(root.join("prompts/deploy.md"), "x").unwrap();

        let (listed, diagnostics) = listed(&paths_in(root));
        let expected = [
            "personas/a/y.md",
            "personas/a-b/x.md",
            "personas/a.md",
            "personas/linked.md",
            "personas/m-linked-dir/deep/d.md",
            "personas/m-linked-dir/s.md",
            "personas/z.md",
            "prompts/deploy.md",
        ];
        assert_eq!(listed, expected);
        // The order is that of sorting each area's paths, as the walk always promised.
        let mut sorted: Vec<PathBuf> = expected[..7].iter().map(PathBuf::from).collect();
        sorted.sort();
        assert_eq!(
            sorted,
            expected[..7].iter().map(PathBuf::from).collect::<Vec<_>>()
        );
        assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
        assert!(diagnostics[0].message.contains("cannot read the library"));
        assert_eq!(diagnostics[0].path, PathBuf::from("personas/n-dangling.md"));
    }

    #[test]
    fn a_link_back_to_an_ancestor_is_reported_not_walked_forever() {
        let directory = tempfile::tempdir().unwrap();
        let root = directory.path();
        let personas = root.join("personas");
        std::fs::create_dir_all(personas.join("team")).unwrap();
        std::fs::write(personas.join("team/p.md"), "x").unwrap();
        std::os::unix::fs::symlink(&personas, personas.join("team/loop")).unwrap();

        let (listed, diagnostics) = listed(&paths_in(root));
        assert!(
            listed.contains(&"personas/team/p.md".to_owned()),
            "{listed:?}"
        );
        assert!(listed.len() < 5, "{listed:?}");
        assert!(
            diagnostics
                .iter()
                .any(|diagnostic| diagnostic.message.contains("cannot read the library")),
            "{diagnostics:?}"
        );
    }
}
