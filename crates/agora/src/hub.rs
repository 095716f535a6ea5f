//! Wiring: opens the stores in the data folder and runs the server or an admin command.

use std::sync::Arc;

use agora_api::{
    Config as ApiConfig, Hub,
    tokens::{self, TokenSpec},
};
use agora_repo::{Engine, path::check_account_name};
use agora_storage::{
    Meta, Objects,
    model::{Account, AccountKind, AuditScope, RepoType, Role, Scope},
    sqlite::SqliteMeta,
};

use crate::config::Config;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("configuration: {0}")]
    Config(String),
    #[error(transparent)]
    Storage(#[from] agora_storage::Error),
    #[error(transparent)]
    Repo(#[from] agora_repo::Error),
    #[error("{0}")]
    Usage(String),
    #[error("io: {0}")]
    Io(#[from] std::io::Error),
}

pub async fn open(cfg: &Config) -> Result<Arc<Hub>, Error> {
    std::fs::create_dir_all(&cfg.data_dir)?;
    let sqlite = SqliteMeta::open(&cfg.data_dir.join("agora.db")).await?;
    let xet: Arc<dyn agora_storage::XetMeta> = Arc::new(sqlite.clone());
    let meta: Arc<dyn Meta> = Arc::new(sqlite);
    let objects = Objects::local(cfg.data_dir.join("objects"))?;
    let secret = meta
        .setting_or_insert("upload_secret", &hex::encode(rand::random::<[u8; 32]>()))
        .await?;
    let engine = Arc::new(Engine::new(objects, meta.clone()));
    let config = ApiConfig {
        public_url: cfg.public_url.clone(),
        limits: cfg.limits.clone(),
        ..ApiConfig::default()
    };
    Ok(Arc::new(Hub {
        engine,
        meta,
        config,
        secret: secret.into_bytes(),
        running: Default::default(),
        reports: Default::default(),
        xet,
        limiter: Default::default(),
    }))
}

pub async fn serve(cfg: Config) -> Result<(), Error> {
    let hub = open(&cfg).await?;
    let listener = tokio::net::TcpListener::bind(&cfg.addr)
        .await
        .map_err(|e| Error::Config(format!("cannot listen on {}: {e}", cfg.addr)))?;
    let addr = listener.local_addr()?;
    // Tests and scripts read this line to find the port when started on port 0.
    println!("agora listening on http://{addr}");
    tracing::info!(%addr, data_dir = %cfg.data_dir.display(), "serving");
    agora_api::start_background(hub.clone());
    tokio::task::spawn_blocking(agora_web::highlight::warm);
    let web = agora_web::Options {
        allow_signup: cfg.signup,
        secure_cookies: cfg
            .public_url
            .as_deref()
            .is_some_and(|u| u.starts_with("https://")),
    };
    // The peer address feeds the per-address rate limits and the audit log.
    let app = agora_api::router_with(hub, agora_web::router(web))
        .into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown())
        .await?;
    Ok(())
}

async fn shutdown() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down");
}

fn conflict_to_usage(e: agora_storage::Error) -> Error {
    match e {
        agora_storage::Error::Conflict(m) => Error::Usage(m),
        e => e.into(),
    }
}

pub async fn create_user(
    hub: &Hub,
    name: &str,
    admin: bool,
    email: Option<&str>,
    fullname: Option<&str>,
) -> Result<(), Error> {
    check_account_name(name)?;
    hub.meta
        .create_account(
            name,
            AccountKind::User,
            fullname.unwrap_or(name),
            email,
            admin,
        )
        .await
        .map_err(conflict_to_usage)?;
    Ok(())
}

/// A token request from the command line's flags.
pub fn token_spec(
    write: bool,
    scopes: &[String],
    expires_in: Option<&str>,
    name: &str,
) -> Result<TokenSpec, Error> {
    let scopes = scopes
        .iter()
        .map(|s| parse_scope(s))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(TokenSpec {
        name: name.to_owned(),
        role: match (write, scopes.is_empty()) {
            (_, false) => "fineGrained",
            (true, true) => "write",
            (false, true) => "read",
        }
        .into(),
        scopes: (!scopes.is_empty()).then_some(scopes),
        expires_in: expires_in.map(parse_duration).transpose()?,
    })
}

/// `model:alice/bert:read,write` (the tokens web page reads the same syntax).
fn parse_scope(s: &str) -> Result<Scope, Error> {
    agora_api::tokens::parse_scope(s).map_err(|e| Error::Usage(e.message))
}

/// `3600s`, `90m`, `12h`, `30d` (or bare seconds), in seconds.
fn parse_duration(s: &str) -> Result<i64, Error> {
    let bad = || {
        Error::Usage(format!(
            "bad duration {s:?}: use e.g. 3600s, 90m, 12h or 30d"
        ))
    };
    let (num, unit) = match s.char_indices().last() {
        Some((i, c)) if c.is_ascii_alphabetic() => (&s[..i], c),
        _ => (s, 's'),
    };
    let n: i64 = num.parse().map_err(|_| bad())?;
    let mult = match unit {
        's' => 1,
        'm' => 60,
        'h' => 3600,
        'd' => 86_400,
        _ => return Err(bad()),
    };
    n.checked_mul(mult).ok_or_else(bad)
}

