//! Embeds the shipped library (personas, contexts, templates, prompts) and the starter project
//! (`starter/`: a tiny service, its tests, a secrets scan, sample tasks) into the binary, so
//! `agentctl init` never needs the repository it was built from.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

const LIBRARY_DIRECTORIES: [&str; 4] = ["personas", "contexts", "templates", "prompts"];
/// Written at the root of a new project: `starter/tests/x.py` becomes `tests/x.py`.
const STARTER: &str = "starter";

fn main() {
    let manifest_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default());
    let mut files: Vec<(String, PathBuf)> = Vec::new();
    for directory in LIBRARY_DIRECTORIES {
        println!("cargo:rerun-if-changed={directory}");
        collect(&manifest_dir, &manifest_dir.join(directory), &mut files);
    }
    println!("cargo:rerun-if-changed={STARTER}");
    let mut starter = Vec::new();
    collect(&manifest_dir, &manifest_dir.join(STARTER), &mut starter);
    for (relative, absolute) in starter {
        let inside = relative
            .strip_prefix(&format!("{STARTER}/"))
            .unwrap_or(&relative)
            .to_owned();
        files.push((inside, absolute));
    }
    files.sort();
    let mut source = String::from("/// (path relative to the new project root, file contents)\npub const SHIPPED_FILES: &[(&str, &str)] = &[\n");
    for (relative, absolute) in &files {
        let _ = writeln!(
            source,
            "    ({relative:?}, include_str!({:?})),",
            absolute.display().to_string()
        );
    }
    source.push_str("];\n");
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").unwrap_or_default());
    if let Err(error) = std::fs::write(out_dir.join("shipped_files.rs"), source) {
        println!("cargo:warning=cannot write shipped_files.rs: {error}");
    }
}

fn collect(manifest_dir: &Path, directory: &Path, files: &mut Vec<(String, PathBuf)>) {
    let Ok(entries) = std::fs::read_dir(directory) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(manifest_dir, &path, files);
        } else if path.is_file() {
            if let Ok(relative) = path.strip_prefix(manifest_dir) {
                let relative = relative
                    .components()
                    .map(|part| part.as_os_str().to_string_lossy().into_owned())
                    .collect::<Vec<_>>()
                    .join("/");
                files.push((relative, path));
            }
        }
    }
}
