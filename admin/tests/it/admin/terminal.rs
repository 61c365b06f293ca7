//! What registrants typed cannot steer the organiser's terminal: control and hidden characters in stored
//! rows show escaped in list, summary and erase, and in their `--json`, which a parser still reads as stored.

use opp_model::registration::Registration;
use opp_store::testkit::now;

use super::{Env, ZWOLLE, stdout};

/// True when `text` holds nothing that could steer a terminal (line ends aside).
fn terminal_safe(text: &str) -> bool {
    !text
        .chars()
        .any(|c| c != '\n' && opp_model::registration::is_hidden_or_control(c))
}

/// Zwolle with one place: Anna's row full of control characters has it, Bert (one in his address) waits.
async fn rows_with_control_characters() -> Env {
    let env = Env::synced(1).await;
    // Rows from before the handler refused these characters, written to the store directly.
    let old_row = Registration {
        meeting: ZWOLLE.into(),
        name: "Anna\u{1b}]0;x\u{7}".into(),
        email: "anna@example.nl".into(),
        role: "ouder\u{1b}[2J".into(),
        sector: Some("vo".into()),
        organisation: Some("\u{202e}SBO".into()),
        needs: Some("rolstoel\u{200b}\u{9b}31m\nen tolk".into()),
    };
    let token = opp_model::token::new_token().unwrap();
    env.store
        .register(&old_row, &opp_model::token::hash(&token), now())
        .await
        .unwrap();
    env.register(ZWOLLE, "bert\u{1b}[2J@example.nl", "Bert\u{202e}")
        .await;
    env
}

#[tokio::test(flavor = "multi_thread")]
async fn list_shows_control_characters_escaped() {
    let env = rows_with_control_characters().await;
    let list = stdout(&env.admin(&["list", "--meeting", ZWOLLE]).await);
    assert!(terminal_safe(&list), "{list:?}");
    for shown in [
        "Anna\\u{1b}]0;x\\u{7}",
        "ouder\\u{1b}[2J",
        "\\u{202e}SBO",
        "rolstoel\\u{200b}\\u{9b}31m en tolk",
        "Bert\\u{202e}",
    ] {
        assert!(list.contains(shown), "{shown} in {list}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn list_json_escapes_control_characters_and_keeps_the_stored_text() {
    let env = rows_with_control_characters().await;
    let json = stdout(&env.admin(&["list", "--meeting", ZWOLLE, "--json"]).await);
    assert!(terminal_safe(&json), "{json:?}");
    let rows: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(
        rows[0]["organisation"], "\u{202e}SBO",
        "a parser reads the stored text"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn summary_shows_control_characters_escaped() {
    let env = rows_with_control_characters().await;
    let summary = stdout(&env.admin(&["summary"]).await);
    assert!(terminal_safe(&summary), "{summary:?}");
    assert!(summary.contains("ouder\\u{1b}[2J"), "{summary}");
}

#[tokio::test(flavor = "multi_thread")]
async fn summary_json_escapes_control_characters() {
    let env = rows_with_control_characters().await;
    let summary_json = stdout(&env.admin(&["summary", "--json"]).await);
    assert!(terminal_safe(&summary_json), "{summary_json:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn erase_shows_control_characters_escaped() {
    let env = rows_with_control_characters().await;
    let erased = stdout(&env.admin(&["erase", "--email", "anna@example.nl"]).await);
    assert!(terminal_safe(&erased), "{erased:?}");
    assert!(
        erased.contains("went to bert\\u{1b}[2J@example.nl"),
        "{erased}"
    );
}
