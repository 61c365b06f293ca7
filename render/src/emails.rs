//! The emails' wording: `theme/emails/<kind>.txt` and `<kind>.html` (Tera), rendered with one context
//! shape ([`EmailView`]). The mailer renders them for real; `opp-site build` renders every kind against
//! [`samples`], so a template error fails the build with file and line instead of a mail never sent.
//!
//! A text template's first line is its subject: `Onderwerp: …`.

use opp_model::messages::site;
use opp_model::records::MeetingRecord;
use std::path::Path;

use serde::Serialize;
use tera::{Context, Tera};

/// Every kind of email, as the templates are named.
pub const KINDS: [&str; 12] = [
    "confirmed",
    "waitlisted",
    "promoted",
    "cancelled",
    "changed",
    "called-off",
    "reminder",
    "link",
    "address-changed",
    "address-confirm",
    "move-notice",
    "message",
];

/// Where the email templates live, below the site's root.
pub const EMAILS_DIR: &str = "theme/emails";

/// The first line of every text template.
pub const SUBJECT_PREFIX: &str = "Onderwerp:";

/// A meeting as an email shows it.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct EmailMeeting {
    pub title: String,
    pub date_label: String,
    pub time_label: String,
    pub venue_name: String,
    pub address: Option<String>,
    pub postcode: Option<String>,
    pub city: String,
    /// A route planner's web address (the content's `route`).
    pub route: Option<String>,
    /// The meeting's page (absolute URL).
    pub url: String,
}

/// The site's facts every email uses, owned: from config.yaml, with the address the site is served from
/// when that is not config.yaml's (`SITE_URL`: a stack without its own domain yet, the local preview).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteFacts {
    pub title: String,
    /// Without a trailing slash.
    pub base_url: String,
    /// The registration page (absolute).
    pub register_url: String,
}

impl SiteFacts {
    pub fn from_config(
        config: &opp_model::config::Config,
        site_url: Option<&str>,
    ) -> Result<SiteFacts, String> {
        let base_url = match site_url.map(str::trim).filter(|url| !url.is_empty()) {
            Some(url) => {
                opp_model::config::normalise_base_url(url).map_err(|e| format!("SITE_URL: {e}"))?
            }
            None => config.base_url.clone(),
        };
        let base_url = base_url.trim_end_matches('/').to_string();
        let register_path = crate::site_view::SiteView::from_rules(config).registration_url;
        Ok(SiteFacts {
            title: config.title.clone(),
            register_url: absolute_url(&base_url, &register_path),
            base_url,
        })
    }

    pub fn email_site(&self) -> EmailSite<'_> {
        EmailSite {
            title: &self.title,
            base_url: &self.base_url,
            register_url: &self.register_url,
        }
    }
}

/// What an email says of the site: its name, its address and where to register. The mailer builds every
/// view from it, and the back office its preview of a message, so the preview is the mail.
#[derive(Debug, Clone, Copy)]
pub struct EmailSite<'a> {
    pub title: &'a str,
    /// Without a trailing slash: `https://www.example.nl`.
    pub base_url: &'a str,
    /// The registration page (absolute).
    pub register_url: &'a str,
}

impl EmailSite<'_> {
    /// An absolute URL on the site for a root-relative path (an absolute one stays as it is).
    pub fn url(&self, path: &str) -> String {
        absolute_url(self.base_url, path)
    }

    /// A meeting as the emails show it.
    pub fn meeting(&self, meeting: &MeetingRecord) -> EmailMeeting {
        EmailMeeting {
            title: meeting.title.clone(),
            date_label: meeting.date_label.clone(),
            time_label: meeting.time_label.clone(),
            venue_name: meeting.venue_name.clone(),
            address: meeting.venue_address.clone(),
            postcode: meeting.venue_postcode.clone(),
            city: meeting.city.clone(),
            route: meeting.venue_route.clone(),
            url: self.url(&meeting.path),
        }
    }

    /// The view of an organiser's message to one registrant (`message.*`), with their personal page and
    /// cancel link when those can be formed.
    pub fn message(
        &self,
        name: &str,
        meeting: &MeetingRecord,
        links: Option<(String, String)>,
        message: EmailMessage,
    ) -> EmailView {
        let (personal_url, cancel_url) = links.unzip();
        EmailView {
            kind: "message".to_string(),
            name: name.to_string(),
            meeting: Some(self.meeting(meeting)),
            personal_url,
            cancel_url,
            message: Some(message),
            register_url: self.register_url.to_string(),
            site_title: self.title.to_string(),
            site_url: self.base_url.to_string(),
            ..EmailView::default()
        }
    }
}

