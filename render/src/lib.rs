//! `opp-render`: the theme's rendering, in one place for every binary that renders the theme: the
//! generator (every page), the handler (its few pages) and, later, the emails.
//!
//! - [`theme`]: parsing templates with the site's escaping, and narrowing a theme to what a set of
//!   templates needs;
//! - [`functions`]: `asset()` and `url_for()`, from the build's maps or from the URL rules alone;
//! - [`site_view`]: the `site` variable every template gets;
//! - [`emails`]: the email templates (`theme/emails/`), their context and samples, and the views of the site
//!   and a message every email is built from ([`emails::EmailSite`]);
//! - [`embedded`]: the email templates and `config.yaml` compiled in (the mailer, the back office's preview);
//! - [`qr`]: check-in codes as QR codes, inline SVG for pages and PNG for e-mails;
//! - [`render`]: a named template with a context, errors as one line of text.
//!
//! Depends on `opp-model` and Tera; no AWS, no Markdown, no HTTP.

pub mod emails;
pub mod embedded;
pub mod functions;
pub mod locate;
pub mod qr;
pub mod site_view;
pub mod theme;

use tera::{Context, Tera};

/// Escapes text for HTML (also Tera's escaper, so it runs for every printed variable): copies the runs between
/// the five special bytes as they are.
pub fn escape_attr(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    let mut copied = 0;
    for (i, byte) in text.bytes().enumerate() {
        let entity = match byte {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' => "&quot;",
            b'\'' => "&#39;",
            _ => continue,
        };
        out.push_str(&text[copied..i]);
        out.push_str(entity);
        copied = i + 1;
    }
    out.push_str(&text[copied..]);
    out
}

/// Renders the template `name`; an error is Tera's message with its causes, for a log or a report.
pub fn render(tera: &Tera, name: &str, context: &Context) -> Result<String, String> {
    tera.render(name, context).map_err(|err| error_chain(&err))
}

/// A Tera error with every cause after it, joined by `: `.
pub fn error_chain(err: &tera::Error) -> String {
    let mut text = err.to_string();
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_the_five_specials_only() {
        assert_eq!(
            escape_attr("a & b <c> \"d\" 'e' ë /"),
            "a &amp; b &lt;c&gt; &quot;d&quot; &#39;e&#39; ë /"
        );
    }

    #[test]
    fn errors_carry_their_causes() {
        let tera = theme::from_sources(vec![("t.html".into(), "{{ missing }}".into())]).unwrap();
        let err = render(&tera, "t.html", &Context::new()).unwrap_err();
        assert!(err.contains("t.html") && err.contains("missing"), "{err}");
    }
}
