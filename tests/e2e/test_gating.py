"""Gated repositories as three people see them: alice owns, bob and carol ask. The real
huggingface_hub client raises GatedRepoError before approval and downloads after; the owner's
review API goes through every state the client's own tests expect."""

import json
import tempfile

import pytest
from huggingface_hub import hf_hub_download
from huggingface_hub.errors import GatedRepoError, HfHubHTTPError, RepositoryNotFoundError

from conftest import assert_hub_error, hf_api

FORM_CARD = """---
license: apache-2.0
extra_gated_prompt: "You agree to use this model for research only."
extra_gated_fields:
  Company: text
  Country: country
  Start date: date_picker
  Use:
    type: select
    options:
      - Research
      - label: Something else
        value: other
  I agree to the terms: checkbox
---
# Gated
"""

GOOD_ANSWERS = {
    "Company": "Example Lab",
    "Country": "FR",
    "Start date": "2026-12-01",
    "Use": "Research",
    "I agree to the terms": True,
}


@pytest.fixture
def gated_repo(hub, new_repo, api):
    """A public model of alice's, gated `manual`, with a form in its card and one LFS file."""

    def make(mode: str = "manual", card: str = FORM_CARD, namespace: str | None = None, owner_api=None) -> str:
        owner_api = owner_api or api
        repo_id = new_repo("gated", namespace=namespace)
        owner_api.upload_file(path_or_fileobj=card.encode(), path_in_repo="README.md", repo_id=repo_id)
        owner_api.upload_file(path_or_fileobj=b"\x00weights" * 100, path_in_repo="model.bin", repo_id=repo_id)
        owner_api.update_repo_settings(repo_id, gated=mode)
        return repo_id

    return make


def ask(raw, repo_id, account, fields=None, accept=True, kind="models"):
    body = {"fields": GOOD_ANSWERS if fields is None else fields, "accept": accept}
    return raw.post_json(f"/api/{kind}/{repo_id}/ask-access", body, token=account.token)


def download(hub, repo_id, account, filename="model.bin", **kw):
    """Downloads as `account` (None: anonymous) into a cache of its own: a file another person
    already fetched must not come from the shared cache."""
    token = account.token if account is not None else False
    cache = tempfile.mkdtemp(prefix="gated-cache-")
    return open(hf_hub_download(repo_id, filename, token=token, cache_dir=cache, **kw), "rb").read()


def test_gated_download_fails_before_approval_and_succeeds_after(hub, raw, gated_repo, api):
    repo_id = gated_repo("manual")
    bob = hf_api(hub, hub.bob)
    assert api.model_info(repo_id).gated == "manual"
    # Anonymous: 401 with the Hub's text; signed in but not approved: 403 and where to ask.
    with pytest.raises(GatedRepoError) as anon:
        download(hub, repo_id, None)
    assert anon.value.response.status_code == 401
    assert f"Access to model {repo_id} is restricted. You must be authenticated" in str(anon.value)
    with pytest.raises(GatedRepoError) as denied:
        download(hub, repo_id, hub.bob)
    assert denied.value.response.status_code == 403
    assert f"Access to model {repo_id} is restricted and you are not in the authorized list" in str(denied.value)
    assert f"{hub.url}/{repo_id}" in str(denied.value)
    # Metadata stays readable; the repository exists for the client.
    assert bob.model_info(repo_id).gated == "manual"
    assert sorted(bob.list_repo_files(repo_id)) == [".gitattributes", "README.md", "model.bin"]
    assert bob.repo_exists(repo_id)
    with pytest.raises(GatedRepoError):
        bob.auth_check(repo_id)
    # bob asks, with the form's answers; alice sees the request with them and his contact.
    form = raw.get(f"/api/models/{repo_id}/ask-access", token=hub.bob.token).json()
    assert form["status"] is None
    assert form["prompt"] == "You agree to use this model for research only."
    assert [f["type"] for f in form["fields"]] == ["text", "country", "date_picker", "select", "checkbox"]
    res = ask(raw, repo_id, hub.bob)
    assert res.status == 200 and res.json()["status"] == "pending", res
    pending = list(api.list_pending_access_requests(repo_id))
    assert [(r.username, r.email, r.status) for r in pending] == [("bob", "bob@example.org", "pending")]
    assert pending[0].fields == {**GOOD_ANSWERS, "Country": "France"}
    with pytest.raises(GatedRepoError):
        download(hub, repo_id, hub.bob)
    api.accept_access_request(repo_id, "bob")
    assert download(hub, repo_id, hub.bob) == b"\x00weights" * 100
    hf_api(hub, hub.bob).auth_check(repo_id)
    # carol, who did not ask, is still out; so is anyone anonymous.
    with pytest.raises(GatedRepoError):
        download(hub, repo_id, hub.carol)
    with pytest.raises(GatedRepoError):
        download(hub, repo_id, None)
    # The owner is never gated, with a read token too.
    assert download(hub, repo_id, hub.alice) == b"\x00weights" * 100
    r = raw.get(f"/{repo_id}/resolve/main/model.bin", token=hub.alice.read_token)
    assert r.status == 200


