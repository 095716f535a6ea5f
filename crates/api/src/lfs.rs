//! The Git LFS batch API, with basic and multipart transfers to upload URLs the hub serves
//! itself. Upload URLs are self-authenticating (the client sends them no credentials): each
//! carries a grant signed with the hub's secret, naming the repository, object and size.
//!
//! Every byte is hashed on the way in; an object becomes stored (and referable by commits of
//! the repository) only when its sha256 and size match what was announced.

use agora_repo::lfs::{content_key, is_sha256};
use agora_storage::model::{Id, RepoType};
use axum::{
    Json,
    body::Body,
    extract::{Path, Request, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use base64::Engine as _;
use futures::StreamExt;
use hmac::{KeyInit, Mac};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::{
    AppState, BaseUrl,
    auth::{Access, Caller, find_repo, find_repo_for},
    error::{ApiError, ApiResult, Code},
    repo_type,
};

const GRANT_TTL_SECS: i64 = 24 * 3600;
const MAX_PARTS: u64 = 10_000;
const LFS_MIME: &str = "application/vnd.git-lfs+json";

#[derive(Serialize, Deserialize, Debug, Clone)]
struct Grant {
    /// repository id
    r: Id,
    /// sha256 of the whole object
    o: String,
    /// size of the whole object
    s: u64,
    /// expiry, unix seconds
    e: i64,
    /// multipart: upload id and chunk size; part grants also carry their number
    u: Option<String>,
    c: Option<u64>,
    p: Option<u64>,
}

type HmacSha256 = hmac::Hmac<Sha256>;

fn sign(secret: &[u8], g: &Grant) -> ApiResult<String> {
    let payload = serde_json::to_vec(g).map_err(ApiError::internal)?;
    let mut mac = HmacSha256::new_from_slice(secret).map_err(ApiError::internal)?;
    mac.update(&payload);
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    Ok(format!(
        "{}.{}",
        b64.encode(&payload),
        b64.encode(mac.finalize().into_bytes())
    ))
}

fn verify(secret: &[u8], token: &str) -> ApiResult<Grant> {
    let denied = || ApiError::forbidden("Invalid or expired upload URL");
    let (payload, sig) = token.split_once('.').ok_or_else(denied)?;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let payload = b64.decode(payload).map_err(|_| denied())?;
    let sig = b64.decode(sig).map_err(|_| denied())?;
    let mut mac = HmacSha256::new_from_slice(secret).map_err(ApiError::internal)?;
    mac.update(&payload);
    mac.verify_slice(&sig).map_err(|_| denied())?;
    let g: Grant = serde_json::from_slice(&payload).map_err(|_| denied())?;
    if g.e < agora_storage::now_ms() / 1000 {
        return Err(denied());
    }
    Ok(g)
}

#[derive(Deserialize)]
struct BatchRequest {
    operation: String,
    #[serde(default)]
    transfers: Vec<String>,
    objects: Vec<BatchObject>,
    #[serde(rename = "ref")]
    reference: Option<RefSpec>,
    hash_algo: Option<String>,
}

#[derive(Deserialize)]
struct RefSpec {
    name: String,
}

#[derive(Deserialize)]
struct BatchObject {
    oid: String,
    size: u64,
}

fn lfs_json(status: StatusCode, v: Value) -> Response {
    let mut r = (status, Json(v)).into_response();
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(LFS_MIME));
    r
}

pub async fn batch(
    state: AppState,
    caller: Caller,
    BaseUrl(base): BaseUrl,
    kind: RepoType,
    ns: String,
    name: String,
    req: Request,
) -> ApiResult<Response> {
    let body = axum::body::to_bytes(req.into_body(), 16 << 20)
        .await
        .map_err(|_| ApiError::new(Code::PayloadTooLarge, "Batch request is too large"))?;
    let batch: BatchRequest = serde_json::from_slice(&body)
        .map_err(|e| ApiError::bad_request(format!("Invalid batch request: {e}")))?;
    if batch.operation != "upload" {
        return Err(ApiError::bad_request(
            "Only uploads go through the batch API here; download files through /resolve",
        ));
    }
    if batch.hash_algo.as_deref().is_some_and(|h| h != "sha256") {
        return Err(ApiError::bad_request("Only sha256 objects are supported"));
    }
    if batch.objects.len() > 10_000 {
        return Err(ApiError::bad_request("At most 10000 objects per batch"));
    }
    // Uploading to a branch needs write access; for a pull request (no ref, or refs/pr/N) the
    // right to contribute is enough, as for opening the pull request itself.
    let to_branch = batch
        .reference
        .as_ref()
        .is_some_and(|r| !agora_repo::engine::is_pr_ref(&r.name));
    let need = if to_branch {
        Access::Write
    } else {
        Access::Contribute
    };
    let repo = find_repo_for(&state, &caller, kind, &ns, &name, need).await?;
    let multipart_offered =
        batch.transfers.is_empty() || batch.transfers.iter().any(|t| t == "multipart");
    let expires = agora_storage::now_ms() / 1000 + GRANT_TTL_SECS;
    let mut used_multipart = false;
    let mut objects = Vec::with_capacity(batch.objects.len());
    for o in &batch.objects {
        let oid = o.oid.to_ascii_lowercase();
        if !is_sha256(&oid) {
            objects.push(json!({"oid": o.oid, "size": o.size, "error": {"code": 422, "message": "oid must be a sha256 in hex"}}));
            continue;
        }
        if o.size > state.config.max_lfs_bytes {
            objects.push(json!({"oid": oid, "size": o.size, "error": {"code": 422, "message": format!("objects are limited to {} bytes", state.config.max_lfs_bytes)}}));
            continue;
        }
        if state.meta.lfs_size(repo.id, &oid).await? == Some(o.size as i64) {
            objects.push(json!({"oid": oid, "size": o.size}));
            continue;
        }
        let verify = json!({"href": format!("{base}/api/{}/{}/lfs-verify", kind.plural(), repo.full_name())});
        let mut grant = Grant {
            r: repo.id,
            o: oid.clone(),
            s: o.size,
            e: expires,
            u: None,
            c: None,
            p: None,
        };
        let upload = if multipart_offered && o.size >= state.config.multipart_threshold {
            used_multipart = true;
            let chunk = state.config.multipart_chunk.max(o.size.div_ceil(MAX_PARTS));
            grant.u = Some(hex::encode(rand::random::<[u8; 16]>()));
            grant.c = Some(chunk);
            let mut header = serde_json::Map::new();
            header.insert("chunk_size".into(), json!(chunk.to_string()));
            for n in 1..=o.size.div_ceil(chunk) {
                let part = Grant {
                    p: Some(n),
                    ..grant.clone()
                };
                header.insert(
                    n.to_string(),
                    json!(format!(
                        "{base}/api/lfs/part/{}",
                        sign(&state.secret, &part)?
                    )),
                );
            }
            json!({"href": format!("{base}/api/lfs/complete/{}", sign(&state.secret, &grant)?), "header": header, "expires_in": GRANT_TTL_SECS})
        } else {
            json!({"href": format!("{base}/api/lfs/upload/{}", sign(&state.secret, &grant)?), "expires_in": GRANT_TTL_SECS})
        };
        objects.push(json!({"oid": oid, "size": o.size, "authenticated": true, "actions": {"upload": upload, "verify": verify}}));
    }
    let transfer = if used_multipart { "multipart" } else { "basic" };
    Ok(lfs_json(
        StatusCode::OK,
        json!({"transfer": transfer, "objects": objects, "hash_algo": "sha256"}),
    ))
}

/// Streams `body` into `key`, hashing it; the write is published only if it is exactly
/// `expected` bytes. Returns the sha256 of what was written.
/// Where received bytes go: a streamed object, or (multipart on a local folder) a region of
/// the upload's one staging file.
enum Sink {
    Object(agora_storage::Upload),
    File(tokio::fs::File),
}

impl Sink {
    async fn write(&mut self, chunk: &[u8]) -> ApiResult<()> {
        match self {
            Sink::Object(up) => up.write(chunk).await?,
            Sink::File(f) => tokio::io::AsyncWriteExt::write_all(f, chunk)
                .await
                .map_err(ApiError::internal)?,
        }
        Ok(())
    }

    async fn finish(self) -> ApiResult<()> {
        match self {
            Sink::Object(up) => up.finish().await?,
            Sink::File(mut f) => tokio::io::AsyncWriteExt::flush(&mut f)
                .await
                .map_err(ApiError::internal)?,
        }
        Ok(())
    }

    /// A failed object write leaves nothing; a failed region is overwritten by the retry, and a
    /// region never written fails the upload's hash check.
    async fn abort(self) -> ApiResult<()> {
        if let Sink::Object(up) = self {
            up.abort().await?;
        }
        Ok(())
    }
}

async fn receive(
    state: &AppState,
    key: &str,
    expected: u64,
    body: Body,
    pass: &mut Pass,
) -> ApiResult<()> {
    let up = Sink::Object(state.engine.objects.upload(key).await?);
    receive_into(up, expected, body, pass).await
}

async fn receive_into(mut up: Sink, expected: u64, body: Body, pass: &mut Pass) -> ApiResult<()> {
    let mut got: u64 = 0;
    let mut stream = body.into_data_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = match chunk {
            Ok(c) => c,
            Err(e) => {
                up.abort().await?;
                return Err(ApiError::bad_request(format!("Upload interrupted: {e}")));
            }
        };
        got += chunk.len() as u64;
        if got > expected {
            up.abort().await?;
            return Err(ApiError::bad_request(format!(
                "Upload is larger than the announced {expected} bytes"
            )));
        }
        pass.update(&chunk);
        up.write(&chunk).await?;
    }
    if got != expected {
        up.abort().await?;
        return Err(ApiError::bad_request(format!(
            "Upload stopped at {got} of {expected} bytes"
        )));
    }
    up.finish().await?;
    Ok(())
}

