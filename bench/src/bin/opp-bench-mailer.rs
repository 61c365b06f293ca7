//! Mailer benchmarks (bench/README.md, "Mailer"): (a) CPU per message to compose one email (view, Tera
//! text and HTML, the calendar file, MIME) against a null sender; (b) end-to-end batch throughput: the
//! stream of N registrations on the in-process store, read by the poller and handled by the batch function
//! (ledger claim and mark, the meeting read, compose) with the null sender; (c) an organiser's message to
//! 300 seats, from the back office's marks through the stream to the local mailbox (one `.eml` file each).
//! Prints a Markdown table.

use std::path::PathBuf;
use std::time::Instant;

use clap::Parser;
use opp_mailer::Mailer;
use opp_mailer::compose::registration_email;
use opp_mailer::deliver::Sender;
use opp_mailer::poller::Poller;
use opp_mailer::settings::{Mailbox, Site};
use opp_mailer::transition::Kind;
use opp_model::links::LinkKeys;
use opp_model::records::MeetingRecord;
use opp_model::registration::Registration;
use opp_store::aws::{ClientSettings, dynamodb_client};
use opp_store::link_keys::LinkKeySource;
use opp_store::messages::{Group, Message};
use opp_store::{IssuedLink, Store};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
struct Cli {
    /// A tiny run (CI: keeps the benchmark working).
    #[arg(long)]
    quick: bool,
    /// The site folder (templates and config).
    #[arg(long, default_value = ".")]
    root: PathBuf,
}

/// This process's CPU time (user + system), from /proc (Linux), in seconds.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit(')').next().unwrap_or_default();
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // Fields 14 and 15 of stat (utime, stime) are 11 and 12 after the command name; 100 ticks a second.
    (ticks(11) + ticks(12)) / 100.0
}

fn meeting(capacity: u32) -> MeetingRecord {
    opp_store::testkit::sample::meeting("2099-01-bench")
        .capacity(capacity)
        .waitlist_capacity(0)
        .open_from(jiff::Timestamp::now())
        .with(|m| {
            m.title = "Regiobijeenkomst Benchmark".into();
            m.path = "/bijeenkomsten/bench/".into();
            m.date = "2099-01-15".into();
            m.date_label = "donderdag 15 januari 2099".into();
            m.starts_at = Some(4_071_564_000);
            m.ends_at = Some(4_071_576_600);
            m.venue_name = "Stadhuis".into();
            m.venue_address = Some("Grote Markt 1".into());
            m.venue_postcode = Some("1234 AB".into());
            m.venue_route = Some("Tien minuten lopen vanaf het station.".into());
            m.city = "Benchstad".into();
            m.ics_path = "/bijeenkomsten/bench/bijeenkomst.ics".into();
            m.expires_at = 0;
        })
        .build()
}

fn registration(i: usize) -> Registration {
    Registration {
        meeting: "2099-01-bench".into(),
        name: format!("Deelnemer Ö{i}"),
        email: format!("p{i}@example.nl"),
        role: "ouder".into(),
        sector: None,
        organisation: None,
        needs: None,
    }
}

