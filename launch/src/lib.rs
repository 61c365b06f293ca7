//! The launcher behind `cargo dev` and `cargo admin`. A cargo alias cannot print anything before cargo starts
//! compiling, and the first compile of the workspace takes minutes; this crate has no dependencies, so it is
//! built in a second, says in one line what is about to happen, and then runs `cargo run --bin <binary>`,
//! which shows cargo's own progress.
//!
//! Its two texts are not in `opp_model::messages`: that crate needs serde and jiff, which is the compile this
//! line is meant to come before. The tests check that the language rule is the catalogue's.

use std::ffi::{OsStr, OsString};
use std::path::Path;
use std::process::Command;

/// Printed when the binary has never been built in this target folder.
pub const FIRST_RUN_NL: &str = "eerste keer: compileren duurt een paar minuten (ongeveer 5 op 2 cores); \
     cargo laat hieronder zien hoe ver het is. Daarna start het in een paar seconden.";
pub const FIRST_RUN_EN: &str = "first run: compiling takes a few minutes (about 5 on 2 cores); \
     cargo shows its progress below. After that it starts in seconds.";

/// The first-run line in the language `OPP_LANG` asks for (the catalogue's rule: English when the value
/// starts with "en", in any case; Dutch otherwise or when unset).
pub fn first_run_line(opp_lang: Option<&str>) -> &'static str {
    match opp_lang {
        Some(value) if value.trim().to_ascii_lowercase().starts_with("en") => FIRST_RUN_EN,
        _ => FIRST_RUN_NL,
    }
}

/// Whether `binary` has yet to be built: cargo puts it beside this launcher, in the same profile folder.
pub fn is_first_run(profile_dir: &Path, binary: &OsStr) -> bool {
    let mut file = binary.to_os_string();
    file.push(std::env::consts::EXE_SUFFIX);
    !profile_dir.join(file).exists()
}

/// The variables cargo sets for the program it runs (`CARGO_PKG_NAME`, `CARGO_MANIFEST_DIR`, ...): they
/// describe this launcher, and the inner cargo sets its own for what it builds and runs.
pub fn is_launcher_package_var(key: &OsStr) -> bool {
    let key = key.to_string_lossy();
    [
        "CARGO_PKG_",
        "CARGO_MANIFEST_",
        "CARGO_BIN_",
        "CARGO_CRATE_",
    ]
    .iter()
    .any(|prefix| key.starts_with(prefix))
        || key == "CARGO_PRIMARY_PACKAGE"
}

/// `cargo run --bin <binary> -- <args>`, with cargo's progress on (no `--quiet`) and the launcher's own
/// package variables removed.
pub fn cargo_run(
    cargo: &OsStr,
    binary: &OsStr,
    args: impl IntoIterator<Item = OsString>,
) -> Command {
    let mut command = Command::new(cargo);
    command
        .arg("run")
        .arg("--bin")
        .arg(binary)
        .arg("--")
        .args(args);
    for (key, _) in std::env::vars_os() {
        if is_launcher_package_var(&key) {
            command.env_remove(key);
        }
    }
    command
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_language_rule_is_the_catalogues() {
        use opp_model::messages::Lang;
        for value in [
            None,
            Some(""),
            Some("en"),
            Some("EN"),
            Some(" en_GB.UTF-8"),
            Some("nl"),
            Some("de"),
        ] {
            let english = Lang::parse(value) == Lang::En;
            assert_eq!(
                first_run_line(value) == FIRST_RUN_EN,
                english,
                "OPP_LANG={value:?}"
            );
        }
    }

    #[test]
    fn a_first_run_is_a_missing_binary_beside_the_launcher() {
        let dir = tempfile::tempdir().unwrap();
        assert!(is_first_run(dir.path(), OsStr::new("opp-dev")));
        let built = format!("opp-dev{}", std::env::consts::EXE_SUFFIX);
        std::fs::write(dir.path().join(built), b"").unwrap();
        assert!(!is_first_run(dir.path(), OsStr::new("opp-dev")));
        assert!(is_first_run(dir.path(), OsStr::new("opp-admin")));
    }

    #[test]
    fn only_the_launchers_own_package_variables_are_dropped() {
        for key in [
            "CARGO_PKG_NAME",
            "CARGO_MANIFEST_DIR",
            "CARGO_BIN_NAME",
            "CARGO_CRATE_NAME",
            "CARGO_PRIMARY_PACKAGE",
        ] {
            assert!(is_launcher_package_var(OsStr::new(key)), "{key}");
        }
        for key in [
            "CARGO",
            "CARGO_TARGET_DIR",
            "CARGO_HOME",
            "OPP_LANG",
            "PATH",
        ] {
            assert!(!is_launcher_package_var(OsStr::new(key)), "{key}");
        }
    }
}
