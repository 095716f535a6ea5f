"""Who sees and who writes: private repositories, read tokens, other users, anonymous access."""

import pytest
from huggingface_hub import CommitOperationAdd, hf_hub_download, snapshot_download
from huggingface_hub.errors import HfHubHTTPError, RepositoryNotFoundError


@pytest.fixture
def private_repo(new_repo, api):
    repo_id = new_repo("private", private=True)
    api.upload_file(path_or_fileobj=b"secret weights", path_in_repo="model.txt", repo_id=repo_id)
    return repo_id


def test_private_repo_is_invisible_to_another_user(hub, private_repo, api, bob_api, anon_api):
    repo_id = private_repo
    assert api.model_info(repo_id).private is True
    for other in (bob_api, anon_api):
        with pytest.raises(RepositoryNotFoundError):
            other.model_info(repo_id)
        assert not other.repo_exists(repo_id)
        with pytest.raises(RepositoryNotFoundError):
            other.list_repo_files(repo_id)
        with pytest.raises(RepositoryNotFoundError):
            other.list_repo_commits(repo_id)
        with pytest.raises(RepositoryNotFoundError):
            other.list_repo_refs(repo_id)
    with pytest.raises(RepositoryNotFoundError):
        hf_hub_download(repo_id, "model.txt", token=hub.bob.token)
    with pytest.raises(RepositoryNotFoundError):
        hf_hub_download(repo_id, "model.txt", token=False)
    with pytest.raises(RepositoryNotFoundError):
        snapshot_download(repo_id, token=hub.bob.token)
    with pytest.raises(RepositoryNotFoundError):
        bob_api.auth_check(repo_id)
    api.auth_check(repo_id)
    # ...and to the owner it is all there
    assert open(hf_hub_download(repo_id, "model.txt", token=hub.alice.token)).read() == "secret weights"


def test_private_repo_is_not_listed_for_others(hub, private_repo, api, bob_api, anon_api):
    name = private_repo.split("/")[1]
    assert [m.id for m in api.list_models(search=name)] == [private_repo]
    assert [m.id for m in bob_api.list_models(search=name)] == []
    assert [m.id for m in anon_api.list_models(search=name)] == []
    assert [m.id for m in anon_api.list_models(author="alice", search=name)] == []


def test_private_repo_answers_like_a_missing_one(raw, private_repo):
    """The existence of a private repository does not show: same status, same code."""
    for path in (f"/api/models/{private_repo}", f"/{private_repo}/resolve/main/model.txt"):
        hidden = raw.get(path)
        missing = raw.get(path.replace(private_repo, private_repo + "-missing"))
        assert hidden.status == missing.status
        assert hidden.status in (401, 404)
        assert hidden.header("X-Error-Code") == missing.header("X-Error-Code") == "RepoNotFound"


def test_private_repo_of_an_organisation(hub, api, bob_api):
    repo_id = f"{hub.org}/{hub.unique('org-private')}"
    api.create_repo(repo_id, private=True)
    api.upload_file(path_or_fileobj=b"org only", path_in_repo="x.txt", repo_id=repo_id)
    assert open(hf_hub_download(repo_id, "x.txt", token=hub.alice.token)).read() == "org only"
    with pytest.raises(RepositoryNotFoundError):
        bob_api.model_info(repo_id)


def test_making_a_repo_private_hides_it(new_repo, api, bob_api):
    repo_id = new_repo("goes-private")
    assert bob_api.model_info(repo_id).id == repo_id
    api.update_repo_settings(repo_id, private=True)
    with pytest.raises(RepositoryNotFoundError):
        bob_api.model_info(repo_id)
    api.update_repo_settings(repo_id, private=False)
    assert bob_api.model_info(repo_id).id == repo_id


def test_a_read_token_cannot_write(hub, new_repo, api, alice_read_api):
    repo_id = new_repo("read-token")
    before = api.model_info(repo_id).sha
    with pytest.raises(HfHubHTTPError) as e:
        alice_read_api.upload_file(path_or_fileobj=b"nope", path_in_repo="nope.txt", repo_id=repo_id)
    assert e.value.response.status_code in (401, 403)
    with pytest.raises(HfHubHTTPError) as e:
        alice_read_api.create_repo(f"alice/{hub.unique('by-read-token')}")
    assert e.value.response.status_code in (401, 403)
    with pytest.raises(HfHubHTTPError) as e:
        alice_read_api.create_branch(repo_id, branch="nope")
    assert e.value.response.status_code in (401, 403)
    with pytest.raises(HfHubHTTPError) as e:
        alice_read_api.delete_repo(repo_id)
    assert e.value.response.status_code in (401, 403)
    # It still reads, including alice's private repositories
    assert alice_read_api.model_info(repo_id).sha == before
    private = new_repo("read-token-private", private=True)
    assert alice_read_api.model_info(private).private is True
    assert api.model_info(repo_id).sha == before


def test_another_user_cannot_write_to_a_public_repo(new_repo, api, bob_api):
    repo_id = new_repo("public-readonly")
    before = api.model_info(repo_id).sha
    with pytest.raises(HfHubHTTPError) as e:
        bob_api.upload_file(path_or_fileobj=b"vandalism", path_in_repo="x.txt", repo_id=repo_id)
    assert e.value.response.status_code in (401, 403)
    with pytest.raises(HfHubHTTPError) as e:
        bob_api.create_commit(repo_id, operations=[CommitOperationAdd("y.txt", b"y")], commit_message="x")
    assert e.value.response.status_code in (401, 403)
    assert api.model_info(repo_id).sha == before
    # bob reads it
    assert bob_api.list_repo_files(repo_id) == [".gitattributes"]


def test_anonymous_reads_public_repos_but_cannot_write(new_repo, api, anon_api):
    repo_id = new_repo("anon")
    api.upload_file(path_or_fileobj=b"public", path_in_repo="p.txt", repo_id=repo_id)
    assert anon_api.model_info(repo_id).id == repo_id
    assert open(hf_hub_download(repo_id, "p.txt", token=False)).read() == "public"
    with pytest.raises(HfHubHTTPError) as e:
        anon_api.create_repo("anonymous-repo")
    assert e.value.response.status_code == 401
    with pytest.raises(HfHubHTTPError) as e:
        anon_api.upload_file(path_or_fileobj=b"x", path_in_repo="x.txt", repo_id=repo_id)
    assert e.value.response.status_code == 401
