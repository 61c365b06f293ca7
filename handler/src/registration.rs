//! The registration rules in plain Rust: reading a form or JSON body into a checked registration,
//! with a Dutch message per field. No network, no AWS.

use serde::Serialize;
use std::collections::BTreeMap;

pub const MAX_BODY_BYTES: usize = 16 * 1024;
pub const HONEYPOT_FIELD: &str = "website";

pub const ROLES: [&str; 5] = [
    "onderwijsprofessional",
    "ouder",
    "leerling",
    "vertegenwoordiger",
    "anders",
];
pub const SECTORS: [&str; 4] = ["po", "vo", "go", "anders"];

/// The fields a registration form may send; others (a submit button's name) are ignored.
pub const FIELDS: [&str; 9] = [
    "meeting",
    "name",
    "email",
    "role",
    "sector",
    "organisation",
    "needs",
    "privacy",
    HONEYPOT_FIELD,
];

/// A checked registration, ready to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registration {
    pub meeting: String,
    pub name: String,
    pub email: String,
    pub role: String,
    pub sector: Option<String>,
    pub organisation: Option<String>,
    pub needs: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    fn new(field: &str, message: &str) -> Self {
        FieldError {
            field: field.to_string(),
            message: message.to_string(),
        }
    }
}

/// What a body turned out to be.
#[derive(Debug, PartialEq, Eq)]
pub enum Submission {
    Valid(Registration),
    /// The honeypot was filled in: answer like a success, store nothing.
    Bot,
    /// Field errors, with the values as entered so the form can be shown again.
    Invalid {
        errors: Vec<FieldError>,
        values: BTreeMap<String, String>,
    },
}

/// A body that cannot be read as a form at all (a 400, not a 422).
#[derive(Debug, PartialEq, Eq)]
pub enum BodyError {
    NotUtf8,
    RepeatedField(String),
    NotAnObject,
    WrongType(String),
    Malformed,
}

impl BodyError {
    pub fn message(&self) -> String {
        match self {
            BodyError::NotUtf8 => "De gegevens zijn niet goed leesbaar (geen UTF-8).".into(),
            BodyError::RepeatedField(field) => {
                format!("Het veld '{field}' komt meer dan één keer voor.")
            }
            BodyError::NotAnObject => "Stuur de gegevens als één JSON-object.".into(),
            BodyError::WrongType(field) => format!("Het veld '{field}' moet tekst zijn."),
            BodyError::Malformed => "De gegevens zijn niet goed opgebouwd.".into(),
        }
    }
}

/// Reads `application/x-www-form-urlencoded` bytes into field values; repeated known fields are refused.
pub fn parse_form(body: &[u8]) -> Result<BTreeMap<String, String>, BodyError> {
    let text = std::str::from_utf8(body).map_err(|_| BodyError::NotUtf8)?;
    // Percent-decoding replaces invalid UTF-8 with U+FFFD; one that the sender did not write means bad bytes.
    let sent_replacement =
        text.contains('\u{FFFD}') || text.to_ascii_uppercase().contains("%EF%BF%BD");
    let mut values = BTreeMap::new();
    for (key, value) in form_urlencoded::parse(body) {
        if !sent_replacement && (value.contains('\u{FFFD}') || key.contains('\u{FFFD}')) {
            return Err(BodyError::NotUtf8);
        }
        if !FIELDS.contains(&key.as_ref()) {
            continue;
        }
        if values.insert(key.to_string(), value.into_owned()).is_some() {
            return Err(BodyError::RepeatedField(key.into_owned()));
        }
    }
    Ok(values)
}

/// Reads a JSON object into field values; strings everywhere, except `privacy`, which may be a boolean.
pub fn parse_json(body: &[u8]) -> Result<BTreeMap<String, String>, BodyError> {
    let text = std::str::from_utf8(body).map_err(|_| BodyError::NotUtf8)?;
    let value: serde_json::Value = serde_json::from_str(text).map_err(|_| BodyError::Malformed)?;
    let object = value.as_object().ok_or(BodyError::NotAnObject)?;
    let mut values = BTreeMap::new();
    for (key, value) in object {
        if !FIELDS.contains(&key.as_str()) {
            continue;
        }
        let text = match value {
            serde_json::Value::String(text) => text.clone(),
            serde_json::Value::Bool(true) if key == "privacy" => "ja".into(),
            serde_json::Value::Bool(false) if key == "privacy" => String::new(),
            serde_json::Value::Null => String::new(),
            _ => return Err(BodyError::WrongType(key.clone())),
        };
        values.insert(key.clone(), text);
    }
    Ok(values)
}