def test_auto_gating_lets_in_at_once(hub, raw, gated_repo, api):
    repo_id = gated_repo("auto")
    with pytest.raises(GatedRepoError):
        download(hub, repo_id, hub.carol)
    res = ask(raw, repo_id, hub.carol)
    assert res.status == 200 and res.json()["status"] == "accepted", res
    assert download(hub, repo_id, hub.carol) == b"\x00weights" * 100
    assert [r.username for r in api.list_accepted_access_requests(repo_id)] == ["carol"]
    assert list(api.list_pending_access_requests(repo_id)) == []


def test_review_api_state_machine(hub, gated_repo, api):
    """The sequence huggingface_hub's own tests run against the Hub."""
    repo_id = gated_repo("manual")
    assert list(api.list_pending_access_requests(repo_id)) == []
    api.grant_access(repo_id, "bob")
    accepted = list(api.list_accepted_access_requests(repo_id))
    assert [(r.username, r.email, r.fields) for r in accepted] == [("bob", None, None)]
    api.cancel_access_request(repo_id, "bob")
    assert [r.username for r in api.list_pending_access_requests(repo_id)] == ["bob"]
    api.reject_access_request(repo_id, "bob", rejection_reason="Not for this project")
    rejected = list(api.list_rejected_access_requests(repo_id))
    assert [r.username for r in rejected] == ["bob"]
    api.accept_access_request(repo_id, "bob")
    request_id = list(api.list_accepted_access_requests(repo_id))[0].request_id
    api.cancel_access_request(repo_id, request_id=request_id)
    api.accept_access_request(repo_id, request_id=request_id)
    assert download(hub, repo_id, hub.bob)
    # Repeated or conflicting decisions are errors and change nothing.
    with pytest.raises(HfHubHTTPError):
        api.grant_access(repo_id, "bob")
    with pytest.raises(HfHubHTTPError):
        api.accept_access_request(repo_id, "bob")
    api.reject_access_request(repo_id, "bob", rejection_reason=None)
    with pytest.raises(HfHubHTTPError):
        api.reject_access_request(repo_id, "bob", rejection_reason=None)
    api.cancel_access_request(repo_id, "bob")
    with pytest.raises(HfHubHTTPError):
        api.cancel_access_request(repo_id, "bob")
    assert [r.username for r in api.list_pending_access_requests(repo_id)] == ["bob"]
    # Unknown users and requests are 404s.
    with pytest.raises(HfHubHTTPError) as e:
        api.grant_access(repo_id, "nobody-by-this-name")
    assert e.value.response.status_code == 404
    with pytest.raises(HfHubHTTPError) as e:
        api.accept_access_request(repo_id, "carol")
    assert e.value.response.status_code == 404
    with pytest.raises(HfHubHTTPError) as e:
        api.accept_access_request(repo_id, request_id="999999999")
    assert e.value.response.status_code == 404


