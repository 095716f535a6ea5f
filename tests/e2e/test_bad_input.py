"""Bad input against the raw HTTP API (stdlib HTTP, no Hub client to tidy things up): each gets a
clear 4xx in the Hub's error format (X-Error-Message, X-Error-Code where the Hub defines one,
X-Request-Id, a JSON {"error": ...} body), and nothing is committed or left visible."""

import base64
import hashlib
import json
import socket
import time
import urllib.parse

import pytest
from conftest import assert_hub_error, opaque


def b64(b: bytes) -> str:
    return base64.b64encode(b).decode()


def header_line(summary="bad input", **extra):
    return {"key": "header", "value": {"summary": summary, "description": "", **extra}}


def file_line(path, content=b"x"):
    return {"key": "file", "value": {"path": path, "content": b64(content), "encoding": "base64"}}


class RepoState:
    """What a user sees of a repository: its head and its files. Compared before and after."""

    def __init__(self, raw, repo_id, token, kind="models"):
        self.raw, self.repo_id, self.token, self.kind = raw, repo_id, token, kind

    def snapshot(self):
        info = self.raw.get(f"/api/{self.kind}/{self.repo_id}/revision/main", token=self.token)
        assert info.status == 200, info
        tree = self.raw.get(f"/api/{self.kind}/{self.repo_id}/tree/main?recursive=true", token=self.token)
        assert tree.status == 200, tree
        refs = self.raw.get(f"/api/{self.kind}/{self.repo_id}/refs?include_prs=1", token=self.token).json()
        return info.json()["sha"], sorted(e["path"] for e in tree.json()), json.dumps(refs, sort_keys=True)


@pytest.fixture
def target(hub, raw, new_repo, api):
    """A model repository with one file, and a way to check nothing changed."""
    repo_id = new_repo("victim")
    api.upload_file(path_or_fileobj=b"original", path_in_repo="keep.txt", repo_id=repo_id)
    state = RepoState(raw, repo_id, hub.alice.token)
    before = state.snapshot()

    class Target:
        id = repo_id

        @staticmethod
        def unchanged():
            assert state.snapshot() == before, "the repository changed"

    return Target


# ---------------------------------------------------------------------------------------------
# Repository names
# ---------------------------------------------------------------------------------------------

BAD_NAMES = [
    "with space",
    "dots..inside",
    "double--dash",
    "-leading-dash",
    "trailing-dash-",
    ".leading-dot",
    "trailing-dot.",
    "x" * 97,
    "semi;colon",
    "per%cent",
    "quote'",
    "emoji-\U0001f600",
    "back\\slash",
    "..",
    ".",
    "",
    "nul\x00byte",
    "new\nline",
]


@pytest.mark.parametrize("name", BAD_NAMES, ids=lambda n: repr(n)[:30])
def test_invalid_repo_names_are_refused(hub, raw, name):
    res = raw.post_json("/api/repos/create", {"name": name, "organization": None}, token=hub.alice.token)
    assert_hub_error(res, 400)
    # and nothing of that name exists
    listed = raw.get("/api/models?author=alice&limit=1000", token=hub.alice.token).json()
    assert f"alice/{name}" not in [m["id"] for m in listed]


@pytest.mark.parametrize("name", ["a/b", "../x", "a/../b"])
def test_names_with_extra_segments_are_refused(hub, raw, name):
    res = raw.post_json("/api/repos/create", {"name": name, "organization": "alice"}, token=hub.alice.token)
    assert_hub_error(res, (400, 403, 404))


def test_invalid_names_in_urls_are_client_errors(hub, raw):
    for path in (
        "/api/models/alice/..%2F..%2Fetc",
        "/api/models/alice/%00",
        "/api/models/..%2F../x",
        "/alice/..%2Fsecret/resolve/main/x.txt",
        "/api/models/alice/x/tree/main/..%2F..%2F..",
    ):
        res = raw.get(path, token=hub.alice.token)
        assert 400 <= res.status < 500, (path, res)
        assert res.header("X-Error-Message") and res.header("X-Request-Id"), (path, res)


# ---------------------------------------------------------------------------------------------
# Paths in commits
# ---------------------------------------------------------------------------------------------

