//! opp-admin's errors say what to do, with an exit code per kind: 2 for what was asked (arguments, files),
//! 3 for the connection (store, region, credentials), 4 for a missing table.

use std::path::Path;
use std::process::Command;

use super::{Env, run, stderr};

/// opp-admin as on a machine with real AWS but no credentials and no region: no network needed to tell.
fn without_aws_settings(home: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_opp-admin"));
    command
        .env_clear()
        .env("OPP_LANG", "en")
        .env("HOME", home)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", home.join("none"))
        .env("AWS_SHARED_CREDENTIALS_FILE", home.join("none"));
    command
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_table_exits_4_and_names_it() {
    let env = Env::new().await;
    let missing_table = env.admin_on("nope", &["summary"]).await;
    assert_eq!(
        missing_table.status.code(),
        Some(4),
        "{}",
        stderr(&missing_table)
    );
    assert!(
        stderr(&missing_table).contains("table `nope` does not exist"),
        "{}",
        stderr(&missing_table)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unreachable_store_exits_3_and_names_it() {
    // A port where nothing listens.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let mut command = Command::new(env!("CARGO_BIN_EXE_opp-admin"));
    command
        .env("OPP_LANG", "en")
        .args(["--endpoint-url", &dead, "summary"]);
    let unreachable = run(command).await;
    assert_eq!(unreachable.status.code(), Some(3));
    assert!(
        stderr(&unreachable).contains(&format!("cannot reach the store at {dead}")),
        "{}",
        stderr(&unreachable)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn without_a_region_it_exits_3_and_shows_the_local_endpoint_option() {
    let home = tempfile::tempdir().unwrap();
    let mut no_region = without_aws_settings(home.path());
    no_region.arg("summary");
    let no_region = run(no_region).await;
    assert_eq!(no_region.status.code(), Some(3));
    assert!(
        stderr(&no_region).contains("no AWS region")
            && stderr(&no_region).contains("--endpoint-url http://127.0.0.1:8000"),
        "{}",
        stderr(&no_region)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn without_credentials_it_exits_3_and_says_so() {
    let home = tempfile::tempdir().unwrap();
    let mut no_credentials = without_aws_settings(home.path());
    no_credentials.args(["--region", "eu-central-1", "summary"]);
    let no_credentials = run(no_credentials).await;
    assert_eq!(no_credentials.status.code(), Some(3));
    assert!(
        stderr(&no_credentials).contains("no AWS credentials"),
        "{}",
        stderr(&no_credentials)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn sync_of_a_missing_file_exits_2_and_says_how_to_build_it() {
    let env = Env::new().await;
    let no_file = env
        .admin(&["sync-meetings", "/nonexistent/meetings.json"])
        .await;
    assert_eq!(no_file.status.code(), Some(2));
    assert!(
        stderr(&no_file).contains("cargo site build"),
        "{}",
        stderr(&no_file)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn sync_of_another_file_version_exits_2_and_names_it() {
    let env = Env::new().await;
    let bad_json = env.dir.path().join("bad.json");
    std::fs::write(
        &bad_json,
        r#"{"version": 2, "retention_days": 1, "meetings": []}"#,
    )
    .unwrap();
    let wrong_version = env
        .admin(&["sync-meetings", bad_json.to_str().unwrap()])
        .await;
    assert_eq!(wrong_version.status.code(), Some(2));
    assert!(
        stderr(&wrong_version).contains("version 2"),
        "{}",
        stderr(&wrong_version)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn export_without_meeting_or_all_is_a_usage_error() {
    let env = Env::new().await;
    let usage = env.export(&[], "csv", "x.csv").await;
    assert_eq!(usage.status.code(), Some(2), "neither --meeting nor --all");
}

#[tokio::test(flavor = "multi_thread")]
async fn export_of_an_unknown_meeting_exits_2_points_to_sync_and_writes_no_file() {
    let env = Env::new().await;
    let unknown = env
        .export(&["--meeting", "x"], "csv", "/tmp/never.csv")
        .await;
    assert_eq!(unknown.status.code(), Some(2));
    assert!(
        stderr(&unknown).contains("sync-meetings"),
        "{}",
        stderr(&unknown)
    );
    assert!(!Path::new("/tmp/never.csv").exists());
}
