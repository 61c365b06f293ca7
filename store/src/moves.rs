//! Moving a registration to another address, confirmed by that address. The personal page asks for the
//! move ([`Store::request_move`]): the registration keeps its address and gets a pending move (the new
//! address, a random move id, the key version and an expiry a day ahead), and a pointer item
//! `MOVE#<hash of the confirmation token>` finds it again. The stream then mails the confirmation link
//! to the new address and a notice to the old one. Only when the new address opens the link and confirms
//! ([`Store::confirm_move`]) does the registration move, in the one transaction of `details`. Until then
//! the old address keeps everything; changing the details again (the own address included) cancels the
//! pending move (its pointer then opens nothing and expires within a day). A registration may ask for a
//! move a few times a day.

use aws_sdk_dynamodb::types::{Put, TransactWriteItem, Update};
use jiff::Timestamp;
use opp_model::RegistrationStatus;
use opp_model::records::PendingMove;

use crate::codec::{Item, get_n, get_s, n, s, status_value};
use crate::keys::{
    EMAIL_ATTRIBUTE, MOVE_POINTER_PK_PREFIX, MOVE_POINTER_SK, PARTITION_KEY, SORT_KEY,
    TTL_ATTRIBUTE, registration_pk, registration_sk,
};
use crate::outcome::{cancellation_reasons, is_definite, is_throttled};
use crate::retry::{ATTEMPTS, backoff};
use crate::{
    RegistrationRecord, Store, Unavailable, build_error, registration_from_item, unavailable,
};

/// The pending move's attributes on a registration item.
pub const MOVE_TO: &str = "move_to";
pub const MOVE_ID: &str = "move_id";
pub const MOVE_KEY_VERSION: &str = "move_key_version";
pub const MOVE_EXPIRES_AT: &str = "move_expires_at";
/// Every attribute of a pending move: a move or a details change removes them all.
pub const MOVE_ATTRIBUTES: [&str; 4] = [MOVE_TO, MOVE_ID, MOVE_KEY_VERSION, MOVE_EXPIRES_AT];
/// How often the registration asked for a move, and since when (a 24-hour window).
const MOVE_REQUESTS: &str = "move_requests";
const MOVE_REQUESTS_SINCE: &str = "move_requests_since";

/// How long a confirmation link works (seconds).
pub const MOVE_LIFETIME: i64 = 86_400;

/// The pending move an item holds, if any.
pub(crate) fn pending_move_of(item: &Item) -> Option<PendingMove> {
    Some(PendingMove {
        to: get_s(item, MOVE_TO)?,
        id: get_s(item, MOVE_ID)?,
        key_version: u32::try_from(get_n(item, MOVE_KEY_VERSION)?).ok()?,
        expires_at: get_n(item, MOVE_EXPIRES_AT)?,
    })
}

/// A move to ask for: the new address, and the confirmation link's id, key version and token hash.
#[derive(Debug, Clone)]
pub struct MoveRequest {
    pub to: String,
    pub id: String,
    pub key_version: u32,
    /// SHA-256 of the confirmation token (`LinkKeys::move_token`): the pointer item's key.
    pub token_hash: String,
}

/// What asking for a move came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MoveRequested {
    /// Stored; the stream mails the new and the old address.
    Requested,
    /// This registration asked for a move `per_day` times in the last 24 hours; nothing stored.
    TooOften,
    /// No live registration behind the link.
    Gone,
}

/// What a confirmation came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MoveConfirmed {
    /// Moved: the registration as it is now.
    Moved(Box<RegistrationRecord>),
    /// The new address has a registration for this meeting already; nothing changed.
    Taken,
    /// No such move waits (expired, replaced by a later request, cancelled, or confirmed already).
    Gone,
}

