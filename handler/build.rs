//! Embeds the theme's templates and the site configuration, so the Lambda binary renders pages in the
//! site's look without files beside it.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn main() {
    let manifest =
        PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let root = manifest
        .parent()
        .expect("the handler lives in the workspace")
        .to_path_buf();
    let templates_dir = root.join("theme").join("templates");
    let config = root.join("config.yaml");
    println!("cargo:rerun-if-changed={}", templates_dir.display());
    println!("cargo:rerun-if-changed={}", config.display());
    let mut files = Vec::new();
    collect(&templates_dir, &templates_dir, &mut files);
    files.sort();
    let mut out = String::from(
        "/// Theme templates embedded at build time: (name, text).\npub const TEMPLATES: &[(&str, &str)] = &[\n",
    );
    for (name, path) in &files {
        println!("cargo:rerun-if-changed={}", path.display());
        writeln!(
            out,
            "    ({name:?}, include_str!({:?})),",
            path.display().to_string()
        )
        .expect("write to string");
    }
    out.push_str("];\n");
    if config.is_file() {
        writeln!(out, "/// The site configuration embedded at build time.\npub const CONFIG: &str = include_str!({:?});", config.display().to_string())
            .expect("write to string");
    } else {
        out.push_str("pub const CONFIG: &str = \"\";\n");
    }
    let target = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"))
        .join("embedded_theme.rs");
    std::fs::write(target, out).expect("write embedded_theme.rs");
}

fn collect(base: &Path, dir: &Path, files: &mut Vec<(String, PathBuf)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            println!("cargo:rerun-if-changed={}", path.display());
            collect(base, &path, files);
        } else if path.extension().is_some_and(|e| e == "html") {
            let name = path
                .strip_prefix(base)
                .expect("inside base")
                .to_string_lossy()
                .replace('\\', "/");
            files.push((name, path));
        }
    }
}
