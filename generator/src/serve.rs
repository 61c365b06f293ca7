//! `opp-site serve`: builds into a temporary folder, serves it on 127.0.0.1, rebuilds when content, theme or
//! configuration change (only the edited pages when that gives the same result, see [`crate::incremental`])
//! and reloads open browser tabs. The reload snippet is added while serving, never written. Every answer,
//! the merged registration API's too, gets the CDN's response headers for its path ([`opp_model::cdn`]),
//! so pages are previewed and tested under the Content-Security-Policy production sends.

use axum::Router;
use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use notify::event::{AccessKind, AccessMode, ModifyKind, RenameMode};
use notify::{EventKind, RecursiveMode, Watcher};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock, mpsc};
use std::time::{Duration, Instant};
use tokio::sync::watch;

use crate::incremental::{Outcome, Session};
use crate::{BuildOptions, load, markdown::escape_attr};
use opp_model::messages::{Lang, site};
use opp_model::text;

/// Called after every successful build with the output folder (the local stack syncs meetings with it).
pub type AfterBuild = Arc<dyn Fn(&Path) + Send + Sync>;

pub struct ServeOptions {
    pub build: BuildOptions,
    pub port: u16,
    /// Extra routes served on the same origin (the registration API under `/api/`).
    pub api: Option<Router>,
    pub after_build: Option<AfterBuild>,
}

/// Where the server on `port` builds the site it serves (`cargo dev` serves the editing screen's files from
/// its `admin/` on their own origin). Per process and port: two servers in one process (tests) must not
/// build into the same folder.
pub fn served_site_dir(port: u16) -> PathBuf {
    std::env::temp_dir()
        .join(format!("opp-site-serve-{}-{port}", std::process::id()))
        .join("site")
}

struct Shared {
    site_dir: PathBuf,
    error: RwLock<Option<String>>,
    version: watch::Sender<u64>,
}

const RELOAD_PATH: &str = "/__opp/changes";
/// The reload script and the error page's styles: files, not inline, because the CSP allows nothing inline.
const RELOAD_SCRIPT_PATH: &str = "/__opp/reload.js";
const ERROR_STYLE_PATH: &str = "/__opp/error.css";

/// Builds, serves and watches until Ctrl-C.
pub async fn run(options: ServeOptions) -> anyhow::Result<()> {
    let mut build_options = options.build.clone();
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], options.port)))
        .await
        .map_err(|err| {
            anyhow::anyhow!(
                "{}",
                text!(site::CANNOT_LISTEN, port = options.port, err = err)
            )
        })?;
    let address = listener.local_addr()?;
    let site_dir = served_site_dir(address.port());
    let work_dir = site_dir
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| site_dir.clone());
    build_options.output = site_dir.clone();
    if build_options.base_url.is_none() {
        build_options.base_url = Some(format!("http://{address}"));
    }

    let (version, _) = watch::channel(0u64);
    let shared = Arc::new(Shared {
        site_dir,
        error: RwLock::new(None),
        version,
    });
    // Watching starts before the first build, so a save during that build is not missed.
    let (_watcher, incoming) = watch_sources(&build_options.root)?;
    let mut session = Session::new(build_options);
    let started = Instant::now();
    let result = session.full().map(Outcome::Full);
    report(
        &shared,
        &session,
        result,
        started,
        options.after_build.as_ref(),
    );
    rebuild_on_change(
        Arc::clone(&shared),
        session,
        incoming,
        options.after_build.clone(),
    );

    let mut app = Router::new()
        .route(RELOAD_PATH, get(changes))
        .route(RELOAD_SCRIPT_PATH, get(reload_script))
        .route(ERROR_STYLE_PATH, get(error_style))
        .fallback(get(static_file))
        .with_state(Arc::clone(&shared));
    if let Some(api) = options.api {
        app = app.merge(api);
    }
    let app = app.layer(axum::middleware::from_fn(cdn_headers));
    // The handlers are in place before the address is printed: whoever reads it may stop us at once.
    let stop = stop_requested();
    println!("{}", text!(site::SERVING, address = address));
    axum::serve(listener, app)
        .with_graceful_shutdown(stop)
        .await?;
    let _ = std::fs::remove_dir_all(&work_dir);
    println!("{}", site::STOPPED.text());
    Ok(())
}

