//! Every error a handler returns becomes an RFC 9457 `application/problem+json` response
//! with a stable `type`. Internal details are logged, never sent.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bizing_core::api::Problem;

/// An error answered as problem+json.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The client sent something unusable; `kind` is the problem slug.
    #[error("{detail}")]
    BadRequest {
        /// Problem slug, e.g. `invalid-body`.
        kind: &'static str,
        /// What was wrong.
        detail: String,
    },
    /// No session, or it ended.
    #[error("{detail}")]
    Unauthorized {
        /// Problem slug.
        kind: &'static str,
        /// What to do.
        detail: String,
    },
    /// Signed in, but not allowed.
    #[error("not allowed")]
    Forbidden,
    /// Refused for a reason the client can act on (403 with its own problem type).
    #[error("{detail}")]
    Refused {
        /// Problem slug, e.g. `origin-not-allowed`.
        kind: &'static str,
        /// Why.
        detail: String,
    },
    /// The patient must acknowledge the current Notice of Privacy Practices first.
    #[error("the notice of privacy practices must be acknowledged")]
    NppRequired,
    /// A sensitive action needs a fresh second factor.
    #[error("a fresh second factor is required")]
    StepUpRequired,
    /// A widget session asked for something only the patient portal may do (a second factor,
    /// or an action that needs a fresh one).
    #[error("only the patient portal can do this")]
    PortalRequired,
    /// Not found, or not yours (the two are deliberately indistinguishable).
    #[error("not found")]
    NotFound,
    /// A conflicting state, e.g. an email already registered.
    #[error("{detail}")]
    Conflict {
        /// Problem slug.
        kind: &'static str,
        /// What conflicts.
        detail: String,
    },
    /// Too many attempts; retry after the given seconds.
    #[error("{detail}")]
    TooMany {
        /// Problem slug.
        kind: &'static str,
        /// What happened.
        detail: String,
        /// Seconds until a retry may succeed.
        retry_after: u64,
    },
    /// A fault on our side; the cause is logged, not sent.
    #[error("internal error: {0}")]
    Internal(String),
}

impl AppError {
    /// A 400 with the given problem slug.
    pub fn bad_request(kind: &'static str, detail: impl Into<String>) -> Self {
        Self::BadRequest { kind, detail: detail.into() }
    }

    /// A 401 with the given problem slug.
    pub fn unauthorized(kind: &'static str, detail: impl Into<String>) -> Self {
        Self::Unauthorized { kind, detail: detail.into() }
    }
}

impl From<sqlx::Error> for AppError {
    fn from(e: sqlx::Error) -> Self {
        Self::Internal(format!("database: {e}"))
    }
}

/// The problem type URI for a slug.
pub fn problem_type(slug: &str) -> String {
    format!("urn:bizing:problem:{slug}")
}

/// A problem+json response.
pub fn problem(status: StatusCode, slug: &str, title: &str, detail: Option<String>) -> Response {
    let body = Problem { kind: problem_type(slug), title: title.to_owned(), status: status.as_u16(), detail };
    let json = serde_json::to_vec(&body).unwrap_or_default();
    let mut response = (status, json).into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
    response
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        match self {
            Self::BadRequest { kind, detail } => problem(StatusCode::BAD_REQUEST, kind, "Bad request", Some(detail)),
            Self::Unauthorized { kind, detail } => {
                problem(StatusCode::UNAUTHORIZED, kind, "Not signed in", Some(detail))
            }
            Self::Forbidden => problem(StatusCode::FORBIDDEN, "forbidden", "Not allowed", None),
            Self::Refused { kind, detail } => problem(StatusCode::FORBIDDEN, kind, "Not allowed", Some(detail)),
            Self::NotFound => problem(StatusCode::NOT_FOUND, "not-found", "Not found", None),
            Self::StepUpRequired => problem(
                StatusCode::FORBIDDEN,
                "step-up-required",
                "Confirm it is you",
                Some("enter a code from your authenticator app (POST /api/auth/step-up), then retry".into()),
            ),
            Self::PortalRequired => problem(
                StatusCode::FORBIDDEN,
                "portal-required",
                "Not available in the booking widget",
                Some(
                    "a widget session cannot give a second factor; do this in the patient portal, signed in there"
                        .into(),
                ),
            ),
            Self::NppRequired => problem(
                StatusCode::FORBIDDEN,
                "npp-acknowledgment-required",
                "Notice of Privacy Practices not acknowledged",
                Some("read the clinic's current notice and acknowledge it (POST /api/npp/ack) to continue".into()),
            ),
            Self::Conflict { kind, detail } => problem(StatusCode::CONFLICT, kind, "Conflict", Some(detail)),
            Self::TooMany { kind, detail, retry_after } => {
                let mut response = problem(StatusCode::TOO_MANY_REQUESTS, kind, "Too many attempts", Some(detail));
                if let Ok(value) = HeaderValue::from_str(&retry_after.to_string()) {
                    response.headers_mut().insert(header::RETRY_AFTER, value);
                }
                response
            }
            Self::Internal(cause) => {
                tracing::error!(%cause, "internal error");
                problem(StatusCode::INTERNAL_SERVER_ERROR, "internal", "Internal error", None)
            }
        }
    }
}
