//! Agora's HTTP surface: the Hugging Face Hub protocol (what `huggingface_hub`, `datasets`,
//! `transformers` and `hf-hub` send, see `shared/research/hub-protocol.md`) over axum.
//!
//! Handlers are thin: they check input and access, call the repository engine, and shape
//! JSON. Every error goes through [`error::ApiError`].

pub mod audit;
pub mod auth;
pub mod commit;
pub mod error;
pub mod files;
pub mod gating;
pub mod lfs;
pub mod limits;
pub mod openness;
mod orgs;
mod refs;
pub mod repos;
pub mod scanning;
pub mod tokens;
pub mod xet;

use std::sync::Arc;

use agora_repo::Engine;
use agora_storage::{Meta, XetMeta, model::RepoType};
use axum::{
    Router,
    extract::{DefaultBodyLimit, FromRequestParts},
    http::{HeaderName, HeaderValue, request::Parts},
    routing::{get, post, put},
};
use tower_http::{
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer},
    trace::TraceLayer,
};

use crate::error::{ApiError, ApiResult};

/// Limits and knobs of the HTTP surface.
#[derive(Clone, Debug)]
pub struct Config {
    /// The URL clients reach the hub at; derived from the `Host` header when unset.
    pub public_url: Option<String>,
    /// Largest NDJSON commit body (regular files travel inline, base64-encoded).
    pub max_commit_bytes: usize,
    /// Largest single LFS object.
    pub max_lfs_bytes: u64,
    /// LFS objects at least this large are uploaded in parts.
    pub multipart_threshold: u64,
    pub multipart_chunk: u64,
    pub limits: limits::RateLimits,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            public_url: None,
            max_commit_bytes: 512 << 20,
            max_lfs_bytes: 100 << 30,
            multipart_threshold: 16 << 20,
            multipart_chunk: 8 << 20,
            limits: limits::RateLimits::default(),
        }
    }
}

pub struct Hub {
    pub engine: Arc<Engine>,
    pub meta: Arc<dyn Meta>,
    pub config: Config,
    /// Signs self-authenticating upload URLs.
    pub secret: Vec<u8>,
    pub running: lfs::Running,
    pub reports: openness::Reports,
    /// What the Xet CAS verified (`xet.rs`).
    pub xet: Arc<dyn XetMeta>,
    pub limiter: limits::Limiter,
}

pub type AppState = Arc<Hub>;

/// `https://hub.example.org`: absolute URLs in `Link` headers, commit URLs and upload hrefs.
pub struct BaseUrl(pub String);

impl FromRequestParts<AppState> for BaseUrl {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> ApiResult<Self> {
        if let Some(u) = &state.config.public_url {
            return Ok(BaseUrl(u.trim_end_matches('/').to_owned()));
        }
        let host = parts
            .headers
            .get(axum::http::header::HOST)
            .and_then(|h| h.to_str().ok())
            .filter(|h| {
                !h.is_empty()
                    && h.len() < 256
                    && h.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b))
            })
            .unwrap_or("localhost");
        Ok(BaseUrl(format!("http://{host}")))
    }
}

/// `models` or `datasets` from a URL; anything else names no repository.
pub fn repo_type(plural: &str) -> ApiResult<RepoType> {
    match plural {
        "models" => Ok(RepoType::Model),
        "datasets" => Ok(RepoType::Dataset),
        _ => Err(ApiError::repo_not_found()),
    }
}

/// Work the hub does beside serving requests.
pub fn start_background(state: AppState) {
    tokio::spawn(scanning::rescan_stale(state.clone()));
    tokio::spawn(openness::regrade_stale(state));
}

/// The Hub protocol alone, with a one-line greeting at `/`.
pub fn router(state: AppState) -> Router {
    router_with(
        state,
        Router::new().route(
            "/",
            get(|| async { "Agora: a self-hosted hub for open AI. Point HF_ENDPOINT here.\n" }),
        ),
    )
}

