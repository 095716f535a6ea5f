#!/usr/bin/env python3
"""Server time of web pages on the embedded default (SQLite file + local folder) with many
repositories: `python3 bench/web.py [--repos 10000] [--requests 300]`.

Starts `target/release/agora` (or AGORA_BIN) on a fresh data folder, creates the repositories
through the API (one with a real card and a few files, the page measured), then times GETs of
pages over one keep-alive connection on loopback. Loopback round trips are included, so the
figures are an upper bound of server time. Prints a Markdown table for BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import base64
import concurrent.futures
import http.client
import json
import os
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(os.environ.get("AGORA_BIN", ROOT / "target" / "release" / "agora"))

CARD = """---
license: apache-2.0
pipeline_tag: text-generation
base_model: bench/base
datasets: [bench/data]
---
# Bench model

A model card of typical length: a table, code and links.

| metric | value |
|---|---|
| accuracy | 0.91 |

```python
from transformers import AutoModel
model = AutoModel.from_pretrained("bench/model")
```

See [the config](config.json). """ + ("Lorem ipsum dolor sit amet. " * 200)


def cli(data: Path, *args: str) -> str:
    return subprocess.run([str(BIN), *args, "--data-dir", str(data)], check=True,
                          capture_output=True, text=True).stdout.strip()


def request(conn: http.client.HTTPConnection, method: str, path: str, token: str | None = None,
            body: bytes | None = None, ctype: str = "application/json") -> tuple[int, bytes]:
    headers = {"Content-Type": ctype}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    conn.request(method, path, body=body, headers=headers)
    r = conn.getresponse()
    return r.status, r.read()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repos", type=int, default=10_000)
    ap.add_argument("--requests", type=int, default=300)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="agora-web-bench-"))
    data = work / "data"
    cli(data, "user", "create", "bench")
    token = cli(data, "token", "create", "bench", "--write")
    proc = subprocess.Popen([str(BIN), "serve", "--data-dir", str(data), "--addr", "127.0.0.1:0",
                             "--rate-limit-api", "0", "--rate-limit-resolvers", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        line = proc.stdout.readline()
        host, port = line.rsplit("http://", 1)[1].strip().split(":")
        port = int(port)

        def create(i: int) -> None:
            c = http.client.HTTPConnection(host, port)
            st, _ = request(c, "POST", "/api/repos/create", token,
                            json.dumps({"name": f"model-{i:05d}"}).encode())
            assert st == 200, st
            c.close()

        t0 = time.time()
        with concurrent.futures.ThreadPoolExecutor(8) as ex:
            list(ex.map(create, range(args.repos)))
        made = time.time() - t0
        conn = http.client.HTTPConnection(host, port)
        lines = [
            {"key": "header", "value": {"summary": "card", "description": ""}},
            {"key": "file", "value": {"path": "README.md", "encoding": "base64",
                                      "content": base64.b64encode(CARD.encode()).decode()}},
            {"key": "file", "value": {"path": "config.json", "encoding": "base64",
                                      "content": base64.b64encode(b'{"model_type": "bert"}').decode()}},
        ]
        body = "\n".join(json.dumps(x) for x in lines).encode()
        st, out = request(conn, "POST", "/api/models/bench/model-00000/commit/main", token, body,
                          "application/x-ndjson")
        assert st == 200, (st, out)
        time.sleep(1)  # grading runs off the request path
        pages = {
            "repository page (card)": "/bench/model-00000",
            "files": "/bench/model-00000/tree/main",
            "file view (highlighted)": "/bench/model-00000/blob/main/config.json",
            "history": "/bench/model-00000/commits/main",
            "search, first page": "/models?sort=downloads",
        }
        print(f"{args.repos} repositories created in {made:.0f} s\n")
        print("| page | median ms | p95 ms |")
        print("|---|---|---|")
        for name, path in pages.items():
            for _ in range(20):
                request(conn, "GET", path)
            times = []
            for _ in range(args.requests):
                t = time.perf_counter()
                st, _ = request(conn, "GET", path)
                times.append((time.perf_counter() - t) * 1000)
                assert st == 200, (path, st)
            times.sort()
            p95 = times[int(len(times) * 0.95) - 1]
            print(f"| {name} | {statistics.median(times):.2f} | {p95:.2f} |")
    finally:
        proc.terminate()
        proc.wait(10)


if __name__ == "__main__":
    main()
