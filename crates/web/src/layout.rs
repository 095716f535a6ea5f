//! What every page shares: the frame (header, navigation, who is signed in), security headers,
//! and small formatting helpers for templates.

use askama::Template;
use axum::{
    http::{HeaderMap, HeaderValue, header},
    response::{Html, IntoResponse, Response},
};

use crate::{Result, Viewer};

/// The frame of a page.
pub struct Layout {
    pub title: String,
    pub user: Option<String>,
    pub csrf: String,
    pub signup: bool,
}

impl Layout {
    pub fn new(v: &Viewer, title: impl Into<String>) -> Self {
        Self {
            title: title.into(),
            user: v.name().map(str::to_owned),
            csrf: v.csrf.clone(),
            signup: v.opts.allow_signup,
        }
    }

    /// For error pages, which do not know the viewer.
    pub fn bare(title: &str) -> Self {
        Self {
            title: title.to_owned(),
            user: None,
            csrf: String::new(),
            signup: false,
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub l: Layout,
    pub status: u16,
    pub message: String,
}

/// Scripts only from this site, no framing, no plugins; images may come from anywhere https
/// (cards link them), but nothing in a card can run.
pub fn security_headers(h: &mut HeaderMap) {
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; img-src 'self' https: data:; style-src 'self'; script-src 'self'; \
             object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
        ),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
}

/// Renders a page as an HTML response.
pub fn page<T: Template>(t: &T) -> Result<Response> {
    let body = t.render()?;
    let mut res = Html(body).into_response();
    security_headers(res.headers_mut());
    // Pages differ by viewer: never cached by shared caches.
    res.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-cache"),
    );
    Ok(res)
}

/// A 303 to `to` (a path on this site) after a form was handled.
pub fn see_other(to: &str) -> Response {
    let mut res = axum::http::StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(to) {
        res.headers_mut().insert(header::LOCATION, v);
    }
    res
}

/// `1.2 MB`: decimal units, as the Hub shows sizes.
pub fn size(n: u64) -> String {
    const UNITS: [&str; 5] = ["kB", "MB", "GB", "TB", "PB"];
    if n < 1000 {
        return format!("{n} B");
    }
    let mut v = n as f64;
    let mut unit = "B";
    for u in UNITS {
        if v < 1000.0 {
            break;
        }
        v /= 1000.0;
        unit = u;
    }
    if v < 10.0 {
        format!("{v:.1} {unit}")
    } else {
        format!("{v:.0} {unit}")
    }
}

/// `2024-05-01 12:00 UTC`.
pub fn date(ms: i64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp_nanos(ms as i128 * 1_000_000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    let f = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute] UTC");
    t.format(&f).unwrap_or_default()
}

/// Percent-encodes a path for a URL, keeping its slashes.
pub fn path_url(p: &str) -> String {
    p.split('/')
        .map(agora_api::quote)
        .collect::<Vec<_>>()
        .join("/")
}

/// Query-string encoding of one value.
pub fn q(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn sizes_read_like_the_hub() {
        assert_eq!(super::size(12), "12 B");
        assert_eq!(super::size(1_234), "1.2 kB");
        assert_eq!(super::size(548_000_000), "548 MB");
        assert_eq!(super::size(u64::MAX), "18447 PB");
    }
}
