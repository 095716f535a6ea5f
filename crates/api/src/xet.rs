//! Xet storage: the token routes the clients ask for (`xet-write-token`, `xet-read-token`) and a
//! CAS (content-addressed store) served by the hub itself under `/xet-cas`, over the same object
//! store as everything else (see `agora_xet` for the formats).
//!
//! Trust: a client's claims are checked before anything depends on them. A xorb is stored only
//! if its bytes hash to its name; a shard is accepted only if every file it describes is built
//! from stored xorbs the repository (or the uploader) holds, hashes to its Xet hash, and is then
//! read back in full: its sha256 (what commits name it by) and the scanner's verdict come from
//! the reconstructed bytes, as for an LFS upload. Only then may a commit of the repository refer
//! to the file.
//!
//! Tokens are short-lived, HMAC-signed with the hub's secret, and name one repository, the
//! revision they were asked for, the uploader and whether they may write.

use std::{collections::HashMap, ops::Range, sync::Arc};

use agora_storage::{
    ByteStream,
    model::Id,
    xet::{XetFile, XorbRow},
};
use agora_xet::{Term, XorbIndex};
use axum::{
    Json,
    body::Body,
    extract::{FromRequestParts, Path, RawQuery, State},
    http::{HeaderMap, HeaderValue, StatusCode, header, request::Parts},
    response::{IntoResponse, Response},
};
use futures::{StreamExt, TryStreamExt};
use hmac::{KeyInit, Mac};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::{
    AppState, BaseUrl,
    auth::{Access, Caller, find_repo, route_repo},
    error::{ApiError, ApiResult, Code},
    repo_type,
};

/// Lifetime of a CAS token; clients refresh through the token route before it ends.
const TOKEN_TTL_SECS: i64 = 3600;
/// Lifetime of a xorb download URL handed out in a reconstruction.
const FETCH_TTL_SECS: i64 = 3600;
/// Largest shard accepted.
const MAX_SHARD_BYTES: usize = 64 << 20;
/// Most chunks the files of one shard may have (4 Mi: 256 GiB of 64 KiB chunks).
const MAX_SHARD_CHUNKS: usize = 4 << 20;
/// Xorbs received and checked at once: each holds up to ~140 MB of memory while it is.
static XORB_SLOTS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(4);
/// Chunks read and decompressed at a time when the hub reconstructs a file itself.
const GROUP_CHUNKS: usize = 64;
/// The CAS lives under the hub's own URL.
pub const CAS_PREFIX: &str = "/xet-cas";

fn xorb_key(hex: &str) -> String {
    format!("xet/xorbs/{}/{hex}", &hex[..2])
}

// ---------------------------------------------------------------------------------------------
// Tokens
// ---------------------------------------------------------------------------------------------

/// What a CAS token grants.
#[derive(Serialize, Deserialize, Debug, Clone)]
pub struct CasGrant {
    /// repository id
    r: Id,
    /// uploader (none for anonymous readers)
    u: Option<Id>,
    /// may upload
    w: bool,
    /// revision: for a read token, the commit its revision resolved to when it was issued
    v: String,
    /// expiry, unix seconds
    e: i64,
}

/// A xorb download URL's grant.
#[derive(Serialize, Deserialize, Debug)]
struct FetchGrant {
    x: String,
    e: i64,
}

type HmacSha256 = hmac::Hmac<Sha256>;
const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// Signs `payload` for one purpose (`domain`): a token made for one purpose (or an LFS upload
/// URL) is never valid for another.
fn sign<T: Serialize>(secret: &[u8], domain: &str, payload: &T) -> ApiResult<String> {
    use base64::Engine as _;
    let body = serde_json::to_vec(payload).map_err(ApiError::internal)?;
    let mut mac = HmacSha256::new_from_slice(secret).map_err(ApiError::internal)?;
    mac.update(domain.as_bytes());
    mac.update(&[0]);
    mac.update(&body);
    Ok(format!(
        "{}.{}",
        B64.encode(&body),
        B64.encode(mac.finalize().into_bytes())
    ))
}

fn verify<T: for<'de> Deserialize<'de>>(secret: &[u8], domain: &str, token: &str) -> Option<T> {
    use base64::Engine as _;
    let (body, sig) = token.split_once('.')?;
    let body = B64.decode(body).ok()?;
    let sig = B64.decode(sig).ok()?;
    let mut mac = HmacSha256::new_from_slice(secret).ok()?;
    mac.update(domain.as_bytes());
    mac.update(&[0]);
    mac.update(&body);
    mac.verify_slice(&sig).ok()?;
    serde_json::from_slice(&body).ok()
}

fn now_secs() -> i64 {
    agora_storage::now_ms() / 1000
}

#[derive(Deserialize)]
pub struct TokenPath {
    kind: String,
    ns: String,
    name: String,
    rev: String,
}