/// Prints the outcome of a (re)build, publishes it to the browser tabs and calls `after_build` on success.
/// `since` is when the change was first seen, so the time printed is what the editor waits.
fn report(
    shared: &Shared,
    session: &Session,
    result: Result<Outcome, crate::error::BuildError>,
    since: Instant,
    after_build: Option<&AfterBuild>,
) {
    let ms = || since.elapsed().as_secs_f64() * 1000.0;
    let error = match result {
        Ok(Outcome::Unchanged) => return,
        Ok(Outcome::Full(summary)) => {
            let ms = format!("{:.1}", ms());
            let line = text!(
                site::SERVE_BUILT,
                pages = summary.pages,
                meetings = summary.meetings,
                ms = ms
            );
            println!("{line}");
            None
        }
        Ok(Outcome::Partial { files }) => {
            let ms = format!("{:.1}", ms());
            let line = text!(site::SERVE_REBUILT, files = files.join(", "), ms = ms);
            println!("{line}");
            None
        }
        Err(err) => {
            eprintln!("{err}\n{}", site::SERVE_FAILED.text());
            Some(err.to_string())
        }
    };
    if error.is_none()
        && let Some(after_build) = after_build
    {
        after_build(&session.options().output);
    }
    *shared.error.write().unwrap_or_else(|p| p.into_inner()) = error;
    shared.version.send_modify(|v| *v += 1);
}

/// Ctrl-C, or SIGTERM (a service manager, a test harness): both stop the server the same way, so the
/// served copy in the temporary folder is removed either way. The signal handlers are installed when this
/// is called, not when the returned future is first polled: a signal that comes before then is not lost.
fn stop_requested() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    let signals = {
        use tokio::signal::unix::{SignalKind, signal};
        signal(SignalKind::interrupt()).and_then(|int| Ok((int, signal(SignalKind::terminate())?)))
    };
    async move {
        #[cfg(unix)]
        if let Ok((mut int, mut term)) = signals {
            tokio::select! {
                _ = int.recv() => {}
                _ = term.recv() => {}
            }
            return;
        }
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// How long to wait for more events after the last one: editors save in bursts (write, rename, chmod). After
/// an event that ends a write (close after writing, rename into place, removal) more rarely follows, so the
/// wait is short; after one that starts or continues a write it is long enough for the rest to arrive.
const QUIET_AFTER_COMPLETE: Duration = Duration::from_millis(2);
const QUIET_AFTER_PARTIAL: Duration = Duration::from_millis(25);

/// Watches `content/`, `theme/` and `config.yaml`; the events arrive on the returned channel.
fn watch_sources(
    root: &Path,
) -> anyhow::Result<(notify::RecommendedWatcher, mpsc::Receiver<notify::Event>)> {
    let (events, incoming) = mpsc::channel::<notify::Event>();
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        if let Ok(event) = event {
            let _ = events.send(event);
        }
    })?;
    for dir in [root.join("content"), root.join("theme")] {
        watcher
            .watch(&dir, RecursiveMode::Recursive)
            .map_err(|err| {
                anyhow::anyhow!(
                    "{}",
                    text!(site::CANNOT_WATCH, path = dir.display(), err = err)
                )
            })?;
    }
    watcher.watch(root, RecursiveMode::NonRecursive)?;
    Ok((watcher, incoming))
}

/// On a thread: waits for a burst of changes to end, then brings the site up to date and reports.
fn rebuild_on_change(
    shared: Arc<Shared>,
    mut session: Session,
    incoming: mpsc::Receiver<notify::Event>,
    after_build: Option<AfterBuild>,
) {
    let root = session.options().root.clone();
    let config_path = root.join(crate::config::CONFIG_FILE);
    let content_root = root.join("content");
    let theme_root = root.join("theme");
    // The watcher reports absolute paths; the build knows the root as given (often `.`), and shows paths
    // that way in its messages. Events are turned back into paths below the root as given.
    let absolute_root = std::path::absolute(&root).unwrap_or_else(|_| root.clone());
    let as_given = move |path: PathBuf| match path.strip_prefix(&absolute_root) {
        Ok(rest) => root.join(rest),
        Err(_) => path,
    };
    std::thread::spawn(move || {
        let relevant = |event: &notify::Event| {
            // Reading a file (the build itself does) changes nothing; closing it after writing ends a save.
            (!matches!(event.kind, EventKind::Access(_)) || ends_write(&event.kind))
                && event.paths.iter().any(|path| {
                    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
                    !load::is_ignored(name)
                        && (path == &config_path
                            || path.starts_with(&content_root)
                            || path.starts_with(&theme_root))
                })
        };
        let localise = |mut event: notify::Event| {
            event.paths = event.paths.into_iter().map(&as_given).collect();
            event
        };
        while let Ok(event) = incoming.recv().map(localise) {
            if !relevant(&event) {
                continue;
            }
            let since = Instant::now();
            let mut changed: Vec<PathBuf> = Vec::new();
            let mut quiet = quiet_after(&event.kind);
            changed.extend(event.paths);
            let mut deadline = Instant::now() + quiet;
            loop {
                let now = Instant::now();
                if now >= deadline {
                    break;
                }
                match incoming.recv_timeout(deadline - now).map(localise) {
                    Ok(event) if relevant(&event) => {
                        quiet = quiet_after(&event.kind);
                        changed.extend(event.paths);
                        deadline = Instant::now() + quiet;
                    }
                    Ok(_) => {}
                    Err(mpsc::RecvTimeoutError::Timeout) => break,
                    Err(mpsc::RecvTimeoutError::Disconnected) => return,
                }
            }
            changed.sort();
            changed.dedup();
            let result = session.update(&changed);
            report(&shared, &session, result, since, after_build.as_ref());
        }
    });
}

