//! Who is looking at a page: sessions (a random cookie whose SHA-256 is stored), the
//! pre-session cookie that anonymous forms bind their CSRF token to, and passwords (argon2id).

use std::sync::Arc;

use agora_api::{
    AppState,
    auth::{Caller, hash_token},
};
use agora_storage::model::Account;
use argon2::{Argon2, PasswordHash, PasswordHasher, PasswordVerifier, password_hash::SaltString};
use axum::{
    extract::{FromRequestParts, Request},
    http::{HeaderMap, HeaderValue, header, request::Parts},
    middleware::Next,
    response::Response,
};
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use crate::{Error, Options, Result};

pub const SESSION: &str = "agora_session";
const PRE: &str = "agora_pre";
/// Sessions last 30 days.
pub const SESSION_MS: i64 = 30 * 24 * 3600 * 1000;

/// The pre-session id of this request (from its cookie, or new).
#[derive(Clone)]
struct PreId(String);

/// A random value as 64 hex characters (256 bits).
pub fn random_hex() -> String {
    use rand::RngCore;
    let mut b = [0u8; 32];
    rand::rng().fill_bytes(&mut b);
    hex::encode(b)
}

fn is_cookie_value(v: &str) -> bool {
    v.len() == 64 && v.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The value of cookie `name`, if the request has one.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim())
}

/// `Set-Cookie` for `name`: HttpOnly, SameSite=Lax, and Secure when the hub is on https.
pub fn set_cookie(opts: &Options, name: &str, value: &str, max_age_s: i64) -> HeaderValue {
    let secure = if opts.secure_cookies { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{name}={value}; Path=/; Max-Age={max_age_s}; HttpOnly; SameSite=Lax{secure}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// Gives every browser a pre-session cookie, so forms shown before sign-in (sign-in, sign-up)
/// carry a CSRF token bound to that browser.
pub async fn pre_session(mut req: Request, next: Next) -> Response {
    let existing = cookie(req.headers(), PRE)
        .filter(|v| is_cookie_value(v))
        .map(str::to_owned);
    let id = existing.clone().unwrap_or_else(random_hex);
    let opts = req.extensions().get::<Arc<Options>>().cloned();
    req.extensions_mut().insert(PreId(id.clone()));
    let mut res = next.run(req).await;
    if existing.is_none()
        && let Some(opts) = opts
    {
        res.headers_mut().append(
            header::SET_COOKIE,
            set_cookie(&opts, PRE, &id, 365 * 24 * 3600),
        );
    }
    res
}

/// The viewer of a page: signed in or not, and the CSRF token its forms must carry.
pub struct Viewer {
    pub user: Option<Account>,
    /// What the viewer may do, as the hub's access checks see it.
    pub caller: Caller,
    pub csrf: String,
    pub opts: Arc<Options>,
    /// The session cookie's value, for signing out.
    pub session: Option<String>,
}

fn csrf_for(secret: &[u8], binding: &str) -> String {
    let mut mac = match Hmac::<Sha256>::new_from_slice(secret) {
        Ok(m) => m,
        Err(_) => return String::new(),
    };
    mac.update(b"agora-web-csrf\0");
    mac.update(binding.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

impl FromRequestParts<AppState> for Viewer {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self> {
        let opts = parts
            .extensions
            .get::<Arc<Options>>()
            .cloned()
            .unwrap_or_default();
        let mut user = None;
        let mut session = None;
        if let Some(v) = cookie(&parts.headers, SESSION).filter(|v| is_cookie_value(v))
            && let Some(s) = state
                .meta
                .session(&hash_token(v), agora_storage::now_ms())
                .await?
        {
            user = state.meta.account(s.user_id).await?;
            if user.is_some() {
                session = Some(v.to_owned());
            }
        }
        let binding = match (&session, parts.extensions.get::<PreId>()) {
            (Some(s), _) => format!("session:{s}"),
            (None, Some(p)) => format!("pre:{}", p.0),
            (None, None) => String::new(),
        };
        let csrf = if binding.is_empty() {
            String::new()
        } else {
            csrf_for(&state.secret, &binding)
        };
        let caller = match &user {
            Some(u) => Caller::web_session(
                u.clone(),
                parts
                    .extensions
                    .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
                    .map(|c| c.0.ip()),
            ),
            None => Caller::default(),
        };
        Ok(Viewer {
            user,
            caller,
            csrf,
            opts,
            session,
        })
    }
}

impl Viewer {
    /// Refuses a form whose token is not this viewer's.
    pub fn check_csrf(&self, token: &str) -> Result<()> {
        use subtle_eq as eq;
        if self.csrf.is_empty() || !eq(self.csrf.as_bytes(), token.as_bytes()) {
            return Err(Error::Csrf);
        }
        Ok(())
    }

    pub fn require_user(&self) -> Result<&Account> {
        self.user
            .as_ref()
            .ok_or_else(|| Error::Forbidden("Sign in to do this.".into()))
    }

    pub fn name(&self) -> Option<&str> {
        self.user.as_ref().map(|u| u.name.as_str())
    }
}

/// Constant-time equality, so a token cannot be guessed byte by byte from timing.
fn subtle_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// An argon2id PHC string of `password` (parameters: the crate's defaults, OWASP's minimum).
pub fn hash_password(password: &str) -> Result<String> {
    let salt = SaltString::encode_b64(&rand::random::<[u8; 16]>())
        .map_err(|e| Error::Internal(format!("password salt: {e}")))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| Error::Internal(format!("password hashing: {e}")))
}

pub fn verify_password(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A hash to verify against when the account does not exist, so that "no such user" takes as
/// long as "wrong password".
pub fn dummy_hash() -> &'static str {
    static H: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    H.get_or_init(|| hash_password("agora-no-such-user").unwrap_or_default())
}