def test_revoking_access_takes_effect_at_once(hub, raw, gated_repo, api):
    repo_id = gated_repo("manual")
    api.grant_access(repo_id, "bob")
    assert download(hub, repo_id, hub.bob)
    api.reject_access_request(repo_id, "bob", rejection_reason="Licence breach")
    r = raw.get(f"/{repo_id}/resolve/main/model.bin", token=hub.bob.token)
    assert_hub_error(r, 403, "GatedRepo")
    # A rejected user cannot simply ask again; the reason is shown to them.
    res = ask(raw, repo_id, hub.bob)
    assert_hub_error(res, 403)
    assert "Licence breach" in res.header("X-Error-Message")
    assert raw.get(f"/api/models/{repo_id}/ask-access", token=hub.bob.token).json()["status"] == "rejected"


def test_the_form_refuses_bad_answers_and_records_nothing(hub, raw, gated_repo, api):
    repo_id = gated_repo("manual")
    bad = {
        "missing field": {k: v for k, v in GOOD_ANSWERS.items() if k != "Company"},
        "unknown field": {**GOOD_ANSWERS, "Favourite colour": "blue"},
        "unticked box": {**GOOD_ANSWERS, "I agree to the terms": False},
        "no country": {**GOOD_ANSWERS, "Country": "Atlantis"},
        "bad date": {**GOOD_ANSWERS, "Start date": "2026-13-45"},
        "not an option": {**GOOD_ANSWERS, "Use": "Weapons"},
        "oversized": {**GOOD_ANSWERS, "Company": "x" * 1001},
        "empty": {**GOOD_ANSWERS, "Company": "   "},
        "control chars": {**GOOD_ANSWERS, "Company": "a\x00b"},
        "wrong type": {**GOOD_ANSWERS, "Company": ["a"]},
    }
    for why, fields in bad.items():
        res = ask(raw, repo_id, hub.bob, fields)
        assert res.status == 400, (why, res)
        assert res.header("X-Error-Message"), why
    assert_hub_error(ask(raw, repo_id, hub.bob, accept=False), 400)
    res = raw.post_json(f"/api/models/{repo_id}/ask-access", {"fields": GOOD_ANSWERS, "accept": True, "admin": True}, token=hub.bob.token)
    assert_hub_error(res, (400, 422))
    res = raw.request("POST", f"/api/models/{repo_id}/ask-access", body=b'{"fields": {', headers={"Content-Type": "application/json"}, token=hub.bob.token)
    assert_hub_error(res, 400)
    assert_hub_error(ask(raw, repo_id, hub.alice), 400)  # the owner has access already
    assert list(api.list_pending_access_requests(repo_id)) == []
    # Anonymous callers cannot ask.
    res = raw.post_json(f"/api/models/{repo_id}/ask-access", {"fields": GOOD_ANSWERS, "accept": True})
    assert_hub_error(res, 401)
    # A good request lands once; asking again is a conflict and changes nothing.
    assert ask(raw, repo_id, hub.bob).status == 200
    assert_hub_error(ask(raw, repo_id, hub.bob), 409)
    assert len(list(api.list_pending_access_requests(repo_id))) == 1


def test_org_members_are_never_gated(hub, raw, gated_repo, new_org, api):
    org = new_org("gated-org", members=[(hub.carol, "read")])
    repo_id = gated_repo("manual", namespace=org)
    assert download(hub, repo_id, hub.carol) == b"\x00weights" * 100
    with pytest.raises(GatedRepoError):
        download(hub, repo_id, hub.bob)


def test_gating_follows_the_card_when_an_admin_commits_it(hub, new_repo, api, new_org, new_user):
    repo_id = new_repo("card-gated")
    api.upload_file(path_or_fileobj=b"---\ngated: manual\n---\n# x\n", path_in_repo="README.md", repo_id=repo_id)
    assert api.model_info(repo_id).gated == "manual"
    api.upload_file(path_or_fileobj=b"---\ngated: false\n---\n# x\n", path_in_repo="README.md", repo_id=repo_id)
    assert api.model_info(repo_id).gated is False
    # A writer of an organisation may edit the card but not open or close the gate.
    writer = new_user("writer")
    org = new_org("card-org", members=[(writer, "write")])
    org_repo = f"{org}/{hub.unique('card')}"
    api.create_repo(org_repo)
    hf_api(hub, writer).upload_file(path_or_fileobj=b"---\ngated: auto\n---\n", path_in_repo="README.md", repo_id=org_repo)
    assert api.model_info(org_repo).gated is False


