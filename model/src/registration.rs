//! The registration rules in plain Rust: reading a form or JSON body into a checked registration,
//! with a Dutch message per field. No network, no AWS.
//!
//! Free text (name, organisation, needs) ends up in organisers' terminals (`opp-admin list`) and
//! spreadsheets, so it is NFC-normalised and may hold no control, bidi or zero-width characters
//! ([`is_hidden_or_control`]). Email addresses are stored as their key ([`email_key`]): trimmed and
//! lower-cased, with an ASCII local part (SES cannot send to any other) and an IDN domain in punycode.

use icu_normalizer::ComposingNormalizerBorrowed;
use serde::de::{Deserializer, IgnoredAny, MapAccess, Visitor};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;

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

/// Reads `application/x-www-form-urlencoded` bytes into field values; repeated known fields are refused,
/// and so is any key or value that does not decode to UTF-8 (an overlong `%C0%AF` too): bad bytes are
/// never turned into U+FFFD.
pub fn parse_form(body: &[u8]) -> Result<BTreeMap<String, String>, BodyError> {
    std::str::from_utf8(body).map_err(|_| BodyError::NotUtf8)?;
    let mut values = BTreeMap::new();
    for pair in body.split(|&b| b == b'&').filter(|pair| !pair.is_empty()) {
        let (key, value) = match pair.iter().position(|&b| b == b'=') {
            Some(at) => (&pair[..at], &pair[at + 1..]),
            None => (pair, &pair[pair.len()..]),
        };
        let key = form_decode(key)?;
        let value = form_decode(value)?;
        if !FIELDS.contains(&key.as_str()) {
            continue;
        }
        if values.contains_key(&key) {
            return Err(BodyError::RepeatedField(key));
        }
        values.insert(key, value);
    }
    Ok(values)
}

/// One key or value of a form: `+` is a space, `%XX` a byte (a `%` without two hex digits stays as it
/// is, as browsers and the WHATWG URL standard do), and the bytes must be UTF-8.
fn form_decode(bytes: &[u8]) -> Result<String, BodyError> {
    let hex = |b: Option<&u8>| b.and_then(|b| (*b as char).to_digit(16));
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => match (hex(bytes.get(i + 1)), hex(bytes.get(i + 2))) {
                (Some(high), Some(low)) => {
                    // Two hex digits: at most 0xFF.
                    out.push((high * 16 + low) as u8);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            byte => out.push(byte),
        }
        i += 1;
    }
    String::from_utf8(out).map_err(|_| BodyError::NotUtf8)
}

/// Reads a JSON object into field values; strings everywhere, except `privacy`, which may be a boolean.
/// A known field that appears twice is refused (as in a form: which one did the sender mean?); unknown
/// fields are skipped without being kept.
pub fn parse_json(body: &[u8]) -> Result<BTreeMap<String, String>, BodyError> {
    let text = std::str::from_utf8(body).map_err(|_| BodyError::NotUtf8)?;
    let JsonFields(fields) = serde_json::from_str(text).map_err(|err| match err.classify() {
        // Valid JSON of the wrong shape (an array, a string): the only data error `JsonFields` has.
        serde_json::error::Category::Data => BodyError::NotAnObject,
        _ => BodyError::Malformed,
    })?;
    let mut values = BTreeMap::new();
    for (key, value) in fields {
        if values.contains_key(&key) {
            return Err(BodyError::RepeatedField(key));
        }
        let text = match value {
            serde_json::Value::String(text) => text,
            serde_json::Value::Bool(true) if key == "privacy" => "ja".into(),
            serde_json::Value::Bool(false) if key == "privacy" => String::new(),
            serde_json::Value::Null => String::new(),
            _ => return Err(BodyError::WrongType(key)),
        };
        values.insert(key, text);
    }
    Ok(values)
}

/// The known fields of a JSON object in the order sent, repeats included.
struct JsonFields(Vec<(String, serde_json::Value)>);

