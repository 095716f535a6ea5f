"""End-to-end fixtures: one real `agora serve`, real accounts made with the real CLI, and the
real Hugging Face clients pointed at it through the environment, as a user would.

The server is started when pytest configures this directory (before the test modules import
`huggingface_hub`, `datasets` and `transformers`, which read `HF_ENDPOINT` and friends once, at
import time) and stopped at the end of the run. The `hub` session fixture hands it to tests.

Nothing is built here: `scripts/test` builds first; the binary comes from `AGORA_BIN`
(default `target/debug/agora`).
"""

from __future__ import annotations

import http.client
import json
import os
import queue
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
AGORA_BIN = Path(os.environ.get("AGORA_BIN", ROOT / "target" / "debug" / "agora"))
STARTUP_TIMEOUT = 60
# AGORA_E2E_XET=1: the suite runs with hf_xet enabled, as after a plain `pip install
# huggingface_hub` (uploads and downloads of large files go through Xet); otherwise with
# HF_HUB_DISABLE_XET=1 (Git LFS). scripts/test runs both.
XET = os.environ.get("AGORA_E2E_XET") == "1"


# ---------------------------------------------------------------------------------------------
# The hub under test
# ---------------------------------------------------------------------------------------------


@dataclass
class Account:
    name: str
    token: str  # write token
    read_token: str


@dataclass
class Hub:
    url: str
    data_dir: Path
    work_dir: Path
    log_path: Path
    process: subprocess.Popen
    alice: Account
    bob: Account
    carol: Account
    org: str

    @property
    def host_port(self) -> tuple[str, int]:
        u = urllib.parse.urlsplit(self.url)
        return u.hostname, u.port

    def log_size(self) -> int:
        try:
            return self.log_path.stat().st_size
        except OSError:
            return 0

    def log_since(self, offset: int) -> str:
        with open(self.log_path, "rb") as f:
            f.seek(offset)
            return f.read().decode("utf-8", "replace")

    def unique(self, prefix: str) -> str:
        """A repository name no other test uses."""
        return f"{prefix}-{uuid.uuid4().hex[:8]}"


