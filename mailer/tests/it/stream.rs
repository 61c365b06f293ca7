//! The mailer against dynoxide's real stream, driven by the poller (the local event source mapping):
//! every registration row of the transition table sends its email once, a redelivered stream sends
//! nothing twice, and a poisoned record is retried, recorded and then passed, delaying what follows it
//! without losing it.

use opp_store::testkit;

use std::path::{Path, PathBuf};

use opp_mailer::Mailer;
use opp_mailer::batch::ATTEMPTS;
use opp_mailer::deliver::Sender;
use opp_mailer::poller::Poller;
use opp_mailer::settings::{Mailbox, Site};
use opp_model::links::LinkKeys;
use opp_model::registration::Registration;
use opp_model::token;
use opp_store::aws::{ClientSettings, dynamodb_client};
use opp_store::link_keys::LinkKeySource;
use opp_store::mail_ledger;
use opp_store::{IssuedLink, Store};
use testkit::{meeting, now};

const M: &str = "2030-03-zwolle";
const SITE: &str = "https://www.example.nl";

struct Peer {
    store: Store,
    endpoint: String,
    ring: LinkKeys,
    outbox: tempfile::TempDir,
}

async fn peer(capacity: u32) -> Peer {
    let endpoint = testkit::start_dynoxide().await;
    let store = Store::new(
        dynamodb_client(ClientSettings::local(&endpoint)).unwrap(),
        "registrations",
    );
    store.create_table().await.unwrap();
    store
        .put_meeting_details(&meeting(M, capacity))
        .await
        .unwrap();
    Peer {
        store,
        endpoint,
        ring: LinkKeys::first([5; 32]),
        outbox: tempfile::tempdir().unwrap(),
    }
}

impl Peer {
    fn mailer(&self, outbox: &Path) -> Mailer {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
        Mailer {
            store: self.store.clone(),
            site: Site::from_root(
                root,
                Some(SITE),
                Mailbox::parse("Landelijk OPP Project <noreply@example.nl>").unwrap(),
            )
            .unwrap(),
            keys: LinkKeySource::fixed(self.ring.clone()),
            sender: Sender::Outbox {
                dir: outbox.to_path_buf(),
            },
        }
    }

    async fn poller(&self) -> Poller {
        Poller::for_table(self.store.client(), &self.endpoint, self.store.table())
            .await
            .unwrap()
    }

    /// Registers `email` with a derived link; the token.
    async fn register(&self, email: &str, name: &str) -> String {
        let link = self
            .ring
            .issue(opp_store::link_keys::new_link_random().unwrap());
        let registration = Registration {
            meeting: M.into(),
            name: name.into(),
            email: email.into(),
            role: "ouder".into(),
            sector: None,
            organisation: None,
            needs: None,
        };
        self.store
            .register(&registration, IssuedLink::derived(&link), now())
            .await
            .unwrap();
        link.token
    }
}

/// The outbox's messages, oldest first, as a mail client reads them (Python's `email`, tests/read_mail.py).
fn messages(dir: &Path) -> Vec<(PathBuf, serde_json::Value)> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| entries.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    files.retain(|p| p.extension().is_some_and(|e| e == "eml"));
    files.sort();
    if files.is_empty() {
        return Vec::new();
    }
    let read = read_mail(&files, false);
    files.into_iter().zip(read).collect()
}

