//! Abuse limits: fixed windows per token and per address, answered with 429 and the IETF
//! `RateLimit` / `RateLimit-Policy` headers that `huggingface_hub` parses (and sleeps on).
//!
//! Two buckets as on the Hub: `resolvers` (file downloads, which a snapshot makes by the
//! thousand) and `api` (everything else). A request with a token counts against the token; one
//! without counts against its address. Refused tokens count against a second window of the
//! address, which every token request from there must find room in: made-up tokens cannot mint
//! fresh windows, and guessing stops after a quota's worth of tries. A fixed window (not a token bucket) is what the
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
    Refused(IpAddr),
}

struct Window {
    start: Instant,
    used: u32,
}

/// Windows kept before expired ones are swept.
const SWEEP_AT: usize = 100_000;

#[derive(Default)]
pub struct Limiter {
    windows: Mutex<Windows>,
}

#[derive(Default)]
struct Windows {
    map: HashMap<(Bucket, Key), Window>,
    /// A sweep walks every window: at most one per second, however many addresses call.
    last_sweep: Option<Instant>,
}

struct Verdict {
    allowed: bool,
    remaining: u32,
    reset: Duration,
}

impl Limiter {
    /// Counts one request (when `charge`) and tells whether it fits the quota.
    fn take(
        &self,
        limits: &RateLimits,
        bucket: Bucket,
        key: Key,
        quota: u32,
        charge: bool,
    ) -> Verdict {
        let now = Instant::now();
        let mut windows = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        let due = windows
            .last_sweep
            .is_none_or(|t| now.duration_since(t) >= Duration::from_secs(1));
        if windows.map.len() >= SWEEP_AT && due {
            windows
                .map
                .retain(|_, w| now.duration_since(w.start) < limits.window);
            windows.last_sweep = Some(now);
        }
        let w = windows.map.entry((bucket, key)).or_insert(Window {
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
    if let Ok(val) =
        HeaderValue::from_str(&format!("\"{}\";r={};t={secs}", bucket.name(), v.remaining))
    {
        h.insert("ratelimit", val);
    }
    if let Ok(val) = HeaderValue::from_str(&format!(
        "\"fixed window\";\"{}\";q={quota};w={}",
        bucket.name(),
        window.as_secs()
    )) {
        h.insert("ratelimit-policy", val);
    }
    if !v.allowed
        && let Ok(val) = HeaderValue::from_str(&secs.to_string())
    {
        h.insert(axum::http::header::RETRY_AFTER, val);
    }
}

pub async fn limit(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let limits = &state.config.limits;
    // Xorb downloads (`/xet-cas/fetch/`, no credentials) are file downloads too.
    let path = req.uri().path();
    let bucket = if path.contains("/resolve/") || path.starts_with("/xet-cas/fetch/") {
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
        Some(key) => {
            let refused = limiter.take(limits, bucket, Key::Refused(address), quota, false);
            if refused.allowed {
                limiter.take(limits, bucket, key.clone(), quota, true)
            } else {
                refused
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
        limiter.take(limits, bucket, Key::Refused(address), quota, true);
    }
    headers(&mut resp, bucket, quota, limits.window, &verdict);
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_window_counts_down_and_resets() {
        let limits = RateLimits {
            window: Duration::from_millis(50),
            api: 2,
            resolvers: 0,
        };
        let l = Limiter::default();
        let key = || Key::Address(IpAddr::from([10, 0, 0, 1]));
        let take = |charge| l.take(&limits, Bucket::Api, key(), 2, charge);
        assert_eq!(take(false).remaining, 2);
        assert_eq!(take(true).remaining, 1);
        assert_eq!(take(true).remaining, 0);
        assert!(!take(true).allowed);
        // Other keys and buckets are apart.
        assert!(l.take(&limits, Bucket::Resolvers, key(), 2, true).allowed);
        assert!(
            l.take(
                &limits,
                Bucket::Api,
                Key::Refused(IpAddr::from([10, 0, 0, 1])),
                2,
                true
            )
            .allowed
        );
        std::thread::sleep(Duration::from_millis(60));
        assert!(take(true).allowed);
    }

    #[test]
    fn many_addresses_are_swept_once_their_windows_pass() {
        let limits = RateLimits {
            window: Duration::from_millis(1),
            api: 1,
            resolvers: 0,
        };
        let l = Limiter::default();
        for i in 0..SWEEP_AT as u32 {
            l.take(
                &limits,
                Bucket::Api,
                Key::Address(IpAddr::from(i.to_be_bytes())),
                1,
                true,
            );
        }
        std::thread::sleep(Duration::from_millis(5));
        l.take(
            &limits,
            Bucket::Api,
            Key::Address(IpAddr::from([1, 1, 1, 1])),
            1,
            true,
        );
        let len = l.windows.lock().map(|w| w.map.len()).unwrap_or(usize::MAX);
        assert_eq!(len, 1);
    }
}
