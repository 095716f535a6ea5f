//! The crate's one error type. Scanning itself never fails (bad input ends in a verdict);
//! errors are about reading files and command-line usage.

/// Errors from reading input or from command-line usage.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Reading the input failed.
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
    /// The path is a directory or otherwise not a regular file.
    #[error("not a regular file: {0}")]
    NotAFile(String),
    /// Command-line usage.
    #[error("usage: {0}")]
    Usage(String),
    /// Writing the output failed.
    #[error("cannot write output: {0}")]
    Output(String),
}
