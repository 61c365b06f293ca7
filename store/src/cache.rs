//! The counter cache: meeting details reused for 30 seconds when registering. They change only when
//! organisers sync, and the transaction's conditions check the parts that matter (window, seats) anyway.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::{Store, Unavailable};
use opp_model::records::MeetingRecord;

/// How long a meeting's details are reused when registering (see `Store::register`).
const MEETING_CACHE_TTL: Duration = Duration::from_secs(30);

/// Meetings by id, with the moment they were read. Shared by the clones of one store.
#[derive(Clone, Default)]
pub(super) struct MeetingCache(Arc<Mutex<HashMap<String, (MeetingRecord, Instant)>>>);

impl MeetingCache {
    fn fresh(&self, id: &str) -> Option<MeetingRecord> {
        let cache = self.0.lock().ok()?;
        let (meeting, read_at) = cache.get(id)?;
        (read_at.elapsed() < MEETING_CACHE_TTL).then(|| meeting.clone())
    }

    pub(super) fn remember(&self, meeting: &MeetingRecord) {
        if let Ok(mut cache) = self.0.lock() {
            cache.insert(meeting.id.clone(), (meeting.clone(), Instant::now()));
        }
    }

    pub(super) fn forget(&self, id: &str) {
        if let Ok(mut cache) = self.0.lock() {
            cache.remove(id);
        }
    }
}

impl Store {
    /// A meeting's details for registering, from the cache when fresh, else read (and remembered).
    pub(super) async fn cached_meeting(
        &self,
        id: &str,
    ) -> Result<Option<MeetingRecord>, Unavailable> {
        if let Some(meeting) = self.meeting_cache.fresh(id) {
            return Ok(Some(meeting));
        }
        let meeting = self.meeting(id).await?;
        if let Some(meeting) = &meeting {
            self.meeting_cache.remember(meeting);
        }
        Ok(meeting)
    }
}