def test_gated_dataset_and_private_repo_answers(hub, raw, new_repo, api):
    ds = new_repo("gated-ds", repo_type="dataset")
    api.upload_file(path_or_fileobj=b"a,b\n1,2\n", path_in_repo="data.csv", repo_id=ds, repo_type="dataset")
    api.update_repo_settings(ds, gated="auto", repo_type="dataset")
    with pytest.raises(GatedRepoError) as e:
        hf_hub_download(ds, "data.csv", repo_type="dataset", token=hub.bob.token)
    assert f"Access to dataset {ds} is restricted" in str(e.value)
    # A private gated repository stays invisible: no form, no request, no gate message.
    private = new_repo("gated-private", private=True)
    api.update_repo_settings(private, gated="manual")
    assert_hub_error(raw.get(f"/api/models/{private}/ask-access", token=hub.bob.token), 404, "RepoNotFound")
    assert_hub_error(ask(raw, private, hub.bob), 404, "RepoNotFound")
    with pytest.raises(RepositoryNotFoundError):
        hf_hub_download(private, "README.md", token=hub.bob.token)
    # The review API is the owner's.
    res = raw.get(f"/api/models/{ds}/user-access-request/pending", token=hub.bob.token)
    assert_hub_error(res, 404, "RepoNotFound")
    res = raw.get(f"/api/datasets/{ds}/user-access-request/pending", token=hub.bob.token)
    assert_hub_error(res, 403)
    res = raw.post_json(f"/api/datasets/{ds}/user-access-request/grant", {"user": "bob"}, token=hub.bob.token)
    assert_hub_error(res, 403)
    # Settings refuse nonsense.
    res = raw.request("PUT", f"/api/models/{private}/settings", body=json.dumps({"gated": "sometimes"}), headers={"Content-Type": "application/json"}, token=hub.alice.token)
    assert_hub_error(res, 400)


def test_pending_list_is_paginated(hub, raw, gated_repo, new_user):
    repo_id = gated_repo("manual")
    people = [new_user("asker") for _ in range(3)]
    for p in people:
        assert ask(raw, repo_id, p).status == 200
    first = raw.get(f"/api/models/{repo_id}/user-access-request/pending?limit=2", token=hub.alice.token)
    assert first.status == 200 and len(first.json()) == 2
    link = first.header("Link")
    assert link and 'rel="next"' in link
    nxt = raw.get(link.split(";")[0].strip("<>"), token=hub.alice.token)
    assert [r["user"]["user"] for r in first.json() + nxt.json()] == [p.name for p in people]
    assert_hub_error(raw.get(f"/api/models/{repo_id}/user-access-request/pending?limit=0", token=hub.alice.token), 400)
    assert_hub_error(raw.get(f"/api/models/{repo_id}/user-access-request/whatever", token=hub.alice.token), 404)


def test_datasets_load_a_gated_dataset_once_let_in(hub, raw, new_repo, api, tmp_path):
    from datasets import load_dataset

    ds = new_repo("gated-load", repo_type="dataset")
    api.upload_file(path_or_fileobj=b"---\nlicense: cc-by-4.0\n---\n# Gated data\n", path_in_repo="README.md", repo_id=ds, repo_type="dataset")
    api.upload_file(path_or_fileobj=b"text,label\nhello,1\nworld,0\n", path_in_repo="data/train.csv", repo_id=ds, repo_type="dataset")
    api.update_repo_settings(ds, gated="manual", repo_type="dataset")
    with pytest.raises(Exception) as e:
        load_dataset(ds, token=hub.carol.token, cache_dir=str(tmp_path / "before"))
    assert "gated" in str(e.value).lower()
    assert ask(raw, ds, hub.carol, fields={}, kind="datasets").json()["status"] == "pending"
    api.accept_access_request(ds, "carol", repo_type="dataset")
    loaded = load_dataset(ds, token=hub.carol.token, cache_dir=str(tmp_path / "after"))
    assert loaded["train"]["text"] == ["hello", "world"]
