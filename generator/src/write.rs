//! Writing the site: into a temporary folder beside the target, swapped in only when the whole build succeeded;
//! for `serve`, single files of the live site replaced in place.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::error::{Problem, io_problem};
use opp_model::messages::site;
use opp_model::text;

/// Where a build's files go: a staging folder on disk, or nowhere (`check`). Either way the names are recorded.
pub struct Output {
    staging: Option<Staging>,
    written: Mutex<BTreeSet<String>>,
}

struct Staging {
    target: PathBuf,
    temp: PathBuf,
}

impl Output {
    /// Prepares a fresh staging folder next to `target` (same file system, so the final rename is cheap).
    pub fn staged(target: &Path) -> Result<Output, Problem> {
        let name = target
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("public");
        let parent = match target.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
            _ => PathBuf::from("."),
        };
        std::fs::create_dir_all(&parent)
            .map_err(|err| io_problem(&parent, site::ACTION_CREATE_PARENT, &err))?;
        let temp = parent.join(format!(".{name}.building-{}", std::process::id()));
        if temp.exists() {
            std::fs::remove_dir_all(&temp)
                .map_err(|err| io_problem(&temp, site::ACTION_REMOVE_STAGING, &err))?;
        }
        std::fs::create_dir(&temp)
            .map_err(|err| io_problem(&temp, site::ACTION_CREATE_STAGING, &err))?;
        Ok(Output {
            staging: Some(Staging {
                target: target.to_path_buf(),
                temp,
            }),
            written: Mutex::default(),
        })
    }

    /// Records names only; nothing touches the disk.
    pub fn discard() -> Output {
        Output {
            staging: None,
            written: Mutex::default(),
        }
    }

    pub fn write(&self, rel: &str, bytes: &[u8]) -> Result<(), Problem> {
        if let Some(staging) = &self.staging {
            let path = staging.temp.join(rel);
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir)
                    .map_err(|err| io_problem(dir, site::ACTION_CREATE_OUTPUT_FOLDER, &err))?;
            }
            std::fs::write(&path, bytes)
                .map_err(|err| io_problem(&path, site::ACTION_WRITE_OUTPUT, &err))?;
        }
        let mut written = self
            .written
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if !written.insert(rel.to_string()) {
            return Err(Problem::new(text!(site::TWO_WRITERS, path = rel))
                .with_hint(site::TWO_WRITERS_HINT));
        }
        Ok(())
    }

    pub fn written_count(&self) -> usize {
        self.written
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .len()
    }

    pub fn written(&self) -> BTreeSet<String> {
        self.written
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    /// Swaps the staging folder in for the target. The old site is removed only after the new one is in place.
    pub fn commit(mut self) -> Result<(), Problem> {
        let Some(staging) = self.staging.take() else {
            return Ok(());
        };
        let old = staging.temp.with_file_name(format!(
            ".{}.old-{}",
            staging
                .target
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or("public"),
            std::process::id()
        ));
        let had_old = staging.target.exists();
        if had_old {
            if old.exists() {
                let _ = std::fs::remove_dir_all(&old);
            }
            std::fs::rename(&staging.target, &old)
                .map_err(|err| io_problem(&staging.target, site::ACTION_MOVE_PREVIOUS, &err))?;
        }
        if let Err(err) = std::fs::rename(&staging.temp, &staging.target) {
            if had_old {
                let _ = std::fs::rename(&old, &staging.target);
            }
            let _ = std::fs::remove_dir_all(&staging.temp);
            return Err(io_problem(&staging.target, site::ACTION_PLACE_NEW, &err));
        }
        if had_old {
            std::fs::remove_dir_all(&old)
                .map_err(|err| io_problem(&old, site::ACTION_REMOVE_PREVIOUS, &err))?;
        }
        Ok(())
    }
}

/// Replaces one file of a live site (the folder `serve` serves): written beside it, then renamed over it, so a
/// request never sees half a file.
pub fn replace_file(root: &Path, rel: &str, bytes: &[u8]) -> Result<(), Problem> {
    let path = root.join(rel);
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("file")
        .to_string();
    let temp = path.with_file_name(format!(".{name}.writing-{}", std::process::id()));
    std::fs::write(&temp, bytes)
        .map_err(|err| io_problem(&temp, site::ACTION_WRITE_OUTPUT, &err))?;
    std::fs::rename(&temp, &path).map_err(|err| {
        let _ = std::fs::remove_file(&temp);
        io_problem(&path, site::ACTION_REPLACE_OUTPUT, &err)
    })
}

impl Drop for Output {
    /// A build that did not commit leaves no half-written folder behind.
    fn drop(&mut self) {
        if let Some(staging) = &self.staging {
            let _ = std::fs::remove_dir_all(&staging.temp);
        }
    }
}