async fn user_named(hub: &Hub, user: &str) -> Result<Account, Error> {
    hub.meta
        .account_by_name(user)
        .await?
        .filter(|a| a.kind == AccountKind::User)
        .ok_or_else(|| Error::Usage(format!("no user {user}")))
}

pub async fn create_token(hub: &Hub, user: &str, spec: &TokenSpec) -> Result<String, Error> {
    let account = user_named(hub, user).await?;
    let new = tokens::check_new(&account, spec, agora_storage::now_ms())
        .map_err(|e| Error::Usage(e.message))?;
    let (secret, _) = tokens::issue(hub, new)
        .await
        .map_err(|e| Error::Usage(e.message))?;
    Ok(secret)
}

pub async fn list_tokens(hub: &Hub, user: &str) -> Result<Vec<String>, Error> {
    let account = user_named(hub, user).await?;
    Ok(hub
        .meta
        .tokens_of(account.id)
        .await?
        .iter()
        .map(|t| tokens::token_json(t).to_string())
        .collect())
}

pub async fn revoke_token(hub: &Hub, user: &str, id: i64) -> Result<(), Error> {
    let account = user_named(hub, user).await?;
    if !hub
        .meta
        .revoke_token(account.id, id, agora_storage::now_ms())
        .await?
    {
        return Err(Error::Usage(format!("{user} has no live token {id}")));
    }
    Ok(())
}

pub async fn create_org(
    hub: &Hub,
    name: &str,
    owner: &str,
    fullname: Option<&str>,
) -> Result<(), Error> {
    check_account_name(name)?;
    let owner = hub
        .meta
        .account_by_name(owner)
        .await?
        .filter(|a| a.kind == AccountKind::User)
        .ok_or_else(|| Error::Usage(format!("no user {owner}")))?;
    let org = hub
        .meta
        .create_account(
            name,
            AccountKind::Org,
            fullname.unwrap_or(name),
            None,
            false,
        )
        .await
        .map_err(conflict_to_usage)?;
    hub.meta.add_member(org.id, owner.id, Role::Admin).await?;
    Ok(())
}

pub async fn add_member(hub: &Hub, org: &str, user: &str, role: &str) -> Result<(), Error> {
    let role = Role::parse(role).ok_or_else(|| {
        Error::Usage(format!(
            "unknown role {role}: use read, contributor, write or admin"
        ))
    })?;
    let org = hub
        .meta
        .account_by_name(org)
        .await?
        .filter(|a| a.kind == AccountKind::Org)
        .ok_or_else(|| Error::Usage(format!("no organisation {org}")))?;
    let user = hub
        .meta
        .account_by_name(user)
        .await?
        .filter(|a| a.kind == AccountKind::User)
        .ok_or_else(|| Error::Usage(format!("no user {user}")))?;
    if !hub.meta.set_member(org.id, user.id, Some(role)).await? {
        return Err(Error::Usage(format!(
            "{} would have no admin left",
            org.name
        )));
    }
    Ok(())
}

async fn org_named(hub: &Hub, org: &str) -> Result<Account, Error> {
    hub.meta
        .account_by_name(org)
        .await?
        .filter(|a| a.kind == AccountKind::Org)
        .ok_or_else(|| Error::Usage(format!("no organisation {org}")))
}

pub async fn remove_member(hub: &Hub, org: &str, user: &str) -> Result<(), Error> {
    let org = org_named(hub, org).await?;
    let user = user_named(hub, user).await?;
    if hub.meta.role_in(org.id, user.id).await?.is_none() {
        return Err(Error::Usage(format!(
            "{} is not in {}",
            user.name, org.name
        )));
    }
    if !hub.meta.set_member(org.id, user.id, None).await? {
        return Err(Error::Usage(format!(
            "{} would have no admin left",
            org.name
        )));
    }
    Ok(())
}

pub async fn members(hub: &Hub, org: &str) -> Result<Vec<(String, &'static str)>, Error> {
    let org = org_named(hub, org).await?;
    Ok(hub
        .meta
        .members(org.id)
        .await?
        .into_iter()
        .map(|(a, r)| (a.name, r.as_str()))
        .collect())
}

/// Writes the audit log (or one namespace's or repository's part) as JSON lines.
pub async fn export_audit(
    hub: &Hub,
    namespace: Option<&str>,
    repo: Option<&str>,
    out: &mut impl std::io::Write,
) -> Result<(), Error> {
    let scope = match (namespace, repo) {
        (Some(ns), _) => {
            let a = hub
                .meta
                .account_by_name(ns)
                .await?
                .ok_or_else(|| Error::Usage(format!("no account {ns}")))?;
            AuditScope::Owner(a.id)
        }
        (None, Some(r)) => {
            let bad = || {
                Error::Usage(format!(
                    "no repository {r} (use model:ns/name or dataset:ns/name)"
                ))
            };
            let (kind, full) = r.split_once(':').ok_or_else(bad)?;
            let kind = RepoType::parse(kind).ok_or_else(bad)?;
            let repo = hub.meta.repo_by_name(kind, full).await?.ok_or_else(bad)?;
            AuditScope::Repo(repo.id)
        }
        (None, None) => AuditScope::All,
    };
    let mut after = 0;
    loop {
        let page = hub.meta.audit(scope, after, 1000).await?;
        for e in &page {
            writeln!(out, "{}", agora_api::audit::event_json(e))?;
        }
        match page.last() {
            Some(e) if page.len() == 1000 => after = e.id,
            _ => return Ok(()),
        }
    }
}