fn ends_write(kind: &EventKind) -> bool {
    matches!(
        kind,
        EventKind::Access(AccessKind::Close(AccessMode::Write))
            | EventKind::Modify(ModifyKind::Name(RenameMode::To | RenameMode::Both))
            | EventKind::Remove(_)
    )
}

fn quiet_after(kind: &EventKind) -> Duration {
    if ends_write(kind) {
        QUIET_AFTER_COMPLETE
    } else {
        QUIET_AFTER_PARTIAL
    }
}

#[derive(serde::Deserialize)]
struct ChangesQuery {
    since: Option<u64>,
}

/// Long poll: answers when the site was rebuilt after version `since` (or after 25 s with the same version).
async fn changes(State(shared): State<Arc<Shared>>, Query(query): Query<ChangesQuery>) -> Response {
    let mut receiver = shared.version.subscribe();
    let since = query.since.unwrap_or(0);
    if *receiver.borrow() == since {
        let _ = tokio::time::timeout(Duration::from_secs(25), receiver.changed()).await;
    }
    let version = *receiver.borrow();
    ([(header::CACHE_CONTROL, "no-store")], version.to_string()).into_response()
}

/// The response headers CloudFront adds on this path ([`opp_model::cdn`]), added here the same way: a header
/// that replaces the origin's is set, the others only where the answer has none.
async fn cdn_headers(request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let policy = opp_model::cdn::behaviour(request.uri().path()).headers;
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    for rule in policy.headers() {
        let value = HeaderValue::from_static(rule.value);
        if rule.replaces_origin || !headers.contains_key(rule.name) {
            headers.insert(rule.name, value);
        }
    }
    response
}

fn reload_snippet(version: u64) -> String {
    format!("<script src=\"{RELOAD_SCRIPT_PATH}?v={version}\"></script>")
}

/// Polls for a newer build than the page's (the `v` of its own address) and reloads when there is one.
async fn reload_script() -> Response {
    let script = format!(
        "(function(){{var v=new URL(document.currentScript.src).searchParams.get('v');function poll(){{fetch('{RELOAD_PATH}?since='+v).then(function(r){{return r.text()}}).then(function(t){{if(t!==String(v)){{location.reload()}}else{{poll()}}}}).catch(function(){{setTimeout(poll,1000)}})}}poll()}})();"
    );
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        script,
    )
        .into_response()
}

async fn error_style() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        "body{font-family:system-ui,sans-serif;margin:2rem}pre{white-space:pre-wrap;background:#fff0f0;border-left:4px solid #b00;padding:1rem}",
    )
        .into_response()
}

