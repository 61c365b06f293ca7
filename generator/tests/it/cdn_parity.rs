//! Production answers as the local stack does: CloudFront's path behaviours and response headers policies
//! in `infra/template.yaml` are exactly `opp_model::cdn`'s table, and `opp-site serve` (with the
//! registration API merged in, as `cargo dev` runs it) sends every header of that table on every path.

use crate::common::*;
use opp_model::cdn::{self, HeaderPolicy, Origin};
use serde_yaml::Value;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::time::{Duration, Instant};

fn template() -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .join("infra/template.yaml");
    serde_yaml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// `!Ref Name` (a tagged value) or `{Ref: Name}`: the name.
fn reference(value: &Value) -> String {
    match value {
        Value::Tagged(tagged) if tagged.tag == "Ref" => tagged.value.as_str().unwrap().to_string(),
        Value::Mapping(map) => map
            .get("Ref")
            .and_then(Value::as_str)
            .unwrap_or_else(|| panic!("not a reference: {value:?}"))
            .to_string(),
        other => panic!("not a reference: {other:?}"),
    }
}

fn policy_named(resource: &str) -> HeaderPolicy {
    HeaderPolicy::ALL
        .into_iter()
        .find(|p| p.template_resource() == resource)
        .unwrap_or_else(|| panic!("{resource} is not a policy of opp_model::cdn"))
}

/// (pattern, origin, headers policy) of every cache behaviour of `distribution`, the default last as `*`.
/// A behaviour without a headers policy is one whose function sends its own.
fn template_behaviours(
    template: &Value,
    distribution: &str,
) -> Vec<(String, Origin, HeaderPolicy)> {
    let config = &template["Resources"][distribution]["Properties"]["DistributionConfig"];
    let read = |behaviour: &Value, pattern: &str| {
        let origin = match behaviour["TargetOriginId"].as_str().unwrap() {
            "site-bucket" | "editing-screen-bucket" => Origin::Bucket,
            "registration-api" | "editors-api" => Origin::Function,
            other => panic!("an origin the table does not know: {other}"),
        };
        let policy = match behaviour.get("ResponseHeadersPolicyId") {
            Some(policy) => policy_named(&reference(policy)),
            None => HeaderPolicy::FunctionsOwn,
        };
        (pattern.to_string(), origin, policy)
    };
    let mut all: Vec<_> = config["CacheBehaviors"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|b| read(b, b["PathPattern"].as_str().unwrap()))
        .collect();
    all.push(read(&config["DefaultCacheBehavior"], "*"));
    all
}

/// A policy resource's headers as (lower-case name, value, overrides the origin's), sorted by name.
fn template_headers(template: &Value, resource: &str) -> Vec<(String, String, bool)> {
    let config = &template["Resources"][resource]["Properties"]["ResponseHeadersPolicyConfig"];
    let security = &config["SecurityHeadersConfig"];
    let overrides = |v: &Value| v["Override"].as_bool().unwrap();
    let mut headers = Vec::new();
    if let Some(hsts) = security.get("StrictTransportSecurity") {
        let mut value = format!(
            "max-age={}",
            hsts["AccessControlMaxAgeSec"].as_u64().unwrap()
        );
        if hsts["IncludeSubdomains"].as_bool() == Some(true) {
            value.push_str("; includeSubDomains");
        }
        if hsts["Preload"].as_bool() == Some(true) {
            value.push_str("; preload");
        }
        headers.push(("strict-transport-security".into(), value, overrides(hsts)));
    }
    if let Some(csp) = security.get("ContentSecurityPolicy") {
        headers.push((
            "content-security-policy".into(),
            csp["ContentSecurityPolicy"].as_str().unwrap().into(),
            overrides(csp),
        ));
    }
    if let Some(nosniff) = security.get("ContentTypeOptions") {
        headers.push((
            "x-content-type-options".into(),
            "nosniff".into(),
            overrides(nosniff),
        ));
    }
    if let Some(frame) = security.get("FrameOptions") {
        headers.push((
            "x-frame-options".into(),
            frame["FrameOption"].as_str().unwrap().into(),
            overrides(frame),
        ));
    }
    if let Some(referrer) = security.get("ReferrerPolicy") {
        headers.push((
            "referrer-policy".into(),
            referrer["ReferrerPolicy"].as_str().unwrap().into(),
            overrides(referrer),
        ));
    }
    for item in config["CustomHeadersConfig"]["Items"]
        .as_sequence()
        .into_iter()
        .flatten()
    {
        headers.push((
            item["Header"].as_str().unwrap().to_lowercase(),
            item["Value"].as_str().unwrap().into(),
            overrides(item),
        ));
    }
    headers.sort();
    headers
}

fn table_headers(policy: HeaderPolicy) -> Vec<(String, String, bool)> {
    let mut headers: Vec<_> = policy
        .headers()
        .into_iter()
        .map(|h| (h.name.to_string(), h.value.to_string(), h.replaces_origin))
        .collect();
    headers.sort();
    headers
}

