//! The repository engine: reads trees at any revision and turns a list of operations into a
//! commit that becomes visible only when its ref moves.

use std::{
    collections::{BTreeMap, HashMap},
    sync::{Arc, Mutex},
};

use agora_storage::{
    Meta, Objects,
    model::{CommitRow, Id, NewRepo, Ref, RefUpdate, Repo, RepoSummary},
    now_ms,
};
use bytes::Bytes;

use crate::{
    Error, Result, attributes, card,
    git::{self, Commit, Kind, ObjectId, Signature, Tree, TreeEntry},
    lfs::{self, Pointer},
    path::check_path,
};

pub const DEFAULT_BRANCH: &str = "main";
const MAIN_REF: &str = "refs/heads/main";

/// A file or folder at some revision.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Entry {
    File(FileEntry),
    Dir { path: String, oid: ObjectId },
}

impl Entry {
    pub fn path(&self) -> &str {
        match self {
            Entry::File(f) => &f.path,
            Entry::Dir { path, .. } => path,
        }
    }

    /// The file, if this is one (`entries.iter().filter_map(Entry::file)`).
    pub fn file(&self) -> Option<&FileEntry> {
        match self {
            Entry::File(f) => Some(f),
            Entry::Dir { .. } => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileEntry {
    pub path: String,
    /// The git blob id (for an LFS file: of its pointer).
    pub oid: ObjectId,
    /// Real size of the content (for an LFS file: of the large file, not the pointer).
    pub size: u64,
    pub lfs: Option<Pointer>,
    /// Size of the git blob itself.
    pub blob_size: u64,
}

impl FileEntry {
    /// What the Hub calls the file's etag: sha256 for LFS files, the blob id otherwise.
    pub fn etag(&self) -> String {
        match &self.lfs {
            Some(p) => p.oid.clone(),
            None => self.oid.hex(),
        }
    }
}

/// A card's metadata (`None` when absent or unreadable) and the tags derived from it.
pub type CardFacts = (
    Option<serde_json::Map<String, serde_json::Value>>,
    Vec<String>,
);

/// A revision resolved to a commit.
#[derive(Clone, Debug)]
pub struct Revision {
    pub commit: ObjectId,
    /// The full ref name when the revision named a ref.
    pub ref_name: Option<String>,
}

/// One change of a commit.
#[derive(Clone, Debug)]
pub enum Op {
    /// A regular file given inline.
    Put {
        path: String,
        content: Bytes,
    },
    /// A file whose content was uploaded through LFS; `size: None` copies an object the
    /// repository already has.
    PutLfs {
        path: String,
        oid: String,
        size: Option<u64>,
    },
    DeleteFile {
        path: String,
    },
    DeleteFolder {
        path: String,
    },
    /// Agora's server-side copy: the file at `src_path` of commit `src` (regular or LFS) is
    /// added at `path` without its bytes crossing the network.
    Copy {
        path: String,
        src: ObjectId,
        src_path: String,
    },
}

pub struct CommitRequest {
    pub repo: Repo,
    /// Branch name, or a full ref such as `refs/pr/3`.
    pub revision: String,
    pub create_pr: bool,
    /// The commit the client based its change on; a mismatch is [`Error::Stale`].
    pub parent: Option<String>,
    pub summary: String,
    pub description: String,
    pub author: Signature,
    pub ops: Vec<Op>,
}

#[derive(Clone, Debug)]
pub struct CommitOutcome {
    pub commit: ObjectId,
    pub ref_name: String,
    pub pr_num: Option<i64>,
}

/// Small cache of immutable things (trees, blob facts) keyed by object id: always safe to
/// cache because an id's content never changes. Cleared wholesale when full.
struct Cache<V> {
    map: Mutex<HashMap<ObjectId, V>>,
    cap: usize,
}

impl<V: Clone> Cache<V> {
    fn new(cap: usize) -> Self {
        Self {
            map: Mutex::new(HashMap::new()),
            cap,
        }
    }
    fn get(&self, id: &ObjectId) -> Option<V> {
        self.map.lock().ok()?.get(id).cloned()
    }
    fn put(&self, id: ObjectId, v: V) {
        if let Ok(mut m) = self.map.lock() {
            if m.len() >= self.cap {
                m.clear();
            }
            m.insert(id, v);
        }
    }
}

pub struct Engine {
    pub objects: Objects,
    pub meta: Arc<dyn Meta>,
    trees: Cache<Arc<Tree>>,
    /// (blob size, LFS pointer if the blob is one)
    blobs: Cache<(u64, Option<Pointer>)>,
    commits: Cache<Arc<Commit>>,
    /// Recursive listings of whole trees, keyed by the root tree id.
    listings: Cache<Arc<Vec<Entry>>>,
    /// Card metadata and tags, keyed by commit id.
    cards: Cache<CardFacts>,
    /// Commits to one ref are serialised inside a process; the compare-and-swap of the ref
    /// still decides between processes.
    ref_locks: Mutex<HashMap<(Id, String), RefLock>>,
}

type RefLock = Arc<tokio::sync::Mutex<()>>;

/// Tries a commit without `parentCommit` this many times against a moving branch.
const MAX_REBASES: usize = 20;

impl Engine {
    pub fn new(objects: Objects, meta: Arc<dyn Meta>) -> Self {
        Self {
            objects,
            meta,
            trees: Cache::new(20_000),
            blobs: Cache::new(200_000),
            commits: Cache::new(20_000),
            listings: Cache::new(256),
            cards: Cache::new(10_000),
            ref_locks: Mutex::new(HashMap::new()),
        }
    }

    // ---- objects -------------------------------------------------------------------------

    pub async fn put_object(&self, kind: Kind, body: Bytes) -> Result<ObjectId> {
        let id = ObjectId::hash(kind, &body);
        self.objects.put(&id.key(), body).await?;
        Ok(id)
    }

    pub async fn object(&self, id: &ObjectId) -> Result<Bytes> {
        self.objects.get(&id.key()).await.map_err(|e| match e {
            agora_storage::Error::NotFound => Error::Corrupt(format!("object {id} is missing")),
            e => e.into(),
        })
    }

    pub async fn tree(&self, id: &ObjectId) -> Result<Arc<Tree>> {
        if let Some(t) = self.trees.get(id) {
            return Ok(t);
        }
        let t = Arc::new(Tree::decode(&self.object(id).await?)?);
        self.trees.put(*id, t.clone());
        Ok(t)
    }

    pub async fn commit_object(&self, id: &ObjectId) -> Result<Arc<Commit>> {
        if let Some(c) = self.commits.get(id) {
            return Ok(c);
        }
        let c = Arc::new(Commit::decode(&self.object(id).await?)?);
        self.commits.put(*id, c.clone());
        Ok(c)
    }

    /// Size and LFS pointer of a blob, reading at most a pointer's worth of it.
    async fn blob_facts(&self, id: &ObjectId) -> Result<(u64, Option<Pointer>)> {
        if let Some(f) = self.blobs.get(id) {
            return Ok(f);
        }
        let size = self
            .objects
            .size(&id.key())
            .await?
            .ok_or_else(|| Error::Corrupt(format!("blob {id} is missing")))?;
        let pointer = if size <= 200 {
            Pointer::parse(&self.object(id).await?)
        } else {
            None
        };
        self.blobs.put(*id, (size, pointer.clone()));
        Ok((size, pointer))
    }

    async fn file_entry(&self, path: String, id: ObjectId) -> Result<FileEntry> {
        let (blob_size, lfs) = self.blob_facts(&id).await?;
        Ok(FileEntry {
            path,
            oid: id,
            size: lfs.as_ref().map_or(blob_size, |p| p.size),
            lfs,
            blob_size,
        })
    }

    // ---- reading -------------------------------------------------------------------------

    /// Resolves a branch, tag, `refs/...` name, or full or short commit id of `repo`.
    ///
    /// `repo` is a snapshot: the default branch resolves to the head its row recorded when it
    /// was read (one consistent view per request, and no second query).
    pub async fn resolve(&self, repo: &Repo, rev: &str) -> Result<Revision> {
        let not_found = || Error::RevisionNotFound(rev.to_owned());
        if rev.is_empty() || rev.len() > 255 {
            return Err(not_found());
        }
        // The repository row carries the default branch's head, moved in the same transaction
        // as the ref itself: no second query for the most common revision.
        if (rev == DEFAULT_BRANCH || rev == MAIN_REF)
            && let Some(commit) = repo.head.as_deref().and_then(ObjectId::parse)
        {
            return Ok(Revision {
                commit,
                ref_name: Some(MAIN_REF.to_owned()),
            });
        }
        let candidates: Vec<String> = if rev.starts_with("refs/") {
            vec![rev.to_owned()]
        } else {
            vec![format!("refs/heads/{rev}"), format!("refs/tags/{rev}")]
        };
        for name in candidates {
            if let Some(r) = self.meta.get_ref(repo.id, &name).await? {
                let commit = ObjectId::parse(&r.target)
                    .ok_or_else(|| Error::Corrupt(format!("ref {name}")))?;
                return Ok(Revision {
                    commit,
                    ref_name: Some(name),
                });
            }
        }
        let hexish = rev.len() >= 4 && rev.bytes().all(|b| b.is_ascii_hexdigit());
        if hexish {
            let lower = rev.to_ascii_lowercase();
            // Only commits some ref of this repository reached: ids from other repositories,
            // or from commits that lost a race, resolve to nothing.
            let found = if lower.len() == 40 {
                self.meta
                    .commit_row(repo.id, &lower)
                    .await?
                    .map(|c| vec![c.sha])
                    .unwrap_or_default()
            } else {
                self.meta.commits_with_prefix(repo.id, &lower).await?
            };
            if let [sha] = found.as_slice() {
                let commit =
                    ObjectId::parse(sha).ok_or_else(|| Error::Corrupt(format!("commit {sha}")))?;
                return Ok(Revision {
                    commit,
                    ref_name: None,
                });
            }
        }
        Err(not_found())
    }

    /// The tree entry at `path` ("" is the root folder) of a commit.
    pub async fn entry(&self, commit: &ObjectId, path: &str) -> Result<Option<Entry>> {
        let root = self.commit_object(commit).await?.tree;
        self.entry_in_tree(root, path).await
    }

    pub async fn entry_in_tree(&self, root: ObjectId, path: &str) -> Result<Option<Entry>> {
        if path.is_empty() {
            return Ok(Some(Entry::Dir {
                path: String::new(),
                oid: root,
            }));
        }
        let mut tree = self.tree(&root).await?;
        let segments: Vec<&str> = path.split('/').collect();
        for (i, seg) in segments.iter().enumerate() {
            let Some(e) = tree.get(seg).cloned() else {
                return Ok(None);
            };
            let last = i + 1 == segments.len();
            match (e.is_dir, last) {
                (true, true) => {
                    return Ok(Some(Entry::Dir {
                        path: path.to_owned(),
                        oid: e.id,
                    }));
                }
                (false, true) => {
                    return Ok(Some(Entry::File(
                        self.file_entry(path.to_owned(), e.id).await?,
                    )));
                }
                (true, false) => tree = self.tree(&e.id).await?,
                (false, false) => return Ok(None),
            }
        }
        Ok(None)
    }

    /// Lists a folder: its children, or with `recursive` everything below it (folders too),
    /// in git order, depth-first.
    pub async fn list(
        &self,
        commit: &ObjectId,
        folder: &str,
        recursive: bool,
    ) -> Result<Arc<Vec<Entry>>> {
        let oid = match self.entry(commit, folder).await? {
            Some(Entry::Dir { oid, .. }) => oid,
            _ => return Err(Error::EntryNotFound(format!("{folder}: no such folder"))),
        };
        let whole = folder.is_empty() && recursive;
        if whole && let Some(l) = self.listings.get(&oid) {
            return Ok(l);
        }
        let mut out = Vec::new();
        self.walk(folder.to_owned(), oid, recursive, &mut out)
            .await?;
        let out = Arc::new(out);
        if whole {
            self.listings.put(oid, out.clone());
        }
        Ok(out)
    }

    fn walk<'a>(
        &'a self,
        dir: String,
        id: ObjectId,
        recursive: bool,
        out: &'a mut Vec<Entry>,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<()>> + Send + 'a>> {
        Box::pin(async move {
            let tree = self.tree(&id).await?;
            for e in &tree.entries {
                let path = if dir.is_empty() {
                    e.name.clone()
                } else {
                    format!("{dir}/{}", e.name)
                };
                if e.is_dir {
                    out.push(Entry::Dir {
                        path: path.clone(),
                        oid: e.id,
                    });
                    if recursive {
                        self.walk(path, e.id, true, out).await?;
                    }
                } else {
                    out.push(Entry::File(self.file_entry(path, e.id).await?));
                }
            }
            Ok(())
        })
    }

    /// Contents of a small regular file (cards, `.gitattributes`), `None` if absent or LFS.
    pub async fn small_file(
        &self,
        commit: &ObjectId,
        path: &str,
        max: u64,
    ) -> Result<Option<Bytes>> {
        match self.entry(commit, path).await? {
            Some(Entry::File(f)) if f.lfs.is_none() && f.size <= max => {
                Ok(Some(self.object(&f.oid).await?))
            }
            _ => Ok(None),
        }
    }

    /// The card metadata and tags of a commit.
    pub async fn card(&self, repo: &Repo, commit: &ObjectId) -> Result<CardFacts> {
        if let Some(c) = self.cards.get(commit) {
            return Ok(c);
        }
        let facts = self.read_card(repo, commit).await?;
        self.cards.put(*commit, facts.clone());
        Ok(facts)
    }

    async fn read_card(&self, repo: &Repo, commit: &ObjectId) -> Result<CardFacts> {
        let Some(readme) = self
            .small_file(commit, "README.md", card::MAX_FRONT_MATTER as u64 * 4)
            .await?
        else {
            return Ok((None, Vec::new()));
        };
        let text = String::from_utf8_lossy(&readme);
        match card::parse(&text) {
            Ok(Some(m)) => {
                let tags = card::tags(&m, repo.kind == agora_storage::model::RepoType::Dataset);
                Ok((Some(m), tags))
            }
            _ => Ok((None, Vec::new())),
        }
    }

    /// For each path, the newest commit (from `head`, first-parent) that changed it.
    pub async fn last_commits(
        &self,
        head: &ObjectId,
        paths: &[String],
    ) -> Result<HashMap<String, ObjectId>> {
        let mut found = HashMap::new();
        let mut pending: Vec<String> = paths.to_vec();
        let mut current = *head;
        for _ in 0..1000 {
            if pending.is_empty() {
                break;
            }
            let c = self.commit_object(&current).await?;
            let parent_tree = match c.parents.first() {
                Some(p) => Some(self.commit_object(p).await?.tree),
                None => None,
            };
            let mut still = Vec::new();
            for p in pending {
                let here = self.entry_in_tree(c.tree, &p).await?.map(|e| entry_id(&e));
                let before = match parent_tree {
                    Some(t) => self.entry_in_tree(t, &p).await?.map(|e| entry_id(&e)),
                    None => None,
                };
                if here != before {
                    found.insert(p, current);
                } else {
                    still.push(p);
                }
            }
            pending = still;
            match c.parents.first() {
                Some(p) => current = *p,
                None => break,
            }
        }
        Ok(found)
    }

    /// First-parent history from `head`: `skip` commits, then up to `limit`.
    pub async fn history(
        &self,
        repo: Id,
        head: &ObjectId,
        skip: usize,
        limit: usize,
    ) -> Result<(Vec<CommitRow>, bool)> {
        let mut out = Vec::new();
        let mut next = Some(head.hex());
        let mut i = 0;
        while let Some(sha) = next {
            let row = self
                .meta
                .commit_row(repo, &sha)
                .await?
                .ok_or_else(|| Error::Corrupt(format!("commit {sha} not indexed")))?;
            next = row.parents.first().cloned();
            if i >= skip {
                if out.len() == limit {
                    return Ok((out, true));
                }
                out.push(row);
            }
            i += 1;
        }
        Ok((out, false))
    }

    // ---- writing -------------------------------------------------------------------------

    fn ref_lock(&self, repo: Id, name: &str) -> RefLock {
        let mut m = self.ref_locks.lock().unwrap_or_else(|e| e.into_inner());
        if m.len() > 10_000 {
            m.retain(|_, v| Arc::strong_count(v) > 1);
        }
        m.entry((repo, name.to_owned())).or_default().clone()
    }

    /// Creates a repository whose `main` has one commit adding the default `.gitattributes`.
    pub async fn create_repo(&self, new: &NewRepo, author: Signature) -> Result<Repo> {
        let attrs = attributes::default_gitattributes(new.kind);
        let blob = self.put_object(Kind::Blob, Bytes::from(attrs)).await?;
        let mut tree = Tree {
            entries: vec![TreeEntry {
                name: ".gitattributes".into(),
                is_dir: false,
                id: blob,
            }],
        };
        tree.sort();
        let tree_id = self
            .put_object(Kind::Tree, Bytes::from(tree.encode()))
            .await?;
        let commit = Commit {
            tree: tree_id,
            parents: vec![],
            author: author.clone(),
            committer: author.clone(),
            message: git::message("initial commit", ""),
        };
        let id = self
            .put_object(Kind::Commit, Bytes::from(commit.encode()))
            .await?;
        let update = RefUpdate {
            repo_id: 0,
            name: MAIN_REF.into(),
            old: None,
            new: id.hex(),
            commits: vec![commit_row(&id, &commit)],
            summary: Some(RepoSummary {
                card_data: None,
                tags: vec![],
                last_modified: now_ms(),
            }),
        };
        match self.meta.create_repo(new, update).await {
            Ok(r) => Ok(r),
            Err(agora_storage::Error::Conflict(n)) => Err(Error::Conflict(n)),
            Err(e) => Err(e.into()),
        }
    }

    /// Applies `req` and moves its ref. Only the ref move publishes anything: a failure at any
    /// earlier point leaves at most unreferenced objects behind.
    pub async fn commit(&self, req: CommitRequest) -> Result<CommitOutcome> {
        let repo = &req.repo;
        let branch = branch_ref(&req.revision)?;
        if req.create_pr && !branch.starts_with("refs/heads/") {
            return Err(Error::RevisionNotFound(req.revision.clone()));
        }
        let prepared = self.prepare(repo.id, &req.ops).await?;
        let target_ref = if req.create_pr {
            None
        } else {
            Some(branch.clone())
        };
        let lock = self.ref_lock(repo.id, target_ref.as_deref().unwrap_or(""));
        let _guard = if target_ref.is_some() {
            Some(lock.lock().await)
        } else {
            None
        };

        for _ in 0..MAX_REBASES {
            let head = self
                .meta
                .get_ref(repo.id, &branch)
                .await?
                .ok_or_else(|| Error::RevisionNotFound(req.revision.clone()))?;
            if let Some(parent) = &req.parent
                && !parent.eq_ignore_ascii_case(&head.target)
            {
                return Err(Error::Stale);
            }
            let head_id = ObjectId::parse(&head.target)
                .ok_or_else(|| Error::Corrupt(format!("ref {branch}")))?;
            let base = self.commit_object(&head_id).await?;
            let tree = self.apply(base.tree, &prepared).await?;
            let message = git::message(&req.summary, &req.description);
            let commit = Commit {
                tree,
                parents: vec![head_id],
                author: req.author.clone(),
                committer: req.author.clone(),
                message,
            };
            let id = self
                .put_object(Kind::Commit, Bytes::from(commit.encode()))
                .await?;
            let row = commit_row(&id, &commit);

            let (name, old, pr_num) = if req.create_pr {
                let n = self.meta.next_pr(repo.id).await?;
                (format!("refs/pr/{n}"), None, Some(n))
            } else {
                (branch.clone(), Some(head.target.clone()), None)
            };
            let summary = if name == MAIN_REF {
                Some(self.summary(repo, &id).await?)
            } else {
                None
            };
            let update = RefUpdate {
                repo_id: repo.id,
                name: name.clone(),
                old,
                new: id.hex(),
                commits: vec![row],
                summary,
            };
            if self.meta.move_ref(update).await? {
                self.link_lfs(repo.id, &prepared).await?;
                return Ok(CommitOutcome {
                    commit: id,
                    ref_name: name,
                    pr_num,
                });
            }
            if req.parent.is_some() {
                return Err(Error::Stale);
            }
            tracing::debug!(repo = repo.id, %branch, "ref moved under a commit; rebasing");
        }
        Err(Error::Stale)
    }

    async fn summary(&self, repo: &Repo, commit: &ObjectId) -> Result<RepoSummary> {
        let (card, tags) = self.card(repo, commit).await?;
        Ok(RepoSummary {
            card_data: card.map(|m| serde_json::Value::Object(m).to_string()),
            tags,
            last_modified: now_ms(),
        })
    }

    /// Writes blobs and checks LFS references before any tree is touched.
    async fn prepare(&self, repo: Id, ops: &[Op]) -> Result<Vec<Prepared>> {
        let mut out = Vec::with_capacity(ops.len());
        for op in ops {
            out.push(match op {
                Op::Put { path, content } => {
                    check_path(path)?;
                    // A regular file that is itself an LFS pointer would expose whatever object
                    // it names: only pointers to objects this repository holds are accepted.
                    if let Some(p) = Pointer::parse(content)
                        && self.meta.lfs_size(repo, &p.oid).await? != Some(p.size as i64) {
                            return Err(Error::BadRequest(format!(
                                "{path}: the file is an LFS pointer to an object this repository does not have"
                            )));
                        }
                    let id = self.put_object(Kind::Blob, content.clone()).await?;
                    Prepared::Put { path: path.clone(), blob: id, lfs: None }
                }
                Op::PutLfs { path, oid, size } => {
                    check_path(path)?;
                    let oid = oid.to_ascii_lowercase();
                    if !lfs::is_sha256(&oid) {
                        return Err(Error::BadRequest(format!("{path}: LFS oid must be a sha256 in hex")));
                    }
                    let known = self.meta.lfs_size(repo, &oid).await?;
                    let size = match (known, size) {
                        (Some(k), Some(s)) if k as u64 == *s => *s,
                        (Some(k), None) => k as u64,
                        (Some(k), Some(s)) => {
                            return Err(Error::BadRequest(format!("{path}: LFS object {oid} has size {k}, not {s}")));
                        }
                        (None, _) => {
                            return Err(Error::BadRequest(format!(
                                "{path}: LFS object {oid} was not uploaded; upload it before committing"
                            )));
                        }
                    };
                    let pointer = Pointer { oid, size };
                    let id = self.put_object(Kind::Blob, Bytes::from(pointer.encode())).await?;
                    Prepared::Put { path: path.clone(), blob: id, lfs: Some(pointer) }
                }
                Op::Copy { path, src, src_path } => {
                    check_path(path)?;
                    check_path(src_path)?;
                    match self.entry(src, src_path).await? {
                        Some(Entry::File(f)) => Prepared::Put { path: path.clone(), blob: f.oid, lfs: f.lfs },
                        _ => return Err(Error::EntryNotFound(format!("{src_path}: no such file to copy"))),
                    }
                }
                Op::DeleteFile { path } => {
                    check_path(path)?;
                    Prepared::Delete { path: path.clone(), folder: false }
                }
                Op::DeleteFolder { path } => {
                    let p = crate::path::normalize_folder(path)?;
                    if p.is_empty() {
                        return Err(Error::BadRequest("cannot delete the root folder".into()));
                    }
                    Prepared::Delete { path: p, folder: true }
                }
            });
        }
        Ok(out)
    }

    async fn link_lfs(&self, repo: Id, prepared: &[Prepared]) -> Result<()> {
        for p in prepared {
            if let Prepared::Put { lfs: Some(ptr), .. } = p {
                self.meta.link_lfs(repo, &ptr.oid, ptr.size as i64).await?;
            }
        }
        Ok(())
    }

    async fn apply(&self, root: ObjectId, ops: &[Prepared]) -> Result<ObjectId> {
        let mut tree = MutTree::Unloaded(root);
        for op in ops {
            match op {
                Prepared::Put { path, blob, .. } => {
                    let (dirs, name) = split(path);
                    let dir = self
                        .descend(&mut tree, &dirs, true, path)
                        .await?
                        .ok_or_else(|| bad_parent(path))?;
                    if let Some(MutNode::Dir(_)) = dir.get(name) {
                        return Err(Error::BadRequest(format!(
                            "{path}: a folder of that name exists"
                        )));
                    }
                    dir.insert(name.to_owned(), MutNode::File(*blob));
                }
                Prepared::Delete { path, folder } => {
                    let (dirs, name) = split(path);
                    let what = if *folder { "folder" } else { "file" };
                    let missing = || Error::EntryNotFound(format!("{path}: no such {what}"));
                    let dir = self
                        .descend(&mut tree, &dirs, false, path)
                        .await?
                        .ok_or_else(missing)?;
                    match dir.get(name) {
                        Some(MutNode::Dir(_)) if *folder => dir.remove(name),
                        Some(MutNode::File(_)) if !*folder => dir.remove(name),
                        _ => return Err(missing()),
                    };
                }
            }
        }
        let mut writes = Vec::new();
        let id = tree.write(&mut writes);
        for (kind, body) in writes {
            self.put_object(kind, Bytes::from(body)).await?;
        }
        Ok(id)
    }

    /// Walks (loading as needed) to the folder `dirs`; creates missing folders when `create`.
    async fn descend<'t>(
        &self,
        root: &'t mut MutTree,
        dirs: &[&str],
        create: bool,
        path: &str,
    ) -> Result<Option<&'t mut BTreeMap<String, MutNode>>> {
        let mut cur = self.load(root).await?;
        for seg in dirs {
            if !cur.contains_key(*seg) {
                if !create {
                    return Ok(None);
                }
                cur.insert(
                    (*seg).to_owned(),
                    MutNode::Dir(MutTree::Loaded(BTreeMap::new())),
                );
            }
            cur = match cur.get_mut(*seg) {
                Some(MutNode::Dir(t)) => self.load(t).await?,
                Some(MutNode::File(_)) if create => return Err(bad_parent(path)),
                _ => return Ok(None),
            };
        }
        Ok(Some(cur))
    }

    async fn load<'t>(&self, t: &'t mut MutTree) -> Result<&'t mut BTreeMap<String, MutNode>> {
        if let MutTree::Unloaded(id) = t {
            let tree = self.tree(id).await?;
            let map = tree
                .entries
                .iter()
                .map(|e| {
                    let node = if e.is_dir {
                        MutNode::Dir(MutTree::Unloaded(e.id))
                    } else {
                        MutNode::File(e.id)
                    };
                    (e.name.clone(), node)
                })
                .collect();
            *t = MutTree::Loaded(map);
        }
        match t {
            MutTree::Loaded(m) => Ok(m),
            MutTree::Unloaded(_) => Err(Error::Corrupt("tree failed to load".into())),
        }
    }

    /// Creates or moves a branch or tag to `target` (compare-and-swap against `old`).
    pub async fn set_ref(
        &self,
        repo: &Repo,
        name: &str,
        old: Option<String>,
        target: &ObjectId,
    ) -> Result<bool> {
        let summary = if name == MAIN_REF {
            Some(self.summary(repo, target).await?)
        } else {
            None
        };
        Ok(self
            .meta
            .move_ref(RefUpdate {
                repo_id: repo.id,
                name: name.to_owned(),
                old,
                new: target.hex(),
                commits: vec![],
                summary,
            })
            .await?)
    }

    pub async fn refs(&self, repo: Id) -> Result<Vec<Ref>> {
        Ok(self.meta.refs(repo).await?)
    }
}