/// `PUT` of a whole object (basic transfer).
pub async fn upload(
    State(state): State<AppState>,
    Path(token): Path<String>,
    body: Body,
) -> ApiResult<Response> {
    let g = verify(&state.secret, &token)?;
    if g.u.is_some() {
        return Err(ApiError::forbidden("This URL is for a multipart upload"));
    }
    store_verified(&state, &g, body).await?;
    Ok(StatusCode::OK.into_response())
}

/// Receives a whole object into a staging key, checks its hash, then publishes it.
async fn store_verified(state: &AppState, g: &Grant, body: Body) -> ApiResult<()> {
    let staging = format!("staging/{}", hex::encode(rand::random::<[u8; 16]>()));
    let mut pass = Pass::new();
    receive(state, &staging, g.s, body, &mut pass).await?;
    publish(state, g, &staging, pass).await
}

/// Moves a verified staging object to its content address and lets the repository reference it,
/// with the scanner's verdict on the same bytes recorded first.
async fn publish(state: &AppState, g: &Grant, staging: &str, pass: Pass) -> ApiResult<()> {
    let objects = &state.engine.objects;
    let (digest, report) = pass.finish();
    if digest != g.o {
        objects.delete(staging).await?;
        return Err(ApiError::bad_request(format!(
            "Content does not match its oid: sha256 is {digest}, not {}",
            g.o
        )));
    }
    crate::scanning::store(state, crate::scanning::lfs_id(&g.o), &report).await?;
    // Durable before anything can refer to it: a power cut must not leave a commit pointing at
    // content that never reached the disk.
    objects.sync(staging).await?;
    objects.rename(staging, &content_key(&g.o)).await?;
    state.meta.link_lfs(g.r, &g.o, g.s as i64).await?;
    tracing::info!(repo = g.r, oid = %g.o, size = g.s, "LFS object stored");
    Ok(())
}

