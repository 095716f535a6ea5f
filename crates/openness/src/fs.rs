//! Building a [`RepoSnapshot`] from a local directory (a repository checkout), for the
//! command line. The hub builds snapshots from its own store instead.

use std::io::Read;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::snapshot::{FileEntry, RepoSnapshot, RepoType};

/// At most this many files are listed.
pub const MAX_FILES: usize = 100_000;
/// Directory depth limit.
pub const MAX_DEPTH: usize = 32;
/// Text files up to this size are read (LICENSE, NOTICE, Markdown, configs).
pub const MAX_TEXT: u64 = 512 * 1024;
/// The card is read up to this size.
pub const MAX_README: u64 = 4 * 1024 * 1024;

/// Whether the assessment reads this file's text (licences, notices, Markdown, configs).
pub fn wants_text(rel: &str) -> bool {
    let name = rel.rsplit('/').next().unwrap_or(rel);
    let upper = name.to_ascii_uppercase();
    let lower = name.to_ascii_lowercase();
    upper.starts_with("LICENSE")
        || upper.starts_with("LICENCE")
        || upper.starts_with("COPYING")
        || upper.starts_with("NOTICE")
        || upper.starts_with("USE_POLICY")
        || lower.ends_with(".md")
        || matches!(
            lower.as_str(),
            "config.json" | "mof.json" | "mof.yml" | "mof.yaml"
        )
}

fn io(path: &Path, source: std::io::Error) -> Error {
    Error::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn read_limited(path: &Path, limit: u64) -> Result<Option<String>> {
    let f = std::fs::File::open(path).map_err(|e| io(path, e))?;
    let mut buf = Vec::new();
    f.take(limit)
        .read_to_end(&mut buf)
        .map_err(|e| io(path, e))?;
    Ok(String::from_utf8(buf).ok())
}

/// Parse a Git LFS pointer file: `(sha256, size)`.
pub fn lfs_pointer(text: &str) -> Option<(String, u64)> {
    if !text.starts_with("version https://git-lfs.github.com/spec/") {
        return None;
    }
    let mut oid = None;
    let mut size = None;
    for line in text.lines() {
        if let Some(o) = line.strip_prefix("oid sha256:") {
            oid = Some(o.trim().to_string());
        } else if let Some(s) = line.strip_prefix("size ") {
            size = s.trim().parse().ok();
        }
    }
    Some((oid?, size?))
}

/// Build a snapshot of the directory `dir`. The repository id is the directory's name.
pub fn snapshot_dir(dir: &Path) -> Result<RepoSnapshot> {
    let meta = std::fs::metadata(dir).map_err(|e| io(dir, e))?;
    if !meta.is_dir() {
        return Err(Error::NotADirectory(dir.to_path_buf()));
    }
    let mut files = Vec::new();
    let mut stack: Vec<(PathBuf, String, usize)> = vec![(dir.to_path_buf(), String::new(), 0)];
    while let Some((path, rel, depth)) = stack.pop() {
        let mut entries: Vec<_> = std::fs::read_dir(&path)
            .map_err(|e| io(&path, e))?
            .filter_map(|e| e.ok())
            .collect();
        entries.sort_by_key(|e| e.file_name());
        for e in entries {
            let name = e.file_name().to_string_lossy().into_owned();
            if name == ".git" || name == ".cache" {
                continue;
            }
            let child_rel = if rel.is_empty() {
                name.clone()
            } else {
                format!("{rel}/{name}")
            };
            let p = e.path();
            let ft = match e.file_type() {
                Ok(ft) => ft,
                Err(_) => continue,
            };
            if ft.is_dir() {
                if depth < MAX_DEPTH {
                    stack.push((p, child_rel, depth + 1));
                }
                continue;
            }
            // Files and symlinks to files (the Hub cache links to blobs); never follow
            // symlinked directories.
            let Ok(m) = std::fs::metadata(&p) else {
                continue;
            };
            if !m.is_file() {
                continue;
            }
            if files.len() >= MAX_FILES {
                break;
            }
            let mut entry = FileEntry {
                path: child_rel.clone(),
                size: m.len(),
                text: None,
                sha256: None,
            };
            let is_readme = child_rel.eq_ignore_ascii_case("README.md");
            if m.len() < 1024 {
                if let Some(t) = read_limited(&p, 1024)? {
                    if let Some((oid, size)) = lfs_pointer(&t) {
                        entry.sha256 = Some(oid);
                        entry.size = size;
                    } else if wants_text(&child_rel) {
                        entry.text = Some(t);
                    }
                }
            } else if is_readme {
                entry.text = read_limited(&p, MAX_README)?;
            } else if wants_text(&child_rel) && m.len() <= MAX_TEXT {
                entry.text = read_limited(&p, MAX_TEXT)?;
            }
            files.push(entry);
        }
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    let repo_id = dir
        .canonicalize()
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "local".into());
    let repo_type = if files.iter().any(|f| {
        f.path.eq_ignore_ascii_case("README.md")
            && f.text.as_deref().is_some_and(|t| {
                let (fm, _, _) = crate::card::split_front_matter(t);
                fm.is_some_and(|fm| {
                    fm.contains("task_categories:") || fm.contains("size_categories:")
                })
            })
    }) && !files
        .iter()
        .any(|f| crate::evidence::weight_format(&f.path).is_some())
    {
        RepoType::Dataset
    } else {
        RepoType::Model
    };
    Ok(RepoSnapshot {
        repo_id,
        repo_type,
        revision: None,
        created: None,
        files,
        readme: None,
        linked: Vec::new(),
    })
}
