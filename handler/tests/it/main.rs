//! The registration function's integration tests: its router in front of a real DynamoDB-compatible store
//! (`opp_store::testkit`), driven with API Gateway HTTP API events. One module per area.

mod api_routes;
mod calendar;
mod common;
mod details;
mod faults;
mod fuzz;
mod links;
mod mail_budget;
mod origin_secret;
mod registrations;
mod waitlist;