/// `PUT` of one part of a multipart upload; answers the part's `ETag`.
pub async fn upload_part(
    State(state): State<AppState>,
    Path(token): Path<String>,
    body: Body,
) -> ApiResult<Response> {
    let g = verify(&state.secret, &token)?;
    let (Some(u), Some(c), Some(p)) = (&g.u, g.c, g.p) else {
        return Err(ApiError::forbidden("This URL is not for a part"));
    };
    let parts = g.s.div_ceil(c);
    let expected = if p == parts { g.s - c * (parts - 1) } else { c };
    let mut pass = state.running.begin(u, p)?;
    // Ends the writer even if this request is dropped half-way (the client went away).
    let writer = Writer {
        running: &state.running,
        upload: u,
        part: p,
        done: false,
    };
    let sink = match state
        .engine
        .objects
        .open_at(&staging_key(u), (p - 1) * c)
        .await?
    {
        Some(file) => Sink::File(file),
        None => Sink::Object(state.engine.objects.upload(&part_key(u, p)).await?),
    };
    let res = receive_into(
        sink,
        expected,
        body,
        pass.as_mut().unwrap_or(&mut Pass::hash_only()),
    )
    .await;
    writer.end(pass.filter(|_| res.is_ok()));
    res?;
    let mut headers = HeaderMap::new();
    headers.insert(
        header::ETAG,
        HeaderValue::from_str(&format!("\"{u}-{p}\"")).map_err(ApiError::internal)?,
    );
    Ok((StatusCode::OK, headers).into_response())
}

fn part_key(upload: &str, n: u64) -> String {
    format!("parts/{upload}/{n:05}")
}

fn staging_key(upload: &str) -> String {
    format!("staging/{upload}")
}

#[derive(Deserialize)]
struct Completion {
    oid: String,
    parts: Vec<CompletedPart>,
}

#[derive(Deserialize)]
struct CompletedPart {
    #[serde(rename = "partNumber")]
    part_number: u64,
    etag: String,
}

