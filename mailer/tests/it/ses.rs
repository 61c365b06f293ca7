//! The mailer's real send path against a second peer: SESv2 `SendEmail` (raw content, configuration set)
//! in moto's server mode, read back from moto's `/moto-api/data.json`. Each message is then read as a mail
//! client would (Python's `email`) and its calendar file with `icalendar`: DTSTART and DTEND in
//! Europe/Amsterdam, LOCATION, UID (`registration_uid()`) and SEQUENCE.
//!
//! SES throttling goes through the fault proxy in front of moto (moto never throttles): a throttled send is
//! retried and sent once.
//!
//! Needs `OPP_TEST_MOTO_ENDPOINT` and `OPP_TEST_PYTHON` (a Python with icalendar): scripts/moto-peer.sh
//! sets both and runs it with `--include-ignored`.

use opp_store::testkit;

use std::path::Path;

use opp_mailer::Mailer;
use opp_mailer::deliver::Sender;
use opp_mailer::poller::Poller;
use opp_mailer::settings::{Mailbox, Site};
use opp_model::links::LinkKeys;
use opp_model::registration::Registration;
use opp_store::aws::{ClientSettings, dynamodb_client};
use opp_store::link_keys::LinkKeySource;
use opp_store::{IssuedLink, Store};

const M: &str = "2030-03-zwolle";

/// The raw messages moto holds, written to `dir` as `0.eml`, `1.eml`, …: their paths.
fn moto_messages(endpoint: &str, dir: &Path) -> Vec<std::path::PathBuf> {
    let python = std::env::var("OPP_TEST_PYTHON").unwrap_or_else(|_| "python3".into());
    // moto keeps the message as it arrived, decoded from the API's base64 (5.2.5).
    let script = format!(
        "import json, pathlib, urllib.request\n\
         data = json.load(urllib.request.urlopen('{endpoint}/moto-api/data.json'))\n\
         for i, m in enumerate(data['ses']['RawMessage']):\n    \
             pathlib.Path('{}', f'{{i}}.eml').write_bytes(m['raw_data'].encode('utf-8', 'surrogateescape'))\n\
         print(len(data['ses']['RawMessage']))",
        dir.display()
    );
    let output = std::process::Command::new(python)
        .args(["-c", &script])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let count: usize = String::from_utf8_lossy(&output.stdout)
        .trim()
        .parse()
        .unwrap();
    (0..count).map(|i| dir.join(format!("{i}.eml"))).collect()
}

