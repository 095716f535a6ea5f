//! The Rust `hf-hub` client (crates.io, 1.0) downloading from a real `agora serve`.
//!
//! The test starts the binary on port 0 with a fresh data directory, makes a user and a write
//! token with the CLI, creates a repository and commits a regular file and an LFS file through
//! the HTTP API (NDJSON commit, LFS batch + upload), then reads them back with `hf-hub`.

mod common;

use base64::Engine as _;
use hf_hub::{HFClient, HFError};
use serde_json::{Value, json};

use common::{cli, serve, sha256_hex};

/// Creates `alice/<name>` and commits `hello.txt` (inline) and `weights.bin` (LFS) to main.
async fn seed_repo(
    http: &reqwest::Client,
    url: &str,
    token: &str,
    name: &str,
    hello: &[u8],
    weights: &[u8],
) -> String {
    let res = http
        .post(format!("{url}/api/repos/create"))
        .bearer_auth(token)
        .json(&json!({"name": name}))
        .send()
        .await
        .expect("create");
    assert!(
        res.status().is_success(),
        "create repo: {} {}",
        res.status(),
        res.text().await.unwrap_or_default()
    );

    // LFS: batch, then PUT the bytes to the href the hub hands out (no credentials).
    let oid = sha256_hex(weights);
    let batch = http
        .post(format!("{url}/alice/{name}.git/info/lfs/objects/batch"))
        .bearer_auth(token)
        .header("Accept", "application/vnd.git-lfs+json")
        .header("Content-Type", "application/vnd.git-lfs+json")
        .body(
            json!({"operation": "upload", "transfers": ["basic"], "hash_algo": "sha256", "ref": {"name": "main"},
                   "objects": [{"oid": oid, "size": weights.len()}]})
            .to_string(),
        )
        .send()
        .await
        .expect("batch");
    assert!(batch.status().is_success(), "batch: {}", batch.status());
    let batch: Value = batch.json().await.expect("batch json");
    let href = batch["objects"][0]["actions"]["upload"]["href"]
        .as_str()
        .expect("upload href")
        .to_owned();
    let put = http
        .put(href)
        .body(weights.to_vec())
        .send()
        .await
        .expect("put");
    assert!(put.status().is_success(), "LFS upload: {}", put.status());

    let b64 = base64::engine::general_purpose::STANDARD;
    let body = [
        json!({"key": "header", "value": {"summary": "Seed from Rust", "description": ""}}),
        json!({"key": "file", "value": {"path": "hello.txt", "content": b64.encode(hello), "encoding": "base64"}}),
        json!({"key": "lfsFile", "value": {"path": "weights.bin", "algo": "sha256", "oid": oid, "size": weights.len()}}),
    ]
    .iter()
    .map(Value::to_string)
    .collect::<Vec<_>>()
    .join("\n");
    let res = http
        .post(format!("{url}/api/models/alice/{name}/commit/main"))
        .bearer_auth(token)
        .header("Content-Type", "application/x-ndjson")
        .body(body)
        .send()
        .await
        .expect("commit");
    assert!(res.status().is_success(), "commit: {}", res.status());
    let commit: Value = res.json().await.expect("commit json");
    commit["commitOid"].as_str().expect("commitOid").to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hf_hub_crate_downloads_from_agora() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let data = tmp.path().join("data");
    cli(&data, &["user", "create", "alice"]);
    let token = cli(&data, &["token", "create", "alice", "--write"]);
    cli(&data, &["user", "create", "bob"]);
    let bob_token = cli(&data, &["token", "create", "bob"]);
    let server = serve(&data);
    let url = server.url.clone();

    let http = reqwest::Client::new();
    let hello = b"hello from agora, read by hf-hub\n".to_vec();
    let weights: Vec<u8> = (0..200_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let commit = seed_repo(&http, &url, &token, "rusty-model", &hello, &weights).await;

    let client = HFClient::builder()
        .endpoint(url.clone())
        .token(token.clone())
        .cache_dir(tmp.path().join("cache"))
        .build()
        .expect("client");
    let repo = client.model("alice", "rusty-model");

    // Metadata
    let info = repo.info().send().await.expect("model info");
    assert_eq!(info.id, "alice/rusty-model");
    assert_eq!(info.sha.as_deref(), Some(commit.as_str()));

    // A regular file and an LFS file, into the standard cache
    let path = repo
        .download_file()
        .filename("hello.txt")
        .send()
        .await
        .expect("download hello.txt");
    assert_eq!(std::fs::read(&path).expect("read"), hello);
    assert!(
        path.to_string_lossy().contains(&commit),
        "cached under snapshots/<commit>: {}",
        path.display()
    );
    let path = repo
        .download_file()
        .filename("weights.bin")
        .send()
        .await
        .expect("download weights.bin");
    let got = std::fs::read(&path).expect("read");
    assert_eq!(got.len(), weights.len());
    assert_eq!(sha256_hex(&got), sha256_hex(&weights));

    // Pinned to the commit, a byte range, and a local directory
    let pinned = repo
        .download_file_to_bytes()
        .filename("hello.txt")
        .revision(commit.clone())
        .send()
        .await
        .expect("pinned");
    assert_eq!(&pinned[..], &hello[..]);
    let range = repo
        .download_file_to_bytes()
        .filename("weights.bin")
        .range(1000..1100)
        .send()
        .await
        .expect("range");
    assert_eq!(&range[..], &weights[1000..1100]);
    let local = tmp.path().join("checkout");
    let path = repo
        .download_file()
        .filename("hello.txt")
        .local_dir(local.clone())
        .send()
        .await
        .expect("to local dir");
    assert_eq!(path, local.join("hello.txt"));
    assert_eq!(std::fs::read(&path).expect("read"), hello);

    // Another user (a read token) reads alice's public repository
    let bob = HFClient::builder()
        .endpoint(url.clone())
        .token(bob_token)
        .cache_dir(tmp.path().join("bob-cache"))
        .build()
        .expect("client");
    let path = bob
        .model("alice", "rusty-model")
        .download_file()
        .filename("hello.txt")
        .send()
        .await
        .expect("bob's download");
    assert_eq!(std::fs::read(&path).expect("read"), hello);

    // Errors the client understands. (hf-hub 1.0 maps every 404 of a download to EntryNotFound;
    // metadata calls tell a missing repository apart.)
    match repo.download_file().filename("missing.txt").send().await {
        Err(HFError::EntryNotFound { path, .. }) => assert_eq!(path, "missing.txt"),
        other => panic!("expected EntryNotFound, got {other:?}"),
    }
    let missing = client.model("alice", "no-such-model");
    assert!(
        missing
            .download_file()
            .filename("hello.txt")
            .send()
            .await
            .is_err()
    );
    assert!(!missing.exists().send().await.expect("exists"));
    assert!(repo.exists().send().await.expect("exists"));
    match missing.info().send().await {
        Err(HFError::RepoNotFound { .. }) => {}
        other => panic!("expected RepoNotFound, got {other:?}"),
    }
    match repo
        .info()
        .revision("no-such-branch".to_owned())
        .send()
        .await
    {
        Err(HFError::RevisionNotFound { .. } | HFError::RepoNotFound { .. }) => {}
        other => panic!("expected a not-found error, got {other:?}"),
    }
    drop(server);
}
