"""Organisations and roles, through the API and the CLI: read, contributor (may open pull
requests), write, admin."""

import json

import pytest
from huggingface_hub import CommitOperationAdd
from huggingface_hub.errors import HfHubHTTPError, RepositoryNotFoundError

from conftest import _cli, assert_hub_error, hf_api


def put_role(raw, org, user, role, token):
    return raw.request("PUT", f"/api/organizations/{org}/members/{user}", body=json.dumps({"role": role}),
                       headers={"Content-Type": "application/json"}, token=token)


@pytest.fixture
def team(hub, new_org, new_user, api):
    """An organisation with one member per role and a private repository with a file."""
    people = {role: new_user(role) for role in ("read", "contributor", "write", "admin")}
    org = new_org("team", members=[(p, r) for r, p in people.items()])
    repo_id = f"{org}/{hub.unique('private')}"
    api.create_repo(repo_id, private=True)
    api.upload_file(path_or_fileobj=b"v1", path_in_repo="f.txt", repo_id=repo_id)
    return org, repo_id, people


def test_each_role_does_what_it_may_and_no_more(hub, team):
    org, repo_id, people = team
    add = lambda who, path, **kw: hf_api(hub, people[who]).create_commit(
        repo_id, operations=[CommitOperationAdd(path, b"x")], commit_message=f"{who} adds {path}", **kw)
    # read: sees the private repository, cannot open a pull request or push.
    reader = hf_api(hub, people["read"])
    assert reader.model_info(repo_id).private is True
    with pytest.raises(HfHubHTTPError):
        add("read", "r.txt", create_pr=True)
    # contributor: opens pull requests, cannot push to main.
    pr = add("contributor", "c.txt", create_pr=True)
    assert pr.pr_url and "/discussions/" in pr.pr_url
    with pytest.raises(HfHubHTTPError):
        add("contributor", "c2.txt")
    # write: pushes, cannot change settings or delete.
    add("write", "w.txt")
    with pytest.raises(HfHubHTTPError):
        hf_api(hub, people["write"]).update_repo_settings(repo_id, private=False)
    with pytest.raises(HfHubHTTPError):
        hf_api(hub, people["write"]).delete_repo(repo_id)
    # admin: changes settings.
    hf_api(hub, people["admin"]).update_repo_settings(repo_id, gated="manual")
    assert hf_api(hub, people["admin"]).model_info(repo_id).gated == "manual"
    files = hf_api(hub, people["admin"]).list_repo_files(repo_id)
    assert "w.txt" in files and "c.txt" not in files and "r.txt" not in files
    # The members list shows roles to members, names to others.
    listed = {m.username: m for m in hf_api(hub, people["read"]).list_organization_members(org)}
    assert set(listed) == {"alice", *(p.name for p in people.values())}


def test_membership_is_managed_by_admins_only(hub, raw, team):
    org, repo_id, people = team
    outsider = hub.bob
    assert_hub_error(put_role(raw, org, outsider.name, "write", people["write"].token), 403)
    assert_hub_error(put_role(raw, org, outsider.name, "write", outsider.token), 403)
    assert_hub_error(put_role(raw, org, outsider.name, "owner", people["admin"].token), 400)
    assert_hub_error(put_role(raw, org, "nobody-such", "read", people["admin"].token), 404)
    assert_hub_error(put_role(raw, "no-such-org-anywhere", outsider.name, "read", people["admin"].token), 404)
    with pytest.raises(RepositoryNotFoundError):
        hf_api(hub, outsider).model_info(repo_id)
    assert put_role(raw, org, outsider.name, "read", people["admin"].token).status == 200
    assert hf_api(hub, outsider).model_info(repo_id).private is True
    assert raw.request("DELETE", f"/api/organizations/{org}/members/{outsider.name}", token=people["admin"].token).status == 200
    with pytest.raises(RepositoryNotFoundError):
        hf_api(hub, outsider).model_info(repo_id)
    roles = {m["user"]: m.get("role") for m in raw.get(f"/api/organizations/{org}/members", token=people["read"].token).json()}
    assert roles[people["contributor"].name] == "contributor"
    outside_view = raw.get(f"/api/organizations/{org}/members", token=outsider.token).json()
    assert all("role" not in m for m in outside_view)


def test_an_organisation_keeps_an_admin(hub, raw, new_org, new_user):
    solo = new_user("solo")
    org = new_org("solo-org", admin=solo)
    assert_hub_error(put_role(raw, org, solo.name, "write", solo.token), 409)
    assert_hub_error(raw.request("DELETE", f"/api/organizations/{org}/members/{solo.name}", token=solo.token), 409)
    roles = {m["user"]: m["role"] for m in raw.get(f"/api/organizations/{org}/members", token=solo.token).json()}
    assert roles == {solo.name: "admin"}


def test_the_cli_manages_members(hub, new_org, new_user):
    eve = new_user("eve")
    org = new_org("cli-org")
    _cli(hub.data_dir, "org", "add-member", org, eve.name, "--role", "contributor")
    assert f"{eve.name}\tcontributor" in _cli(hub.data_dir, "org", "members", org)
    _cli(hub.data_dir, "org", "set-role", org, eve.name, "--role", "read")
    assert f"{eve.name}\tread" in _cli(hub.data_dir, "org", "members", org)
    _cli(hub.data_dir, "org", "remove-member", org, eve.name)
    assert eve.name not in _cli(hub.data_dir, "org", "members", org)


def test_names_of_the_hubs_own_pages_cannot_be_taken(hub, raw):
    for name in ("login", "Settings", "api", "new"):
        assert_hub_error(raw.post_json("/api/organizations/new", {"name": name}, token=hub.alice.token), 400)
    with pytest.raises(RuntimeError, match="reserved"):
        _cli(hub.data_dir, "user", "create", "organizations")
    with pytest.raises(RuntimeError, match="reserved"):
        _cli(hub.data_dir, "org", "create", "search", "--owner", "alice")


def test_a_contributor_adds_commits_to_their_own_pull_request_only(hub, team, new_user, raw):
    org, repo_id, people = team
    other = new_user("other-contributor")
    assert put_role(raw, org, other.name, "contributor", hub.alice.token).status == 200
    mine = hf_api(hub, people["contributor"])
    pr = mine.create_commit(repo_id, operations=[CommitOperationAdd("one.txt", b"1")], commit_message="open", create_pr=True)
    revision = f"refs/pr/{pr.pr_num}"
    mine.create_commit(repo_id, operations=[CommitOperationAdd("two.txt", b"2")], commit_message="more", revision=revision)
    with pytest.raises(HfHubHTTPError) as e:
        hf_api(hub, other).create_commit(repo_id, operations=[CommitOperationAdd("three.txt", b"3")], commit_message="not mine", revision=revision)
    assert e.value.response.status_code == 403
    hf_api(hub, people["write"]).create_commit(repo_id, operations=[CommitOperationAdd("four.txt", b"4")], commit_message="maintainer", revision=revision)
    files = hf_api(hub, people["admin"]).list_repo_files(repo_id, revision=revision)
    assert {"one.txt", "two.txt", "four.txt"} <= set(files) and "three.txt" not in files
    assert "one.txt" not in hf_api(hub, people["admin"]).list_repo_files(repo_id)