def _cli(data_dir: Path, *args: str) -> str:
    """Runs one `agora` administration command and returns its stdout."""
    res = subprocess.run(
        [str(AGORA_BIN), *args, "--data-dir", str(data_dir)],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    if res.returncode != 0:
        raise RuntimeError(f"agora {' '.join(args)} failed ({res.returncode}):\n{res.stdout}\n{res.stderr}")
    return res.stdout


def _account(data_dir: Path, name: str) -> Account:
    _cli(data_dir, "user", "create", name, "--email", f"{name}@example.org")
    write = _cli(data_dir, "token", "create", name, "--write").strip()
    read = _cli(data_dir, "token", "create", name, "--name", "read-only").strip()
    assert write and "\n" not in write and read and write != read
    return Account(name=name, token=write, read_token=read)


def _start_hub() -> Hub:
    if not AGORA_BIN.exists():
        raise pytest.UsageError(f"{AGORA_BIN} does not exist: run `cargo build -p agora` (scripts/test does) or set AGORA_BIN")
    work = Path(tempfile.mkdtemp(prefix="agora-e2e-"))
    data = work / "data"
    data.mkdir()
    alice = _account(data, "alice")
    bob = _account(data, "bob")
    carol = _account(data, "carol")
    org = "acme-lab"
    _cli(data, "org", "create", org, "--owner", alice.name)
    return _serve(work, data, alice, bob, carol, org)


def _restart_hub(old: Hub) -> Hub:
    """A new server process on the same data folder (the old one must have stopped)."""
    return _serve(old.work_dir, old.data_dir, old.alice, old.bob, old.carol, old.org)


# The shared hub runs without abuse limits: the whole suite comes from one address in minutes.
# tests/e2e/test_limits.py starts hubs of its own with them.
NO_LIMITS = ("--rate-limit-api", "0", "--rate-limit-resolvers", "0")


def _serve(work: Path, data: Path, alice: Account, bob: Account, carol: Account, org: str, extra: tuple = NO_LIMITS) -> Hub:
    log_path = work / "server.log"
    log = open(log_path, "ab")
    env = dict(os.environ)
    env.setdefault("RUST_LOG", "info")
    env["NO_COLOR"] = "1"
    proc = subprocess.Popen(
        [str(AGORA_BIN), "serve", "--data-dir", str(data), "--addr", "127.0.0.1:0", *extra],
        stdout=subprocess.PIPE,
        stderr=log,
        stdin=subprocess.DEVNULL,
        env=env,
    )
    lines: queue.Queue = queue.Queue()

    def pump():
        for raw in proc.stdout:
            lines.put(raw.decode("utf-8", "replace").rstrip("\n"))
        lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    deadline = time.monotonic() + STARTUP_TIMEOUT
    url = None
    while url is None:
        try:
            line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
        except queue.Empty:
            line = None
        if line is None and (proc.poll() is not None or time.monotonic() >= deadline):
            proc.kill()
            raise RuntimeError(f"agora serve did not start:\n{log_path.read_text(errors='replace')}")
        if line and line.startswith("agora listening on "):
            url = line.removeprefix("agora listening on ").strip().rstrip("/")
    return Hub(url=url, data_dir=data, work_dir=work, log_path=log_path, process=proc, alice=alice, bob=bob, carol=carol, org=org)


_HUB: Hub | None = None
_FAILED = False


def pytest_configure(config):
    global _HUB
    if config.option.collectonly or getattr(config.option, "help", False):
        return
    _HUB = _start_hub()
    # Read once, at import, by huggingface_hub / datasets / transformers: set before they load.
    os.environ.update(
        {
            "HF_ENDPOINT": _HUB.url,
            "HF_HUB_DISABLE_TELEMETRY": "1",
            "HF_HUB_DISABLE_UPDATE_CHECK": "1",
            "HF_HUB_DISABLE_IMPLICIT_TOKEN": "1",  # anonymous means anonymous
            "HF_HUB_DISABLE_PROGRESS_BARS": "1",
            "HF_HUB_ETAG_TIMEOUT": "30",
            "HF_HUB_DOWNLOAD_TIMEOUT": "60",
            "HF_HOME": str(_HUB.work_dir / "hf-home"),
            "HF_DATASETS_OFFLINE": "0",
            "TOKENIZERS_PARALLELISM": "false",
        }
    )
    if XET:
        os.environ.pop("HF_HUB_DISABLE_XET", None)
    else:
        os.environ["HF_HUB_DISABLE_XET"] = "1"
    for k in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HUGGINGFACE_CO_STAGING"):
        os.environ.pop(k, None)


def pytest_collection_modifyitems(config, items):
    """`@pytest.mark.lfs_only` tests run only in the LFS run, `@pytest.mark.xet_only` only in the Xet run."""
    for item in items:
        if XET and item.get_closest_marker("lfs_only"):
            item.add_marker(pytest.mark.skip(reason="LFS transfer only (this run uploads through Xet)"))
        if not XET and item.get_closest_marker("xet_only"):
            item.add_marker(pytest.mark.skip(reason="Xet only (this run has HF_HUB_DISABLE_XET=1)"))


def pytest_unconfigure(config):
    global _HUB
    hub, _HUB = _HUB, None
    if hub is None:
        return
    hub.process.terminate()
    try:
        hub.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        hub.process.kill()
        hub.process.wait()
    if _FAILED and hub.log_path.exists():
        # Each failed test already shows the log lines written while it ran; this is the end.
        tail = "\n".join(hub.log_path.read_text(errors="replace").splitlines()[-40:])
        sys.stderr.write(f"\n===== agora server log, last lines ({hub.log_path}) =====\n{tail}\n")
    if os.environ.get("AGORA_E2E_KEEP") == "1":
        sys.stderr.write(f"agora data dir and server log kept in {hub.work_dir}\n")
    elif _FAILED:
        shutil.rmtree(hub.data_dir, ignore_errors=True)
        sys.stderr.write(f"full server log kept at {hub.log_path} (AGORA_E2E_KEEP=1 keeps the data too)\n")
    else:
        shutil.rmtree(hub.work_dir, ignore_errors=True)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A failed test shows the server log written while it ran."""
    global _FAILED
    outcome = yield
    rep = outcome.get_result()
    if rep.failed:
        _FAILED = True
        if _HUB is not None and hasattr(item, "_agora_log_offset"):
            rep.sections.append(("agora server log", _HUB.log_since(item._agora_log_offset)[-8000:]))


@pytest.fixture(scope="session")
def hub() -> Hub:
    assert _HUB is not None, "the hub was not started (pytest_configure)"
    assert _HUB.process.poll() is None, "agora serve has exited"
    return _HUB


@pytest.fixture(autouse=True)
def isolated_hf_home(request, hub, tmp_path, monkeypatch):
    """Every test gets its own HF_HOME and cache, so nothing is served from another test's cache."""
    request.node._agora_log_offset = hub.log_size()
    home = tmp_path / "hf-home"
    cache = home / "hub"
    cache.mkdir(parents=True)
    monkeypatch.setenv("HF_HOME", str(home))
    monkeypatch.setenv("HF_HUB_CACHE", str(cache))
    monkeypatch.setenv("HF_DATASETS_CACHE", str(home / "datasets"))
    import huggingface_hub.constants as c

    monkeypatch.setattr(c, "HF_HOME", str(home))
    monkeypatch.setattr(c, "HF_HUB_CACHE", str(cache))
    monkeypatch.setattr(c, "HUGGINGFACE_HUB_CACHE", str(cache), raising=False)
    monkeypatch.setattr(c, "HF_TOKEN_PATH", str(home / "token"))
    monkeypatch.setattr(c, "HF_STORED_TOKENS_PATH", str(home / "stored_tokens"), raising=False)
    assert c.ENDPOINT == hub.url, "huggingface_hub was imported before HF_ENDPOINT was set"
    yield cache
    assert hub.process.poll() is None, "agora serve exited during the test"


# ---------------------------------------------------------------------------------------------
# Clients
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def api(hub):
    """alice, with a write token."""
    from huggingface_hub import HfApi

    return HfApi(endpoint=hub.url, token=hub.alice.token)


@pytest.fixture
def alice_read_api(hub):
    """alice, with a read-only token."""
    from huggingface_hub import HfApi

    return HfApi(endpoint=hub.url, token=hub.alice.read_token)


@pytest.fixture
def bob_api(hub):
    """bob, who is not a member of alice's organisation."""
    from huggingface_hub import HfApi

    return HfApi(endpoint=hub.url, token=hub.bob.token)


@pytest.fixture
def anon_api(hub):
    from huggingface_hub import HfApi

    return HfApi(endpoint=hub.url, token=False)


# ---------------------------------------------------------------------------------------------
# Repositories
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def new_repo(hub, api):
    """Creates a repository (alice's unless `namespace` says otherwise) and returns its id."""

    def make(prefix: str = "repo", *, repo_type: str = "model", private: bool = False, namespace: str | None = None) -> str:
        name = hub.unique(prefix)
        repo_id = f"{namespace or hub.alice.name}/{name}"
        api.create_repo(repo_id, repo_type=repo_type, private=private)
        return repo_id

    return make


@pytest.fixture
def model_with_files(new_repo, api):
    """A public model repository with a small tree: README.md, config.json, data/a.txt, data/b.txt,
    data/nested/c.txt, weights.bin (LFS by the default .gitattributes)."""
    from huggingface_hub import CommitOperationAdd

    repo_id = new_repo("tree")
    files = {
        "README.md": b"---\nlicense: apache-2.0\ntags:\n- e2e\n---\n# Tree\n",
        "config.json": b'{"hidden_size": 8}\n',
        "data/a.txt": b"alpha\n",
        "data/b.txt": b"bravo\n",
        "data/nested/c.txt": b"charlie\n",
        "weights.bin": bytes(range(256)) * 64,
    }
    api.create_commit(
        repo_id,
        operations=[CommitOperationAdd(p, c) for p, c in files.items()],
        commit_message="Add the tree",
    )
    return repo_id, files


# ---------------------------------------------------------------------------------------------
# Raw HTTP (for the bad-input tests, and to look at headers the clients hide)
# ---------------------------------------------------------------------------------------------


@dataclass
class Response:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def header(self, name: str) -> str | None:
        return self.headers.get(name)

    def json(self):
        return json.loads(self.body)

    def __repr__(self):
        hs = {k: v for k, v in self.headers.items() if k.lower().startswith("x-")}
        return f"<{self.status} {hs} {self.body[:300]!r}>"


class Raw:
    """A plain HTTP client (stdlib) that sends exactly what it is told."""

    def __init__(self, hub: Hub):
        self.hub = hub

    def request(self, method: str, path: str, body: bytes | str | None = None, headers: dict | None = None, token: str | None = None) -> Response:
        host, port = self.hub.host_port
        conn = http.client.HTTPConnection(host, port, timeout=60)
        hs = dict(headers or {})
        if token:
            hs["Authorization"] = f"Bearer {token}"
        if isinstance(body, str):
            body = body.encode()
        if path.startswith("http://") or path.startswith("https://"):
            u = urllib.parse.urlsplit(path)
            path = u.path + (f"?{u.query}" if u.query else "")
        try:
            conn.request(method, path, body=body, headers=hs)
            r = conn.getresponse()
            data = r.read()
            return Response(r.status, r.headers, data)
        finally:
            conn.close()

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post_json(self, path, obj, **kw):
        hs = {"Content-Type": "application/json", **kw.pop("headers", {})}
        return self.request("POST", path, body=json.dumps(obj), headers=hs, **kw)

    def commit(self, repo_id: str, lines: list | bytes, *, token: str, revision: str = "main", repo_type: str = "model") -> Response:
        """POSTs an NDJSON commit: `lines` are JSON objects, or the raw body."""
        body = lines if isinstance(lines, bytes) else "\n".join(json.dumps(l) for l in lines).encode()
        kind = "models" if repo_type == "model" else "datasets"
        return self.request(
            "POST",
            f"/api/{kind}/{repo_id}/commit/{urllib.parse.quote(revision, safe='')}",
            body=body,
            headers={"Content-Type": "application/x-ndjson"},
            token=token,
        )


@pytest.fixture
def raw(hub) -> Raw:
    return Raw(hub)


def opaque(n: int) -> bytes:
    """`n` bytes of opaque binary data. The first byte is NUL, which starts no format, so the
    scanner reads it as data; random bytes alone start like some format (a pickle opcode, a
    safetensors header length) about once in 500 files, and the tests must not depend on luck."""
    import os

    return b"\x00" + os.urandom(n - 1)


def assert_hub_error(res: Response, status: int | tuple[int, ...], code: str | None = None):
    """The Hub's error contract: status, X-Error-Message, X-Request-Id, and X-Error-Code where the
    Hub defines one."""
    statuses = status if isinstance(status, tuple) else (status,)
    assert res.status in statuses, res
    assert res.header("X-Error-Message"), f"no X-Error-Message: {res!r}"
    assert res.header("X-Request-Id"), f"no X-Request-Id: {res!r}"
    if code is not None:
        assert res.header("X-Error-Code") == code, res
    if res.body:
        assert "error" in res.json(), res


# ---------------------------------------------------------------------------------------------
# More people (access tests)
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def new_user(hub):
    """Creates a fresh user (through the CLI, on the running hub's data) with a write and a read
    token; returns the Account."""

    def make(prefix: str = "user") -> Account:
        return _account(hub.data_dir, hub.unique(prefix))

    return make


@pytest.fixture
def new_org(hub, raw):
    """Creates an organisation through the API whose admin is `admin` (an Account, default alice),
    adds `members` ([(Account, role)]), and returns its name."""

    def make(prefix: str = "org", *, admin: Account | None = None, members: list | None = None) -> str:
        admin = admin or hub.alice
        name = hub.unique(prefix)
        res = raw.post_json("/api/organizations/new", {"name": name}, token=admin.token)
        assert res.status == 200, res
        for account, role in members or []:
            res = raw.request(
                "PUT",
                f"/api/organizations/{name}/members/{account.name}",
                body=json.dumps({"role": role}),
                headers={"Content-Type": "application/json"},
                token=admin.token,
            )
            assert res.status == 200, res
        return name

    return make


def hf_api(hub, account: Account | None, *, read: bool = False):
    from huggingface_hub import HfApi

    if account is None:
        return HfApi(endpoint=hub.url, token=False)
    return HfApi(endpoint=hub.url, token=account.read_token if read else account.token)
