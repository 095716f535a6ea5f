"""Downloading with `huggingface_hub`: hf_hub_download, snapshot_download, revision pinning, the
local cache (offline use), HfFileSystem with ranged reads."""

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from huggingface_hub import CommitOperationAdd, HfFileSystem, hf_hub_download, snapshot_download
from huggingface_hub.errors import EntryNotFoundError, RepositoryNotFoundError, RevisionNotFoundError

from conftest import XET, opaque


def read(path) -> bytes:
    with open(path, "rb") as f:
        return f.read()


@pytest.fixture
def versioned_repo(new_repo, api):
    """A repository whose `v.txt` (and `w.bin`, LFS) differ at every revision:
    tag v1 and the first content commit -> "one"; main -> "two"; branch dev -> "three";
    refs/pr/1 -> "four"."""
    repo_id = new_repo("versions")

    def put(text, **kw):
        return api.create_commit(
            repo_id,
            operations=[CommitOperationAdd("v.txt", text.encode()), CommitOperationAdd("w.bin", (text * 300).encode())],
            commit_message=f"set {text}",
            **kw,
        )

    one = put("one")
    api.create_tag(repo_id, tag="v1")
    api.create_branch(repo_id, branch="dev")
    put("two")
    put("three", revision="dev")
    pr = put("four", create_pr=True)
    assert pr.pr_revision == "refs/pr/1"
    return repo_id, one.oid


def test_hf_hub_download_into_the_cache(hub, api, model_with_files, isolated_hf_home):
    repo_id, files = model_with_files
    path = Path(hf_hub_download(repo_id, "data/nested/c.txt"))
    assert path.read_bytes() == files["data/nested/c.txt"]
    sha = api.model_info(repo_id).sha
    # The standard cache layout: snapshots/<commit>/<path> pointing into blobs/
    assert path.parent.parent.parent.name == sha
    assert path.is_relative_to(isolated_hf_home / f"models--alice--{repo_id.split('/')[1]}")
    assert (isolated_hf_home / f"models--alice--{repo_id.split('/')[1]}" / "refs" / "main").read_text() == sha
    lfs = Path(hf_hub_download(repo_id, "weights.bin"))
    assert lfs.read_bytes() == files["weights.bin"]
    # the blob of an LFS file is named by its sha256; one that came through Xet, by the Xet hash
    # the hub advertised (huggingface_hub's shared blobs)
    (entry,) = api.get_paths_info(repo_id, ["weights.bin"])
    names = {hashlib.sha256(files["weights.bin"]).hexdigest()}
    if XET:
        assert entry.xet_hash, "a file uploaded through Xet has a xetHash"
        names.add(entry.xet_hash)
    assert lfs.resolve().name in names
    # a second call is served from the cache, same path
    assert Path(hf_hub_download(repo_id, "weights.bin")) == lfs


def test_hf_hub_download_to_a_local_dir(model_with_files, tmp_path):
    repo_id, files = model_with_files
    out = tmp_path / "out"
    p = hf_hub_download(repo_id, "data/a.txt", local_dir=out)
    assert Path(p) == out / "data" / "a.txt"
    assert read(p) == files["data/a.txt"]
    p = hf_hub_download(repo_id, "weights.bin", local_dir=out)
    assert read(p) == files["weights.bin"]


def test_download_errors_name_what_is_missing(model_with_files):
    repo_id, _ = model_with_files
    with pytest.raises(EntryNotFoundError):
        hf_hub_download(repo_id, "no/such/file.txt")
    with pytest.raises(RevisionNotFoundError):
        hf_hub_download(repo_id, "config.json", revision="no-such-branch")
    with pytest.raises(RepositoryNotFoundError):
        hf_hub_download("alice/no-such-repo-anywhere", "config.json")
    with pytest.raises(RepositoryNotFoundError):
        hf_hub_download("nobody-at-all/no-such-repo", "config.json")


@pytest.mark.parametrize(
    "revision, expected",
    [("main", "two"), ("v1", "one"), ("dev", "three"), ("refs/pr/1", "four"), ("FIRST_SHA", "one"), ("SHORT_SHA", "one")],
)
def test_revision_pinning(versioned_repo, api, revision, expected):
    repo_id, first = versioned_repo
    revision = {"FIRST_SHA": first, "SHORT_SHA": first[:7]}.get(revision, revision)
    assert read(hf_hub_download(repo_id, "v.txt", revision=revision)).decode() == expected
    assert read(hf_hub_download(repo_id, "w.bin", revision=revision)).decode() == expected * 300
    folder = Path(snapshot_download(repo_id, revision=revision))
    assert (folder / "v.txt").read_text() == expected
    assert (folder / "w.bin").read_text() == expected * 300
    # The snapshot is named by the full commit id the revision resolves to
    sha = api.model_info(repo_id, revision=revision).sha
    assert folder.name == sha and len(sha) == 40
    if revision in ("v1", first, first[:7]):
        assert sha == first


