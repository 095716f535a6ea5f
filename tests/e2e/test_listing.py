"""Listing with `huggingface_hub`: files, tree (recursive, expanded, paginated), paths-info, refs
and commits."""

import hashlib

import pytest
from huggingface_hub import CommitOperationAdd, RepoFile, RepoFolder
from huggingface_hub.errors import EntryNotFoundError, RepositoryNotFoundError, RevisionNotFoundError


def git_blob_id(content: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(content) + content).hexdigest()


def test_list_repo_files(api, model_with_files):
    repo_id, files = model_with_files
    assert sorted(api.list_repo_files(repo_id)) == sorted(set(files) | {".gitattributes"})


def test_list_repo_tree_top_level(api, model_with_files):
    repo_id, files = model_with_files
    entries = {e.path: e for e in api.list_repo_tree(repo_id)}
    assert set(entries) == {".gitattributes", "README.md", "config.json", "weights.bin", "data"}
    assert isinstance(entries["data"], RepoFolder)
    cfg = entries["config.json"]
    assert isinstance(cfg, RepoFile)
    assert cfg.size == len(files["config.json"])
    assert cfg.blob_id == git_blob_id(files["config.json"]), "a file's oid is its git blob id"
    assert cfg.lfs is None
    w = entries["weights.bin"]
    assert w.size == len(files["weights.bin"])
    assert w.lfs.sha256 == hashlib.sha256(files["weights.bin"]).hexdigest()
    assert w.lfs.size == len(files["weights.bin"])
    assert w.lfs.pointer_size > 0


def test_list_repo_tree_recursive_and_in_a_folder(api, model_with_files):
    repo_id, _ = model_with_files
    everything = {e.path: type(e) for e in api.list_repo_tree(repo_id, recursive=True)}
    assert everything == {
        ".gitattributes": RepoFile,
        "README.md": RepoFile,
        "config.json": RepoFile,
        "weights.bin": RepoFile,
        "data": RepoFolder,
        "data/a.txt": RepoFile,
        "data/b.txt": RepoFile,
        "data/nested": RepoFolder,
        "data/nested/c.txt": RepoFile,
    }
    assert sorted(e.path for e in api.list_repo_tree(repo_id, path_in_repo="data")) == ["data/a.txt", "data/b.txt", "data/nested"]
    assert [e.path for e in api.list_repo_tree(repo_id, path_in_repo="data/nested")] == ["data/nested/c.txt"]
    with pytest.raises(EntryNotFoundError):
        list(api.list_repo_tree(repo_id, path_in_repo="no-such-dir"))


def test_list_repo_tree_expanded_has_last_commit(api, model_with_files):
    repo_id, _ = model_with_files
    later = api.upload_file(path_or_fileobj=b"changed", path_in_repo="data/b.txt", repo_id=repo_id, commit_message="Change b")
    tree_commit = api.list_repo_commits(repo_id)[1]
    entries = {e.path: e for e in api.list_repo_tree(repo_id, recursive=True, expand=True)}
    assert entries["data/b.txt"].last_commit.oid == later.oid
    assert entries["data/b.txt"].last_commit.title == "Change b"
    assert entries["data/a.txt"].last_commit.oid == tree_commit.commit_id
    assert entries["data/a.txt"].last_commit.title == "Add the tree"
    assert entries["data"].last_commit.oid == later.oid
    assert entries["data/a.txt"].last_commit.date is not None


def test_list_repo_tree_at_revision_and_errors(api, model_with_files):
    repo_id, _ = model_with_files
    first = api.list_repo_commits(repo_id)[-1].commit_id
    assert [e.path for e in api.list_repo_tree(repo_id, revision=first)] == [".gitattributes"]
    with pytest.raises(RevisionNotFoundError):
        list(api.list_repo_tree(repo_id, revision="nope"))
    with pytest.raises(RepositoryNotFoundError):
        list(api.list_repo_tree("alice/does-not-exist-at-all"))


