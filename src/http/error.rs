//! The one error type of the HTTP API: `{"error": "<code>", "message": "<text>"}`.
//!
//! Domain errors map to a status and a stable code here, in one place. A 5xx is logged with its
//! cause and answered with a generic message, never with internals.

use aide::OperationOutput;
use aide::generate::GenContext;
use aide::openapi::{Operation, Response as DocResponse};
use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use schemars::JsonSchema;
use serde::Serialize;

use crate::accounts::service::AccountError;
use crate::handoff::helpdesks::HelpdeskError;
use crate::launch::{ItemId, LaunchError};
use crate::rooms::counselor::CounselorError;
use crate::rooms::inbound::InboundError;
use crate::sms::inbound::SmsError;
use crate::store::StoreError;
use crate::webchat::WebchatError;

/// How long a caller refused for a store outage waits before retrying: long enough not to hammer
/// a full disk or a restarting server, short enough for a widget to resend soon after it heals.
const STORE_RETRY_AFTER_SECS: u64 = 5;

/// An error answer.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    /// For 5xx: what went wrong, logged but never sent.
    cause: Option<String>,
    /// Checklist items behind a launch refusal.
    blocking: Option<Vec<ItemId>>,
    /// Seconds for the `Retry-After` header of a refusal that passes with time.
    retry_after: Option<u64>,
}

/// The JSON body of every error answer.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ErrorBody {
    /// Stable machine-readable code, e.g. `invalid_body`, `not_found`, `seat_limit`.
    pub error: String,
    /// What is wrong, in plain words.
    pub message: String,
    /// For `launch_blocked` and `would_break_live`: the required checklist items at fault.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub blocking: Option<Vec<ItemId>>,
}

impl ApiError {
    /// An error with a status, a code and a message for the caller.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self { status, code, message: message.into(), cause: None, blocking: None, retry_after: None }
    }

    /// The same error, telling the caller to retry after `seconds` (`Retry-After`).
    pub fn retry_after(mut self, seconds: u64) -> Self {
        self.retry_after = Some(seconds);
        self
    }

    /// 503 for a store that cannot serve the call for now, naming the cause, e.g. "the database
    /// could not write: database or disk is full"; the cause is operational, not internal, and
    /// tells the operator what to fix.
    pub fn store_unavailable(reason: impl Into<String>) -> Self {
        let reason = reason.into();
        let mut e = Self::new(StatusCode::SERVICE_UNAVAILABLE, "store_unavailable", reason.clone())
            .retry_after(STORE_RETRY_AFTER_SECS);
        e.cause = Some(reason);
        e
    }

    /// 404 for an id that does not exist in the caller's workspace.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    /// 401 for a missing or unknown credential.
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
    }

    /// 500 whose cause is logged, not sent.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        let mut e =
            Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "the server failed; the error is in its log");
        e.cause = Some(cause.to_string());
        e
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if self.status.is_server_error() {
            tracing::error!(status = %self.status, code = self.code, cause = self.cause.as_deref().unwrap_or(""), "request failed");
        }
        let body = ErrorBody { error: self.code.to_owned(), message: self.message, blocking: self.blocking };
        let mut response = (self.status, Json(body)).into_response();
        if let Some(seconds) = self.retry_after {
            response.headers_mut().insert(axum::http::header::RETRY_AFTER, seconds.into());
        }
        response
    }
}

impl OperationOutput for ApiError {
    type Inner = ErrorBody;

    fn operation_response(ctx: &mut GenContext, operation: &mut Operation) -> Option<DocResponse> {
        Json::<ErrorBody>::operation_response(ctx, operation).map(|mut r| {
            r.description = "An error: `{\"error\": code, \"message\": text}`.".into();
            r
        })
    }

    fn inferred_responses(ctx: &mut GenContext, operation: &mut Operation) -> Vec<(Option<u16>, DocResponse)> {
        Self::operation_response(ctx, operation).map(|r| vec![(None, r)]).unwrap_or_default()
    }
}

/// Documents a refusal that depends on what the workspace holds or on the time, which no request
/// schema can rule out: `N` with the error shape and `why`.
pub fn refusal<'t, const N: u16>(
    op: aide::transform::TransformOperation<'t>,
    why: &'static str,
) -> aide::transform::TransformOperation<'t> {
    op.response_with::<N, Json<ErrorBody>, _>(|r| r.description(why))
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => ApiError::not_found("no such record in this workspace"),
            StoreError::Unavailable(reason) => ApiError::store_unavailable(reason),
            other => ApiError::internal(other),
        }
    }
}

