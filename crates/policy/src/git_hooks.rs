//! Where git looks for hooks in a workspace: `.git/hooks` (already protected with `.git`) and
//! the directory `core.hooksPath` in `.git/config` names, which gets the same protection.
//!
//! Owns: reading `core.hooksPath` from the repository's own config file. Does not follow
//! `[include]` files or read the user's or the system's git config (a hook directory set there
//! and lying inside the workspace is not seen; docs/security-model.md lists this limit). A
//! small reader instead of a git-config library: one key of one section is all that is needed.

use std::path::Path;

/// Workspace-relative globs of the hook directory set in `WORKSPACE/.git/config`, if it lies
/// inside the workspace.
pub(crate) fn configured_hook_globs(workspace: &Path) -> Vec<String> {
    let Ok(text) = std::fs::read_to_string(workspace.join(".git").join("config")) else {
        return Vec::new();
    };
    let Some(value) = hooks_path(&text) else {
        return Vec::new();
    };
    let value = value.trim_end_matches('/');
    let relative = if Path::new(value).is_absolute() {
        match Path::new(value).strip_prefix(workspace) {
            Ok(inside) => inside.to_string_lossy().into_owned(),
            Err(_) => return Vec::new(),
        }
    } else if value.starts_with('~') {
        return Vec::new();
    } else {
        value.trim_start_matches("./").to_owned()
    };
    let parts: Vec<&str> = relative
        .split('/')
        .filter(|part| !part.is_empty() && *part != ".")
        .collect();
    if parts.is_empty() {
        // Hooks at the workspace root: protecting it would protect everything; `**` says so.
        return vec!["**".to_owned()];
    }
    if parts.contains(&"..") {
        return Vec::new();
    }
    let joined = parts.join("/");
    vec![format!("/{joined}"), format!("/{joined}/**")]
}

/// The last `hooksPath` of a `[core]` section (git's rule: the last value wins). Section and
/// key names are case-insensitive; values may be quoted.
fn hooks_path(text: &str) -> Option<String> {
    let mut in_core = false;
    let mut found = None;
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('#') || line.starts_with(';') || line.is_empty() {
            continue;
        }
        let mut rest = line;
        if let Some(after) = line.strip_prefix('[') {
            let Some((section, tail)) = after.split_once(']') else {
                continue;
            };
            in_core = section.trim().eq_ignore_ascii_case("core");
            rest = tail.trim();
            if rest.is_empty() {
                continue;
            }
        }
        if !in_core {
            continue;
        }
        let Some((key, value)) = rest.split_once('=') else {
            continue;
        };
        if key.trim().eq_ignore_ascii_case("hookspath") {
            let value = value
                .split([';', '#'])
                .next()
                .unwrap_or_default()
                .trim()
                .trim_matches('"');
            found = Some(value.to_owned());
        }
    }
    found.filter(|value| !value.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_core_hooks_path_last_value_wins() {
        let text = "[core]\n\tbare = false\n\thooksPath = first\n[remote \"o\"]\n\thookspath = no\n[Core]\n\tHooksPath = \"githooks\" # team hooks\n";
        assert_eq!(hooks_path(text), Some("githooks".to_owned()));
        assert_eq!(hooks_path("[core]\nbare = false\n"), None);
    }

    #[test]
    fn hook_directory_inside_the_workspace_becomes_anchored_globs() {
        let directory = tempfile::tempdir().unwrap();
        let workspace = std::fs::canonicalize(directory.path()).unwrap();
        std::fs::create_dir_all(workspace.join(".git")).unwrap();
        std::fs::write(
            workspace.join(".git/config"),
            "[core]\n\thooksPath = ./tools/hooks/\n",
        )
        .unwrap();
        assert_eq!(
            configured_hook_globs(&workspace),
            vec!["/tools/hooks", "/tools/hooks/**"]
        );
        std::fs::write(
            workspace.join(".git/config"),
            format!("[core]\n\thooksPath = {}/h\n", workspace.display()),
        )
        .unwrap();
        assert_eq!(configured_hook_globs(&workspace), vec!["/h", "/h/**"]);
        std::fs::write(
            workspace.join(".git/config"),
            "[core]\n\thooksPath = /etc/hooks\n",
        )
        .unwrap();
        assert!(configured_hook_globs(&workspace).is_empty());
    }
}