/// `POST` completing a multipart upload: the parts are joined in order, hashed, and published.
pub async fn complete(
    State(state): State<AppState>,
    Path(token): Path<String>,
    body: axum::body::Bytes,
) -> ApiResult<Response> {
    let g = verify(&state.secret, &token)?;
    let (Some(u), Some(c), None) = (&g.u, g.c, g.p) else {
        return Err(ApiError::forbidden("This URL does not complete an upload"));
    };
    let done: Completion = serde_json::from_slice(&body)
        .map_err(|e| ApiError::bad_request(format!("Invalid completion: {e}")))?;
    if done.oid.to_ascii_lowercase() != g.o {
        return Err(ApiError::bad_request("Completion names another object"));
    }
    let parts = g.s.div_ceil(c);
    let numbers: Vec<u64> = done.parts.iter().map(|p| p.part_number).collect();
    if numbers != (1..=parts).collect::<Vec<_>>() || done.parts.iter().any(|p| p.etag.is_empty()) {
        return Err(ApiError::bad_request(format!(
            "Expected parts 1 to {parts}, each with its etag"
        )));
    }
    let objects = &state.engine.objects;
    let staging = staging_key(u);
    let keys: Vec<String> = (1..=parts).map(|n| part_key(u, n)).collect();
    // Parts that arrived in order were hashed on arrival; otherwise hash them now.
    let in_order = state.running.close(u, parts + 1)?;
    let pass = match in_order {
        // Local folder: the parts were written in place into the staging file.
        _ if objects.is_local() => match in_order {
            Some(pass) => pass,
            None => {
                let mut pass = Pass::new();
                let mut s = objects
                    .read(&staging, None)
                    .await
                    .map_err(|_| ApiError::bad_request("No part was uploaded"))?;
                while let Some(chunk) = s.next().await {
                    pass.update(&chunk.map_err(ApiError::internal)?);
                }
                pass
            }
        },
        Some(pass) => {
            objects.concat(&keys, &staging).await.map_err(|e| match e {
                agora_storage::Error::NotFound => ApiError::bad_request("A part was not uploaded"),
                e => e.into(),
            })?;
            pass
        }
        None => {
            let mut out = objects.upload(&staging).await?;
            let mut pass = Pass::new();
            for key in &keys {
                let mut s = match objects.read(key, None).await {
                    Ok(s) => s,
                    Err(agora_storage::Error::NotFound) => {
                        out.abort().await?;
                        return Err(ApiError::bad_request("A part was not uploaded"));
                    }
                    Err(e) => return Err(e.into()),
                };
                while let Some(chunk) = s.next().await {
                    let chunk = chunk.map_err(ApiError::internal)?;
                    pass.update(&chunk);
                    out.write(&chunk).await?;
                }
            }
            out.finish().await?;
            pass
        }
    };
    let published = publish(&state, &g, &staging, pass).await;
    if !objects.is_local() {
        for key in &keys {
            objects.delete(key).await?;
        }
    }
    published?;
    Ok(lfs_json(StatusCode::OK, json!({"oid": g.o, "size": g.s})))
}

#[derive(Deserialize)]
pub struct VerifyBody {
    oid: String,
    size: u64,
}

pub async fn verify_route(
    State(state): State<AppState>,
    caller: Caller,
    Path((kind, ns, name)): Path<(String, String, String)>,
    crate::error::Json(body): crate::error::Json<VerifyBody>,
) -> ApiResult<Response> {
    let (repo, _) = find_repo(&state, &caller, repo_type(&kind)?, &ns, &name).await?;
    match state
        .meta
        .lfs_size(repo.id, &body.oid.to_ascii_lowercase())
        .await?
    {
        Some(s) if s as u64 == body.size => Ok(lfs_json(
            StatusCode::OK,
            json!({"oid": body.oid, "size": body.size}),
        )),
        _ => Err(ApiError::not_found(format!(
            "Object {} of {} bytes is not stored",
            body.oid, body.size
        ))),
    }
}

/// One pass over an object's bytes: its sha256 and the scanner's verdict together.
pub struct Pass {
    hasher: Sha256,
    scanner: Option<agora_scan::Scanner>,
}

impl Pass {
    fn new() -> Self {
        Pass {
            hasher: Sha256::new(),
            scanner: Some(agora_scan::Scanner::new()),
        }
    }

    /// For parts that arrive out of order: their bytes are hashed and scanned again at completion.
    fn hash_only() -> Self {
        Pass {
            hasher: Sha256::new(),
            scanner: None,
        }
    }

