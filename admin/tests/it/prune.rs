//! `opp-admin sync-meetings --prune`: a meeting whose id left the content is removed when nobody registered
//! for it, and refused (exit 5, with the reason) when people did: an id is permanent once used.

use std::path::Path;

use opp_model::registration::Registration;
use opp_store::Store;
use opp_store::testkit::{client, meeting, now, start_dynoxide};

#[tokio::test(flavor = "multi_thread")]
async fn prune_removes_only_meetings_without_registrations() {
    let endpoint = start_dynoxide().await;
    let store = Store::new(client(&endpoint), "registrations");
    store.create_table().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../generator/tests/fixtures/site");
    let mut options = opp_site::BuildOptions::new(&root);
    options.output = dir.path().join("public");
    options.now = Some(now());
    opp_site::build(&options).unwrap();
    let file = dir.path().join("public/meetings.json");

    // Two meetings the content no longer has: one empty, one with a registration.
    store
        .put_meeting_details(&meeting("oud-leeg", 5))
        .await
        .unwrap();
    store
        .put_meeting_details(&meeting("oud-gebruikt", 5))
        .await
        .unwrap();
    let someone = Registration {
        meeting: "oud-gebruikt".into(),
        name: "Bo".into(),
        email: "bo@example.nl".into(),
        role: "ouder".into(),
        sector: None,
        organisation: None,
        needs: None,
    };
    store
        .register(&someone, &format!("{:064x}", 9), now())
        .await
        .unwrap();

    let sync = |extra: &[&str]| {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_opp-admin"));
        command
            .args([
                "--endpoint-url",
                &endpoint,
                "--table",
                "registrations",
                "sync-meetings",
            ])
            .arg(&file)
            .args(extra)
            .env_remove("AWS_PROFILE")
            .env_remove("OPP_LANG")
            .env_remove("TABLE_NAME")
            .env_remove("AWS_ENDPOINT_URL");
        command.output().unwrap()
    };
    let plain = sync(&[]);
    let out = String::from_utf8_lossy(&plain.stdout).into_owned();
    assert!(plain.status.success(), "{out}");
    assert!(
        out.contains("bewaard    oud-leeg") && out.contains("--prune"),
        "{out}"
    );

    let dry = sync(&["--prune", "--dry-run"]);
    let out = String::from_utf8_lossy(&dry.stdout).into_owned();
    assert!(out.contains("zou verwijderen oud-leeg"), "{out}");
    assert!(
        store.meeting("oud-leeg").await.unwrap().is_some(),
        "a dry run writes nothing"
    );

    let pruned = sync(&["--prune"]);
    let out = String::from_utf8_lossy(&pruned.stdout).into_owned();
    let err = String::from_utf8_lossy(&pruned.stderr).into_owned();
    assert_eq!(pruned.status.code(), Some(5), "{out}\n{err}");
    assert!(out.contains("verwijderd oud-leeg: niet in"), "{out}");
    assert!(
        out.contains("geweigerd  oud-gebruikt") && out.contains("een id ligt vast"),
        "{out}"
    );
    assert!(err.contains("oud-gebruikt"), "{err}");
    assert!(store.meeting("oud-leeg").await.unwrap().is_none());
    assert!(store.meeting("oud-gebruikt").await.unwrap().is_some());
}
