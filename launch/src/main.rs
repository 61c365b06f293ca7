//! `opp-launch [--package <package>] <binary> [args...]`: what `cargo dev`, `cargo admin` and `cargo site` run
//! (see the crate's docs).

use std::ffi::OsString;
use std::process::ExitCode;

fn main() -> ExitCode {
    let Some(launch) = opp_launch::Launch::parse(std::env::args_os().skip(1)) else {
        eprintln!(
            "usage: opp-launch [--package <package>] <binary> [args...] \
             (this is what `cargo dev`, `cargo admin` and `cargo site` run)"
        );
        return ExitCode::from(2);
    };
    let profile_dir = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|dir| dir.to_path_buf()));
    if profile_dir.is_some_and(|dir| opp_launch::is_first_run(&dir, &launch.binary)) {
        let opp_lang = std::env::var("OPP_LANG").ok();
        eprintln!("{}", launch.first_run_line(opp_lang.as_deref()));
    }
    // `cargo run` sets CARGO for the program it runs: the same cargo (and toolchain) as the alias's.
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| OsString::from("cargo"));
    let mut command = launch.cargo_run(&cargo);
    run(&mut command, &cargo)
}

/// Replaces this process with cargo, so Ctrl-C, the exit status and the terminal are cargo's and the program's.
#[cfg(unix)]
fn run(command: &mut std::process::Command, cargo: &std::ffi::OsStr) -> ExitCode {
    use std::os::unix::process::CommandExt;
    let error = command.exec();
    eprintln!("cannot start {}: {error}", cargo.to_string_lossy());
    ExitCode::FAILURE
}

#[cfg(not(unix))]
fn run(command: &mut std::process::Command, cargo: &std::ffi::OsStr) -> ExitCode {
    match command.status() {
        Ok(status) => ExitCode::from(status.code().map_or(1, |code| code.clamp(0, 255) as u8)),
        Err(error) => {
            eprintln!("cannot start {}: {error}", cargo.to_string_lossy());
            ExitCode::FAILURE
        }
    }
}
