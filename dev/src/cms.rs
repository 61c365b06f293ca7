//! `cargo dev --cms`: the editing screen on its own origin (`http://redactie.localhost:8084/`) with a local
//! backend. decap-server (from `browser/node_modules`, installed by `npm ci` as the browser checks are)
//! writes saved entries straight into `content/`, where the preview's rebuild picks them up; Decap's
//! bundle is served from the same packages at `/decap/`.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

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
/// The editing screen's origin on `editing_port`: decap-server answers requests from it only (its CORS
/// allows localhost and 127.0.0.1 unless told otherwise).
pub fn editing_origin(editing_port: u16) -> String {
    format!(
        "http://{}:{editing_port}",
        opp_site::cms::LOCAL_EDITING_HOST
    )
}

pub fn start(
    root: &Path,
    packages: &Path,
    port: u16,
    editing_port: u16,
) -> anyhow::Result<LocalBackend> {
    let root = std::fs::canonicalize(root)?;
    let child = Command::new("node")
        .arg(packages.join(SERVER))
        .env("PORT", port.to_string())
        .env("ORIGIN", editing_origin(editing_port))
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

/// Serves the editing screen on its own origin, `http://redactie.localhost:<port>/` (browsers resolve
/// `*.localhost` to loopback), as production serves it from its own bucket: the files of the served site's
/// `admin/`, Decap's bundle from the installed package, CloudFront's headers with the local backend's
/// origin added to the CSP.
pub async fn serve_editing_screen(
    served_site: PathBuf,
    packages: &Path,
    backend: &LocalBackend,
    port: u16,
) -> anyhow::Result<String> {
    let backend_origin = backend
        .api_url
        .split('/')
        .take(3)
        .collect::<Vec<_>>()
        .join("/");
    let app = opp_editors::local::screen_router(opp_editors::local::ScreenFiles {
        dir: served_site.join(opp_model::cdn::EDITING_SCREEN_DIR),
        bundle_dir: packages.join(BUNDLE_DIR),
        csp: opp_model::cdn::editing_screen_csp(&[&backend_origin]),
    });
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .map_err(|err| anyhow::anyhow!("the editing screen's port {port} is taken ({err}): choose another with --editing-port"))?;
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok(format!("{}/", editing_origin(port)))
}
