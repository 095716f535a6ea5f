//! The Xet CAS of a real `agora serve` against hostile input: xorbs under the wrong name or cut
//! short, shards that lie (missing xorbs, wrong file hashes, wrong sha256s, another user's
//! xorbs), tokens of the wrong scope or repository, ranges past the end, tampered URLs. Each
//! is refused in the Hub's error format, and nothing is recorded that a later reconstruction
//! could trip on. Xorbs and shards are built with the reference format code (`agora_xet::build`
//! over Hugging Face's `xet-core-structures`), as `hf_xet` builds them.

mod common;

use agora_xet::{MerkleHash, build};
use serde_json::{Value, json};

use common::{cli, serve, sha256_hex};

fn noise(n: usize, seed: u64) -> Vec<u8> {
    let mut x = 0x9e37_79b9_7f4a_7c15u64 ^ seed;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

struct Hub {
    http: reqwest::Client,
    url: String,
}

/// A CAS token: the `casUrl` and `accessToken` a token route hands out.
struct Cas {
    url: String,
    token: String,
}

impl Hub {
    async fn create(&self, token: &str, name: &str) {
        let r = self
            .http
            .post(format!("{}/api/repos/create", self.url))
            .bearer_auth(token)
            .json(&json!({"name": name}))
            .send()
            .await
            .expect("create");
        assert!(r.status().is_success(), "create {name}: {}", r.status());
    }

    async fn cas(&self, token: &str, repo: &str, kind: &str) -> Cas {
        let r = self
            .http
            .get(format!(
                "{}/api/models/{repo}/xet-{kind}-token/main",
                self.url
            ))
            .bearer_auth(token)
            .send()
            .await
            .expect("token");
        assert_eq!(r.status(), 200, "xet-{kind}-token of {repo}");
        let headers = r.headers().clone();
        let v: Value = r.json().await.expect("json");
        let token = v["accessToken"].as_str().expect("accessToken").to_owned();
        assert_eq!(
            headers["x-xet-access-token"].to_str().ok(),
            Some(token.as_str())
        );
        assert_eq!(
            headers["x-xet-token-expiration"].to_str().ok(),
            Some(v["exp"].to_string().as_str())
        );
        Cas {
            url: v["casUrl"].as_str().expect("casUrl").to_owned(),
            token,
        }
    }

    async fn usage(&self, token: &str, repo: &str) -> Value {
        self.http
            .get(format!("{}/api/models/{repo}/xet-storage", self.url))
            .bearer_auth(token)
            .send()
            .await
            .expect("usage")
            .json()
            .await
            .expect("json")
    }
}

impl Cas {
    async fn post(&self, http: &reqwest::Client, path: &str, body: Vec<u8>) -> reqwest::Response {
        http.post(format!("{}{path}", self.url))
            .bearer_auth(&self.token)
            .body(body)
            .send()
            .await
            .expect("cas request")
    }

    async fn xorb(
        &self,
        http: &reqwest::Client,
        hash: &MerkleHash,
        body: Vec<u8>,
    ) -> reqwest::Response {
        self.post(http, &format!("/v1/xorbs/default/{}", hash.hex()), body)
            .await
    }

    async fn get(
        &self,
        http: &reqwest::Client,
        path: &str,
        range: Option<&str>,
    ) -> reqwest::Response {
        let mut r = http
            .get(format!("{}{path}", self.url))
            .bearer_auth(&self.token);
        if let Some(range) = range {
            r = r.header("Range", range);
        }
        r.send().await.expect("cas request")
    }
}

/// A refusal in the Hub's format: the status, and the reason in `X-Error-Message` and the body.
async fn refused(r: reqwest::Response, status: u16, says: &str) {
    assert_eq!(r.status().as_u16(), status, "expected {status} ({says})");
    let msg = r
        .headers()
        .get("x-error-message")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let body: Value = r.json().await.expect("json error body");
    assert!(
        msg.contains(says) && body["error"].as_str().is_some_and(|e| e.contains(says)),
        "error should mention {says:?}: header {msg:?}, body {body}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cas_refuses_hostile_input_and_stores_nothing_from_it() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let data = tmp.path().join("data");
    cli(&data, &["user", "create", "alice"]);
    let alice = cli(&data, &["token", "create", "alice", "--write"]);
    cli(&data, &["user", "create", "bob"]);
    let bob = cli(&data, &["token", "create", "bob", "--write"]);
    let server = serve(&data);
    let hub = Hub {
        http: reqwest::Client::new(),
        url: server.url.clone(),
    };
    let http = &hub.http;
    hub.create(&alice, "a").await;
    hub.create(&alice, "b").await;
    hub.create(&bob, "c").await;

    // Tokens: none, or the wrong one, is a 401; bob may not write to alice's repository.
    let r = http
        .get(format!(
            "{}/api/models/alice/a/xet-write-token/main",
            hub.url
        ))
        .bearer_auth(&bob)
        .send()
        .await
        .expect("token");
    assert_eq!(r.status(), 403);
    let cas = hub.cas(&alice, "alice/a", "write").await;
    assert_eq!(cas.url, format!("{}/xet-cas", hub.url));
    let r = http
        .post(format!("{}/v1/shards", cas.url))
        .body(vec![1, 2, 3])
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 401);
    let forged = Cas {
        url: cas.url.clone(),
        token: format!("{}x", cas.token),
    };
    assert_eq!(forged.post(http, "/v1/shards", vec![]).await.status(), 401);

    // A file of three chunks in one xorb.
    let chunks = [noise(70_000, 1), vec![b'z'; 60_000], noise(33_333, 2)];
    let parts: Vec<&[u8]> = chunks.iter().map(|c| c.as_slice()).collect();
    let content = chunks.concat();
    let sha = sha256_hex(&content);
    let (xh, xorb, listing) = build::xorb(&parts);
    let fh = build::file_hash(&parts);
    let file = |sha256: Option<String>| build::File {
        hash: fh,
        terms: vec![(xh, 0, 3, content.len() as u32)],
        sha256,
    };

    // Xorbs: under another name, cut short, empty, at the wrong prefix, from a read token.
    let other = build::xorb(&parts[..1]).0;
    refused(
        cas.xorb(http, &other, xorb.clone()).await,
        400,
        "hash mismatch",
    )
    .await;
    refused(
        cas.xorb(http, &xh, xorb[..xorb.len() - 10].to_vec()).await,
        400,
        "truncated",
    )
    .await;
    refused(cas.xorb(http, &xh, vec![]).await, 400, "empty").await;
    refused(
        cas.post(http, &format!("/v1/xorbs/other/{}", xh.hex()), xorb.clone())
            .await,
        400,
        "prefix",
    )
    .await;
    refused(
        cas.post(http, "/v1/xorbs/default/not-a-hash", xorb.clone())
            .await,
        400,
        "Xet hash",
    )
    .await;
    let reader = hub.cas(&alice, "alice/a", "read").await;
    refused(reader.xorb(http, &xh, xorb.clone()).await, 403, "read-only").await;
    assert_eq!(
        hub.usage(&alice, "alice/a").await["xorbs"],
        0,
        "nothing stored"
    );

    // A shard before its xorb was uploaded.
    let shard = build::shard(&[file(None)], vec![]);
    refused(
        cas.post(http, "/v1/shards", shard.clone()).await,
        400,
        "was not uploaded",
    )
    .await;
    refused(
        cas.post(http, "/v1/shards", b"garbage".to_vec()).await,
        400,
        "invalid shard",
    )
    .await;

    // The xorb, twice: stored once.
    let r = cas.xorb(http, &xh, xorb.clone()).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.expect("json")["was_inserted"], true);
    let r = cas.xorb(http, &xh, xorb.clone()).await;
    assert_eq!(
        r.json::<Value>().await.expect("json")["was_inserted"],
        false
    );
    assert_eq!(hub.usage(&alice, "alice/a").await["xorbs"], 1);

    // Shards that lie about the file.
    let wrong_hash = build::File {
        hash: build::file_hash(&parts[..2]),
        ..file(None)
    };
    let s = build::shard(&[wrong_hash], vec![]);
    refused(
        cas.post(http, "/v1/shards", s).await,
        400,
        "File hash mismatch",
    )
    .await;
    let wrong_len = build::File {
        terms: vec![(xh, 0, 3, content.len() as u32 + 1)],
        ..file(None)
    };
    refused(
        cas.post(http, "/v1/shards", build::shard(&[wrong_len], vec![]))
            .await,
        400,
        "claimed",
    )
    .await;
    let out_of_range = build::File {
        terms: vec![(xh, 0, 4, content.len() as u32)],
        ..file(None)
    };
    refused(
        cas.post(http, "/v1/shards", build::shard(&[out_of_range], vec![]))
            .await,
        400,
        "not in xorb",
    )
    .await;
    let s = build::shard(&[file(Some(sha256_hex(b"something else")))], vec![]);
    refused(cas.post(http, "/v1/shards", s).await, 400, "the content is").await;
    // An honest file beside a lying one: the shard is refused whole, the honest file included.
    let honest = file(Some(sha.clone()));
    let liar = build::File {
        hash: build::file_hash(&parts[..1]),
        terms: vec![(xh, 0, 1, chunks[0].len() as u32)],
        sha256: Some(sha.clone()),
    };
    let s = build::shard(&[honest, liar], vec![]);
    refused(cas.post(http, "/v1/shards", s).await, 400, "the content is").await;
    let mut lying_listing = listing.clone();
    lying_listing.chunks[1].unpacked_segment_bytes += 1;
    let s = build::shard(&[file(Some(sha.clone()))], vec![lying_listing]);
    refused(
        cas.post(http, "/v1/shards", s).await,
        400,
        "does not match its content",
    )
    .await;
    assert_eq!(
        hub.usage(&alice, "alice/a").await["files"],
        0,
        "no file registered"
    );

    // A commit may not name content no shard registered.
    let commit = |repo: &str, token: &str| {
        let body = [
            json!({"key": "header", "value": {"summary": "xet file"}}),
            json!({"key": "lfsFile", "value": {"path": "w.bin", "algo": "sha256", "oid": sha, "size": content.len()}}),
        ]
        .iter()
        .map(Value::to_string)
        .collect::<Vec<_>>()
        .join("\n");
        http.post(format!("{}/api/models/{repo}/commit/main", hub.url))
            .bearer_auth(token)
            .header("Content-Type", "application/x-ndjson")
            .body(body)
            .send()
    };
    assert!(
        !commit("alice/a", &alice)
            .await
            .expect("commit")
            .status()
            .is_success()
    );

    // Bob holds none of the bytes: he cannot build a file of alice's xorb in his repository.
    let bob_cas = hub.cas(&bob, "bob/c", "write").await;
    let s = build::shard(&[file(Some(sha.clone()))], vec![]);
    refused(
        bob_cas.post(http, "/v1/shards", s).await,
        400,
        "not uploaded through this repository",
    )
    .await;

    // The honest shard (listing the xorb, claiming the right sha256), then the commit.
    let s = build::shard(&[file(Some(sha.clone()))], vec![listing.clone()]);
    let r = cas.post(http, "/v1/shards", s).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.expect("json")["result"], 1);
    assert!(
        commit("alice/a", &alice)
            .await
            .expect("commit")
            .status()
            .is_success()
    );

    // Plain HTTP reads the reconstructed bytes, whole and in ranges, and advertises Xet.
    let r = http
        .get(format!("{}/alice/a/resolve/main/w.bin", hub.url))
        .send()
        .await
        .expect("resolve");
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.headers()["x-xet-hash"].to_str().ok(),
        Some(fh.hex().as_str())
    );
    assert!(
        r.headers()["link"]
            .to_str()
            .is_ok_and(|l| l.contains("xet-read-token") && l.contains("rel=\"xet-auth\""))
    );
    assert_eq!(r.bytes().await.expect("body").as_ref(), content.as_slice());
    let r = http
        .get(format!("{}/alice/a/resolve/main/w.bin", hub.url))
        .header("Range", "bytes=69990-130010")
        .send()
        .await
        .expect("range");
    assert_eq!(r.status(), 206);
    assert_eq!(
        r.bytes().await.expect("body").as_ref(),
        &content[69_990..=130_010]
    );

    // Reconstructions: v1 and v2, a range, 416 at the end, 404 to a token of another repository.
    let path = format!("/v1/reconstructions/{}", fh.hex());
    let v1: Value = cas.get(http, &path, None).await.json().await.expect("v1");
    assert_eq!(v1["offset_into_first_range"], 0);
    assert_eq!(v1["terms"][0]["unpacked_length"], content.len());
    let reader_now = hub.cas(&alice, "alice/a", "read").await;
    let v2: Value = reader_now
        .get(
            http,
            &format!("/v2/reconstructions/{}", fh.hex()),
            Some("bytes=70001-70010"),
        )
        .await
        .json()
        .await
        .expect("v2");
    assert_eq!(
        v2["terms"][0]["range"],
        json!({"start": 1, "end": 2}),
        "narrowed to the chunk holding the range"
    );
    assert_eq!(v2["offset_into_first_range"], 1);
    let len = content.len();
    refused(
        cas.get(http, &path, Some(&format!("bytes={len}-{}", len + 10)))
            .await,
        416,
        "not satisfiable",
    )
    .await;
    let other_repo = hub.cas(&alice, "alice/b", "read").await;
    refused(other_repo.get(http, &path, None).await, 404, "not found").await;
    // A read token is for the commit its revision named when it was issued: `reader` predates
    // the file.
    refused(reader.get(http, &path, None).await, 404, "not found").await;
    let bob_reader = hub.cas(&bob, "bob/c", "read").await;
    refused(bob_reader.get(http, &path, None).await, 404, "not found").await;

    // The xorb URL a reconstruction hands out reads the stored chunks; tampered, it is refused.
    let fetch = &v1["fetch_info"][xh.hex()][0];
    let url = fetch["url"].as_str().expect("url");
    let (a, b) = (
        fetch["url_range"]["start"].as_u64().unwrap_or(0),
        fetch["url_range"]["end"].as_u64().unwrap_or(0),
    );
    let r = http
        .get(url)
        .header("Range", format!("bytes={a}-{b}"))
        .send()
        .await
        .expect("fetch");
    assert_eq!(r.status(), 206);
    let raw = r.bytes().await.expect("bytes");
    assert_eq!(raw.len() as u64, b - a + 1);
    assert_eq!(agora_xet::decode_chunks(&raw).ok(), Some(content.clone()));
    let r = http.get(format!("{url}A")).send().await.expect("fetch");
    assert_eq!(r.status(), 403);

    // Deduplication: the first chunk of the file is known to the repository, not to others.
    let first = agora_xet::check_xorb(&xh, &xorb)
        .expect("valid")
        .index
        .chunks[0]
        .hash;
    let dedup = format!("/v1/chunks/default-merkledb/{}", first.hex());
    let r = cas.get(http, &dedup, None).await;
    assert_eq!(r.status(), 200);
    let answer = agora_xet::parse_shard(&r.bytes().await.expect("bytes")).expect("a shard");
    assert_eq!(answer.xorbs.len(), 1);
    assert_eq!(answer.xorbs[0].hash, xh);
    assert_eq!(bob_reader.get(http, &dedup, None).await.status(), 404);

    // What the repository stores: one xorb of compressed chunks for one file.
    let u = hub.usage(&alice, "alice/a").await;
    assert_eq!(
        (u["xorbs"].as_i64(), u["files"].as_i64()),
        (Some(1), Some(1))
    );
    assert_eq!(u["fileBytes"].as_u64(), Some(content.len() as u64));
    assert!(
        u["storedBytes"]
            .as_u64()
            .is_some_and(|b| b < content.len() as u64),
        "the run of 'z' compresses: {u}"
    );
}
