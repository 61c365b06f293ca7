//! The back office's sign-in state on the server: sessions (keyed by the SHA-256 of the id in the
//! browser's cookie, never the id itself) and sign-in attempts (what the console keeps between sending a
//! browser to the OpenID provider and its return: nonce, PKCE verifier, the browser it belongs to). The
//! console decides what is valid; this module only stores, reads and ends. Expiry is checked by the
//! console on every request: DynamoDB's TTL (`expires_at`) only tidies up, days late at times.

use aws_sdk_dynamodb::types::ReturnValue;

use super::codec::{Item, get_n, get_s, n, s};
use super::keys::{PARTITION_KEY, SORT_KEY, TTL_ATTRIBUTE};
use super::{Store, Unavailable, unavailable};

/// Sessions' partition keys start with this; sign-in attempts' with [`SIGN_IN_PK_PREFIX`].
pub const SESSION_PK_PREFIX: &str = "SESSION#";
pub const SIGN_IN_PK_PREFIX: &str = "SIGNIN#";
const SESSION_SK: &str = "SESSION";
const SIGN_IN_SK: &str = "SIGNIN";

/// A signed-in organiser's session. Times are epoch seconds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    /// The provider's `sub` and the name it gave (for the audit log; never a registrant's).
    pub subject: String,
    pub name: String,
    /// The role the claim gave at sign-in (`deur` or `beheer`).
    pub role: String,
    /// The form token every POST of this session must carry.
    pub csrf: String,
    pub started_at: i64,
    pub last_seen: i64,
    /// The absolute end: after it the session is over, however active.
    pub ends_at: i64,
    /// The provider's ID token, for signing out there too (`id_token_hint`).
    pub id_token: Option<String>,
    /// Wrong check-in codes typed at the door in the window that started at `code_window` (epoch s).
    pub code_misses: u32,
    pub code_window: i64,
}

/// The window in which wrong typed codes are counted (a short code is only 40 bits).
pub const CODE_MISS_WINDOW: i64 = 600;

/// A sign-in that went to the provider and has not come back yet. Times are epoch seconds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignInAttempt {
    pub nonce: String,
    pub pkce_verifier: String,
    /// SHA-256 of the random value in the browser's sign-in cookie: the answer must come back to the
    /// browser that asked (no signing someone in as someone else).
    pub browser_hash: String,
    /// Where to go after signing in (a path of the console).
    pub return_to: String,
    pub expires_at: i64,
}

impl Store {
    /// Stores a new session under the hash of its id. Fails when the hash exists (a 256-bit id does not
    /// repeat; this keeps a session from ever being overwritten).
    pub async fn start_session(
        &self,
        id_hash: &str,
        session: &SessionRecord,
    ) -> Result<(), Unavailable> {
        let mut put = self
            .client
            .put_item()
            .table_name(&self.table)
            .item(PARTITION_KEY, s(&format!("{SESSION_PK_PREFIX}{id_hash}")))
            .item(SORT_KEY, s(SESSION_SK))
            .item("type", s("session"))
            .item("subject", s(&session.subject))
            .item("name", s(&session.name))
            .item("role", s(&session.role))
            .item("csrf", s(&session.csrf))
            .item("started_at", n(session.started_at))
            .item("last_seen", n(session.last_seen))
            .item(TTL_ATTRIBUTE, n(session.ends_at))
            .condition_expression("attribute_not_exists(PK)");
        if let Some(token) = &session.id_token {
            put = put.item("id_token", s(token));
        }
        put.send()
            .await
            .map_err(|err| unavailable("PutItem session", err))?;
        Ok(())
    }

