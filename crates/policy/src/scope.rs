//! Gitignore-style path scopes: `read`, `write`, `deny` and the protected list.
//!
//! Owns: turning a persona's globs into one compiled set and answering "which pattern covers
//! this workspace-relative path" and "could anything beneath this directory be covered". Does
//! not know about the file system, tools or decisions.
//!
//! Pattern meaning, as in `.gitignore`:
//! - `*` stays within one path segment, `**` crosses segments;
//! - a pattern without `/` (`.env`, `*.pem`) matches at any depth; one with a `/` is anchored at
//!   the workspace root (a leading `/` or `./` only anchors);
//! - a pattern covers what it names and everything beneath it (`secrets` covers
//!   `secrets/key`), and `dir/**` also covers `dir` itself;
//! - negation (`!pattern`) is not supported: list what is allowed and put exceptions in `deny`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use globset::{Glob, GlobBuilder, GlobSet, GlobSetBuilder};

use crate::PolicyError;

#[derive(Debug, Clone)]
struct ScopePattern {
    written: String,
    normalized: String,
}

/// One compiled list of path patterns.
///
/// Each glob is parsed (and so checked) when the list is compiled; the set that matches them
/// all (a regex set for globs like `**/.git/**`, the expensive part) is built on the first
/// match asked of this list. Most runs never ask some lists: a persona that only reads never
/// consults its write list or the protected lists, which only writes do.
#[derive(Debug, Clone)]
pub(crate) struct PathScope {
    list: String,
    patterns: Vec<ScopePattern>,
    /// The globs of the set, parsed, with their texts (the set cache's key).
    globs: Vec<Glob>,
    glob_texts: Vec<String>,
    /// The built set; `None` when it could not be built (see [`PathScope::first_match`]).
    set: OnceLock<Option<Arc<GlobSet>>>,
    /// For each glob in `set`, the index of the pattern it came from.
    owners: Vec<usize>,
    case_insensitive: bool,
}

/// Compiled sets by their glob texts. Building a `GlobSet` is the expensive part of a policy
/// engine (a regex set, often a DFA), and most lists repeat: every persona of a project has
/// the same protected list, and teams share read, write and deny lists. `agentctl lint`
/// compiles one engine per persona, so without this a 1,000-persona library spent most of its
/// time rebuilding identical sets.
type SetCache = Mutex<HashMap<Vec<String>, Arc<GlobSet>>>;

/// Past this many distinct lists the cache starts over, so a long-lived process stays bounded.
const SET_CACHE_LIMIT: usize = 1024;

fn set_cache() -> &'static SetCache {
    static CACHE: OnceLock<SetCache> = OnceLock::new();
    CACHE.get_or_init(SetCache::default)
}

/// Case-insensitive lists are matched by lowering both the globs and the path, rather than
/// with globset's case-insensitive regexes: lowered literal, prefix and extension globs keep
/// globset's fast non-regex strategies, which a case-insensitive glob never gets.
fn fold(text: &str, case_insensitive: bool) -> String {
    if case_insensitive {
        text.to_lowercase()
    } else {
        text.to_owned()
    }
}

impl PathScope {
    /// Compiles `patterns` from the list named `list` (named in errors).
    pub(crate) fn compile(
        list: &str,
        patterns: &[String],
        case_insensitive: bool,
    ) -> Result<PathScope, PolicyError> {
        let mut owners = Vec::new();
        let mut glob_texts = Vec::new();
        let mut globs = Vec::new();
        let mut compiled = Vec::new();
        for (index, written) in patterns.iter().enumerate() {
            let normalized =
                normalize(written).map_err(|reason| PolicyError::UnsupportedPattern {
                    list: list.to_owned(),
                    pattern: written.clone(),
                    reason,
                })?;
            for glob_text in expansions(&normalized) {
                let glob_text = fold(&glob_text, case_insensitive);
                let glob = GlobBuilder::new(&glob_text)
                    .literal_separator(true)
                    .build()
                    .map_err(|error| PolicyError::InvalidGlob {
                        list: list.to_owned(),
                        pattern: written.clone(),
                        message: error.kind().to_string(),
                    })?;
                globs.push(glob);
                glob_texts.push(glob_text);
                owners.push(index);
            }
            compiled.push(ScopePattern {
                written: written.clone(),
                normalized,
            });
        }
        Ok(PathScope {
            list: list.to_owned(),
            patterns: compiled,
            globs,
            glob_texts,
            set: OnceLock::new(),
            owners,
            case_insensitive,
        })
    }

