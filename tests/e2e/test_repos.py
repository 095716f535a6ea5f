"""Repositories and accounts with `huggingface_hub`: create, settings, move, delete, whoami, search."""

import pytest
from huggingface_hub import HfApi, hf_hub_download
from huggingface_hub.errors import HfHubHTTPError, RepositoryNotFoundError


def test_whoami_names_the_user_their_orgs_and_the_token_role(hub, api, alice_read_api):
    me = api.whoami()
    assert me["name"] == "alice"
    assert hub.org in [o["name"] for o in me["orgs"]]
    assert me["auth"]["accessToken"]["role"] == "write"
    assert alice_read_api.whoami()["auth"]["accessToken"]["role"] == "read"


def test_whoami_with_a_bad_token_is_refused(hub):
    with pytest.raises(HfHubHTTPError) as e:
        HfApi(endpoint=hub.url, token="hf_not_a_real_token_at_all_000000").whoami()
    assert e.value.response.status_code == 401


def test_create_repo_returns_its_url_and_starts_with_gitattributes(hub, api):
    repo_id = f"alice/{hub.unique('created')}"
    url = api.create_repo(repo_id)
    assert url.repo_id == repo_id
    assert url.repo_type == "model"
    assert str(url) == f"{hub.url}/{repo_id}"
    assert api.list_repo_files(repo_id) == [".gitattributes"]
    commits = api.list_repo_commits(repo_id)
    assert len(commits) == 1
    assert commits[0].authors == ["alice"]
    attrs = open(hf_hub_download(repo_id, ".gitattributes")).read()
    assert "*.safetensors filter=lfs diff=lfs merge=lfs -text" in attrs


def test_create_dataset_repo(hub, api):
    repo_id = f"alice/{hub.unique('ds')}"
    url = api.create_repo(repo_id, repo_type="dataset")
    assert str(url) == f"{hub.url}/datasets/{repo_id}"
    assert api.dataset_info(repo_id).id == repo_id
    assert api.repo_exists(repo_id, repo_type="dataset")
    assert not api.repo_exists(repo_id, repo_type="model")


def test_create_repo_twice_conflicts_unless_exist_ok(hub, api):
    repo_id = f"alice/{hub.unique('twice')}"
    api.create_repo(repo_id)
    with pytest.raises(HfHubHTTPError) as e:
        api.create_repo(repo_id)
    assert e.value.response.status_code == 409
    assert api.create_repo(repo_id, exist_ok=True).repo_id == repo_id
    assert len(api.list_repo_commits(repo_id)) == 1


def test_create_repo_without_namespace_goes_to_the_token_owner(hub, api):
    name = hub.unique("mine")
    url = api.create_repo(name)
    assert url.repo_id == f"alice/{name}"
    assert api.model_info(f"alice/{name}").author == "alice"


def test_create_repo_in_an_organisation(hub, api, bob_api):
    repo_id = f"{hub.org}/{hub.unique('org-model')}"
    api.create_repo(repo_id)
    info = api.model_info(repo_id)
    assert info.id == repo_id
    assert info.author == hub.org
    # bob is not a member of the organisation
    with pytest.raises(HfHubHTTPError) as e:
        bob_api.create_repo(f"{hub.org}/{hub.unique('intruder')}")
    assert e.value.response.status_code in (401, 403)


def test_cannot_create_repo_in_another_users_namespace(hub, bob_api):
    with pytest.raises(HfHubHTTPError) as e:
        bob_api.create_repo(f"alice/{hub.unique('not-bobs')}")
    assert e.value.response.status_code in (401, 403)


def test_private_repo_is_private(hub, api):
    repo_id = f"alice/{hub.unique('secret')}"
    api.create_repo(repo_id, private=True)
    assert api.model_info(repo_id).private is True


