#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Storage(#[from] agora_storage::Error),
    #[error("{0}")]
    InvalidName(String),
    #[error("{0}")]
    InvalidPath(String),
    #[error("Invalid rev id: {0}")]
    RevisionNotFound(String),
    #[error("{0}")]
    EntryNotFound(String),
    /// The branch moved since the caller read it.
    #[error("The branch was updated since you opened this page. Please refresh and try again.")]
    Stale,
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    BadRequest(String),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