impl From<AccountError> for ApiError {
    fn from(e: AccountError) -> Self {
        let message = e.to_string();
        match e {
            AccountError::Forbidden(_) => ApiError::new(StatusCode::FORBIDDEN, "forbidden", message),
            AccountError::NotFound => ApiError::not_found(message),
            AccountError::Invalid(_) => ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_account", message),
            AccountError::LoginTaken(_) => ApiError::new(StatusCode::CONFLICT, "login_taken", message),
            AccountError::SeatLimit(_) => ApiError::new(StatusCode::CONFLICT, "seat_limit", message),
            AccountError::HoldsOpenRooms(_) => ApiError::new(StatusCode::CONFLICT, "open_rooms", message),
            AccountError::RoleConversion { .. } => ApiError::new(StatusCode::CONFLICT, "role_conversion", message),
            AccountError::BadCredentials => ApiError::new(StatusCode::UNAUTHORIZED, "bad_credentials", message),
            AccountError::NotCertified => ApiError::new(StatusCode::FORBIDDEN, "not_certified", message),
            AccountError::WeakPassword(_) => ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "weak_password", message),
            AccountError::TooManyAttempts(_) => {
                ApiError::new(StatusCode::TOO_MANY_REQUESTS, "too_many_attempts", message)
            }
            AccountError::Busy(_) => ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "busy", message),
            AccountError::CurrentPasswordRequired => {
                ApiError::new(StatusCode::BAD_REQUEST, "current_password_required", message)
            }
            AccountError::WrongCurrentPassword => ApiError::new(StatusCode::FORBIDDEN, "wrong_password", message),
            AccountError::Internal(cause) => ApiError::internal(cause),
            AccountError::Store(e) => e.into(),
        }
    }
}

impl From<WebchatError> for ApiError {
    fn from(e: WebchatError) -> Self {
        let message = e.to_string();
        match e {
            WebchatError::BadWidgetKey => ApiError::new(StatusCode::UNAUTHORIZED, "invalid_widget_key", message),
            WebchatError::BadToken => ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", message),
            WebchatError::NotFound => ApiError::not_found(message),
            WebchatError::OriginNotAllowed(_) => ApiError::new(StatusCode::FORBIDDEN, "origin_not_allowed", message),
            WebchatError::OriginRequired => ApiError::new(StatusCode::FORBIDDEN, "origin_required", message),
            WebchatError::Forbidden(_) => ApiError::new(StatusCode::FORBIDDEN, "forbidden", message),
            WebchatError::Invalid(_) => ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_body", message),
            WebchatError::Store(e) => e.into(),
        }
    }
}

impl From<InboundError> for ApiError {
    fn from(e: InboundError) -> Self {
        let message = e.to_string();
        match e {
            InboundError::Invalid(_) => ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_message", message),
            InboundError::NotFound => ApiError::not_found(message),
            InboundError::Store(e) => e.into(),
        }
    }
}

impl From<LaunchError> for ApiError {
    fn from(e: LaunchError) -> Self {
        let message = e.to_string();
        match e {
            LaunchError::Invalid(_) => ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_settings", message),
            LaunchError::Blocked { blocking, .. } => {
                ApiError { blocking: Some(blocking), ..ApiError::new(StatusCode::CONFLICT, "launch_blocked", message) }
            }
            LaunchError::WouldBreakLive { blocking, .. } => ApiError {
                blocking: Some(blocking),
                ..ApiError::new(StatusCode::CONFLICT, "would_break_live", message)
            },
            LaunchError::Taken(_) => ApiError::new(StatusCode::CONFLICT, "taken", message),
            LaunchError::Busy => ApiError::new(StatusCode::CONFLICT, "busy", message),
            LaunchError::Store(e) => e.into(),
        }
    }
}

impl From<SmsError> for ApiError {
    fn from(e: SmsError) -> Self {
        let message = e.to_string();
        match e {
            SmsError::NoChannel(_) => ApiError::not_found(message),
            SmsError::BadSignature(_) => ApiError::new(StatusCode::FORBIDDEN, "bad_signature", message),
            SmsError::Invalid(_) => ApiError::new(StatusCode::BAD_REQUEST, "invalid_webhook", message),
            SmsError::Store(e) => e.into(),
        }
    }
}

impl From<HelpdeskError> for ApiError {
    fn from(e: HelpdeskError) -> Self {
        let message = e.to_string();
        match e {
            HelpdeskError::UnknownAdapter { .. } | HelpdeskError::NotConfigured(_) => {
                ApiError::new(StatusCode::NOT_FOUND, "not_found", message)
            }
            HelpdeskError::Invalid { .. } => {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_settings", message)
            }
            HelpdeskError::SecretRequired { .. } => {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "secret_required", message)
            }
            HelpdeskError::InUse { .. } => ApiError::new(StatusCode::CONFLICT, "in_use", message),
            HelpdeskError::WouldBreakLive { .. } => ApiError {
                blocking: Some(vec![ItemId::Handoff]),
                ..ApiError::new(StatusCode::CONFLICT, "would_break_live", message)
            },
            HelpdeskError::NotReady(_) => ApiError::new(StatusCode::CONFLICT, "handoff_not_ready", message),
            HelpdeskError::TestFailed(_) => ApiError::new(StatusCode::BAD_GATEWAY, "helpdesk_failed", message),
            HelpdeskError::Store(e) => e.into(),
        }
    }
}

impl From<CounselorError> for ApiError {
    fn from(e: CounselorError) -> Self {
        let message = e.to_string();
        match e {
            CounselorError::NotFound(_) => ApiError::not_found(message),
            CounselorError::Forbidden(_) => ApiError::new(StatusCode::FORBIDDEN, "forbidden", message),
            CounselorError::Invalid(_) => ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_body", message),
            CounselorError::BadQuery(_) => ApiError::new(StatusCode::BAD_REQUEST, "invalid_query", message),
            CounselorError::Conflict { code, .. } => ApiError::new(StatusCode::CONFLICT, code, message),
            CounselorError::Internal(cause) => ApiError::internal(cause),
            CounselorError::Store(e) => e.into(),
        }
    }
}
