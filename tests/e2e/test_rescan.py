"""When the scanner's rules change, files stored under the old rules are rescanned in the
background: restarting a hub whose verdicts came from another rule set brings them up to date."""

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
    finally:
        second.process.terminate()
        second.process.wait(timeout=30)