def test_list_repo_tree_paginates_over_many_files(hub, new_repo, api, raw):
    repo_id = new_repo("many")
    n = 1100
    api.create_commit(
        repo_id,
        operations=[CommitOperationAdd(f"shards/f{i:05d}.txt", str(i).encode()) for i in range(n)],
        commit_message="many files",
    )
    listed = [e.path for e in api.list_repo_tree(repo_id, path_in_repo="shards")]
    assert len(listed) == n and len(set(listed)) == n
    assert sorted(listed) == [f"shards/f{i:05d}.txt" for i in range(n)]
    assert len(api.list_repo_files(repo_id)) == n + 1
    expanded = list(api.list_repo_tree(repo_id, path_in_repo="shards", expand=True))
    assert len(expanded) == n and all(e.last_commit is not None for e in expanded)
    # The first page of the raw listing is a page, with a link to the next.
    res = raw.get(f"/api/models/{repo_id}/tree/main/shards")
    assert res.status == 200
    assert 0 < len(res.json()) <= 1000
    assert 'rel="next"' in (res.header("Link") or "")


def test_get_paths_info(api, model_with_files):
    repo_id, files = model_with_files
    infos = {e.path: e for e in api.get_paths_info(repo_id, ["config.json", "data", "weights.bin", "missing.txt", "data/nested/c.txt"])}
    assert set(infos) == {"config.json", "data", "weights.bin", "data/nested/c.txt"}, "unknown paths are left out"
    assert isinstance(infos["data"], RepoFolder)
    assert infos["config.json"].size == len(files["config.json"])
    assert infos["config.json"].blob_id == git_blob_id(files["config.json"])
    assert infos["weights.bin"].lfs.sha256 == hashlib.sha256(files["weights.bin"]).hexdigest()
    expanded = api.get_paths_info(repo_id, ["config.json"], expand=True)
    assert expanded[0].last_commit.title == "Add the tree"
    first = api.list_repo_commits(repo_id)[-1].commit_id
    assert api.get_paths_info(repo_id, ["config.json"], revision=first) == []


def test_list_repo_refs(new_repo, api):
    repo_id = new_repo("refs")
    head = api.model_info(repo_id).sha
    api.create_branch(repo_id, branch="dev")
    api.create_tag(repo_id, tag="v1.0", tag_message="first release")
    pr = api.upload_file(path_or_fileobj=b"pr", path_in_repo="pr.txt", repo_id=repo_id, create_pr=True)
    refs = api.list_repo_refs(repo_id)
    assert {(b.name, b.ref, b.target_commit) for b in refs.branches} == {("main", "refs/heads/main", head), ("dev", "refs/heads/dev", head)}
    assert [(t.name, t.ref, t.target_commit) for t in refs.tags] == [("v1.0", "refs/tags/v1.0", head)]
    assert refs.converts == []
    assert refs.pull_requests is None
    with_prs = api.list_repo_refs(repo_id, include_pull_requests=True)
    assert [(p.name, p.ref, p.target_commit) for p in with_prs.pull_requests] == [("1", "refs/pr/1", pr.oid)]


def test_list_repo_commits(new_repo, api):
    repo_id = new_repo("log")
    a = api.upload_file(path_or_fileobj=b"a", path_in_repo="a.txt", repo_id=repo_id, commit_message="Add **a**", commit_description="Details of a")
    b = api.upload_file(path_or_fileobj=b"b", path_in_repo="b.txt", repo_id=repo_id, commit_message="Add b")
    log = api.list_repo_commits(repo_id)
    assert [c.commit_id for c in log[:2]] == [b.oid, a.oid]
    assert len(log) == 3, "the initial commit, then a and b"
    assert [c.title for c in log[:2]] == ["Add b", "Add **a**"]
    assert "Details of a" in log[1].message
    assert all(c.authors == ["alice"] for c in log)
    assert log[0].created_at >= log[1].created_at >= log[2].created_at
    formatted = api.list_repo_commits(repo_id, formatted=True)
    assert formatted[1].formatted_title is not None and "a" in formatted[1].formatted_title
    assert formatted[1].formatted_message is not None
    assert [c.commit_id for c in api.list_repo_commits(repo_id, revision=a.oid)] == [c.commit_id for c in log[1:]]
    with pytest.raises(RevisionNotFoundError):
        api.list_repo_commits(repo_id, revision="no-such-branch")
    with pytest.raises(RepositoryNotFoundError):
        api.list_repo_commits("alice/not-a-repo-here")


def test_list_repo_commits_returns_the_whole_history(new_repo, api):
    repo_id = new_repo("long-log")
    oids = [api.upload_file(path_or_fileobj=str(i).encode(), path_in_repo="counter.txt", repo_id=repo_id).oid for i in range(60)]
    log = [c.commit_id for c in api.list_repo_commits(repo_id)]
    assert log[:60] == list(reversed(oids))
    assert len(log) == 61
