//! Production routes what the tests run: the HTTP API's routes in `infra/template.yaml` (the function's
//! `HttpApi` events) are exactly the function's route table (`opp_model::routes::Endpoint`), for the
//! `registration_endpoint` of the real `config.yaml`. A route the function answers but API Gateway does not
//! list gets API Gateway's own 404 in production while every local test passes.

use std::collections::BTreeSet;
use std::path::Path;

use opp_model::config::Config;
use opp_model::routes::{Endpoint, Routes};

const FUNCTION: &str = "RegistrationFunction";

fn repository() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap()
}

/// The (method, path) of every `Type: HttpApi` event of `function` in the template, in order.
fn template_routes(template: &str, function: &str) -> Vec<(String, String)> {
    let mut routes = Vec::new();
    let mut inside = false;
    let (mut method, mut path) = (None, None);
    for line in template.lines() {
        if let Some(name) = line.strip_prefix("  ").filter(|l| !l.starts_with(' ')) {
            inside = name.trim_end() == format!("{function}:");
            continue;
        }
        if !inside {
            continue;
        }
        let trimmed = line.trim();
        if let Some(value) = trimmed.strip_prefix("Method: ") {
            method = Some(value.trim().to_uppercase());
        } else if let Some(value) = trimmed.strip_prefix("Path: ") {
            path = Some(value.trim().to_string());
        }
        if let (Some(m), Some(p)) = (&method, &path) {
            routes.push((m.clone(), p.clone()));
            (method, path) = (None, None);
        }
    }
    routes
}

fn function_routes() -> Vec<(String, String)> {
    let config = std::fs::read_to_string(repository().join("config.yaml")).unwrap();
    let config: Config = serde_yaml::from_str(&config).unwrap();
    let routes = Routes::new(&config.registration_endpoint).unwrap();
    Endpoint::ALL
        .iter()
        .map(|e| (e.method().to_string(), e.path(&routes)))
        .collect()
}

#[test]
fn the_http_api_routes_exactly_what_the_function_answers() {
    let template = std::fs::read_to_string(repository().join("infra/template.yaml")).unwrap();
    let listed = template_routes(&template, FUNCTION);
    let answered = function_routes();
    let listed_set: BTreeSet<_> = listed.iter().cloned().collect();
    let answered_set: BTreeSet<_> = answered.iter().cloned().collect();
    assert_eq!(listed.len(), listed_set.len(), "a route twice: {listed:?}");
    let missing: Vec<_> = answered_set.difference(&listed_set).collect();
    let extra: Vec<_> = listed_set.difference(&answered_set).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "infra/template.yaml ({FUNCTION}'s HttpApi events) differs from the function's route table:\n  \
         answered but not routed by API Gateway: {missing:?}\n  routed but not answered: {extra:?}"
    );
}

#[test]
fn the_comparison_sees_a_missing_and_an_extra_route() {
    let template = "Resources:\n  RegistrationFunction:\n    Properties:\n      Events:\n        A:\n          \
                    Properties:\n            Method: get\n            Path: /api/registrations/{token}\n        \
                    B:\n          Properties:\n            Method: POST\n            Path: /api/extra\n  \
                    Other:\n    Properties:\n      Method: GET\n      Path: /api/other\n";
    let listed = template_routes(template, FUNCTION);
    assert_eq!(
        listed,
        vec![
            ("GET".to_string(), "/api/registrations/{token}".to_string()),
            ("POST".to_string(), "/api/extra".to_string()),
        ]
    );
    let answered: BTreeSet<_> = function_routes().into_iter().collect();
    assert!(answered.contains(&listed[0]));
    assert!(!answered.contains(&listed[1]));
    assert!(answered.len() > listed.len());
}