/// An in-process store with the table (its stream on, as the mailer reads it) and `meeting`.
async fn store_with(meeting: &MeetingRecord) -> anyhow::Result<(Store, String)> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let endpoint = format!("http://{}", listener.local_addr()?);
    tokio::spawn(dynoxide::server::serve_on(
        listener,
        dynoxide::Database::memory()?,
    ));
    let store = Store::new(dynamodb_client(ClientSettings::local(&endpoint))?, "bench");
    store
        .create_table()
        .await
        .map_err(|e| anyhow::anyhow!(e.0))?;
    store
        .put_meeting_details(meeting)
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    Ok((store, endpoint))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let (compose_n, batch_n, message_n) = if cli.quick {
        (50, 20, 10)
    } else {
        (5_000, 1_000, 300)
    };
    let from =
        Mailbox::parse("Landelijk OPP Project <noreply@example.nl>").map_err(anyhow::Error::msg)?;
    let site = Site::from_root(&cli.root, Some("https://www.example.nl"), from.clone())
        .map_err(anyhow::Error::msg)?;
    let ring = LinkKeys::first([3; 32]);

    // (a) Compose only.
    let m = meeting(10);
    // One real record (as the store decodes it) to compose from.
    let record = {
        let (store, _) = store_with(&m).await?;
        let link = ring.issue([1; 16]);
        store
            .register(
                &registration(0),
                IssuedLink::derived(&link),
                jiff::Timestamp::now(),
            )
            .await
            .map_err(|e| anyhow::anyhow!("{e:?}"))?;
        store
            .registration_by_token(&opp_model::token::hash(&link.token))
            .await
            .map_err(|e| anyhow::anyhow!(e.0))?
            .ok_or_else(|| anyhow::anyhow!("the registration was not stored"))?
    };
    let sender = Sender::Discard;
    let now = jiff::Timestamp::now();
    let (cpu0, wall0) = (cpu_seconds(), Instant::now());
    let mut bytes = 0;
    for _ in 0..compose_n {
        let mail = registration_email(
            &site,
            &ring,
            Kind::Confirmed,
            &record,
            &m,
            Default::default(),
            now,
        )
        .map_err(|p| anyhow::anyhow!(p.to_string()))?;
        bytes += mail.raw.len();
        sender.send(&mail).await.map_err(|e| anyhow::anyhow!(e.0))?;
    }
    let (cpu, wall) = (cpu_seconds() - cpu0, wall0.elapsed().as_secs_f64());

    // (b) The whole path: N registrations on the stream, the poller, the batch function, the ledger.
    let (store, endpoint) = store_with(&meeting(batch_n as u32)).await?;
    for i in 0..batch_n {
        let mut random = [0u8; 16];
        random[..8].copy_from_slice(&(i as u64 + 10).to_le_bytes());
        store
            .register(
                &registration(i),
                IssuedLink::derived(&ring.issue(random)),
                jiff::Timestamp::now(),
            )
            .await
            .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    }
    let mut mailer = Mailer {
        store: store.clone(),
        site,
        keys: LinkKeySource::fixed(ring),
        sender: Sender::Discard,
    };
    let mut poller = Poller::for_table(store.client(), &endpoint, store.table())
        .await
        .map_err(anyhow::Error::msg)?;
    let started = Instant::now();
    let mut sent = 0;
    while sent < batch_n {
        let polled = poller.poll(&mailer).await.map_err(anyhow::Error::msg)?;
        sent += polled.sent;
        if polled.records == 0 && started.elapsed().as_secs() > 120 {
            anyhow::bail!("only {sent} of {batch_n} messages after 120 s");
        }
    }
    let batch_wall = started.elapsed().as_secs_f64();

    // (c) An organiser's message to `message_n` seats: the message item, one mark per recipient (what the
    // back office does), then the stream, the poller and the batch function to the local mailbox.
    let mailbox = std::env::temp_dir().join(format!("opp-bench-message-{}", std::process::id()));
    mailer.sender = Sender::Outbox {
        dir: mailbox.clone(),
    };
    let bench_meeting = store
        .meeting("2099-01-bench")
        .await
        .map_err(|e| anyhow::anyhow!(e.0))?
        .ok_or_else(|| anyhow::anyhow!("the meeting is gone"))?;
    let now = jiff::Timestamp::now();
    let id = Message::new_id(now).ok_or_else(|| anyhow::anyhow!("no randomness"))?;
    let message = Message {
        id: id.clone(),
        meeting: bench_meeting.id.clone(),
        group: Group::Seats,
        subject: "De zaal is veranderd".into(),
        body: "We zitten in zaal 2.\nDe lift is naast de ingang.".into(),
        by: "Benchmark".into(),
        created_at: opp_store::arrival_time(now),
        recipients: message_n as u32,
        skipped_bounced: 0,
        sent: 0,
        failed: 0,
        skipped_gone: 0,
        failures: Vec::new(),
    };
    let started = Instant::now();
    store
        .put_message(&message, bench_meeting.expires_at)
        .await
        .map_err(|e| anyhow::anyhow!(e.0))?;
    let people = store
        .registrations(&bench_meeting.id, &mut |_| {})
        .await
        .map_err(|e| anyhow::anyhow!(e.0))?;
    for person in people.iter().take(message_n) {
        store
            .mark_message_due(person, Group::Seats, &id)
            .await
            .map_err(|e| anyhow::anyhow!(e.0))?;
    }
    let marked = started.elapsed().as_secs_f64();
    let mut sent = 0;
    while sent < message_n {
        let polled = poller.poll(&mailer).await.map_err(anyhow::Error::msg)?;
        sent += polled.sent;
        if polled.records == 0 && started.elapsed().as_secs() > 120 {
            anyhow::bail!("only {sent} of {message_n} messages after 120 s");
        }
    }
    let message_wall = started.elapsed().as_secs_f64();
    let files = std::fs::read_dir(&mailbox)?.count();
    let _ = std::fs::remove_dir_all(&mailbox);
    anyhow::ensure!(
        files == message_n,
        "{files} files in the mailbox for {message_n} recipients"
    );

    println!("| measurement | result |");
    println!("|---|---|");
    println!(
        "| (a) compose one `confirmed` email (view, Tera text + HTML, .ics, MIME), null sender, {compose_n} messages | {:.0} µs CPU per message ({:.0} µs wall), {:.1} KB per message |",
        cpu / compose_n as f64 * 1e6,
        wall / compose_n as f64 * 1e6,
        bytes as f64 / compose_n as f64 / 1e3
    );
    println!(
        "| (b) end to end: {batch_n} registrations on the stream -> poller -> batch function (ledger claim + mark, meeting read, compose) -> null sender | {:.0} messages/s ({:.2} ms per message) |",
        batch_n as f64 / batch_wall,
        batch_wall / batch_n as f64 * 1e3
    );
    println!(
        "| (c) an organiser's message to {message_n} seats: message item + {message_n} marks -> stream -> poller -> batch function -> local mailbox ({message_n} `.eml` files) | {message_wall:.1} s in all ({marked:.1} s marking) |",
    );
    Ok(())
}
