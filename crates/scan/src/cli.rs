//! `agora scan PATH... [--json]`.
//!
//! Exit codes (PRODUCT.md): 0 every file safe, 1 any unsafe, 2 any unknown (none unsafe),
//! 3 usage or I/O error (takes precedence: a file that could not be read was not scanned).
//! Directories are walked recursively in name order; symbolic links are not followed and are
//! reported as `unknown` (a repository must not contain them).

use crate::{Error, Report, Verdict, scan_path};
use serde::Serialize;
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Serialize)]
struct FileResult<'a> {
    path: String,
    #[serde(flatten)]
    report: Option<&'a Report>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

/// Scan `paths`, write a human or JSON report to `out`, return the exit code.
pub fn run(paths: &[PathBuf], json: bool, out: &mut dyn Write) -> u8 {
    if paths.is_empty() {
        let _ = writeln!(
            out,
            "{}",
            Error::Usage("agora scan PATH... [--json]".into())
        );
        return 3;
    }
    let mut results: Vec<(String, Result<Report, Error>)> = Vec::new();
    for p in paths {
        collect(p, &mut results, 0);
    }
    let mut worst = Verdict::Safe;
    let mut io_error = false;
    for (_, r) in &results {
        match r {
            Ok(rep) => worst = worst.max(rep.verdict),
            Err(_) => io_error = true,
        }
    }
    let written = if json {
        write_json(&results, out)
    } else {
        write_text(&results, out)
    };
    if written.is_err() || io_error {
        return 3;
    }
    match worst {
        Verdict::Safe => 0,
        Verdict::Unsafe => 1,
        Verdict::Unknown => 2,
    }
}

fn collect(p: &Path, out: &mut Vec<(String, Result<Report, Error>)>, depth: u32) {
    let name = p.display().to_string();
    let meta = match std::fs::symlink_metadata(p) {
        Ok(m) => m,
        Err(e) => return out.push((name, Err(Error::Io(e)))),
    };
    if meta.file_type().is_symlink() {
        return out.push((name, Ok(crate::symlink_report())));
    }
    if !meta.is_dir() {
        return out.push((name, scan_path(p)));
    }
    if depth > 64 {
        return out.push((
            name,
            Err(Error::NotAFile("directory nesting deeper than 64".into())),
        ));
    }
    let mut entries: Vec<PathBuf> = match std::fs::read_dir(p) {
        Ok(rd) => rd.filter_map(|e| e.ok().map(|e| e.path())).collect(),
        Err(e) => return out.push((name, Err(Error::Io(e)))),
    };
    entries.sort();
    for e in entries {
        collect(&e, out, depth + 1);
    }
}

fn write_json(
    results: &[(String, Result<Report, Error>)],
    out: &mut dyn Write,
) -> Result<(), Error> {
    let files: Vec<FileResult> = results
        .iter()
        .map(|(p, r)| FileResult {
            path: p.clone(),
            report: r.as_ref().ok(),
            error: r.as_ref().err().map(|e| e.to_string()),
        })
        .collect();
    let v = serde_json::json!({ "ruleset_version": crate::RULESET_VERSION, "files": files });
    serde_json::to_writer_pretty(&mut *out, &v).map_err(|e| Error::Output(e.to_string()))?;
    writeln!(out).map_err(|e| Error::Output(e.to_string()))
}

fn write_text(
    results: &[(String, Result<Report, Error>)],
    out: &mut dyn Write,
) -> Result<(), Error> {
    let e = |e: std::io::Error| Error::Output(e.to_string());
    for (p, r) in results {
        match r {
            Ok(rep) => {
                writeln!(
                    out,
                    "{}: {} ({}, {} bytes)",
                    p,
                    rep.verdict.as_str(),
                    rep.format,
                    rep.size
                )
                .map_err(e)?;
                for f in &rep.findings {
                    let loc = if f.path.is_empty() {
                        format!("@{}", f.offset)
                    } else {
                        format!("{}@{}", f.path, f.offset)
                    };
                    let n = if f.count > 1 {
                        format!(" (x{})", f.count)
                    } else {
                        String::new()
                    };
                    writeln!(
                        out,
                        "  {} {} {}: {}{}",
                        f.verdict.as_str(),
                        f.rule,
                        loc,
                        f.reason,
                        n
                    )
                    .map_err(e)?;
                }
            }
            Err(err) => writeln!(out, "{p}: error: {err}").map_err(e)?,
        }
    }
    writeln!(out, "ruleset {}", crate::RULESET_VERSION).map_err(e)
}
