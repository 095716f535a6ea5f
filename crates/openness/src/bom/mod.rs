//! AI bills of materials: CycloneDX 1.6 (ML-BOM) and SPDX 3.0.1 (AI and Dataset profiles).
//!
//! Both are built from a snapshot and its report, with no clock: the timestamp comes from
//! [`BomOptions`] (the hub passes the commit time) and identifiers are derived from the
//! repository id and revision, so the same revision always gives the same BOM.

mod cdx;
mod spdx;

use std::str::FromStr;

use sha2::{Digest, Sha256};

use crate::error::Error;
use crate::licence::Licence;

pub use cdx::cyclonedx;
pub use spdx::spdx3;

/// A BOM format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BomFormat {
    /// CycloneDX 1.6 JSON.
    CycloneDx,
    /// SPDX 3.0.1 JSON-LD.
    Spdx,
}

impl FromStr for BomFormat {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        match s.trim().to_ascii_lowercase().as_str() {
            "cyclonedx" | "cdx" | "cyclonedx-json" => Ok(BomFormat::CycloneDx),
            "spdx" | "spdx3" | "spdx-json" => Ok(BomFormat::Spdx),
            other => Err(Error::UnknownFormat(other.to_string())),
        }
    }
}

/// Options for BOM generation.
#[derive(Clone, Debug)]
pub struct BomOptions {
    /// Creation time, RFC 3339. Defaults to the snapshot's `created`, else the epoch.
    pub timestamp: Option<String>,
    /// Base URL of the hub (e.g. `https://agora.example.org`), for download locations.
    pub base_url: Option<String>,
    /// Version of the generating tool.
    pub tool_version: String,
}

impl Default for BomOptions {
    fn default() -> Self {
        Self {
            timestamp: None,
            base_url: None,
            tool_version: env!("CARGO_PKG_VERSION").to_string(),
        }
    }
}

pub(crate) const EPOCH: &str = "1970-01-01T00:00:00Z";

/// A deterministic UUID (version 8 layout) from some text.
pub(crate) fn uuid_from(text: &str) -> String {
    let h = Sha256::digest(text.as_bytes());
    let mut b = [0u8; 16];
    b.copy_from_slice(&h[..16]);
    b[6] = (b[6] & 0x0f) | 0x80;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// A `pkg:huggingface` package URL for a model.
pub(crate) fn purl(repo_id: &str, revision: Option<&str>) -> String {
    let enc = |s: &str| -> String {
        s.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                    c.to_string()
                } else {
                    format!("%{:02X}", c as u32 & 0xff)
                }
            })
            .collect()
    };
    let (ns, name) = repo_id.split_once('/').unwrap_or(("", repo_id));
    let mut p = if ns.is_empty() {
        format!("pkg:huggingface/{}", enc(name))
    } else {
        format!("pkg:huggingface/{}/{}", enc(ns), enc(name))
    };
    if let Some(r) = revision {
        p.push('@');
        p.push_str(&enc(r));
    }
    p
}

/// A licence as a CycloneDX `licenses` entry or an SPDX expression.
pub(crate) fn licence_expression(l: &Licence) -> String {
    l.spdx_expression()
}
