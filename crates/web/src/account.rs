//! Accounts on the web: sign-up (can be turned off), sign-in and sign-out, the tokens page,
//! organisations and their members, and profile pages.

use agora_api::{AppState, auth::hash_token};
use agora_storage::model::{AccountKind, RepoQuery, RepoType, Role, SortKey};
use askama::Template;
use axum::{
    Form,
    extract::{Path, State},
    http::header,
    response::{IntoResponse, Response},
};
use serde::Deserialize;

use crate::{
    Error, Result, Viewer,
    layout::{Layout, date, page, see_other},
    repo::repo_url,
    session::{self, SESSION, SESSION_MS},
};

#[derive(Deserialize, Default)]
pub struct Creds {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    next: String,
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    l: Layout,
    join: bool,
    error: String,
    username: String,
    email: String,
    next: String,
}

/// Only a local path may be the place to return to after sign-in (no open redirect).
fn safe_next(n: &str) -> String {
    if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') && n.len() < 2000 {
        n.to_owned()
    } else {
        "/".to_owned()
    }
}

#[derive(Deserialize, Default)]
pub struct NextQuery {
    #[serde(default)]
    next: String,
}

pub async fn login_form(
    v: Viewer,
    axum::extract::Query(nq): axum::extract::Query<NextQuery>,
) -> Result<Response> {
    page(&LoginPage {
        l: Layout::new(&v, "Sign in"),
        join: false,
        error: String::new(),
        username: String::new(),
        email: String::new(),
        next: safe_next(&nq.next),
    })
}

pub async fn join_form(v: Viewer) -> Result<Response> {
    if !v.opts.allow_signup {
        return Err(Error::Forbidden(
            "Sign-up is turned off on this hub: ask an administrator for an account.".into(),
        ));
    }
    page(&LoginPage {
        l: Layout::new(&v, "Sign up"),
        join: true,
        error: String::new(),
        username: String::new(),
        email: String::new(),
        next: "/".into(),
    })
}

/// Starts a session for `user` and sends the browser on.
async fn start_session(state: &AppState, v: &Viewer, user: i64, next: &str) -> Result<Response> {
    let value = session::random_hex();
    state
        .meta
        .create_session(
            &hash_token(&value),
            user,
            agora_storage::now_ms() + SESSION_MS,
        )
        .await?;
    let mut res = see_other(&safe_next(next));
    res.headers_mut().append(
        header::SET_COOKIE,
        session::set_cookie(&v.opts, SESSION, &value, SESSION_MS / 1000),
    );
    Ok(res)
}

fn form_error(v: &Viewer, join: bool, c: &Creds, error: &str) -> Result<Response> {
    let mut res = page(&LoginPage {
        l: Layout::new(v, if join { "Sign up" } else { "Sign in" }),
        join,
        error: error.to_owned(),
        username: c.username.chars().take(100).collect(),
        email: c.email.chars().take(200).collect(),
        next: safe_next(&c.next),
    })?;
    *res.status_mut() = if join {
        axum::http::StatusCode::BAD_REQUEST
    } else {
        axum::http::StatusCode::UNAUTHORIZED
    };
    Ok(res)
}

pub async fn login(
    State(state): State<AppState>,
    v: Viewer,
    Form(c): Form<Creds>,
) -> Result<Response> {
    v.check_csrf(&c.csrf)?;
    let account = if c.username.len() <= 100 {
        state
            .meta
            .account_by_name(c.username.trim())
            .await?
            .filter(|a| a.kind == AccountKind::User)
    } else {
        None
    };
    let phc = match &account {
        Some(a) => state.meta.password(a.id).await?,
        None => None,
    };
    // Verify even when there is no such account, so timing does not tell which names exist.
    let ok = c.password.len() <= 1024
        && session::verify_password(&c.password, phc.as_deref().unwrap_or(session::dummy_hash()))
        && phc.is_some();
    match account {
        Some(a) if ok => {
            tracing::info!(user = %a.name, "signed in");
            start_session(&state, &v, a.id, &c.next).await
        }
        _ => form_error(&v, false, &c, "Wrong username or password."),
    }
}