    fn update(&mut self, chunk: &[u8]) {
        self.hasher.update(chunk);
        if let Some(s) = self.scanner.as_mut() {
            s.update(chunk);
        }
    }

    fn finish(self) -> (String, agora_scan::Report) {
        let report = self.scanner.unwrap_or_default().finish();
        (hex::encode(self.hasher.finalize()), report)
    }
}

/// Running sha256 (and scan) of multipart uploads whose parts arrive in order, as the clients send them, so
/// completing an upload does not hash the whole object a second time. Any part that arrives out
/// of order, twice, or concurrently poisons the state, and completion hashes from storage.
#[derive(Default)]
pub struct Running(std::sync::Mutex<std::collections::HashMap<String, Slot>>);

/// A part being written; ends the writer on drop.
struct Writer<'a> {
    running: &'a Running,
    upload: &'a str,
    part: u64,
    done: bool,
}

impl Writer<'_> {
    fn end(mut self, pass: Option<Pass>) {
        self.done = true;
        self.running.end(self.upload, self.part, pass);
    }
}

impl Drop for Writer<'_> {
    fn drop(&mut self) {
        if !self.done {
            self.running.end(self.upload, self.part, None);
        }
    }
}

/// What the hub knows of one multipart upload in progress.
struct Slot {
    /// `Some((n, pass))`: parts `1..n` were hashed into `pass`, in order. `None`: they were not
    /// (a part came out of order, twice, concurrently, or failed); completion hashes from storage.
    hashed: Option<(u64, Box<Pass>)>,
    /// Parts being written now.
    writers: u32,
    /// Completion has begun: no part may be written any more, so the bytes that were verified
    /// are the bytes that get published.
    closed: bool,
    touched: std::time::Instant,
}

impl Running {
    fn lock(&self) -> std::sync::MutexGuard<'_, std::collections::HashMap<String, Slot>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Admits a writer of part `p`, with the state to feed it into if it is the next in order.
    /// `Err` once the upload is being completed.
    fn begin(&self, upload: &str, p: u64) -> ApiResult<Option<Pass>> {
        let mut m = self.lock();
        let now = std::time::Instant::now();
        if m.len() > 10_000 {
            m.retain(|_, s| now.duration_since(s.touched).as_secs() < 2 * GRANT_TTL_SECS as u64);
        }
        let slot = m.entry(upload.to_owned()).or_insert_with(|| Slot {
            hashed: Some((1, Box::new(Pass::new()))),
            writers: 0,
            closed: false,
            touched: now,
        });
        if slot.closed {
            return Err(ApiError::conflict(
                "This upload was completed; its parts cannot change",
            ));
        }
        slot.writers += 1;
        slot.touched = now;
        let pass = match slot.hashed.take() {
            Some((n, pass)) if n == p && slot.writers == 1 => Some(*pass),
            // Out of order, again, or beside another writer: the running hash is lost.
            _ => None,
        };
        Ok(pass)
    }

    /// Records the end of a writer of part `p`: hashed in order (`Some`), or not.
    fn end(&self, upload: &str, p: u64, pass: Option<Pass>) {
        let mut m = self.lock();
        if let Some(slot) = m.get_mut(upload) {
            slot.writers = slot.writers.saturating_sub(1);
            slot.touched = std::time::Instant::now();
            slot.hashed = pass.map(|pass| (p + 1, Box::new(pass)));
        }
    }

    /// Closes the upload to writers. Returns the running state if exactly parts `1..next` were
    /// hashed in order; `Err` while a part is still being written.
    fn close(&self, upload: &str, next: u64) -> ApiResult<Option<Pass>> {
        let mut m = self.lock();
        let slot = m.entry(upload.to_owned()).or_insert_with(|| Slot {
            hashed: None,
            writers: 0,
            closed: false,
            touched: std::time::Instant::now(),
        });
        if slot.writers > 0 {
            return Err(ApiError::conflict(
                "A part of this upload is still being written; complete it afterwards",
            ));
        }
        slot.closed = true;
        Ok(match slot.hashed.take() {
            Some((n, pass)) if n == next => Some(*pass),
            _ => None,
        })
    }
}

/// Stores `bytes` as an LFS object that repository `repo` may reference, with the same hashing,
/// scanning and durability as an upload through the batch API (the web upload form uses it).
pub async fn store_bytes(state: &AppState, repo: Id, bytes: bytes::Bytes) -> ApiResult<String> {
    let g = Grant {
        r: repo,
        o: hex::encode(Sha256::digest(&bytes)),
        s: bytes.len() as u64,
        e: 0,
        u: None,
        c: None,
        p: None,
    };
    store_verified(state, &g, Body::from(bytes)).await?;
    Ok(g.o)
}
