//! Reading `config.yaml` at the site root: the YAML, with file:line errors; the configuration's types and
//! rules are `opp_model::config`, shared with the function.

use std::path::Path;

use crate::error::{Problem, io_problem};
use crate::yaml;
use opp_model::messages::site;

pub use opp_model::config::{CONFIG_FILE, Config, normalise_base_url};

/// Reads and checks `config.yaml` in `root`.
pub fn load(root: &Path) -> Result<Config, Problem> {
    let path = root.join(CONFIG_FILE);
    let text = std::fs::read_to_string(&path).map_err(|err| {
        io_problem(&path, site::ACTION_READ_CONFIG, &err).with_hint(site::CONFIG_HINT)
    })?;
    parse(&text, &path)
}

/// Parses and checks configuration text; a mistake is reported at its key's line.
pub fn parse(text: &str, path: &Path) -> Result<Config, Problem> {
    let config: Config = yaml::parse(text, path, 1)?;
    config.checked().map_err(|err| {
        let problem = Problem::in_file(path, err.message).with_hint(err.hint);
        match yaml::key_line(text, err.key) {
            Some(line) => problem.at_line(line + 1),
            None => problem,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use opp_model::messages::Lang;

    const MINIMAL: &str = "title: T\nbase_url: https://example.nl/\nretention_days: 90\ncontact:\n  organisation: O\n  email: a@b.nl\n";

    #[test]
    fn defaults_and_normalising() {
        let config = parse(MINIMAL, Path::new("config.yaml")).unwrap();
        assert_eq!(config.base_url, "https://example.nl");
        assert_eq!(config.registration_endpoint, "/api/registrations");
        assert_eq!(config.language, "nl");
        assert_eq!(config.host(), "example.nl");
    }

    #[test]
    fn bad_values_name_the_line() {
        let text = MINIMAL.replace("https://example.nl/", "example.nl");
        let err = parse(&text, Path::new("config.yaml")).unwrap_err();
        assert_eq!(err.line, Some(2));
        let text = MINIMAL.replace("retention_days", "retension_days");
        let err = parse(&text, Path::new("config.yaml")).unwrap_err();
        assert!(
            err.hint
                .unwrap()
                .render(Lang::En)
                .contains("retention_days")
        );
    }
}