impl Store {
    /// Stores a pending move on the registration behind `token_hash` (the old address keeps it) and the
    /// pointer its confirmation link finds it by. At most `per_day` requests per registration in 24 hours.
    pub async fn request_move(
        &self,
        token_hash: &str,
        request: &MoveRequest,
        now: Timestamp,
        per_day: u32,
    ) -> Result<MoveRequested, Unavailable> {
        for attempt in 0..ATTEMPTS {
            let Some((record, item)) = self.registration_by_token_with_item(token_hash).await?
            else {
                return Ok(MoveRequested::Gone);
            };
            if record.status == RegistrationStatus::Cancelled {
                return Ok(MoveRequested::Gone);
            }
            let pk = registration_pk(&record.meeting);
            let sk = registration_sk(&record.email);
            let seconds = now.as_second();
            let (count, since) = match (
                get_n(&item, MOVE_REQUESTS),
                get_n(&item, MOVE_REQUESTS_SINCE),
            ) {
                (Some(count), Some(since)) if since > seconds - 86_400 => (count + 1, since),
                _ => (1, seconds),
            };
            if count > i64::from(per_day) {
                return Ok(MoveRequested::TooOften);
            }
            let expires = seconds + MOVE_LIFETIME;
            // The counter as read: another request meanwhile makes this one read again.
            let counted = match get_n(&item, MOVE_REQUESTS) {
                Some(_) => "move_requests = :seen",
                None => "attribute_not_exists(move_requests)",
            };
            let mut update = Update::builder()
                .table_name(&self.table)
                .key(PARTITION_KEY, s(&pk))
                .key(SORT_KEY, s(&sk))
                .update_expression(format!(
                    "SET {MOVE_TO} = :to, {MOVE_ID} = :id, {MOVE_KEY_VERSION} = :version, \
                     {MOVE_EXPIRES_AT} = :expires, {MOVE_REQUESTS} = :count, {MOVE_REQUESTS_SINCE} = :since"
                ))
                .condition_expression(format!(
                    "token_hash = :current AND #status <> :cancelled AND {counted}"
                ))
                .expression_attribute_names("#status", "status")
                .expression_attribute_values(":to", s(&request.to))
                .expression_attribute_values(":id", s(&request.id))
                .expression_attribute_values(":version", n(request.key_version))
                .expression_attribute_values(":expires", n(expires))
                .expression_attribute_values(":count", n(count))
                .expression_attribute_values(":since", n(since))
                .expression_attribute_values(":current", s(&record.token_hash))
                .expression_attribute_values(
                    ":cancelled",
                    status_value(RegistrationStatus::Cancelled),
                );
            if let Some(seen) = get_n(&item, MOVE_REQUESTS) {
                update = update.expression_attribute_values(":seen", n(seen));
            }
            let pointer = Put::builder()
                .table_name(&self.table)
                .item(
                    PARTITION_KEY,
                    s(&format!("{MOVE_POINTER_PK_PREFIX}{}", request.token_hash)),
                )
                .item(SORT_KEY, s(MOVE_POINTER_SK))
                .item("type", s("move"))
                .item("meeting", s(&record.meeting))
                // The registration's key; in the email index, so erasure finds it.
                .item(EMAIL_ATTRIBUTE, s(&record.email))
                .item(MOVE_ID, s(&request.id))
                .item(TTL_ATTRIBUTE, n(expires))
                .condition_expression("attribute_not_exists(PK)");
            let result = self
                .client
                .transact_write_items()
                .transact_items(
                    TransactWriteItem::builder()
                        .update(update.build().map_err(build_error)?)
                        .build(),
                )
                .transact_items(
                    TransactWriteItem::builder()
                        .put(pointer.build().map_err(build_error)?)
                        .build(),
                )
                .send()
                .await;
            match result {
                Ok(_) => return Ok(MoveRequested::Requested),
                Err(err) if cancellation_reasons(&err).is_some() || is_throttled(&err) => {}
                Err(err) if is_definite(&err) => {
                    return Err(unavailable("TransactWriteItems request move", err));
                }
                Err(err) => {
                    tracing::warn!(reason = %unavailable("TransactWriteItems request move", err).0, "move request outcome unknown: reading again");
                }
            }
            backoff(attempt).await;
        }
        Err(Unavailable(
            "request move: still conflicting after retries".into(),
        ))
    }