/// tests/read_mail.py over `files`: one JSON object per message.
pub fn read_mail(files: &[PathBuf], with_icalendar: bool) -> Vec<serde_json::Value> {
    let python = std::env::var("OPP_TEST_PYTHON").unwrap_or_else(|_| "python3".into());
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/read_mail.py");
    let mut command = std::process::Command::new(&python);
    command.arg(script).args(files);
    if with_icalendar {
        command.arg("--icalendar");
    }
    let output = command.output().unwrap_or_else(|err| {
        panic!("{python} could not run ({err}): the mail tests read messages with Python")
    });
    assert!(
        output.status.success(),
        "read_mail.py: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice::<Vec<serde_json::Value>>(&output.stdout).unwrap()
}

fn text(mail: &serde_json::Value) -> &str {
    mail["text"].as_str().unwrap_or_default()
}

fn has_calendar(mail: &serde_json::Value) -> bool {
    mail["attachments"]
        .as_array()
        .unwrap()
        .iter()
        .any(|a| a["content_type"] == "text/calendar")
}

/// What the QR codes in a message's images say (tests/read_mail.py reads them with zbar).
fn qr_codes(mail: &serde_json::Value) -> Vec<String> {
    mail["images"]
        .as_array()
        .unwrap()
        .iter()
        .map(|image| {
            assert_eq!(image["content_type"], "image/png", "{image}");
            assert_eq!(image["content_id"], "toegangscode", "{image}");
            image["qr"]
                .as_str()
                .unwrap_or_else(|| panic!("no QR code read from {image}: is zbarimg installed?"))
                .to_string()
        })
        .collect()
}

fn kind_of(path: &Path) -> String {
    // `<time>-<kind>-<nonce>`; a kind may hold a dash itself (`address-changed`).
    let name = path.file_stem().unwrap().to_string_lossy().into_owned();
    let parts: Vec<&str> = name.split('-').collect();
    parts[1..parts.len() - 1].join("-")
}

/// Polls until a poll reads nothing new (the stream may hand out records in more than one call).
async fn drain(poller: &mut Poller, mailer: &Mailer) -> usize {
    let mut sent = 0;
    for _ in 0..20 {
        let polled = poller.poll(mailer).await.unwrap();
        sent += polled.sent;
        if polled.records == 0 {
            break;
        }
    }
    sent
}

#[tokio::test]
async fn each_registration_row_sends_its_email_once() {
    let p = peer(1).await;
    let mailer = p.mailer(p.outbox.path());
    let mut poller = p.poller().await;

    let anna = p.register("anna@example.nl", "Anna de Vries").await;
    let bram = p.register("bram@example.nl", "Bram Çelik").await;
    assert_eq!(drain(&mut poller, &mailer).await, 2);
    let sent = messages(p.outbox.path());
    let kinds: Vec<String> = sent.iter().map(|(path, _)| kind_of(path)).collect();
    assert_eq!(kinds, ["confirmed", "waitlisted"]);
    let confirmed = &sent[0].1;
    assert_eq!(confirmed["to"], "Anna de Vries <anna@example.nl>");
    assert_eq!(
        confirmed["from"],
        "Landelijk OPP Project <noreply@example.nl>"
    );
    assert_eq!(confirmed["auto_submitted"], "auto-generated");
    assert_eq!(confirmed["content_type"], "multipart/mixed");
    assert!(
        confirmed["subject"]
            .as_str()
            .unwrap()
            .starts_with("Je aanmelding is bevestigd"),
        "{confirmed}"
    );
    assert!(
        text(confirmed).contains("Beste Anna de Vries,"),
        "{confirmed}"
    );
    assert!(
        text(confirmed)
            .contains("Route: https://www.openstreetmap.org/directions?to=52.5125,6.0944"),
        "the venue's route, as synced: {confirmed}"
    );
    assert!(text(confirmed).contains(&format!("{SITE}/api/registrations/{anna}\n")));
    assert!(text(confirmed).contains(&format!("{SITE}/api/registrations/{anna}/cancel")));
    let html = confirmed["html"].as_str().unwrap();
    assert!(
        html.contains(&format!("href=\"{SITE}/api/registrations/{anna}\"")),
        "{html}"
    );
    assert!(has_calendar(confirmed), "a seat gets the calendar file");
    // The door's code: a PNG part the HTML shows by cid, which reads back (zbar) as Anna's code.
    let code_of = |email: &str| {
        let store = p.store.clone();
        let email = email.to_string();
        async move {
            store
                .registration_of(M, &email)
                .await
                .unwrap()
                .unwrap()
                .check_in_code
                .unwrap()
        }
    };
    let anna_code = code_of("anna@example.nl").await;
    assert_eq!(
        qr_codes(confirmed),
        std::slice::from_ref(&anna_code),
        "{confirmed}"
    );
    assert!(html.contains("src=\"cid:toegangscode\""), "{html}");
    let short = opp_model::check_in_code::short_form(&anna_code);
    assert!(html.contains(&short) && text(confirmed).contains(&short));
    let waitlisted = &sent[1].1;
    assert!(
        qr_codes(waitlisted).is_empty(),
        "a waiting place has no code"
    );
    // A name with an accent travels in an encoded header and arrives whole.
    assert_eq!(waitlisted["to"], "Bram Çelik <bram@example.nl>");
    assert!(text(waitlisted).contains("nummer 1"), "{waitlisted}");
    assert!(!has_calendar(waitlisted), "no appointment while waiting");
    assert!(text(waitlisted).contains(&format!("{SITE}/api/registrations/{bram}")));

    // Anna cancels: her seat goes to Bram.
    p.store.cancel(&token::hash(&anna), now()).await.unwrap();
    assert_eq!(drain(&mut poller, &mailer).await, 2);
    let sent = messages(p.outbox.path());
    let kinds: Vec<String> = sent.iter().map(|(path, _)| kind_of(path)).collect();
    assert_eq!(kinds, ["confirmed", "waitlisted", "cancelled", "promoted"]);
    let cancelled = &sent[2].1;
    assert!(
        !cancelled.to_string().contains(&anna),
        "a cancelled registration's link is gone"
    );
    assert!(text(cancelled).contains("opnieuw aan"), "{cancelled}");
    let promoted = &sent[3].1;
    assert!(
        promoted["subject"]
            .as_str()
            .unwrap()
            .starts_with("Je hebt een plaats")
    );
    assert!(
        text(promoted).contains(&format!("{SITE}/api/registrations/{bram}")),
        "{promoted}"
    );
    assert!(has_calendar(promoted));
    assert_eq!(
        qr_codes(promoted),
        [code_of("bram@example.nl").await],
        "a promotion brings the code"
    );
    assert!(
        qr_codes(cancelled).is_empty(),
        "a cancelled registration has no code"
    );

    // Anna registers again over her cancelled registration: a new link, a new confirmation... on the
    // waiting list now, since Bram has the seat.
    let again = p.register("anna@example.nl", "Anna de Vries").await;
    assert_eq!(drain(&mut poller, &mailer).await, 1);
    let sent = messages(p.outbox.path());
    assert_eq!(kind_of(&sent[4].0), "waitlisted");
    assert!(text(&sent[4].1).contains(&again));

    // The whole stream delivered again, from its start: the ledger sends nothing twice.
    let mut from_start = p.poller().await;
    assert_eq!(drain(&mut from_start, &mailer).await, 0);
    assert_eq!(messages(p.outbox.path()).len(), 5);
}

#[tokio::test]
async fn a_poisoned_record_delays_what_follows_but_loses_nothing() {
    let p = peer(5).await;
    let mailer = p.mailer(p.outbox.path());
    let mut poller = p.poller().await;
    // A registration of a meeting the table does not hold: it cannot be sent (never seen, but a bug or a
    // hand edit could make one), and it comes first in the shard.
    p.store
        .client()
        .put_item()
        .table_name(p.store.table())
        .item(
            "PK",
            aws_sdk_dynamodb::types::AttributeValue::S("MEETING#2030-04-weg".into()),
        )
        .item(
            "SK",
            aws_sdk_dynamodb::types::AttributeValue::S("REG#x@example.nl".into()),
        )
        .item(
            "type",
            aws_sdk_dynamodb::types::AttributeValue::S("registration".into()),
        )
        .item(
            "meeting",
            aws_sdk_dynamodb::types::AttributeValue::S("2030-04-weg".into()),
        )
        .item(
            "email",
            aws_sdk_dynamodb::types::AttributeValue::S("x@example.nl".into()),
        )
        .item(
            "status",
            aws_sdk_dynamodb::types::AttributeValue::S("confirmed".into()),
        )
        .item(
            "link_id",
            aws_sdk_dynamodb::types::AttributeValue::S("poison".into()),
        )
        .item(
            "key_version",
            aws_sdk_dynamodb::types::AttributeValue::N("1".into()),
        )
        .send()
        .await
        .unwrap();
    let after = p.register("anna@example.nl", "Anna").await;

    for delivery in 1..ATTEMPTS {
        let polled = poller.poll(&mailer).await.unwrap();
        assert_eq!(
            polled.sent, 0,
            "delivery {delivery}: the record behind waits"
        );
        assert_eq!(polled.retried, 1);
        assert!(messages(p.outbox.path()).is_empty());
        assert!(mail_ledger::failures(&p.store).await.unwrap().is_empty());
    }
    // The last attempt gives up on it, records it and moves on to Anna's.
    let polled = poller.poll(&mailer).await.unwrap();
    assert_eq!((polled.sent, polled.retried, polled.dropped), (1, 0, 0));
    let sent = messages(p.outbox.path());
    assert_eq!(sent.len(), 1);
    assert!(text(&sent[0].1).contains(&after));
    let failures = mail_ledger::failures(&p.store).await.unwrap();
    assert_eq!(failures.len(), 1, "{failures:?}");
    assert_eq!(failures[0].link_id, "poison");
    assert_eq!(failures[0].kind, "confirmed");
    assert!(
        failures[0].error.contains("2030-04-weg"),
        "{:?}",
        failures[0]
    );
    assert!(
        !failures[0].error.contains('@'),
        "no address in a failure record"
    );

    // Delivered once more (a redelivery): neither is sent again, the failure is not recorded twice.
    let mut from_start = p.poller().await;
    assert_eq!(drain(&mut from_start, &mailer).await, 0);
    assert_eq!(mail_ledger::failures(&p.store).await.unwrap().len(), 1);
}

#[tokio::test]
async fn the_reminder_task_marks_and_the_stream_sends_once() {
    let p = peer(1).await;
    let mailer = p.mailer(p.outbox.path());
    let mut poller = p.poller().await;
    let anna = p.register("anna@example.nl", "Anna").await;
    p.register("bram@example.nl", "Bram").await; // waiting: no reminder
    assert_eq!(drain(&mut poller, &mailer).await, 2);

    let task = serde_json::json!({ "task": "reminders" });
    // A week before: not yet (email.reminder_days is 2).
    let early: jiff::Timestamp = "2030-03-03T06:00:00Z".parse().unwrap();
    let answer = opp_mailer::invocation::handle_event(&mailer, &task, early)
        .await
        .unwrap();
    assert_eq!(answer["registrations_marked"], 0);
    assert_eq!(drain(&mut poller, &mailer).await, 0);

    // 07:00 in Amsterdam two days before: Anna is marked, and the stream sends her reminder.
    let due: jiff::Timestamp = "2030-03-08T06:00:00Z".parse().unwrap();
    let answer = opp_mailer::invocation::handle_event(&mailer, &task, due)
        .await
        .unwrap();
    assert_eq!(
        (
            answer["meetings"].as_u64(),
            answer["registrations_marked"].as_u64()
        ),
        (Some(1), Some(1))
    );
    assert_eq!(drain(&mut poller, &mailer).await, 1);
    let sent = messages(p.outbox.path());
    let reminder = &sent.last().unwrap().1;
    assert_eq!(kind_of(&sent.last().unwrap().0), "reminder");
    assert_eq!(reminder["to"], "Anna <anna@example.nl>");
    assert!(
        reminder["subject"]
            .as_str()
            .unwrap()
            .starts_with("Herinnering")
    );
    assert!(text(reminder).contains(&anna));
    assert!(has_calendar(reminder));

    // The next day's run marks nothing again, so nothing is sent twice.
    let next: jiff::Timestamp = "2030-03-09T06:00:00Z".parse().unwrap();
    let answer = opp_mailer::invocation::handle_event(&mailer, &task, next)
        .await
        .unwrap();
    assert_eq!(answer["registrations_marked"], 0);
    assert_eq!(drain(&mut poller, &mailer).await, 0);
}

#[tokio::test]
async fn a_bounce_marks_the_registrations_and_sends_nothing() {
    let p = peer(5).await;
    let mailer = p.mailer(p.outbox.path());
    let mut poller = p.poller().await;
    let anna = p.register("anna@example.nl", "Anna").await;
    assert_eq!(drain(&mut poller, &mailer).await, 1);
    let bounce = serde_json::json!({"source": "aws.ses", "detail-type": "Email Bounced", "detail": {
        "eventType": "Bounce",
        "bounce": {"bounceType": "Permanent", "bouncedRecipients": [{"emailAddress": "anna@example.nl"}]}}});
    let answer = opp_mailer::invocation::handle_event(&mailer, &bounce, now())
        .await
        .unwrap();
    assert_eq!(answer["registrations_marked"], 1);
    let record = p
        .store
        .registration_by_token(&token::hash(&anna))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(record.email_status.as_deref(), Some("bounced"));
    assert_eq!(drain(&mut poller, &mailer).await, 0, "a mark sends no mail");
    assert_eq!(messages(p.outbox.path()).len(), 1);

    let unknown = serde_json::json!({"detail-type": "Something"});
    let err = opp_mailer::invocation::handle_event(&mailer, &unknown, now())
        .await
        .unwrap_err();
    assert!(err.contains("not an event"), "{err}");
}

#[tokio::test]
async fn a_link_request_mails_every_live_link_once_and_only_to_known_addresses() {
    let p = peer(1).await;
    let second = {
        let mut m = meeting("2030-06-utrecht", 5);
        m.title = "Bijeenkomst Utrecht".into();
        m
    };
    p.store.put_meeting_details(&second).await.unwrap();
    let mailer = p.mailer(p.outbox.path());
    let mut poller = p.poller().await;
    let zwolle = p.register("anna@example.nl", "Anna").await;
    let link = p
        .ring
        .issue(opp_store::link_keys::new_link_random().unwrap());
    let utrecht_registration = Registration {
        meeting: second.id.clone(),
        name: "Anna".into(),
        email: "anna@example.nl".into(),
        role: "ouder".into(),
        sector: None,
        organisation: None,
        needs: None,
    };
    p.store
        .register(&utrecht_registration, IssuedLink::derived(&link), now())
        .await
        .unwrap();
    assert_eq!(drain(&mut poller, &mailer).await, 2);
    let before = messages(p.outbox.path()).len();

    let ask = |email: &str, id: &str| {
        let store = p.store.clone();
        let hash = p.ring.address_hash(email);
        let (email, id) = (email.to_string(), id.to_string());
        async move { store.request_link(&email, &hash, &id, now()).await.unwrap() }
    };
    ask("anna@example.nl", "r1").await;
    ask("onbekend@example.nl", "r2").await;
    assert_eq!(
        drain(&mut poller, &mailer).await,
        1,
        "an unknown address gets nothing"
    );
    let sent = messages(p.outbox.path());
    assert_eq!(sent.len(), before + 1);
    let mail = &sent.last().unwrap().1;
    assert_eq!(kind_of(&sent.last().unwrap().0), "link");
    assert_eq!(mail["to"], "Anna <anna@example.nl>");
    assert!(
        text(mail).contains(&format!("{SITE}/api/registrations/{zwolle}")),
        "{mail}"
    );
    assert!(text(mail).contains(&format!("{SITE}/api/registrations/{}", link.token)));
    assert!(text(mail).contains("Bijeenkomst Utrecht"));

    // Asked again within 15 minutes: the request is stored, but no second email goes out.
    ask("anna@example.nl", "r3").await;
    assert_eq!(drain(&mut poller, &mailer).await, 0);
    // Redelivered from the start: nothing twice.
    let mut from_start = p.poller().await;
    assert_eq!(drain(&mut from_start, &mailer).await, 0);
    assert_eq!(messages(p.outbox.path()).len(), before + 1);
}

#[tokio::test]
async fn a_changed_or_called_off_meeting_mails_each_live_registration_once() {
    let p = peer(1).await;
    let other = {
        let mut m = meeting("2030-06-utrecht", 5);
        m.title = "Bijeenkomst Utrecht".into();
        m
    };
    p.store.put_meeting_details(&other).await.unwrap();
    let mailer = p.mailer(p.outbox.path());
    let mut poller = p.poller().await;
    let anna = p.register("anna@example.nl", "Anna").await;
    let bram = p.register("bram@example.nl", "Bram").await;
    let cees = p.register("cees@example.nl", "Cees").await;
    p.store.cancel(&token::hash(&cees), now()).await.unwrap();
    drain(&mut poller, &mailer).await;
    let before = messages(p.outbox.path()).len();

    // Sync with the same details: nothing. With a new time: `changed` to Anna and Bram, not to Cees.
    let mut moved = meeting(M, 1);
    p.store.put_meeting_details(&moved).await.unwrap();
    assert_eq!(
        drain(&mut poller, &mailer).await,
        0,
        "an unchanged sync sends nothing"
    );
    moved.starts_at = moved.starts_at.map(|s| s + 3600);
    moved.time_label = "14.00 tot 16.30 uur".into();
    p.store.put_meeting_details(&moved).await.unwrap();
    assert_eq!(drain(&mut poller, &mailer).await, 2);
    let sent = messages(p.outbox.path());
    let changed: Vec<&serde_json::Value> = sent[before..].iter().map(|(_, m)| m).collect();
    let to: Vec<&str> = changed.iter().map(|m| m["to"].as_str().unwrap()).collect();
    assert_eq!(to.len(), 2);
    assert!(
        to.contains(&"Anna <anna@example.nl>") && to.contains(&"Bram <bram@example.nl>"),
        "{to:?}"
    );
    for mail in &changed {
        assert!(mail["subject"].as_str().unwrap().starts_with("Gewijzigd"));
        assert!(
            text(mail).contains("13.00 tot 16.30 uur"),
            "the old time: {mail}"
        );
        assert!(text(mail).contains("14.00 tot 16.30 uur"), "the new time");
    }
    let anna_mail = changed
        .iter()
        .find(|m| m["to"].as_str().unwrap().contains("anna"))
        .unwrap();
    assert!(text(anna_mail).contains(&anna));
    let ics = anna_mail["attachments"][0]["content"].as_str().unwrap();
    assert!(
        ics.contains("SEQUENCE:1"),
        "a higher SEQUENCE replaces the calendar entry: {ics}"
    );
    assert!(ics.contains("T140000"), "{ics}");
    let bram_mail = changed
        .iter()
        .find(|m| m["to"].as_str().unwrap().contains("bram"))
        .unwrap();
    assert!(!has_calendar(bram_mail), "waiting: no calendar entry");
    assert!(text(bram_mail).contains(&bram));

    // Called off: `called-off` to both, with the reason and the other open meeting; registering is closed.
    let mut off = moved.clone();
    off.called_off = true;
    off.called_off_reason = Some("De zaal is onverwacht dicht.".into());
    p.store.put_meeting_details(&off).await.unwrap();
    assert_eq!(drain(&mut poller, &mailer).await, 2);
    let sent = messages(p.outbox.path());
    for (_, mail) in &sent[before + 2..] {
        assert!(
            mail["subject"]
                .as_str()
                .unwrap()
                .starts_with("Gaat niet door"),
            "{mail}"
        );
        assert!(text(mail).contains("De zaal is onverwacht dicht."));
        assert!(
            text(mail).contains("Bijeenkomst Utrecht"),
            "the other meeting"
        );
        assert!(
            !text(mail).contains("/api/registrations/"),
            "no links to a called-off registration"
        );
    }
    let refused = p
        .store
        .register(
            &Registration {
                meeting: M.into(),
                name: "Dirk".into(),
                email: "dirk@example.nl".into(),
                role: "ouder".into(),
                sector: None,
                organisation: None,
                needs: None,
            },
            IssuedLink::derived(&p.ring.issue([8; 16])),
            now(),
        )
        .await;
    assert_eq!(refused, Err(opp_store::RegisterError::Closed));

    // The stream again from the start: nothing twice.
    let mut from_start = p.poller().await;
    assert_eq!(drain(&mut from_start, &mailer).await, 0);
}

#[tokio::test]
async fn a_new_address_gets_one_address_changed_email_and_the_rest_follows_it() {
    let p = peer(1).await;
    let mailer = p.mailer(p.outbox.path());
    let mut poller = p.poller().await;
    let anna = p.register("anna@exmaple.nl", "Anna").await;
    assert_eq!(drain(&mut poller, &mailer).await, 1);

    let details = |email: &str, name: &str| opp_model::registration::Details {
        name: name.into(),
        email: email.into(),
        organisation: None,
        needs: None,
    };
    let changed = p
        .store
        .change_details(
            &token::hash(&anna),
            &details("anna@example.nl", "Anna"),
            now(),
        )
        .await
        .unwrap();
    assert!(matches!(
        changed,
        opp_store::DetailsOutcome::Changed { moved: true, .. }
    ));
    assert_eq!(
        drain(&mut poller, &mailer).await,
        1,
        "the delete of the old item sends nothing"
    );
    let sent = messages(p.outbox.path());
    let (path, mail) = sent.last().unwrap();
    assert_eq!(kind_of(path), "address-changed");
    assert_eq!(mail["to"], "Anna <anna@example.nl>");
    assert!(
        mail["subject"]
            .as_str()
            .unwrap()
            .starts_with("Je e-mailadres is gewijzigd"),
        "{mail}"
    );
    assert!(text(mail).contains(&anna), "the same personal link: {mail}");
    assert!(
        has_calendar(mail),
        "a seat: the calendar file to the new address"
    );

    // A name corrected in place is a detail edit: no email.
    p.store
        .change_details(
            &token::hash(&anna),
            &details("anna@example.nl", "Anna de Vries"),
            now(),
        )
        .await
        .unwrap();
    assert_eq!(drain(&mut poller, &mailer).await, 0);

    // What follows goes to the new address; the stream again from its start sends nothing twice.
    p.store.cancel(&token::hash(&anna), now()).await.unwrap();
    assert_eq!(drain(&mut poller, &mailer).await, 1);
    let sent = messages(p.outbox.path());
    assert_eq!(kind_of(&sent.last().unwrap().0), "cancelled");
    assert_eq!(
        sent.last().unwrap().1["to"],
        "Anna de Vries <anna@example.nl>"
    );
    let mut from_start = p.poller().await;
    assert_eq!(drain(&mut from_start, &mailer).await, 0);
    assert_eq!(messages(p.outbox.path()).len(), 3);
}

#[tokio::test]
async fn a_move_to_another_meeting_sends_that_meetings_confirmation_once_and_the_freed_seat_its_promotion()
 {
    let p = peer(1).await;
    let other = "2030-04-deventer";
    p.store
        .put_meeting_details(&meeting(other, 5))
        .await
        .unwrap();
    let mailer = p.mailer(p.outbox.path());
    let mut poller = p.poller().await;
    let anna = p.register("anna@example.nl", "Anna").await;
    p.register("bram@example.nl", "Bram").await;
    assert_eq!(
        drain(&mut poller, &mailer).await,
        2,
        "confirmed, waitlisted"
    );
    let record = p
        .store
        .registration_of(M, "anna@example.nl")
        .await
        .unwrap()
        .unwrap();
    let moved = p
        .store
        .move_to_meeting(M, "anna@example.nl", &record.registration_id, other, now())
        .await
        .unwrap();
    assert!(
        matches!(
            moved,
            opp_store::meeting_moves::MeetingMoved::Moved { promoted: true, .. }
        ),
        "{moved:?}"
    );
    assert_eq!(
        drain(&mut poller, &mailer).await,
        2,
        "Anna's new confirmation and Bram's promotion"
    );
    let sent = messages(p.outbox.path());
    let (anna_path, anna_mail) = sent
        .iter()
        .rev()
        .find(|(_, mail)| mail["to"] == "Anna <anna@example.nl>")
        .unwrap();
    assert_eq!(kind_of(anna_path), "confirmed");
    assert!(
        text(anna_mail).contains(&anna),
        "the same personal link: {anna_mail}"
    );
    assert!(has_calendar(anna_mail), "the new meeting's calendar file");
    assert!(
        sent.iter()
            .any(|(path, mail)| kind_of(path) == "promoted"
                && mail["to"] == "Bram <bram@example.nl>")
    );
    // The stream again from its start sends nothing twice.
    let mut from_start = p.poller().await;
    assert_eq!(drain(&mut from_start, &mailer).await, 0);
}

#[tokio::test]
async fn a_withheld_visitor_mail_is_not_sent_but_a_promotion_is() {
    let p = peer(1).await;
    let mailer = p.mailer(p.outbox.path());
    let mut poller = p.poller().await;
    let anna = p.register("anna@example.nl", "Anna").await;
    let bram = p.register("bram@example.nl", "Bram").await;
    assert_eq!(
        drain(&mut poller, &mailer).await,
        2,
        "confirmed, waitlisted"
    );
    // Anna's address has no budget left: she cancels, her cancellation sends nothing, and Bram's
    // promotion in the same transaction is sent as ever.
    let spent = opp_store::mail_budget::MailBudget {
        keys: std::sync::Arc::new(p.ring.clone()),
        per_address: 0,
        window_seconds: 86_400,
    };
    let outcome = p
        .store
        .cancel_as_visitor(
            &token::hash(&anna),
            now(),
            &spent,
            std::time::Instant::now(),
        )
        .await
        .unwrap();
    assert_eq!(
        outcome,
        Some(opp_store::CancelOutcome::Cancelled {
            promoted: true,
            mail_withheld: true
        })
    );
    assert_eq!(drain(&mut poller, &mailer).await, 1);
    let sent = messages(p.outbox.path());
    let kinds: Vec<String> = sent.iter().map(|(path, _)| kind_of(path)).collect();
    assert_eq!(kinds, ["confirmed", "waitlisted", "promoted"]);
    assert!(text(&sent[2].1).contains(&bram));
    // A link request over the budget sends nothing either.
    let hash = p.ring.address_hash("bram@example.nl");
    for _ in 0..5 {
        assert!(
            p.store
                .take_mail_slot_by_hash(
                    &opp_store::mail_budget::MailBudget {
                        keys: std::sync::Arc::new(p.ring.clone()),
                        per_address: 5,
                        window_seconds: 86_400,
                    },
                    &hash,
                    now()
                )
                .await
                .unwrap()
        );
    }
    p.store
        .request_link("bram@example.nl", &hash, "r1", now())
        .await
        .unwrap();
    assert_eq!(drain(&mut poller, &mailer).await, 0, "over the budget");
    assert_eq!(messages(p.outbox.path()).len(), 3);
}

#[tokio::test]
async fn a_registration_erased_before_its_mail_is_sent_gets_no_mail() {
    let p = peer(5).await;
    let mailer = p.mailer(p.outbox.path());
    let mut poller = p.poller().await;
    p.register("anna@example.nl", "Anna").await;
    let bram = p.register("bram@example.nl", "Bram").await;
    // Anna asks to be forgotten before the mailer got to her confirmation (a backlog, or the record
    // delivered again after an erasure): the stream image still holds her address.
    p.store
        .remove_registration(M, "anna@example.nl", true, now())
        .await
        .unwrap()
        .expect("erased");
    assert_eq!(drain(&mut poller, &mailer).await, 1, "only Bram's");
    let sent = messages(p.outbox.path());
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].1["to"], "Bram <bram@example.nl>");
    assert!(text(&sent[0].1).contains(&bram));
}