pub async fn join(
    State(state): State<AppState>,
    v: Viewer,
    Form(c): Form<Creds>,
) -> Result<Response> {
    v.check_csrf(&c.csrf)?;
    if !v.opts.allow_signup {
        return Err(Error::Forbidden(
            "Sign-up is turned off on this hub.".into(),
        ));
    }
    let name = c.username.trim();
    if agora_repo::path::check_account_name(name).is_err() {
        return form_error(
            &v,
            true,
            &c,
            "Choose another username: letters, digits, '-', '_' and '.', at most 96 characters.",
        );
    }
    if c.password.chars().count() < 10 || c.password.len() > 1024 {
        return form_error(&v, true, &c, "Use a password of at least 10 characters.");
    }
    let email = c.email.trim();
    if email.len() > 200
        || (!email.is_empty() && !email.contains('@'))
        || email.chars().any(char::is_control)
    {
        return form_error(&v, true, &c, "That email address does not look right.");
    }
    let phc = session::hash_password(&c.password)?;
    let account = match state
        .meta
        .create_account(
            name,
            AccountKind::User,
            name,
            (!email.is_empty()).then_some(email),
            false,
        )
        .await
    {
        Ok(a) => a,
        Err(agora_storage::Error::Conflict(_)) => {
            return form_error(&v, true, &c, "That username is taken.");
        }
        Err(e) => return Err(e.into()),
    };
    state.meta.set_password(account.id, &phc).await?;
    tracing::info!(user = %account.name, "signed up");
    start_session(&state, &v, account.id, "/").await
}

#[derive(Deserialize, Default)]
pub struct CsrfOnly {
    #[serde(default)]
    csrf: String,
}

pub async fn logout(
    State(state): State<AppState>,
    v: Viewer,
    Form(f): Form<CsrfOnly>,
) -> Result<Response> {
    v.check_csrf(&f.csrf)?;
    if let Some(s) = &v.session {
        state.meta.delete_session(&hash_token(s)).await?;
    }
    let mut res = see_other("/");
    res.headers_mut().append(
        header::SET_COOKIE,
        session::set_cookie(&v.opts, SESSION, "", 0),
    );
    Ok(res)
}

// ---- tokens -----------------------------------------------------------------------------------

pub struct TokenRow {
    pub id: i64,
    pub name: String,
    pub role: &'static str,
    pub scopes: String,
    pub expires: String,
    pub created: String,
    pub used: String,
}

#[derive(Template)]
#[template(path = "tokens.html")]
struct TokensPage {
    l: Layout,
    tokens: Vec<TokenRow>,
    /// A token just created: shown once, never stored in clear.
    created: Option<String>,
    error: String,
}

async fn tokens_page(
    state: &AppState,
    v: &Viewer,
    created: Option<String>,
    error: &str,
) -> Result<Response> {
    let user = v.require_user()?;
    let tokens = state
        .meta
        .tokens_of(user.id)
        .await?
        .into_iter()
        .filter(|t| t.revoked_at.is_none())
        .map(|t| TokenRow {
            id: t.id,
            role: agora_api::tokens::role_name(&t),
            scopes: t
                .scopes
                .as_ref()
                .map(|s| {
                    s.iter()
                        .map(|s| {
                            let perms: Vec<&str> = s
                                .permissions
                                .iter()
                                .map(|p| match p {
                                    agora_storage::model::Permission::Read => "read",
                                    agora_storage::model::Permission::Contribute => "contribute",
                                    agora_storage::model::Permission::Write => "write",
                                })
                                .collect();
                            format!("{:?}:{}:{}", s.kind, s.name, perms.join(",")).to_lowercase()
                        })
                        .collect::<Vec<_>>()
                        .join(" ")
                })
                .unwrap_or_default(),
            expires: t.expires_at.map(date).unwrap_or_else(|| "never".into()),
            name: t.name,
            created: date(t.created_at),
            used: t.last_used_at.map(date).unwrap_or_else(|| "never".into()),
        })
        .collect();
    page(&TokensPage {
        l: Layout::new(v, "Access tokens"),
        tokens,
        created,
        error: error.to_owned(),
    })
}

pub async fn tokens(State(state): State<AppState>, v: Viewer) -> Result<Response> {
    if v.user.is_none() {
        return Ok(see_other("/login?next=/settings/tokens"));
    }
    tokens_page(&state, &v, None, "").await
}

#[derive(Deserialize, Default)]
pub struct NewToken {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    role: String,
    /// Days until it expires, or `never`.
    #[serde(default)]
    expires: String,
    /// Fine-grained scopes, one `TYPE:NAME:PERMS` a line.
    #[serde(default)]
    scopes: String,
}

