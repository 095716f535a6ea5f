"""The `hf` command line (shipped with huggingface_hub), run as a user runs it: a separate
process configured only by its environment."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import opaque


@pytest.fixture
def hf(hub, tmp_path):
    home = tmp_path / "cli-home"
    env = {
        **os.environ,
        "HF_ENDPOINT": hub.url,
        "HF_HOME": str(home),
        "HF_HUB_CACHE": str(home / "hub"),
        "HF_TOKEN": hub.alice.token,
        "HF_HUB_DISABLE_XET": "1",
        "HF_HUB_DISABLE_TELEMETRY": "1",
        "HF_HUB_DISABLE_UPDATE_CHECK": "1",
        "NO_COLOR": "1",
    }
    env.pop("HF_HUB_DISABLE_IMPLICIT_TOKEN", None)
    exe = Path(sys.executable).parent / "hf"

    def run(*args, check=True, token=None):
        e = dict(env)
        if token is not None:
            e["HF_TOKEN"] = token
        out = subprocess.run([str(exe), *args], env=e, capture_output=True, text=True, timeout=180, cwd=tmp_path, stdin=subprocess.DEVNULL)
        if check:
            assert out.returncode == 0, f"hf {' '.join(args)} failed ({out.returncode}):\n{out.stdout}\n{out.stderr}"
        return out

    return run


def test_hf_whoami(hub, hf):
    out = hf("auth", "whoami", "--format", "json")
    got = json.loads(out.stdout)
    assert got["user"] == "alice"
    assert hub.org in got["orgs"].split(",")


def test_hf_create_upload_download(hub, hf, tmp_path, api):
    repo_id = f"alice/{hub.unique('cli')}"
    hf("repos", "create", repo_id)
    assert api.repo_exists(repo_id)
    src = tmp_path / "src"
    (src / "sub").mkdir(parents=True)
    (src / "a.txt").write_text("A")
    (src / "sub" / "b.bin").write_bytes(opaque(5000))
    hf("upload", repo_id, str(src), ".", "--commit-message", "from the cli")
    assert api.list_repo_commits(repo_id)[0].title == "from the cli"
    hf("upload", repo_id, str(src / "a.txt"), "single/a.txt")
    out = tmp_path / "out"
    hf("download", repo_id, "--local-dir", str(out))
    assert (out / "a.txt").read_text() == "A"
    assert (out / "sub" / "b.bin").read_bytes() == (src / "sub" / "b.bin").read_bytes()
    assert (out / "single" / "a.txt").read_text() == "A"
    # into the cache, one file: the path is printed
    res = hf("download", repo_id, "a.txt", "--quiet")
    assert Path(res.stdout.strip().splitlines()[-1]).read_text() == "A"


def test_hf_download_of_a_private_repo_needs_the_right_token(hub, hf, new_repo, api):
    repo_id = new_repo("cli-private", private=True)
    api.upload_file(path_or_fileobj=b"secret", path_in_repo="s.txt", repo_id=repo_id)
    res = hf("download", repo_id, "s.txt", check=False, token=hub.bob.token)
    assert res.returncode != 0
    assert "s.txt" not in res.stdout
    res = hf("download", repo_id, "s.txt", "--quiet")
    assert Path(res.stdout.strip().splitlines()[-1]).read_text() == "secret"
