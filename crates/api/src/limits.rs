//! Abuse limits: fixed windows per token and per address, answered with 429 and the IETF
//! `RateLimit` / `RateLimit-Policy` headers that `huggingface_hub` parses (and sleeps on).
//!
//! Two buckets as on the Hub: `resolvers` (file downloads, which a snapshot makes by the
//! thousand) and `api` (everything else). A request with a token counts against the token; one
//! without counts against its address, and so does a request whose token was refused, so
//! made-up tokens cannot mint fresh windows. A fixed window (not a token bucket) is what the
//! headers describe: a quota, what remains of it, and when it resets.

use std::{
    collections::HashMap,
    net::{IpAddr, SocketAddr},
    sync::Mutex,
    time::{Duration, Instant},
};

use axum::{
    extract::{ConnectInfo, Request, State},
    http::{HeaderValue, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
};
use sha2::{Digest, Sha256};

use crate::{AppState, error::ApiError};

#[derive(Clone, Debug)]
pub struct RateLimits {
    pub window: Duration,
    /// Requests per window to the API; 0 turns the limit off.
    pub api: u32,
    /// Downloads (`/resolve/`) per window; 0 turns the limit off.
    pub resolvers: u32,
}

impl Default for RateLimits {
    fn default() -> Self {
        Self {
            window: Duration::from_secs(300),
            api: 3000,
            resolvers: 30_000,
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
enum Bucket {
    Api,
    Resolvers,
}

impl Bucket {
    fn name(self) -> &'static str {
        match self {
            Bucket::Api => "api",
            Bucket::Resolvers => "resolvers",
        }
    }
}

#[derive(Clone, PartialEq, Eq, Hash, Debug)]
enum Key {
    Token([u8; 32]),
    Address(IpAddr),
}

struct Window {
    start: Instant,
    used: u32,
}

/// Windows kept before expired ones are swept.
const SWEEP_AT: usize = 100_000;

#[derive(Default)]
pub struct Limiter {
    windows: Mutex<HashMap<(Bucket, Key), Window>>,
}

struct Verdict {
    allowed: bool,
    remaining: u32,
    reset: Duration,
}

impl Limiter {
    /// Counts one request (when `charge`) and tells whether it fits the quota.
    fn take(&self, limits: &RateLimits, bucket: Bucket, key: Key, quota: u32, charge: bool) -> Verdict {
        let now = Instant::now();
        let mut map = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() >= SWEEP_AT {
            map.retain(|_, w| now.duration_since(w.start) < limits.window);
        }
        let w = map.entry((bucket, key)).or_insert(Window {
            start: now,
            used: 0,
        });
        if now.duration_since(w.start) >= limits.window {
            *w = Window {
                start: now,
                used: 0,
            };
        }
        let allowed = w.used < quota;
        if allowed && charge {
            w.used += 1;
        }
        Verdict {
            allowed,
            remaining: quota.saturating_sub(w.used),
            reset: limits.window.saturating_sub(now.duration_since(w.start)),
        }
    }
}

fn headers(resp: &mut Response, bucket: Bucket, quota: u32, window: Duration, v: &Verdict) {
    let secs = v.reset.as_secs() + u64::from(v.reset.subsec_nanos() > 0);
    let h = resp.headers_mut();
    if let Ok(val) = HeaderValue::from_str(&format!(
        "\"{}\";r={};t={secs}",
        bucket.name(),
        v.remaining
    )) {
        h.insert("ratelimit", val);
    }
    if let Ok(val) = HeaderValue::from_str(&format!(
        "\"fixed window\";\"{}\";q={quota};w={}",
        bucket.name(),
        window.as_secs()
    )) {
        h.insert("ratelimit-policy", val);
    }
    if !v.allowed && let Ok(val) = HeaderValue::from_str(&secs.to_string()) {
        h.insert(axum::http::header::RETRY_AFTER, val);
    }
}

pub async fn limit(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let limits = &state.config.limits;
    let bucket = if req.uri().path().contains("/resolve/") {
        Bucket::Resolvers
    } else {
        Bucket::Api
    };
    let quota = match bucket {
        Bucket::Api => limits.api,
        Bucket::Resolvers => limits.resolvers,
    };
    if quota == 0 {
        return next.run(req).await;
    }
    let address = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
        .unwrap_or(IpAddr::from([0, 0, 0, 0]));
    let token = match crate::auth::bearer(req.headers()) {
        Some(Ok(t)) => Some(Key::Token(Sha256::digest(t.as_bytes()).into())),
        _ => None,
    };
    let limiter = &state.limiter;
    let verdict = match &token {
        // The address must still have room (refused tokens spend it), but is not charged.
        Some(key) => {
            let at_address = limiter.take(limits, bucket, Key::Address(address), quota, false);
            if at_address.allowed {
                limiter.take(limits, bucket, key.clone(), quota, true)
            } else {
                at_address
            }
        }
        None => limiter.take(limits, bucket, Key::Address(address), quota, true),
    };
    if !verdict.allowed {
        let mut resp = ApiError::new(
            crate::error::Code::TooManyRequests,
            format!(
                "Too many requests: the {} quota is {quota} per {} s; retry in {} s",
                bucket.name(),
                limits.window.as_secs(),
                verdict.reset.as_secs().max(1)
            ),
        )
        .into_response();
        headers(&mut resp, bucket, quota, limits.window, &verdict);
        return resp;
    }
    let mut resp = next.run(req).await;
    if token.is_some() && resp.status() == StatusCode::UNAUTHORIZED {
        limiter.take(limits, bucket, Key::Address(address), quota, true);
    }
    headers(&mut resp, bucket, quota, limits.window, &verdict);
    resp
}