/// The Hub protocol and `pages` (the web interface) under the same layers; URL shapes neither
/// matches go to the protocol's fallback.
pub fn router_with(state: AppState, pages: Router<AppState>) -> Router {
    let request_id = HeaderName::from_static("x-request-id");
    let repo = "/api/{kind}/{ns}/{name}";
    let api = Router::new()
        .route("/api/whoami-v2", get(repos::whoami))
        .route("/api/repos/create", post(repos::create))
        .route("/api/repos/delete", axum::routing::delete(repos::delete))
        .route("/api/repos/move", post(repos::move_repo))
        .route("/api/validate-yaml", post(commit::validate_yaml))
        .route("/api/models", get(repos::list_models))
        .route("/api/datasets", get(repos::list_datasets))
        .route("/api/{kind}/{name}", get(repos::no_namespace))
        .route(repo, get(repos::info))
        .route(&format!("{repo}/revision/{{rev}}"), get(repos::info_at))
        .route(&format!("{repo}/settings"), put(repos::settings))
        .route(&format!("{repo}/auth-check"), get(repos::auth_check))
        .route(
            &format!("{repo}/auth-check/write"),
            get(repos::auth_check_write),
        )
        .route(&format!("{repo}/tree/{{rev}}"), get(files::tree_root))
        .route(&format!("{repo}/tree/{{rev}}/{{*path}}"), get(files::tree))
        .route(
            &format!("{repo}/paths-info/{{rev}}"),
            post(files::paths_info),
        )
        .route(&format!("{repo}/refs"), get(refs::list))
        .route(&format!("{repo}/commits/{{rev}}"), get(refs::commits))
        .route(
            &format!("{repo}/branch/{{branch}}"),
            post(refs::create_branch).delete(refs::delete_branch),
        )
        .route(
            &format!("{repo}/tag/{{rev}}"),
            post(refs::create_tag).delete(refs::delete_tag),
        )
        .route(
            &format!("{repo}/preupload/{{rev}}"),
            post(commit::preupload),
        )
        .route(&format!("{repo}/commit/{{rev}}"), post(commit::commit))
        .route(&format!("{repo}/openness"), get(openness::report_head))
        .route(
            &format!("{repo}/openness/{{rev}}"),
            get(openness::report_at),
        )
        .route(&format!("{repo}/badge/openness.svg"), get(openness::badge))
        .route(&format!("{repo}/bom/{{rev}}"), get(openness::bom))
        .route(&format!("{repo}/lineage"), get(openness::lineage))
        .route(&format!("{repo}/scan/{{rev}}"), get(scanning::scan_report))
        .route(
            &format!("{repo}/ask-access"),
            get(gating::form).post(gating::ask),
        )
        .route(
            &format!("{repo}/user-access-request/{{status}}"),
            get(gating::list),
        )
        .route(
            &format!("{repo}/user-access-request/handle"),
            post(gating::handle),
        )
        .route(
            &format!("{repo}/user-access-request/grant"),
            post(gating::grant),
        )
        .route(&format!("{repo}/audit"), get(audit::repo_log))
        .route("/api/users/{name}/audit", get(audit::user_log))
        .route("/api/organizations/{name}/audit", get(audit::org_log))
        .route("/api/organizations/new", post(orgs::create))
        .route("/api/organizations/{org}/members", get(orgs::members))
        .route(
            "/api/organizations/{org}/members/{user}",
            put(orgs::set_role).delete(orgs::remove),
        )
        .route("/api/tokens", get(tokens::list).post(tokens::create))
        .route("/api/tokens/{id}", axum::routing::delete(tokens::revoke))
        .route("/api/lfs/upload/{token}", put(lfs::upload))
        .route("/api/lfs/part/{token}", put(lfs::upload_part))
        .route("/api/lfs/complete/{token}", post(lfs::complete))
        .route(&format!("{repo}/lfs-verify"), post(lfs::verify_route))
        .route(
            &format!("{repo}/xet-write-token/{{*rev}}"),
            get(xet::write_token),
        )
        .route(
            &format!("{repo}/xet-read-token/{{*rev}}"),
            get(xet::read_token),
        )
        .route(&format!("{repo}/xet-storage"), get(xet::usage))
        .route(&format!("{repo}/lfs-files/duplicate"), post(xet::duplicate))
        .nest(xet::CAS_PREFIX, xet_cas())
        .merge(pages)
        .fallback(files::fallback);

    // JSON and form bodies are small; uploads and commits stream their bodies (`Body` is not
    // bound by this limit) and enforce sizes of their own.
    api.layer(DefaultBodyLimit::max(16 << 20))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            limits::limit,
        ))
        .layer(axum::middleware::from_fn(limit_headers))
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(TraceLayer::new_for_http())
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
        .layer(tower_http::set_header::SetResponseHeaderLayer::if_not_present(
            axum::http::header::ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static(
                "X-Repo-Commit, X-Request-Id, X-Error-Code, X-Error-Message, X-Total-Count, ETag, Link, Accept-Ranges, \
                 Content-Range, X-Linked-Size, X-Linked-ETag, RateLimit, RateLimit-Policy, Retry-After",
            ),
        ))
        .with_state(state)
}

/// The Xet CAS (`xet.rs`): the routes `hf_xet` calls, relative to the `casUrl` of its tokens.
fn xet_cas() -> Router<AppState> {
    Router::new()
        .route("/v1/xorbs/{prefix}/{hash}", post(xet::post_xorb))
        .route("/v1/shards", post(xet::post_shard))
        .route("/v1/chunks/{prefix}/{hash}", get(xet::dedup))
        .route("/v1/reconstructions/{file_id}", get(xet::reconstruction_v1))
        .route("/v2/reconstructions/{file_id}", get(xet::reconstruction_v2))
        .route("/v1/telemetry", post(xet::telemetry))
        .route("/fetch/{token}", get(xet::fetch))
        // Not offered, and a 404 sends the client to what is: direct-to-storage xorb uploads
        // (`/v1/xorb-grants`, to `/v1/xorbs`) and streamed shard uploads (`/v2/shards`, to
        // `/v1/shards`). Every other unknown CAS route is a 404 too, never the hub's 401.
        .fallback(xet::unknown)
}

/// Percent-encodes one URL segment (`quote(s, safe="")`).
pub fn quote(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, SEGMENT).to_string()
}

const SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// Requests whose headers add up to more than this are refused (431) before any handler runs.
const MAX_HEADER_BYTES: usize = 32 << 10;

async fn limit_headers(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let total: usize = req
        .headers()
        .iter()
        .map(|(k, v)| k.as_str().len() + v.len() + 4)
        .sum::<usize>()
        + req.uri().to_string().len();
    if total > MAX_HEADER_BYTES {
        return ApiError::bad_request(format!(
            "Request headers and URL exceed {MAX_HEADER_BYTES} bytes"
        ))
        .with_status(axum::http::StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE)
        .into_response();
    }
    next.run(req).await
}
