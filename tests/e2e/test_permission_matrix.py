"""The permission matrix: every endpoint × every kind of caller × public, private and gated
repositories, with the expected status computed by one oracle from one table.

The oracle is the product's rule book, written independently of the server:
- a private repository exists only for members of its namespace (404 to everyone else, as for a
  missing one); a token that does not reach a repository (fine-grained, other scope) makes its
  holder a stranger there;
- metadata of public and gated repositories is for everyone; file content of a gated one is for
  members and approved users (401 anonymous, 403 signed in);
- opening a pull request takes a contributor role, or on a public repository any signed-in user
  (on a gated one, anyone let in); pushing takes the write role; settings and the audit log the admin
  role; read tokens change nothing; without a token a change is 401.
"""

import base64
import hashlib
import json
from dataclasses import dataclass

import pytest

from conftest import _account

NONE, READ, CONTRIBUTE, WRITE, ADMIN = range(5)


@dataclass(frozen=True)
class Who:
    standing: int  # role in the owning organisation
    token: str | None  # "write", "read", "elsewhere" (fine-grained, scoped to another repository)
    approved: bool = False  # approved for the gated repository


CALLERS = {
    "anonymous": Who(NONE, None),
    "outsider": Who(NONE, "write"),
    "approved": Who(NONE, "write", approved=True),
    "reader": Who(READ, "write"),
    "contributor": Who(CONTRIBUTE, "write"),
    "writer": Who(WRITE, "write"),
    "admin": Who(ADMIN, "write"),
    "admin-read-token": Who(ADMIN, "read"),
    "admin-token-elsewhere": Who(ADMIN, "elsewhere"),
}

# (name, need, method, path under the repository, body). `{api}` is /api/models/{id}, `{file}` the
# file route; `{who}` makes names unique per caller and repository.
ENDPOINTS = [
    ("info", "read", "GET", "{api}", None),
    ("tree", "read", "GET", "{api}/tree/main", None),
    ("paths-info", "read", "POST", "{api}/paths-info/main", {"paths": ["README.md"]}),
    ("refs", "read", "GET", "{api}/refs", None),
    ("commits", "read", "GET", "{api}/commits/main", None),
    ("scan", "read", "GET", "{api}/scan/main", None),
    ("openness", "read", "GET", "{api}/openness", None),
    ("ask-access-form", "read", "GET", "{api}/ask-access", None),
    ("resolve-head", "content", "HEAD", "{file}/README.md", None),
    ("resolve-get", "content", "GET", "{file}/README.md", None),
    ("auth-check", "content", "GET", "{api}/auth-check", None),
    ("open-pr", "contribute", "POST", "{api}/commit/main?create_pr=1", "commit"),
    ("preupload", "write", "POST", "{api}/preupload/main", {"files": [{"path": "p.txt", "sample": "YWJj", "size": 3}]}),
    ("lfs-batch", "write", "POST", "lfs", "lfs"),
    ("commit", "write", "POST", "{api}/commit/main", "commit"),
    ("branch", "write", "POST", "{api}/branch/b-{who}", None),
    ("tag", "write", "POST", "{api}/tag/main", {"tag": "t-{who}"}),
    ("review-requests", "write", "GET", "{api}/user-access-request/pending", None),
    ("settings", "admin", "PUT", "{api}/settings", {"scanPolicy": "reject"}),
    ("audit", "admin", "GET", "{api}/audit", None),
]

VISIBILITIES = ("public", "private", "gated")


def expected(who: Who, vis: str, need: str) -> int:
    stranger = who.token in (None, "elsewhere")
    standing = NONE if stranger else who.standing
    if vis == "private" and standing == NONE:
        return 404
    if need == "read":
        return 200
    let_in = vis != "gated" or standing > NONE or (who.approved and not stranger)
    if need == "content":
        return 200 if let_in else (401 if stranger else 403)
    if who.token is None:
        return 401
    if who.token == "read" or stranger:
        return 403
    if need == "contribute":
        # On a public repository anyone signed in may; on a gated one, anyone let in.
        return 200 if standing >= CONTRIBUTE or (vis != "private" and let_in) else 403
    return 200 if standing >= (WRITE if need == "write" else ADMIN) else 403