/// `GET /api/{kind}/{ns}/{name}/xet-write-token/{rev}[?create_pr=1]`. Writing to a branch needs
/// write access; a pull request (`create_pr`, or a `refs/pr/N` revision) the right to contribute,
/// as for opening the pull request itself (the LFS batch API asks the same).
pub async fn write_token(
    State(state): State<AppState>,
    caller: Caller,
    BaseUrl(base): BaseUrl,
    Path(p): Path<TokenPath>,
    RawQuery(query): RawQuery,
) -> ApiResult<Response> {
    let create_pr = query.as_deref().is_some_and(|q| {
        url::form_urlencoded::parse(q.as_bytes())
            .any(|(k, v)| k == "create_pr" && matches!(v.as_ref(), "1" | "true" | "True"))
    });
    let need = if create_pr || agora_repo::engine::is_pr_ref(&p.rev) {
        Access::Contribute
    } else {
        Access::Write
    };
    let repo = route_repo(&state, &caller, &p.kind, &p.ns, &p.name, need).await?;
    let user = caller.user.as_ref().map(|u| u.id);
    token_response(&state, &base, repo.id, user, true, p.rev)
}

/// `GET /api/{kind}/{ns}/{name}/xet-read-token/{rev}`: anyone who may read the repository's
/// files.
pub async fn read_token(
    State(state): State<AppState>,
    caller: Caller,
    BaseUrl(base): BaseUrl,
    Path(p): Path<TokenPath>,
) -> ApiResult<Response> {
    let (repo, _) = find_repo(&state, &caller, repo_type(&p.kind)?, &p.ns, &p.name).await?;
    // A read token reads content: a gated repository's gate applies, as on `resolve`.
    crate::gating::check_content(&state, &caller, &repo, &base, "").await?;
    let commit = state.engine.resolve(&repo, &p.rev).await?.commit;
    let user = caller.user.as_ref().map(|u| u.id);
    token_response(&state, &base, repo.id, user, false, commit.hex())
}

/// The token in the two shapes clients read: headers (`huggingface_hub`) and a JSON body
/// (`hf_xet`'s own refresher).
fn token_response(
    state: &AppState,
    base: &str,
    repo: Id,
    user: Option<Id>,
    write: bool,
    rev: String,
) -> ApiResult<Response> {
    let exp = now_secs() + TOKEN_TTL_SECS;
    let grant = CasGrant {
        r: repo,
        u: user,
        w: write,
        v: rev,
        e: exp,
    };
    let token = sign(&state.secret, "xet-cas", &grant)?;
    let cas = format!("{base}{CAS_PREFIX}");
    let mut headers = HeaderMap::new();
    let hv = |s: &str| HeaderValue::from_str(s).map_err(ApiError::internal);
    headers.insert("x-xet-cas-url", hv(&cas)?);
    headers.insert("x-xet-access-token", hv(&token)?);
    headers.insert("x-xet-token-expiration", hv(&exp.to_string())?);
    Ok((
        headers,
        Json(json!({"accessToken": token, "exp": exp, "casUrl": cas})),
    )
        .into_response())
}

/// The CAS token of a request (`Authorization: Bearer`).
pub struct Cas(CasGrant);

impl FromRequestParts<AppState> for Cas {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> ApiResult<Self> {
        let denied = || ApiError::unauthorized("Missing, invalid or expired Xet token");
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .ok_or_else(denied)?
            .trim();
        if token.len() > 4096 {
            return Err(denied());
        }
        let g: CasGrant = verify(&state.secret, "xet-cas", token).ok_or_else(denied)?;
        if g.e < now_secs() {
            return Err(denied());
        }
        Ok(Cas(g))
    }
}

