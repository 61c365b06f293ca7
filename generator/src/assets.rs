//! Static files from `theme/static/`: a content hash in the file name so the CDN can cache them for a year.

use sha2::{Digest, Sha256};
use std::collections::HashMap;

use crate::error::{Problem, io_problem};
use crate::load::Found;
use opp_model::messages::site;

pub struct Asset {
    pub rel: String,
    pub hashed_rel: String,
    pub bytes: Vec<u8>,
}

/// Reads and hashes every static file. Returns the files and the map `rel -> /hashed/url` for templates.
pub fn hash_all(files: &[Found]) -> Result<(Vec<Asset>, HashMap<String, String>), Problem> {
    let mut assets = Vec::with_capacity(files.len());
    let mut urls = HashMap::with_capacity(files.len());
    for file in files {
        let bytes = std::fs::read(&file.path)
            .map_err(|err| io_problem(&file.path, site::ACTION_READ_STATIC, &err))?;
        let hashed_rel = hashed_name(&file.rel, &bytes);
        urls.insert(file.rel.clone(), format!("/{hashed_rel}"));
        assets.push(Asset {
            rel: file.rel.clone(),
            hashed_rel,
            bytes,
        });
    }
    Ok((assets, urls))
}

/// `css/site.css` -> `css/site.1a2b3c4d.css` (first 8 hex digits of the SHA-256 of the content).
pub fn hashed_name(rel: &str, bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let hash: String = digest.iter().take(4).map(|b| format!("{b:02x}")).collect();
    let (dir, name) = rel.rsplit_once('/').map_or(("", rel), |(d, n)| (d, n));
    let hashed = match name.split_once('.') {
        Some((stem, ext)) if !stem.is_empty() => format!("{stem}.{hash}.{ext}"),
        _ => format!("{name}.{hash}"),
    };
    if dir.is_empty() {
        hashed
    } else {
        format!("{dir}/{hashed}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_goes_before_the_extension() {
        let name = hashed_name("css/site.css", b"body{}");
        assert!(
            name.starts_with("css/site.")
                && name.ends_with(".css")
                && name.len() == "css/site.12345678.css".len()
        );
        assert_eq!(name, hashed_name("css/site.css", b"body{}"));
        assert_ne!(name, hashed_name("css/site.css", b"body{ }"));
        assert!(hashed_name("favicon", b"x").starts_with("favicon."));
    }
}