@pytest.fixture(scope="module")
def world(hub):
    """An organisation owning one repository per visibility, a person per role, and their tokens."""
    from huggingface_hub import HfApi

    from conftest import Raw

    people = {name: _account(hub.data_dir, hub.unique(name)) for name in CALLERS if name != "anonymous" and not name.startswith("admin-")}
    creator = HfApi(endpoint=hub.url, token=people["admin"].token)
    org = hub.unique("matrix")
    raw = Raw(hub)
    assert raw.post_json("/api/organizations/new", {"name": org}, token=people["admin"].token).status == 200
    for name, role in (("reader", "read"), ("contributor", "contributor"), ("writer", "write")):
        res = raw.request("PUT", f"/api/organizations/{org}/members/{people[name].name}", body=json.dumps({"role": role}),
                          headers={"Content-Type": "application/json"}, token=people["admin"].token)
        assert res.status == 200, res
    repos = {}
    for vis in VISIBILITIES:
        repo_id = f"{org}/{vis}"
        creator.create_repo(repo_id, private=vis == "private")
        creator.upload_file(path_or_fileobj=b"# matrix\n", path_in_repo="README.md", repo_id=repo_id)
        if vis == "gated":
            creator.update_repo_settings(repo_id, gated="manual")
            creator.grant_access(repo_id, people["approved"].name)
        repos[vis] = repo_id
    elsewhere = raw.post_json("/api/tokens", {"name": "elsewhere", "role": "fineGrained", "scopes": [
        {"type": "model", "name": f"{org}/elsewhere", "permissions": ["repo.content.read", "discussion.write", "repo.write"]}]},
        token=people["admin"].token).json()["token"]
    tokens = {name: p.token for name, p in people.items()}
    tokens["anonymous"] = None
    tokens["admin-read-token"] = people["admin"].read_token
    tokens["admin-token-elsewhere"] = elsewhere
    return raw, repos, tokens


def send(raw, repo_id, who_name, token, method, path, body):
    """One request of the table, as `who_name`; names it creates are unique per caller."""
    path = path.format(api=f"/api/models/{repo_id}", file=f"/{repo_id}/resolve/main", who=who_name)
    headers = {}
    data = None
    if body == "commit":
        content = base64.b64encode(f"from {who_name}\n".encode()).decode()
        lines = [{"key": "header", "value": {"summary": f"{who_name} was here", "description": ""}},
                 {"key": "file", "value": {"content": content, "path": f"{who_name}.txt", "encoding": "base64"}}]
        data = "\n".join(json.dumps(l) for l in lines)
        headers["Content-Type"] = "application/x-ndjson"
    elif body == "lfs":
        path = f"/{repo_id}.git/info/lfs/objects/batch"
        blob = f"lfs from {who_name}".encode()
        data = json.dumps({"operation": "upload", "transfers": ["basic"], "hash_algo": "sha256",
                           "ref": {"name": "refs/heads/main"},
                           "objects": [{"oid": hashlib.sha256(blob).hexdigest(), "size": len(blob)}]})
        headers["Content-Type"] = "application/vnd.git-lfs+json"
    elif body is not None:
        data = json.dumps(body).replace("{who}", who_name)
        headers["Content-Type"] = "application/json"
    return raw.request(method, path, body=data, headers=headers, token=token)


@pytest.mark.parametrize("vis", VISIBILITIES)
@pytest.mark.parametrize("who_name", list(CALLERS))
@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=[e[0] for e in ENDPOINTS])
def test_permission(world, endpoint, who_name, vis):
    raw, repos, tokens = world
    name, need, method, path, body = endpoint
    want = expected(CALLERS[who_name], vis, need)
    res = send(raw, repos[vis], who_name, tokens[who_name], method, path, body)
    assert res.status == want, f"{name} as {who_name} on a {vis} repository: {res!r}"
    if want != 200:
        assert res.header("X-Error-Message"), res
        if want == 404:
            assert res.header("X-Error-Code") == "RepoNotFound", res
        if need == "content" and want in (401, 403):
            assert res.header("X-Error-Code") == "GatedRepo", res
