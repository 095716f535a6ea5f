"""Many clients committing to one branch at once: every success is in the history, every failure
is a 412, nothing is lost."""

import threading
from concurrent.futures import ThreadPoolExecutor

from huggingface_hub import CommitOperationAdd, HfApi, hf_hub_download
from huggingface_hub.errors import HfHubHTTPError

N = 8


def run_together(n, fn):
    """Runs fn(i) on n threads released at the same instant; returns results or exceptions."""
    barrier = threading.Barrier(n)

    def go(i):
        barrier.wait()
        try:
            return fn(i)
        except Exception as e:  # noqa: BLE001 - the outcome is what we look at
            return e

    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(go, range(n)))


def test_same_parent_one_wins_the_rest_get_412(hub, new_repo, api):
    repo_id = new_repo("race-parent")
    parent = api.model_info(repo_id).sha
    clients = [HfApi(endpoint=hub.url, token=hub.alice.token) for _ in range(N)]

    def commit(i):
        return clients[i].create_commit(
            repo_id,
            operations=[CommitOperationAdd(f"writer-{i}.txt", f"writer {i}".encode()), CommitOperationAdd("shared.txt", f"{i}".encode())],
            commit_message=f"writer {i}",
            parent_commit=parent,
        )

    results = run_together(N, commit)
    wins = [r for r in results if not isinstance(r, Exception)]
    losses = [r for r in results if isinstance(r, Exception)]
    assert len(wins) == 1, results
    assert all(isinstance(e, HfHubHTTPError) and e.response.status_code == 412 for e in losses), losses
    (win,) = wins
    log = api.list_repo_commits(repo_id)
    assert [c.commit_id for c in log] == [win.oid, parent]
    winner = results.index(win)
    files = set(api.list_repo_files(repo_id))
    assert files == {".gitattributes", "shared.txt", f"writer-{winner}.txt"}
    assert open(hf_hub_download(repo_id, "shared.txt")).read() == str(winner)


def test_without_parent_every_commit_lands(hub, new_repo, api):
    repo_id = new_repo("race-free")
    clients = [HfApi(endpoint=hub.url, token=hub.alice.token) for _ in range(N)]

    def commit(i):
        return clients[i].create_commit(
            repo_id,
            operations=[CommitOperationAdd(f"writer-{i}.txt", f"writer {i}".encode())],
            commit_message=f"writer {i}",
        )

    results = run_together(N, commit)
    errors = [r for r in results if isinstance(r, Exception)]
    assert not errors, errors
    log = api.list_repo_commits(repo_id)
    assert len(log) == N + 1
    assert {c.commit_id for c in log[:N]} == {r.oid for r in results}
    # a linear history: each commit's files include every earlier writer's
    assert set(api.list_repo_files(repo_id)) == {".gitattributes"} | {f"writer-{i}.txt" for i in range(N)}
    for c in log[:N]:
        assert len(api.list_repo_files(repo_id, revision=c.commit_id)) == 1 + N - log.index(c)


def test_concurrent_uploads_of_lfs_files_to_one_branch(hub, new_repo, api):
    repo_id = new_repo("race-lfs")
    clients = [HfApi(endpoint=hub.url, token=hub.alice.token) for _ in range(4)]
    payloads = [bytes([i]) * (100_000 + i) for i in range(4)]

    def upload(i):
        return clients[i].upload_file(path_or_fileobj=payloads[i], path_in_repo=f"w{i}.bin", repo_id=repo_id)

    results = run_together(4, upload)
    assert not [r for r in results if isinstance(r, Exception)], results
    for i, p in enumerate(payloads):
        assert open(hf_hub_download(repo_id, f"w{i}.bin"), "rb").read() == p
