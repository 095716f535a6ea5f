#!/usr/bin/env python3
"""Hub benchmark: Agora against a named peer on the same work, in one run.

  download   1 GiB LFS file through /resolve  vs  nginx serving the same file   (ratio = agora / nginx)
  upload     1 GiB LFS upload (batch + parts + complete)  vs  sha256sum of it   (ratio = sha256sum time / agora time)
  model_info requests/s of GET /api/models/{id}  vs  nginx serving that JSON     (ratio = agora / nginx)

Usage: python3 bench/hub.py [--size-mib 1024] [--runs 3]   (needs nginx, wrk, curl; builds agora --release)
"""

import argparse, hashlib, json, os, platform, re, shutil, socket, statistics, subprocess, sys, tempfile, time, urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def req(method, url, token=None, body=None, headers=None):
    h = dict(headers or {})
    if token:
        h["Authorization"] = f"Bearer {token}"
    if isinstance(body, (dict, list)):
        body = json.dumps(body).encode()
        h.setdefault("Content-Type", "application/json")
    r = urllib.request.Request(url, data=body, method=method, headers=h)
    with urllib.request.urlopen(r) as resp:
        return resp.status, dict(resp.headers), resp.read()


def curl_seconds(args):
    out = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{time_total} %{http_code}", *args], capture_output=True, text=True, check=True).stdout
    t, code = out.split()
    assert code in ("200", "206"), out
    return float(t)


