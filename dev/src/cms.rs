//! `cargo dev --cms`: the editing screen at `/admin/` with a local backend. decap-server (from
//! `browser/node_modules`, installed by `npm ci` as the browser checks are) writes saved entries straight
//! into `content/`, where the preview's rebuild picks them up; Decap's bundle is served from the same
//! packages at `/admin/decap/`.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use axum::Router;
use axum::extract::{Path as UrlPath, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

/// Where `npm ci` puts the packages, below the site root.
const PACKAGES: &str = "browser/node_modules";
const SERVER: &str = "decap-server/dist/index.js";
const BUNDLE_DIR: &str = "decap-cms/dist";

/// The running decap-server; stopped when dropped.
pub struct LocalBackend {
    child: Child,
    pub api_url: String,
}

impl Drop for LocalBackend {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Where the packages are (below the site root, else below the working folder, as for a copy of the
/// site elsewhere), or what to run to get them.
pub fn packages(root: &Path) -> anyhow::Result<PathBuf> {
    let bundle = format!("{BUNDLE_DIR}/decap-cms.js");
    let installed = |dir: &Path| {
        [SERVER, bundle.as_str()]
            .iter()
            .all(|f| dir.join(f).is_file())
    };
    [root.join(PACKAGES), PathBuf::from(PACKAGES)]
        .into_iter()
        .find(|dir| installed(dir))
        .ok_or_else(|| {
            anyhow::anyhow!(
                "the editing screen needs Decap CMS and decap-server, which are not installed (no {} in {}): run `npm ci --prefix browser` once, then `cargo dev --cms` again",
                bundle,
                root.join(PACKAGES).display()
            )
        })
}

/// Starts decap-server on 127.0.0.1:`port`, writing below `root` (MODE=fs: files, no git commits).
pub fn start(root: &Path, packages: &Path, port: u16) -> anyhow::Result<LocalBackend> {
    let root = std::fs::canonicalize(root)?;
    let child = Command::new("node")
        .arg(packages.join(SERVER))
        .env("PORT", port.to_string())
        .env("BIND_HOST", "127.0.0.1")
        .env("MODE", "fs")
        .env("GIT_REPO_DIRECTORY", &root)
        .env("LOG_LEVEL", "warn")
        .stdin(Stdio::null())
        .spawn()
        .map_err(|err| {
            anyhow::anyhow!(
                "decap-server could not start (is Node.js installed? `node --version`): {err}"
            )
        })?;
    Ok(LocalBackend {
        child,
        api_url: format!("http://127.0.0.1:{port}/api/v1"),
    })
}

/// `GET /admin/decap/<file>`: Decap's bundle and its chunks, from the installed package.
pub fn routes(packages: &Path) -> Router {
    Router::new()
        .route("/admin/decap/{file}", get(bundle_file))
        .with_state(packages.join(BUNDLE_DIR))
}

async fn bundle_file(State(dir): State<PathBuf>, UrlPath(file): UrlPath<String>) -> Response {
    let safe = !file.starts_with('.')
        && file
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b));
    let kind = if file.ends_with(".js") {
        "text/javascript; charset=utf-8"
    } else if file.ends_with(".wasm") {
        "application/wasm"
    } else {
        ""
    };
    if !safe || kind.is_empty() {
        return StatusCode::NOT_FOUND.into_response();
    }
    match tokio::fs::read(dir.join(&file)).await {
        Ok(bytes) => ([(header::CONTENT_TYPE, kind)], bytes).into_response(),
        Err(_) => StatusCode::NOT_FOUND.into_response(),
    }
}
