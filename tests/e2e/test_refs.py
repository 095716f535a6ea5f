"""Branches and tags with `huggingface_hub`: create, delete, and the errors the Hub gives."""

import pytest
from huggingface_hub import hf_hub_download
from huggingface_hub.errors import BadRequestError, HfHubHTTPError, RevisionNotFoundError


def refs(api, repo_id):
    r = api.list_repo_refs(repo_id)
    return {b.name: b.target_commit for b in r.branches}, {t.name: t.target_commit for t in r.tags}


@pytest.fixture
def two_commits(new_repo, api):
    repo_id = new_repo("refs")
    first = api.upload_file(path_or_fileobj=b"1", path_in_repo="n.txt", repo_id=repo_id).oid
    second = api.upload_file(path_or_fileobj=b"2", path_in_repo="n.txt", repo_id=repo_id).oid
    return repo_id, first, second


def test_create_branch_from_head_and_from_a_revision(api, two_commits):
    repo_id, first, second = two_commits
    api.create_branch(repo_id, branch="from-head")
    api.create_branch(repo_id, branch="from-first", revision=first)
    api.create_branch(repo_id, branch="feature/nested-name")
    branches, _ = refs(api, repo_id)
    assert branches == {"main": second, "from-head": second, "from-first": first, "feature/nested-name": second}
    assert open(hf_hub_download(repo_id, "n.txt", revision="from-first")).read() == "1"
    assert open(hf_hub_download(repo_id, "n.txt", revision="feature/nested-name")).read() == "2"


def test_duplicate_branch_is_a_409_unless_exist_ok(api, two_commits):
    repo_id, first, second = two_commits
    api.create_branch(repo_id, branch="dup")
    with pytest.raises(HfHubHTTPError) as e:
        api.create_branch(repo_id, branch="dup", revision=first)
    assert e.value.response.status_code == 409
    api.create_branch(repo_id, branch="dup", exist_ok=True)
    assert refs(api, repo_id)[0]["dup"] == second, "the existing branch is left as it was"


def test_invalid_branch_names_are_refused(api, two_commits):
    repo_id, _, _ = two_commits
    with pytest.raises(BadRequestError) as e:
        api.create_branch(repo_id, branch="refs/pr/5")
    assert e.value.response.status_code == 400
    for bad in ("bad..name", "bad name", "ends-with.lock"):
        with pytest.raises(HfHubHTTPError) as e:
            api.create_branch(repo_id, branch=bad)
        assert e.value.response.status_code == 400, bad
    assert set(refs(api, repo_id)[0]) == {"main"}


def test_create_branch_from_missing_revision(api, two_commits):
    repo_id, _, _ = two_commits
    with pytest.raises(RevisionNotFoundError):
        api.create_branch(repo_id, branch="x", revision="no-such-thing")


def test_delete_branch(api, two_commits):
    repo_id, _, _ = two_commits
    api.create_branch(repo_id, branch="temp")
    api.delete_branch(repo_id, branch="temp")
    assert "temp" not in refs(api, repo_id)[0]
    with pytest.raises(HfHubHTTPError) as e:
        api.delete_branch(repo_id, branch="temp")
    assert e.value.response.status_code in (400, 404)


def test_deleting_main_is_refused(api, two_commits):
    repo_id, _, second = two_commits
    with pytest.raises(HfHubHTTPError) as e:
        api.delete_branch(repo_id, branch="main")
    assert 400 <= e.value.response.status_code < 500
    assert refs(api, repo_id)[0]["main"] == second


def test_tags(api, two_commits):
    repo_id, first, second = two_commits
    api.create_tag(repo_id, tag="v1", revision=first, tag_message="first")
    api.create_tag(repo_id, tag="v2")
    _, tags = refs(api, repo_id)
    assert tags == {"v1": first, "v2": second}
    assert open(hf_hub_download(repo_id, "n.txt", revision="v1")).read() == "1"
    with pytest.raises(HfHubHTTPError) as e:
        api.create_tag(repo_id, tag="v1")
    assert e.value.response.status_code == 409
    api.create_tag(repo_id, tag="v1", exist_ok=True)
    assert refs(api, repo_id)[1]["v1"] == first
    with pytest.raises(RevisionNotFoundError):
        api.create_tag(repo_id, tag="v3", revision="no-such-branch")
    api.delete_tag(repo_id, tag="v1")
    assert refs(api, repo_id)[1] == {"v2": second}
    with pytest.raises(HfHubHTTPError) as e:
        api.delete_tag(repo_id, tag="v1")
    assert e.value.response.status_code in (400, 404)
    with pytest.raises(RevisionNotFoundError):
        hf_hub_download(repo_id, "n.txt", revision="v1")


def test_a_branch_may_share_a_tags_name(api, two_commits):
    repo_id, first, second = two_commits
    api.create_tag(repo_id, tag="same", revision=first)
    api.create_branch(repo_id, branch="same")
    branches, tags = refs(api, repo_id)
    assert branches["same"] == second and tags["same"] == first


def test_tag_a_pull_request(api, two_commits):
    repo_id, _, _ = two_commits
    pr = api.upload_file(path_or_fileobj=b"pr", path_in_repo="pr.txt", repo_id=repo_id, create_pr=True)
    api.create_tag(repo_id, tag="pr-tag", revision=pr.pr_revision)
    assert refs(api, repo_id)[1]["pr-tag"] == pr.oid
    api.create_branch(repo_id, branch="from-pr", revision=pr.pr_revision)
    assert refs(api, repo_id)[0]["from-pr"] == pr.oid


def test_only_writers_manage_refs(api, bob_api, two_commits):
    repo_id, _, _ = two_commits
    with pytest.raises(HfHubHTTPError) as e:
        bob_api.create_branch(repo_id, branch="bobs")
    assert e.value.response.status_code in (401, 403)
    with pytest.raises(HfHubHTTPError) as e:
        bob_api.create_tag(repo_id, tag="bobs")
    assert e.value.response.status_code in (401, 403)
    api.create_branch(repo_id, branch="alices")
    with pytest.raises(HfHubHTTPError) as e:
        bob_api.delete_branch(repo_id, branch="alices")
    assert e.value.response.status_code in (401, 403)
    branches, tags = refs(api, repo_id)
    assert set(branches) == {"main", "alices"} and tags == {}
