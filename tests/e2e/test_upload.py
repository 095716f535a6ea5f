"""Uploading with `huggingface_hub`: upload_file (small and large), upload_folder, create_commit with
every operation kind, no-op commits, deletions, pull requests and the stale-parent 412."""

import hashlib
import io
import os

import pytest
from huggingface_hub import (
    CommitOperationAdd,
    CommitOperationCopy,
    CommitOperationDelete,
    hf_hub_download,
)
from huggingface_hub.errors import EntryNotFoundError, HfHubHTTPError
from conftest import opaque


def sha256(b: bytes) -> str:
    return hashlib.sha256(b).hexdigest()


def read(path) -> bytes:
    with open(path, "rb") as f:
        return f.read()


def head(api, repo_id, revision="main", repo_type=None) -> str:
    return api.repo_info(repo_id, revision=revision, repo_type=repo_type).sha


def files_at(api, repo_id, revision="main") -> set[str]:
    return set(api.list_repo_files(repo_id, revision=revision))


def test_upload_small_file_then_download_it(new_repo, api, tmp_path):
    repo_id = new_repo("small")
    src = tmp_path / "hello.txt"
    src.write_text("hello, agora\n")
    info = api.upload_file(path_or_fileobj=str(src), path_in_repo="docs/hello.txt", repo_id=repo_id, commit_message="Say hello")
    assert len(info.oid) == 40
    assert info.commit_url.endswith(f"/{repo_id}/commit/{info.oid}")
    assert head(api, repo_id) == info.oid
    assert api.list_repo_commits(repo_id)[0].title == "Say hello"
    assert read(hf_hub_download(repo_id, "docs/hello.txt")) == b"hello, agora\n"
    (entry,) = api.get_paths_info(repo_id, ["docs/hello.txt"])
    assert entry.size == len(b"hello, agora\n") and entry.lfs is None


def test_upload_from_file_objects_and_an_empty_file(new_repo, api):
    repo_id = new_repo("fileobj")
    api.upload_file(path_or_fileobj=io.BytesIO(b"from bytesio"), path_in_repo="a.txt", repo_id=repo_id)
    api.upload_file(path_or_fileobj=b"", path_in_repo="empty.txt", repo_id=repo_id)
    assert read(hf_hub_download(repo_id, "a.txt")) == b"from bytesio"
    assert read(hf_hub_download(repo_id, "empty.txt")) == b""


def test_upload_lfs_file_by_gitattributes_pattern(new_repo, api):
    repo_id = new_repo("lfs-small")
    data = b"\x00\x01tiny but binary" * 10
    api.upload_file(path_or_fileobj=data, path_in_repo="model.safetensors", repo_id=repo_id)
    (entry,) = api.get_paths_info(repo_id, ["model.safetensors"])
    assert entry.lfs is not None, "*.safetensors is an LFS pattern of the default .gitattributes"
    assert entry.lfs.sha256 == sha256(data) and entry.size == len(data)
    assert read(hf_hub_download(repo_id, "model.safetensors")) == data