/// `path` on the site at `base_url` (an absolute URL stays as it is).
pub fn absolute_url(base_url: &str, path: &str) -> String {
    if path.starts_with("http://") || path.starts_with("https://") {
        return path.to_string();
    }
    format!(
        "{}/{}",
        base_url.trim_end_matches('/'),
        path.trim_start_matches('/')
    )
}

/// One live registration in a `link` email.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct EmailLink {
    pub meeting: EmailMeeting,
    /// "bevestigd" or "op de wachtlijst".
    pub status_label: String,
    pub personal_url: String,
}

/// The seat's check-in code in a mail: its short form, and the `cid:` of the QR code's PNG part.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct EmailCheckIn {
    pub short: String,
    pub image_cid: String,
}

/// An organiser's message (`message`): the subject as written, the text as written (for the text part) and
/// as paragraphs of lines (for the HTML part: a blank line between paragraphs, each line kept).
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct EmailMessage {
    pub subject: String,
    pub text: String,
    pub paragraphs: Vec<Vec<String>>,
}

impl EmailMessage {
    pub fn new(subject: &str, text: &str) -> EmailMessage {
        let text = text.replace("\r\n", "\n");
        let paragraphs = text
            .split("\n\n")
            .map(|p| {
                p.lines()
                    .map(|line| line.trim_end().to_string())
                    .filter(|line| !line.is_empty())
                    .collect::<Vec<_>>()
            })
            .filter(|p| !p.is_empty())
            .collect();
        EmailMessage {
            subject: subject.trim().to_string(),
            text: text.trim().to_string(),
            paragraphs,
        }
    }
}

/// Where the QR code's PNG part is in every mail that has one (`cid:` + this).
pub const CHECK_IN_IMAGE_CID: &str = "toegangscode";

/// Everything an email template may use (docs/theme-contract.md, "Emails").
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct EmailView {
    pub kind: String,
    /// The registrant's name as given.
    pub name: String,
    pub meeting: Option<EmailMeeting>,
    /// `changed`: the meeting as it was.
    pub previous: Option<EmailMeeting>,
    pub personal_url: Option<String>,
    pub cancel_url: Option<String>,
    /// Whether the message carries the meeting as a calendar file.
    pub calendar_attached: bool,
    /// `confirmed`, `promoted`, `reminder`: the check-in code of a seat, with its QR code as an inline image.
    pub check_in: Option<EmailCheckIn>,
    /// `message`: the organiser's message.
    pub message: Option<EmailMessage>,
    /// `waitlisted`: the place on the waiting list, and whether it is approximate.
    pub position: Option<u32>,
    pub position_approximate: bool,
    /// `called-off`: the editor's reason, and the meetings one can register for instead.
    pub reason: Option<String>,
    pub other_meetings: Vec<EmailMeeting>,
    /// `link`: every live registration of the address.
    pub links: Vec<EmailLink>,
    /// `address-confirm`: the link that confirms the move to this address, and whether this address has a
    /// registration for the meeting already (then nothing can move, and the mail says so).
    pub confirm_url: Option<String>,
    pub address_taken: bool,
    /// `move-notice`: the new address asked for, partly hidden (`a***@example.nl`).
    pub new_address: Option<String>,
    /// Where to register (again).
    pub register_url: String,
    pub site_title: String,
    pub site_url: String,
}

/// A rendered email.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// A template problem, for an editor: the file below the site root, the line when known, what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailProblem {
    pub file: String,
    pub line: Option<usize>,
    pub message: String,
}

