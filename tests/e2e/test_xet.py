"""Xet: stock `huggingface_hub` with `hf_xet` enabled (as `pip install huggingface_hub` leaves it)
uploads and downloads large files through the hub's own CAS. Runs in the Xet pass of the suite
(AGORA_E2E_XET=1, see conftest.py); every other test of the suite runs in that pass too.

What the tests assert is what a user sees, plus proof of the path taken: the hub's log records
each xorb it stored, each file it verified and each reconstruction it served, and the client's
own LFS batch call is spied on.
"""

import hashlib
import os
import re

import httpx2 as httpx
import pytest
from huggingface_hub import hf_hub_download, snapshot_download
from huggingface_hub.errors import HfHubHTTPError

from conftest import opaque

pytestmark = pytest.mark.xet_only


def read(path) -> bytes:
    with open(path, "rb") as f:
        return f.read()


def sha256(b: bytes) -> str:
    return hashlib.sha256(b).hexdigest()


@pytest.fixture
def no_lfs_batch(monkeypatch):
    """Fails the test if the client calls the LFS batch API."""
    import huggingface_hub._commit_api as commit_api

    calls = []
    real = commit_api.post_lfs_batch_info
    monkeypatch.setattr(commit_api, "post_lfs_batch_info", lambda *a, **kw: calls.append(kw) or real(*a, **kw))
    yield calls
    assert calls == [], "the LFS batch API was called"


@pytest.fixture
def xet_downloads(monkeypatch):
    """Counts downloads that go through hf_xet."""
    import huggingface_hub.file_download as fd

    calls = []
    real = fd.xet_get
    monkeypatch.setattr(fd, "xet_get", lambda *a, **kw: calls.append(kw) or real(*a, **kw))
    return calls


def test_upload_folder_goes_through_xet_and_downloads_come_back_through_it(
    hub, new_repo, api, tmp_path, no_lfs_batch, xet_downloads
):
    repo_id = new_repo("xet-folder")
    root = tmp_path / "model"
    (root / "sub").mkdir(parents=True)
    files = {
        "model.safetensors": opaque(3 << 20),
        "sub/weights.bin": opaque(700_000) + bytes(300_000),
        "config.json": b'{"model_type": "bert"}\n',
    }
    for p, b in files.items():
        (root / p).write_bytes(b)
    start = hub.log_size()
    api.upload_folder(folder_path=str(root), repo_id=repo_id)
    log = hub.log_since(start)
    assert "xorb stored" in log and log.count("Xet file registered") == 2, "the two LFS files went through the CAS"
    assert "LFS object stored" not in log

    infos = {e.path: e for e in api.get_paths_info(repo_id, list(files))}
    for p in ("model.safetensors", "sub/weights.bin"):
        assert infos[p].lfs.sha256 == sha256(files[p]) and infos[p].size == len(files[p])
        assert re.fullmatch(r"[0-9a-f]{64}", infos[p].xet_hash or ""), "paths-info advertises the Xet hash"
    assert infos["config.json"].lfs is None and infos["config.json"].xet_hash is None

    start = hub.log_size()
    got = hf_hub_download(repo_id, "sub/weights.bin")
    assert read(got) == files["sub/weights.bin"]
    assert len(xet_downloads) == 1 and "Xet reconstruction served" in hub.log_since(start)
    snap = snapshot_download(repo_id)
    for p, b in files.items():
        assert read(os.path.join(snap, p)) == b


def test_xet_files_download_over_plain_http_too(hub, new_repo, api, monkeypatch, xet_downloads):
    repo_id = new_repo("xet-http")
    data = opaque(1_500_000)
    api.upload_file(path_or_fileobj=data, path_in_repo="w.bin", repo_id=repo_id)
    url = f"{hub.url}/{repo_id}/resolve/main/w.bin"

    head = httpx.head(url)
    assert head.status_code == 200
    (entry,) = api.get_paths_info(repo_id, ["w.bin"])
    assert head.headers["x-xet-hash"] == entry.xet_hash
    assert 'rel="xet-auth"' in head.headers["link"] and "/xet-read-token/" in head.headers["link"]
    assert head.headers["etag"].strip('"') == sha256(data)

    r = httpx.get(url)
    assert r.status_code == 200 and r.content == data
    r = httpx.get(url, headers={"Range": "bytes=65530-1400000"})
    assert r.status_code == 206 and r.content == data[65530:1400001]
    assert r.headers["content-range"] == f"bytes 65530-1400000/{len(data)}"
    r = httpx.get(url, headers={"Range": f"bytes={len(data)}-"})
    assert r.status_code == 416

    # A client without Xet reads the same bytes over HTTP.
    import huggingface_hub.constants as c

    monkeypatch.setattr(c, "HF_HUB_DISABLE_XET", True)
    assert read(hf_hub_download(repo_id, "w.bin")) == data
    assert xet_downloads == []