impl<'de> Deserialize<'de> for JsonFields {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Fields;
        impl<'de> Visitor<'de> for Fields {
            type Value = JsonFields;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<JsonFields, A::Error> {
                let mut fields = Vec::new();
                while let Some(key) = map.next_key::<String>()? {
                    if FIELDS.contains(&key.as_str()) {
                        fields.push((key, map.next_value()?));
                    } else {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
                Ok(JsonFields(fields))
            }
        }
        deserializer.deserialize_map(Fields)
    }
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

    let name = checked_name(get("name"), &mut errors);
    let email = checked_email(get("email"), &mut errors);

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

    let organisation = checked_organisation(get("organisation"), &mut errors);
    let needs = checked_needs(get("needs"), &mut errors);

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

/// Corrected details from the personal page ("Gegevens wijzigen"), checked by the same rules as
/// registering. Role and sector stay as registered: they decide nothing after the meeting was chosen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Details {
    pub name: String,
    pub email: String,
    pub organisation: Option<String>,
    pub needs: Option<String>,
}

/// The fields the "Gegevens wijzigen" form sends.
pub const DETAIL_FIELDS: [&str; 4] = ["name", "email", "organisation", "needs"];

/// Applies the registration rules to the details form: `Ok` with the checked details, or the field
/// errors with the values as entered.
pub fn validate_details(
    values: BTreeMap<String, String>,
) -> Result<Details, (Vec<FieldError>, BTreeMap<String, String>)> {
    let get = |field: &str| values.get(field).map(|v| v.trim()).unwrap_or("");
    let mut errors = Vec::new();
    let name = checked_name(get("name"), &mut errors);
    let email = checked_email(get("email"), &mut errors);
    let organisation = checked_organisation(get("organisation"), &mut errors);
    let needs = checked_needs(get("needs"), &mut errors);
    if errors.is_empty() {
        Ok(Details {
            name,
            email,
            organisation,
            needs,
        })
    } else {
        let values = values
            .into_iter()
            .filter(|(field, _)| DETAIL_FIELDS.contains(&field.as_str()))
            .collect();
        Err((errors, values))
    }
}

fn checked_name(given: &str, errors: &mut Vec<FieldError>) -> String {
    let name = collapse_spaces(&nfc(given));
    if name.is_empty() {
        errors.push(FieldError::new("name", "Vul je naam in."));
    } else if name.chars().any(is_hidden_or_control) {
        errors.push(FieldError::new(
            "name",
            "Je naam bevat een teken dat we niet kunnen opslaan. Typ je naam opnieuw, zonder speciale tekens. Letters zoals é en ö mogen wel.",
        ));
    } else if name.chars().count() > 100 {
        errors.push(FieldError::new(
            "name",
            "Je naam mag niet langer zijn dan 100 tekens.",
        ));
    } else if looks_like_a_link(&name) {
        errors.push(FieldError::new(
            "name",
            "Vul alleen je naam in, zonder webadres of e-mailadres.",
        ));
    }
    name
}

/// Whether a name holds a web or e-mail address. The name is the one text of a stranger's that our
/// emails quote ("Beste ..."), so a link in it would arrive from our domain. Real names have dots only
/// after initials and abbreviations ("J.P. de Vries", "v.d. Berg"): a word is link-like when a dot sits
/// between two parts of two letters or more ("evil.example", "a.bc.nl"), or it holds `://`, `www.` or
/// `@`. A name typed without spaces after an abbreviation ("Dr.Jansen") is refused too; the message says
/// what to type instead.
pub fn looks_like_a_link(name: &str) -> bool {
    let lower = name.to_lowercase();
    if lower.contains("://") || lower.contains("www.") || lower.contains('@') {
        return true;
    }
    lower
        .split(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | '(' | ')' | '<' | '>' | '"'))
        .any(|word| {
            let word = word.split('/').next().unwrap_or_default();
            let word = word.trim_end_matches(['.', '!', '?', ':']);
            let Some((head, last)) = word.rsplit_once('.') else {
                return false;
            };
            let label = |part: &str| {
                !part.is_empty() && part.chars().all(|c| c.is_alphanumeric() || c == '-')
            };
            label(last)
                && last.chars().filter(|c| c.is_alphabetic()).count() >= 2
                && head.split('.').all(label)
                // "J.P.de Vries", "v.d.Berg": a one-letter part before the last dot is an initial.
                && head.rsplit('.').next().is_some_and(|part| part.chars().count() >= 2)
        })
}