    /// The registration and its pending move that the confirmation token with hash `move_token_hash`
    /// stands for; None when no such move waits (unknown, expired, replaced, cancelled or done).
    pub async fn pending_move(
        &self,
        move_token_hash: &str,
        now: Timestamp,
    ) -> Result<Option<(RegistrationRecord, PendingMove)>, Unavailable> {
        let Some(pointer) = self
            .registration_item(
                &format!("{MOVE_POINTER_PK_PREFIX}{move_token_hash}"),
                MOVE_POINTER_SK,
            )
            .await?
        else {
            return Ok(None);
        };
        let (Some(meeting), Some(email), Some(move_id)) = (
            get_s(&pointer, "meeting"),
            get_s(&pointer, EMAIL_ATTRIBUTE),
            get_s(&pointer, MOVE_ID),
        ) else {
            return Ok(None);
        };
        let Some(item) = self
            .registration_item(&registration_pk(&meeting), &registration_sk(&email))
            .await?
        else {
            return Ok(None);
        };
        let Some(record) = registration_from_item(&item) else {
            return Ok(None);
        };
        match record.pending_move.clone() {
            Some(pending)
                if pending.id == move_id
                    && pending.expires_at > now.as_second()
                    && record.status != RegistrationStatus::Cancelled =>
            {
                Ok(Some((record, pending)))
            }
            _ => Ok(None),
        }
    }

    /// Moves the registration whose pending move the token with hash `move_token_hash` confirms: the
    /// move transaction of `details`, which also deletes the pointer and clears the pending move.
    pub async fn confirm_move(
        &self,
        move_token_hash: &str,
        now: Timestamp,
    ) -> Result<MoveConfirmed, Unavailable> {
        let pointer_pk = format!("{MOVE_POINTER_PK_PREFIX}{move_token_hash}");
        // The move as first read: an attempt whose answer was lost may have moved it already.
        let mut first: Option<(RegistrationRecord, PendingMove)> = None;
        for attempt in 0..ATTEMPTS {
            let (record, pending) = match (self.pending_move(move_token_hash, now).await?, &first) {
                (Some(found), _) => found,
                (None, Some((record, pending))) => {
                    return Ok(match self.moved_to(record, &pending.to).await? {
                        Some(moved) => MoveConfirmed::Moved(Box::new(moved)),
                        None => MoveConfirmed::Gone,
                    });
                }
                (None, None) => return Ok(MoveConfirmed::Gone),
            };
            first.get_or_insert_with(|| (record.clone(), pending.clone()));
            let details = opp_model::registration::Details {
                name: record.name.clone(),
                email: pending.to.clone(),
                organisation: record.organisation.clone(),
                needs: record.needs.clone(),
            };
            match self
                .move_confirmed(&record, &details, now, (&pointer_pk, MOVE_POINTER_SK))
                .await?
            {
                Some(true) => {
                    let moved = self.moved_to(&record, &pending.to).await?.unwrap_or(record);
                    return Ok(MoveConfirmed::Moved(Box::new(moved)));
                }
                // The new address is taken: by someone else, or by this very registration (an
                // earlier attempt landed and its answer was lost).
                Some(false) => {
                    return Ok(match self.moved_to(&record, &pending.to).await? {
                        Some(moved) => MoveConfirmed::Moved(Box::new(moved)),
                        None => MoveConfirmed::Taken,
                    });
                }
                None => backoff(attempt).await,
            }
        }
        Err(Unavailable(
            "confirm move: still conflicting after retries".into(),
        ))
    }

    /// The registration as it is now when it sits at address `to` (found through its own link).
    async fn moved_to(
        &self,
        record: &RegistrationRecord,
        to: &str,
    ) -> Result<Option<RegistrationRecord>, Unavailable> {
        Ok(self
            .registration_by_token(&record.token_hash)
            .await?
            .filter(|now| now.email == to))
    }

    /// The keys of an address's move pointers (through the email index): erasure removes them.
    pub async fn move_pointers_of(
        &self,
        email: &str,
    ) -> Result<Vec<(String, String)>, Unavailable> {
        self.email_index_keys_under(email, MOVE_POINTER_PK_PREFIX)
            .await
    }
}
