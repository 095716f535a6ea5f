"""The scanner against a corpus made afresh by the real libraries: every malicious sample whose
loader is installed here is first shown to run its (harmless) payload under that loader, then
`agora scan` must not call any malicious file safe nor any benign file unsafe."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

from conftest import AGORA_BIN, ROOT

GENERATOR = ROOT / "crates" / "scan" / "tests" / "fixtures" / "generate.py"


def test_fresh_corpus_runs_under_real_loaders_and_is_judged_right(tmp_path):
    shutil.copy(GENERATOR, tmp_path / "generate.py")
    gen = subprocess.run([sys.executable, str(tmp_path / "generate.py"), "--verify"], capture_output=True, text=True, timeout=600)
    assert gen.returncode == 0, gen.stdout[-3000:] + gen.stderr[-3000:]
    executed = [l for l in gen.stdout.splitlines() if l.startswith("executes: ")]
    assert len(executed) >= 20, gen.stdout  # samples shown to run under pickle, numpy, joblib

    def scan(folder: Path) -> list[dict]:
        res = subprocess.run([str(AGORA_BIN), "scan", "--json", str(folder)], capture_output=True, text=True, timeout=600)
        assert res.returncode in (0, 1, 2), res.stderr
        return json.loads(res.stdout)["files"]

    malicious = scan(tmp_path / "malicious")
    benign = scan(tmp_path / "benign")
    assert len(malicious) >= 60 and len(benign) >= 35
    missed = [f["path"] for f in malicious if f["verdict"] == "safe"]
    false_alarms = [(f["path"], f["findings"][:1]) for f in benign if f["verdict"] == "unsafe"]
    assert not missed, missed
    assert not false_alarms, false_alarms
