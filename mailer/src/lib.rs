//! `opp-mailer`: the emails of the Landelijk OPP Project, from the table's stream. Every committed change
//! arrives as a stream record; the mailer reads it ([`record`]), decides from its old and new image which
//! email it means ([`transition`]), builds it ([`compose`], with the wording of `theme/emails/` and the
//! site facts of [`settings`]), claims it in the table's mail ledger so it is sent once
//! (`opp_store::mail_ledger`), and sends it
//! ([`deliver`]: SES, or a local outbox). [`Mailer`] holds what that needs; [`batch`] runs a batch the way
//! Lambda's event source mapping
//! expects; [`poller`] (feature `poller`) is the local stand-in for that mapping. Two more events reach
//! the function: the daily [`reminders`] task, and SES's bounces and complaints ([`feedback`]).
//!
//! The request path of `opp-handler` never sends mail: a registration is as fast as before, and mail goes
//! out only for what the table committed.

pub mod batch;
pub mod compose;
pub mod deliver;
pub mod feedback;
pub mod invocation;
#[cfg(feature = "poller")]
pub mod poller;
pub mod record;
pub mod reminders;
pub mod settings;
pub mod transition;

use opp_store::Store;
use opp_store::link_keys::LinkKeySource;

/// The mailer: the table (meetings, registrations and the mail ledger), the site's facts and email
/// templates, the link key ring (personal links in the mails) and where messages go.
pub struct Mailer {
    pub store: Store,
    pub site: settings::Site,
    pub keys: LinkKeySource,
    pub sender: deliver::Sender,
}
