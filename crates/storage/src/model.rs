//! Records of the metadata store. Plain data: no behaviour beyond naming.

use serde::{Deserialize, Serialize};

pub type Id = i64;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AccountKind {
    User,
    Org,
}

#[derive(Clone, Debug, Serialize)]
pub struct Account {
    pub id: Id,
    pub name: String,
    pub kind: AccountKind,
    pub fullname: String,
    pub email: Option<String>,
    pub is_admin: bool,
    pub created_at: i64,
}

/// A member's role in an organisation, weakest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Read,
    Contributor,
    Write,
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Read => "read",
            Role::Contributor => "contributor",
            Role::Write => "write",
            Role::Admin => "admin",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "read" => Role::Read,
            "contributor" => Role::Contributor,
            "write" => Role::Write,
            "admin" => Role::Admin,
            _ => return None,
        })
    }
}

#[derive(Clone, Debug)]
pub struct Membership {
    pub org: Account,
    pub role: Role,
}

/// What a token may do. A token never grants more than its owner has.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TokenRole {
    Read,
    Write,
}

impl TokenRole {
    pub fn as_str(self) -> &'static str {
        match self {
            TokenRole::Read => "read",
            TokenRole::Write => "write",
        }
    }
}

#[derive(Clone, Debug)]
pub struct Token {
    pub id: Id,
    pub user_id: Id,
    pub name: String,
    pub role: TokenRole,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub expires_at: Option<i64>,
    pub revoked_at: Option<i64>,
    /// Fine-grained tokens act only within these; `None` for a classic read or write token.
    pub scopes: Option<Vec<Scope>>,
}

impl Token {
    /// Usable at `now`: neither revoked nor expired.
    pub fn live(&self, now: i64) -> bool {
        self.revoked_at.is_none() && self.expires_at.is_none_or(|e| now < e)
    }
}

/// What a fine-grained token may touch: one repository (`model`, `dataset`) or every repository
/// of a namespace (`user`, `org`), and what it may do there.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scope {
    #[serde(rename = "type")]
    pub kind: ScopeKind,
    /// `namespace/name` for a repository, the account name for a namespace.
    pub name: String,
    pub permissions: Vec<Permission>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ScopeKind {
    Model,
    Dataset,
    User,
    Org,
}

/// The actions of fine-grained tokens, named as on the Hub.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Permission {
    /// Read files and metadata (of private and gated repositories the owner may read).
    #[serde(rename = "repo.content.read")]
    Read,
    /// Open pull requests.
    #[serde(rename = "discussion.write")]
    Contribute,
    /// Push to branches, manage settings and access requests, create repositories (namespaces).
    #[serde(rename = "repo.write")]
    Write,
}

/// A token to create; `hash` is the SHA-256 of the secret, the only form stored.
#[derive(Clone, Debug)]
pub struct NewToken {
    pub user_id: Id,
    pub name: String,
    pub role: TokenRole,
    pub hash: String,
    pub scopes: Option<Vec<Scope>>,
    pub expires_at: Option<i64>,
}

/// Where a user's request for a gated repository stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RequestStatus {
    Pending,
    Accepted,
    Rejected,
}

impl RequestStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RequestStatus::Pending => "pending",
            RequestStatus::Accepted => "accepted",
            RequestStatus::Rejected => "rejected",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "pending" => RequestStatus::Pending,
            "accepted" => RequestStatus::Accepted,
            "rejected" => RequestStatus::Rejected,
            _ => return None,
        })
    }
}

#[derive(Clone, Debug)]
pub struct AccessRequest {
    pub id: Id,
    pub repo_id: Id,
    pub user_id: Id,
    pub status: RequestStatus,
    /// The answers to the card's form, JSON; `None` for a direct grant.
    pub fields: Option<String>,
    pub reason: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub decided_by: Option<Id>,
}

/// A change of an access request, applied only if the request is still in state `from`
/// (`None`: no request yet).
#[derive(Clone, Debug)]
pub struct Decision {
    pub repo_id: Id,
    pub user_id: Id,
    pub from: Option<RequestStatus>,
    pub to: RequestStatus,
    /// Replaces the stored answers when set (a new request).
    pub fields: Option<String>,
    pub reason: Option<String>,
    pub decided_by: Option<Id>,
}

/// One line of the audit log.
#[derive(Clone, Debug, Default, Serialize)]
pub struct AuditEvent {
    pub id: Id,
    pub at: i64,
    pub action: String,
    pub actor_id: Option<Id>,
    pub actor: Option<String>,
    pub token_id: Option<Id>,
    pub address: Option<String>,
    pub owner_id: Option<Id>,
    pub repo_id: Option<Id>,
    /// `model:namespace/name` at the time of the event.
    pub repo: Option<String>,
    /// JSON object.
    pub detail: String,
}