impl Cas {
    fn writer(&self) -> ApiResult<&CasGrant> {
        if self.0.w {
            Ok(&self.0)
        } else {
            Err(ApiError::forbidden("This Xet token is read-only"))
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Uploads
// ---------------------------------------------------------------------------------------------

fn xet_error(e: agora_xet::Error) -> ApiError {
    match e {
        agora_xet::Error::Corrupt(_) => ApiError::internal(e),
        e => ApiError::bad_request(e.to_string()),
    }
}

async fn body_bytes(body: Body, limit: usize, what: &str) -> ApiResult<bytes::Bytes> {
    axum::body::to_bytes(body, limit).await.map_err(|e| {
        let too_large = std::error::Error::source(&e)
            .is_some_and(|s| s.to_string().contains("length limit"))
            || e.to_string().contains("length limit");
        if too_large {
            ApiError::new(
                Code::PayloadTooLarge,
                format!("{what} is larger than {limit} bytes"),
            )
        } else {
            ApiError::bad_request(format!("{what} body was cut short: {e}"))
        }
    })
}

fn hash_arg(hex: &str) -> ApiResult<agora_xet::MerkleHash> {
    agora_xet::parse_hash(hex).map_err(xet_error)
}

/// `POST /xet-cas/v1/xorbs/default/{hash}`.
pub async fn post_xorb(
    State(state): State<AppState>,
    cas: Cas,
    Path((prefix, hash)): Path<(String, String)>,
    body: Body,
) -> ApiResult<Json<Value>> {
    let res = store_xorb(&state, &cas, &prefix, &hash, body).await;
    if let Err(e) = &res {
        tracing::warn!(repo = cas.0.r, xorb = %hash.chars().take(64).collect::<String>(), error = %e.message, "xorb refused");
    }
    res
}

async fn store_xorb(
    state: &AppState,
    cas: &Cas,
    prefix: &str,
    hash: &str,
    body: Body,
) -> ApiResult<Json<Value>> {
    let hash = hash.to_owned();
    let g = cas.writer()?.clone();
    if prefix != "default" {
        return Err(ApiError::bad_request("The xorb prefix must be `default`"));
    }
    let claimed = hash_arg(&hash)?;
    // Taken before the body is read, so waiting uploads hold connections, not memory.
    let _slot = XORB_SLOTS.acquire().await.map_err(ApiError::internal)?;
    let body = body_bytes(body, agora_xet::MAX_XORB_BYTES, "Xorb").await?;
    // Always verified, even when already stored: linking a xorb to a repository must take
    // its bytes, not just its name.
    let checked = tokio::task::spawn_blocking(move || agora_xet::check_xorb(&claimed, &body))
        .await
        .map_err(ApiError::internal)?
        .map_err(xet_error)?;
    let row = XorbRow {
        size: checked.stored.len() as i64,
        chunks: checked.index.encode(),
    };
    if state.xet.xorb(&hash).await?.is_none() {
        let objects = &state.engine.objects;
        let staging = format!("staging/xet-{}", hex::encode(rand::random::<[u8; 16]>()));
        objects
            .put(&staging, bytes::Bytes::from(checked.stored))
            .await?;
        objects.sync(&staging).await?;
        objects.rename(&staging, &xorb_key(&hash)).await?;
    }
    let inserted = state.xet.put_xorb(&hash, &row, g.r, g.u).await?;
    tracing::info!(xorb = %hash, size = row.size, chunks = checked.index.len(), repo = g.r, inserted, "xorb stored");
    Ok(Json(json!({"was_inserted": inserted})))
}

/// Indexes of xorbs, loaded once per request.
struct Indexes<'a> {
    state: &'a AppState,
    map: HashMap<agora_xet::MerkleHash, Arc<XorbIndex>>,
}

impl<'a> Indexes<'a> {
    fn new(state: &'a AppState) -> Self {
        Indexes {
            state,
            map: HashMap::new(),
        }
    }

    /// `None` when the xorb was never stored.
    async fn get(&mut self, h: &agora_xet::MerkleHash) -> ApiResult<Option<Arc<XorbIndex>>> {
        if let Some(i) = self.map.get(h) {
            return Ok(Some(i.clone()));
        }
        let Some(row) = self.state.xet.xorb(&h.hex()).await? else {
            return Ok(None);
        };
        let idx = Arc::new(XorbIndex::decode(&row.chunks).map_err(xet_error)?);
        self.map.insert(*h, idx.clone());
        Ok(Some(idx))
    }
}

/// `POST /xet-cas/v1/shards`: registers the files a client uploaded (see the module's notes).
pub async fn post_shard(
    State(state): State<AppState>,
    cas: Cas,
    body: Body,
) -> ApiResult<Json<Value>> {
    let res = register_shard(&state, &cas, body).await;
    if let Err(e) = &res {
        tracing::warn!(repo = cas.0.r, error = %e.message, "shard refused");
    }
    res
}

async fn register_shard(state: &AppState, cas: &Cas, body: Body) -> ApiResult<Json<Value>> {
    let state = state.clone();
    let g = cas.writer()?.clone();
    let body = body_bytes(body, MAX_SHARD_BYTES, "Shard").await?;
    let shard = tokio::task::spawn_blocking(move || agora_xet::parse_shard(&body))
        .await
        .map_err(ApiError::internal)?
        .map_err(xet_error)?;
    let mut idx = Indexes::new(&state);

    // The xorbs it lists: stored, as the server indexed them, and the uploader's to use.
    let mut dedup = Vec::new();
    for x in &shard.xorbs {
        let hex = x.hash.hex();
        let Some(index) = idx.get(&x.hash).await? else {
            return Err(ApiError::bad_request(format!(
                "Shard lists xorb {hex}, which was not uploaded"
            )));
        };
        if let Err(why) = agora_xet::check_listing(x, &index) {
            return Err(ApiError::bad_request(format!(
                "Shard's listing of xorb {hex} does not match its content: {why}"
            )));
        }
        if !state.xet.xorb_usable(&hex, g.r, g.u).await? {
            return Err(ApiError::bad_request(format!(
                "Xorb {hex} was not uploaded through this repository or by you"
            )));
        }
        for c in &index.chunks {
            if agora_xet::dedup_eligible(&c.hash) || x.flagged.contains(&c.hash) {
                dedup.push((c.hash.hex(), hex.clone()));
            }
        }
    }

    // Every file is checked in full before any is recorded.
    let mut checked = Vec::with_capacity(shard.files.len());
    let mut usable = std::collections::HashSet::new();
    let mut total_chunks = 0usize;
    for f in &shard.files {
        let fhex = f.hash.hex();
        let mut chunks = Vec::new();
        let mut size: u64 = 0;
        let mut xorbs = Vec::new();
        for (i, t) in f.terms.iter().enumerate() {
            let xhex = t.xorb.hex();
            let Some(index) = idx.get(&t.xorb).await? else {
                return Err(ApiError::bad_request(format!(
                    "File {fhex} references xorb {xhex}, which was not uploaded"
                )));
            };
            if !usable.contains(&t.xorb) {
                if !state.xet.xorb_usable(&xhex, g.r, g.u).await? {
                    return Err(ApiError::bad_request(format!(
                        "File {fhex} references xorb {xhex}, which was not uploaded through this repository or by you"
                    )));
                }
                usable.insert(t.xorb);
            }
            let (a, b) = (t.start as usize, t.end as usize);
            if a >= b || b > index.len() {
                return Err(ApiError::bad_request(format!(
                    "File {fhex}, term {i}: chunks {a}..{b} are not in xorb {xhex} ({} chunks)",
                    index.len()
                )));
            }
            let len = index.unpacked_len(a, b);
            if len != t.len as u64 {
                return Err(ApiError::bad_request(format!(
                    "File {fhex}, term {i}: {} bytes claimed, the chunks hold {len}",
                    t.len
                )));
            }
            size += len;
            total_chunks += b - a;
            // Checked as the terms add up: a hostile shard repeating a term must not make the
            // server build an enormous chunk list before it is refused.
            if size > state.config.max_lfs_bytes || total_chunks > MAX_SHARD_CHUNKS {
                return Err(ApiError::new(
                    Code::PayloadTooLarge,
                    format!(
                        "Shard describes more than {} bytes or {MAX_SHARD_CHUNKS} chunks",
                        state.config.max_lfs_bytes
                    ),
                ));
            }
            chunks.extend((a..b).map(|c| (index.chunks[c].hash, index.chunk_len(c))));
            if i == 0 {
                dedup.push((index.chunks[a].hash.hex(), xhex.clone()));
            }
            xorbs.push(xhex);
        }
        let actual = agora_xet::file_hash(&chunks);
        if actual != f.hash {
            return Err(ApiError::bad_request(format!(
                "File hash mismatch: the chunks hash to {}, not {fhex}",
                actual.hex()
            )));
        }
        xorbs.sort();
        xorbs.dedup();
        checked.push((f, size, xorbs));
    }

    // Then read back (new files) and compared with what the shard claims, still recording
    // nothing but content-addressed scanner verdicts.
    let mut verified = Vec::with_capacity(checked.len());
    for (f, size, xorbs) in checked {
        let fhex = f.hash.hex();
        let known = state.xet.file(&fhex).await?;
        let sha256 = match known {
            // Read back and verified before: same chunks, same bytes.
            Some(k) => k.sha256,
            None => verify_content(&state, &f.terms, size).await?,
        };
        if let Some(claimed) = &f.sha256
            && *claimed != sha256
        {
            return Err(ApiError::bad_request(format!(
                "File {fhex}: the shard says sha256 {claimed}, the content is {sha256}"
            )));
        }
        let file = XetFile {
            hash: fhex,
            sha256,
            size: size as i64,
            terms: agora_xet::encode_terms(&f.terms),
        };
        verified.push((file, xorbs));
    }
    for (file, xorbs) in verified {
        state.xet.put_file(&file, g.r, &xorbs, &[]).await?;
        tracing::info!(file = %file.hash, sha256 = %file.sha256, size = file.size, repo = g.r, "Xet file registered");
    }
    state.xet.add_dedup(g.r, &dedup).await?;
    Ok(Json(json!({"result": 1})))
}

/// Reads a file back from its xorbs, hashing and scanning it in one pass (as an LFS upload is),
/// and records the scanner's verdict. Returns the sha256.
async fn verify_content(state: &AppState, terms: &[Term], size: u64) -> ApiResult<String> {
    let pieces = plan(state, terms, 0..size).await?;
    let mut stream = pieces_stream(state.clone(), pieces);
    let mut hasher = Sha256::new();
    let mut scanner = agora_scan::Scanner::new();
    let mut got = 0u64;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(ApiError::internal)?;
        got += chunk.len() as u64;
        hasher.update(&chunk);
        scanner.update(&chunk);
    }
    if got != size {
        return Err(ApiError::internal(format!(
            "reconstruction gave {got} of {size} bytes"
        )));
    }
    let sha256 = hex::encode(hasher.finalize());
    let report = scanner.finish();
    crate::scanning::store(state, crate::scanning::lfs_id(&sha256), &report).await?;
    Ok(sha256)
}

// ---------------------------------------------------------------------------------------------
// Reading files back
// ---------------------------------------------------------------------------------------------

/// A run of whole chunks of one xorb, and which of their bytes belong to the output.
struct Piece {
    key: String,
    bytes: Range<u64>,
    skip: u64,
    take: u64,
}

/// The pieces that produce bytes `range` of a file.
async fn plan(state: &AppState, terms: &[Term], range: Range<u64>) -> ApiResult<Vec<Piece>> {
    let mut idx = Indexes::new(state);
    let mut out = Vec::new();
    let mut pos = 0u64;
    for t in terms {
        if pos >= range.end {
            break;
        }
        let end = pos + t.len as u64;
        if end <= range.start {
            pos = end;
            continue;
        }
        let index = idx.get(&t.xorb).await?.ok_or_else(|| {
            ApiError::internal(format!(
                "xorb {} of a registered file is missing",
                t.xorb.hex()
            ))
        })?;
        let (a, b) = (t.start as usize, t.end as usize);
        if a >= b || b > index.len() {
            return Err(ApiError::internal("stored file terms out of range"));
        }
        let mut c = a;
        let mut gpos = pos;
        while c < b {
            let d = (c + GROUP_CHUNKS).min(b);
            let glen = index.unpacked_len(c, d);
            if gpos + glen > range.start && gpos < range.end {
                let from = range.start.max(gpos);
                let to = range.end.min(gpos + glen);
                out.push(Piece {
                    key: xorb_key(&t.xorb.hex()),
                    bytes: index.byte_range(c, d),
                    skip: from - gpos,
                    take: to - from,
                });
            }
            gpos += glen;
            c = d;
        }
        pos = end;
    }
    Ok(out)
}

fn pieces_stream(state: AppState, pieces: Vec<Piece>) -> ByteStream {
    let s = futures::stream::iter(pieces)
        .map(move |p| {
            let state = state.clone();
            async move {
                let stored: Vec<bytes::Bytes> = state
                    .engine
                    .objects
                    .read(&p.key, Some(p.bytes.clone()))
                    .await
                    .map_err(std::io::Error::other)?
                    .try_collect()
                    .await?;
                let data =
                    tokio::task::spawn_blocking(move || agora_xet::decode_chunks(&stored.concat()))
                        .await
                        .map_err(std::io::Error::other)?
                        .map_err(std::io::Error::other)?;
                let (skip, take) = (p.skip as usize, p.take as usize);
                if skip + take > data.len() {
                    return Err(std::io::Error::other("stored chunks shorter than indexed"));
                }
                Ok(bytes::Bytes::from(data).slice(skip..skip + take))
            }
        })
        // One piece decompressed ahead while the previous one is sent.
        .buffered(2);
    Box::pin(s)
}

/// Streams `range` of the object at `key`; LFS content uploaded through Xet (no object of its
/// own) is reconstructed from its xorbs. What `resolve` and the scanner read through.
pub async fn read(
    state: &AppState,
    key: &str,
    range: Option<Range<u64>>,
) -> agora_storage::Result<ByteStream> {
    match state.engine.objects.read(key, range.clone()).await {
        Err(agora_storage::Error::NotFound) => {}
        other => return other,
    }
    let Some(oid) = key
        .strip_prefix("lfs/")
        .and_then(|k| k.rsplit('/').next())
        .filter(|o| agora_repo::lfs::is_sha256(o))
    else {
        return Err(agora_storage::Error::NotFound);
    };
    let Some(f) = state.xet.file_by_sha256(oid).await? else {
        return Err(agora_storage::Error::NotFound);
    };
    let terms = agora_xet::decode_terms(&f.terms)
        .map_err(|e| agora_storage::Error::Corrupt(e.to_string()))?;
    let size = f.size as u64;
    let range = range.unwrap_or(0..size);
    let pieces = plan(state, &terms, range.start..range.end.min(size))
        .await
        .map_err(|e| agora_storage::Error::Corrupt(e.message))?;
    Ok(pieces_stream(state.clone(), pieces))
}

/// The Xet hash of LFS content, if it was uploaded through Xet.
pub async fn hash_of(state: &AppState, sha256: &str) -> ApiResult<Option<String>> {
    Ok(state.xet.file_by_sha256(sha256).await?.map(|f| f.hash))
}

/// Headers that tell Xet-capable clients to download through the CAS.
pub fn advertise(
    headers: &mut HeaderMap,
    base: &str,
    kind: &str,
    repo: &str,
    commit: &str,
    xet_hash: &str,
) -> ApiResult<()> {
    let hv = |s: &str| HeaderValue::from_str(s).map_err(ApiError::internal);
    headers.insert("x-xet-hash", hv(xet_hash)?);
    headers.append(
        header::LINK,
        hv(&format!(
            "<{base}/api/{kind}/{repo}/xet-read-token/{commit}>; rel=\"xet-auth\""
        ))?,
    );
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Reconstructions, deduplication, xorb downloads
// ---------------------------------------------------------------------------------------------

/// A reconstruction term: chunks `[a, b)` of a xorb.
struct RTerm {
    xorb: String,
    a: usize,
    b: usize,
    len: u64,
    bytes: Range<u64>,
}

/// `bytes=a-b` (inclusive) or `bytes=a-`, against a file of `size` bytes; `Err` means 416.
fn file_range(h: &HeaderMap, size: u64) -> ApiResult<Range<u64>> {
    let unsatisfiable =
        || ApiError::new(Code::RangeNotSatisfiable, "Requested range not satisfiable");
    let Some(v) = h.get(header::RANGE) else {
        return Ok(0..size);
    };
    let spec = v
        .to_str()
        .ok()
        .and_then(|v| v.trim().strip_prefix("bytes="))
        .ok_or_else(|| ApiError::bad_request("Range must be bytes=START-END"))?;
    let (a, b) = spec
        .split_once('-')
        .ok_or_else(|| ApiError::bad_request("Range must be bytes=START-END"))?;
    let start: u64 = a
        .trim()
        .parse()
        .map_err(|_| ApiError::bad_request("Range must be bytes=START-END"))?;
    let end = match b.trim() {
        "" => size,
        b => b
            .parse::<u64>()
            .map_err(|_| ApiError::bad_request("Range must be bytes=START-END"))?
            .saturating_add(1)
            .min(size),
    };
    if start >= size || end <= start {
        return Err(unsatisfiable());
    }
    Ok(start..end)
}

/// The file a reconstruction asks for, if the token grants it: a read token only files of the
/// commit it was issued for, a write token files its repository holds. Anything else is the same
/// 404, so a token never learns about files of other repositories or revisions.
async fn granted_file(state: &AppState, g: &CasGrant, file_id: &str) -> ApiResult<XetFile> {
    hash_arg(file_id)?;
    let missing = || ApiError::not_found(format!("File {file_id} not found"));
    let f = state.xet.file(file_id).await?.ok_or_else(missing)?;
    if state.meta.lfs_size(g.r, &f.sha256).await?.is_none() {
        return Err(missing());
    }
    if !g.w {
        let commit = agora_repo::git::ObjectId::parse(&g.v).ok_or_else(missing)?;
        let at_commit = state.engine.list(&commit, "", true).await?.iter().any(|e| {
            e.file()
                .and_then(|file| file.lfs.as_ref())
                .is_some_and(|p| p.oid == f.sha256)
        });
        if !at_commit {
            return Err(missing());
        }
    }
    Ok(f)
}

async fn reconstruction(
    state: &AppState,
    g: &CasGrant,
    file_id: &str,
    h: &HeaderMap,
) -> ApiResult<(u64, Vec<RTerm>)> {
    let f = granted_file(state, g, file_id).await?;
    let size = f.size as u64;
    let range = file_range(h, size)?;
    let terms = agora_xet::decode_terms(&f.terms).map_err(xet_error)?;
    let mut idx = Indexes::new(state);
    let mut out = Vec::new();
    let mut offset = 0u64;
    let mut pos = 0u64;
    for t in &terms {
        let end = pos + t.len as u64;
        if end <= range.start {
            pos = end;
            continue;
        }
        if pos >= range.end {
            break;
        }
        let index = idx
            .get(&t.xorb)
            .await?
            .ok_or_else(|| ApiError::internal("xorb of a registered file is missing"))?;
        let (mut a, b0) = (t.start as usize, t.end as usize);
        if a >= b0 || b0 > index.len() {
            return Err(ApiError::internal("stored file terms out of range"));
        }
        // Narrow to the chunks that hold the range.
        let mut cpos = pos;
        while a < b0 && cpos + index.chunk_len(a) <= range.start {
            cpos += index.chunk_len(a);
            a += 1;
        }
        if out.is_empty() {
            offset = range.start.saturating_sub(cpos);
        }
        let mut b = a;
        let mut bpos = cpos;
        while b < b0 && bpos < range.end {
            bpos += index.chunk_len(b);
            b += 1;
        }
        out.push(RTerm {
            xorb: t.xorb.hex(),
            a,
            b,
            len: index.unpacked_len(a, b),
            bytes: index.byte_range(a, b),
        });
        pos = end;
    }
    tracing::info!(file = %file_id, repo = g.r, range = ?range, terms = out.len(), "Xet reconstruction served");
    Ok((offset, out))
}

fn fetch_url(state: &AppState, base: &str, xorb: &str) -> ApiResult<String> {
    let token = sign(
        &state.secret,
        "xet-fetch",
        &FetchGrant {
            x: xorb.to_owned(),
            e: now_secs() + FETCH_TTL_SECS,
        },
    )?;
    Ok(format!("{base}{CAS_PREFIX}/fetch/{token}"))
}

fn terms_json(terms: &[RTerm]) -> Vec<Value> {
    terms
        .iter()
        .map(|t| json!({"hash": t.xorb, "unpacked_length": t.len, "range": {"start": t.a, "end": t.b}}))
        .collect()
}

/// The terms' entries grouped under their xorb's hash, in the order the terms come: `entry`
/// makes each term's entry from the term and a fetch URL of its xorb.
fn by_xorb(
    state: &AppState,
    base: &str,
    terms: &[RTerm],
    entry: impl Fn(&RTerm, String) -> Value,
) -> ApiResult<serde_json::Map<String, Value>> {
    let mut map: serde_json::Map<String, Value> = serde_json::Map::new();
    for t in terms {
        let url = fetch_url(state, base, &t.xorb)?;
        let entry = entry(t, url);
        match map.get_mut(&t.xorb).and_then(Value::as_array_mut) {
            Some(list) => list.push(entry),
            None => {
                map.insert(t.xorb.clone(), json!([entry]));
            }
        }
    }
    Ok(map)
}

/// `GET /xet-cas/v1/reconstructions/{file_id}`.
pub async fn reconstruction_v1(
    State(state): State<AppState>,
    cas: Cas,
    BaseUrl(base): BaseUrl,
    Path(file_id): Path<String>,
    h: HeaderMap,
) -> ApiResult<Json<Value>> {
    let (offset, terms) = reconstruction(&state, &cas.0, &file_id, &h).await?;
    let fetch = by_xorb(&state, &base, &terms, |t, url| {
        json!({"range": {"start": t.a, "end": t.b}, "url": url,
            "url_range": {"start": t.bytes.start, "end": t.bytes.end - 1}})
    })?;
    Ok(Json(json!({
        "offset_into_first_range": offset,
        "terms": terms_json(&terms),
        "fetch_info": fetch,
    })))
}

/// `GET /xet-cas/v2/reconstructions/{file_id}`: one URL per range (no multi-range requests).
pub async fn reconstruction_v2(
    State(state): State<AppState>,
    cas: Cas,
    BaseUrl(base): BaseUrl,
    Path(file_id): Path<String>,
    h: HeaderMap,
) -> ApiResult<Json<Value>> {
    let (offset, terms) = reconstruction(&state, &cas.0, &file_id, &h).await?;
    let xorbs = by_xorb(&state, &base, &terms, |t, url| {
        json!({"url": url, "ranges": [{"chunks": {"start": t.a, "end": t.b},
            "bytes": {"start": t.bytes.start, "end": t.bytes.end - 1}}]})
    })?;
    Ok(Json(json!({
        "offset_into_first_range": offset,
        "terms": terms_json(&terms),
        "xorbs": xorbs,
    })))
}

/// `GET /xet-cas/fetch/{token}`: bytes of a stored xorb, for a URL a reconstruction handed out.
/// One range per request (the reconstructions never ask for more).
pub async fn fetch(
    State(state): State<AppState>,
    Path(token): Path<String>,
    h: HeaderMap,
) -> ApiResult<Response> {
    let g: FetchGrant = verify(&state.secret, "xet-fetch", &token)
        .filter(|g: &FetchGrant| g.e >= now_secs())
        .ok_or_else(|| ApiError::forbidden("Invalid or expired xorb URL"))?;
    hash_arg(&g.x)?;
    let row = state
        .xet
        .xorb(&g.x)
        .await?
        .ok_or_else(|| ApiError::not_found("No such xorb"))?;
    let size = row.size as u64;
    let mut headers = HeaderMap::new();
    headers.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    let hv = |s: String| HeaderValue::from_str(&s).map_err(ApiError::internal);
    let (status, range) = if h.contains_key(header::RANGE) {
        if h.get(header::RANGE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains(','))
        {
            return Err(ApiError::bad_request("One range per request"));
        }
        let r = file_range(&h, size).map_err(|mut e| {
            if let Ok(v) = HeaderValue::from_str(&format!("bytes */{size}")) {
                e.extra_headers.push((header::CONTENT_RANGE, v));
            }
            e
        })?;
        headers.insert(
            header::CONTENT_RANGE,
            hv(format!("bytes {}-{}/{size}", r.start, r.end - 1))?,
        );
        (StatusCode::PARTIAL_CONTENT, r)
    } else {
        (StatusCode::OK, 0..size)
    };
    headers.insert(
        header::CONTENT_LENGTH,
        hv((range.end - range.start).to_string())?,
    );
    let stream = state
        .engine
        .objects
        .read(&xorb_key(&g.x), Some(range))
        .await?;
    Ok((status, headers, Body::from_stream(stream)).into_response())
}

/// `GET /xet-cas/v1/chunks/{default,default-merkledb}/{hash}`: global deduplication, within the token's
/// repository. The answer is a shard listing the xorb that holds the chunk, built from the
/// server's own index of it.
pub async fn dedup(
    State(state): State<AppState>,
    cas: Cas,
    Path((prefix, hash)): Path<(String, String)>,
) -> ApiResult<Response> {
    // The API description says `default-merkledb`; hf_xet 1.8 sends `default`.
    if prefix != "default-merkledb" && prefix != "default" {
        return Err(ApiError::bad_request(
            "The deduplication prefix must be `default` or `default-merkledb`",
        ));
    }
    hash_arg(&hash)?;
    let none = || ApiError::not_found("Chunk not known");
    let xorb = state.xet.dedup(cas.0.r, &hash).await?.ok_or_else(none)?;
    let row = state.xet.xorb(&xorb).await?.ok_or_else(none)?;
    let index = XorbIndex::decode(&row.chunks).map_err(xet_error)?;
    let xh = hash_arg(&xorb)?;
    let shard = agora_xet::dedup_shard(&xh, &index).map_err(xet_error)?;
    tracing::info!(chunk = %hash, xorb = %xorb, repo = cas.0.r, "Xet deduplication hit");
    Ok(([(header::CONTENT_TYPE, "application/octet-stream")], shard).into_response())
}

#[derive(Deserialize)]
pub struct Duplicate {
    target: Target,
    files: Vec<DuplicateFile>,
}

#[derive(Deserialize)]
pub struct Target {
    #[serde(rename = "type")]
    kind: String,
    name: String,
}

#[derive(Deserialize)]
pub struct DuplicateFile {
    #[serde(rename = "xetHash")]
    xet_hash: String,
    sha256: String,
}

/// `POST /api/{kind}/{ns}/{name}/lfs-files/duplicate`: lets another repository reference Xet
/// files of this one (cross-repository copies), without moving any bytes. The caller must read
/// this repository's files and may at least contribute to the target (a commit there is checked
/// as usual); each file must be one this repository holds, under both of its hashes.
pub async fn duplicate(
    State(state): State<AppState>,
    caller: Caller,
    BaseUrl(base): BaseUrl,
    Path((kind, ns, name)): Path<(String, String, String)>,
    crate::error::Json(req): crate::error::Json<Duplicate>,
) -> ApiResult<Json<Value>> {
    let (src, _) = find_repo(&state, &caller, repo_type(&kind)?, &ns, &name).await?;
    crate::gating::check_content(&state, &caller, &src, &base, "").await?;
    if req.files.len() > 1000 {
        return Err(ApiError::bad_request("At most 1000 files per request"));
    }
    let tkind = match req.target.kind.as_str() {
        "model" | "models" => "models",
        "dataset" | "datasets" => "datasets",
        _ => return Err(ApiError::repo_not_found()),
    };
    let (tns, tname) = req
        .target
        .name
        .split_once('/')
        .ok_or_else(ApiError::repo_not_found)?;
    let target = route_repo(&state, &caller, tkind, tns, tname, Access::Contribute).await?;
    let mut failed = Vec::new();
    for f in &req.files {
        let sha = f.sha256.to_ascii_lowercase();
        let file = match state.xet.file(&f.xet_hash).await? {
            Some(x) if x.sha256 == sha && state.meta.lfs_size(src.id, &sha).await?.is_some() => x,
            _ => {
                failed.push(
                    json!({"sha256": f.sha256, "error": "not a Xet file of the source repository"}),
                );
                continue;
            }
        };
        let mut xorbs: Vec<String> = agora_xet::decode_terms(&file.terms)
            .map_err(xet_error)?
            .iter()
            .map(|t| t.xorb.hex())
            .collect();
        xorbs.sort();
        xorbs.dedup();
        state.xet.put_file(&file, target.id, &xorbs, &[]).await?;
    }
    Ok(Json(json!({"failed": failed})))
}

/// Any other CAS route: 404 (clients probe optional routes and fall back on 404).
pub async fn unknown(uri: axum::http::Uri) -> ApiError {
    ApiError::not_found(format!("No CAS route for {}", uri.path()))
}

/// `POST /xet-cas/v1/telemetry`: accepted and dropped (the hub keeps no client telemetry).
pub async fn telemetry(_cas: Cas) -> StatusCode {
    StatusCode::OK
}

/// `GET /api/{kind}/{ns}/{name}/xet-storage`: what the repository's Xet files cost in storage.
pub async fn usage(
    State(state): State<AppState>,
    caller: Caller,
    Path((kind, ns, name)): Path<(String, String, String)>,
) -> ApiResult<Json<Value>> {
    let (repo, _) = find_repo(&state, &caller, repo_type(&kind)?, &ns, &name).await?;
    let u = state.xet.usage(repo.id).await?;
    Ok(Json(serde_json::to_value(u).map_err(ApiError::internal)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        let mut h = HeaderMap::new();
        assert_eq!(file_range(&h, 10).ok(), Some(0..10));
        h.insert(header::RANGE, HeaderValue::from_static("bytes=2-4"));
        assert_eq!(file_range(&h, 10).ok(), Some(2..5));
        h.insert(header::RANGE, HeaderValue::from_static("bytes=2-"));
        assert_eq!(file_range(&h, 10).ok(), Some(2..10));
        h.insert(header::RANGE, HeaderValue::from_static("bytes=8-100"));
        assert_eq!(file_range(&h, 10).ok(), Some(8..10));
        h.insert(header::RANGE, HeaderValue::from_static("bytes=10-"));
        let e = file_range(&h, 10).err().map(|e| e.code);
        assert_eq!(e, Some(Code::RangeNotSatisfiable));
        h.insert(header::RANGE, HeaderValue::from_static("bytes=x-"));
        assert_eq!(
            file_range(&h, 10).err().map(|e| e.code),
            Some(Code::BadRequest)
        );
    }

    #[test]
    fn tokens_are_bound_to_their_purpose() {
        let secret = b"k".to_vec();
        let g = FetchGrant {
            x: "a".repeat(64),
            e: 1,
        };
        let t = sign(&secret, "xet-fetch", &g).unwrap_or_default();
        assert!(verify::<FetchGrant>(&secret, "xet-fetch", &t).is_some());
        assert!(verify::<FetchGrant>(&secret, "xet-cas", &t).is_none());
        assert!(verify::<FetchGrant>(b"other", "xet-fetch", &t).is_none());
        let mut bad = t.clone();
        bad.insert(3, 'A');
        assert!(verify::<FetchGrant>(&secret, "xet-fetch", &bad).is_none());
    }
}
