//! The editors' sign-in for the editing screen (Decap CMS), on the screen's own origin
//! (`redactie.<domain>`). Decap opens `/oauth/auth` in a popup; we send the editor to GitHub with a fresh
//! `state` and PKCE, take GitHub's answer at `/oauth/callback`, exchange the code for a token with the
//! client secret (which never reaches a browser) and hand the token to the editing screen with Decap's
//! popup handshake, posted to that one origin only.
//!
//! - [`scopes`]: which OAuth scopes an editor may ask for (an allowlist).
//! - [`attempt`]: one sign-in attempt, kept in a short-lived HttpOnly cookie (`state` and PKCE verifier).
//! - [`github`]: GitHub's OAuth endpoints through the `oauth2` crate, over [`opp_http_client`].
//! - [`popup`]: the page the popup ends on: Decap's handshake, then the token or the reason it failed.
//! - [`http`]: the two routes, their security headers and CloudFront's origin check.
//! - [`local`]: the editing screen's files with CloudFront's headers, for `cargo dev` and the browser check.

pub mod attempt;
pub mod github;
pub mod http;
pub mod local;
pub mod popup;
pub mod scopes;
