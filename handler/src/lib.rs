//! The registration function of the Landelijk OPP Project.
//!
//! [`registration`] holds the rules (plain Rust), [`store`] speaks DynamoDB, [`http`] maps HTTP to both,
//! [`pages`] renders the theme's templates, [`meetings`] turns the generator's `meetings.json` into meeting
//! records, [`aws`] makes every DynamoDB client of the workspace, [`calendar`] a registration's own `.ics`.
//!
//! [`routes`] is the table of every path, fed by `registration_endpoint`; [`origin_secret`] checks that a
//! request came through CloudFront.
//!
//! This crate is what the Lambda binary links. It may depend on `opp-model` and `opp-render`; never on the
//! generator (`opp-site`), `opp-admin`, `opp-dev` or the embedded store (`scripts/test` checks).

pub mod aws;
pub mod calendar;
pub mod http;
pub mod link_keys;
pub mod logging;
pub mod meetings;
pub mod origin_secret;
pub mod pages;
pub mod registration;
pub mod routes;
pub mod store;
pub mod token;