    /// The session stored under `id_hash`, whatever its times say (the caller checks them).
    pub async fn session(&self, id_hash: &str) -> Result<Option<SessionRecord>, Unavailable> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .key(PARTITION_KEY, s(&format!("{SESSION_PK_PREFIX}{id_hash}")))
            .key(SORT_KEY, s(SESSION_SK))
            .consistent_read(true)
            .send()
            .await
            .map_err(|err| unavailable("GetItem session", err))?;
        Ok(output.item().and_then(session_from_item))
    }

    /// Marks the session as used at `now` (the idle timeout counts from here). A session that was ended
    /// meanwhile is not brought back.
    pub async fn touch_session(&self, id_hash: &str, now: i64) -> Result<(), Unavailable> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key(PARTITION_KEY, s(&format!("{SESSION_PK_PREFIX}{id_hash}")))
            .key(SORT_KEY, s(SESSION_SK))
            .update_expression("SET last_seen = :now")
            .condition_expression("attribute_exists(PK)")
            .expression_attribute_values(":now", n(now))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(err) if crate::outcome::condition_failed(&err) => Ok(()),
            Err(err) => Err(unavailable("UpdateItem session", err)),
        }
    }

    /// Counts a wrong check-in code typed in this session; how many there were in the current window.
    pub async fn note_code_miss(&self, id_hash: &str, now: i64) -> Result<u32, Unavailable> {
        let window = now - now.rem_euclid(CODE_MISS_WINDOW);
        let key = s(&format!("{SESSION_PK_PREFIX}{id_hash}"));
        let counted = self
            .client
            .update_item()
            .table_name(&self.table)
            .key(PARTITION_KEY, key.clone())
            .key(SORT_KEY, s(SESSION_SK))
            .update_expression("ADD code_misses :one")
            .condition_expression("code_window = :window")
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":window", n(window))
            .return_values(ReturnValue::UpdatedNew)
            .send()
            .await;
        match counted {
            Ok(output) => Ok(output
                .attributes()
                .and_then(|a| get_n(a, "code_misses"))
                .and_then(|v| u32::try_from(v).ok())
                .unwrap_or(1)),
            Err(err) if crate::outcome::condition_failed(&err) => {
                // A new window: start counting again (a session ended meanwhile is not brought back).
                let result = self
                    .client
                    .update_item()
                    .table_name(&self.table)
                    .key(PARTITION_KEY, key)
                    .key(SORT_KEY, s(SESSION_SK))
                    .update_expression("SET code_misses = :one, code_window = :window")
                    .condition_expression("attribute_exists(PK)")
                    .expression_attribute_values(":one", n(1))
                    .expression_attribute_values(":window", n(window))
                    .send()
                    .await;
                match result {
                    Ok(_) => Ok(1),
                    Err(err) if crate::outcome::condition_failed(&err) => Ok(1),
                    Err(err) => Err(unavailable("UpdateItem session code window", err)),
                }
            }
            Err(err) => Err(unavailable("UpdateItem session code misses", err)),
        }
    }

    /// Ends a session (signing out, or found expired). Ending a missing one is no error.
    pub async fn end_session(&self, id_hash: &str) -> Result<(), Unavailable> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .key(PARTITION_KEY, s(&format!("{SESSION_PK_PREFIX}{id_hash}")))
            .key(SORT_KEY, s(SESSION_SK))
            .send()
            .await
            .map_err(|err| unavailable("DeleteItem session", err))?;
        Ok(())
    }

    /// Stores a sign-in attempt under the hash of its `state`.
    pub async fn start_sign_in(
        &self,
        state_hash: &str,
        attempt: &SignInAttempt,
    ) -> Result<(), Unavailable> {
        self.client
            .put_item()
            .table_name(&self.table)
            .item(
                PARTITION_KEY,
                s(&format!("{SIGN_IN_PK_PREFIX}{state_hash}")),
            )
            .item(SORT_KEY, s(SIGN_IN_SK))
            .item("type", s("sign_in"))
            .item("nonce", s(&attempt.nonce))
            .item("pkce_verifier", s(&attempt.pkce_verifier))
            .item("browser_hash", s(&attempt.browser_hash))
            .item("return_to", s(&attempt.return_to))
            .item(TTL_ATTRIBUTE, n(attempt.expires_at))
            .condition_expression("attribute_not_exists(PK)")
            .send()
            .await
            .map_err(|err| unavailable("PutItem sign-in", err))?;
        Ok(())
    }

    /// Takes the sign-in attempt of `state_hash` out of the table: each works once, so a provider's answer
    /// that is replayed finds nothing. Expired ones are returned too (the caller checks `expires_at`).
    pub async fn take_sign_in(
        &self,
        state_hash: &str,
    ) -> Result<Option<SignInAttempt>, Unavailable> {
        let output = self
            .client
            .delete_item()
            .table_name(&self.table)
            .key(
                PARTITION_KEY,
                s(&format!("{SIGN_IN_PK_PREFIX}{state_hash}")),
            )
            .key(SORT_KEY, s(SIGN_IN_SK))
            .return_values(ReturnValue::AllOld)
            .send()
            .await
            .map_err(|err| unavailable("DeleteItem sign-in", err))?;
        Ok(output.attributes().and_then(|item| {
            Some(SignInAttempt {
                nonce: get_s(item, "nonce")?,
                pkce_verifier: get_s(item, "pkce_verifier")?,
                browser_hash: get_s(item, "browser_hash")?,
                return_to: get_s(item, "return_to")?,
                expires_at: get_n(item, TTL_ATTRIBUTE)?,
            })
        }))
    }
}

fn session_from_item(item: &Item) -> Option<SessionRecord> {
    Some(SessionRecord {
        subject: get_s(item, "subject")?,
        name: get_s(item, "name").unwrap_or_default(),
        role: get_s(item, "role")?,
        csrf: get_s(item, "csrf")?,
        started_at: get_n(item, "started_at")?,
        last_seen: get_n(item, "last_seen")?,
        ends_at: get_n(item, TTL_ATTRIBUTE)?,
        id_token: get_s(item, "id_token"),
        code_misses: get_n(item, "code_misses")
            .and_then(|v| u32::try_from(v).ok())
            .unwrap_or(0),
        code_window: get_n(item, "code_window").unwrap_or(0),
    })
}
