//! The versioning engine.
//!
//! Git's object model with real git ids ([`git`]), large files as Git LFS pointers whose content
//! is stored by sha256 ([`lfs`]), and refs moved by compare-and-swap in the metadata store
//! ([`engine::Engine::commit`]).
//!
//! Invariant: a commit is visible only when its ref moves. Objects are written first; the ref
//! update and the commit's index row land together in one transaction, so a crash at any point
//! leaves the previous state intact.

pub mod attributes;
pub mod card;
pub mod engine;
mod error;
pub mod git;
pub mod lfs;
pub mod path;

pub use engine::{
    CommitOutcome, CommitRequest, DEFAULT_BRANCH, Engine, Entry, FileEntry, Op, Revision,
};
pub use error::{Error, Result};
