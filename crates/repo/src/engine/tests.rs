use std::{process::Command, sync::Arc};

use agora_storage::{
    Meta, Objects,
    model::{AccountKind, NewRepo, RepoType},
    sqlite::SqliteMeta,
};
use bytes::Bytes;

use super::*;

struct Fixture {
    _dir: tempfile::TempDir,
    engine: Arc<Engine>,
    repo: Repo,
}

fn alice() -> Signature {
    Signature {
        name: "alice".into(),
        email: "alice@example.org".into(),
        seconds: 1_700_000_000,
    }
}

async fn fixture() -> Fixture {
    let dir = tempfile::tempdir().expect("tmp");
    let meta = SqliteMeta::open(&dir.path().join("agora.db"))
        .await
        .expect("db");
    let objects = Objects::local(dir.path().join("objects")).expect("objects");
    let meta: Arc<dyn Meta> = Arc::new(meta);
    let owner = meta
        .create_account("alice", AccountKind::User, "Alice", None, false)
        .await
        .expect("user");
    let engine = Arc::new(Engine::new(objects, meta));
    let new = NewRepo {
        kind: RepoType::Model,
        owner_id: owner.id,
        namespace: "alice".into(),
        name: "Tiny-Model.v2".into(),
        private: false,
    };
    let repo = engine.create_repo(&new, alice()).await.expect("repo");
    Fixture {
        _dir: dir,
        engine,
        repo,
    }
}

fn put(path: &str, content: &str) -> Op {
    Op::Put {
        path: path.into(),
        content: Bytes::from(content.to_owned()),
    }
}

impl Fixture {
    async fn commit(&self, ops: Vec<Op>, parent: Option<String>) -> Result<CommitOutcome> {
        self.engine
            .commit(CommitRequest {
                repo: self.repo.clone(),
                revision: "main".into(),
                create_pr: false,
                parent,
                summary: "change".into(),
                description: String::new(),
                author: alice(),
                ops,
            })
            .await
    }

    /// The repository as a request would see it now (its row records the head of `main`).
    async fn current(&self) -> Repo {
        self.engine
            .meta
            .repo(self.repo.id)
            .await
            .expect("db")
            .expect("repo")
    }

    async fn head(&self) -> ObjectId {
        self.engine
            .resolve(&self.current().await, "main")
            .await
            .expect("main")
            .commit
    }

    async fn paths(&self, recursive: bool) -> Vec<String> {
        let head = self.head().await;
        self.engine
            .list(&head, "", recursive)
            .await
            .expect("list")
            .iter()
            .map(|e| e.path().to_owned())
            .collect()
    }
}

#[tokio::test]
async fn a_new_repository_has_one_commit_with_gitattributes() {
    let f = fixture().await;
    assert_eq!(f.paths(true).await, [".gitattributes"]);
    let (history, more) = f
        .engine
        .history(f.repo.id, &f.head().await, 0, 10)
        .await
        .expect("history");
    assert_eq!(history.len(), 1);
    assert!(!more);
    assert_eq!(history[0].title, "initial commit");
}

#[tokio::test]
async fn tree_ids_are_the_ids_real_git_computes() {
    let f = fixture().await;
    f.commit(
        vec![
            put("README.md", "# hi\n"),
            put("a/b/c.txt", "deep\n"),
            put("a/z.txt", "z\n"),
            put("a-b.txt", "x\n"),
        ],
        None,
    )
    .await
    .expect("commit");
    let head = f.head().await;
    let ours = f.engine.commit_object(&head).await.expect("commit").tree;

    let work = tempfile::tempdir().expect("tmp");
    let git = |args: &[&str]| {
        let out = Command::new("git")
            .args(args)
            .current_dir(work.path())
            .output()
            .expect("git runs");
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    };
    git(&["init", "-q"]);
    for e in f.engine.list(&head, "", true).await.expect("list").iter() {
        if let Entry::File(file) = e {
            let p = work.path().join(&file.path);
            std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
            std::fs::write(&p, f.engine.object(&file.oid).await.expect("blob")).expect("write");
        }
    }
    git(&["add", "-A"]);
    assert_eq!(git(&["write-tree"]), ours.hex());
}

