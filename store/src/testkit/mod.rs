//! What the tests of every crate share (feature `testkit`, only ever turned on by dev-dependencies and the
//! local stack): the DynamoDB peer ([`peer`]: dynoxide on loopback, or moto), the fault-injecting proxy
//! ([`faults`]) and sample records ([`sample`]). Test helpers of one crate stay in that crate's `tests/it/`.

pub mod faults;
pub mod peer;
pub mod sample;

pub use peer::*;

/// The common test meeting: [`sample::meeting`] with `capacity` seats (and twice as many waiting places).
pub fn meeting(id: &str, capacity: u32) -> opp_model::records::MeetingRecord {
    sample::meeting(id).capacity(capacity).build()
}
