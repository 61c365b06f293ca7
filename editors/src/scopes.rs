//! Which OAuth scopes an editor may ask for. Decap passes `auth_scope` from `admin/config.yml` in the
//! popup's address, where anyone can change it: only scopes on the allowlist reach GitHub.

/// The scopes this deployment allows (`EDITOR_SCOPES`, default `public_repo`, the narrowest that can
/// write to a public repository). A GitHub App ignores scopes: its permissions are set on the App.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Allowlist(Vec<String>);

impl Allowlist {
    /// From a list separated by spaces or commas. Empty is refused: every request would then fail.
    pub fn parse(list: &str) -> Result<Allowlist, String> {
        let scopes = split(list);
        if scopes.is_empty() {
            return Err(
                "the scope allowlist is empty: give at least one scope, e.g. public_repo".into(),
            );
        }
        Ok(Allowlist(scopes))
    }

    pub fn scopes(&self) -> &[String] {
        &self.0
    }

    /// The scopes of a request (`scope=`, separated by spaces or commas, as GitHub takes them), when each
    /// one is allowed; else the first one that is not.
    pub fn check(&self, requested: &str) -> Result<Vec<String>, Refused> {
        let scopes = split(requested);
        if scopes.is_empty() {
            return Err(Refused::Missing);
        }
        match scopes.iter().find(|scope| !self.0.contains(scope)) {
            Some(scope) => Err(Refused::NotAllowed(scope.clone())),
            None => Ok(scopes),
        }
    }
}

/// Why a request's scopes were refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refused {
    Missing,
    NotAllowed(String),
}

fn split(list: &str) -> Vec<String> {
    let mut scopes: Vec<String> = list
        .split([' ', ','])
        .map(str::trim)
        .filter(|scope| !scope.is_empty())
        .map(str::to_string)
        .collect();
    scopes.dedup();
    scopes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_allowed_scopes_pass() {
        let allowed = Allowlist::parse("public_repo").unwrap();
        assert_eq!(allowed.check("public_repo").unwrap(), ["public_repo"]);
        assert_eq!(
            allowed.check("public_repo,admin:org"),
            Err(Refused::NotAllowed("admin:org".into()))
        );
        assert_eq!(
            allowed.check("repo"),
            Err(Refused::NotAllowed("repo".into()))
        );
        assert_eq!(allowed.check(" , "), Err(Refused::Missing));
    }

    #[test]
    fn a_list_may_use_spaces_or_commas() {
        let allowed = Allowlist::parse("repo, public_repo").unwrap();
        assert_eq!(allowed.scopes(), ["repo", "public_repo"]);
        assert_eq!(
            allowed.check("repo public_repo").unwrap(),
            ["repo", "public_repo"]
        );
        assert!(Allowlist::parse("  ").is_err());
    }
}
