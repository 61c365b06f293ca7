//! The console's templates (`theme/console/`) and styles, compiled in: the function needs no files beside
//! it. The styles are the public site's (`theme/static/css/site.css`, the same look and focus styles) and
//! a few rules of the console's own.

use tera::{Context, Tera};

use crate::mail_preview::MailPreview;

const TEMPLATES: [(&str, &str); 13] = [
    ("door.html", include_str!("../../theme/console/door.html")),
    (
        "messages.html",
        include_str!("../../theme/console/messages.html"),
    ),
    (
        "message_preview.html",
        include_str!("../../theme/console/message_preview.html"),
    ),
    (
        "message_progress.html",
        include_str!("../../theme/console/message_progress.html"),
    ),
    (
        "door_result.html",
        include_str!("../../theme/console/door_result.html"),
    ),
    (
        "confirm.html",
        include_str!("../../theme/console/confirm.html"),
    ),
    (
        "register.html",
        include_str!("../../theme/console/register.html"),
    ),
    ("base.html", include_str!("../../theme/console/base.html")),
    (
        "message.html",
        include_str!("../../theme/console/message.html"),
    ),
    (
        "overview.html",
        include_str!("../../theme/console/overview.html"),
    ),
    (
        "meeting.html",
        include_str!("../../theme/console/meeting.html"),
    ),
    (
        "person.html",
        include_str!("../../theme/console/person.html"),
    ),
    ("audit.html", include_str!("../../theme/console/audit.html")),
];

/// `/static/console.css`.
pub const STYLES: &str = concat!(
    include_str!("../../theme/static/css/site.css"),
    "\n",
    include_str!("../../theme/console/console.css")
);

/// `/static/console.js`: only improves (the overview refreshes itself); every page works without it.
pub const SCRIPT: &str = include_str!("../../theme/console/console.js");

/// `/static/jsqr.js`: jsQR (Apache-2.0, `theme/console/vendor/`), for browsers without `BarcodeDetector`.
pub const QR_DECODER: &str = include_str!("../../theme/console/vendor/jsQR.min.js");

pub struct Pages {
    tera: Tera,
    /// A message as the mailer will send it (the preview before sending).
    pub mail: MailPreview,
}

impl Pages {
    /// The console's templates, and the mailer's for the preview with config.yaml's address.
    pub fn embedded() -> Result<Pages, String> {
        Pages::embedded_for(None)
    }

    /// As [`Pages::embedded`], with the address the site is served from (`SITE_URL`, as the mailer's).
    pub fn embedded_for(site_url: Option<&str>) -> Result<Pages, String> {
        let sources = TEMPLATES
            .iter()
            .map(|(name, text)| (name.to_string(), text.to_string()))
            .collect();
        let tera = opp_render::theme::from_sources(sources)
            .map_err(|err| format!("console templates: {}", opp_render::error_chain(&err)))?;
        let mail = MailPreview::embedded(site_url)
            .map_err(|err| format!("the email templates compiled in: {err}"))?;
        Ok(Pages { tera, mail })
    }

    pub fn render(&self, name: &str, context: &Context) -> Result<String, String> {
        opp_render::render(&self.tera, name, context)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_templates_parse() {
        super::Pages::embedded().unwrap();
    }
}