#[tokio::test]
async fn a_move_asked_for_mails_the_new_address_its_link_and_the_old_one_a_notice() {
    let p = peer(5).await;
    let mailer = p.mailer(p.outbox.path());
    let mut poller = p.poller().await;
    let anna = p.register("anna@example.nl", "Anna").await;
    p.register("bram@example.nl", "Bram").await;
    assert_eq!(drain(&mut poller, &mailer).await, 2);

    let ask = |to: &str, id: &str| {
        let token = p.ring.move_token(p.ring.current(), id).unwrap();
        (
            opp_store::moves::MoveRequest {
                to: to.into(),
                id: id.into(),
                key_version: p.ring.current(),
                token_hash: token::hash(&token),
            },
            token,
        )
    };
    let (request, move_token) = ask("nieuw@example.nl", "m1");
    assert_eq!(
        p.store
            .request_move(&token::hash(&anna), &request, now(), 3)
            .await
            .unwrap(),
        opp_store::moves::MoveRequested::Requested
    );
    assert_eq!(drain(&mut poller, &mailer).await, 2);
    let sent = messages(p.outbox.path());
    let (notice, confirm) = (&sent[2].1, &sent[3].1);
    assert_eq!(kind_of(&sent[2].0), "move-notice");
    assert_eq!(notice["to"], "Anna <anna@example.nl>");
    assert!(text(notice).contains("n***@example.nl"), "{notice}");
    assert!(
        !text(notice).contains("nieuw@example.nl"),
        "the new address only partly"
    );
    assert!(
        text(notice).contains(&format!("{SITE}/api/registrations/{anna}")),
        "the owner's own link, to undo it"
    );
    assert_eq!(kind_of(&sent[3].0), "address-confirm");
    assert_eq!(confirm["to"], "Anna <nieuw@example.nl>");
    assert!(
        text(confirm).contains(&format!("{SITE}/api/adres/{move_token}")),
        "{confirm}"
    );
    assert!(
        !text(confirm).contains(&anna),
        "the new address gets no personal link before it confirms"
    );
    // Delivered again: nothing twice.
    let mut from_start = p.poller().await;
    assert_eq!(drain(&mut from_start, &mailer).await, 0);

    // Confirmed: the registration moves, and the new address gets its links.
    let confirmed = p
        .store
        .confirm_move(&token::hash(&move_token), now())
        .await
        .unwrap();
    assert!(matches!(
        confirmed,
        opp_store::moves::MoveConfirmed::Moved(_)
    ));
    assert_eq!(drain(&mut poller, &mailer).await, 1);
    let sent = messages(p.outbox.path());
    assert_eq!(kind_of(&sent[4].0), "address-changed");
    assert_eq!(sent[4].1["to"], "Anna <nieuw@example.nl>");

    // A move to an address that already has a registration: the mail there says nothing changed.
    let (request, _) = ask("bram@example.nl", "m2");
    p.store
        .request_move(&token::hash(&anna), &request, now(), 3)
        .await
        .unwrap();
    assert_eq!(drain(&mut poller, &mailer).await, 2);
    let sent = messages(p.outbox.path());
    let taken = &sent.last().unwrap().1;
    assert_eq!(taken["to"], "Anna <bram@example.nl>");
    assert!(
        taken["subject"]
            .as_str()
            .unwrap()
            .starts_with("Je e-mailadres is niet gewijzigd"),
        "{taken}"
    );
    assert!(
        !text(taken).contains("/api/adres/"),
        "no link that could work"
    );
}

