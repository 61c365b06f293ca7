//! The two roles of the back office and where they come from: a claim of the ID token (`cognito:groups`
//! for Cognito, `groups` or `roles` for Microsoft Entra ID) whose values are settings.

use serde_json::Value;

/// `deur` may look people up (and, later, check them in); `beheer` may do everything.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    Door,
    Manager,
}

impl Role {
    /// The name stored in the session and shown to the organiser.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Door => "deur",
            Role::Manager => "beheer",
        }
    }

    pub fn parse(text: &str) -> Option<Role> {
        match text {
            "deur" => Some(Role::Door),
            "beheer" => Some(Role::Manager),
            _ => None,
        }
    }
}

/// Which claim carries the roles, and which of its values means which role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleClaim {
    pub claim: String,
    pub door: String,
    pub manager: String,
}

impl Default for RoleClaim {
    fn default() -> Self {
        RoleClaim {
            claim: "cognito:groups".into(),
            door: "deur".into(),
            manager: "beheer".into(),
        }
    }
}

impl RoleClaim {
    /// The strongest role the claims give; None without one (the "geen toegang" page). The claim may be
    /// a list of strings (groups, app roles) or one string (space-separated values).
    pub fn role_of(&self, claims: &serde_json::Map<String, Value>) -> Option<Role> {
        let values: Vec<&str> = match claims.get(&self.claim) {
            Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
            Some(Value::String(text)) => text.split_whitespace().collect(),
            _ => Vec::new(),
        };
        if values.contains(&self.manager.as_str()) {
            Some(Role::Manager)
        } else if values.contains(&self.door.as_str()) {
            Some(Role::Door)
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn claims(value: Value) -> serde_json::Map<String, Value> {
        value.as_object().unwrap().clone()
    }

    #[test]
    fn cognito_groups_give_the_strongest_role() {
        let rule = RoleClaim::default();
        assert_eq!(
            rule.role_of(&claims(json!({"cognito:groups": ["deur", "beheer"]}))),
            Some(Role::Manager)
        );
        assert_eq!(
            rule.role_of(&claims(json!({"cognito:groups": ["deur"]}))),
            Some(Role::Door)
        );
        assert_eq!(rule.role_of(&claims(json!({"cognito:groups": []}))), None);
        assert_eq!(rule.role_of(&claims(json!({"groups": ["beheer"]}))), None);
    }

    #[test]
    fn entra_group_ids_and_a_space_separated_claim() {
        let rule = RoleClaim {
            claim: "groups".into(),
            door: "5f1c-door".into(),
            manager: "9a2b-manager".into(),
        };
        assert_eq!(
            rule.role_of(&claims(json!({"groups": ["other", "5f1c-door"]}))),
            Some(Role::Door)
        );
        let rule = RoleClaim {
            claim: "roles".into(),
            ..RoleClaim::default()
        };
        assert_eq!(
            rule.role_of(&claims(json!({"roles": "lezer beheer"}))),
            Some(Role::Manager)
        );
        assert_eq!(rule.role_of(&claims(json!({"roles": 3}))), None);
    }
}
