//! The editing screen's own files (`admin/` of a build, and Decap's bundle at `decap/`) at the root of the
//! editing origin, with the headers CloudFront's `EditingScreenHeadersPolicy` adds ([`opp_model::cdn`]):
//! for `cargo dev` and the browser checks, which so run the screen as production serves it. In AWS the
//! files are in their own bucket behind the editing screen's distribution, and this module is unused.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use opp_model::cdn::HeaderPolicy;

/// Where the screen's files are.
#[derive(Debug, Clone)]
pub struct ScreenFiles {
    /// The build's `admin/` folder (`index.html`, `config.yml`).
    pub dir: PathBuf,
    /// Decap's bundle (`decap-cms/dist` of the npm package), served at `/decap/`.
    pub bundle_dir: PathBuf,
    /// The screen's CSP: production's, with the local backend's or the GitHub stand-in's origin added.
    pub csp: String,
}

/// Below this path the bundle is served (`generator::cms::BUNDLE_PATH` names the file in it).
const BUNDLE_PREFIX: &str = "/decap/";

/// The screen's files; meant to be merged with [`crate::http::router`] (`/oauth/*`) or served alone.
pub fn screen_router(files: ScreenFiles) -> Router {
    let files = Arc::new(files);
    Router::new()
        .fallback(serve_file)
        .layer(middleware::from_fn_with_state(files.clone(), cdn_headers))
        .with_state(files)
}

async fn serve_file(State(files): State<Arc<ScreenFiles>>, uri: Uri) -> Response {
    let path = uri.path();
    let (dir, rel) = match path.strip_prefix(BUNDLE_PREFIX) {
        Some(rel) => (&files.bundle_dir, rel),
        None => (&files.dir, path.trim_start_matches('/')),
    };
    let rel = if rel.is_empty() { "index.html" } else { rel };
    let Some(file) = safe_join(dir, rel) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    match tokio::fs::read(&file).await {
        Ok(bytes) => ([(header::CONTENT_TYPE, content_type(rel))], bytes).into_response(),
        Err(_) => (StatusCode::NOT_FOUND, "Niet gevonden").into_response(),
    }
}

/// `rel` below `dir`, when it has no `..`, hidden or empty parts.
fn safe_join(dir: &Path, rel: &str) -> Option<PathBuf> {
    let parts: Vec<&str> = rel.split('/').collect();
    let safe = parts.iter().all(|part| {
        !part.is_empty()
            && !part.starts_with('.')
            && part
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
    });
    safe.then(|| {
        parts
            .iter()
            .fold(dir.to_path_buf(), |path, part| path.join(part))
    })
}

fn content_type(rel: &str) -> &'static str {
    match rel.rsplit('.').next().unwrap_or_default() {
        "html" => "text/html; charset=utf-8",
        "yml" | "yaml" => "text/yaml; charset=utf-8",
        "js" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "wasm" => "application/wasm",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "json" | "map" => "application/json",
        _ => "application/octet-stream",
    }
}

/// CloudFront's headers policy of the editing screen, as [`opp_model::cdn`] holds it, with this run's CSP.
async fn cdn_headers(
    State(files): State<Arc<ScreenFiles>>,
    request: Request,
    next: Next,
) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    for rule in HeaderPolicy::EditingScreen.headers() {
        let value = if rule.name == "content-security-policy" {
            HeaderValue::from_str(&files.csp).ok()
        } else {
            Some(HeaderValue::from_static(rule.value))
        };
        let Some(value) = value else { continue };
        if rule.replaces_origin || !headers.contains_key(rule.name) {
            headers.insert(rule.name, value);
        }
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_paths_below_the_folder() {
        let dir = Path::new("/srv/admin");
        assert_eq!(safe_join(dir, "config.yml"), Some(dir.join("config.yml")));
        assert_eq!(safe_join(dir, "../secret"), None);
        assert_eq!(safe_join(dir, "a//b"), None);
        assert_eq!(safe_join(dir, ".env"), None);
        assert_eq!(
            content_type("decap-cms.js"),
            "text/javascript; charset=utf-8"
        );
    }
}