#[tokio::test]
async fn a_meeting_with_new_seats_or_a_new_date_is_followed_from_the_stream() {
    // `sync-meetings --details-only` (the deploy role's sync) writes the meeting item only: the mailer
    // gives the new seats to those waiting and moves the retention dates.
    let p = peer(1).await;
    let mailer = p.mailer(p.outbox.path());
    let mut poller = p.poller().await;
    p.register("anna@example.nl", "Anna").await;
    let bram = p.register("bram@example.nl", "Bram").await;
    assert_eq!(drain(&mut poller, &mailer).await, 2);

    let mut bigger = p.store.meeting(M).await.unwrap().unwrap();
    bigger.capacity = 2;
    bigger.expires_at += 86_400;
    p.store.put_meeting_details(&bigger).await.unwrap();
    // The meeting's record promotes; the promotion's own record sends its mail.
    assert_eq!(drain(&mut poller, &mailer).await, 1);
    let promoted = p
        .store
        .registration_by_token(&token::hash(&bram))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(promoted.status, opp_model::RegistrationStatus::Confirmed);
    let sent = messages(p.outbox.path());
    assert_eq!(kind_of(&sent.last().unwrap().0), "promoted");
    let expires = |email: &str| {
        let store = p.store.clone();
        let email = email.to_string();
        async move {
            testkit::scan_all(&store)
                .await
                .into_iter()
                .find(|item| {
                    item.get("email").and_then(|v| v.as_s().ok()) == Some(&email)
                        && item["type"].as_s().unwrap() == "registration"
                })
                .and_then(|item| item["expires_at"].as_n().ok().cloned())
                .unwrap()
        }
    };
    assert_eq!(
        expires("bram@example.nl").await,
        bigger.expires_at.to_string()
    );
    assert_eq!(
        expires("anna@example.nl").await,
        bigger.expires_at.to_string()
    );
    let m = p.store.meeting(M).await.unwrap().unwrap();
    assert_eq!((m.confirmed, m.waitlisted), (2, 0));
}