#[tokio::test]
#[ignore = "needs moto (OPP_TEST_MOTO_ENDPOINT) and a Python with icalendar (OPP_TEST_PYTHON): scripts/moto-peer.sh"]
async fn sends_through_ses_with_a_calendar_file_clients_can_read() {
    let moto = std::env::var("OPP_TEST_MOTO_ENDPOINT").expect("OPP_TEST_MOTO_ENDPOINT");
    testkit::reset_moto(&moto);
    let proxy = opp_store::testkit::faults::FaultProxy::start(
        &moto,
        opp_store::testkit::faults::Schedule::none(),
    )
    .await;
    let ses = opp_mailer::deliver::ses_client(ClientSettings::local(&proxy.endpoint)).unwrap();
    // moto refuses a sender whose identity was not created first, as SES does.
    ses.create_email_identity()
        .email_identity("example.nl")
        .send()
        .await
        .unwrap();
    ses.create_configuration_set()
        .configuration_set_name("opp-mail")
        .send()
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let before = moto_messages(&moto, dir.path()).len();

    // The table on dynoxide (its stream), the send on moto.
    let dynamo = testkit::embedded_store().await;
    let store = Store::new(
        dynamodb_client(ClientSettings::local(&dynamo)).unwrap(),
        "registrations",
    );
    store.create_table().await.unwrap();
    store
        .put_meeting_details(&testkit::meeting(M, 5))
        .await
        .unwrap();
    let ring = LinkKeys::first([9; 32]);
    let link = ring.issue(opp_store::link_keys::new_link_random().unwrap());
    let registration = Registration {
        meeting: M.into(),
        name: "Anna Öztürk".into(),
        email: "anna@example.nl".into(),
        role: "ouder".into(),
        sector: None,
        organisation: None,
        needs: None,
    };
    store
        .register(&registration, IssuedLink::derived(&link), testkit::now())
        .await
        .unwrap();

    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let from = Mailbox::parse("Landelijk OPP Project <noreply@example.nl>").unwrap();
    let mailer = Mailer {
        store: store.clone(),
        site: Site::from_root(root, Some("https://www.example.nl"), from).unwrap(),
        keys: LinkKeySource::fixed(ring.clone()),
        sender: Sender::Ses {
            client: ses,
            from: "noreply@example.nl".into(),
            configuration_set: Some("opp-mail".into()),
        },
    };
    let mut poller = Poller::for_table(store.client(), &dynamo, store.table())
        .await
        .unwrap();
    let polled = poller.poll(&mailer).await.unwrap();
    assert_eq!((polled.sent, polled.retried), (1, 0), "{polled:?}");

    let messages = moto_messages(&moto, dir.path());
    assert_eq!(messages.len(), before + 1);
    let file = messages.last().unwrap();
    let python = std::env::var("OPP_TEST_PYTHON").unwrap_or_else(|_| "python3".into());
    let output = std::process::Command::new(python)
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/read_mail.py"))
        .arg(file)
        .arg("--icalendar")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let read: Vec<serde_json::Value> = serde_json::from_slice(&output.stdout).unwrap();
    let mail = &read[0];
    assert_eq!(mail["to"], "Anna Öztürk <anna@example.nl>");
    assert!(
        mail["subject"]
            .as_str()
            .unwrap()
            .starts_with("Je aanmelding is bevestigd")
    );
    let calendar = mail["attachments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["content_type"] == "text/calendar")
        .expect("the calendar file");
    assert_eq!(calendar["method"], "PUBLISH");
    let event = &calendar["events"][0];
    let record = store
        .registration_by_token(&opp_model::token::hash(&link.token))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        event["uid"],
        opp_model::calendar::registration_uid(M, &record.registration_id, "www.example.nl")
    );
    assert_eq!(event["sequence"], 0);
    assert_eq!(event["dtstart"], "2030-03-10T13:00:00+01:00");
    assert_eq!(event["dtstart_tzid"], "Europe/Amsterdam");
    assert_eq!(event["dtend_tzid"], "Europe/Amsterdam");
    assert!(
        event["location"].as_str().unwrap().contains("Zwolle"),
        "{event}"
    );

    // SES throttles the next four sends: the SDK's own attempts give up, the batch reports the record,
    // the next delivery succeeds, and the message arrives once.
    proxy.set_schedule(opp_store::testkit::faults::Schedule {
        rate: 1.0,
        operations: Vec::new(),
        faults: vec![opp_store::testkit::faults::Fault::Throttling],
        seed: 1,
        max_faults: Some(4),
    });
    let bram = Registration {
        name: "Bram".into(),
        email: "bram@example.nl".into(),
        ..registration.clone()
    };
    let link = ring.issue(opp_store::link_keys::new_link_random().unwrap());
    store
        .register(&bram, IssuedLink::derived(&link), testkit::now())
        .await
        .unwrap();
    let first = poller.poll(&mailer).await.unwrap();
    assert_eq!((first.sent, first.retried), (0, 1), "throttled: {first:?}");
    let mut sent = 0;
    for _ in 0..5 {
        let polled = poller.poll(&mailer).await.unwrap();
        sent += polled.sent;
        if polled.records == 0 {
            break;
        }
    }
    assert_eq!(sent, 1);
    assert_eq!(
        proxy.injected(opp_store::testkit::faults::Fault::Throttling),
        4
    );
    let messages = moto_messages(&moto, dir.path());
    assert_eq!(
        messages.len(),
        before + 2,
        "sent once, not once per attempt"
    );

    // Each message SES took is kept by its id; a bounce that names only that id (the EventBridge
    // rule's input: no address) marks the registrations of the address it went to.
    let sent_messages: Vec<(String, String)> = testkit::scan_all(&store)
        .await
        .into_iter()
        .filter(|item| item["type"].as_s().unwrap() == "sent_message")
        .map(|item| {
            (
                item["PK"]
                    .as_s()
                    .unwrap()
                    .trim_start_matches("SESMSG#")
                    .to_string(),
                item["email"].as_s().unwrap().clone(),
            )
        })
        .collect();
    assert_eq!(sent_messages.len(), 2, "{sent_messages:?}");
    let (anna_message, _) = sent_messages
        .iter()
        .find(|(_, email)| email == "anna@example.nl")
        .expect("Anna's message id");
    let bounce = serde_json::json!({"ses_feedback": {"message_id": anna_message,
        "detail_type": "Email Bounced", "bounce_type": "Permanent"}});
    let answer = opp_mailer::invocation::handle_event(&mailer, &bounce, testkit::now())
        .await
        .unwrap();
    assert_eq!(answer["registrations_marked"], 1);
    let anna = store
        .registration_of(M, "anna@example.nl")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(anna.email_status.as_deref(), Some("bounced"));
    let bram = store
        .registration_of(M, "bram@example.nl")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(bram.email_status, None);
}
