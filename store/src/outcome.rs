//! Reading what DynamoDB answered a transaction: the cancellation reasons by named slot (never by position,
//! so reordering a transaction cannot change what its outcome means), which errors are worth a retry, and
//! [`condition_failed`], the one test for "the write's condition did not hold".

use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;

use super::codec::Item;

/// Whether a single-item write (Put, Update, Delete) was refused because its condition did not hold.
/// Each caller decides what that means for it (already done, taken, gone).
pub fn condition_failed<E: ProvideErrorMetadata, R>(err: &SdkError<E, R>) -> bool {
    err.as_service_error()
        .is_some_and(|e| e.code() == Some("ConditionalCheckFailedException"))
}

/// What one item of a registration transaction is. The transaction is built as a list of (slot, item)
/// pairs, and its answer is read back through the same list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Slot {
    /// The registration item (new, or over a cancelled one).
    Registration,
    /// The personal link's token item.
    Token,
    /// The meeting's counter update, which carries the window and seat conditions.
    Meeting,
    /// The token item of the cancelled registration being replaced.
    ReplacedLink,
    /// A registration under its new address (details changed on the personal page).
    Moved,
}

/// The per-item reasons of a cancelled transaction, each with the item as it was where `ALL_OLD` asked.
pub(super) struct Reasons(Vec<(Slot, String, Option<Item>)>);

impl Reasons {
    /// The reasons of `err` for a transaction built with these `slots`; None when it was not cancelled.
    pub(super) fn of(err: &SdkError<TransactWriteItemsError>, slots: &[Slot]) -> Option<Reasons> {
        cancellation_reasons(err).map(|reasons| Reasons::new(slots, reasons))
    }

    /// Pairs DynamoDB's reasons, which come in the order of the transaction's items, with the slots the
    /// transaction was built with.
    fn new(slots: &[Slot], reasons: Vec<(String, Option<Item>)>) -> Reasons {
        Reasons(
            slots
                .iter()
                .zip(reasons)
                .map(|(slot, (code, item))| (*slot, code, item))
                .collect(),
        )
    }

    /// This slot's condition did not hold.
    pub(super) fn failed(&self, slot: Slot) -> bool {
        self.0
            .iter()
            .any(|(s, code, _)| *s == slot && code == "ConditionalCheckFailed")
    }

    /// This slot's item as it was before the transaction (when it existed and was asked for).
    pub(super) fn item(&self, slot: Slot) -> Option<&Item> {
        self.0
            .iter()
            .find(|(s, _, _)| *s == slot)
            .and_then(|(_, _, item)| item.as_ref())
    }
}

/// Per item of a cancelled transaction: its reason code and, where asked for (`ALL_OLD`), the item as it was.
pub(super) fn cancellation_reasons(
    err: &SdkError<TransactWriteItemsError>,
) -> Option<Vec<(String, Option<Item>)>> {
    match err.as_service_error()? {
        TransactWriteItemsError::TransactionCanceledException(cancelled) => Some(
            cancelled
                .cancellation_reasons()
                .iter()
                .map(|r| (r.code().unwrap_or("None").to_string(), r.item().cloned()))
                .collect(),
        ),
        _ => None,
    }
}

/// The request was certainly not applied: it was never sent, or DynamoDB refused it as a client error
/// (validation, a missing table). Everything else (a timeout, a dropped connection, an unreadable answer,
/// a 5xx) leaves the outcome unknown.
pub(super) fn is_definite<E>(err: &SdkError<E>) -> bool {
    match err {
        SdkError::ConstructionFailure(_) => true,
        SdkError::ServiceError(service) => service.raw().status().is_client_error(),
        _ => false,
    }
}

pub(super) fn is_throttled(err: &SdkError<TransactWriteItemsError>) -> bool {
    err.as_service_error().is_some_and(|e| {
        matches!(
            e,
            TransactWriteItemsError::ProvisionedThroughputExceededException(_)
                | TransactWriteItemsError::ThrottlingException(_)
                | TransactWriteItemsError::RequestLimitExceeded(_)
                | TransactWriteItemsError::TransactionInProgressException(_)
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_dynamodb::types::AttributeValue;

    fn answer(codes: &[&str]) -> Vec<(String, Option<Item>)> {
        codes
            .iter()
            .enumerate()
            .map(|(i, code)| {
                let item = Item::from([("n".to_string(), AttributeValue::N(i.to_string()))]);
                (code.to_string(), Some(item))
            })
            .collect()
    }

    #[test]
    fn reasons_are_read_by_slot_not_by_position() {
        let codes = ["None", "None", "ConditionalCheckFailed"];
        let built = [Slot::Registration, Slot::Token, Slot::Meeting];
        let reasons = Reasons::new(&built, answer(&codes));
        assert!(reasons.failed(Slot::Meeting));
        assert!(!reasons.failed(Slot::Registration));
        assert_eq!(
            reasons.item(Slot::Meeting).and_then(|i| i.get("n")),
            Some(&AttributeValue::N("2".into()))
        );

        // The same answer for a transaction built in another order means another slot failed.
        let reordered = [Slot::Meeting, Slot::Token, Slot::Registration];
        let reasons = Reasons::new(&reordered, answer(&codes));
        assert!(reasons.failed(Slot::Registration));
        assert!(!reasons.failed(Slot::Meeting));
        assert!(
            !reasons.failed(Slot::ReplacedLink),
            "absent slots never fail"
        );
    }
}