def wrk_rps(url, seconds):
    out = subprocess.run(["wrk", "-t2", "-c32", f"-d{seconds}s", url], capture_output=True, text=True, check=True).stdout
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    assert m and not errors, out
    return float(m.group(1))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--size-mib", type=int, default=1024)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--wrk-seconds", type=int, default=10)
    a = ap.parse_args()

    subprocess.run(["cargo", "build", "--release", "-q", "-p", "agora"], cwd=ROOT, check=True)
    agora = os.path.join(ROOT, "target", "release", "agora")
    work = tempfile.mkdtemp(prefix="agora-bench-")
    data = os.path.join(work, "data")
    procs = []
    try:
        subprocess.run([agora, "user", "create", "bench", "--data-dir", data], check=True, capture_output=True)
        token = subprocess.run([agora, "token", "create", "bench", "--write", "--data-dir", data], check=True, capture_output=True, text=True).stdout.strip()
        port = free_port()
        # wrk sends tens of thousands of requests from one address: quotas no run reaches, so the
        # limiter still does its work on every request but never answers 429.
        limits = ["--rate-limit-api", "4000000000", "--rate-limit-resolvers", "4000000000"]
        srv = subprocess.Popen([agora, "serve", "--data-dir", data, "--addr", f"127.0.0.1:{port}", *limits], stdout=subprocess.PIPE, stderr=open(os.path.join(work, "agora.log"), "w"), env={**os.environ, "AGORA_LOG": "warn"})
        procs.append(srv)
        srv.stdout.readline()
        base = f"http://127.0.0.1:{port}"
        req("POST", f"{base}/api/repos/create", token, {"name": "big", "type": "model"})

        # The payload: random bytes, written once.
        path = os.path.join(work, "big.bin")
        with open(path, "wb") as f:
            for _ in range(a.size_mib):
                f.write(os.urandom(1 << 20))
        size = os.path.getsize(path)
        oid = subprocess.run(["sha256sum", path], capture_output=True, text=True, check=True).stdout.split()[0]

        # Upload: the LFS protocol as huggingface_hub drives it (parts in sequence), timed end to end.
        def sha_once():
            t0 = time.perf_counter()
            subprocess.run(["sha256sum", path], capture_output=True, check=True)
            return time.perf_counter() - t0

        up_times, sha_times = [], []
        for i in range(a.runs):
            # A fresh repository each run, so the object is uploaded again rather than found.
            name = f"up{i}"
            req("POST", f"{base}/api/repos/create", token, {"name": name, "type": "model"})
            batch_url = f"{base}/bench/{name}.git/info/lfs/objects/batch"
            _, _, body = req("POST", batch_url, token, {"operation": "upload", "transfers": ["basic", "multipart"], "objects": [{"oid": oid, "size": size}], "hash_algo": "sha256"})
            sha_times.append(sha_once())
            obj = json.loads(body)["objects"][0]
            up = obj["actions"]["upload"]
            header = up.get("header", {})
            t0 = time.perf_counter()
            chunk = int(header["chunk_size"])
            parts = []
            with open(path, "rb") as f:
                n = 1
                while str(n) in header:
                    _, h, _ = req("PUT", header[str(n)], body=f.read(chunk))
                    parts.append({"partNumber": n, "etag": h.get("ETag") or h.get("etag")})
                    n += 1
            req("POST", up["href"], body={"oid": oid, "parts": parts})
            up_times.append(time.perf_counter() - t0)

        # Commit the object so /resolve serves it.
        lines = [{"key": "header", "value": {"summary": "big"}}, {"key": "lfsFile", "value": {"path": "big.bin", "algo": "sha256", "oid": oid, "size": size}}]
        req("POST", f"{base}/api/models/bench/up0/commit/main", token, b"".join(json.dumps(l).encode() + b"\n" for l in lines), {"Content-Type": "application/x-ndjson"})

        # nginx: the same file and the same model_info JSON, from a folder of its own.
        www = os.path.join(work, "www")
        os.makedirs(www)
        os.chmod(work, 0o755)  # nginx workers drop root and must read the files
        shutil.copy(path, os.path.join(www, "big.bin"))
        os.chmod(os.path.join(www, "big.bin"), 0o644)
        _, _, info = req("GET", f"{base}/api/models/bench/up0")
        with open(os.path.join(www, "info.json"), "wb") as f:
            f.write(info)
        nport = free_port()
        conf = os.path.join(work, "nginx.conf")
        with open(conf, "w") as f:
            f.write(f"""worker_processes 1; daemon off; pid {work}/nginx.pid; error_log {work}/nginx.err;
events {{ worker_connections 1024; }}
http {{ access_log off; sendfile on; tcp_nopush on; keepalive_requests 100000;
  server {{ listen 127.0.0.1:{nport}; root {www}; default_type application/json; }} }}
""")
        procs.append(subprocess.Popen(["nginx", "-c", conf, "-p", work]))
        time.sleep(0.5)

        agora_url = f"{base}/bench/up0/resolve/main/big.bin"
        nginx_url = f"http://127.0.0.1:{nport}/big.bin"
        curl_seconds([agora_url]), curl_seconds([nginx_url])  # warm the page cache
        dl_a, dl_n = [], []
        for _ in range(a.runs):
            dl_n.append(curl_seconds([nginx_url]))
            dl_a.append(curl_seconds([agora_url]))

        rps_n = wrk_rps(f"http://127.0.0.1:{nport}/info.json", a.wrk_seconds)
        rps_a = wrk_rps(f"{base}/api/models/bench/up0", a.wrk_seconds)

        gib = size / (1 << 30)
        med = statistics.median
        print(f"machine: {platform.node()} {platform.machine()} {os.cpu_count()} cores; {time.strftime('%Y-%m-%d')}")
        print(f"file: {size} bytes; runs: {a.runs}; model_info JSON: {len(info)} bytes")
        print(f"download  agora {gib / med(dl_a):.2f} GiB/s  nginx {gib / med(dl_n):.2f} GiB/s  ratio {med(dl_n) / med(dl_a):.2f}x nginx")
        print(f"upload    agora {gib / med(up_times):.2f} GiB/s  sha256sum {gib / med(sha_times):.2f} GiB/s  ratio {med(sha_times) / med(up_times):.2f}x sha256sum")
        print(f"model_info agora {rps_a:.0f} req/s  nginx {rps_n:.0f} req/s  ratio {rps_a / rps_n:.2f}x nginx")
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