impl std::fmt::Display for EmailProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{line}: {}", self.file, self.message),
            None => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

/// Template problems in one line each, for a start-up error.
pub fn describe(problems: &[EmailProblem]) -> String {
    problems
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

/// The parsed email templates.
pub struct Emails {
    tera: Tera,
    sources: Vec<(String, String)>,
}

impl Emails {
    /// Parses the templates (names as below `theme/emails/`: `confirmed.txt`). Every kind needs both files.
    pub fn from_sources(sources: Vec<(String, String)>) -> Result<Emails, Vec<EmailProblem>> {
        let mut problems = Vec::new();
        for kind in KINDS {
            for extension in ["txt", "html"] {
                let name = format!("{kind}.{extension}");
                if !sources.iter().any(|(n, _)| *n == name) {
                    problems.push(EmailProblem {
                        file: file_of(&name),
                        line: None,
                        message: site::EMAIL_FILE_MISSING.fill(&[("kind", &kind)]),
                    });
                }
            }
        }
        // Parse one by one first, so each broken file is named (Tera stops at the first).
        for (name, text) in &sources {
            let mut single = Tera::default();
            if let Err(err) = single.add_raw_template(name, text) {
                let message = crate::error_chain(&err);
                if !message.contains("Failed to parse") {
                    // Alone, a template misses what it extends; the whole set below tells whether it exists.
                    continue;
                }
                problems.push(EmailProblem {
                    file: file_of(name),
                    line: parse_error_line(&message),
                    message: site::EMAIL_TEMPLATE_BROKEN.fill(&[("detail", &last_cause(&message))]),
                });
            }
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        let tera = crate::theme::from_sources(sources.clone()).map_err(|err| {
            vec![EmailProblem {
                file: EMAILS_DIR.into(),
                line: None,
                message: crate::error_chain(&err),
            }]
        })?;
        Ok(Emails { tera, sources })
    }

    /// Renders one email.
    pub fn render(&self, view: &EmailView) -> Result<Rendered, EmailProblem> {
        let context = Context::from_serialize(view).map_err(|err| EmailProblem {
            file: EMAILS_DIR.into(),
            line: None,
            message: err.to_string(),
        })?;
        let text_name = format!("{}.txt", view.kind);
        let html_name = format!("{}.html", view.kind);
        let text = self.render_one(&text_name, &context)?;
        let html = self.render_one(&html_name, &context)?;
        let (subject, body) = split_subject(&text).ok_or_else(|| EmailProblem {
            file: file_of(&text_name),
            line: Some(1),
            message: site::EMAIL_SUBJECT_FIRST.fill(&[("prefix", &SUBJECT_PREFIX)]),
        })?;
        Ok(Rendered {
            subject,
            text: tidy_text(&body),
            html,
        })
    }

    fn render_one(&self, name: &str, context: &Context) -> Result<String, EmailProblem> {
        crate::render(&self.tera, name, context).map_err(|message| {
            let places = crate::locate::error_places(&self.sources, name, &message);
            match places.first() {
                Some(place) => EmailProblem {
                    file: file_of(&place.template),
                    line: place.lines.first().copied(),
                    message: last_cause(&message),
                },
                None => EmailProblem {
                    file: file_of(name),
                    line: None,
                    message: last_cause(&message),
                },
            }
        })
    }

    /// Renders every kind against the samples: the problems, each once.
    pub fn check(&self, site_url: &str) -> Vec<EmailProblem> {
        let mut problems: Vec<EmailProblem> = Vec::new();
        for view in samples(site_url) {
            if let Err(problem) = self.render(&view)
                && !problems.contains(&problem)
            {
                problems.push(problem);
            }
        }
        problems
    }
}

/// Every `.txt` and `.html` file directly in `dir` (the site's `theme/emails/`), named by file name.
pub fn read_email_templates(dir: &Path) -> Result<Vec<(String, String)>, String> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut sources = Vec::new();
    for entry in entries {
        let path = entry.map_err(|e| format!("{}: {e}", dir.display()))?.path();
        let wanted = path.extension().is_some_and(|e| e == "txt" || e == "html");
        if path.is_file() && wanted {
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let text =
                std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            sources.push((name, text));
        }
    }
    sources.sort();
    Ok(sources)
}

/// One sample view per kind, with every field a template of that kind may use filled in.
pub fn samples(site_url: &str) -> Vec<EmailView> {
    let site_url = site_url.trim_end_matches('/');
    let meeting = EmailMeeting {
        title: "Regiobijeenkomst Zwolle".into(),
        date_label: "dinsdag 10 maart 2026".into(),
        time_label: "13.00 - 16.30 uur".into(),
        venue_name: "Stadshuis".into(),
        address: Some("Grote Kerkplein 15".into()),
        postcode: Some("8011 PK".into()),
        city: "Zwolle".into(),
        route: Some("https://www.openstreetmap.org/directions?to=52.5125,6.0944".into()),
        url: format!("{site_url}/bijeenkomsten/zwolle/"),
    };
    let personal = format!("{site_url}/api/registrations/voorbeeld");
    KINDS
        .iter()
        .map(|kind| EmailView {
            kind: kind.to_string(),
            name: "Anna de Vries".into(),
            meeting: Some(meeting.clone()),
            previous: Some(EmailMeeting {
                date_label: "maandag 9 maart 2026".into(),
                venue_name: "Bibliotheek".into(),
                ..meeting.clone()
            }),
            personal_url: Some(personal.clone()),
            cancel_url: Some(format!("{personal}/cancel")),
            calendar_attached: matches!(
                *kind,
                "confirmed" | "promoted" | "changed" | "reminder" | "address-changed"
            ),
            check_in: matches!(*kind, "confirmed" | "promoted" | "reminder").then(|| {
                EmailCheckIn {
                    short: "ABCD-EFGH".into(),
                    image_cid: CHECK_IN_IMAGE_CID.into(),
                }
            }),
            message: (*kind == "message").then(|| {
                EmailMessage::new(
                    "De zaal is veranderd",
                    "We zitten in zaal 2 op de eerste verdieping.\nDe lift is naast de ingang.\n\nTot dinsdag!",
                )
            }),
            position: Some(3),
            position_approximate: false,
            reason: Some("De spreker is ziek.".into()),
            other_meetings: vec![EmailMeeting {
                title: "Regiobijeenkomst Utrecht".into(),
                city: "Utrecht".into(),
                url: format!("{site_url}/bijeenkomsten/utrecht/"),
                ..meeting.clone()
            }],
            links: vec![EmailLink {
                meeting: meeting.clone(),
                status_label: "bevestigd".into(),
                personal_url: personal.clone(),
            }],
            confirm_url: Some(format!("{site_url}/api/adres/voorbeeld")),
            address_taken: false,
            new_address: Some("a***@example.nl".into()),
            register_url: format!("{site_url}/aanmelden/"),
            site_title: "Landelijk OPP Project".into(),
            site_url: site_url.to_string(),
        })
        .collect()
}

fn file_of(name: &str) -> String {
    format!("{EMAILS_DIR}/{name}")
}

/// `Onderwerp: X` on the first line, then the body (leading blank lines dropped).
fn split_subject(text: &str) -> Option<(String, String)> {
    let text = text.trim_start_matches(['\n', '\r']);
    let (first, rest) = text.split_once('\n').unwrap_or((text, ""));
    let subject = first.trim().strip_prefix(SUBJECT_PREFIX)?.trim();
    if subject.is_empty() {
        return None;
    }
    // Headers are one line: a template that breaks the subject would break the message.
    let subject = subject.split_whitespace().collect::<Vec<_>>().join(" ");
    Some((subject, rest.trim_start_matches(['\n', '\r']).to_string()))
}

/// Template tags leave blank lines behind: at most one in a row, no trailing spaces, one final newline.
fn tidy_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut blank = 0;
    for line in text.lines() {
        let line = line.trim_end();
        if line.is_empty() {
            blank += 1;
            if blank > 1 || out.is_empty() {
                continue;
            }
        } else {
            blank = 0;
        }
        out.push_str(line);
        out.push('\n');
    }
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}

