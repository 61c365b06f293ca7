//! `opp-site`'s integration tests: whole builds, errors, incremental rebuilds, `serve` and `new`, on copies of
//! the real site. One module per area.

mod build;
mod cdn_parity;
mod common;
mod errors;
mod incremental;
mod new_meeting;
mod serve;