/// Applies the rules to field values.
pub fn validate(values: BTreeMap<String, String>) -> Submission {
    let get = |field: &str| values.get(field).map(|v| v.trim()).unwrap_or("");
    if !get(HONEYPOT_FIELD).is_empty() {
        return Submission::Bot;
    }
    let mut errors = Vec::new();

    let meeting = get("meeting").to_string();
    if meeting.is_empty() {
        errors.push(FieldError::new("meeting", "Kies een bijeenkomst."));
    } else if meeting.len() > 64
        || !meeting
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        errors.push(FieldError::new(
            "meeting",
            "Deze bijeenkomst bestaat niet. Kies een bijeenkomst uit de lijst.",
        ));
    }

    let name = collapse_spaces(get("name"));
    if name.is_empty() {
        errors.push(FieldError::new("name", "Vul je naam in."));
    } else if name.chars().count() > 100 {
        errors.push(FieldError::new(
            "name",
            "Je naam mag niet langer zijn dan 100 tekens.",
        ));
    } else if name.chars().any(char::is_control) {
        errors.push(FieldError::new(
            "name",
            "Je naam bevat tekens die niet zijn toegestaan.",
        ));
    }

    let email = normalise_email(get("email"));
    if email.is_empty() {
        errors.push(FieldError::new("email", "Vul je e-mailadres in."));
    } else if !is_email(&email) {
        errors.push(FieldError::new(
            "email",
            "Vul een geldig e-mailadres in, zoals naam@voorbeeld.nl.",
        ));
    }

    let role = get("role").to_string();
    if role.is_empty() {
        errors.push(FieldError::new("role", "Kies wie je bent."));
    } else if !ROLES.contains(&role.as_str()) {
        errors.push(FieldError::new("role", "Kies een van de mogelijkheden."));
    }

    let sector = optional(get("sector"));
    match &sector {
        Some(s) if !SECTORS.contains(&s.as_str()) => {
            errors.push(FieldError::new("sector", "Kies een van de mogelijkheden."));
        }
        None if role == "onderwijsprofessional" => {
            errors.push(FieldError::new(
                "sector",
                "Kies in welk onderwijs je werkt.",
            ));
        }
        _ => {}
    }

    let organisation = optional(&collapse_spaces(get("organisation")));
    if organisation
        .as_ref()
        .is_some_and(|o| o.chars().count() > 150 || o.chars().any(char::is_control))
    {
        errors.push(FieldError::new(
            "organisation",
            "De naam van je school of organisatie mag niet langer zijn dan 150 tekens.",
        ));
    }
    let needs = optional(get("needs"));
    if needs.as_ref().is_some_and(|n| n.chars().count() > 500) {
        errors.push(FieldError::new(
            "needs",
            "Gebruik hier niet meer dan 500 tekens.",
        ));
    }

    if !matches!(get("privacy"), "ja" | "on" | "true" | "1") {
        errors.push(FieldError::new(
            "privacy",
            "Geef toestemming om je gegevens te gebruiken voor deze aanmelding.",
        ));
    }

    if errors.is_empty() {
        Submission::Valid(Registration {
            meeting,
            name,
            email,
            role,
            sector,
            organisation,
            needs,
        })
    } else {
        let mut values = values;
        values.remove(HONEYPOT_FIELD);
        Submission::Invalid { errors, values }
    }
}

fn optional(text: &str) -> Option<String> {
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_string())
}

