"""The scanner in the hub: every file of every commit is scanned before it becomes visible; an
unsafe file fails its commit with the file and the reason named; verdicts show where the Hub's
clients look (securityRepoStatus, securityFileStatus) and in Agora's scan endpoint."""

import io
import pickle
import struct

import pytest
from huggingface_hub import CommitOperationAdd
from huggingface_hub.errors import HfHubHTTPError

# Protocol 0 is plain text: `os.system("echo pwned")` when unpickled.
EVIL = b"cos\nsystem\n(S'echo pwned'\ntR."


def unknown_global_pickle() -> bytes:
    """Calls a global that is neither allowlisted nor known to be dangerous."""
    return b"\x80\x02cmylab.layers\nFancyLayer\nq\x00)\x81q\x01."


def big_evil_pickle(payload_mib: int) -> bytes:
    """A pickle whose gadget sits behind a large byte string: a scanner that reads only the
    start of a file, or loses track between parts of an upload, misses it."""
    blob = b"\x00" * (payload_mib << 20)
    return b"\x80\x04\x8e" + struct.pack("<Q", len(blob)) + blob + b"0" + EVIL


def files_of(api, repo_id):
    return set(api.list_repo_files(repo_id))


def test_an_unsafe_pickle_is_refused_and_never_visible(new_repo, api):
    repo_id = new_repo("evil-lfs")
    with pytest.raises(HfHubHTTPError) as e:
        api.upload_file(path_or_fileobj=EVIL, path_in_repo="model.pkl", repo_id=repo_id)
    assert e.value.response.status_code == 422
    assert "model.pkl" in str(e.value) and "unsafe" in str(e.value)
    assert "model.pkl" not in files_of(api, repo_id)


def test_an_unsafe_file_sent_inline_is_refused_too(new_repo, api):
    repo_id = new_repo("evil-inline")
    # Text content goes inline in the commit, not through LFS.
    with pytest.raises(HfHubHTTPError) as e:
        api.upload_file(path_or_fileobj=EVIL, path_in_repo="notes.txt", repo_id=repo_id)
    assert e.value.response.status_code == 422 and "notes.txt" in str(e.value)
    assert "notes.txt" not in files_of(api, repo_id)


def test_a_gadget_deep_inside_a_multipart_upload_is_found(new_repo, api):
    repo_id = new_repo("evil-big")
    with pytest.raises(HfHubHTTPError) as e:
        api.upload_file(path_or_fileobj=io.BytesIO(big_evil_pickle(20)), path_in_repo="weights.pkl", repo_id=repo_id)
    assert e.value.response.status_code == 422 and "weights.pkl" in str(e.value)
    assert "weights.pkl" not in files_of(api, repo_id)


def test_benign_files_are_safe_where_clients_look(new_repo, api):
    repo_id = new_repo("benign")
    api.create_commit(
        repo_id,
        operations=[
            CommitOperationAdd("state.pkl", pickle.dumps({"weights": [1.0, 2.0], "step": 3}, protocol=4)),
            CommitOperationAdd("README.md", b"# benign\n"),
        ],
        commit_message="benign",
    )
    info = api.model_info(repo_id, securityStatus=True)
    assert info.security_repo_status["scansDone"] is True
    assert info.security_repo_status["filesWithIssues"] == []
    tree = {f.path: f for f in api.list_repo_tree(repo_id, expand=True)}
    assert tree["state.pkl"].security["status"] == "safe"
    assert tree["state.pkl"].security["safe"] is True


def test_unknown_globals_are_accepted_and_flagged(new_repo, api, raw):
    repo_id = new_repo("unknown")
    api.upload_file(path_or_fileobj=unknown_global_pickle(), path_in_repo="layer.pkl", repo_id=repo_id)
    (entry,) = api.get_paths_info(repo_id, ["layer.pkl"], expand=True)
    assert entry.security["status"] == "unknown"
    assert not entry.security["safe"]
    issues = api.model_info(repo_id, securityStatus=True).security_repo_status["filesWithIssues"]
    assert [(i["path"], i["level"]) for i in issues] == [("layer.pkl", "unknown")]
    report = raw.get(f"/api/models/{repo_id}/scan/main").json()
    layer = next(f for f in report["files"] if f["path"] == "layer.pkl")
    assert layer["verdict"] == "unknown" and layer["ruleset"] == report["ruleset"]
    assert any("mylab.layers" in f["reason"] for f in layer["report"]["findings"]), layer


def test_a_flagging_repository_accepts_unsafe_files_but_says_so(new_repo, api, raw, hub):
    repo_id = new_repo("flagging")
    res = raw.request("PUT", f"/api/models/{repo_id}/settings", body='{"scanPolicy": "flag"}', headers={"Content-Type": "application/json"}, token=hub.alice.token)
    assert res.status == 200, res
    api.upload_file(path_or_fileobj=EVIL, path_in_repo="model.pkl", repo_id=repo_id)
    (entry,) = api.get_paths_info(repo_id, ["model.pkl"], expand=True)
    assert entry.security["status"] == "unsafe"
    issues = api.model_info(repo_id, securityStatus=True).security_repo_status["filesWithIssues"]
    assert [(i["path"], i["level"]) for i in issues] == [("model.pkl", "unsafe")]
    bad = raw.request("PUT", f"/api/models/{repo_id}/settings", body='{"scanPolicy": "maybe"}', headers={"Content-Type": "application/json"}, token=hub.alice.token)
    assert bad.status == 400
