//! Errors as the IAM Identity API answers them: the management API's
//! `{"errors": [...], "trace", "status_code"}` and the token endpoint's
//! `{"errorCode", "errorMessage", "context"}`. The message of a refusal is
//! the service's own, word for word, so a remote client prints what a
//! local one would.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::access::Denied;
use crate::service::ServiceError;
use crate::store::StoreError;
use crate::wire::{WireError, WireErrors, WireTokenError};

/// IBM's message when a request names another identity than the token's.
pub const IAM_ID_MISMATCH: &str = "The specified IAM ID does not match the IAM ID in the token";

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message_code: &'static str,
    pub message: String,
}

/// An error answer's body, kept on the response so the request layer can
/// put the transaction id in its `trace`.
#[derive(Clone)]
pub struct ErrorBody(pub WireErrors);

impl ApiError {
    pub fn new(
        status: StatusCode,
        code: &'static str,
        message_code: &'static str,
        message: impl Into<String>,
    ) -> ApiError {
        ApiError {
            status,
            code,
            message_code,
            message: message.into(),
        }
    }

    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_request",
            "BXNIM0109E",
            message,
        )
    }

    pub fn unauthorized(message: impl Into<String>) -> ApiError {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "BXNIM0308E",
            message,
        )
    }

    pub fn forbidden(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, "forbidden", "BXNIM0513E", message)
    }

    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", "BXNIM0102E", message)
    }

    pub fn internal() -> ApiError {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "BXNIM0500E",
            "the server failed to answer: see its log",
        )
    }

    pub fn not_found_route() -> ApiError {
        ApiError::not_found("no such operation in the IAM Identity API")
    }

    pub fn method_not_allowed() -> ApiError {
        ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            "BXNIM0405E",
            "this operation does not take that method",
        )
    }

    /// IBM's answer to a request naming another identity.
    pub fn iam_id_mismatch() -> ApiError {
        ApiError::bad_request(IAM_ID_MISMATCH)
    }

    fn body(&self) -> WireErrors {
        WireErrors {
            errors: vec![WireError {
                code: self.code.to_string(),
                message_code: self.message_code.to_string(),
                message: self.message.clone(),
            }],
            trace: String::new(),
            status_code: self.status.as_u16().to_string(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = self.body();
        let mut res = (self.status, axum::Json(&body)).into_response();
        res.extensions_mut().insert(ErrorBody(body));
        res
    }
}

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> ApiError {
        let message = e.to_string();
        let (status, code, message_code) = match &e {
            ServiceError::BadInput(_) => (StatusCode::BAD_REQUEST, "bad_request", "BXNIM0109E"),
            ServiceError::KeyFormat(_) => (StatusCode::BAD_REQUEST, "key_format", "BXNIM0109E"),
            ServiceError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found", "BXNIM0102E"),
            ServiceError::Denied(d) => match d {
                Denied::StaleEntityTag { .. } => {
                    (StatusCode::CONFLICT, "stale_entity_tag", "BXNIM0511E")
                }
                Denied::LockedKey(_)
                | Denied::AlreadyLocked
                | Denied::NotLocked
                | Denied::AlreadyDisabled
                | Denied::NotDisabled
                | Denied::LockedServiceId(_) => (StatusCode::CONFLICT, "conflict", "BXNIM0509E"),
                Denied::LimitReached { .. } | Denied::ClassicKeyExists => (
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "limit_reached",
                    "BXNIM0151E",
                ),
                Denied::SignIn(_) => (StatusCode::UNAUTHORIZED, "unauthorized", "BXNIM0308E"),
                Denied::Throttled(_) => (StatusCode::TOO_MANY_REQUESTS, "throttled", "BXNIM0436E"),
                _ => (StatusCode::FORBIDDEN, "forbidden", "BXNIM0513E"),
            },
            ServiceError::Store(s) => {
                tracing::error!(error = %s, "store failure while answering");
                match s {
                    StoreError::Busy(_) => {
                        (StatusCode::SERVICE_UNAVAILABLE, "store_error", "BXNIM0503E")
                    }
                    _ => (
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "store_error",
                        "BXNIM0500E",
                    ),
                }
            }
        };
        ApiError::new(status, code, message_code, message)
    }
}

/// An error of the token endpoint, in IBM's token error shape.
#[derive(Debug)]
pub struct TokenError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: &'static str,
    /// The refusal as a local sign-in words it.
    pub details: String,
    pub retry_after: Option<u64>,
}

impl TokenError {
    pub fn bad_request(details: impl Into<String>) -> TokenError {
        TokenError {
            status: StatusCode::BAD_REQUEST,
            code: "BXNIM0109E",
            message: "Property missing or empty",
            details: details.into(),
            retry_after: None,
        }
    }
}

impl TokenError {
    pub fn internal() -> TokenError {
        TokenError {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            code: "BXNIM0500E",
            message: "Internal error",
            details: "the server failed to answer: see its log".into(),
            retry_after: None,
        }
    }
}

impl From<ServiceError> for TokenError {
    fn from(e: ServiceError) -> TokenError {
        let details = e.to_string();
        match e {
            ServiceError::KeyFormat(_) | ServiceError::BadInput(_) => TokenError {
                status: StatusCode::BAD_REQUEST,
                code: "BXNIM0109E",
                message: "Provided API key is malformed",
                details,
                retry_after: None,
            },
            ServiceError::Denied(Denied::Throttled(secs)) => TokenError {
                status: StatusCode::TOO_MANY_REQUESTS,
                code: "BXNIM0436E",
                message: "Too many failed attempts for this API key",
                details,
                retry_after: Some(secs),
            },
            ServiceError::Denied(_) | ServiceError::NotFound(_) => TokenError {
                status: StatusCode::BAD_REQUEST,
                code: "BXNIM0415E",
                message: "Provided API key could not be found",
                details,
                retry_after: None,
            },
            ServiceError::Store(s) => {
                tracing::error!(error = %s, "store failure during a token exchange");
                TokenError::internal()
            }
        }
    }
}

impl IntoResponse for TokenError {
    fn into_response(self) -> Response {
        let mut context = std::collections::BTreeMap::new();
        context.insert("requestType".to_string(), "incoming.OIDC_Token".to_string());
        context.insert("clusterName".to_string(), "iamkeys".to_string());
        let body = WireTokenError {
            error_code: self.code.to_string(),
            error_message: self.message.to_string(),
            error_details: Some(self.details),
            context,
        };
        let mut res = (self.status, axum::Json(body)).into_response();
        if let Some(secs) = self.retry_after
            && let Ok(v) = axum::http::HeaderValue::from_str(&secs.to_string())
        {
            res.headers_mut().insert(axum::http::header::RETRY_AFTER, v);
        }
        res
    }
}
