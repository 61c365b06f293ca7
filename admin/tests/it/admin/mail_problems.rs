//! Mail problems for the organisers: a bounced address shows in `summary` and `list`; `mail-failures` lists
//! the emails not sent, by kind and subject, without an address.

use std::process::Output;

use opp_store::testkit::now;

use super::{Env, ZWOLLE, stderr, stdout};

/// Anna (whose address bounced) and Bram in Zwolle.
async fn anna_bounced() -> Env {
    let env = Env::synced(5).await;
    env.register(ZWOLLE, "anna@example.nl", "Anna").await;
    env.register(ZWOLLE, "bram@example.nl", "Bram").await;
    assert_eq!(
        env.store
            .mark_email_status("anna@example.nl", "bounced")
            .await
            .unwrap(),
        1
    );
    env
}

/// `mail-failures` after one promotion email was rejected (the provider's message names the address).
async fn one_failure() -> Output {
    let env = anna_bounced().await;
    let key = opp_store::mail_ledger::MailKey {
        subject: "0123abcd".into(),
        kind: "promoted",
        version: "1".into(),
    };
    opp_store::mail_ledger::record_failure(
        &env.store,
        &key,
        "SendEmail: MessageRejected: not verified: anna@example.nl",
        now(),
    )
    .await
    .unwrap();
    let failures = env.admin(&["mail-failures"]).await;
    assert!(failures.status.success(), "{}", stderr(&failures));
    failures
}

#[tokio::test]
async fn summary_counts_the_bounced_addresses_per_meeting() {
    let env = anna_bounced().await;
    let summary = env.admin(&["summary"]).await;
    assert!(
        stdout(&summary).contains(&format!("Email bounced or marked as spam (these people get no email; `opp-admin list --meeting ID` shows who): {ZWOLLE} 1")),
        "{}",
        stdout(&summary)
    );
}

#[tokio::test]
async fn list_json_has_each_addresss_mail_status() {
    let env = anna_bounced().await;
    let list = env.admin(&["list", "--meeting", ZWOLLE, "--json"]).await;
    let rows: serde_json::Value = serde_json::from_str(&stdout(&list)).unwrap();
    let statuses: Vec<(&str, Option<&str>)> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["email"].as_str().unwrap(), r["email_status"].as_str()))
        .collect();
    assert_eq!(
        statuses,
        [
            ("anna@example.nl", Some("bounced")),
            ("bram@example.nl", None)
        ]
    );
}

#[tokio::test]
async fn mail_failures_says_when_no_email_failed() {
    let env = anna_bounced().await;
    let none = env.admin(&["mail-failures"]).await;
    assert!(
        stdout(&none).contains("No email failed"),
        "{}",
        stdout(&none)
    );
}

#[tokio::test]
async fn mail_failures_lists_a_failed_email_by_kind_and_subject() {
    let text = stdout(&one_failure().await);
    assert!(
        text.contains("promoted") && text.contains("0123abcd"),
        "{text}"
    );
    assert!(text.contains("1 email(s) not sent"), "{text}");
}

#[tokio::test]
async fn mail_failures_shows_no_address() {
    let text = stdout(&one_failure().await);
    assert!(!text.contains('@'), "no address: {text}");
}
