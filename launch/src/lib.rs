//! The launcher behind `cargo dev`, `cargo admin` and `cargo site`. A cargo alias cannot print anything before
//! cargo starts compiling, and a first compile takes minutes; this crate has no dependencies, so it is built in
//! a second, says in one line what is about to happen, and then runs `cargo run --bin <binary>` (with
//! `--package` for `cargo site`, the generator's own smaller build), which shows cargo's own progress.
//!
//! Its texts are not in `opp_model::messages`: that crate needs serde and jiff, which is the compile this
//! line is meant to come before. The tests check that the language rule is the catalogue's.

use std::ffi::{OsStr, OsString};
use std::path::Path;
use std::process::Command;

/// Printed when a binary of the workspace build (`cargo dev`, `cargo admin`) has never been built in this
/// target folder: Dutch, English.
pub const FIRST_RUN: [&str; 2] = [
    "eerste keer: compileren duurt een paar minuten (ongeveer 5 op een computer met 2 kernen). \
     Hieronder zie je hoe ver het is. Daarna start het in een paar seconden.",
    "first run: compiling takes a few minutes (about 5 on a computer with 2 cores). \
     Its progress is shown below. After that it starts in seconds.",
];

/// The same for one package's own build (`cargo site`: the generator alone).
pub const FIRST_RUN_PACKAGE: [&str; 2] = [
    "eerste keer: compileren duurt ongeveer een minuut. \
     Hieronder zie je hoe ver het is. Daarna start het in een paar seconden.",
    "first run: compiling takes about a minute. \
     Its progress is shown below. After that it starts in seconds.",
];

/// What the alias asked for: `[--package <package>] <binary> [args...]`.
#[derive(Debug, PartialEq, Eq)]
pub struct Launch {
    pub package: Option<OsString>,
    pub binary: OsString,
    pub args: Vec<OsString>,
}

impl Launch {
    /// `None` when the binary's name is missing.
    pub fn parse(args: impl IntoIterator<Item = OsString>) -> Option<Launch> {
        let mut args = args.into_iter();
        let mut binary = args.next()?;
        let mut package = None;
        if binary == "--package" {
            package = Some(args.next()?);
            binary = args.next()?;
        }
        Some(Launch {
            package,
            binary,
            args: args.collect(),
        })
    }

    /// The first-run line in the language `OPP_LANG` asks for (the catalogue's rule: English when the value
    /// starts with "en", in any case; Dutch otherwise or when unset).
    pub fn first_run_line(&self, opp_lang: Option<&str>) -> &'static str {
        let texts = if self.package.is_some() {
            &FIRST_RUN_PACKAGE
        } else {
            &FIRST_RUN
        };
        match opp_lang {
            Some(value) if value.trim().to_ascii_lowercase().starts_with("en") => texts[1],
            _ => texts[0],
        }
    }

    /// `cargo run [--package <package>] --bin <binary> -- <args>`, with cargo's progress on (no `--quiet`)
    /// and the launcher's own package variables removed. Without a package, cargo resolves the features of
    /// the whole workspace, as the test command does, so nothing is compiled twice.
    pub fn cargo_run(&self, cargo: &OsStr) -> Command {
        let mut command = Command::new(cargo);
        command.arg("run");
        if let Some(package) = &self.package {
            command.arg("--package").arg(package);
        }
        command
            .arg("--bin")
            .arg(&self.binary)
            .arg("--")
            .args(&self.args);
        for (key, _) in std::env::vars_os() {
            if is_launcher_package_var(&key) {
                command.env_remove(key);
            }
        }
        command
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

#[cfg(test)]
mod tests {
    use super::*;

    fn words(args: &[&str]) -> Vec<OsString> {
        args.iter().map(OsString::from).collect()
    }

    #[test]
    fn the_language_rule_is_the_catalogues() {
        use opp_model::messages::Lang;
        let workspace = Launch::parse(words(&["opp-dev"])).unwrap();
        let package = Launch::parse(words(&["--package", "opp-site", "opp-site"])).unwrap();
        for (launch, texts) in [(workspace, FIRST_RUN), (package, FIRST_RUN_PACKAGE)] {
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
                    launch.first_run_line(value),
                    texts[usize::from(english)],
                    "OPP_LANG={value:?}"
                );
            }
        }
    }

    #[test]
    fn the_alias_words_are_package_binary_and_arguments() {
        let launch = Launch::parse(words(&[
            "--package",
            "opp-site",
            "opp-site",
            "serve",
            "--port",
            "8081",
        ]))
        .unwrap();
        assert_eq!(launch.package.as_deref(), Some(OsStr::new("opp-site")));
        assert_eq!(launch.binary, "opp-site");
        assert_eq!(launch.args, words(&["serve", "--port", "8081"]));
        let launch = Launch::parse(words(&["opp-dev", "--package", "x"])).unwrap();
        assert_eq!(
            (launch.package, launch.binary),
            (None, OsString::from("opp-dev")),
            "later words are the program's"
        );
        assert_eq!(Launch::parse(words(&[])), None);
        assert_eq!(Launch::parse(words(&["--package", "opp-site"])), None);
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
        let dropped = [
            "CARGO_PKG_NAME",
            "CARGO_MANIFEST_DIR",
            "CARGO_BIN_NAME",
            "CARGO_CRATE_NAME",
            "CARGO_PRIMARY_PACKAGE",
        ];
        for key in dropped {
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