pub async fn create_token(
    State(state): State<AppState>,
    v: Viewer,
    Form(f): Form<NewToken>,
) -> Result<Response> {
    v.check_csrf(&f.csrf)?;
    let user = v.require_user()?;
    let name = f.name.trim();
    if name.is_empty() || name.len() > 100 || name.chars().any(char::is_control) {
        return tokens_page(
            &state,
            &v,
            None,
            "Give the token a name (at most 100 characters).",
        )
        .await;
    }
    // The same checks and storage as `POST /api/tokens`.
    let scopes = if f.role == "fineGrained" {
        let mut out = Vec::new();
        for line in f
            .scopes
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .take(100)
        {
            match agora_api::tokens::parse_scope(line) {
                Ok(s) => out.push(s),
                Err(e) => return tokens_page(&state, &v, None, &e.message).await,
            }
        }
        Some(out)
    } else {
        None
    };
    let spec = agora_api::tokens::TokenSpec {
        name: name.to_owned(),
        role: f.role.clone(),
        scopes,
        expires_in: match f.expires.as_str() {
            "" | "never" => None,
            d => d.parse::<i64>().ok().map(|days| days * 24 * 3600),
        },
    };
    let new = match agora_api::tokens::check_new(user, &spec, agora_storage::now_ms()) {
        Ok(n) => n,
        Err(e) => return tokens_page(&state, &v, None, &e.message).await,
    };
    let (secret, token) = agora_api::tokens::issue(&state, new).await?;
    agora_api::audit::record(
        &state,
        &v.caller,
        "token.create",
        None,
        Some(user.id),
        serde_json::json!({"token": token.id, "name": token.name, "role": agora_api::tokens::role_name(&token)}),
    )
    .await?;
    tokens_page(&state, &v, Some(secret), "").await
}

#[derive(Deserialize, Default)]
pub struct DeleteToken {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    id: String,
}

pub async fn delete_token(
    State(state): State<AppState>,
    v: Viewer,
    Form(f): Form<DeleteToken>,
) -> Result<Response> {
    v.check_csrf(&f.csrf)?;
    let user = v.require_user()?;
    let id: i64 = f.id.parse().map_err(|_| Error::NotFound)?;
    if !state
        .meta
        .revoke_token(user.id, id, agora_storage::now_ms())
        .await?
    {
        return Err(Error::NotFound);
    }
    agora_api::audit::record(
        &state,
        &v.caller,
        "token.revoke",
        None,
        Some(user.id),
        serde_json::json!({"token": id}),
    )
    .await?;
    Ok(see_other("/settings/tokens"))
}

// ---- organisations and profiles ---------------------------------------------------------------

#[derive(Template)]
#[template(path = "new_org.html")]
struct NewOrgPage {
    l: Layout,
    error: String,
    name: String,
}

pub async fn new_org_form(v: Viewer) -> Result<Response> {
    if v.user.is_none() {
        return Ok(see_other("/login?next=/organizations/new"));
    }
    page(&NewOrgPage {
        l: Layout::new(&v, "New organisation"),
        error: String::new(),
        name: String::new(),
    })
}

#[derive(Deserialize, Default)]
pub struct NewOrg {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
}

pub async fn create_org(
    State(state): State<AppState>,
    v: Viewer,
    Form(f): Form<NewOrg>,
) -> Result<Response> {
    v.check_csrf(&f.csrf)?;
    let user = v.require_user()?;
    let name = f.name.trim();
    let fail = |e: &str| {
        page(&NewOrgPage {
            l: Layout::new(&v, "New organisation"),
            error: e.to_owned(),
            name: name.chars().take(100).collect(),
        })
    };
    if agora_repo::path::check_account_name(name).is_err() {
        return fail("Choose another name: letters, digits, '-', '_' and '.'.");
    }
    let org = match state
        .meta
        .create_account(name, AccountKind::Org, name, None, false)
        .await
    {
        Ok(o) => o,
        Err(agora_storage::Error::Conflict(_)) => return fail("That name is taken."),
        Err(e) => return Err(e.into()),
    };
    state.meta.add_member(org.id, user.id, Role::Admin).await?;
    Ok(see_other(&format!("/organizations/{}/members", org.name)))
}

pub struct MemberRow {
    pub name: String,
    pub role: &'static str,
}

#[derive(Template)]
#[template(path = "members.html")]
struct MembersPage {
    l: Layout,
    org: String,
    members: Vec<MemberRow>,
    admin: bool,
    error: String,
    roles: Vec<&'static str>,
}

/// The organisation, if the viewer is a member (members lists are for members).
async fn org_for_member(
    state: &AppState,
    v: &Viewer,
    ns: &str,
) -> Result<(agora_storage::model::Account, Role)> {
    let user = v.require_user()?;
    let org = state
        .meta
        .account_by_name(ns)
        .await?
        .filter(|a| a.kind == AccountKind::Org)
        .ok_or(Error::NotFound)?;
    let role = match state.meta.role_in(org.id, user.id).await? {
        Some(r) => r,
        None if user.is_admin => Role::Admin,
        None => return Err(Error::NotFound),
    };
    Ok((org, role))
}

