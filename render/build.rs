//! Embeds the email templates (`theme/emails/`) and the site configuration (`opp_render::embedded`), so the
//! mailer sends, and the back office previews, the site's wording without files beside them. A wording change
//! therefore needs a deploy of both functions.

use std::fmt::Write as _;
use std::path::PathBuf;

fn main() {
    let manifest =
        PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let root = manifest
        .parent()
        .expect("opp-render lives in the workspace");
    let emails = root.join("theme").join("emails");
    let config = root.join("config.yaml");
    println!("cargo:rerun-if-changed={}", emails.display());
    println!("cargo:rerun-if-changed={}", config.display());
    let mut files: Vec<(String, PathBuf)> = std::fs::read_dir(&emails)
        .map(|entries| {
            entries
                .flatten()
                .map(|entry| entry.path())
                .filter(|path| path.extension().is_some_and(|e| e == "txt" || e == "html"))
                .map(|path| {
                    let name = path
                        .file_name()
                        .expect("a file has a name")
                        .to_string_lossy()
                        .into_owned();
                    (name, path)
                })
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    let mut out = String::from(
        "/// Email templates embedded at build time: (name, text).\npub const EMAILS: &[(&str, &str)] = &[\n",
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
    writeln!(
        out,
        "/// The site configuration embedded at build time.\npub const CONFIG: &str = include_str!({:?});",
        config.display().to_string()
    )
    .expect("write to string");
    let target = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"))
        .join("embedded_emails.rs");
    std::fs::write(target, out).expect("write embedded_emails.rs");
}
