//! Agora's web interface: pages rendered on the server from askama templates compiled into the
//! binary, over the hub core (`agora_api`). No JavaScript is needed to read anything; one small
//! script only adds conveniences (copy buttons).
//!
//! Every page that shows a repository finds it through [`agora_api::auth::find_repo`], so a
//! private repository is the same 404 as a missing one, and listings go through the store's
//! viewer filter. Every form that changes something carries a CSRF token bound to the session
//! (or, before sign-in, to a pre-session cookie) and is checked before anything else.

mod account;
mod error;
mod gating;
pub mod highlight;
mod layout;
pub mod markdown;
mod openness;
mod repo;
mod search;
mod session;
mod settings;
pub mod svg;

use std::sync::Arc;

use agora_api::AppState;
use axum::{
    Extension, Router,
    http::header,
    response::IntoResponse,
    routing::{get, post},
};

pub use error::{Error, Result};
pub use session::Viewer;

/// Choices of the installation that only the web interface reads.
#[derive(Clone, Debug)]
pub struct Options {
    /// Whether anyone may create an account from the sign-up page.
    pub allow_signup: bool,
    /// Cookies get `Secure` (the hub is reached over https).
    pub secure_cookies: bool,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            allow_signup: true,
            secure_cookies: false,
        }
    }
}

/// The pages, to be merged into the hub's router (`agora_api::router_with`).
///
/// Web-only paths are either names no account can have (`/-/...`) or the Hub's own
/// (`/login`, `/join`, `/new`, `/settings/...`); sign-up refuses those names.
pub fn router(opts: Options) -> Router<AppState> {
    let repo_routes = |p: &str| {
        Router::new()
            .route(&format!("{p}/{{ns}}/{{name}}"), get(repo::card))
            .route(
                &format!("{p}/{{ns}}/{{name}}/tree/{{rev}}"),
                get(repo::tree_root),
            )
            .route(
                &format!("{p}/{{ns}}/{{name}}/tree/{{rev}}/{{*path}}"),
                get(repo::tree),
            )
            .route(
                &format!("{p}/{{ns}}/{{name}}/blob/{{rev}}/{{*path}}"),
                get(repo::blob),
            )
            .route(
                &format!("{p}/{{ns}}/{{name}}/raw/{{rev}}/{{*path}}"),
                get(repo::raw),
            )
            .route(
                &format!("{p}/{{ns}}/{{name}}/download/{{rev}}/{{*path}}"),
                get(repo::download),
            )
            .route(
                &format!("{p}/{{ns}}/{{name}}/commits/{{rev}}"),
                get(repo::commits),
            )
            .route(
                &format!("{p}/{{ns}}/{{name}}/commit/{{sha}}"),
                get(repo::commit),
            )
            .route(&format!("{p}/{{ns}}/{{name}}/refs"), get(repo::refs))
            .route(
                &format!("{p}/{{ns}}/{{name}}/openness"),
                get(openness::openness),
            )
            .route(&format!("{p}/{{ns}}/{{name}}/scan"), get(openness::scan))
            .route(
                &format!("{p}/{{ns}}/{{name}}/ask-access"),
                post(gating::ask),
            )
            .route(
                &format!("{p}/{{ns}}/{{name}}/access-requests"),
                post(gating::review),
            )
            .route(
                &format!("{p}/{{ns}}/{{name}}/upload/{{rev}}"),
                get(settings::upload_form).post(settings::upload),
            )
            .route(
                &format!("{p}/{{ns}}/{{name}}/settings"),
                get(settings::show).post(settings::save),
            )
    };
    Router::new()
        .route("/", get(search::home))
        .route("/models", get(search::models))
        .route("/datasets", get(search::datasets))
        .route("/-/agora.css", get(css))
        .route("/-/agora.js", get(js))
        .route("/login", get(account::login_form).post(account::login))
        .route("/logout", post(account::logout))
        .route("/join", get(account::join_form).post(account::join))
        .route("/new", get(settings::new_form).post(settings::create))
        .route(
            "/settings/tokens",
            get(account::tokens).post(account::create_token),
        )
        .route("/settings/tokens/delete", post(account::delete_token))
        .route(
            "/organizations/new",
            get(account::new_org_form).post(account::create_org),
        )
        .route(
            "/organizations/{ns}/members",
            get(account::members).post(account::change_member),
        )
        .route("/{ns}", get(account::profile))
        .merge(repo_routes(""))
        .merge(repo_routes("/datasets"))
        .layer(axum::middleware::from_fn(session::pre_session))
        .layer(axum::middleware::from_fn(not_api))
        .layer(Extension(Arc::new(opts)))
}

/// Sets a user's web password (`agora user password`); the same rules as the sign-up page.
pub async fn set_password(hub: &agora_api::Hub, user: i64, password: &str) -> Result<()> {
    if password.chars().count() < 10 || password.len() > 1024 {
        return Err(Error::BadRequest(
            "A password has at least 10 characters".into(),
        ));
    }
    let phc = session::hash_password(password)?;
    hub.meta.set_password(user, &phc).await?;
    Ok(())
}

/// `/api/...` paths the API has no route for land on page routes (`/{ns}/{name}`); they get
/// the API's JSON 404, which its clients read, not a page.
async fn not_api(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let path = req.uri().path();
    if path == "/api" || path.starts_with("/api/") {
        return agora_api::error::ApiError::not_found(format!("No route for {path}"))
            .into_response();
    }
    next.run(req).await
}

/// Static assets are compiled in; their URLs never change within a build, so they may be cached.
async fn css() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../static/agora.css"),
    )
}

async fn js() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../static/agora.js"),
    )
}