#[tokio::test]
async fn listing_is_recursive_only_when_asked_and_unknown_folders_are_not_found() {
    let f = fixture().await;
    f.commit(
        vec![
            put("a/b/c.txt", "1"),
            put("a/d.txt", "2"),
            put("e.txt", "3"),
        ],
        None,
    )
    .await
    .expect("commit");
    assert_eq!(f.paths(false).await, [".gitattributes", "a", "e.txt"]);
    assert_eq!(
        f.paths(true).await,
        [
            ".gitattributes",
            "a",
            "a/b",
            "a/b/c.txt",
            "a/d.txt",
            "e.txt"
        ]
    );
    let head = f.head().await;
    assert!(matches!(
        f.engine.list(&head, "nope", false).await,
        Err(Error::EntryNotFound(_))
    ));
    assert!(matches!(
        f.engine.list(&head, "e.txt", false).await,
        Err(Error::EntryNotFound(_))
    ));
}

#[tokio::test]
async fn deletions_remove_files_and_emptied_folders() {
    let f = fixture().await;
    f.commit(
        vec![
            put("logs/a.txt", "1"),
            put("logs/sub/b.txt", "2"),
            put("keep/c.txt", "3"),
        ],
        None,
    )
    .await
    .expect("commit");
    f.commit(
        vec![
            Op::DeleteFile {
                path: "keep/c.txt".into(),
            },
            Op::DeleteFolder {
                path: "logs/".into(),
            },
        ],
        None,
    )
    .await
    .expect("delete");
    assert_eq!(f.paths(true).await, [".gitattributes"]);
    let missing = f
        .commit(
            vec![Op::DeleteFile {
                path: "keep/c.txt".into(),
            }],
            None,
        )
        .await;
    assert!(
        matches!(missing, Err(Error::EntryNotFound(_))),
        "{missing:?}"
    );
}

#[tokio::test]
async fn a_stale_parent_is_refused_and_changes_nothing() {
    let f = fixture().await;
    let first = f.head().await;
    f.commit(vec![put("a.txt", "1")], Some(first.hex()))
        .await
        .expect("first on parent");
    let second = f.commit(vec![put("b.txt", "2")], Some(first.hex())).await;
    assert!(matches!(second, Err(Error::Stale)));
    assert_eq!(f.paths(true).await, [".gitattributes", "a.txt"]);
}

#[tokio::test]
async fn concurrent_commits_on_one_parent_get_exactly_one_success() {
    let f = Arc::new(fixture().await);
    let parent = f.head().await.hex();
    let tasks: Vec<_> = (0..8)
        .map(|i| {
            let f = f.clone();
            let parent = parent.clone();
            tokio::spawn(async move {
                f.commit(vec![put(&format!("f{i}.txt"), "x")], Some(parent))
                    .await
            })
        })
        .collect();
    let mut ok = 0;
    for t in tasks {
        match t.await.expect("join") {
            Ok(_) => ok += 1,
            Err(Error::Stale) => {}
            Err(e) => panic!("unexpected {e}"),
        }
    }
    assert_eq!(ok, 1);
    assert_eq!(f.paths(true).await.len(), 2);
}

#[tokio::test]
async fn concurrent_commits_without_parent_all_land() {
    let f = Arc::new(fixture().await);
    let tasks: Vec<_> = (0..8)
        .map(|i| {
            let f = f.clone();
            tokio::spawn(async move { f.commit(vec![put(&format!("f{i}.txt"), "x")], None).await })
        })
        .collect();
    for t in tasks {
        t.await.expect("join").expect("commit");
    }
    assert_eq!(f.paths(true).await.len(), 9);
    let (history, _) = f
        .engine
        .history(f.repo.id, &f.head().await, 0, 100)
        .await
        .expect("history");
    assert_eq!(history.len(), 9);
}

#[tokio::test]
async fn revisions_resolve_by_branch_tag_full_and_short_id_only_within_the_repo() {
    let f = fixture().await;
    let out = f
        .commit(vec![put("a.txt", "1")], None)
        .await
        .expect("commit");
    let sha = out.commit.hex();
    assert!(
        f.engine
            .set_ref(&f.repo, "refs/tags/v1", None, &out.commit)
            .await
            .expect("tag")
    );
    let repo = f.current().await;
    for rev in [
        sha.as_str(),
        &sha[..7],
        &sha.to_uppercase(),
        "v1",
        "main",
        "refs/heads/main",
        "refs/tags/v1",
    ] {
        assert_eq!(
            f.engine.resolve(&repo, rev).await.expect(rev).commit,
            out.commit,
            "{rev}"
        );
    }
    for rev in ["nope", "refs/heads/nope", &"0".repeat(40), "", "refs/pr/1"] {
        assert!(
            matches!(
                f.engine.resolve(&f.repo, rev).await,
                Err(Error::RevisionNotFound(_))
            ),
            "{rev}"
        );
    }
}

