//! The email templates (`theme/emails/`): every kind is rendered against sample data on each build and
//! check, so a wording mistake fails where an editor sees it (file and line), not in a mail never sent.
//! The mailer compiles the same files in; opp-render owns their context and samples.

use std::path::Path;

use opp_render::emails::{EMAILS_DIR, EmailProblem, Emails, read_email_templates};

use crate::error::{BuildError, Problem};
use opp_model::messages::site;
use opp_model::text;

/// Renders every email kind; a site without `theme/emails/` sends no email and passes.
pub fn check(root: &Path, base_url: &str) -> Result<(), BuildError> {
    let dir = root.join(EMAILS_DIR);
    if !dir.is_dir() {
        return Ok(());
    }
    let sources =
        read_email_templates(&dir).map_err(|err| BuildError::single(Problem::new(err)))?;
    let problems = match Emails::from_sources(sources) {
        Ok(emails) => emails.check(base_url),
        Err(problems) => problems,
    };
    if problems.is_empty() {
        return Ok(());
    }
    Err(problems
        .iter()
        .map(|p| problem(root, p))
        .collect::<Vec<_>>()
        .into())
}

fn problem(root: &Path, found: &EmailProblem) -> Problem {
    let mut problem = Problem::in_file(
        root.join(&found.file),
        text!(site::EMAIL_TEMPLATE, problem = found.message),
    )
    .with_hint(site::EMAIL_TEMPLATE_HINT);
    problem.line = found.line;
    problem
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sites_email_templates_pass_and_a_mistake_is_named() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
        check(root, "https://www.example.nl").unwrap();

        let copy = tempfile::tempdir().unwrap();
        let emails = copy.path().join(EMAILS_DIR);
        std::fs::create_dir_all(&emails).unwrap();
        for entry in std::fs::read_dir(root.join(EMAILS_DIR)).unwrap() {
            let path = entry.unwrap().path();
            std::fs::copy(&path, emails.join(path.file_name().unwrap())).unwrap();
        }
        let confirmed = emails.join("confirmed.html");
        let text = std::fs::read_to_string(&confirmed)
            .unwrap()
            .replace("{{ meeting.title }}", "{{ meeting.naam }}");
        std::fs::write(&confirmed, text).unwrap();
        let err = check(copy.path(), "https://www.example.nl").unwrap_err();
        assert_eq!(err.problems.len(), 1, "{:?}", err.problems);
        let shown = err.problems[0].to_string();
        assert!(shown.contains("theme/emails/confirmed.html:2"), "{shown}");
    }
}