BAD_PATHS = [
    "../escape.txt",
    "a/../../escape.txt",
    "a/../b.txt",
    "..",
    ".",
    "./a.txt",
    "/absolute.txt",
    "dir\\file.txt",
    "..\\escape.txt",
    "nul\x00byte.txt",
    ".git/config",
    "sub/.git/hooks/pre-commit",
    ".GIT/config",
    "a//b.txt",
    "trailing/",
    "",
]


@pytest.mark.parametrize("path", BAD_PATHS, ids=lambda p: repr(p))
def test_path_traversal_in_a_regular_file_is_refused(hub, raw, target, path):
    res = raw.commit(target.id, [header_line(), file_line(path)], token=hub.alice.token)
    assert_hub_error(res, 400)
    target.unchanged()


@pytest.mark.parametrize("path", ["../escape.bin", "/abs.bin", "a\\b.bin", ".git/objects/x", "nul\x00.bin"], ids=repr)
def test_path_traversal_in_lfs_delete_and_copy_lines_is_refused(hub, raw, target, path):
    oid = hashlib.sha256(b"never uploaded").hexdigest()
    for line in (
        {"key": "lfsFile", "value": {"path": path, "algo": "sha256", "oid": oid, "size": 14}},
        {"key": "deletedFile", "value": {"path": path}},
        {"key": "deletedFolder", "value": {"path": path}},
        {"key": "copyFile", "value": {"path": path, "srcPath": "keep.txt"}},
        {"key": "copyFile", "value": {"path": "copy.txt", "srcPath": path}},
    ):
        res = raw.commit(target.id, [header_line(), line], token=hub.alice.token)
        assert 400 <= res.status < 500, (line, res)
        assert res.header("X-Error-Message") and res.header("X-Request-Id"), res
    target.unchanged()


@pytest.mark.parametrize("path", ["../x.txt", "/x.txt", "a\\x.txt", ".git/x"], ids=repr)
def test_path_traversal_in_preupload_is_refused(hub, raw, target, path):
    res = raw.post_json(
        f"/api/models/{target.id}/preupload/main",
        {"files": [{"path": path, "sample": b64(b"x"), "size": 1}]},
        token=hub.alice.token,
    )
    assert_hub_error(res, 400)


# ---------------------------------------------------------------------------------------------
# Malformed NDJSON commits
# ---------------------------------------------------------------------------------------------

MALFORMED = {
    "unknown key": [header_line(), {"key": "bogus", "value": {"path": "x.txt"}}],
    "unknown field in a file": [header_line(), {"key": "file", "value": {"path": "x.txt", "content": b64(b"x"), "encoding": "base64", "mode": "755"}}],
    "unknown field in the header": [{"key": "header", "value": {"summary": "s", "description": "", "sneaky": True}}],
    "unknown top-level field": [header_line(), {"key": "file", "value": {"path": "x.txt", "content": b64(b"x")}, "extra": 1}],
    "bad base64": [header_line(), {"key": "file", "value": {"path": "x.txt", "content": "%%%not base64%%%", "encoding": "base64"}}],
    "truncated base64": [header_line(), {"key": "file", "value": {"path": "x.txt", "content": "aGVsbG8", "encoding": "base64"}}],
    "unknown encoding": [header_line(), {"key": "file", "value": {"path": "x.txt", "content": "x", "encoding": "rot13"}}],
    "no header": [file_line("x.txt")],
    "two headers": [header_line(), header_line(), file_line("x.txt")],
    "empty summary": [header_line(summary=""), file_line("x.txt")],
    "file without path": [header_line(), {"key": "file", "value": {"content": b64(b"x"), "encoding": "base64"}}],
    "value is not an object": [header_line(), {"key": "file", "value": "x.txt"}],
    "lfs oid not sha256": [header_line(), {"key": "lfsFile", "value": {"path": "x.bin", "algo": "sha256", "oid": "abc", "size": 1}}],
    "lfs oid never uploaded": [header_line(), {"key": "lfsFile", "value": {"path": "x.bin", "algo": "sha256", "oid": "a" * 64, "size": 10}}],
    "lfs algo not sha256": [header_line(), {"key": "lfsFile", "value": {"path": "x.bin", "algo": "md5", "oid": "a" * 64, "size": 10}}],
    "parent not a commit id": [header_line(parentCommit="main"), file_line("x.txt")],
    "copy of a missing file": [header_line(), {"key": "copyFile", "value": {"path": "c.txt", "srcPath": "missing.txt"}}],
    "valid line then garbage": [header_line(), file_line("x.txt"), "GARBAGE"],
}