#[tokio::test]
async fn lfs_files_need_an_uploaded_object_of_the_right_size() {
    let f = fixture().await;
    let oid = "ab".repeat(32);
    let lfs = |size| Op::PutLfs {
        path: "model.bin".into(),
        oid: oid.clone(),
        size,
    };
    assert!(matches!(
        f.commit(vec![lfs(Some(5))], None).await,
        Err(Error::BadRequest(_))
    ));
    f.engine
        .meta
        .link_lfs(f.repo.id, &oid, 5)
        .await
        .expect("link");
    assert!(matches!(
        f.commit(vec![lfs(Some(6))], None).await,
        Err(Error::BadRequest(_))
    ));
    f.commit(vec![lfs(Some(5))], None).await.expect("commit");
    let Some(Entry::File(file)) = f
        .engine
        .entry(&f.head().await, "model.bin")
        .await
        .expect("entry")
    else {
        panic!("no file")
    };
    assert_eq!(file.size, 5);
    assert_eq!(file.etag(), oid);
    // A copy names the object without its size.
    f.commit(
        vec![Op::PutLfs {
            path: "copy.bin".into(),
            oid: oid.clone(),
            size: None,
        }],
        None,
    )
    .await
    .expect("copy");
}

#[tokio::test]
async fn a_smuggled_pointer_to_a_foreign_object_is_refused() {
    let f = fixture().await;
    let pointer = Pointer {
        oid: "cd".repeat(32),
        size: 10,
    }
    .encode();
    assert!(matches!(
        f.commit(vec![put("x.bin", &pointer)], None).await,
        Err(Error::BadRequest(_))
    ));
}

#[tokio::test]
async fn a_pull_request_gets_its_own_ref_and_leaves_main_alone() {
    let f = fixture().await;
    let before = f.head().await;
    let out = f
        .engine
        .commit(CommitRequest {
            repo: f.repo.clone(),
            revision: "main".into(),
            create_pr: true,
            parent: None,
            summary: "proposal".into(),
            description: String::new(),
            author: alice(),
            ops: vec![put("p.txt", "1")],
        })
        .await
        .expect("pr");
    assert_eq!(out.ref_name, "refs/pr/1");
    assert_eq!(out.pr_num, Some(1));
    assert_eq!(f.head().await, before);
    assert_eq!(
        f.engine
            .resolve(&f.repo, "refs/pr/1")
            .await
            .expect("pr ref")
            .commit,
        out.commit
    );
}

#[tokio::test]
async fn a_file_cannot_replace_a_folder_or_live_under_a_file() {
    let f = fixture().await;
    f.commit(vec![put("a/b.txt", "1")], None)
        .await
        .expect("commit");
    assert!(matches!(
        f.commit(vec![put("a", "x")], None).await,
        Err(Error::BadRequest(_))
    ));
    assert!(matches!(
        f.commit(vec![put("a/b.txt/c", "x")], None).await,
        Err(Error::BadRequest(_))
    ));
    assert!(matches!(
        f.commit(vec![put("../x", "x")], None).await,
        Err(Error::InvalidPath(_))
    ));
}

#[tokio::test]
async fn the_card_of_main_feeds_the_listing_summary() {
    let f = fixture().await;
    f.commit(
        vec![put(
            "README.md",
            "---\nlicense: mit\ntags: [demo]\n---\n# Model\n",
        )],
        None,
    )
    .await
    .expect("commit");
    let repo = f
        .engine
        .meta
        .repo(f.repo.id)
        .await
        .expect("db")
        .expect("repo");
    assert_eq!(repo.tags, ["demo", "license:mit"]);
    assert!(
        repo.card_data
            .as_deref()
            .is_some_and(|c| c.contains("\"license\":\"mit\""))
    );
}

#[tokio::test]
async fn last_commits_name_the_commit_that_changed_each_path() {
    let f = fixture().await;
    let c1 = f
        .commit(vec![put("a.txt", "1"), put("b.txt", "1")], None)
        .await
        .expect("c1")
        .commit;
    let c2 = f
        .commit(vec![put("b.txt", "2")], None)
        .await
        .expect("c2")
        .commit;
    let last = f
        .engine
        .last_commits(&c2, &["a.txt".into(), "b.txt".into()])
        .await
        .expect("last");
    assert_eq!(last["a.txt"], c1);
    assert_eq!(last["b.txt"], c2);
}
