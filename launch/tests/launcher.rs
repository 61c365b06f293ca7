//! The launcher binary as `cargo dev` runs it: a copy in a folder of its own (so whether `opp-dev` was built
//! there is up to the test) and a recording stand-in for cargo.
#![cfg(unix)]

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

struct Setup {
    dir: tempfile::TempDir,
    launcher: PathBuf,
    cargo: PathBuf,
}

fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let launcher = dir.path().join("opp-launch");
    std::fs::copy(env!("CARGO_BIN_EXE_opp-launch"), &launcher).unwrap();
    // The stand-in records its arguments and environment, then exits with a status of its own, which the
    // launcher must pass on (it replaces itself with cargo).
    let cargo = dir.path().join("fake-cargo");
    std::fs::write(
        &cargo,
        "#!/bin/sh\nprintf '%s\\n' \"$@\" > \"$0.args\"\nenv > \"$0.env\"\nexit 7\n",
    )
    .unwrap();
    std::fs::set_permissions(&cargo, std::fs::Permissions::from_mode(0o755)).unwrap();
    Setup {
        dir,
        launcher,
        cargo,
    }
}

fn launch(setup: &Setup, args: &[&str], opp_lang: Option<&str>) -> Output {
    let mut command = Command::new(&setup.launcher);
    command
        .args(args)
        .env("CARGO", &setup.cargo)
        .env("CARGO_PKG_NAME", "opp-launch")
        .env_remove("OPP_LANG");
    if let Some(lang) = opp_lang {
        command.env("OPP_LANG", lang);
    }
    command.output().unwrap()
}

fn recorded(cargo: &Path, what: &str) -> String {
    std::fs::read_to_string(cargo.with_extension(what)).unwrap()
}

#[test]
fn the_first_run_says_what_is_happening_then_hands_over_to_cargo_run() {
    let setup = setup();
    let output = launch(&setup, &["opp-dev", "--port", "8090", "--cms"], None);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("eerste keer: compileren duurt een paar minuten"),
        "{stderr}"
    );
    assert_eq!(
        output.status.code(),
        Some(7),
        "cargo's exit status is the launcher's"
    );
    assert_eq!(
        recorded(&setup.cargo, "args"),
        "run\n--bin\nopp-dev\n--\n--port\n8090\n--cms\n"
    );
    let env = recorded(&setup.cargo, "env");
    assert!(
        !env.contains("CARGO_PKG_NAME="),
        "the launcher's package variables are not passed on:\n{env}"
    );
    assert!(
        env.contains(&format!("CARGO={}", setup.cargo.display())),
        "{env}"
    );
}

#[test]
fn english_with_opp_lang_en() {
    let setup = setup();
    let output = launch(&setup, &["opp-admin", "summary"], Some("en"));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("first run: compiling takes a few minutes"),
        "{stderr}"
    );
    assert_eq!(
        recorded(&setup.cargo, "args"),
        "run\n--bin\nopp-admin\n--\nsummary\n"
    );
}

#[test]
fn cargo_site_builds_the_generator_package_alone() {
    let setup = setup();
    let output = launch(
        &setup,
        &[
            "--package",
            "opp-site",
            "opp-site",
            "serve",
            "--port",
            "8081",
        ],
        None,
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("eerste keer: compileren duurt ongeveer een minuut"),
        "{stderr}"
    );
    assert_eq!(
        recorded(&setup.cargo, "args"),
        "run\n--package\nopp-site\n--bin\nopp-site\n--\nserve\n--port\n8081\n"
    );
}

#[test]
fn once_built_it_says_nothing_of_its_own() {
    let setup = setup();
    std::fs::write(setup.dir.path().join("opp-dev"), b"").unwrap();
    let output = launch(&setup, &["opp-dev"], None);
    assert_eq!(String::from_utf8_lossy(&output.stderr), "");
    assert_eq!(recorded(&setup.cargo, "args"), "run\n--bin\nopp-dev\n--\n");
}

#[test]
fn without_a_binary_name_it_says_how_it_is_used() {
    let setup = setup();
    let output = launch(&setup, &[], None);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&output.stderr)
            .contains("usage: opp-launch [--package <package>] <binary>")
    );
    assert!(
        !setup.cargo.with_extension("args").exists(),
        "cargo is not run"
    );
}
