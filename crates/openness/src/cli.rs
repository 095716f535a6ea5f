//! Entry points for `agora assess DIR [--json]` and `agora bom DIR --format cyclonedx|spdx`.
//!
//! Exit codes: 0 when the report or BOM was written, 3 on a usage or I/O error (the message
//! goes to standard error).

use std::io::Write;
use std::path::Path;

use crate::bom::{self, BomFormat, BomOptions};
use crate::error::Error;
use crate::grade::{FreedomState, Severity};
use crate::licence::LicenceCatalogue;
use crate::report::Report;

/// Exit code: success.
pub const EXIT_OK: u8 = 0;
/// Exit code: usage or I/O error.
pub const EXIT_ERROR: u8 = 3;

fn fail(e: &Error) -> u8 {
    eprintln!("agora: {e}");
    EXIT_ERROR
}

/// `agora assess DIR [--json]`.
pub fn assess(dir: &Path, json: bool, out: &mut dyn Write) -> u8 {
    let snap = match crate::fs::snapshot_dir(dir) {
        Ok(s) => s,
        Err(e) => return fail(&e),
    };
    let cat = LicenceCatalogue::builtin();
    let report = crate::assess(&snap, &cat);
    let written = if json {
        serde_json::to_string_pretty(&report)
            .map_err(Error::from)
            .and_then(|s| writeln!(out, "{s}").map_err(Error::Output))
    } else {
        write_text(&report, out).map_err(Error::Output)
    };
    match written {
        Ok(()) => EXIT_OK,
        Err(e) => fail(&e),
    }
}

/// `agora bom DIR --format cyclonedx|spdx`.
pub fn bom(dir: &Path, format: BomFormat, out: &mut dyn Write) -> u8 {
    let snap = match crate::fs::snapshot_dir(dir) {
        Ok(s) => s,
        Err(e) => return fail(&e),
    };
    let cat = LicenceCatalogue::builtin();
    let report = crate::assess(&snap, &cat);
    let opts = BomOptions::default();
    let v = match format {
        BomFormat::CycloneDx => bom::cyclonedx(&snap, &report, &opts),
        BomFormat::Spdx => bom::spdx3(&snap, &report, &opts),
    };
    match serde_json::to_string_pretty(&v)
        .map_err(Error::from)
        .and_then(|s| writeln!(out, "{s}").map_err(Error::Output))
    {
        Ok(()) => EXIT_OK,
        Err(e) => fail(&e),
    }
}

/// Render a report as text for people.
pub fn write_text(r: &Report, out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(out, "{} ({:?})", r.repo_id, r.repo_type)?;
    let g = &r.grades;
    writeln!(
        out,
        "  bucket:   {} - {}",
        g.bucket.bucket.label(),
        g.bucket.reason
    )?;
    match &r.licence.effective {
        Some(l) => writeln!(
            out,
            "  licence:  {} ({}) - {}",
            l.key, l.name, r.licence.reason
        )?,
        None => writeln!(out, "  licence:  none - {}", r.licence.reason)?,
    }
    if let Some(o) = &g.osaid {
        if o.pass {
            writeln!(
                out,
                "  OSAID 1.0: pass{}",
                if o.relies_on_links {
                    " (relies on linked, unverified evidence)"
                } else {
                    ""
                }
            )?;
        } else {
            writeln!(out, "  OSAID 1.0: fail")?;
            for req in o.unmet() {
                writeln!(out, "    - {}: {}", req.title, req.reason)?;
            }
        }
    }
    if let Some(m) = &g.mof {
        writeln!(
            out,
            "  MOF:      {} (III {:.0}%, II {:.0}%, I {:.0}%)",
            m.label, m.progress.class_iii, m.progress.class_ii, m.progress.class_i
        )?;
        for u in m.unmet.iter().take(8) {
            writeln!(out, "    - {u}")?;
        }
    }
    writeln!(out, "  freedoms:")?;
    for f in &g.freedoms {
        let s = match f.state {
            FreedomState::Allowed => "allowed",
            FreedomState::Restricted => "restricted",
            FreedomState::Unknown => "unknown",
        };
        writeln!(
            out,
            "    {:<12} {:<10} {}",
            format!("{:?}", f.freedom).to_lowercase(),
            s,
            f.reason
        )?;
    }
    if !g.flags.is_empty() {
        writeln!(out, "  flags:")?;
        for f in &g.flags {
            let s = match f.severity {
                Severity::Info => "info",
                Severity::Warning => "warning",
                Severity::Error => "error",
            };
            writeln!(out, "    [{s}] {}: {}", f.code, f.message)?;
        }
    }
    if !r.problems.is_empty() {
        writeln!(out, "  could not read:")?;
        for p in &r.problems {
            writeln!(out, "    {}: {}", p.source, p.message)?;
        }
    }
    Ok(())
}