@pytest.mark.parametrize("name", ["Qwen2.5-0.5B-Instruct", "My_Model.v1", "UPPER.case-Name"])
def test_hf_style_names_and_case_insensitive_lookup(hub, api, name):
    repo_id = f"alice/{name}-{hub.unique('x')}"
    api.create_repo(repo_id)
    api.upload_file(path_or_fileobj=b"hello", path_in_repo="hello.txt", repo_id=repo_id)
    assert api.model_info(repo_id).id == repo_id
    # Same repository, whatever the case
    other_case = repo_id.swapcase()
    assert api.model_info(other_case).sha == api.model_info(repo_id).sha
    assert open(hf_hub_download(other_case, "hello.txt")).read() == "hello"
    # Creating it again under another case is the same repository
    with pytest.raises(HfHubHTTPError) as e:
        api.create_repo(repo_id.lower())
    assert e.value.response.status_code == 409


def test_model_info_shape(hub, api, model_with_files):
    repo_id, files = model_with_files
    info = api.model_info(repo_id, files_metadata=True)
    assert info.id == repo_id
    assert len(info.sha) == 40
    assert info.private is False
    assert info.gated is False
    assert info.card_data["license"] == "apache-2.0"
    assert "e2e" in info.tags
    assert info.last_modified is not None and info.created_at is not None
    siblings = {s.rfilename: s for s in info.siblings}
    assert set(siblings) == set(files) | {".gitattributes"}
    assert siblings["config.json"].size == len(files["config.json"])
    assert siblings["config.json"].lfs is None
    weights = siblings["weights.bin"]
    assert weights.size == len(files["weights.bin"])
    import hashlib

    assert weights.lfs.sha256 == hashlib.sha256(files["weights.bin"]).hexdigest()
    assert weights.lfs.size == len(files["weights.bin"])


def test_model_info_at_a_revision(api, model_with_files):
    repo_id, _ = model_with_files
    first = api.list_repo_commits(repo_id)[-1].commit_id
    old = api.model_info(repo_id, revision=first)
    assert old.sha == first
    assert [s.rfilename for s in old.siblings] == [".gitattributes"]


def test_repo_file_and_revision_exist(api, model_with_files):
    repo_id, _ = model_with_files
    assert api.repo_exists(repo_id)
    assert not api.repo_exists(repo_id + "-nope")
    assert api.file_exists(repo_id, "data/a.txt")
    assert not api.file_exists(repo_id, "data/zzz.txt")
    assert api.revision_exists(repo_id, "main")
    assert not api.revision_exists(repo_id, "no-such-branch")


def test_update_repo_settings_round_trips_private_and_gated(new_repo, api):
    repo_id = new_repo("settings")
    api.update_repo_settings(repo_id, private=True)
    assert api.model_info(repo_id).private is True
    api.update_repo_settings(repo_id, gated="manual")
    info = api.model_info(repo_id)
    assert info.gated == "manual" and info.private is True
    api.update_repo_settings(repo_id, gated="auto", private=False)
    info = api.model_info(repo_id)
    assert info.gated == "auto" and info.private is False
    api.update_repo_settings(repo_id, gated=False)
    assert api.model_info(repo_id).gated is False


def test_update_dataset_settings(new_repo, api):
    repo_id = new_repo("ds-settings", repo_type="dataset")
    api.update_repo_settings(repo_id, repo_type="dataset", gated="auto")
    assert api.dataset_info(repo_id).gated == "auto"


def test_only_writers_change_settings(new_repo, bob_api, api):
    repo_id = new_repo("not-bobs-settings")
    with pytest.raises(HfHubHTTPError) as e:
        bob_api.update_repo_settings(repo_id, private=True)
    assert e.value.response.status_code in (401, 403)
    assert api.model_info(repo_id).private is False


def test_move_repo_keeps_content_and_old_name_still_downloads(hub, api, new_repo):
    old = new_repo("before-move")
    api.upload_file(path_or_fileobj=b"moved content", path_in_repo="f.txt", repo_id=old)
    sha = api.model_info(old).sha
    new = f"alice/{hub.unique('after-move')}"
    api.move_repo(old, new)
    info = api.model_info(new)
    assert info.id == new and info.sha == sha
    assert open(hf_hub_download(new, "f.txt")).read() == "moved content"
    # The old name keeps working for downloads (the Hub redirects renamed repositories).
    assert open(hf_hub_download(old, "f.txt")).read() == "moved content"


