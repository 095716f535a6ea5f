//! The web crate's one error type. Every error becomes an HTML page with the right status; a
//! repository the viewer may not read is the same "not found" as a missing one.

use agora_api::error::ApiError;
use axum::{
    http::StatusCode,
    response::{Html, IntoResponse, Response},
};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("This page does not exist, or you may not see it.")]
    NotFound,
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Forbidden(String),
    /// The form was not one this hub handed out to this browser.
    #[error(
        "The form has expired or did not come from this site. Go back, reload the page and try again."
    )]
    Csrf,
    #[error("{}", .0.message)]
    Api(ApiError),
    #[error("{0}")]
    Internal(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl From<ApiError> for Error {
    fn from(e: ApiError) -> Self {
        Error::Api(e)
    }
}

impl From<agora_storage::Error> for Error {
    fn from(e: agora_storage::Error) -> Self {
        Error::Api(e.into())
    }
}

impl From<agora_repo::Error> for Error {
    fn from(e: agora_repo::Error) -> Self {
        Error::Api(e.into())
    }
}

impl From<askama::Error> for Error {
    fn from(e: askama::Error) -> Self {
        Error::Internal(format!("template: {e}"))
    }
}

impl Error {
    pub fn status(&self) -> StatusCode {
        match self {
            Error::NotFound => StatusCode::NOT_FOUND,
            Error::BadRequest(_) => StatusCode::BAD_REQUEST,
            Error::Forbidden(_) | Error::Csrf => StatusCode::FORBIDDEN,
            Error::Api(e) => e.status.unwrap_or_else(|| e.code.status()),
            Error::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let status = self.status();
        let message = if status == StatusCode::INTERNAL_SERVER_ERROR {
            tracing::error!(error = %self, "page failed");
            "Something went wrong on the server. The error was logged.".to_owned()
        } else if status == StatusCode::NOT_FOUND {
            // The API's messages name what was looked up; a page says only "not here".
            Error::NotFound.to_string()
        } else {
            self.to_string()
        };
        let page = crate::layout::ErrorPage {
            l: crate::layout::Layout::bare(status.canonical_reason().unwrap_or("Error")),
            status: status.as_u16(),
            message,
        };
        let body = askama::Template::render(&page).unwrap_or_else(|_| "error".to_owned());
        let mut res = (status, Html(body)).into_response();
        crate::layout::security_headers(res.headers_mut());
        res
    }
}