    /// Builds the list's set (or takes it from the process-wide cache). Errors only when the
    /// globs, each valid, are together too large to compile.
    pub(crate) fn build(&self) -> Result<Arc<GlobSet>, PolicyError> {
        let cached = set_cache()
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&self.glob_texts)
            .cloned();
        if let Some(set) = cached {
            return Ok(set);
        }
        let mut builder = GlobSetBuilder::new();
        for glob in &self.globs {
            builder.add(glob.clone());
        }
        let set = Arc::new(builder.build().map_err(|error| PolicyError::InvalidGlob {
            list: self.list.clone(),
            pattern: self.written().join(", "),
            message: error.to_string(),
        })?);
        let mut cache = set_cache().lock().unwrap_or_else(PoisonError::into_inner);
        if cache.len() >= SET_CACHE_LIMIT {
            cache.clear();
        }
        cache.insert(self.glob_texts.clone(), Arc::clone(&set));
        Ok(set)
    }

    /// The first pattern (in the order written) that covers `relative`.
    ///
    /// Should the set fail to build (`agentctl lint` reports that), the answer fails closed:
    /// a case-insensitive list — the restricting ones: deny, protected, guarded — covers every
    /// path (with its first pattern), a permitting list (read, write) covers none.
    pub(crate) fn first_match(&self, relative: &str) -> Option<&str> {
        let Some(set) = self.set.get_or_init(|| self.build().ok()) else {
            return if self.case_insensitive {
                self.patterns
                    .first()
                    .map(|pattern| pattern.written.as_str())
            } else {
                None
            };
        };
        let folded;
        let relative = if self.case_insensitive {
            folded = relative.to_lowercase();
            folded.as_str()
        } else {
            relative
        };
        set.matches(relative)
            .into_iter()
            .filter_map(|glob| self.owners.get(glob).copied())
            .min()
            .and_then(|index| self.patterns.get(index))
            .map(|pattern| pattern.written.as_str())
    }

    /// A pattern that could cover something strictly beneath `directory` (`""` for the
    /// workspace root). Used to decide whether a directory may be listed.
    pub(crate) fn could_match_beneath(&self, directory: &str) -> Option<&str> {
        let directory_parts: Vec<&str> = directory.split('/').filter(|p| !p.is_empty()).collect();
        self.patterns
            .iter()
            .find(|pattern| {
                reaches_beneath(&pattern.normalized, &directory_parts, self.case_insensitive)
            })
            .map(|pattern| pattern.written.as_str())
    }

    pub(crate) fn written(&self) -> Vec<String> {
        self.patterns
            .iter()
            .map(|pattern| pattern.written.clone())
            .collect()
    }
}

fn normalize(written: &str) -> Result<String, String> {
    let mut body = written.trim();
    if body.is_empty() {
        return Err("the pattern is empty".to_owned());
    }
    if body.starts_with('!') {
        return Err(
            "negated patterns are not supported; list what is allowed and put exceptions in `deny`"
                .to_owned(),
        );
    }
    let mut anchored = false;
    loop {
        if let Some(rest) = body.strip_prefix("./") {
            body = rest;
        } else if let Some(rest) = body.strip_prefix('/') {
            body = rest;
        } else {
            break;
        }
        anchored = true;
    }
    let body = body.trim_end_matches('/');
    if body.is_empty() || body == "." {
        return Err("the pattern names the workspace itself; write `**` for everything".to_owned());
    }
    if body.split('/').any(|part| part == ".." || part == ".") {
        return Err("`.` and `..` cannot appear in a workspace pattern".to_owned());
    }
    if !anchored && !body.contains('/') && !body.starts_with("**") {
        return Ok(format!("**/{body}"));
    }
    Ok(body.to_owned())
}