fn checked_email(given: &str, errors: &mut Vec<FieldError>) -> String {
    match email_key(given) {
        Ok(key) => key,
        Err(problem) => {
            errors.push(FieldError::new("email", problem.message()));
            String::new()
        }
    }
}

fn checked_organisation(given: &str, errors: &mut Vec<FieldError>) -> Option<String> {
    let organisation = optional(&collapse_spaces(&nfc(given)));
    if let Some(o) = &organisation {
        if o.chars().any(is_hidden_or_control) {
            errors.push(FieldError::new(
                "organisation",
                "De naam van je school of organisatie bevat een teken dat we niet kunnen opslaan. Typ de naam opnieuw, zonder speciale tekens.",
            ));
        } else if o.chars().count() > 150 {
            errors.push(FieldError::new(
                "organisation",
                "De naam van je school of organisatie mag niet langer zijn dan 150 tekens.",
            ));
        }
    }
    organisation
}

fn checked_needs(given: &str, errors: &mut Vec<FieldError>) -> Option<String> {
    let needs = optional(&one_kind_of_line_end(&nfc(given)));
    if let Some(n) = &needs {
        if n.chars().any(|c| c != '\n' && is_hidden_or_control(c)) {
            errors.push(FieldError::new(
                "needs",
                "Je antwoord bevat een teken dat we niet kunnen opslaan. Typ je antwoord opnieuw, zonder speciale tekens.",
            ));
        } else if n.chars().count() > 500 {
            errors.push(FieldError::new(
                "needs",
                "Gebruik hier niet meer dan 500 tekens.",
            ));
        }
    }
    needs
}

fn optional(text: &str) -> Option<String> {
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_string())
}

fn collapse_spaces(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Text in Unicode's composed form (NFC), so `e` + U+0301 and `é` are one character, stored and counted
/// alike.
fn nfc(text: &str) -> Cow<'_, str> {
    ComposingNormalizerBorrowed::new_nfc().normalize(text)
}

/// A text area's lines with `\n` between them: browsers send CR LF, old systems a lone CR, word
/// processors U+2028/U+2029 or NEL; a tab becomes a space.
fn one_kind_of_line_end(text: &str) -> String {
    text.replace("\r\n", "\n")
        .replace(['\r', '\u{2028}', '\u{2029}', '\u{85}'], "\n")
        .replace('\t', " ")
}

/// Characters that no free-text field may hold, and that `opp-admin` shows escaped: C0 and C1 controls (ESC
/// starts the sequences that retitle a terminal or rewrite what it shows), bidi controls (they reorder
/// what a reader sees: U+061C, U+200E, U+200F, U+202A-U+202E, U+2066-U+2069), zero-width characters
/// (they hide inside a word, so two names that look alike differ: U+200B-U+200D, U+2060, U+FEFF) and the
/// Unicode line and paragraph separators (U+2028, U+2029).
pub fn is_hidden_or_control(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061C}'
                | '\u{200E}'
                | '\u{200F}'
                | '\u{202A}'..='\u{202E}'
                | '\u{2066}'..='\u{2069}'
                | '\u{200B}'..='\u{200D}'
                | '\u{2060}'
                | '\u{FEFF}'
                | '\u{2028}'
                | '\u{2029}'
        )
}

/// An address trimmed and lower-cased, as it was always stored and looked up (one registration per
/// address). For an ASCII address this is its key; [`email_key`] also checks the address and turns an
/// IDN domain into punycode.
pub fn normalise_email(email: &str) -> String {
    email.trim().to_lowercase()
}

/// Why an address cannot be a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmailProblem {
    Missing,
    /// Not the shape of an address (no `@`, no dot in the domain, spaces...).
    Shape,
    /// Letters outside ASCII before the `@`: SES cannot send to such an address.
    LocalPart,
    /// A domain with letters outside ASCII that is no valid internationalised domain name.
    Domain,
}