/// The line of a Tera parse error (` --> 3:5`).
fn parse_error_line(message: &str) -> Option<usize> {
    let at = message.find("--> ")?;
    let rest = &message[at + 4..];
    rest.split(':').next()?.trim().parse().ok()
}

/// The most specific part of Tera's message (its last cause), on one line.
fn last_cause(message: &str) -> String {
    let last = message.rsplit(": ").next().unwrap_or(message);
    last.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn theme() -> Vec<(String, String)> {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .unwrap()
            .join(EMAILS_DIR);
        read_email_templates(&dir).unwrap()
    }

    #[test]
    fn every_kind_of_the_theme_renders_with_a_subject_and_both_parts() {
        let emails = Emails::from_sources(theme()).unwrap();
        assert_eq!(emails.check("https://www.example.nl"), vec![]);
        for view in samples("https://www.example.nl") {
            let rendered = emails.render(&view).unwrap();
            assert!(!rendered.subject.is_empty(), "{}", view.kind);
            assert!(!rendered.subject.contains('\n'));
            assert!(rendered.html.contains("lang=\"nl\""), "{}", view.kind);
            // No remote images: only the check-in code's QR code, a part of the message itself.
            assert_eq!(
                rendered.html.matches("<img").count(),
                rendered.html.matches("<img src=\"cid:").count(),
                "{}: no remote images",
                view.kind
            );
            assert!(
                !rendered.text.contains('<'),
                "{}: {}",
                view.kind,
                rendered.text
            );
            assert!(
                !rendered.text.contains("\n\n\n"),
                "{}: {}",
                view.kind,
                rendered.text
            );
        }
    }

    #[test]
    fn text_is_not_escaped_and_html_is() {
        let emails = Emails::from_sources(theme()).unwrap();
        let mut view = samples("https://www.example.nl").remove(0);
        view.name = "Jan & <Piet>".into();
        let rendered = emails.render(&view).unwrap();
        assert!(rendered.text.contains("Jan & <Piet>"), "{}", rendered.text);
        assert!(rendered.html.contains("Jan &amp; &lt;Piet&gt;"));
    }

    #[test]
    fn a_broken_template_is_named_with_its_line() {
        let mut sources = theme();
        let (_, text) = sources
            .iter_mut()
            .find(|(name, _)| name == "cancelled.txt")
            .unwrap();
        *text = text.replace("Wil je toch", "{{ meeting.titel | upper }} Wil je toch");
        let line = 1 + text
            .lines()
            .position(|l| l.contains("meeting.titel"))
            .unwrap();
        let emails = Emails::from_sources(sources.clone()).unwrap();
        let problems = emails.check("https://www.example.nl");
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(problems[0].file, "theme/emails/cancelled.txt");
        assert_eq!(problems[0].line, Some(line));

        let (_, text) = sources
            .iter_mut()
            .find(|(name, _)| name == "link.html")
            .unwrap();
        *text = "{% if %}".into();
        let problems = Emails::from_sources(sources).err().unwrap();
        assert_eq!(problems[0].file, "theme/emails/link.html");
        assert_eq!(problems[0].line, Some(1), "{problems:?}");
    }

    #[test]
    fn a_missing_subject_or_file_is_explained_in_dutch() {
        let mut sources = theme();
        sources.retain(|(name, _)| name != "reminder.html");
        let problems = Emails::from_sources(sources.clone()).err().unwrap();
        assert!(
            problems[0]
                .to_string()
                .contains("reminder.html: dit bestand ontbreekt")
        );

        let mut sources = theme();
        let (_, text) = sources
            .iter_mut()
            .find(|(name, _)| name == "link.txt")
            .unwrap();
        *text = "Hallo".into();
        let emails = Emails::from_sources(sources).unwrap();
        let problems = emails.check("https://www.example.nl");
        assert_eq!(problems[0].file, "theme/emails/link.txt");
        assert!(problems[0].message.contains("Onderwerp:"));
    }
}