#[derive(Clone, Copy, Debug)]
pub enum AuditScope {
    Repo(Id),
    /// Everything in a namespace: its repositories, memberships, tokens.
    Owner(Id),
    All,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RepoType {
    Model,
    Dataset,
}

impl RepoType {
    pub fn as_str(self) -> &'static str {
        match self {
            RepoType::Model => "model",
            RepoType::Dataset => "dataset",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "model" => Some(RepoType::Model),
            "dataset" => Some(RepoType::Dataset),
            _ => None,
        }
    }
    /// `models` / `datasets`, as in `/api/models/...`.
    pub fn plural(self) -> &'static str {
        match self {
            RepoType::Model => "models",
            RepoType::Dataset => "datasets",
        }
    }
    /// Prefix of web and file URLs: models have none.
    pub fn url_prefix(self) -> &'static str {
        match self {
            RepoType::Model => "",
            RepoType::Dataset => "datasets/",
        }
    }
}

/// Gating mode of a repository. `None` in [`Repo::gated`] means not gated.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Gated {
    Auto,
    Manual,
}

impl Gated {
    pub fn as_str(self) -> &'static str {
        match self {
            Gated::Auto => "auto",
            Gated::Manual => "manual",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "auto" => Some(Gated::Auto),
            "manual" => Some(Gated::Manual),
            _ => None,
        }
    }
}

#[derive(Clone, Debug)]
pub struct Repo {
    pub id: Id,
    pub kind: RepoType,
    pub owner_id: Id,
    pub namespace: String,
    pub name: String,
    pub private: bool,
    pub gated: Option<Gated>,
    pub created_at: i64,
    pub last_modified: i64,
    pub downloads: i64,
    pub likes: i64,
    /// Head of the default branch, the commit `model_info` reports.
    pub head: Option<String>,
    /// Card metadata of the default branch head, as JSON text (for listing without reading objects).
    pub card_data: Option<String>,
    /// Tags of the default branch head, as a JSON array.
    pub tags: Vec<String>,
    /// An unsafe file is flagged, not refused, when set.
    pub scan_flag_only: bool,
}

impl Repo {
    pub fn full_name(&self) -> String {
        format!("{}/{}", self.namespace, self.name)
    }
}

#[derive(Clone, Debug)]
pub struct NewRepo {
    pub kind: RepoType,
    pub owner_id: Id,
    pub namespace: String,
    pub name: String,
    pub private: bool,
}

/// A branch, tag or pull-request ref. `name` is the full ref name, e.g. `refs/heads/main`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ref {
    pub name: String,
    pub target: String,
}

/// Index row of a commit that some ref of the repository reached. The commit object itself is
/// in the object store; this row makes it findable (by full or short id) and listable.
#[derive(Clone, Debug)]
pub struct CommitRow {
    pub sha: String,
    pub parents: Vec<String>,
    pub author: String,
    pub date: i64,
    pub title: String,
    pub message: String,
}

/// Moves a ref from `old` (None: create) to `new`, recording the commits it makes reachable.
#[derive(Clone, Debug)]
pub struct RefUpdate {
    pub repo_id: Id,
    pub name: String,
    pub old: Option<String>,
    pub new: String,
    pub commits: Vec<CommitRow>,
    /// For the default branch: the summary the repository row carries for listings.
    pub summary: Option<RepoSummary>,
}

#[derive(Clone, Debug)]
pub struct RepoSummary {
    pub card_data: Option<String>,
    pub tags: Vec<String>,
    pub last_modified: i64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SortKey {
    LastModified,
    CreatedAt,
    Downloads,
    Likes,
    Id,
}

/// The grades of one commit, with the full report as JSON.
#[derive(Clone, Debug)]
pub struct Assessment {
    pub repo_id: Id,
    pub commit: String,
    /// e.g. `open-source-ai`, `open-weights`, `restricted-weights`, `closed`
    pub bucket: String,
    /// `pass`, `fail`, or `n/a` (datasets)
    pub osaid: String,
    /// e.g. `class-i`, `class-ii`, `class-iii`, `unclassified`, `n/a`
    pub mof_class: String,
    pub licence: Option<String>,
    /// e.g. `osi-approved`, `community-model`, `non-commercial`
    pub licence_class: Option<String>,
    /// The rules version it was graded under.
    pub rules: String,
    pub report: String,
}

/// A scanner verdict on one piece of content.
#[derive(Clone, Debug)]
pub struct ScanRecord {
    /// `sha256:<hex>` (LFS content) or `git:<blob id>` (regular files).
    pub content_id: String,
    /// `safe`, `unknown` or `unsafe`.
    pub verdict: String,
    pub ruleset: String,
    /// The scanner's report, JSON.
    pub report: String,
}

/// Grades a listing can filter on (`filter=openness:...`, `mof:...`, `osaid:...`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GradeField {
    Bucket,
    Osaid,
    MofClass,
    LicenceClass,
    /// The scanner's summary of the head (`safe`, `unknown`, `unsafe`), see `WebStore::set_scan_status`.
    Scan,
}

#[derive(Clone, Debug)]
pub struct RepoQuery {
    pub kind: RepoType,
    /// Only repositories this account may read besides public ones (None: anonymous).
    pub viewer: Option<Id>,
    pub search: Option<String>,
    pub author: Option<String>,
    /// Every one of these tags must be present.
    pub tags: Vec<String>,
    /// Every one of these grades of the default branch head must match.
    pub grades: Vec<(GradeField, String)>,
    pub sort: SortKey,
    pub descending: bool,
    pub offset: i64,
    pub limit: i64,
}
