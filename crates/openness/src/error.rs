//! The crate's one error type.
//!
//! The pure core never fails on bad repository content: what cannot be read becomes a
//! [`crate::report::Problem`] in the report. Errors are for the edges only: reading a directory
//! for the command line, writing output.

use std::path::PathBuf;

/// Errors from the I/O edges of the crate (the `fs` snapshot builder and the CLI).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The path given is not a directory.
    #[error("not a directory: {0}")]
    NotADirectory(PathBuf),
    /// An I/O error while reading a repository checkout.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The path being read.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// An I/O error while writing output.
    #[error("cannot write output: {0}")]
    Output(#[source] std::io::Error),
    /// Serialising a report or BOM failed.
    #[error("cannot serialise: {0}")]
    Serialise(#[from] serde_json::Error),
    /// An unknown BOM format name.
    #[error("unknown BOM format {0:?} (expected cyclonedx or spdx)")]
    UnknownFormat(String),
}

/// Result alias for the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
