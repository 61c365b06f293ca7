//! The embedded DynamoDB-compatible store (dynoxide): a SQLite file in the state folder, served over HTTP on
//! 127.0.0.1 so that other tools can use it, with the registrations table created when missing.

use std::path::Path;

use opp_store::Store;
use tokio::sync::oneshot;

/// The table name `cargo dev` uses (also `opp-admin`'s default).
pub const TABLE: &str = "opp-registrations";

pub struct LocalStore {
    pub store: Store,
    pub endpoint: String,
    /// Send to stop serving (Ctrl-C).
    pub stop: oneshot::Sender<()>,
}

pub async fn start(state_dir: &Path, port: u16) -> anyhow::Result<LocalStore> {
    std::fs::create_dir_all(state_dir).map_err(|err| {
        anyhow::anyhow!(
            "cannot create the state folder {}: {err}",
            state_dir.display()
        )
    })?;
    let file = state_dir.join("registrations.sqlite");
    let path = file
        .to_str()
        .ok_or_else(|| anyhow::anyhow!("{} is not valid UTF-8", file.display()))?;
    let database = dynoxide::Database::new(path).map_err(|err| {
        anyhow::anyhow!(
            "cannot open the local store {}: {err} (is another `cargo dev` running? remove the folder to start afresh)",
            file.display()
        )
    })?;
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .map_err(|err| {
            anyhow::anyhow!(
                "could not listen on 127.0.0.1:{port} for the store: {err} (is another server using it? try --store-port)"
            )
        })?;
    let endpoint = format!("http://{}", listener.local_addr()?);
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(async move {
        let shutdown = async {
            let _ = stopped.await;
        };
        if let Err(err) = dynoxide::server::serve_with_shutdown(listener, database, shutdown).await
        {
            eprintln!("the local store stopped: {err}");
        }
    });

    let store = Store::new(opp_store::aws::local_client(&endpoint), TABLE);
    match store.describe_table().await {
        Ok(()) => {
            // A table from before the mailer: its stream feeds the local mail.
            store.ensure_stream().await.map_err(|err| {
                anyhow::anyhow!("could not turn on the stream of {TABLE}: {}", err.0)
            })?;
            // A table from before check-in codes: the door finds scanned codes through this index.
            store.ensure_check_in_index().await.map_err(|err| {
                anyhow::anyhow!("could not add the check-in index to {TABLE}: {}", err.0)
            })?;
        }
        Err(err)
            if err
                .as_service_error()
                .is_some_and(|e| e.is_resource_not_found_exception()) =>
        {
            store
                .create_table()
                .await
                .map_err(|err| anyhow::anyhow!("could not create table {TABLE}: {}", err.0))?;
        }
        Err(err) => anyhow::bail!("the local store at {endpoint} does not answer: {err}"),
    }
    println!(
        "Store: {endpoint} (table {TABLE}, kept in {}); e.g. cargo admin --endpoint-url {endpoint} summary",
        file.display()
    );
    Ok(LocalStore {
        store,
        endpoint,
        stop,
    })
}