@pytest.mark.parametrize("case", list(MALFORMED), ids=str)
def test_malformed_commit_is_refused(hub, raw, target, case):
    lines = MALFORMED[case]
    body = "\n".join(l if isinstance(l, str) else json.dumps(l) for l in lines).encode()
    res = raw.commit(target.id, body, token=hub.alice.token)
    assert 400 <= res.status < 500, res
    assert res.header("X-Error-Message") and res.header("X-Request-Id"), res
    target.unchanged()


def test_malformed_bodies_elsewhere(hub, raw, target):
    not_in_hub_format = []
    for *path, body in (
        ("/api/repos/create", b"{not json"),
        ("/api/repos/create", b'{"name": 42}'),
        (f"/api/models/{target.id}/preupload/main", b'{"files": "nope"}'),
        (f"/api/models/{target.id}/preupload/main", json.dumps({"files": [{"path": "x", "sample": "%%%", "size": 1}]}).encode()),
        (f"/{target.id}.git/info/lfs/objects/batch", b"[]"),
        (f"/api/models/{target.id}/branch/newbranch", b"{not json"),
        (f"/api/models/{target.id}/tag/main", b"{not json"),
        (f"/api/models/{target.id}/paths-info/main", b"%%%"),
        ("/api/repos/move", b"{}"),
        ("PUT", f"/api/models/{target.id}/settings", b"{bad"),
    ):
        method, path = path if len(path) == 2 else ("POST", path[0])
        res = raw.request(method, path, body=body, headers={"Content-Type": "application/json"}, token=hub.alice.token)
        assert 400 <= res.status < 500, (path, body, res)
        if not (res.header("X-Error-Message") and res.header("X-Request-Id") and "error" in json.loads(res.body or b"{}")):
            not_in_hub_format.append((method, path.replace(target.id, "{repo}"), body, res.status, res.body[:60]))
    target.unchanged()
    assert not not_in_hub_format, "errors without X-Error-Message / JSON {error}:\n" + "\n".join(map(repr, not_in_hub_format))


def test_oversized_headers_are_refused_cleanly(hub, raw):
    res = raw.get("/api/whoami-v2", headers={"Authorization": "Bearer " + "x" * 20000})
    assert 400 <= res.status < 500, res
    res = raw.get("/api/models", headers={"X-Junk": "y" * 100_000})
    assert 400 <= res.status < 500, res
    # the server is still fine
    assert raw.get("/api/whoami-v2", token=hub.alice.token).status == 200


def test_commit_without_or_with_a_bad_token(hub, raw, target):
    res = raw.commit(target.id, [header_line(), file_line("x.txt")], token=None)
    assert_hub_error(res, 401)
    res = raw.commit(target.id, [header_line(), file_line("x.txt")], token="hf_forged_token_0000000000000000")
    assert_hub_error(res, 401)
    res = raw.commit(target.id, [header_line(), file_line("x.txt")], token=hub.bob.token)
    assert_hub_error(res, (403, 404))
    target.unchanged()


# ---------------------------------------------------------------------------------------------
# LFS uploads that do not match, or stop half-way
# ---------------------------------------------------------------------------------------------


def lfs_batch(raw, hub, repo_id, objects):
    res = raw.request(
        "POST",
        f"/{repo_id}.git/info/lfs/objects/batch",
        body=json.dumps(
            {"operation": "upload", "transfers": ["basic", "multipart"], "hash_algo": "sha256", "ref": {"name": "main"}, "objects": objects}
        ),
        headers={"Accept": "application/vnd.git-lfs+json", "Content-Type": "application/vnd.git-lfs+json"},
        token=hub.alice.token,
    )
    assert res.status == 200, res
    return res.json()


