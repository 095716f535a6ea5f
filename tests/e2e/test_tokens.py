"""Tokens: read, write and fine-grained (scoped to repositories or namespaces and to actions),
expiry, revocation, last use. A token never grants more than its owner has."""

import json
import time

import pytest
from huggingface_hub import hf_hub_download
from huggingface_hub.errors import HfHubHTTPError, RepositoryNotFoundError

from conftest import _cli, assert_hub_error, hf_api


def make_token(raw, owner_token, **spec):
    body = {"name": spec.pop("name", "test"), **spec}
    res = raw.post_json("/api/tokens", body, token=owner_token)
    assert res.status == 200, res
    return res.json()


def api_for(hub, token):
    from huggingface_hub import HfApi

    return HfApi(endpoint=hub.url, token=token)


def test_a_read_token_cannot_write(hub, new_repo, alice_read_api):
    repo_id = new_repo("read-token")
    with pytest.raises(HfHubHTTPError) as e:
        alice_read_api.upload_file(path_or_fileobj=b"x", path_in_repo="x.txt", repo_id=repo_id)
    assert e.value.response.status_code == 403
    with pytest.raises(HfHubHTTPError):
        alice_read_api.create_repo(f"alice/{hub.unique('nope')}")
    with pytest.raises(HfHubHTTPError):
        alice_read_api.update_repo_settings(repo_id, private=True)
    assert alice_read_api.model_info(repo_id).private is False


def test_a_fine_grained_token_acts_only_on_its_repository(hub, raw, new_repo, api):
    mine = new_repo("scoped")
    other = new_repo("unscoped")
    secret = new_repo("unscoped-private", private=True)
    t = make_token(raw, hub.alice.token, role="fineGrained",
                   scopes=[{"type": "model", "name": mine, "permissions": ["repo.content.read", "repo.write"]}])
    assert t["role"] == "fineGrained" and t["token"].startswith("hf_")
    scoped = api_for(hub, t["token"])
    who = scoped.whoami()
    assert who["name"] == "alice"
    assert who["auth"]["accessToken"]["role"] == "fineGrained"
    assert who["auth"]["accessToken"]["fineGrained"]["scoped"][0]["entity"] == {"type": "model", "name": mine}
    scoped.upload_file(path_or_fileobj=b"in scope", path_in_repo="a.txt", repo_id=mine)
    assert scoped.list_repo_files(mine) == [".gitattributes", "a.txt"]
    with pytest.raises(HfHubHTTPError) as e:
        scoped.upload_file(path_or_fileobj=b"out of scope", path_in_repo="a.txt", repo_id=other)
    assert e.value.response.status_code == 403
    assert "a.txt" not in api.list_repo_files(other)
    # Outside its scope the token is nobody: alice's private repository does not exist for it,
    # in answers and in listings.
    with pytest.raises(RepositoryNotFoundError):
        scoped.model_info(secret)
    assert secret not in [m.id for m in scoped.list_models(author="alice")]
    with pytest.raises(HfHubHTTPError):
        scoped.create_repo(f"alice/{hub.unique('from-scoped')}")
    # ...and it cannot mint a wider token.
    res = raw.post_json("/api/tokens", {"name": "wider", "role": "write"}, token=t["token"])
    assert_hub_error(res, 403)


def test_a_read_scope_reads_but_does_not_write(hub, raw, new_repo, api):
    secret = new_repo("scoped-read", private=True)
    api.upload_file(path_or_fileobj=b"private bytes", path_in_repo="w.bin", repo_id=secret)
    t = make_token(raw, hub.alice.token, role="fineGrained",
                   scopes=[{"type": "model", "name": secret, "permissions": ["repo.content.read"]}])
    path = hf_hub_download(secret, "w.bin", token=t["token"], cache_dir=str(hub.work_dir / hub.unique("c")))
    assert open(path, "rb").read() == b"private bytes"
    with pytest.raises(HfHubHTTPError) as e:
        api_for(hub, t["token"]).upload_file(path_or_fileobj=b"x", path_in_repo="x", repo_id=secret)
    assert e.value.response.status_code == 403


def test_a_namespace_scope_covers_the_organisation_and_never_more_than_the_owner_has(hub, raw, new_org, api, new_user):
    dana = new_user("dana")
    org = new_org("scope-org", members=[(dana, "write")])
    repo_id = f"{org}/{hub.unique('r')}"
    api.create_repo(repo_id)
    t = make_token(raw, dana.token, role="fineGrained", scopes=[{"type": "org", "name": org, "permissions": ["repo.write"]}])
    api_for(hub, t["token"]).upload_file(path_or_fileobj=b"ok", path_in_repo="ok.txt", repo_id=repo_id)
    api_for(hub, t["token"]).create_repo(f"{org}/{hub.unique('made')}")
    # bob scopes a token to the same organisation, of which he is not a member: it grants nothing.
    tb = make_token(raw, hub.bob.token, role="fineGrained", scopes=[{"type": "org", "name": org, "permissions": ["repo.write"]}])
    with pytest.raises(HfHubHTTPError) as e:
        api_for(hub, tb["token"]).upload_file(path_or_fileobj=b"no", path_in_repo="no.txt", repo_id=repo_id)
    assert e.value.response.status_code == 403
    with pytest.raises(HfHubHTTPError):
        api_for(hub, tb["token"]).create_repo(f"{org}/{hub.unique('not-bobs')}")
    # Demoting dana takes her token's writes away at once.
    res = raw.request("PUT", f"/api/organizations/{org}/members/{dana.name}", body=json.dumps({"role": "read"}),
                      headers={"Content-Type": "application/json"}, token=hub.alice.token)
    assert res.status == 200, res
    with pytest.raises(HfHubHTTPError):
        api_for(hub, t["token"]).upload_file(path_or_fileobj=b"late", path_in_repo="late.txt", repo_id=repo_id)


