//! The input of an assessment: what a repository revision holds, with no I/O attached.
//!
//! The hub builds a [`RepoSnapshot`] from its store; the command line builds one from a local
//! directory with [`crate::fs::snapshot_dir`].

use serde::{Deserialize, Serialize};

/// The kind of repository.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RepoType {
    /// A model repository.
    #[default]
    Model,
    /// A dataset repository.
    Dataset,
    /// A Space (application).
    Space,
}

/// One file of the revision.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileEntry {
    /// Path inside the repository, `/`-separated.
    pub path: String,
    /// Size in bytes.
    pub size: u64,
    /// The content, for small text files the assessment reads (LICENSE, NOTICE, Markdown,
    /// `config.json`, `mof.yml` ...). `None` for everything else.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// SHA-256 of the content, hex, when known (LFS files always have it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
}

/// What the hub knows about a repository the card refers to (a dataset in `datasets:`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkedRepo {
    /// Repository id, e.g. `allenai/dolma`.
    pub id: String,
    /// Its kind.
    pub repo_type: RepoType,
    /// Its declared licence id, if known.
    #[serde(default)]
    pub license: Option<String>,
}

/// A repository revision to assess.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepoSnapshot {
    /// Repository id, e.g. `allenai/OLMo-7B`.
    pub repo_id: String,
    /// Its kind.
    pub repo_type: RepoType,
    /// The commit id of the revision, when known.
    #[serde(default)]
    pub revision: Option<String>,
    /// When the revision was made (RFC 3339), when known; used as the BOM timestamp.
    #[serde(default)]
    pub created: Option<String>,
    /// The files of the revision.
    pub files: Vec<FileEntry>,
    /// The card (`README.md`) text. When `None`, a `README.md` entry with text is used.
    #[serde(default)]
    pub readme: Option<String>,
    /// Facts about repositories the card refers to, filled by the hub; empty on the command line.
    #[serde(default)]
    pub linked: Vec<LinkedRepo>,
}

impl RepoSnapshot {
    /// The card text, from `readme` or a `README.md` file entry.
    pub fn card_text(&self) -> Option<&str> {
        if let Some(r) = &self.readme {
            return Some(r);
        }
        self.files
            .iter()
            .find(|f| f.path.eq_ignore_ascii_case("README.md"))
            .and_then(|f| f.text.as_deref())
    }

    /// The repository's short name (after the owner).
    pub fn name(&self) -> &str {
        self.repo_id.rsplit('/').next().unwrap_or(&self.repo_id)
    }
}
