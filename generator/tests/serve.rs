//! `opp-site serve` as an editor uses it: start on port 0, fetch a page, edit, see the change;
//! a broken save shows the error in the browser and the next good save recovers.

mod common;

use common::*;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Server {
    child: Child,
    address: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(root: &std::path::Path) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_opp-site"))
        .args(["serve", "--port", "0", "--root"])
        .arg(root)
        .env("SOURCE_DATE_EPOCH", "1894700000")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let address = loop {
        let line = lines.next().expect("server printed its address").unwrap();
        if let Some(rest) = line.split("http://").nth(1) {
            break rest.split('/').next().unwrap().to_string();
        }
    };
    std::thread::spawn(move || for _ in lines {});
    Server { child, address }
}

/// A minimal HTTP/1.1 GET: (status, body).
fn get(address: &str, path: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(address).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).unwrap();
    let text = String::from_utf8_lossy(&response).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

fn wait_for(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if condition() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("timed out waiting for {what}");
}

#[test]
fn serves_rebuilds_and_recovers() {
    let (_dir, root) = site_copy();
    let server = start(&root);
    let (status, home) = get(&server.address, "/");
    assert_eq!(status, 200);
    assert!(home.contains("<h1>Welkom</h1>"));
    assert!(
        home.contains("/__opp/changes"),
        "the reload snippet is injected while serving"
    );
    let (status, _) = get(&server.address, "/bijeenkomsten/zwolle/qr.svg");
    assert_eq!(status, 200);
    let (status, missing) = get(&server.address, "/bestaat-niet/");
    assert_eq!(status, 404);
    assert!(missing.contains("Pagina niet gevonden"));

    edit(
        root.join("content/over.md"),
        "Meer kennis.",
        "Meer kennis en nieuwe tekst.",
    );
    wait_for("the edit to show", || {
        get(&server.address, "/over/").1.contains("nieuwe tekst")
    });

    edit(root.join("content/over.md"), "weight: 10", "wieght: 10");
    wait_for("the error page", || {
        let (status, body) = get(&server.address, "/over/");
        status == 500 && body.contains("unknown field `wieght`")
    });

    edit(root.join("content/over.md"), "wieght: 10", "weight: 10");
    wait_for("recovery", || {
        let (status, body) = get(&server.address, "/over/");
        status == 200 && body.contains("nieuwe tekst")
    });
}

#[test]
fn long_poll_answers_after_a_rebuild() {
    let (_dir, root) = site_copy();
    let server = start(&root);
    let (_, version) = get(&server.address, "/__opp/changes?since=0");
    let version: u64 = version.trim().parse().unwrap();
    assert!(version >= 1);
    let address = server.address.clone();
    let waiter =
        std::thread::spawn(move || get(&address, &format!("/__opp/changes?since={version}")).1);
    std::thread::sleep(Duration::from_millis(200));
    edit(root.join("content/_index.md"), "Lees", "Lees vooral");
    let next: u64 = waiter.join().unwrap().trim().parse().unwrap();
    assert!(next > version);
}
