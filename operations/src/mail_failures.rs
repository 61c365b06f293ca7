//! `opp-admin mail-failures`: the emails the mailer gave up on (kept 30 days), newest first. Each names the
//! registration's `link_id`, never an address: `opp-admin list --meeting ID --json` shows each registration's
//! `link_id`. The failure queue in AWS holds only batch metadata; this list is what tells which email.

use std::io::Write;

use crate::{OperationError, local_time, table, terminal};
use opp_store::Store;

pub async fn mail_failures(
    store: &Store,
    json: bool,
    out: &mut dyn Write,
) -> Result<(), OperationError> {
    let mut failures = opp_store::mail_ledger::failures(store).await?;
    failures.reverse();
    if json {
        let rows: Vec<serde_json::Value> = failures
            .iter()
            .map(|f| {
                serde_json::json!({
                    "failed_at": f.failed_at, "link_id": f.link_id, "kind": f.kind,
                    "version": f.version, "error": f.error,
                })
            })
            .collect();
        writeln!(
            out,
            "{}",
            terminal::json(&serde_json::Value::Array(rows).to_string())
        )
        .ok();
        return Ok(());
    }
    if failures.is_empty() {
        writeln!(out, "{}", say!(MAIL_FAILURES_NONE)).ok();
        return Ok(());
    }
    let rows: Vec<Vec<String>> = failures
        .iter()
        .map(|f| {
            vec![
                local_time(&f.failed_at),
                f.kind.clone(),
                f.link_id.clone(),
                f.error.clone(),
            ]
        })
        .collect();
    write!(
        out,
        "{}",
        table::render(
            &[
                &say!(COL_FAILED),
                &say!(COL_KIND),
                "link_id",
                &say!(COL_ERROR)
            ],
            &rows
        )
    )
    .ok();
    let line = say!(MAIL_FAILURES_TOTAL, count = failures.len());
    writeln!(out, "{line}").ok();
    Ok(())
}
