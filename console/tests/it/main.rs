//! The back office against real peers: the embedded DynamoDB-compatible store (or moto), a real OpenID
//! provider on loopback (PyPI's `oidc-provider-mock`, signed in through its own login form), and the
//! fault-injecting proxy.

mod actions;
mod common;
mod door;
mod door_codes;
mod messages;
mod screens;
mod sign_in;
