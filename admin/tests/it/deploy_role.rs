//! The content-deploy role (infra/template.yaml, `ContentDeployRole`) allows what `opp-admin sync-meetings
//! --details-only` calls, and no more: sync runs through a recording proxy (opp_store::testkit::faults,
//! with no faults) while it creates meetings, adds seats and moves a meeting; the DynamoDB actions it
//! needed must equal the role's, and every partition key it touched must match the role's
//! `dynamodb:LeadingKeys` patterns: the meeting items only, never a registration (the mailer gives the new
//! seats and moves the retention dates from the stream: mailer/tests/it/stream.rs).

use std::collections::BTreeSet;
use std::path::Path;

use opp_model::registration::Registration;
use opp_store::Store;
use opp_store::testkit::faults::{FaultProxy, Schedule};
use opp_store::testkit::{client, count_statuses, now, start_dynoxide};
use serde_yaml::Value;

const ZWOLLE: &str = "2030-03-zwolle";

/// The role's statements (SAM's `!Ref`/`!GetAtt` tags are read as tagged values and not needed here).
fn role_statements() -> Vec<Value> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../infra/template.yaml");
    let template: Value = serde_yaml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let role = &template["Resources"]["ContentDeployRole"];
    assert_eq!(
        role["Type"],
        Value::from("AWS::IAM::Role"),
        "the role exists"
    );
    role["Properties"]["Policies"]
        .as_sequence()
        .unwrap()
        .iter()
        .flat_map(|policy| {
            // A policy only some stacks have (`!If [Condition, policy, !Ref AWS::NoValue]`): its statements.
            let policy = match policy {
                Value::Tagged(tagged) if tagged.tag == "If" => {
                    &tagged.value.as_sequence().unwrap()[1]
                }
                other => other,
            };
            policy["PolicyDocument"]["Statement"]
                .as_sequence()
                .unwrap()
                .clone()
        })
        .collect()
}

fn actions_of(statement: &Value) -> Vec<String> {
    match &statement["Action"] {
        Value::String(one) => vec![one.clone()],
        Value::Sequence(many) => many
            .iter()
            .map(|a| a.as_str().unwrap().to_string())
            .collect(),
        other => panic!("Action is {other:?}"),
    }
}

/// `MEETING#*` as IAM's StringLike reads it.
fn like(pattern: &str, key: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => key.starts_with(prefix),
        None => key == pattern,
    }
}

fn zwolle_in(meetings: &mut serde_json::Value) -> &mut serde_json::Value {
    meetings["meetings"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|m| m["id"] == ZWOLLE)
        .unwrap()
}

async fn sync(endpoint: &str, file: &Path) {
    let output = tokio::task::spawn_blocking({
        let endpoint = endpoint.to_string();
        let file = file.to_path_buf();
        move || {
            std::process::Command::new(env!("CARGO_BIN_EXE_opp-admin"))
                .args(["--endpoint-url", &endpoint, "--table", "registrations"])
                .args(["sync-meetings", "--details-only"])
                .arg(&file)
                .env("OPP_LANG", "en")
                .env_remove("AWS_PROFILE")
                .env_remove("AWS_ACCESS_KEY_ID")
                .env_remove("TABLE_NAME")
                .env_remove("AWS_ENDPOINT_URL")
                .output()
                .unwrap()
        }
    })
    .await
    .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[tokio::test]
async fn the_content_deploy_role_allows_exactly_what_sync_meetings_calls() {
    let upstream = start_dynoxide().await;
    let store = Store::new(client(&upstream), "registrations");
    store.create_table().await.unwrap();
    let proxy = FaultProxy::start(&upstream, Schedule::none()).await;

    // The fixture site's meetings.json, with Zwolle down to one seat so people wait.
    let dir = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../generator/tests/fixtures/site");
    let mut options = opp_site::BuildOptions::new(&root);
    options.output = dir.path().join("public");
    options.now = Some(now());
    opp_site::build(&options).unwrap();
    let file = dir.path().join("public/meetings.json");
    let mut meetings: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    let zwolle = zwolle_in(&mut meetings);
    zwolle["capacity"] = 1.into();
    std::fs::write(&file, meetings.to_string()).unwrap();

    // 1. A first deploy creates the meetings.
    sync(&proxy.endpoint, &file).await;
    for i in 0..3 {
        let registration = Registration {
            meeting: ZWOLLE.into(),
            name: "Piet".into(),
            email: format!("p{i}@example.nl"),
            role: "ouder".into(),
            sector: None,
            organisation: None,
            needs: None,
        };
        let hash = opp_model::token::hash(&opp_model::token::new_token().unwrap());
        store.register(&registration, &hash, now()).await.unwrap();
    }
    assert_eq!(count_statuses(&store, ZWOLLE).await, (1, 2, 0, 3));

    // 2. An editor adds seats and moves the meeting a day: sync writes the meeting item, and leaves the
    //    promotions and retention dates to the mailer.
    let zwolle = zwolle_in(&mut meetings);
    zwolle["capacity"] = 3.into();
    let over: jiff::Timestamp = zwolle["over_at"].as_str().unwrap().parse().unwrap();
    zwolle["over_at"] = (over + jiff::SignedDuration::from_hours(24))
        .to_string()
        .into();
    std::fs::write(&file, meetings.to_string()).unwrap();
    sync(&proxy.endpoint, &file).await;
    assert_eq!(
        count_statuses(&store, ZWOLLE).await,
        (1, 2, 0, 3),
        "no registration is touched by the deploy role's sync"
    );
    assert_eq!(store.meeting(ZWOLLE).await.unwrap().unwrap().capacity, 3);
    // 3. The daily rebuild: nothing changed.
    sync(&proxy.endpoint, &file).await;

    let called: BTreeSet<String> = proxy.iam_actions();
    let statements = role_statements();
    let allowed: BTreeSet<String> = statements
        .iter()
        .flat_map(actions_of)
        .filter(|a| a.starts_with("dynamodb:"))
        .collect();
    assert_eq!(
        called, allowed,
        "the role's DynamoDB actions (left: what sync called; right: what the role allows)"
    );

    // Every key-scoped action is bounded by the leading keys; what sync touched lies inside them.
    let keyed = statements
        .iter()
        .find(|s| s["Condition"]["ForAllValues:StringLike"]["dynamodb:LeadingKeys"].is_sequence())
        .expect("a statement with dynamodb:LeadingKeys");
    let patterns: Vec<&str> = keyed["Condition"]["ForAllValues:StringLike"]["dynamodb:LeadingKeys"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    let touched = proxy.leading_keys();
    assert!(
        touched.iter().all(|k| k == "MEETINGS"),
        "sync touched more than the meeting items: {touched:?}"
    );
    for key in &touched {
        assert!(
            patterns.iter().any(|p| like(p, key)),
            "sync touched {key}, outside the role's leading keys {patterns:?}"
        );
    }
    for statement in &statements {
        let actions = actions_of(statement);
        if actions.iter().any(|a| a.starts_with("dynamodb:")) && statement != keyed {
            assert_eq!(
                actions,
                ["dynamodb:DescribeTable"],
                "only DescribeTable (which names no key) may go without the leading-keys condition"
            );
        }
    }
}