impl EmailProblem {
    /// The Dutch field message.
    pub fn message(self) -> &'static str {
        match self {
            EmailProblem::Missing => "Vul je e-mailadres in.",
            EmailProblem::Shape => "Vul een geldig e-mailadres in, zoals naam@voorbeeld.nl.",
            EmailProblem::LocalPart => {
                "Het deel voor de @ mag alleen gewone letters, cijfers en tekens als . - _ + bevatten."
            }
            EmailProblem::Domain => {
                "Het deel na de @ klopt niet. Kijk of je het goed hebt getypt, zoals naam@voorbeeld.nl."
            }
        }
    }
}

/// The key an address is stored and looked up by: [`normalise_email`] (so an ASCII address keeps exactly
/// the key it always had), an ASCII local part, and a domain with letters outside ASCII in punycode
/// (`anna@bücher.example` becomes `anna@xn--bcher-kva.example`), checked with [`is_email`].
pub fn email_key(email: &str) -> Result<String, EmailProblem> {
    let email = normalise_email(email);
    if email.is_empty() {
        return Err(EmailProblem::Missing);
    }
    let Some((local, domain)) = email.split_once('@') else {
        return Err(EmailProblem::Shape);
    };
    if !local.is_ascii() {
        return Err(EmailProblem::LocalPart);
    }
    let key = if domain.is_ascii() {
        email
    } else {
        match idna::domain_to_ascii(domain) {
            Ok(domain) => format!("{local}@{domain}"),
            Err(_) => return Err(EmailProblem::Domain),
        }
    };
    if is_email(&key) {
        Ok(key)
    } else {
        Err(EmailProblem::Shape)
    }
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
        assert_eq!(
            parse_form(b"name=%EF%BF%BD&needs=%FF"),
            Err(BodyError::NotUtf8),
            "a real U+FFFD elsewhere lets no bad byte through"
        );
        assert_eq!(
            parse_form(b"name=%C0%AF"),
            Err(BodyError::NotUtf8),
            "overlong"
        );
        assert_eq!(
            parse_form(b"name=%ED%A0%80"),
            Err(BodyError::NotUtf8),
            "a surrogate"
        );
        assert_eq!(
            parse_form(b"na%FFme=x"),
            Err(BodyError::NotUtf8),
            "keys too"
        );
        let odd = parse_form(b"name=100%&needs=%4&organisation=%zz%41&&=x&meeting").unwrap();
        assert_eq!(odd["name"], "100%", "a % without two hex digits stays");
        assert_eq!(odd["needs"], "%4");
        assert_eq!(odd["organisation"], "%zzA");
        assert_eq!(odd["meeting"], "", "a key without =");
        assert_eq!(
            parse_form(b"na%6De=a&name=b"),
            Err(BodyError::RepeatedField("name".into())),
            "repeats are found after decoding"
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
        assert_eq!(parse_json(b"\"x\""), Err(BodyError::NotAnObject));
        assert_eq!(parse_json(b"{"), Err(BodyError::Malformed));
        assert_eq!(
            parse_json(br#"{"name":"a","name":"b"}"#),
            Err(BodyError::RepeatedField("name".into()))
        );
        assert!(
            parse_json(br#"{"x":1,"x":2,"name":"a"}"#).is_ok(),
            "unknown fields are skipped, repeated or not"
        );
        assert_eq!(
            parse_json(br#"{"name":"\ud800"}"#),
            Err(BodyError::Malformed),
            "a lone surrogate"
        );
        let deep = |key: &str| format!("{{\"{key}\":{}{}}}", "[".repeat(200), "]".repeat(200));
        assert!(
            parse_json(deep("x").as_bytes()).is_ok(),
            "an unknown field is skipped, however deep"
        );
        assert_eq!(
            parse_json(deep("name").as_bytes()),
            Err(BodyError::Malformed),
            "past serde_json's depth limit"
        );
        assert_eq!(
            parse_json(br#"{"name":"Zo\u00eb"}"#).unwrap()["name"],
            "Zoë"
        );
    }

    fn with(field: &str, value: &str) -> Submission {
        let mut values = valid_values();
        values.insert(field.to_string(), value.to_string());
        validate(values)
    }

    fn valid_with(field: &str, value: &str) -> Registration {
        match with(field, value) {
            Submission::Valid(r) => r,
            other => panic!("{field}={value:?} gave {other:?}"),
        }
    }

    /// The one error of a submission that changes `field` to `value`.
    fn error_for(field: &str, value: &str) -> FieldError {
        match with(field, value) {
            Submission::Invalid { errors, .. } => {
                assert_eq!(errors.len(), 1, "{field}={value:?}: {errors:?}");
                errors.into_iter().next().unwrap()
            }
            other => panic!("{field}={value:?} gave {other:?}"),
        }
    }

    #[test]
    fn controls_never_reach_a_terminal() {
        for field in ["name", "organisation", "needs"] {
            for value in [
                "Anna\u{1b}]0;x\u{7}",
                "Anna\u{1b}[2J",
                "An\u{0}na",
                "Anna\u{7f}",
                "Anna\u{9b}31m",
                "Anna\u{8}\u{8}Bob",
            ] {
                let error = error_for(field, value);
                assert_eq!(error.field, field, "{value:?}");
                assert!(
                    error
                        .message
                        .contains("een teken dat we niet kunnen opslaan"),
                    "{}",
                    error.message
                );
            }
        }
        assert!(
            error_for("name", "Anna\u{1b}")
                .message
                .starts_with("Je naam")
        );
        assert!(
            error_for("organisation", "OBS\u{1b}")
                .message
                .starts_with("De naam van je school")
        );
    }

    #[test]
    fn bidi_and_zero_width_characters_are_refused_everywhere() {
        let hidden = [
            '\u{061C}', '\u{200E}', '\u{200F}', '\u{202A}', '\u{202B}', '\u{202C}', '\u{202D}',
            '\u{202E}', '\u{2066}', '\u{2067}', '\u{2068}', '\u{2069}', '\u{200B}', '\u{200C}',
            '\u{200D}', '\u{2060}', '\u{FEFF}',
        ];
        for c in hidden {
            assert!(is_hidden_or_control(c), "{c:?}");
            for field in ["name", "organisation", "needs"] {
                let value = format!("Anna{c}lies");
                assert_eq!(error_for(field, &value).field, field, "{c:?} in {field}");
            }
        }
        for fine in ['a', 'é', ' ', '\u{a0}', '😀', '\u{5d0}', '\u{2010}'] {
            assert!(!is_hidden_or_control(fine), "{fine:?}");
        }
    }

    #[test]
    fn needs_keeps_its_lines() {
        let r = valid_with(
            "needs",
            " Een rolstoelplek\r\nen een tolk\rNGT\u{2028}graag\tdank ",
        );
        assert_eq!(
            r.needs.as_deref(),
            Some("Een rolstoelplek\nen een tolk\nNGT\ngraag dank")
        );
        assert_eq!(error_for("needs", "a\u{b}b").field, "needs", "vertical tab");
    }

    #[test]
    fn text_is_nfc_before_it_is_counted() {
        let r = valid_with("name", "Zoe\u{308} Cafe\u{301}");
        assert_eq!(r.name, "Zo\u{eb} Caf\u{e9}");
        // 100 characters once composed, 200 as sent.
        let long = "e\u{301}".repeat(100);
        assert_eq!(valid_with("name", &long).name.chars().count(), 100);
        assert_eq!(error_for("name", &format!("{long}e")).field, "name");
        let org = valid_with("organisation", "Basisschool De Linde\u{301}");
        assert_eq!(
            org.organisation.as_deref(),
            Some("Basisschool De Lind\u{e9}")
        );
        let needs = "a\u{308}".repeat(500);
        assert_eq!(
            valid_with("needs", &needs).needs.unwrap().chars().count(),
            500
        );
    }

    #[test]
    fn real_dutch_names_are_never_taken_for_links() {
        for name in [
            "J.P. de Vries",
            "v.d. Berg",
            "Jan-Willem 't Hart",
            "Ö. Yılmaz",
            "A.M.J. van der Linden-Bakker",
            "Th. Jansen",
            "M. El Amrani",
            "Mr. dr. E.J. de Groot",
            "Anne-Sophie O'Neill",
            "Dr. K.L.M. ten Brink",
            "J. v.d. Heuvel",
            "Ch.J. Sánchez Pérez",
            "Fatima-Zahra Ben Ali",
            "Ing. P. de Wit (Peter)",
            "J.P.de Vries",
            "v.d.Berg",
        ] {
            assert!(!looks_like_a_link(name), "{name} is a real name");
            assert_eq!(valid_with("name", name).name, name);
        }
    }

    #[test]
    fn names_that_carry_a_link_are_refused() {
        for name in [
            "Uw DigiD verloopt: https://evil.example",
            "Kijk op www.voorbeeld.nl",
            "evil.example",
            "Jan login.overheid-hulp.nl",
            "Piet (bel.me)",
            "Mail jan@example.nl",
            "HTTP://X",
            "klik: evil.example/digid",
        ] {
            assert!(looks_like_a_link(name), "{name} holds a link");
            let error = error_for("name", name);
            assert_eq!(error.field, "name");
            assert!(error.message.contains("webadres"), "{}", error.message);
        }
    }

    #[test]
    fn emoji_and_other_scripts_are_names() {
        for name in [
            "Anna 🌷",
            "😀",
            "Зоя Иванова",
            "محمد",
            "李小龙",
            "Łukasz Żółć",
        ] {
            assert_eq!(valid_with("name", name).name, name);
        }
    }

    #[test]
    fn ascii_addresses_keep_their_key() {
        for (sent, key) in [
            (" Anna@Example.NL ", "anna@example.nl"),
            (
                "a.de-vries+opp@School.example.nl",
                "a.de-vries+opp@school.example.nl",
            ),
            ("ANNA@XN--BCHER-KVA.EXAMPLE", "anna@xn--bcher-kva.example"),
        ] {
            assert_eq!(email_key(sent), Ok(key.to_string()), "{sent}");
            assert_eq!(normalise_email(sent), key, "the key it always had");
            assert_eq!(valid_with("email", sent).email, key);
        }
    }

    #[test]
    fn idn_domains_are_stored_in_punycode() {
        assert_eq!(
            email_key("anna@bücher.example").as_deref(),
            Ok("anna@xn--bcher-kva.example")
        );
        assert_eq!(
            valid_with("email", " Anna@BÜCHER.example ").email,
            "anna@xn--bcher-kva.example"
        );
        assert_eq!(
            email_key("piet@münchen.de").as_deref(),
            Ok("piet@xn--mnchen-3ya.de")
        );
    }

    #[test]
    fn a_non_ascii_local_part_is_refused() {
        for sent in [
            "zoë@example.nl",
            "ａnna@example.nl",
            "an\u{200b}na@example.nl",
            "李@example.nl",
        ] {
            assert_eq!(email_key(sent), Err(EmailProblem::LocalPart), "{sent}");
            let error = error_for("email", sent);
            assert_eq!(error.field, "email");
            assert!(
                error.message.starts_with("Het deel voor de @"),
                "{}",
                error.message
            );
        }
    }

    #[test]
    fn an_invalid_idn_domain_is_refused() {
        for sent in [
            "anna@\u{301}x.nl",
            "anna@x\u{fffd}.nl",
            "anna@bü\u{202e}cher.nl",
        ] {
            assert_eq!(email_key(sent), Err(EmailProblem::Domain), "{sent}");
            let error = error_for("email", sent);
            assert!(
                error.message.starts_with("Het deel na de @"),
                "{}",
                error.message
            );
        }
        assert_eq!(email_key("anna@bücher"), Err(EmailProblem::Shape), "no dot");
        assert_eq!(email_key(" "), Err(EmailProblem::Missing));
        assert_eq!(email_key("zoë"), Err(EmailProblem::Shape), "no @ at all");
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