def lfs_commit(raw, hub, repo_id, path, oid, size):
    return raw.commit(
        repo_id,
        [header_line(), {"key": "lfsFile", "value": {"path": path, "algo": "sha256", "oid": oid, "size": size}}],
        token=hub.alice.token,
    )


def test_lfs_upload_with_wrong_content_or_size_is_refused(hub, raw, target):
    good = opaque(50_000)
    oid = hashlib.sha256(good).hexdigest()
    (obj,) = lfs_batch(raw, hub, target.id, [{"oid": oid, "size": len(good)}])["objects"]
    href = obj["actions"]["upload"]["href"]
    for wrong in (opaque(len(good)), good[:-1], good + b"!", b""):
        res = raw.request("PUT", href, body=wrong)
        assert_hub_error(res, (400, 422))
        res = lfs_commit(raw, hub, target.id, "weights.bin", oid, len(good))
        assert 400 <= res.status < 500, res
        assert res.header("X-Error-Message") and res.header("X-Request-Id"), res
    target.unchanged()
    # The object is still not stored: the batch API still asks for it
    (again,) = lfs_batch(raw, hub, target.id, [{"oid": oid, "size": len(good)}])["objects"]
    assert "actions" in again
    # The right bytes go through, and only the announced size commits
    assert raw.request("PUT", again["actions"]["upload"]["href"], body=good).status == 200
    res = lfs_commit(raw, hub, target.id, "weights.bin", oid, len(good) + 1)
    assert 400 <= res.status < 500, res
    target.unchanged()
    res = lfs_commit(raw, hub, target.id, "weights.bin", oid, len(good))
    assert res.status == 200, res
    assert raw.get(f"/{target.id}/resolve/main/weights.bin").body == good


def test_lfs_upload_url_cannot_be_forged_or_reused_for_other_content(hub, raw, target):
    good = opaque(1000)
    oid = hashlib.sha256(good).hexdigest()
    (obj,) = lfs_batch(raw, hub, target.id, [{"oid": oid, "size": len(good)}])["objects"]
    href = obj["actions"]["upload"]["href"]
    u = urllib.parse.urlsplit(href)
    forged = u.path[:-4] + ("AAAA" if not u.path.endswith("AAAA") else "BBBB")
    res = raw.request("PUT", forged, body=good)
    assert_hub_error(res, (400, 401, 403, 404))


