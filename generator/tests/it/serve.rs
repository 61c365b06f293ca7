//! `opp-site serve` as an editor uses it: start on port 0, fetch a page, edit, see the change;
//! a broken save shows the error in the browser and the next good save recovers. Also the library's
//! `serve::run` as the local stack uses it: `after_build` after every successful build, full or incremental.

use crate::common::*;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Server {
    child: Child,
    address: String,
    /// Every line the server printed after its address.
    output: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
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
        .env_remove("OPP_LANG")
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
    let output = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let sink = std::sync::Arc::clone(&output);
    std::thread::spawn(move || {
        for line in lines.map_while(Result::ok) {
            sink.lock().unwrap().push(line);
        }
    });
    Server {
        child,
        address,
        output,
    }
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
        home.contains("/__opp/reload.js"),
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
    // Saved the way many editors save (write beside, rename over): one page is rendered again.
    let text = read(root.join("content/over.md")).replace("nieuwe tekst", "nieuwere tekst");
    std::fs::write(root.join("content/.over.md.tmp"), text).unwrap();
    std::fs::rename(
        root.join("content/.over.md.tmp"),
        root.join("content/over.md"),
    )
    .unwrap();
    wait_for("the incremental rebuild", || {
        get(&server.address, "/over/").1.contains("nieuwere tekst")
    });
    wait_for("the incremental rebuild's log line", || {
        server.output.lock().unwrap().iter().any(|line| {
            line.starts_with("over/index.html opnieuw gebouwd in ")
                && line.ends_with(" ms (alleen wat veranderde)")
        })
    });

    edit(root.join("content/over.md"), "weight: 10", "wieght: 10");
    wait_for("the error page", || {
        let (status, body) = get(&server.address, "/over/");
        // The overlay speaks Dutch, as the editor does.
        status == 500
            && body.contains("<html lang=\"nl\">")
            && body.contains("De site kon niet worden gebouwd")
            && body.contains("fout: onbekend veld `wieght`")
    });

    edit(root.join("content/over.md"), "wieght: 10", "weight: 10");
    wait_for("recovery", || {
        let (status, body) = get(&server.address, "/over/");
        status == 200 && body.contains("nieuwere tekst")
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

#[test]
fn after_build_runs_after_every_successful_build() {
    let (_dir, root) = site_copy();
    let builds = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = std::sync::Arc::clone(&builds);
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut build = opp_site::BuildOptions::new(&root);
    build.now = Some(now());
    let options = opp_site::serve::ServeOptions {
        build,
        port,
        api: None,
        after_build: Some(std::sync::Arc::new(move |site: &std::path::Path| {
            assert!(
                site.join("index.html").is_file(),
                "called with the built site"
            );
            counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        })),
    };
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let _ = runtime.block_on(opp_site::serve::run(options));
    });
    let count = || builds.load(std::sync::atomic::Ordering::SeqCst);
    wait_for("the first build", || count() >= 1);
    let address = format!("127.0.0.1:{port}");
    // The server answers once it watches (it starts watching before the first build).
    wait_for("the server", || get(&address, "/").0 == 200);

    edit(
        root.join("content/over.md"),
        "Meer kennis.",
        "Meer kennis, nu incrementeel.",
    );
    wait_for("after_build after the incremental rebuild", || {
        count() >= 2 && get(&address, "/over/").1.contains("nu incrementeel")
    });

    edit(root.join("content/over.md"), "weight: 10", "wieght: 10");
    wait_for("the error page", || get(&address, "/over/").0 == 500);
    let after_failure = count();
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(count(), after_failure, "not after a failed build");
    edit(root.join("content/over.md"), "wieght: 10", "weight: 10");
    wait_for("after_build after the full rebuild", || {
        count() > after_failure
    });
    let _ = std::fs::remove_dir_all(
        std::env::temp_dir().join(format!("opp-site-serve-{}-{port}", std::process::id())),
    );
}

/// `cargo site serve` runs with the root `.`: the watcher's absolute paths must still be recognised.
#[test]
fn a_relative_root_is_watched_too() {
    let (dir, _root) = site_copy();
    let mut child = Command::new(env!("CARGO_BIN_EXE_opp-site"))
        .args(["serve", "--port", "0", "--root", "site"])
        .current_dir(dir.path())
        .env("SOURCE_DATE_EPOCH", "1894700000")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let address = loop {
        let line = lines.next().expect("server printed its address").unwrap();
        if let Some(rest) = line.split("http://").nth(1) {
            break rest.split('/').next().unwrap().to_string();
        }
    };
    std::thread::spawn(move || for _ in lines {});
    let server = Server {
        child,
        address,
        output: Default::default(),
    };
    edit(
        dir.path().join("site/content/over.md"),
        "Meer kennis.",
        "Meer kennis, gezien.",
    );
    wait_for("the edit to show", || {
        get(&server.address, "/over/").1.contains("gezien")
    });
}

#[cfg(unix)]
#[test]
fn sigterm_stops_like_ctrl_c_and_removes_the_served_copy() {
    let (_dir, root) = site_copy();
    let mut server = start(&root);
    let pid = server.child.id();
    let port = server.address.rsplit(':').next().unwrap().to_string();
    let served = std::env::temp_dir().join(format!("opp-site-serve-{pid}-{port}"));
    assert!(
        served.is_dir(),
        "the site is served from {}",
        served.display()
    );
    let sent = Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let exit = server.child.wait().unwrap();
    assert!(exit.success(), "{exit:?}");
    assert!(!served.exists(), "{} is left behind", served.display());
}