#[test]
fn cloudfront_behaviours_are_the_tables() {
    let template = template();
    let table: Vec<_> = cdn::BEHAVIOURS
        .iter()
        .chain(std::iter::once(&cdn::DEFAULT_BEHAVIOUR))
        .map(|b| (b.path_pattern.to_string(), b.origin, b.headers))
        .collect();
    assert_eq!(template_behaviours(&template, "Distribution"), table);
    let editing: Vec<_> = cdn::EDITING_BEHAVIOURS
        .iter()
        .chain(std::iter::once(&cdn::EDITING_DEFAULT_BEHAVIOUR))
        .map(|b| (b.path_pattern.to_string(), b.origin, b.headers))
        .collect();
    assert_eq!(
        template_behaviours(&template, "EditingScreenDistribution"),
        editing
    );
}

/// The editing screen is built into `admin/` but never published to the site's bucket: only to its own.
#[test]
fn the_editing_screen_is_published_to_its_own_bucket_only() {
    let script = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .unwrap()
            .join("infra/publish-content.sh"),
    )
    .unwrap();
    let dir = cdn::EDITING_SCREEN_DIR;
    assert!(
        script.contains(&format!("--exclude '{dir}/*'")),
        "publish-content.sh must leave {dir}/ out of the site's bucket"
    );
    assert!(
        script.contains(&format!("\"$PUBLIC_DIR/{dir}/\" \"s3://$EDITING_BUCKET/\"")),
        "publish-content.sh must publish {dir}/ to the editing screen's bucket"
    );
}

#[test]
fn cloudfront_response_headers_policies_are_the_tables() {
    let template = template();
    for policy in HeaderPolicy::ALL {
        assert_eq!(
            template_headers(&template, policy.template_resource()),
            table_headers(policy),
            "{}",
            policy.template_resource()
        );
    }
}

/// A minimal HTTP/1.1 GET: (status, lower-case headers).
fn get_headers(address: &str, path: &str) -> (u16, Vec<(String, String)>) {
    let mut stream = TcpStream::connect(address).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).unwrap();
    let text = String::from_utf8_lossy(&response).into_owned();
    let head = text.split("\r\n\r\n").next().unwrap_or_default();
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_lowercase(), v.trim().to_string()))
        .collect();
    (status, headers)
}

#[test]
fn the_local_server_sends_the_tables_headers_on_every_path() {
    let (_dir, root) = site_copy();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    // The registration API as cargo dev merges it: answers with their own Referrer-Policy and
    // Cache-Control, which the table overrides or keeps as CloudFront does.
    let api = axum::Router::new()
        .route(
            "/api/meetings",
            axum::routing::get(|| async {
                ([("cache-control", "public, s-maxage=30, max-age=0")], "{}")
            }),
        )
        .route(
            "/api/registrations/{token}",
            axum::routing::get(|| async {
                (
                    [
                        ("cache-control", "no-store"),
                        ("referrer-policy", "unsafe-url"),
                    ],
                    "page",
                )
            }),
        );
    let mut build = opp_site::BuildOptions::new(&root);
    build.now = Some(now());
    let options = opp_site::serve::ServeOptions {
        build,
        port,
        api: Some(api),
        after_build: None,
    };
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let _ = runtime.block_on(opp_site::serve::run(options));
    });
    let address = format!("127.0.0.1:{port}");
    let started = Instant::now();
    while std::net::TcpStream::connect(&address).is_err() || get_headers(&address, "/").0 != 200 {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the server did not start"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let css = std::fs::read_dir(root.join("theme/static/css"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .next()
        .unwrap();
    for path in [
        "/".to_string(),
        "/bijeenkomsten/".to_string(),
        format!("/css/{css}"),
        "/api/meetings".to_string(),
        "/api/registrations/abc".to_string(),
        "/bestaat-niet/".to_string(),
    ] {
        let (status, got) = get_headers(&address, &path);
        assert!(status < 500, "{path}: {status}");
        let policy = cdn::behaviour(&path).headers;
        for rule in policy.headers() {
            let sent: Vec<&str> = got
                .iter()
                .filter(|(n, _)| n == rule.name)
                .map(|(_, v)| v.as_str())
                .collect();
            assert_eq!(sent.len(), 1, "{path}: {} sent {sent:?}", rule.name);
            if rule.replaces_origin {
                assert_eq!(sent[0], rule.value, "{path}: {}", rule.name);
            }
        }
    }
    // No editing screen on the public origin (it has its own: cdn::EDITING_BEHAVIOURS).
    assert_eq!(get_headers(&address, "/admin/").0, 404);
    assert_eq!(get_headers(&address, "/admin/config.yml").0, 404);
    // Cache-Control on the API: the function's own value is kept, as CloudFront's Override false does.
    let (_, meetings) = get_headers(&address, "/api/meetings");
    assert!(
        meetings
            .iter()
            .any(|(n, v)| n == "cache-control" && v == "public, s-maxage=30, max-age=0"),
        "{meetings:?}"
    );
    let _ = std::fs::remove_dir_all(
        std::env::temp_dir().join(format!("opp-site-serve-{}-{port}", std::process::id())),
    );
}