/// An organiser's message to a meeting of 300 (the back office marks each seat; here the same store calls):
/// every recipient gets it exactly once, with the message and the own personal link; a bounced address is
/// left out; a person erased after the mark gets nothing and is counted; the whole stream delivered again
/// sends nothing twice.
#[tokio::test]
async fn a_message_to_300_reaches_each_recipient_once_and_a_replay_sends_nothing() {
    use opp_store::messages::{Group, Message};
    const PEOPLE: usize = 300;
    let p = peer(PEOPLE as u32).await;
    let mut tokens = Vec::new();
    for i in 0..PEOPLE {
        tokens.push(
            p.register(
                &format!("deelnemer{i}@example.nl"),
                &format!("Deelnemer {i}"),
            )
            .await,
        );
    }
    // The confirmations first, so the message's mails stand alone below.
    let confirmations = p.outbox.path().join("bevestigingen");
    let mailer = p.mailer(&confirmations);
    let mut poller = p.poller().await;
    assert_eq!(drain(&mut poller, &mailer).await, PEOPLE);
    p.store
        .mark_email_status("deelnemer7@example.nl", "bounced")
        .await
        .unwrap();

    let now = now();
    let id = Message::new_id(now).unwrap();
    let meeting = p.store.meeting(M).await.unwrap().unwrap();
    let mut message = Message {
        id: id.clone(),
        meeting: M.into(),
        group: Group::Seats,
        subject: "De zaal is veranderd".into(),
        body: "We zitten in zaal 2.\nDe lift is naast de ingang.\n\nTot dinsdag!".into(),
        by: "Bea Beheer".into(),
        created_at: opp_store::arrival_time(now),
        recipients: 0,
        skipped_bounced: 0,
        sent: 0,
        failed: 0,
        skipped_gone: 0,
        failures: Vec::new(),
    };
    p.store
        .put_message(&message, meeting.expires_at)
        .await
        .unwrap();
    let people = p.store.registrations(M, &mut |_| {}).await.unwrap();
    let mut marked = 0;
    for person in people.iter().filter(|r| r.email_status.is_none()) {
        assert!(
            p.store
                .mark_message_due(person, Group::Seats, &id)
                .await
                .unwrap()
        );
        marked += 1;
    }
    assert_eq!(marked, PEOPLE - 1, "the bounced address is left out");
    message.recipients = marked as u32;
    p.store
        .set_message_recipients(M, &id, marked as u32, 1)
        .await
        .unwrap();
    // One of them is erased before the mailer gets to it.
    p.store
        .remove_registration(M, "deelnemer9@example.nl", true, now)
        .await
        .unwrap();

    let messages_dir = p.outbox.path().join("berichten");
    let mailer = p.mailer(&messages_dir);
    let started = std::time::Instant::now();
    let sent = drain(&mut poller, &mailer).await;
    let took = started.elapsed();
    assert_eq!(sent, PEOPLE - 2, "everyone marked and still there, once");
    let files: Vec<PathBuf> = std::fs::read_dir(&messages_dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "eml"))
        .collect();
    assert_eq!(files.len(), PEOPLE - 2);
    assert!(files.iter().all(|f| kind_of(f) == "message"));
    // Each address once: read every message as a mail client would.
    let read = read_mail(&files, false);
    let mut to: Vec<&str> = read.iter().map(|m| m["to"].as_str().unwrap()).collect();
    to.sort();
    to.dedup();
    assert_eq!(to.len(), PEOPLE - 2, "no address twice");
    assert!(
        !to.iter()
            .any(|t| t.contains("deelnemer7@") || t.contains("deelnemer9@"))
    );
    let first = read
        .iter()
        .find(|m| m["to"].as_str().unwrap().contains("deelnemer0@"))
        .unwrap();
    assert_eq!(first["subject"], "De zaal is veranderd");
    assert!(
        text(first).contains("We zitten in zaal 2.\nDe lift is naast de ingang.\n\nTot dinsdag!"),
        "{first}"
    );
    assert!(text(first).contains(&format!("{SITE}/api/registrations/{}", tokens[0])));
    let html = first["html"].as_str().unwrap();
    assert!(
        html.contains("We zitten in zaal 2.<br>De lift is naast de ingang.</p>"),
        "{html}"
    );

    let progress = p.store.message(M, &id).await.unwrap().unwrap();
    assert_eq!(
        (
            progress.sent,
            progress.failed,
            progress.skipped_gone,
            progress.skipped_bounced
        ),
        ((PEOPLE - 2) as u32, 0, 1, 1)
    );
    assert_eq!(progress.waiting(), 0);

    // The whole stream again, from its start: nothing is sent twice.
    let mut from_start = p.poller().await;
    assert_eq!(drain(&mut from_start, &mailer).await, 0);
    assert_eq!(
        std::fs::read_dir(&messages_dir).unwrap().count(),
        PEOPLE - 2
    );
    eprintln!(
        "a message to {} recipients: {:.1} s to the local mailbox",
        PEOPLE - 2,
        took.as_secs_f64()
    );
}