def test_a_large_file_through_xet(hub, new_repo, api, tmp_path, no_lfs_batch):
    repo_id = new_repo("xet-large")
    size = 40 * 1024 * 1024 + 4321
    big = tmp_path / "big.bin"
    chunk = opaque(1 << 20)
    with open(big, "wb") as f:
        for i in range(size // len(chunk)):
            f.write(bytes([i % 251]) + chunk[1:])
        f.write(chunk[: size % len(chunk)])
    digest = sha256(big.read_bytes())
    info = api.upload_file(path_or_fileobj=str(big), path_in_repo="big.bin", repo_id=repo_id)
    (entry,) = api.get_paths_info(repo_id, ["big.bin"], revision=info.oid)
    assert entry.lfs.sha256 == digest and entry.size == size
    got = hf_hub_download(repo_id, "big.bin")
    assert os.path.getsize(got) == size and sha256(read(got)) == digest
    # The same bytes again: nothing to upload, no new commit.
    assert api.upload_file(path_or_fileobj=str(big), path_in_repo="big.bin", repo_id=repo_id).oid == info.oid


def test_the_scanner_sees_what_came_through_xet(hub, new_repo, api):
    repo_id = new_repo("xet-scan")
    evil = b"\x80\x02cposix\nsystem\nq\x00X\x06\x00\x00\x00whoamiq\x01\x85q\x02Rq\x03."
    with pytest.raises(HfHubHTTPError) as e:
        api.upload_file(path_or_fileobj=evil, path_in_repo="model.pkl", repo_id=repo_id)
    assert e.value.response.status_code == 422
    assert "model.pkl" in str(e.value)


def test_deduplication_stores_only_the_changed_chunks(hub, new_repo, api, tmp_path, no_lfs_batch):
    """Two versions of a 100 MB file that differ in 1 MB add about 1 MB of stored chunks."""
    repo_id = new_repo("xet-dedup")
    size, changed = 100 << 20, 1 << 20
    data = bytearray(b"\x00" + os.urandom(size - 1))
    (tmp_path / "v1.bin").write_bytes(data)
    data[size // 2 : size // 2 + changed] = os.urandom(changed)
    (tmp_path / "v2.bin").write_bytes(data)

    def usage():
        r = httpx.get(f"{hub.url}/api/models/{repo_id}/xet-storage", headers={"authorization": f"Bearer {hub.alice.token}"})
        assert r.status_code == 200
        return r.json()

    api.upload_file(path_or_fileobj=str(tmp_path / "v1.bin"), path_in_repo="w.bin", repo_id=repo_id)
    first = usage()
    assert first["files"] == 1 and 0.99 * size < first["storedBytes"] < 1.01 * size
    api.upload_file(path_or_fileobj=str(tmp_path / "v2.bin"), path_in_repo="w.bin", repo_id=repo_id)
    second = usage()
    added = second["storedBytes"] - first["storedBytes"]
    assert second["files"] == 2 and second["fileBytes"] == 2 * size
    assert changed <= added < 2 * changed, f"{added} bytes stored for a {changed}-byte change"
    assert read(hf_hub_download(repo_id, "w.bin")) == bytes(data)


def test_cross_repository_copies_of_xet_files(hub, new_repo, api, bob_api, no_lfs_batch):
    from huggingface_hub import CommitOperationCopy

    src = new_repo("xet-src")
    dst = new_repo("xet-dst")
    data = opaque(600_000)
    api.upload_file(path_or_fileobj=data, path_in_repo="w.bin", repo_id=src)
    api.create_commit(
        dst,
        operations=[CommitOperationCopy(src_path_in_repo="w.bin", path_in_repo="copy/w.bin", src_repo_id=src, src_repo_type="model")],
        commit_message="copy across repositories",
    )
    assert read(hf_hub_download(dst, "copy/w.bin")) == data
    # bob cannot write to alice's repository, copy or not
    with pytest.raises(HfHubHTTPError):
        bob_api.create_commit(
            dst,
            operations=[CommitOperationCopy(src_path_in_repo="w.bin", path_in_repo="x.bin", src_repo_id=src, src_repo_type="model")],
            commit_message="no",
        )


def test_global_deduplication_serves_a_client_without_a_local_cache(hub, new_repo, api, tmp_path):
    """A second machine (here: a process with an empty Xet cache) uploading an edited file finds
    the unchanged chunks through the hub's deduplication API, whose answers hf_xet must parse."""
    import random
    import subprocess
    import sys

    repo_id = new_repo("xet-global-dedup")
    size = 100 << 20
    rng = random.Random(1)  # fixed bytes: which chunks the client may ask about is reproducible
    data = bytearray(b"\x00" + rng.randbytes(size - 1))
    (tmp_path / "v1.bin").write_bytes(data)
    data[size // 2 : size // 2 + (1 << 20)] = rng.randbytes(1 << 20)
    (tmp_path / "v2.bin").write_bytes(data)
    api.upload_file(path_or_fileobj=str(tmp_path / "v1.bin"), path_in_repo="w.bin", repo_id=repo_id)
    usage = lambda: httpx.get(f"{hub.url}/api/models/{repo_id}/xet-storage", headers={"authorization": f"Bearer {hub.alice.token}"}).json()
    before = usage()["storedBytes"]

    env = dict(os.environ, HF_HOME=str(tmp_path / "other-machine"))
    env.pop("HF_XET_CACHE", None)
    start = hub.log_size()
    code = (
        "import sys; from huggingface_hub import HfApi; "
        "HfApi(token=sys.argv[3]).upload_file(path_or_fileobj=sys.argv[1], path_in_repo='w.bin', repo_id=sys.argv[2])"
    )
    args = [sys.executable, "-c", code, str(tmp_path / "v2.bin"), repo_id, hub.alice.token]
    subprocess.run(args, env=env, check=True, timeout=240)
    added = usage()["storedBytes"] - before
    assert "Xet deduplication hit" in hub.log_since(start)
    assert added < size // 2, f"{added} bytes stored for a 1 MiB change without a local cache"
    assert sha256(read(hf_hub_download(repo_id, "w.bin"))) == sha256(bytes(data))
