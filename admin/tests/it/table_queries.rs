//! The organisers' guide's table queries (docs/organisatoren.md, "Zelf de tabel bevragen"), run as printed with the AWS CLI against a local store
//! (dynoxide on loopback) that holds known registrations. Needs the `aws` command: `scripts/moto-peer.sh`
//! installs it into its venv and runs this test.

use opp_model::registration::Registration;
use opp_store::Store;
use opp_store::testkit::{client, meeting, now, start_dynoxide};

const TABLE: &str = "opp-registrations";
const MEETING: &str = "2030-03-zwolle";

/// The shell command under `<!-- query: NAME -->` in the organisers' guide.
fn example(name: &str) -> String {
    let guide = include_str!("../../../docs/organisatoren.md");
    let marker = format!("<!-- query: {name} -->");
    let after = &guide[guide
        .find(&marker)
        .unwrap_or_else(|| panic!("docs/organisatoren.md has {marker}"))..];
    let start = after.find("```sh\n").unwrap() + 6;
    let end = after[start..].find("```").unwrap();
    after[start..start + end].trim().to_string()
}

fn run(endpoint: &str, command: &str) -> serde_json::Value {
    let aws = std::env::var("OPP_TEST_AWS_CLI").unwrap_or_else(|_| "aws".into());
    let output = std::process::Command::new("bash")
        .args(["-c", &command.replacen("aws ", &format!("{aws} "), 1)])
        .env("TABLE", TABLE)
        .env("MEETING", MEETING)
        .env("AWS_ENDPOINT_URL", endpoint)
        .env("AWS_DEFAULT_REGION", "eu-central-1")
        .env("AWS_ACCESS_KEY_ID", "local")
        .env("AWS_SECRET_ACCESS_KEY", "local")
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .env_remove("AWS_PROFILE")
        .output()
        .expect("bash runs");
    assert!(
        output.status.success(),
        "{command}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

fn strings(items: &serde_json::Value, attribute: &str) -> Vec<String> {
    let mut found: Vec<String> = items["Items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|item| item[attribute]["S"].as_str().map(str::to_string))
        .collect();
    found.sort();
    found
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs the AWS CLI: scripts/moto-peer.sh runs it"]
async fn the_guide_queries_answer_what_they_say() {
    let endpoint = start_dynoxide().await;
    let store = Store::new(client(&endpoint), TABLE);
    store.create_table().await.unwrap();
    store
        .put_meeting_details(&meeting(MEETING, 2))
        .await
        .unwrap();
    store
        .put_meeting_details(&meeting("2030-06-utrecht", 5))
        .await
        .unwrap();
    for (at, (meeting_id, email)) in [
        (MEETING, "anna@example.nl"),
        (MEETING, "bert@example.nl"),
        (MEETING, "cees@example.nl"),
        ("2030-06-utrecht", "anna@example.nl"),
    ]
    .into_iter()
    .enumerate()
    {
        let registration = Registration {
            meeting: meeting_id.into(),
            name: format!("Persoon {at}"),
            email: email.into(),
            role: "ouder".into(),
            sector: None,
            organisation: None,
            needs: None,
        };
        store
            .register(&registration, &format!("{at:064x}"), now())
            .await
            .unwrap();
    }

    let confirmed = run(&endpoint, &example("confirmed"));
    assert_eq!(
        strings(&confirmed, "email"),
        ["anna@example.nl", "bert@example.nl"]
    );
    let partiql = run(&endpoint, &example("confirmed-partiql"));
    assert_eq!(
        strings(&partiql, "email"),
        ["anna@example.nl", "bert@example.nl"]
    );
    let person = run(&endpoint, &example("person"));
    assert_eq!(
        strings(&person, "PK"),
        ["MEETING#2030-03-zwolle", "MEETING#2030-06-utrecht"]
    );
    let counters = run(&endpoint, &example("counters"));
    let zwolle = counters["Items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["meeting"]["S"] == MEETING)
        .unwrap();
    assert_eq!(
        (
            zwolle["confirmed"]["N"].as_str(),
            zwolle["waitlisted"]["N"].as_str()
        ),
        (Some("2"), Some("1"))
    );
}
