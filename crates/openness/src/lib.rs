//! # agora-openness
//!
//! Openness and licence engine for Agora: a pure library that grades a repository revision
//! from its files and card, with reasons.
//!
//! * [`licence`]: the licence catalogue (SPDX list, Hub ids, AI licences with typed clauses,
//!   recognition of LICENSE texts).
//! * [`card`] and [`evidence`]: what the card and the files say, each finding with its source.
//! * [`grade`]: OSAID 1.0, the Model Openness Framework class, the seven freedoms, the plain
//!   bucket and open-washing flags.
//! * [`lineage`]: derivatives checked against their bases.
//! * [`bom`]: CycloneDX 1.6 and SPDX 3.0.1 AI bills of materials.
//! * [`fs`] and [`cli`]: the only I/O, for `agora assess` and `agora bom`.
//!
//! ```
//! use agora_openness::{LicenceCatalogue, RepoSnapshot, assess};
//! let cat = LicenceCatalogue::builtin();
//! let snap = RepoSnapshot { repo_id: "me/empty".into(), ..Default::default() };
//! let report = assess(&snap, &cat);
//! assert_eq!(report.grades.bucket.bucket, agora_openness::grade::Bucket::Closed);
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod assess;
pub mod bom;
pub mod card;
pub mod cli;
pub mod error;
pub mod evidence;
pub mod fs;
pub mod grade;
pub mod licence;
pub mod lineage;
pub mod report;
pub mod snapshot;
pub mod yaml;

pub use assess::assess;

/// Version of the grading rules and catalogue: bump it whenever the same repository could be
/// graded differently. The hub regrades what was graded under another version.
pub const RULES_VERSION: &str = "agora-openness-rules/2026.11.1";
pub use bom::{BomFormat, BomOptions, cyclonedx, spdx3};
pub use error::{Error, Result};
pub use licence::{Licence, LicenceCatalogue};
pub use lineage::{BaseReport, LineageCheck, check_derivative};
pub use report::Report;
pub use snapshot::{FileEntry, LinkedRepo, RepoSnapshot, RepoType};
