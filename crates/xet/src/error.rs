#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("not a Xet hash (64 lowercase hex digits): {0:?}")]
    BadHash(String),
    #[error("invalid xorb: {0}")]
    BadXorb(String),
    #[error("xorb hash mismatch: the body hashes to {actual}, not {claimed}")]
    XorbHashMismatch { claimed: String, actual: String },
    #[error("invalid shard: {0}")]
    BadShard(String),
    /// Stored data that no longer reads as it was written.
    #[error("corrupt Xet data: {0}")]
    Corrupt(String),
}

pub type Result<T> = std::result::Result<T, Error>;
