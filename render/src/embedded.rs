//! The email templates (`theme/emails/`) and `config.yaml` compiled in by `build.rs`: the mailer renders its
//! mails from them, and the back office its preview of a message, so both say the same.

include!(concat!(env!("OUT_DIR"), "/embedded_emails.rs"));