def test_a_revoked_token_stops_at_once(hub, raw):
    t = make_token(raw, hub.bob.token, name="short-lived", role="write")
    assert api_for(hub, t["token"]).whoami()["name"] == "bob"
    listed = {x["id"]: x for x in raw.get("/api/tokens", token=hub.bob.token).json()}
    assert listed[t["id"]]["lastUsedAt"] is not None and "token" not in listed[t["id"]]
    res = raw.request("DELETE", f"/api/tokens/{t['id']}", token=hub.bob.token)
    assert res.status == 200, res
    with pytest.raises(HfHubHTTPError) as e:
        api_for(hub, t["token"]).whoami()
    assert e.value.response.status_code == 401
    listed = {x["id"]: x for x in raw.get("/api/tokens", token=hub.bob.token).json()}
    assert listed[t["id"]]["live"] is False and listed[t["id"]]["revokedAt"]
    # Revoking again, or someone else's token, changes nothing.
    assert_hub_error(raw.request("DELETE", f"/api/tokens/{t['id']}", token=hub.bob.token), 404)
    alice_tokens = raw.get("/api/tokens", token=hub.alice.token).json()
    assert_hub_error(raw.request("DELETE", f"/api/tokens/{alice_tokens[-1]['id']}", token=hub.bob.token), 404)
    assert api_for(hub, hub.alice.token).whoami()["name"] == "alice"


def test_a_token_expires(hub, raw):
    t = make_token(raw, hub.carol.token, name="one-second", role="read", expiresIn=1)
    assert api_for(hub, t["token"]).whoami()["name"] == "carol"
    time.sleep(1.2)
    res = raw.get("/api/whoami-v2", token=t["token"])
    assert_hub_error(res, 401)
    assert "expired" in res.header("X-Error-Message")


def test_the_cli_makes_scoped_expiring_tokens_and_revokes_them(hub, new_repo, raw):
    repo_id = new_repo("cli-scoped")
    token = _cli(hub.data_dir, "token", "create", "alice", "--scope", f"model:{repo_id}:read,write", "--expires-in", "1h", "--name", "cli-scoped").strip()
    who = api_for(hub, token).whoami()["auth"]["accessToken"]
    assert who["role"] == "fineGrained" and who["expiresAt"]
    lines = [json.loads(l) for l in _cli(hub.data_dir, "token", "list", "alice").splitlines()]
    mine = [l for l in lines if l["name"] == "cli-scoped"]
    assert len(mine) == 1 and mine[0]["scopes"][0]["permissions"] == ["repo.content.read", "repo.write"]
    _cli(hub.data_dir, "token", "revoke", "alice", mine[0]["id"])
    assert_hub_error(raw.get("/api/whoami-v2", token=token), 401)


@pytest.mark.parametrize("spec", [
    {"name": "", "role": "read"},
    {"name": "x" * 101, "role": "read"},
    {"name": "n", "role": "superuser"},
    {"name": "n", "role": "read", "scopes": [{"type": "model", "name": "a/b", "permissions": ["repo.write"]}]},
    {"name": "n", "role": "fineGrained"},
    {"name": "n", "role": "fineGrained", "scopes": []},
    {"name": "n", "role": "fineGrained", "scopes": [{"type": "model", "name": "../etc", "permissions": ["repo.write"]}]},
    {"name": "n", "role": "fineGrained", "scopes": [{"type": "model", "name": "a/b", "permissions": []}]},
    {"name": "n", "role": "fineGrained", "scopes": [{"type": "model", "name": "a/b", "permissions": ["root"]}]},
    {"name": "n", "role": "fineGrained", "scopes": [{"type": "galaxy", "name": "a", "permissions": ["repo.write"]}]},
    {"name": "n", "role": "write", "expiresIn": 0},
    {"name": "n", "role": "write", "expiresIn": 10**12},
    {"name": "n", "role": "write", "admin": True},
])
def test_bad_token_requests_are_refused_and_create_nothing(hub, raw, spec):
    before = len(raw.get("/api/tokens", token=hub.carol.token).json())
    res = raw.post_json("/api/tokens", spec, token=hub.carol.token)
    assert_hub_error(res, (400, 422))
    assert len(raw.get("/api/tokens", token=hub.carol.token).json()) == before


def test_forged_and_malformed_tokens_are_refused(hub, raw):
    for value in ("Bearer hf_" + "A" * 40, "Bearer ", "Basic YWxpY2U6cHc=", "Bearer " + "x" * 300):
        res = raw.get("/api/whoami-v2", headers={"Authorization": value})
        assert_hub_error(res, 401)
    # A forged token on a public repository is refused, not treated as anonymous.
    res = raw.get("/api/models", headers={"Authorization": "Bearer hf_forged"})
    assert_hub_error(res, 401)
    assert_hub_error(raw.post_json("/api/tokens", {"name": "n", "role": "write"}), 401)
