//! Wiring: opens the stores in the data folder and runs the server or an admin command.

use std::sync::Arc;

use agora_api::{Config as ApiConfig, Hub, auth};
use agora_repo::{Engine, path::check_name};
use agora_storage::{
    Meta, Objects,
    model::{AccountKind, Role, TokenRole},
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
    let meta: Arc<dyn Meta> = Arc::new(SqliteMeta::open(&cfg.data_dir.join("agora.db")).await?);
    let objects = Objects::local(cfg.data_dir.join("objects"))?;
    let secret = meta
        .setting_or_insert("upload_secret", &hex::encode(rand::random::<[u8; 32]>()))
        .await?;
    let engine = Arc::new(Engine::new(objects, meta.clone()));
    let config = ApiConfig {
        public_url: cfg.public_url.clone(),
        ..ApiConfig::default()
    };
    Ok(Arc::new(Hub {
        engine,
        meta,
        config,
        secret: secret.into_bytes(),
        running: Default::default(),
        reports: Default::default(),
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
    axum::serve(listener, agora_api::router_with(hub, agora_web::router(web)))
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
    check_name(name)?;
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

pub async fn create_token(hub: &Hub, user: &str, write: bool, name: &str) -> Result<String, Error> {
    let account = hub
        .meta
        .account_by_name(user)
        .await?
        .filter(|a| a.kind == AccountKind::User)
        .ok_or_else(|| Error::Usage(format!("no user {user}")))?;
    let token = auth::new_token();
    let role = if write {
        TokenRole::Write
    } else {
        TokenRole::Read
    };
    hub.meta
        .create_token(account.id, name, role, &auth::hash_token(&token))
        .await?;
    Ok(token)
}

pub async fn create_org(
    hub: &Hub,
    name: &str,
    owner: &str,
    fullname: Option<&str>,
) -> Result<(), Error> {
    check_name(name)?;
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
    hub.meta.add_member(org.id, user.id, role).await?;
    Ok(())
}
