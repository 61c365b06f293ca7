//! The registration function of the Landelijk OPP Project: the public AWS Lambda behind the site's forms.
//!
//! [`http`] maps HTTP requests to the registration rules (`opp_model::registration`) and the table
//! (`opp_store`), [`pages`] renders the theme's templates for its answers, and [`origin_secret`] checks that
//! a request came through CloudFront.
//!
//! This crate is what the Lambda binary links. It may depend on `opp-model`, `opp-render` and `opp-store`;
//! never on the generator (`opp-site`), `opp-admin`, `opp-dev` or the embedded store, and no other program
//! depends on it except the two that run its router (`opp-dev`, `opp-bench-handler`); `scripts/test` checks.

pub mod http;
/// The origin secret lives in opp-store (the back office checks it too); kept here under its old path.
pub use opp_store::origin_secret;
pub mod pages;
