"""The audit log: access decisions, reads of gated content with the token used, settings,
membership and token changes; read by the owner as JSON pages or JSON lines; append-only."""

import json
import sqlite3

import pytest

from conftest import _cli, assert_hub_error
from test_gating import GOOD_ANSWERS, ask, download


def events(raw, path, token):
    res = raw.get(path, token=token)
    assert res.status == 200, res
    return res.json()


def test_access_decisions_and_gated_reads_are_recorded(hub, raw, api, new_repo):
    repo_id = new_repo("audited")
    api.upload_file(path_or_fileobj=b"\x00w", path_in_repo="w.bin", repo_id=repo_id)
    api.update_repo_settings(repo_id, gated="manual")
    with pytest.raises(Exception):
        download(hub, repo_id, hub.bob, "w.bin")
    assert ask(raw, repo_id, hub.bob, fields={}).status == 200
    api.accept_access_request(repo_id, "bob")
    assert download(hub, repo_id, hub.bob, "w.bin") == b"\x00w"
    api.update_repo_settings(repo_id, gated=False)

    log = events(raw, f"/api/models/{repo_id}/audit", hub.alice.token)
    actions = [e["action"] for e in log]
    assert actions[0] == "repo.create"
    for expected in ("settings.change", "content.denied", "access.request", "access.accepted", "content.read"):
        assert expected in actions, actions
    assert actions.index("content.denied") < actions.index("access.accepted") < actions.index("content.read")
    read = next(e for e in log if e["action"] == "content.read")
    bob_tokens = raw.get("/api/tokens", token=hub.bob.token).json()
    assert read["actor"] == "bob" and str(read["tokenId"]) in {t["id"] for t in bob_tokens}
    assert read["address"] == "127.0.0.1" and read["detail"]["path"] == "w.bin"
    assert read["at"].endswith("Z")
    changes = [e["detail"]["gated"] for e in log if e["action"] == "settings.change"]
    assert changes == [{"from": False, "to": "manual"}, {"from": "manual", "to": None}]
    # The same as JSON lines, for export; and page by page with a Link.
    lines = raw.get(f"/api/models/{repo_id}/audit?format=jsonl", token=hub.alice.token)
    assert lines.header("Content-Type") == "application/x-ndjson"
    assert [json.loads(l) for l in lines.body.decode().splitlines()] == log
    page = raw.get(f"/api/models/{repo_id}/audit?limit=2", token=hub.alice.token)
    assert len(page.json()) == 2 and 'rel="next"' in page.header("Link")
    # Others cannot read it; the repository's existence is all bob learns.
    assert_hub_error(raw.get(f"/api/models/{repo_id}/audit", token=hub.bob.token), 403)
    assert_hub_error(raw.get(f"/api/models/{repo_id}/audit"), 401)
    assert_hub_error(raw.get(f"/api/models/{repo_id}/audit", token=hub.alice.read_token), 403)


def test_membership_and_token_changes_are_recorded_per_namespace(hub, raw, new_org, new_user):
    frank = new_user("frank")
    org = new_org("audit-org", members=[(frank, "write")])
    res = raw.post_json("/api/tokens", {"name": "audited", "role": "read"}, token=frank.token)
    token_id = res.json()["id"]
    raw.request("DELETE", f"/api/tokens/{token_id}", token=frank.token)
    org_log = events(raw, f"/api/organizations/{org}/audit", hub.alice.token)
    assert [e["action"] for e in org_log] == ["org.create", "member.set"]
    assert org_log[1]["detail"] == {"user": frank.name, "from": None, "to": "write"}
    user_log = events(raw, f"/api/users/{frank.name}/audit", frank.token)
    assert [(e["action"], e["detail"]["token"]) for e in user_log] == [("token.create", int(token_id)), ("token.revoke", int(token_id))]
    assert_hub_error(raw.get(f"/api/organizations/{org}/audit", token=frank.token), 404)
    assert_hub_error(raw.get(f"/api/users/{frank.name}/audit", token=hub.alice.token), 404)


def test_the_log_is_append_only_and_exported_by_the_cli(hub, api, new_repo):
    repo_id = new_repo("append-only")
    api.update_repo_settings(repo_id, private=True)
    db = sqlite3.connect(hub.data_dir / "agora.db", timeout=30)
    try:
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            db.execute("UPDATE audit SET action = 'nothing happened'")
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            db.execute("DELETE FROM audit")
    finally:
        db.close()
    out = _cli(hub.data_dir, "audit", "--repo", f"model:{repo_id}")
    lines = [json.loads(l) for l in out.splitlines()]
    assert [l["action"] for l in lines] == ["repo.create", "settings.change"]
    assert lines[1]["detail"]["private"] == {"from": False, "to": True}
