//! After every successful build: the meeting items follow the new `meetings.json` (as `opp-admin
//! sync-meetings` does in AWS) and the handler's pages follow the theme, so an edit shows everywhere.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use opp_handler::pages::{Pages, SharedPages};
use opp_operations::sync::sync_meetings;
use opp_site::serve::AfterBuild;
use opp_store::Store;

pub fn after_build(
    store: Store,
    pages: SharedPages,
    root: PathBuf,
    site_origin: String,
    endpoint: String,
) -> AfterBuild {
    let runtime = tokio::runtime::Handle::current();
    let first = Arc::new(AtomicBool::new(true));
    Arc::new(move |output: &Path| {
        match Pages::from_root(&root) {
            Ok(fresh) => pages.replace(fresh),
            Err(err) => eprintln!("The handler's pages keep the previous theme: {err}"),
        }
        // The build runs inside the server's runtime; a separate thread may block on the sync.
        let (store, runtime, file) = (store.clone(), runtime.clone(), output.join("meetings.json"));
        let synced = std::thread::spawn(move || {
            runtime.block_on(async {
                let mut report = Vec::new();
                let result = sync_meetings(&store, &file, Default::default(), &mut report).await;
                (result, String::from_utf8_lossy(&report).into_owned())
            })
        })
        .join();
        match synced {
            Ok((Ok(report), _)) => {
                let changed = report.created.len() + report.updated.len();
                if changed > 0 {
                    println!(
                        "Meetings synced to the store: {} new, {} updated",
                        report.created.len(),
                        report.updated.len()
                    );
                }
            }
            Ok((Err(err), lines)) => eprintln!("{lines}Meetings not synced: {err}"),
            Err(_) => eprintln!("Meetings not synced: the sync stopped unexpectedly"),
        }
        if first.swap(false, Ordering::SeqCst) {
            println!("Registrations: {endpoint} (cargo admin --endpoint-url {endpoint} summary)");
            println!("ready: {site_origin}/");
        }
    })
}