fn collapse_spaces(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// An address as it is stored and looked up: trimmed and lower-cased (one registration per address).
pub fn normalise_email(email: &str) -> String {
    email.trim().to_lowercase()
}

/// The shape of an email address: one `@`, a local part, a domain with a dot, no spaces.
pub fn is_email(email: &str) -> bool {
    if email.len() > 254 || email.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return false;
    }
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && local.len() <= 64
        && !domain.contains('@')
        && domain.contains('.')
        && domain
            .split('.')
            .all(|label| !label.is_empty() && !label.starts_with('-') && !label.ends_with('-'))
        && !domain.contains(['(', ')', '<', '>', ',', ';', ':', '\\', '"', '[', ']'])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn valid_values() -> BTreeMap<String, String> {
        [
            ("meeting", "2030-03-zwolle"),
            ("name", "  Anna   de Vries "),
            ("email", " Anna@Example.NL "),
            ("role", "onderwijsprofessional"),
            ("sector", "vo"),
            ("privacy", "ja"),
            ("website", ""),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
    }

    #[test]
    fn a_good_registration_is_tidied() {
        let Submission::Valid(r) = validate(valid_values()) else {
            panic!("valid")
        };
        assert_eq!(r.name, "Anna de Vries");
        assert_eq!(r.email, "anna@example.nl");
        assert_eq!(r.sector.as_deref(), Some("vo"));
        assert_eq!(r.organisation, None);
    }

    #[test]
    fn each_rule_names_its_field() {
        let cases: [(&str, &str, &str); 9] = [
            ("meeting", "", "meeting"),
            ("meeting", "Zwolle!", "meeting"),
            ("name", "", "name"),
            ("name", &"x".repeat(101), "name"),
            ("email", "anna@", "email"),
            ("role", "directeur", "role"),
            ("sector", "", "sector"),
            ("needs", &"x".repeat(501), "needs"),
            ("privacy", "", "privacy"),
        ];
        for (field, value, expected) in cases {
            let mut values = valid_values();
            values.insert(field.to_string(), value.to_string());
            match validate(values) {
                Submission::Invalid { errors, values } => {
                    assert_eq!(errors.len(), 1, "{field}={value}: {errors:?}");
                    assert_eq!(errors[0].field, expected);
                    assert_eq!(
                        values.get(field).map(String::as_str),
                        Some(value),
                        "entered values are kept"
                    );
                }
                other => panic!("{field}={value:?} gave {other:?}"),
            }
        }
    }

    #[test]
    fn sector_is_optional_for_parents() {
        let mut values = valid_values();
        values.insert("role".into(), "ouder".into());
        values.insert("sector".into(), String::new());
        assert!(matches!(validate(values), Submission::Valid(_)));
    }

    #[test]
    fn honeypot_means_bot() {
        let mut values = valid_values();
        values.insert("website".into(), "http://spam".into());
        assert_eq!(validate(values), Submission::Bot);
    }

    #[test]
    fn form_bodies() {
        let values = parse_form(b"name=Anna+de+Vries&email=a%40b.nl&submit=x").unwrap();
        assert_eq!(values["name"], "Anna de Vries");
        assert!(!values.contains_key("submit"));
        assert_eq!(
            parse_form(b"name=a&name=b"),
            Err(BodyError::RepeatedField("name".into()))
        );
        assert_eq!(
            parse_form(&[0x6e, 0x3d, 0xff, 0xfe]),
            Err(BodyError::NotUtf8)
        );
        assert_eq!(parse_form(b"name=%FF"), Err(BodyError::NotUtf8));
        assert_eq!(
            parse_form(b"name=%EF%BF%BD").unwrap()["name"],
            "\u{FFFD}",
            "a real U+FFFD is fine"
        );
    }

    #[test]
    fn json_bodies() {
        let values = parse_json(br#"{"name":"Anna","privacy":true,"extra":5}"#).unwrap();
        assert_eq!(values["privacy"], "ja");
        assert_eq!(
            parse_json(br#"{"name":5}"#),
            Err(BodyError::WrongType("name".into()))
        );
        assert_eq!(parse_json(b"[1]"), Err(BodyError::NotAnObject));
        assert_eq!(parse_json(b"{"), Err(BodyError::Malformed));
    }

    #[test]
    fn email_shapes() {
        for good in ["a@b.nl", "anna.de-vries+opp@school.example.nl"] {
            assert!(is_email(good), "{good}");
        }
        for bad in [
            "a", "a@b", "@b.nl", "a@@b.nl", "a b@c.nl", "a@b..nl", "a@-b.nl",
        ] {
            assert!(!is_email(bad), "{bad}");
        }
    }
}