@pytest.mark.lfs_only
def test_upload_large_file_goes_through_lfs_multipart(new_repo, api, tmp_path, monkeypatch):
    import huggingface_hub.lfs as lfs

    calls = []
    real = lfs._upload_multi_part
    monkeypatch.setattr(lfs, "_upload_multi_part", lambda *a, **kw: calls.append(kw.get("chunk_size")) or real(*a, **kw))

    repo_id = new_repo("large")
    size = 30 * 1024 * 1024 + 12345
    big = tmp_path / "big.bin"
    chunk = opaque(1 << 20)
    with open(big, "wb") as f:
        for i in range(size // len(chunk)):
            f.write(bytes([i % 251]) + chunk[1:])
        f.write(chunk[: size % len(chunk)])
    digest = hashlib.sha256(big.read_bytes()).hexdigest()

    info = api.upload_file(path_or_fileobj=str(big), path_in_repo="weights/big.bin", repo_id=repo_id)
    assert calls, "a file over 16 MiB is uploaded in parts"
    (entry,) = api.get_paths_info(repo_id, ["weights/big.bin"], revision=info.oid)
    assert entry.size == size
    assert entry.lfs.sha256 == digest and entry.lfs.size == size
    got = hf_hub_download(repo_id, "weights/big.bin")
    assert os.path.getsize(got) == size
    assert hashlib.sha256(read(got)).hexdigest() == digest
    # The client recognises the stored object: uploading the same bytes again is a no-op.
    again = api.upload_file(path_or_fileobj=str(big), path_in_repo="weights/big.bin", repo_id=repo_id)
    assert again.oid == info.oid


def test_upload_folder_honours_gitignore_and_patterns(new_repo, api, tmp_path):
    repo_id = new_repo("folder")
    root = tmp_path / "project"
    (root / "src").mkdir(parents=True)
    (root / "logs").mkdir()
    (root / "checkpoints").mkdir()
    (root / ".gitignore").write_text("*.log\nlogs/\n")
    (root / "README.md").write_text("# project\n")
    (root / "src" / "main.py").write_text("print('hi')\n")
    (root / "src" / "debug.log").write_text("noise\n")
    (root / "logs" / "run.txt").write_text("noise\n")
    (root / "checkpoints" / "step1.bin").write_bytes(b"\x00" * 100)
    (root / "notes.tmp").write_text("scratch\n")

    info = api.upload_folder(folder_path=str(root), repo_id=repo_id, ignore_patterns=["*.tmp"])
    assert files_at(api, repo_id) == {
        ".gitattributes",
        ".gitignore",
        "README.md",
        "src/main.py",
        "checkpoints/step1.bin",
    }
    assert info.oid == head(api, repo_id)

    # allow_patterns restricts what is sent; path_in_repo places it
    api.upload_folder(folder_path=str(root), repo_id=repo_id, path_in_repo="copy", allow_patterns=["src/*.py", "*.md"])
    assert {f for f in files_at(api, repo_id) if f.startswith("copy/")} == {"copy/src/main.py", "copy/README.md"}

    # delete_patterns removes remote files that match and are not re-uploaded
    api.upload_folder(folder_path=str(root), repo_id=repo_id, path_in_repo="copy", allow_patterns=["src/*.py"], delete_patterns=["*.md"])
    assert {f for f in files_at(api, repo_id) if f.startswith("copy/")} == {"copy/src/main.py"}
    assert "README.md" in files_at(api, repo_id), "delete_patterns apply under path_in_repo only"


def test_upload_folder_gitignore_already_in_the_repo(new_repo, api, tmp_path):
    repo_id = new_repo("folder-ignore")
    api.upload_file(path_or_fileobj=b"*.secret\n", path_in_repo=".gitignore", repo_id=repo_id)
    root = tmp_path / "p"
    root.mkdir()
    (root / "keep.txt").write_text("keep")
    (root / "key.secret").write_text("do not upload")
    api.upload_folder(folder_path=str(root), repo_id=repo_id)
    assert files_at(api, repo_id) == {".gitattributes", ".gitignore", "keep.txt"}


def test_create_commit_with_every_operation_kind(new_repo, api):
    repo_id = new_repo("ops")
    lfs_bytes = opaque(4096)
    first = api.create_commit(
        repo_id,
        operations=[
            CommitOperationAdd("keep.txt", b"kept"),
            CommitOperationAdd("gone.txt", b"to be deleted"),
            CommitOperationAdd("old/one.txt", b"1"),
            CommitOperationAdd("old/sub/two.txt", b"2"),
            CommitOperationAdd("blob.bin", lfs_bytes),
        ],
        commit_message="Initial files",
        commit_description="Several files at once",
    )
    (entry,) = api.get_paths_info(repo_id, ["blob.bin"])
    assert entry.lfs is not None and entry.lfs.sha256 == sha256(lfs_bytes)

    second = api.create_commit(
        repo_id,
        operations=[
            CommitOperationAdd("new.txt", b"regular addition"),
            CommitOperationAdd("new.safetensors", b"lfs addition" * 50),
            CommitOperationDelete("gone.txt"),
            CommitOperationDelete("old/"),
            CommitOperationCopy("keep.txt", "copies/keep.txt"),
            CommitOperationCopy("blob.bin", "copies/blob.bin"),
            CommitOperationCopy("keep.txt", "copies/keep-from-first.txt", src_revision=first.oid),
        ],
        commit_message="Every kind of operation",
    )
    assert files_at(api, repo_id) == {
        ".gitattributes",
        "keep.txt",
        "blob.bin",
        "new.txt",
        "new.safetensors",
        "copies/keep.txt",
        "copies/blob.bin",
        "copies/keep-from-first.txt",
    }
    assert read(hf_hub_download(repo_id, "copies/keep.txt")) == b"kept"
    assert read(hf_hub_download(repo_id, "copies/blob.bin")) == lfs_bytes
    assert read(hf_hub_download(repo_id, "new.safetensors")) == b"lfs addition" * 50
    copied = {e.path: e for e in api.get_paths_info(repo_id, ["blob.bin", "copies/blob.bin"])}
    assert copied["copies/blob.bin"].lfs.sha256 == copied["blob.bin"].lfs.sha256
    # The first commit is unchanged
    assert files_at(api, repo_id, first.oid) == {".gitattributes", "keep.txt", "gone.txt", "old/one.txt", "old/sub/two.txt", "blob.bin"}
    log = api.list_repo_commits(repo_id)
    assert [c.commit_id for c in log[:2]] == [second.oid, first.oid]
    assert log[1].message.strip().endswith("Several files at once")


def test_commit_to_a_branch_leaves_main_alone(new_repo, api):
    repo_id = new_repo("branch-commit")
    main_before = head(api, repo_id)
    api.create_branch(repo_id, branch="dev")
    info = api.upload_file(path_or_fileobj=b"dev only", path_in_repo="dev.txt", repo_id=repo_id, revision="dev")
    assert head(api, repo_id, "dev") == info.oid
    assert head(api, repo_id) == main_before
    assert "dev.txt" not in files_at(api, repo_id)
    assert read(hf_hub_download(repo_id, "dev.txt", revision="dev")) == b"dev only"


def test_uploading_identical_content_creates_no_commit(new_repo, api, tmp_path):
    repo_id = new_repo("noop")
    first = api.upload_file(path_or_fileobj=b"same", path_in_repo="same.txt", repo_id=repo_id)
    n = len(api.list_repo_commits(repo_id))
    second = api.upload_file(path_or_fileobj=b"same", path_in_repo="same.txt", repo_id=repo_id)
    assert second.oid == first.oid
    lfs = opaque(2000)
    third = api.upload_file(path_or_fileobj=lfs, path_in_repo="w.bin", repo_id=repo_id)
    assert api.upload_file(path_or_fileobj=lfs, path_in_repo="w.bin", repo_id=repo_id).oid == third.oid
    # a folder upload of unchanged content is a no-op too
    root = tmp_path / "f"
    root.mkdir()
    (root / "same.txt").write_bytes(b"same")
    (root / "w.bin").write_bytes(lfs)
    assert api.upload_folder(folder_path=str(root), repo_id=repo_id).oid == third.oid
    assert len(api.list_repo_commits(repo_id)) == n + 1
    # ...while a change is committed
    fourth = api.upload_file(path_or_fileobj=b"changed", path_in_repo="same.txt", repo_id=repo_id)
    assert fourth.oid != third.oid and len(api.list_repo_commits(repo_id)) == n + 2


def test_delete_file_and_folder(new_repo, api):
    repo_id = new_repo("delete")
    api.create_commit(
        repo_id,
        operations=[CommitOperationAdd(p, p.encode()) for p in ["a.txt", "dir/b.txt", "dir/sub/c.txt", "other/d.txt"]],
        commit_message="files",
    )
    api.delete_file("a.txt", repo_id)
    assert "a.txt" not in files_at(api, repo_id)
    api.delete_folder("dir", repo_id)
    assert files_at(api, repo_id) == {".gitattributes", "other/d.txt"}
    with pytest.raises(EntryNotFoundError):
        hf_hub_download(repo_id, "dir/b.txt")
    n = len(api.list_repo_commits(repo_id))
    with pytest.raises(HfHubHTTPError) as e:
        api.delete_file("never-existed.txt", repo_id)
    assert e.value.response.status_code == 404
    with pytest.raises(HfHubHTTPError):
        api.delete_folder("no-such-folder", repo_id)
    assert len(api.list_repo_commits(repo_id)) == n


def test_stale_parent_commit_is_refused_with_412(new_repo, api):
    repo_id = new_repo("stale")
    parent = head(api, repo_id)
    api.upload_file(path_or_fileobj=b"x", path_in_repo="x.txt", repo_id=repo_id)
    now = head(api, repo_id)
    with pytest.raises(HfHubHTTPError) as e:
        api.create_commit(repo_id, operations=[CommitOperationAdd("y.txt", b"y")], commit_message="late", parent_commit=parent)
    assert e.value.response.status_code == 412
    assert head(api, repo_id) == now
    assert "y.txt" not in files_at(api, repo_id)
    # With the current head as parent it goes through
    ok = api.create_commit(repo_id, operations=[CommitOperationAdd("y.txt", b"y")], commit_message="on time", parent_commit=now)
    assert api.list_repo_commits(repo_id)[0].commit_id == ok.oid


def test_create_pr_opens_pull_requests_refs_pr_n(new_repo, api, bob_api):
    repo_id = new_repo("pr")
    main = head(api, repo_id)
    one = api.upload_file(path_or_fileobj=b"proposal 1", path_in_repo="p.txt", repo_id=repo_id, create_pr=True)
    assert one.pr_url.endswith(f"/{repo_id}/discussions/1")
    assert one.pr_revision == "refs/pr/1" and one.pr_num == 1
    assert head(api, repo_id) == main, "a pull request does not move main"
    assert head(api, repo_id, "refs/pr/1") == one.oid
    assert read(hf_hub_download(repo_id, "p.txt", revision="refs/pr/1")) == b"proposal 1"
    # Anyone who can read the repository may open one (bob cannot write to alice's repo)
    two = bob_api.create_commit(repo_id, operations=[CommitOperationAdd("q.txt", b"from bob")], commit_message="bob's idea", create_pr=True)
    assert two.pr_revision == "refs/pr/2"
    # More commits on an open pull request
    more = api.upload_file(path_or_fileobj=b"proposal 1, v2", path_in_repo="p.txt", repo_id=repo_id, revision="refs/pr/1")
    assert head(api, repo_id, "refs/pr/1") == more.oid
    prs = {r.ref: r.target_commit for r in api.list_repo_refs(repo_id, include_pull_requests=True).pull_requests}
    assert prs == {"refs/pr/1": more.oid, "refs/pr/2": two.oid}


def test_upload_readme_with_invalid_metadata_is_refused(new_repo, api):
    repo_id = new_repo("bad-card")
    with pytest.raises((ValueError, HfHubHTTPError)):
        api.upload_file(path_or_fileobj=b"---\nlicense: [unclosed\n---\n# x\n", path_in_repo="README.md", repo_id=repo_id)
    assert "README.md" not in files_at(api, repo_id)


def test_uploads_to_datasets(new_repo, api):
    repo_id = new_repo("ds-upload", repo_type="dataset")
    api.upload_file(path_or_fileobj=b"a,b\n1,2\n", path_in_repo="data.csv", repo_id=repo_id, repo_type="dataset")
    api.upload_file(path_or_fileobj=b"PAR1" + opaque(100), path_in_repo="x.parquet", repo_id=repo_id, repo_type="dataset")
    assert read(hf_hub_download(repo_id, "data.csv", repo_type="dataset")) == b"a,b\n1,2\n"
    (pq,) = api.get_paths_info(repo_id, ["x.parquet"], repo_type="dataset")
    assert pq.lfs is not None
