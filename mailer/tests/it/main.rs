//! The mailer's integration tests: batches from dynoxide's real stream through the poller, and the SES send
//! against moto. One module per area.

mod ses;
mod stream;
