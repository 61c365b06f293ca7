//! `opp-console`: the organisers' back office, an AWS Lambda function on its own origin (`beheer.<domain>`).
//! Server-rendered Dutch pages from the theme's `console/` templates, usable without JavaScript.
//!
//! - [`oidc`]: sign-in through OpenID Connect (the `openidconnect` crate), over [`http_client`];
//! - [`roles`]: `deur` and `beheer`, from a configurable claim;
//! - [`session`]: cookies, ids, limits and form tokens (the sessions themselves live in the table,
//!   `opp_store::sessions`);
//! - [`search`]: a meeting's list searched, filtered, sorted and paged;
//! - [`pages`]: the templates and styles compiled in;
//! - [`mail_preview`]: a message rendered as the mailer will send it, for the preview before sending;
//! - [`http`]: the router, the checks every request passes, one module per screen.
//!
//! Every view of personal data, every download, action, sign-in and sign-out is written to the audit log
//! (`opp_store::audit`) before the answer goes out. The operations are `opp-operations`', shared with
//! `opp-admin`; this crate never depends on the public function.

pub mod http;
pub use opp_http_client as http_client;
pub mod mail_preview;
pub mod oidc;
pub mod pages;
pub mod roles;
pub mod search;
pub mod session;
