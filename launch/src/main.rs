//! `opp-launch <binary> [args...]`: what `cargo dev` and `cargo admin` run (see the crate's docs).

use std::ffi::OsString;
use std::process::ExitCode;

fn main() -> ExitCode {
    let mut args = std::env::args_os().skip(1);
    let Some(binary) = args.next() else {
        eprintln!(
            "usage: opp-launch <binary> [args...] (this is what `cargo dev` and `cargo admin` run)"
        );
        return ExitCode::from(2);
    };
    let profile_dir = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|dir| dir.to_path_buf()));
    if profile_dir.is_some_and(|dir| opp_launch::is_first_run(&dir, &binary)) {
        let opp_lang = std::env::var("OPP_LANG").ok();
        eprintln!("{}", opp_launch::first_run_line(opp_lang.as_deref()));
    }
    // `cargo run` sets CARGO for the program it runs: the same cargo (and toolchain) as the alias's.
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| OsString::from("cargo"));
    let mut command = opp_launch::cargo_run(&cargo, &binary, args);
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
