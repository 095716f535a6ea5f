#!/usr/bin/env python3
"""Xet benchmark: the same stock client (`huggingface_hub` + `hf_xet`, from the test venv)
against one `agora serve`, large files through Xet against the Git LFS path.

  upload     1 GiB file, `upload_file` with hf_xet  vs  with HF_HUB_DISABLE_XET=1 (LFS multipart)
  download   the same file, `hf_hub_download` through Xet  vs  over HTTP (`/resolve`)
  http       the Xet-uploaded file over plain HTTP (the hub reconstructs it from its xorbs)
  dedup      two versions of a 100 MiB file differing in 1 MiB: chunk bytes the second one adds

Every timing is a fresh client process with an empty cache (no local Xet cache either, except in
the dedup case, which is about re-uploading from the same machine). Ratios are LFS time / Xet
time (above 1: Xet faster) and added bytes / file size for dedup.

Usage: python3 bench/xet.py [--size-mib 1024] [--runs 2] [--bin target/release/agora]
(builds `agora --release` unless --bin is given; needs the venv of scripts/test at .venv)
"""

import argparse, json, os, platform, shutil, socket, statistics, subprocess, sys, tempfile, time, urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PY = os.path.join(ROOT, ".venv", "bin", "python")

CLIENT = r"""
import os, sys, time, json
from huggingface_hub import HfApi, hf_hub_download
op, repo, arg = sys.argv[1], sys.argv[2], sys.argv[3]
api = HfApi()
t = time.perf_counter()
if op == "upload":
    api.upload_file(path_or_fileobj=arg, path_in_repo="w.bin", repo_id=repo)
else:
    p = hf_hub_download(repo, "w.bin", cache_dir=arg)
    assert os.path.getsize(p) > 0
print(json.dumps({"seconds": time.perf_counter() - t}))
"""


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def client(url, token, home, xet, op, repo, arg):
    env = dict(os.environ, HF_ENDPOINT=url, HF_TOKEN=token, HF_HOME=home, HF_HUB_DISABLE_PROGRESS_BARS="1",
               HF_HUB_DISABLE_TELEMETRY="1")
    env.pop("HF_HUB_DISABLE_XET", None)
    if not xet:
        env["HF_HUB_DISABLE_XET"] = "1"
    out = subprocess.run([PY, "-c", CLIENT, op, repo, arg], env=env, capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"client {op} {repo} failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])["seconds"]


def get(url, token=None):
    h = {"Authorization": f"Bearer {token}"} if token else {}
    with urllib.request.urlopen(urllib.request.Request(url, headers=h)) as r:
        return r.read()


def http_seconds(url):
    t = time.perf_counter()
    n = 0
    with urllib.request.urlopen(url) as r:
        while True:
            b = r.read(8 << 20)
            if not b:
                break
            n += len(b)
    return time.perf_counter() - t, n


def write_file(path, size, seed_change=None):
    with open(path, "wb") as f:
        f.write(b"\x00")
        left = size - 1
        while left:
            n = min(left, 64 << 20)
            f.write(os.urandom(n))
            left -= n


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--size-mib", type=int, default=1024)
    ap.add_argument("--runs", type=int, default=2)
    ap.add_argument("--bin")
    a = ap.parse_args()
    agora = a.bin
    if not agora:
        subprocess.run(["cargo", "build", "--release", "-q", "-p", "agora"], cwd=ROOT, check=True)
        agora = os.path.join(ROOT, "target", "release", "agora")
    work = tempfile.mkdtemp(prefix="agora-xet-bench-")
    data = os.path.join(work, "data")
    run = lambda *args: subprocess.run([agora, *args, "--data-dir", data], check=True, capture_output=True, text=True).stdout.strip()
    run("user", "create", "bench")
    token = run("token", "create", "bench", "--write")
    port = free_port()
    log = open(os.path.join(work, "server.log"), "wb")
    server = subprocess.Popen([agora, "serve", "--data-dir", data, "--addr", f"127.0.0.1:{port}"], stdout=subprocess.DEVNULL,
                              stderr=log, env=dict(os.environ, RUST_LOG="warn"))
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            get(url)
            break
        except OSError:
            time.sleep(0.1)
    try:
        size = a.size_mib << 20
        big = os.path.join(work, "big.bin")
        write_file(big, size)
        rows = {"upload_xet": [], "upload_lfs": [], "download_xet": [], "download_lfs": [], "http_of_xet": []}
        for r in range(a.runs):
            home = lambda name: tempfile.mkdtemp(prefix=f"{name}-", dir=work)
            for name, xet in (("xet", True), ("lfs", False)):
                repo = f"bench/{name}-{r}"
                req = urllib.request.Request(f"{url}/api/repos/create", data=json.dumps({"name": repo.split("/")[1]}).encode(),
                                             headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
                urllib.request.urlopen(req).read()
                rows[f"upload_{name}"].append(client(url, token, home("up"), xet, "upload", repo, big))
                rows[f"download_{name}"].append(client(url, token, home("down"), xet, "download", repo, home("cache")))
            t, n = http_seconds(f"{url}/bench/xet-{r}/resolve/main/w.bin")
            assert n == size
            rows["http_of_xet"].append(t)

        # Deduplication: 100 MiB, then the same with 1 MiB changed in the middle, same machine.
        dsize, changed = 100 << 20, 1 << 20
        v1, v2 = os.path.join(work, "v1.bin"), os.path.join(work, "v2.bin")
        write_file(v1, dsize)
        shutil.copy(v1, v2)
        with open(v2, "r+b") as f:
            f.seek(dsize // 2)
            f.write(os.urandom(changed))
        req = urllib.request.Request(f"{url}/api/repos/create", data=json.dumps({"name": "dedup"}).encode(),
                                     headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
        urllib.request.urlopen(req).read()
        dhome = tempfile.mkdtemp(prefix="dedup-", dir=work)
        usage = lambda: json.loads(get(f"{url}/api/models/bench/dedup/xet-storage", token))
        client(url, token, dhome, True, "upload", "bench/dedup", v1)
        u1 = usage()
        client(url, token, dhome, True, "upload", "bench/dedup", v2)
        u2 = usage()
        added = u2["storedBytes"] - u1["storedBytes"]

        med = {k: statistics.median(v) for k, v in rows.items()}
        mib = size / (1 << 20)
        result = {
            "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, {platform.system()} {platform.release()}",
            "binary": agora,
            "size_mib": a.size_mib,
            "runs": a.runs,
            "seconds": rows,
            "median_mib_s": {k: round(mib / v, 1) for k, v in med.items()},
            "upload_ratio_lfs_over_xet": round(med["upload_lfs"] / med["upload_xet"], 2),
            "download_ratio_lfs_over_xet": round(med["download_lfs"] / med["download_xet"], 2),
            "dedup": {"file_bytes": dsize, "changed_bytes": changed, "first_stored": u1["storedBytes"],
                      "second_added": added, "added_over_file": round(added / dsize, 4)},
        }
        print(json.dumps(result, indent=2))
    finally:
        server.terminate()
        server.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
