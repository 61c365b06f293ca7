//! `opp-admin rekey-links`: live registrations get a link of the current key while their earlier links keep
//! working; a second run has nothing left to do; `--revoke-old` ends the earlier links, not the current ones.

use std::path::PathBuf;

use jiff::Timestamp;
use opp_model::links::{DerivedLink, LinkKeys};
use opp_model::records::RegistrationRecord;
use opp_model::registration::Registration;
use opp_model::token::hash;

use super::{Env, ZWOLLE, open_at, stderr, stdout};

/// Zwolle with Anna (a random link from before link keys), Bram (a link of key version 1) and Cees
/// (cancelled), and a key ring whose current key is version 2, in a file.
struct Links {
    env: Env,
    at: Timestamp,
    legacy: String,
    bram_v1: DerivedLink,
    cees: String,
    ring: LinkKeys,
    file: PathBuf,
}

impl Links {
    async fn new() -> Links {
        let env = Env::synced(5).await;
        let person = |email: &str| Registration {
            meeting: ZWOLLE.into(),
            name: "P".into(),
            email: email.into(),
            role: "ouder".into(),
            sector: None,
            organisation: None,
            needs: None,
        };
        let at = open_at(ZWOLLE);
        let legacy = opp_model::token::new_token().unwrap();
        env.store
            .register(&person("anna@example.nl"), &hash(&legacy), at)
            .await
            .unwrap();
        let first = LinkKeys::first([1; 32]);
        let bram_v1 = first.issue([7; 16]);
        env.store
            .register(
                &person("bram@example.nl"),
                opp_store::IssuedLink::derived(&bram_v1),
                at,
            )
            .await
            .unwrap();
        let cees = opp_model::token::new_token().unwrap();
        env.store
            .register(&person("cees@example.nl"), &hash(&cees), at)
            .await
            .unwrap();
        env.store.cancel(&hash(&cees), at).await.unwrap();

        let ring = first.rotated([2; 32]);
        let file = env.dir.path().join("link-keys.json");
        std::fs::write(&file, ring.to_json()).unwrap();
        Links {
            env,
            at,
            legacy,
            bram_v1,
            cees,
            ring,
            file,
        }
    }

    /// After one `rekey-links` (its output checked by the first test below).
    async fn rekeyed() -> Links {
        let links = Links::new().await;
        let run = links.rekey(&[]).await;
        assert!(run.status.success(), "{}", stderr(&run));
        links
    }

    /// `rekey-links` with the key file and `more` arguments.
    async fn rekey(&self, more: &[&str]) -> std::process::Output {
        let mut args = vec![
            "rekey-links",
            "--link-key-file",
            self.file.to_str().unwrap(),
        ];
        args.extend_from_slice(more);
        self.env.admin(&args).await
    }

    /// The registration `token` opens, if any.
    async fn opens(&self, token: &str) -> Option<RegistrationRecord> {
        self.env
            .store
            .registration_by_token(&hash(token))
            .await
            .unwrap()
    }

    /// Anna's registration, opened through her legacy link.
    async fn anna(&self) -> RegistrationRecord {
        self.opens(&self.legacy)
            .await
            .expect("the legacy link still works")
    }

    /// Anna's link of key version 2 (found through her legacy link, so before `--revoke-old`).
    async fn anna_v2(&self) -> String {
        let anna = self.anna().await;
        self.ring
            .token(2, anna.link_id.as_deref().unwrap())
            .unwrap()
    }
}

#[tokio::test]
async fn rekey_links_gives_every_live_registration_a_link_of_the_current_key() {
    let links = Links::new().await;
    let run = links.rekey(&[]).await;
    assert!(run.status.success(), "{}", stderr(&run));
    assert!(
        stdout(&run).contains("2 registration(s) got a link of key version 2"),
        "{}",
        stdout(&run)
    );
}

#[tokio::test]
async fn rekey_links_keeps_a_legacy_link_working_beside_the_new_one() {
    let links = Links::rekeyed().await;
    let anna = links.anna().await;
    assert_eq!(anna.key_version, Some(2));
    let anna_v2 = links.anna_v2().await;
    assert_eq!(
        links.opens(&anna_v2).await.unwrap().email,
        "anna@example.nl"
    );
}

#[tokio::test]
async fn rekey_links_keeps_a_version_1_link_and_its_link_id() {
    let links = Links::rekeyed().await;
    let bram = links
        .opens(&links.bram_v1.token)
        .await
        .expect("the version 1 link still works");
    assert_eq!(
        bram.link_id.as_deref(),
        Some(links.bram_v1.link_id.as_str()),
        "the same link id"
    );
    let bram_v2 = links.ring.token(2, &links.bram_v1.link_id).unwrap();
    assert!(links.opens(&bram_v2).await.is_some());
}