async fn members_page(state: &AppState, v: &Viewer, ns: &str, error: &str) -> Result<Response> {
    let (org, role) = org_for_member(state, v, ns).await?;
    let members = state
        .meta
        .members(org.id)
        .await?
        .into_iter()
        .map(|(a, r)| MemberRow {
            name: a.name,
            role: r.as_str(),
        })
        .collect();
    let mut res = page(&MembersPage {
        l: Layout::new(v, format!("Members · {}", org.name)),
        org: org.name,
        members,
        admin: role == Role::Admin,
        error: error.to_owned(),
        roles: vec!["read", "contributor", "write", "admin"],
    })?;
    if !error.is_empty() {
        *res.status_mut() = axum::http::StatusCode::BAD_REQUEST;
    }
    Ok(res)
}

pub async fn members(
    State(state): State<AppState>,
    v: Viewer,
    Path(ns): Path<String>,
) -> Result<Response> {
    if v.user.is_none() {
        return Ok(see_other("/login"));
    }
    members_page(&state, &v, &ns, "").await
}

#[derive(Deserialize, Default)]
pub struct MemberChange {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    username: String,
    /// A role, or `remove`.
    #[serde(default)]
    role: String,
}

pub async fn change_member(
    State(state): State<AppState>,
    v: Viewer,
    Path(ns): Path<String>,
    Form(f): Form<MemberChange>,
) -> Result<Response> {
    v.check_csrf(&f.csrf)?;
    let (org, role) = org_for_member(&state, &v, &ns).await?;
    if role != Role::Admin {
        return Err(Error::Forbidden(
            "Only admins of the organisation manage members.".into(),
        ));
    }
    let Some(user) = state
        .meta
        .account_by_name(f.username.trim())
        .await?
        .filter(|a| a.kind == AccountKind::User)
    else {
        return members_page(&state, &v, &ns, "No such user.").await;
    };
    let role = match f.role.as_str() {
        "remove" => None,
        r => match Role::parse(r) {
            Some(r) => Some(r),
            None => return members_page(&state, &v, &ns, "Unknown role.").await,
        },
    };
    // The store refuses a change that would leave the organisation without an admin.
    if !state.meta.set_member(org.id, user.id, role).await? {
        return members_page(&state, &v, &ns, "An organisation keeps at least one admin.").await;
    }
    agora_api::audit::record(
        &state,
        &v.caller,
        "org.member",
        None,
        Some(org.id),
        serde_json::json!({"user": user.name, "role": f.role}),
    )
    .await?;
    tracing::info!(org = %org.name, member = %user.name, role = %f.role, "membership changed");
    Ok(see_other(&format!("/organizations/{}/members", org.name)))
}

pub struct ProfileRepo {
    pub full: String,
    pub url: String,
    pub kind: &'static str,
    pub private: bool,
    pub updated: String,
}

#[derive(Template)]
#[template(path = "profile.html")]
struct ProfilePage {
    l: Layout,
    name: String,
    fullname: String,
    org: bool,
    repos: Vec<ProfileRepo>,
    orgs: Vec<String>,
    own: bool,
}

pub async fn profile(
    State(state): State<AppState>,
    v: Viewer,
    Path(ns): Path<String>,
) -> Result<Response> {
    if ns.len() > 96 {
        return Err(Error::NotFound);
    }
    let account = state
        .meta
        .account_by_name(&ns)
        .await?
        .ok_or(Error::NotFound)?;
    let mut repos = Vec::new();
    for kind in [RepoType::Model, RepoType::Dataset] {
        let list = state
            .meta
            .list_repos(&RepoQuery {
                kind,
                viewer: v.user.as_ref().map(|u| u.id),
                search: None,
                author: Some(account.name.clone()),
                tags: vec![],
                grades: vec![],
                sort: SortKey::LastModified,
                descending: true,
                offset: 0,
                limit: 200,
            })
            .await?;
        repos.extend(list.into_iter().map(|r| ProfileRepo {
            url: repo_url(kind, &r.full_name()),
            full: r.full_name(),
            kind: kind.as_str(),
            private: r.private,
            updated: date(r.last_modified),
        }));
    }
    let own = v.user.as_ref().is_some_and(|u| u.id == account.id);
    let orgs = if own {
        state
            .meta
            .memberships(account.id)
            .await?
            .into_iter()
            .map(|m| m.org.name)
            .collect()
    } else {
        Vec::new()
    };
    page(&ProfilePage {
        l: Layout::new(&v, account.name.clone()),
        org: account.kind == AccountKind::Org,
        name: account.name,
        fullname: account.fullname,
        repos,
        orgs,
        own,
    })
    .map(IntoResponse::into_response)
}