def test_move_repo_to_an_existing_name_fails(new_repo, api):
    a = new_repo("move-a")
    b = new_repo("move-b")
    with pytest.raises(HfHubHTTPError) as e:
        api.move_repo(a, b)
    assert e.value.response.status_code in (400, 409)
    assert api.repo_exists(a) and api.repo_exists(b)


def test_move_repo_into_the_organisation(hub, api, new_repo):
    old = new_repo("to-org")
    new = f"{hub.org}/{old.split('/')[1]}"
    api.move_repo(old, new)
    assert api.model_info(new).author == hub.org


def test_delete_repo(new_repo, api):
    repo_id = new_repo("doomed")
    api.delete_repo(repo_id)
    assert not api.repo_exists(repo_id)
    with pytest.raises(RepositoryNotFoundError):
        api.model_info(repo_id)
    with pytest.raises(RepositoryNotFoundError):
        api.delete_repo(repo_id)
    api.delete_repo(repo_id, missing_ok=True)


def test_bob_cannot_delete_alices_repo(new_repo, bob_api, api):
    repo_id = new_repo("keep")
    with pytest.raises(HfHubHTTPError) as e:
        bob_api.delete_repo(repo_id)
    assert e.value.response.status_code in (401, 403, 404)
    assert api.repo_exists(repo_id)


def test_list_models_by_author_search_filter_sort_and_limit(hub, api):
    marker = hub.unique("needle")  # a word no other test uses
    ids = []
    for i in range(3):
        repo_id = f"alice/{marker}-{i}"
        api.create_repo(repo_id)
        ids.append(repo_id)
    tag = hub.unique("tag")
    api.upload_file(path_or_fileobj=f"---\ntags:\n- {tag}\n---\n# 1\n".encode(), path_in_repo="README.md", repo_id=ids[1])
    api.create_repo(f"{hub.org}/{marker}-org")

    found = sorted(m.id for m in api.list_models(search=marker))
    assert found == sorted(ids + [f"{hub.org}/{marker}-org"])
    assert sorted(m.id for m in api.list_models(search=marker, author="alice")) == sorted(ids)
    assert [m.id for m in api.list_models(search=marker, author=hub.org)] == [f"{hub.org}/{marker}-org"]
    assert [m.id for m in api.list_models(filter=tag)] == [ids[1]]
    # most recently modified first: ids[1] got a commit after all were created
    assert next(iter(api.list_models(search=marker, author="alice", sort="last_modified"))).id == ids[1]
    newest = [m.id for m in api.list_models(search=marker, author="alice", sort="created_at")]
    assert newest == list(reversed(ids))
    assert len(list(api.list_models(search=marker, limit=2))) == 2
    (full,) = api.list_models(filter=tag, full=True, cardData=True)
    assert sorted(s.rfilename for s in full.siblings) == [".gitattributes", "README.md"]
    assert full.card_data.tags == [tag]
    # datasets are not models
    assert list(api.list_datasets(search=marker)) == []


def test_list_models_follows_pagination(hub, api):
    marker = hub.unique("paged")
    for i in range(5):
        api.create_repo(f"alice/{marker}-{i}")
    # The server may page; the client follows Link: rel="next" until all are seen.
    seen = [m.id for m in api.list_models(search=marker)]
    assert sorted(seen) == sorted(f"alice/{marker}-{i}" for i in range(5))
    assert len(seen) == len(set(seen))


def test_list_datasets(hub, api):
    marker = hub.unique("dsneedle")
    api.create_repo(f"alice/{marker}-a", repo_type="dataset")
    api.create_repo(f"alice/{marker}-b", repo_type="dataset")
    assert sorted(d.id for d in api.list_datasets(search=marker)) == [f"alice/{marker}-a", f"alice/{marker}-b"]
    assert [d.id for d in api.list_datasets(search=marker, author="alice", limit=1)] in (
        [f"alice/{marker}-a"],
        [f"alice/{marker}-b"],
    )
    assert list(api.list_models(search=marker)) == []