def test_multipart_upload_with_wrong_parts_is_refused(hub, raw, target):
    size = 17 * 1024 * 1024
    good = opaque(1024) * (size // 1024)
    oid = hashlib.sha256(good).hexdigest()
    (obj,) = lfs_batch(raw, hub, target.id, [{"oid": oid, "size": size}])["objects"]
    upload = obj["actions"]["upload"]
    header = upload["header"]
    chunk = int(header["chunk_size"])
    parts = sorted((int(k), v) for k, v in header.items() if k.isdigit())
    assert len(parts) == -(-size // chunk) > 1
    etags = []
    for n, url in parts:
        piece = good[(n - 1) * chunk : n * chunk]
        if n == 1:
            piece = bytes(len(piece))  # wrong content, right length
        res = raw.request("PUT", url, body=piece)
        assert res.status == 200, res
        etags.append({"partNumber": n, "etag": res.header("ETag")})
    res = raw.request("POST", upload["href"], body=json.dumps({"oid": oid, "parts": etags}), headers={"Content-Type": "application/vnd.git-lfs+json"})
    assert_hub_error(res, (400, 422))
    res = lfs_commit(raw, hub, target.id, "big.bin", oid, size)
    assert 400 <= res.status < 500, res
    target.unchanged()


def send_partial(hub, method, path, headers, declared_length, body_part):
    """Sends a request whose body stops before Content-Length, then closes the connection."""
    host, port = hub.host_port
    s = socket.create_connection((host, port), timeout=10)
    head = f"{method} {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Length: {declared_length}\r\nConnection: close\r\n"
    head += "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
    s.sendall(head.encode() + body_part)
    time.sleep(0.2)
    s.close()
    time.sleep(0.3)  # let the server notice


def test_lfs_upload_that_stops_half_way_leaves_nothing(hub, raw, target):
    good = opaque(2_000_000)
    oid = hashlib.sha256(good).hexdigest()
    (obj,) = lfs_batch(raw, hub, target.id, [{"oid": oid, "size": len(good)}])["objects"]
    href = urllib.parse.urlsplit(obj["actions"]["upload"]["href"])
    send_partial(hub, "PUT", href.path + (f"?{href.query}" if href.query else ""), {}, len(good), good[: len(good) // 2])
    res = lfs_commit(raw, hub, target.id, "half.bin", oid, len(good))
    assert 400 <= res.status < 500, res
    target.unchanged()
    (again,) = lfs_batch(raw, hub, target.id, [{"oid": oid, "size": len(good)}])["objects"]
    assert "actions" in again, "a half-written object is not stored"
    # A complete upload afterwards works
    assert raw.request("PUT", again["actions"]["upload"]["href"], body=good).status == 200
    assert lfs_commit(raw, hub, target.id, "half.bin", oid, len(good)).status == 200


def test_commit_that_stops_half_way_leaves_nothing(hub, raw, target):
    body = "\n".join(json.dumps(l) for l in [header_line(), file_line("partial.txt", b"p" * 10_000)]).encode()
    send_partial(
        hub,
        "POST",
        f"/api/models/{target.id}/commit/main",
        {"Authorization": f"Bearer {hub.alice.token}", "Content-Type": "application/x-ndjson"},
        len(body),
        body[: len(body) // 2],
    )
    target.unchanged()
    # the same commit, whole, goes through
    assert raw.commit(target.id, body, token=hub.alice.token).status == 200


# ---------------------------------------------------------------------------------------------
# The error contract on reads, and downloads at the HTTP level
# ---------------------------------------------------------------------------------------------


def test_not_found_errors_carry_the_hub_codes(hub, raw, target):
    assert_hub_error(raw.get("/api/models/alice/no-such-repo-here"), 404, "RepoNotFound")
    assert_hub_error(raw.get("/api/models/nobody/no-such-repo"), 404, "RepoNotFound")
    assert_hub_error(raw.get(f"/api/models/{target.id}/revision/no-such-branch"), 404, "RevisionNotFound")
    assert_hub_error(raw.get(f"/{target.id}/resolve/no-such-branch/keep.txt"), 404, "RevisionNotFound")
    missing = raw.get(f"/{target.id}/resolve/main/missing.txt")
    assert_hub_error(missing, 404, "EntryNotFound")
    sha = raw.get(f"/api/models/{target.id}").json()["sha"]
    assert missing.header("X-Repo-Commit") == sha
    assert_hub_error(raw.get(f"/api/models/{target.id}/tree/main/no-such-dir"), 404, "EntryNotFound")
    # HEAD has no body: the headers carry everything
    head = raw.request("HEAD", f"/{target.id}/resolve/main/missing.txt")
    assert head.status == 404 and head.header("X-Error-Code") == "EntryNotFound"
    assert head.header("X-Error-Message") and head.header("X-Request-Id")
    head = raw.request("HEAD", "/alice/no-such-repo-here/resolve/main/x")
    assert head.status in (401, 404) and head.header("X-Error-Code") == "RepoNotFound"


def test_request_ids_are_unique(raw):
    ids = {raw.get("/api/models/alice/nope").header("X-Request-Id") for _ in range(5)}
    assert len(ids) == 5


def test_resolve_headers_and_ranges(hub, raw, api, new_repo):
    repo_id = new_repo("ranges")
    regular = b"0123456789" * 100
    lfs = opaque(100_000)
    api.upload_file(path_or_fileobj=regular, path_in_repo="r.txt", repo_id=repo_id)
    commit = api.upload_file(path_or_fileobj=lfs, path_in_repo="l.bin", repo_id=repo_id).oid

    head = raw.request("HEAD", f"/{repo_id}/resolve/main/r.txt")
    assert head.status == 200
    assert head.header("X-Repo-Commit") == commit
    assert head.header("ETag").strip('"') == hashlib.sha1(b"blob %d\0" % len(regular) + regular).hexdigest()
    assert int(head.header("Content-Length")) == len(regular)
    assert not any(h.lower().startswith("x-xet") for h in head.headers.keys()), "no Xet advertised"

    head = raw.request("HEAD", f"/{repo_id}/resolve/main/l.bin", headers={"Accept-Encoding": "identity"})
    assert head.status in (200, 302)
    assert (head.header("X-Linked-Etag") or head.header("ETag")).strip('"').removeprefix("W/").strip('"') == hashlib.sha256(lfs).hexdigest()
    assert int(head.header("X-Linked-Size") or head.header("Content-Length")) == len(lfs)
    assert head.header("X-Repo-Commit") == commit

    for path, content in ((f"/{repo_id}/resolve/main/r.txt", regular), (f"/{repo_id}/resolve/{commit}/l.bin", lfs)):
        r = raw.get(path, headers={"Range": "bytes=10-19"})
        assert r.status == 206 and r.body == content[10:20]
        assert r.header("Content-Range") == f"bytes 10-19/{len(content)}"
        r = raw.get(path, headers={"Range": f"bytes={len(content) - 5}-"})
        assert r.status == 206 and r.body == content[-5:]
        r = raw.get(path, headers={"Range": "bytes=-7"})
        assert r.status == 206 and r.body == content[-7:]
        r = raw.get(path, headers={"Range": f"bytes={len(content) - 3}-{len(content) + 100}"})
        assert r.status == 206 and r.body == content[-3:]
        r = raw.get(path, headers={"Range": f"bytes={len(content)}-"})
        assert r.status == 416, r
        assert r.header("Content-Range") == f"bytes */{len(content)}"
    # refs/pr/N, percent-encoded, and a short sha resolve too
    pr = api.upload_file(path_or_fileobj=b"pr", path_in_repo="pr.txt", repo_id=repo_id, create_pr=True)
    r = raw.get(f"/{repo_id}/resolve/refs%2Fpr%2F1/pr.txt")
    assert r.status == 200 and r.body == b"pr" and r.header("X-Repo-Commit") == pr.oid
    r = raw.get(f"/{repo_id}/resolve/{commit[:7]}/r.txt")
    assert r.status == 200 and r.header("X-Repo-Commit") == commit


def test_awful_file_names_round_trip(hub, api, new_repo, raw):
    from huggingface_hub import hf_hub_download

    repo_id = new_repo("awful")
    name = "subfolder/to?/awful?filename%you:should,never.give"
    api.upload_file(path_or_fileobj=b"awful", path_in_repo=name, repo_id=repo_id)
    assert open(hf_hub_download(repo_id, name), "rb").read() == b"awful"
    assert name in api.list_repo_files(repo_id)


def test_multipart_upload_cut_off_then_retried_then_replayed(hub, raw, target):
    """A part whose connection drops can be sent again; once the upload is completed its part URLs
    can no longer change the stored bytes."""
    good = opaque(20 << 20)  # multipart from 16 MiB
    oid = hashlib.sha256(good).hexdigest()
    (obj,) = lfs_batch(raw, hub, target.id, [{"oid": oid, "size": len(good)}])["objects"]
    upload = obj["actions"]["upload"]
    header = upload["header"]
    chunk = int(header["chunk_size"])
    urls = [header[str(n)] for n in range(1, len(good) // chunk + 2) if str(n) in header]
    assert len(urls) >= 2

    def path_of(url):
        u = urllib.parse.urlsplit(url)
        return u.path + (f"?{u.query}" if u.query else "")

    send_partial(hub, "PUT", path_of(urls[0]), {}, chunk, good[: chunk // 3])
    parts = []
    for n, url in enumerate(urls, start=1):
        res = raw.request("PUT", url, body=good[(n - 1) * chunk : n * chunk])
        assert res.status == 200, res
        parts.append({"partNumber": n, "etag": res.header("ETag")})
    done = raw.request("POST", upload["href"], body=json.dumps({"oid": oid, "parts": parts}), headers={"Content-Type": "application/json"})
    assert done.status == 200, done

    replay = raw.request("PUT", urls[0], body=b"\x00" * 1000)
    assert_hub_error(replay, 409)
    assert lfs_commit(raw, hub, target.id, "big.bin", oid, len(good)).status == 200
    stored = raw.get(f"/{target.id}/resolve/main/big.bin")
    assert stored.status == 200 and hashlib.sha256(stored.body).hexdigest() == oid