fn entry_id(e: &Entry) -> ObjectId {
    match e {
        Entry::File(f) => f.oid,
        Entry::Dir { oid, .. } => *oid,
    }
}

fn bad_parent(path: &str) -> Error {
    Error::BadRequest(format!("{path}: a parent folder is a file"))
}

fn split(path: &str) -> (Vec<&str>, &str) {
    let mut segs: Vec<&str> = path.split('/').collect();
    let name = segs.pop().unwrap_or("");
    (segs, name)
}

/// The ref a commit targets: a branch name, or `refs/heads/..` / `refs/pr/N` in full.
pub fn branch_ref(rev: &str) -> Result<String> {
    if rev.starts_with("refs/heads/") || is_pr_ref(rev) {
        Ok(rev.to_owned())
    } else if rev.starts_with("refs/") {
        Err(Error::RevisionNotFound(rev.to_owned()))
    } else {
        Ok(format!("refs/heads/{rev}"))
    }
}

pub fn is_pr_ref(rev: &str) -> bool {
    rev.strip_prefix("refs/pr/")
        .is_some_and(|n| !n.is_empty() && n.len() < 10 && n.bytes().all(|b| b.is_ascii_digit()))
}

/// Checks a branch or tag name by git's ref-name rules.
pub fn check_ref_name(name: &str) -> Result<()> {
    let bad = || Error::BadRequest(format!("Invalid reference name {name:?}"));
    if name.is_empty()
        || name.len() > 255
        || name.starts_with(['/', '-', '.'])
        || name.ends_with(['/', '.'])
        || name.ends_with(".lock")
        || name.contains("..")
        || name.contains("//")
        || name.contains("@{")
        || name == "@"
        || name
            .chars()
            .any(|c| c.is_control() || matches!(c, ' ' | '~' | '^' | ':' | '?' | '*' | '[' | '\\'))
        || name.split('/').any(|s| s.starts_with('.'))
    {
        return Err(bad());
    }
    Ok(())
}