async fn static_file(State(shared): State<Arc<Shared>>, uri: Uri) -> Response {
    let version = *shared.version.borrow();
    // The editing screen is built into admin/ but published to an origin of its own, never to the site's
    // bucket (infra/publish-content.sh): the public origin answers 404 there, here too.
    let admin = format!("/{}", crate::cms::ADMIN_DIR);
    let unpublished = uri.path() == admin || uri.path().starts_with(&format!("{admin}/"));
    if let Some(error) = shared
        .error
        .read()
        .unwrap_or_else(|p| p.into_inner())
        .clone()
        && wants_html(uri.path())
    {
        return html_response(
            StatusCode::INTERNAL_SERVER_ERROR,
            error_page(&error),
            version,
        );
    }
    let Some(rel) = safe_relative(uri.path()) else {
        return (StatusCode::BAD_REQUEST, "bad path").into_response();
    };
    let mut path = shared.site_dir.join(&rel);
    if path.is_dir() {
        if !uri.path().ends_with('/') {
            return Redirect::permanent(&format!("{}/", uri.path())).into_response();
        }
        path = path.join("index.html");
    }
    let read = if unpublished {
        Err(())
    } else {
        tokio::fs::read(&path).await.map_err(|_| ())
    };
    match read {
        Ok(bytes) => {
            let content_type = content_type(&path);
            if content_type.starts_with("text/html") {
                html_response(
                    StatusCode::OK,
                    String::from_utf8_lossy(&bytes).into_owned(),
                    version,
                )
            } else {
                let mut response = Response::new(Body::from(bytes));
                response
                    .headers_mut()
                    .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
                response
                    .headers_mut()
                    .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
                response
            }
        }
        Err(_) => {
            let not_found = tokio::fs::read_to_string(shared.site_dir.join("404.html"))
                .await
                .unwrap_or_else(|_| "<h1>404</h1>".into());
            html_response(StatusCode::NOT_FOUND, not_found, version)
        }
    }
}

fn wants_html(path: &str) -> bool {
    path.ends_with('/')
        || path.ends_with(".html")
        || !path.rsplit('/').next().unwrap_or("").contains('.')
}

/// Adds the live-reload script just before `</body>` (or at the end when there is none).
fn inject_reload(mut html: String, version: u64) -> String {
    let snippet = reload_snippet(version);
    match html.rfind("</body>") {
        Some(pos) => html.insert_str(pos, &snippet),
        None => html.push_str(&snippet),
    }
    html
}

fn html_response(status: StatusCode, html: String, version: u64) -> Response {
    let html = inject_reload(html, version);
    let mut response = (status, html).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// The page shown instead of the site while the last build failed, in the editor's language.
fn error_page(error: &str) -> String {
    let lang = match Lang::current() {
        Lang::Nl => "nl",
        Lang::En => "en",
    };
    format!(
        "<!DOCTYPE html><html lang=\"{lang}\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{}</title><link rel=\"stylesheet\" href=\"{ERROR_STYLE_PATH}\"></head><body><h1>{}</h1><p>{}</p><pre>{}</pre></body></html>",
        escape_attr(site::OVERLAY_TITLE.text()),
        escape_attr(site::OVERLAY_HEADING.text()),
        escape_attr(site::OVERLAY_HELP.text()),
        escape_attr(error)
    )
}

/// Maps a URL path to a relative file path, refusing anything that climbs out of the site.
fn safe_relative(path: &str) -> Option<PathBuf> {
    let mut rel = PathBuf::new();
    for part in path.split('/') {
        let decoded = percent_decode(part)?;
        match decoded.as_str() {
            "" | "." => {}
            ".." => return None,
            part if part.contains('\\') || part.contains('\0') => return None,
            part => rel.push(part),
        }
    }
    Some(rel)
}

fn percent_decode(text: &str) -> Option<String> {
    let mut out = Vec::with_capacity(text.len());
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = text.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "yml" | "yaml" => "text/yaml; charset=utf-8",
        "js" => "text/javascript; charset=utf-8",
        "json" => "application/json",
        "svg" => "image/svg+xml",
        "xml" => "application/xml",
        "txt" => "text/plain; charset=utf-8",
        "ics" => "text/calendar; charset=utf-8",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "webp" => "image/webp",
        "ico" => "image/x-icon",
        "pdf" => "application/pdf",
        "woff2" => "font/woff2",
        "webmanifest" => "application/manifest+json",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_paths_that_climb_out() {
        assert_eq!(safe_relative("/a/b/").unwrap(), PathBuf::from("a/b"));
        assert!(safe_relative("/a/../../etc/passwd").is_none());
        assert!(safe_relative("/a/%2e%2e/x").is_none());
        assert_eq!(
            safe_relative("/bijeenkomsten/zwolle/qr.svg").unwrap(),
            PathBuf::from("bijeenkomsten/zwolle/qr.svg")
        );
    }

    #[test]
    fn injects_the_reload_snippet_before_body_end() {
        let html = inject_reload("<html><body><p>x</p></body></html>".into(), 3);
        let snippet = reload_snippet(3);
        assert_eq!(html, format!("<html><body><p>x</p>{snippet}</body></html>"));
        assert!(snippet.contains("/__opp/reload.js?v=3"), "{snippet}");
        assert!(
            !snippet.contains("<script>"),
            "nothing inline: the CSP allows none"
        );
        assert!(inject_reload("<p>fragment</p>".into(), 1).ends_with("</script>"));
    }
}
