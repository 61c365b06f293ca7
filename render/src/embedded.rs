//! The email templates (`theme/emails/`) and `config.yaml` compiled in by `build.rs`: the mailer renders its
//! mails from them, and the back office its preview of a message, so both say the same.

include!(concat!(env!("OUT_DIR"), "/embedded_emails.rs"));

/// The email templates as `Emails::from_sources` takes them.
pub fn email_sources() -> Vec<(String, String)> {
    EMAILS
        .iter()
        .map(|(name, text)| (name.to_string(), text.to_string()))
        .collect()
}