fn commit_row(id: &ObjectId, c: &Commit) -> CommitRow {
    CommitRow {
        sha: id.hex(),
        parents: c.parents.iter().map(|p| p.hex()).collect(),
        author: c.author.name.clone(),
        date: c.author.seconds * 1000,
        title: c.title().to_owned(),
        message: c.body().to_owned(),
    }
}

enum Prepared {
    Put {
        path: String,
        blob: ObjectId,
        lfs: Option<Pointer>,
    },
    Delete {
        path: String,
        folder: bool,
    },
}

enum MutNode {
    File(ObjectId),
    Dir(MutTree),
}

enum MutTree {
    Unloaded(ObjectId),
    Loaded(BTreeMap<String, MutNode>),
}

impl MutTree {
    /// Computes ids bottom-up, collecting the objects to store. Empty folders vanish, as in git.
    fn write(&self, out: &mut Vec<(Kind, Vec<u8>)>) -> ObjectId {
        match self {
            MutTree::Unloaded(id) => *id,
            MutTree::Loaded(map) => {
                let mut tree = Tree::default();
                for (name, node) in map {
                    match node {
                        MutNode::File(id) => tree.entries.push(TreeEntry {
                            name: name.clone(),
                            is_dir: false,
                            id: *id,
                        }),
                        MutNode::Dir(sub) => {
                            if sub.is_empty() {
                                continue;
                            }
                            let id = sub.write(out);
                            tree.entries.push(TreeEntry {
                                name: name.clone(),
                                is_dir: true,
                                id,
                            });
                        }
                    }
                }
                tree.sort();
                let body = tree.encode();
                let id = ObjectId::hash(Kind::Tree, &body);
                out.push((Kind::Tree, body));
                id
            }
        }
    }

    fn is_empty(&self) -> bool {
        match self {
            MutTree::Unloaded(_) => false,
            MutTree::Loaded(m) => m
                .values()
                .all(|n| matches!(n, MutNode::Dir(t) if t.is_empty())),
        }
    }
}

#[cfg(test)]
mod tests;
