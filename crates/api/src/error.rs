//! Every error the HTTP surface returns is built here, in the Hub's format: a status, an
//! `X-Error-Code` the clients dispatch on, an `X-Error-Message` (the only channel HEAD has), and a
//! JSON body `{"error": ...}`.

use axum::{
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};

/// The error codes the Hub's clients understand, and the statuses they come with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Code {
    RepoNotFound,
    RevisionNotFound,
    EntryNotFound,
    GatedRepo,
    BadRequest,
    Unauthorized,
    Forbidden,
    Conflict,
    PreconditionFailed,
    RangeNotSatisfiable,
    PayloadTooLarge,
    TooManyRequests,
    NotFound,
    Internal,
}

impl Code {
    pub fn status(self) -> StatusCode {
        match self {
            Code::RepoNotFound | Code::RevisionNotFound | Code::EntryNotFound | Code::NotFound => {
                StatusCode::NOT_FOUND
            }
            Code::GatedRepo | Code::Forbidden => StatusCode::FORBIDDEN,
            Code::BadRequest => StatusCode::BAD_REQUEST,
            Code::Unauthorized => StatusCode::UNAUTHORIZED,
            Code::Conflict => StatusCode::CONFLICT,
            Code::PreconditionFailed => StatusCode::PRECONDITION_FAILED,
            Code::RangeNotSatisfiable => StatusCode::RANGE_NOT_SATISFIABLE,
            Code::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Code::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
            Code::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The `X-Error-Code` value; only the codes clients dispatch on are sent.
    fn header(self) -> Option<&'static str> {
        match self {
            Code::RepoNotFound => Some("RepoNotFound"),
            Code::RevisionNotFound => Some("RevisionNotFound"),
            Code::EntryNotFound => Some("EntryNotFound"),
            Code::GatedRepo => Some("GatedRepo"),
            _ => None,
        }
    }
}

#[derive(Debug)]
pub struct ApiError {
    pub code: Code,
    pub message: String,
    /// Overrides the status the code implies (e.g. 401 for a gated repository and no token).
    pub status: Option<StatusCode>,
    /// `X-Repo-Commit` on a 404 lets the client cache "this file does not exist at this commit".
    pub commit: Option<String>,
    pub extra_headers: Vec<(header::HeaderName, HeaderValue)>,
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            status: None,
            commit: None,
            extra_headers: Vec::new(),
        }
    }
    pub fn bad_request(m: impl Into<String>) -> Self {
        Self::new(Code::BadRequest, m)
    }
    pub fn forbidden(m: impl Into<String>) -> Self {
        Self::new(Code::Forbidden, m)
    }
    pub fn unauthorized(m: impl Into<String>) -> Self {
        Self::new(Code::Unauthorized, m)
    }
    pub fn conflict(m: impl Into<String>) -> Self {
        Self::new(Code::Conflict, m)
    }
    pub fn not_found(m: impl Into<String>) -> Self {
        Self::new(Code::NotFound, m)
    }
    /// The one answer for "missing" and "not yours": a private repository's existence never shows.
    pub fn repo_not_found() -> Self {
        Self::new(
            Code::RepoNotFound,
            "Repository Not Found. Please make sure you specified the correct repo_id and repo_type, \
             and that you are authenticated if the repository is private or gated.",
        )
    }
    pub fn revision_not_found(rev: &str) -> Self {
        Self::new(Code::RevisionNotFound, format!("Invalid rev id: {rev}"))
    }
    pub fn entry_not_found(path: &str) -> Self {
        Self::new(Code::EntryNotFound, format!("Entry not found: {path}"))
    }
    pub fn internal(m: impl std::fmt::Display) -> Self {
        tracing::error!(error = %m, "internal error");
        Self::new(Code::Internal, "Internal error")
    }
    pub fn with_commit(mut self, commit: impl Into<String>) -> Self {
        self.commit = Some(commit.into());
        self
    }
    pub fn with_status(mut self, s: StatusCode) -> Self {
        self.status = Some(s);
        self
    }
}

/// Header values cannot hold newlines or non-visible ASCII; messages are reduced to what fits.
fn header_safe(s: &str) -> HeaderValue {
    let clean: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() || c == ' ' {
                c
            } else {
                '?'
            }
        })
        .take(1000)
        .collect();
    HeaderValue::from_str(&clean).unwrap_or_else(|_| HeaderValue::from_static("error"))
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status.unwrap_or_else(|| self.code.status());
        let body = serde_json::json!({ "error": self.message });
        let mut res = (status, axum::Json(body)).into_response();
        let h = res.headers_mut();
        if let Some(code) = self.code.header() {
            h.insert("x-error-code", HeaderValue::from_static(code));
        }
        h.insert("x-error-message", header_safe(&self.message));
        if let Some(c) = self
            .commit
            .as_deref()
            .and_then(|c| HeaderValue::from_str(c).ok())
        {
            h.insert("x-repo-commit", c);
        }
        for (k, v) in self.extra_headers {
            h.insert(k, v);
        }
        res
    }
}

impl From<agora_repo::Error> for ApiError {
    fn from(e: agora_repo::Error) -> Self {
        use agora_repo::Error as E;
        match e {
            E::InvalidName(m) | E::InvalidPath(m) | E::BadRequest(m) => ApiError::bad_request(m),
            E::RevisionNotFound(rev) => ApiError::revision_not_found(&rev),
            E::EntryNotFound(m) => ApiError::new(Code::EntryNotFound, m),
            E::Stale => ApiError::new(Code::PreconditionFailed, E::Stale.to_string()),
            E::Conflict(m) => ApiError::conflict(m),
            e @ (E::Storage(_) | E::Corrupt(_)) => ApiError::internal(e),
        }
    }
}

impl From<agora_storage::Error> for ApiError {
    fn from(e: agora_storage::Error) -> Self {
        match e {
            agora_storage::Error::Conflict(m) => ApiError::conflict(m),
            e => ApiError::internal(e),
        }
    }
}

impl From<axum::extract::rejection::JsonRejection> for ApiError {
    fn from(e: axum::extract::rejection::JsonRejection) -> Self {
        let status = e.status();
        ApiError::bad_request(format!("Invalid JSON body: {}", e.body_text())).with_status(status)
    }
}

/// `axum::Json`, with rejections in the Hub's error format.
pub struct Json<T>(pub T);

impl<T, S> axum::extract::FromRequest<S> for Json<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, Self::Rejection> {
        let axum::Json(v) = axum::Json::<T>::from_request(req, state).await?;
        Ok(Json(v))
    }
}

impl<T, S> axum::extract::OptionalFromRequest<S> for Json<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    /// No body (no `Content-Type`) is `None`; a body that does not parse is still an error.
    async fn from_request(
        req: axum::extract::Request,
        state: &S,
    ) -> Result<Option<Self>, Self::Rejection> {
        if !req.headers().contains_key(header::CONTENT_TYPE) {
            return Ok(None);
        }
        <Json<T> as axum::extract::FromRequest<S>>::from_request(req, state)
            .await
            .map(Some)
    }
}