def test_snapshot_download_with_patterns_and_local_dir(model_with_files, tmp_path):
    repo_id, files = model_with_files
    def listing(folder):
        return sorted(str(p.relative_to(folder)) for p in Path(folder).rglob("*") if p.is_file() and ".cache" not in p.parts)

    assert listing(snapshot_download(repo_id, allow_patterns=["data/*"])) == ["data/a.txt", "data/b.txt", "data/nested/c.txt"]
    only = snapshot_download(repo_id, ignore_patterns=["data/*", "*.bin"], local_dir=tmp_path / "some")
    assert listing(only) == [".gitattributes", "README.md", "config.json"]
    out = Path(snapshot_download(repo_id, local_dir=tmp_path / "checkout"))
    for path, content in files.items():
        assert (out / path).read_bytes() == content


OFFLINE_SCRIPT = """
import json, sys
from pathlib import Path
from huggingface_hub import hf_hub_download, snapshot_download
repo_id, revision = sys.argv[1], sys.argv[2]
one = Path(hf_hub_download(repo_id, "v.txt", revision=revision)).read_text()
folder = Path(snapshot_download(repo_id, revision=revision))
print(json.dumps({"v": one, "w": (folder / "w.bin").read_text(), "snapshot": folder.name}))
"""


def test_second_download_works_offline_from_the_cache(versioned_repo, api, isolated_hf_home):
    repo_id, _ = versioned_repo
    for rev in ("main", "v1"):
        hf_hub_download(repo_id, "v.txt", revision=rev)
        snapshot_download(repo_id, revision=rev)
    # A new process, offline, with the hub unreachable: everything comes from the cache.
    env = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "HF_HUB_CACHE": str(isolated_hf_home),
        "HF_ENDPOINT": "http://127.0.0.1:9",
    }
    for rev, expected in (("main", "two"), ("v1", "one")):
        out = subprocess.run([sys.executable, "-c", OFFLINE_SCRIPT, repo_id, rev], env=env, capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, out.stderr
        got = json.loads(out.stdout.strip().splitlines()[-1])
        assert got == {"v": expected, "w": expected * 300, "snapshot": api.model_info(repo_id, revision=rev).sha}


def test_hf_file_system_lists_and_reads_with_ranges(hub, new_repo, api):
    repo_id = new_repo("fs")
    data = opaque(300_000)
    text = b"".join(b"line %05d\n" % i for i in range(5000))
    api.create_commit(
        repo_id,
        operations=[CommitOperationAdd("blobs/data.bin", data), CommitOperationAdd("blobs/text.txt", text), CommitOperationAdd("top.txt", b"top")],
        commit_message="fs files",
    )
    fs = HfFileSystem(endpoint=hub.url, token=hub.alice.token, skip_instance_cache=True)
    assert sorted(fs.ls(repo_id, detail=False)) == sorted([f"{repo_id}/.gitattributes", f"{repo_id}/blobs", f"{repo_id}/top.txt"])
    assert fs.info(f"{repo_id}/blobs/data.bin")["size"] == len(data)
    assert fs.info(f"{repo_id}/blobs")["type"] == "directory"
    assert sorted(fs.glob(f"{repo_id}/**/*.txt")) == [f"{repo_id}/blobs/text.txt", f"{repo_id}/top.txt"]
    assert fs.exists(f"{repo_id}/top.txt") and not fs.exists(f"{repo_id}/nope.txt")

    # open + seek + read: small blocks so every read is a ranged request
    for path, content in ((f"{repo_id}/blobs/data.bin", data), (f"{repo_id}/blobs/text.txt", text)):
        with fs.open(path, "rb", block_size=4096) as f:
            f.seek(123_456 % len(content))
            start = f.tell()
            assert f.read(10_000) == content[start : start + 10_000]
            f.seek(len(content) - 100)
            assert f.read(1000) == content[-100:], "a read past the end returns what is left"
            assert f.read(10) == b""
        # streaming mode reads in pieces, then hits the end
        with fs.open(path, "rb", block_size=0) as f:
            assert f.read(1000) == content[:1000]
            assert f.read() == content[1000:]
            assert f.read(10) == b""
    assert fs.cat_file(f"{repo_id}/blobs/data.bin", start=1000, end=1010) == data[1000:1010]
    assert fs.read_text(f"{repo_id}/top.txt") == "top"
    # a pinned revision in the path
    sha = api.model_info(repo_id).sha
    assert fs.cat_file(f"{repo_id}@{sha}/top.txt") == b"top"


def test_hf_file_system_writes_through_commits(hub, new_repo, api):
    repo_id = new_repo("fs-write")
    fs = HfFileSystem(endpoint=hub.url, token=hub.alice.token, skip_instance_cache=True)
    with fs.open(f"{repo_id}/written.txt", "wb") as f:
        f.write(b"written through fsspec")
    assert read(hf_hub_download(repo_id, "written.txt")) == b"written through fsspec"
    fs.rm(f"{repo_id}/written.txt")
    assert "written.txt" not in api.list_repo_files(repo_id)
