"""Background work at start: when the scanner's or the openness engine's rules change, what was
judged under the old rules is judged again, so a restarted hub brings old verdicts up to date."""

import sqlite3
import time

import conftest
from huggingface_hub import HfApi


def test_verdicts_of_older_rules_are_rescanned_at_start():
    first = conftest._start_hub()
    try:
        api = HfApi(endpoint=first.url, token=first.alice.token)
        repo_id = f"{first.alice.name}/rescan"
        api.create_repo(repo_id)
        api.upload_file(path_or_fileobj=b"\x80\x02}q\x00.", path_in_repo="state.pkl", repo_id=repo_id)
    finally:
        first.process.terminate()
        first.process.wait(timeout=30)

    # As if these verdicts had been given by an older rule set.
    db = sqlite3.connect(first.data_dir / "agora.db")
    stale = db.execute("UPDATE scans SET ruleset = 'agora-scan-rules/0', verdict = 'unknown'").rowcount
    db.execute("UPDATE repos SET scan_status = 'unknown'")
    db.commit()
    db.close()
    assert stale >= 2  # .gitattributes and state.pkl

    second = conftest._restart_hub(first)
    try:
        deadline = time.monotonic() + 30
        while True:
            db = sqlite3.connect(second.data_dir / "agora.db")
            rows = db.execute("SELECT ruleset, verdict FROM scans").fetchall()
            db.close()
            if all(r != "agora-scan-rules/0" for r, _ in rows):
                break
            assert time.monotonic() < deadline, rows
            time.sleep(0.2)
        assert {v for _, v in rows} == {"safe"}
        (entry,) = HfApi(endpoint=second.url, token=second.alice.token).get_paths_info(repo_id, ["state.pkl"], expand=True)
        assert entry.security["status"] == "safe"
        # The search filter by scan status follows the new verdicts too.
        api = HfApi(endpoint=second.url, token=second.alice.token)
        while [m.id for m in api.list_models(filter="scan:safe")] != [repo_id]:
            assert time.monotonic() < deadline, list(api.list_models(filter="scan:unknown"))
            time.sleep(0.2)
    finally:
        second.process.terminate()
        second.process.wait(timeout=30)


def test_grades_of_older_openness_rules_are_regraded_at_start():
    first = conftest._start_hub()
    try:
        api = HfApi(endpoint=first.url, token=first.alice.token)
        repo_id = f"{first.alice.name}/regrade"
        api.create_repo(repo_id)
        card = b"---\nlicense: apache-2.0\n---\n# Model\n"
        api.upload_file(path_or_fileobj=card, path_in_repo="README.md", repo_id=repo_id)
        graded = api.model_info(repo_id).openness
    finally:
        first.process.terminate()
        first.process.wait(timeout=30)

    # As if the head had been graded by older rules, to another result.
    db = sqlite3.connect(first.data_dir / "agora.db")
    (current,) = db.execute("SELECT DISTINCT rules FROM assessments").fetchone()
    db.execute("UPDATE assessments SET rules = 'agora-openness-rules/0', bucket = 'stale-bucket'")
    db.commit()
    db.close()

    second = conftest._restart_hub(first)
    try:
        deadline = time.monotonic() + 30
        while True:
            db = sqlite3.connect(second.data_dir / "agora.db")
            rows = db.execute(
                "SELECT a.rules, a.bucket FROM assessments a JOIN repos r ON r.id = a.repo_id AND r.head = a.commit_sha"
            ).fetchall()
            db.close()
            if rows and all(r == current for r, _ in rows):
                break
            assert time.monotonic() < deadline, rows
            time.sleep(0.2)
        assert rows == [(current, graded["bucket"])]
        info = HfApi(endpoint=second.url, token=second.alice.token).model_info(repo_id)
        assert info.openness == graded
    finally:
        second.process.terminate()
        second.process.wait(timeout=30)