/// The globs that implement "covers what it names and everything beneath it".
fn expansions(normalized: &str) -> Vec<String> {
    if normalized == "**" {
        return vec![normalized.to_owned()];
    }
    if let Some(directory) = normalized.strip_suffix("/**") {
        let mut globs = vec![normalized.to_owned()];
        if !directory.is_empty() && directory != "**" {
            globs.push(directory.to_owned());
        }
        return globs;
    }
    vec![normalized.to_owned(), format!("{normalized}/**")]
}

fn reaches_beneath(normalized: &str, directory: &[&str], case_insensitive: bool) -> bool {
    let pattern_parts: Vec<&str> = normalized.split('/').collect();
    for (index, directory_part) in directory.iter().enumerate() {
        let Some(pattern_part) = pattern_parts.get(index) else {
            return false;
        };
        if pattern_part.contains("**") {
            return true;
        }
        let segment_matches = GlobBuilder::new(pattern_part)
            .literal_separator(true)
            .case_insensitive(case_insensitive)
            .build()
            .is_ok_and(|glob| glob.compile_matcher().is_match(directory_part));
        if !segment_matches {
            return false;
        }
    }
    pattern_parts.len() > directory.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope(patterns: &[&str]) -> PathScope {
        let owned: Vec<String> = patterns.iter().map(|p| p.to_string()).collect();
        PathScope::compile("read", &owned, false).unwrap()
    }

    #[test]
    fn slashless_patterns_match_at_any_depth() {
        let deny = scope(&[".env", "*.pem"]);
        assert_eq!(deny.first_match(".env"), Some(".env"));
        assert_eq!(deny.first_match("app/.env"), Some(".env"));
        assert_eq!(deny.first_match("a/b/key.pem"), Some("*.pem"));
        assert_eq!(deny.first_match("key.pem.txt"), None);
    }

    #[test]
    fn slashed_patterns_are_anchored_and_star_stays_in_a_segment() {
        let write = scope(&["docs/*.md", "/infra/**"]);
        assert_eq!(write.first_match("docs/a.md"), Some("docs/*.md"));
        assert_eq!(write.first_match("docs/sub/a.md"), None);
        assert_eq!(write.first_match("x/docs/a.md"), None);
        assert_eq!(write.first_match("infra/a/b.tf"), Some("/infra/**"));
        assert_eq!(write.first_match("infra"), Some("/infra/**"));
        assert_eq!(write.first_match("other/infra/a"), None);
    }

    #[test]
    fn a_pattern_covers_everything_beneath_what_it_names() {
        let deny = scope(&["secrets"]);
        assert_eq!(deny.first_match("secrets/db/key"), Some("secrets"));
        assert_eq!(deny.first_match("app/secrets/key"), Some("secrets"));
        assert_eq!(deny.first_match("secretsx"), None);
    }

    #[test]
    fn double_star_matches_everything_including_dotfiles() {
        let read = scope(&["**"]);
        assert_eq!(read.first_match(".env"), Some("**"));
        assert_eq!(read.first_match("a/b/c"), Some("**"));
    }

    #[test]
    fn first_written_pattern_is_reported() {
        let read = scope(&["docs/**", "**"]);
        assert_eq!(read.first_match("docs/x"), Some("docs/**"));
        assert_eq!(read.first_match("src/x"), Some("**"));
    }

    #[test]
    fn case_insensitive_scopes_fold_case() {
        let owned = vec!["AUDIT_LOG.md".to_owned()];
        let protected = PathScope::compile("protected", &owned, true).unwrap();
        assert_eq!(protected.first_match("audit_log.MD"), Some("AUDIT_LOG.md"));
    }

    #[test]
    fn case_insensitive_globs_fold_case_of_pattern_and_path() {
        let owned = vec!["Secrets/**".to_owned(), "*.PEM".to_owned()];
        let deny = PathScope::compile("deny", &owned, true).unwrap();
        assert_eq!(deny.first_match("SECRETS/db/Key"), Some("Secrets/**"));
        assert_eq!(deny.first_match("secrets"), Some("Secrets/**"));
        assert_eq!(deny.first_match("app/key.pem"), Some("*.PEM"));
        assert_eq!(deny.first_match("app/key.pem.txt"), None);
        let sensitive = PathScope::compile("read", &owned, false).unwrap();
        assert_eq!(sensitive.first_match("secrets/db/key"), None);
        assert_eq!(sensitive.first_match("Secrets/db/key"), Some("Secrets/**"));
    }

    #[test]
    fn identical_lists_share_one_compiled_set() {
        let first = scope(&["docs/**", "*.md", "shared-cache-test/**"]);
        let second = scope(&["docs/**", "*.md", "shared-cache-test/**"]);
        assert!(Arc::ptr_eq(
            &first.build().unwrap(),
            &second.build().unwrap()
        ));
        let other = scope(&["docs/**", "shared-cache-test/**"]);
        assert!(!Arc::ptr_eq(
            &first.build().unwrap(),
            &other.build().unwrap()
        ));
        assert_eq!(other.first_match("a.md"), None);
        assert_eq!(second.first_match("a.md"), Some("*.md"));
    }

    #[test]
    fn a_set_is_built_on_the_first_match_and_a_bad_glob_is_refused_at_once() {
        let lazy = scope(&["lazy-build-test/**", "*.lazy"]);
        assert!(lazy.set.get().is_none(), "nothing built by compiling");
        assert_eq!(lazy.first_match("x/y.lazy"), Some("*.lazy"));
        assert!(lazy.set.get().is_some_and(Option::is_some));
        // A glob that does not parse is still an error of the compile, not of a later match.
        let error = PathScope::compile("read", &["a/b[".to_owned()], false).unwrap_err();
        assert!(error.to_string().contains("a/b["), "{error}");
    }

    #[test]
    fn a_set_that_cannot_be_built_fails_closed() {
        let owned = vec!["secrets/**".to_owned(), "*.key".to_owned()];
        // As if the globs were together too large to compile.
        let deny = PathScope::compile("deny", &owned, true).unwrap();
        deny.set.set(None).unwrap();
        assert_eq!(deny.first_match("docs/readme.md"), Some("secrets/**"));
        let read = PathScope::compile("read", &owned, false).unwrap();
        read.set.set(None).unwrap();
        assert_eq!(read.first_match("secrets/a"), None);
    }

    #[test]
    fn directories_beneath_which_a_pattern_may_match() {
        let read = scope(&["docs/api/*.md", "src/**"]);
        assert_eq!(read.could_match_beneath(""), Some("docs/api/*.md"));
        assert_eq!(read.could_match_beneath("docs"), Some("docs/api/*.md"));
        assert_eq!(read.could_match_beneath("docs/api"), Some("docs/api/*.md"));
        assert_eq!(read.could_match_beneath("docs/other"), None);
        assert_eq!(read.could_match_beneath("src/deep/er"), Some("src/**"));
        assert_eq!(read.could_match_beneath("tests"), None);
        let anywhere = scope(&["*.md"]);
        assert_eq!(anywhere.could_match_beneath("any/dir"), Some("*.md"));
    }

    #[test]
    fn unsupported_patterns_are_errors_naming_the_list() {
        for pattern in ["", "!secrets/**", "../x", "/", "a/./b"] {
            let error = PathScope::compile("write", &[pattern.to_owned()], false).unwrap_err();
            let message = error.to_string();
            assert!(message.contains("write"), "{message}");
        }
        let error = PathScope::compile("deny", &["a[".to_owned()], false).unwrap_err();
        assert!(matches!(error, PolicyError::InvalidGlob { .. }));
    }
}