#[tokio::test]
async fn rekey_links_leaves_a_cancelled_registration() {
    let links = Links::rekeyed().await;
    assert_eq!(
        links.opens(&links.cees).await.unwrap().key_version,
        None,
        "a cancelled one is left"
    );
}

#[tokio::test]
async fn rekey_links_twice_has_nothing_left_to_do() {
    let links = Links::rekeyed().await;
    let again = links.rekey(&[]).await;
    assert!(
        stdout(&again).contains("0 registration(s) got a link of key version 2; 2 already had one"),
        "{}",
        stdout(&again)
    );
}

#[tokio::test]
async fn rekey_links_revoke_old_revokes_the_earlier_links() {
    let links = Links::rekeyed().await;
    let revoke = links.rekey(&["--revoke-old"]).await;
    assert!(revoke.status.success(), "{}", stderr(&revoke));
    assert!(
        stdout(&revoke).contains("2 earlier link(s) revoked"),
        "{}",
        stdout(&revoke)
    );
    assert!(
        links.opens(&links.legacy).await.is_none(),
        "the legacy link is revoked"
    );
    assert!(
        links.opens(&links.bram_v1.token).await.is_none(),
        "the version 1 link is revoked"
    );
}

#[tokio::test]
async fn rekey_links_revoke_old_keeps_the_current_links() {
    let links = Links::rekeyed().await;
    let anna_v2 = links.anna_v2().await;
    let bram_v2 = links.ring.token(2, &links.bram_v1.link_id).unwrap();
    let revoke = links.rekey(&["--revoke-old"]).await;
    assert!(revoke.status.success(), "{}", stderr(&revoke));
    assert!(links.opens(&bram_v2).await.is_some());
    // The current link cancels.
    assert!(
        links
            .env
            .store
            .cancel(&hash(&anna_v2), links.at)
            .await
            .unwrap()
            .is_some()
    );
}

#[tokio::test]
async fn rekey_links_without_a_key_file_fails() {
    let env = Env::synced(5).await;
    let missing = env.admin(&["rekey-links"]).await;
    assert!(!missing.status.success());
}

#[tokio::test]
async fn rekey_links_revoke_old_leaves_no_token_of_the_leaked_key_open() {
    // Key version 1 leaked. Dora registered with it and cancelled before any re-keying (a cancelled
    // registration is not re-keyed); Eva was re-keyed and cancelled afterwards.
    let links = Links::new().await;
    let leaked = LinkKeys::first([1; 32]);
    let person = |email: &str| Registration {
        meeting: ZWOLLE.into(),
        name: "P".into(),
        email: email.into(),
        role: "ouder".into(),
        sector: None,
        organisation: None,
        needs: None,
    };
    let dora_v1 = leaked.issue([21; 16]);
    let eva_v1 = leaked.issue([22; 16]);
    for (email, link) in [("dora@example.nl", &dora_v1), ("eva@example.nl", &eva_v1)] {
        links
            .env
            .store
            .register(
                &person(email),
                opp_store::IssuedLink::derived(link),
                links.at,
            )
            .await
            .unwrap();
    }
    links
        .env
        .store
        .cancel(&hash(&dora_v1.token), links.at)
        .await
        .unwrap();
    let run = links.rekey(&[]).await;
    assert!(run.status.success(), "{}", stderr(&run));
    let eva_v2 = links.ring.token(2, &eva_v1.link_id).unwrap();
    links
        .env
        .store
        .cancel(&hash(&eva_v2), links.at)
        .await
        .unwrap();
    assert!(
        links.opens(&dora_v1.token).await.is_some(),
        "before revoking, the leaked key still opens Dora's cancelled registration"
    );

    let revoke = links.rekey(&["--revoke-old"]).await;
    assert!(revoke.status.success(), "{}", stderr(&revoke));
    for (who, token) in [
        ("Bram", &links.bram_v1.token),
        ("Dora (cancelled, never re-keyed)", &dora_v1.token),
        ("Eva (cancelled after re-keying)", &eva_v1.token),
    ] {
        assert!(
            links.opens(token).await.is_none(),
            "{who}'s link of the leaked key still opens"
        );
    }
    // The current key's links keep working, also on a cancelled registration.
    let bram_v2 = links.ring.token(2, &links.bram_v1.link_id).unwrap();
    assert!(links.opens(&bram_v2).await.is_some());
    assert!(links.opens(&eva_v2).await.is_some());
    // Dora can register again: her old link's token is gone, and the table stays consistent.
    let again = leaked.rotated([2; 32]).issue([23; 16]);
    let seat = links
        .env
        .store
        .register(
            &person("dora@example.nl"),
            opp_store::IssuedLink::derived(&again),
            links.at,
        )
        .await;
    assert!(seat.is_ok(), "{seat:?}");
}
