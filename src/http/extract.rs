//! Extractors that turn every kind of bad input into an [`ApiError`], and the callers' identities.

use aide::OperationInput;
use aide::generate::GenContext;
use aide::openapi::{Operation, SecurityRequirement};
use axum::extract::rejection::JsonRejection;
use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::AppState;
use super::error::ApiError;
use crate::accounts::Principal;
use crate::accounts::auth::ClientAddress;
use crate::accounts::service;
use crate::locale::Locale;
use crate::secret::Secret;

mod strict;

/// A JSON body; malformed, mistyped, oversized or unknown-field bodies become JSON errors.
pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        // Parsed first as any JSON (content type, size and syntax are checked there), then read
        // strictly: a struct must come from an object, never from an array of its fields.
        let axum::Json(value) =
            axum::Json::<serde_json::Value>::from_request(req, state).await.map_err(json_rejection)?;
        serde_path_to_error::deserialize(strict::Strict(value))
            .map(ApiJson)
            .map_err(|e| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_body", e.to_string()))
    }
}

fn json_rejection(rejection: JsonRejection) -> ApiError {
    let detail = rejection.body_text();
    match rejection.status() {
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
            "the request body is larger than the server accepts",
        ),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send the body as JSON with Content-Type: application/json",
        ),
        StatusCode::UNPROCESSABLE_ENTITY => ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_body", detail),
        _ => ApiError::new(StatusCode::BAD_REQUEST, "malformed_json", detail),
    }
}

impl<T: schemars::JsonSchema> OperationInput for ApiJson<T> {
    fn operation_input(ctx: &mut GenContext, operation: &mut Operation) {
        axum::Json::<T>::operation_input(ctx, operation);
    }
}

/// Path parameters; an id that cannot exist is a 404 like one that does not.
pub struct ApiPath<T>(pub T);

impl<S, T> FromRequestParts<S> for ApiPath<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Path::<T>::from_request_parts(parts, state)
            .await
            .map(|Path(value)| ApiPath(value))
            .map_err(|_| ApiError::not_found("no such record in this workspace"))
    }
}

impl<T: schemars::JsonSchema> OperationInput for ApiPath<T> {
    fn operation_input(ctx: &mut GenContext, operation: &mut Operation) {
        Path::<T>::operation_input(ctx, operation);
    }
}

/// Query parameters; unknown or malformed ones are a 400 naming the problem.
pub struct ApiQuery<T>(pub T);

impl<S, T> FromRequestParts<S> for ApiQuery<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Query::<T>::try_from_uri(&parts.uri)
            .map(|Query(value)| ApiQuery(value))
            .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "invalid_query", e.body_text()))
    }
}

impl<T: schemars::JsonSchema> OperationInput for ApiQuery<T> {
    fn operation_input(ctx: &mut GenContext, operation: &mut Operation) {
        Query::<T>::operation_input(ctx, operation);
    }
}

/// The caller of the operator API, from `Authorization: Bearer <token>`.
pub struct Operator {
    /// Who is calling.
    pub principal: Principal,
    /// The token used, for logout.
    pub token: Secret,
}

impl FromRequestParts<AppState> for Operator {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let token = bearer(parts)
            .ok_or_else(|| ApiError::unauthorized("send an API token as Authorization: Bearer <token>"))?;
        let principal = service::authenticate(state.store.as_ref(), state.clock.as_ref(), &state.auth, &token)
            .await?
            .ok_or_else(|| {
            ApiError::unauthorized("the API token is unknown, revoked, expired, or its account can no longer log in")
        })?;
        Ok(Operator { principal, token: Secret::new(token) })
    }
}

impl OperationInput for Operator {
    fn operation_input(_: &mut GenContext, operation: &mut Operation) {
        require_scheme(operation, "bearer");
    }
}

/// The client's address: the TCP peer (`ConnectInfo`), or with `behind_proxy` the last
/// `X-Forwarded-For` entry (the one the proxy added). Unknown when neither is there, which only
/// turns the per-address throttle off, never the request away.
impl FromRequestParts<AppState> for ClientAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let forwarded = || {
            let last = parts.headers.get_all("x-forwarded-for").iter().next_back()?.to_str().ok()?;
            last.rsplit(',').next()?.trim().parse().ok()
        };
        let peer = || parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|ConnectInfo(addr)| addr.ip());
        Ok(ClientAddress(if state.auth.behind_proxy { forwarded().or_else(peer) } else { peer() }))
    }
}

impl OperationInput for ClientAddress {}

/// The reader's language from `Accept-Language`: Korean when Korean is preferred over English,
/// else English (the language of the API's other messages).
pub struct ReaderLocale(pub Locale);

impl<S: Send + Sync> FromRequestParts<S> for ReaderLocale {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let header = parts.headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()).unwrap_or("");
        Ok(ReaderLocale(preferred_locale(header)))
    }
}

impl OperationInput for ReaderLocale {}

fn preferred_locale(header: &str) -> Locale {
    let weight = |lang: &str| {
        header
            .split(',')
            .filter_map(|item| {
                let mut parts = item.split(';');
                let tag = parts.next()?.trim().to_ascii_lowercase();
                let q = parts
                    .find_map(|p| p.trim().strip_prefix("q=").and_then(|q| q.trim().parse::<f32>().ok()))
                    .unwrap_or(1.0);
                (tag == lang || tag.starts_with(&format!("{lang}-"))).then_some(q)
            })
            .fold(0.0_f32, f32::max)
    };
    let ko = weight("ko");
    if ko > 0.0 && ko >= weight("en") { Locale::Ko } else { Locale::En }
}

/// The webchat widget's key, from the `X-Widget-Key` header.
pub struct WidgetKey(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for WidgetKey {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let key = parts.headers.get("x-widget-key").and_then(|v| v.to_str().ok()).map(str::to_owned);
        Ok(WidgetKey(key))
    }
}

impl OperationInput for WidgetKey {
    fn operation_input(_: &mut GenContext, operation: &mut Operation) {
        require_scheme(operation, "widget_key");
    }
}

/// The load token a served widget script hands back (`X-Widget-Load`), if any.
pub struct WidgetLoad(pub Option<String>);

/// How `X-Widget-Load` is documented.
#[derive(schemars::JsonSchema)]
#[allow(dead_code)]
struct WidgetLoadHeader {
    /// The load token of the `/widget.js` copy making the call, single-use and valid for minutes.
    /// Only a call bringing one records the page's origin (and may complete `channel_setup`).
    #[serde(rename = "X-Widget-Load")]
    load: Option<String>,
}

impl<S: Send + Sync> FromRequestParts<S> for WidgetLoad {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let token = parts.headers.get("x-widget-load").and_then(|v| v.to_str().ok()).map(str::to_owned);
        Ok(WidgetLoad(token))
    }
}

impl OperationInput for WidgetLoad {
    fn operation_input(ctx: &mut GenContext, operation: &mut Operation) {
        let schema = ctx.schema.subschema_for::<WidgetLoadHeader>();
        let params = aide::operation::parameters_from_schema(ctx, schema, aide::operation::ParamLocation::Header);
        aide::operation::add_parameters(ctx, operation, params);
    }
}

/// An operator calling a customer-side route on a brand's behalf: `Some` when the request brings
/// `Authorization: Bearer <operator token>` (checked like [`Operator`]), `None` when it brings none.
pub struct OptionalOperator(pub Option<Operator>);

impl FromRequestParts<AppState> for OptionalOperator {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        if !parts.headers.contains_key(header::AUTHORIZATION) {
            return Ok(OptionalOperator(None));
        }
        Operator::from_request_parts(parts, state).await.map(|op| OptionalOperator(Some(op)))
    }
}

impl OperationInput for OptionalOperator {
    fn operation_input(_: &mut GenContext, operation: &mut Operation) {
        // Either the widget key alone, or the widget key with an operator token.
        let mut both = SecurityRequirement::default();
        both.insert("widget_key".to_owned(), Vec::new());
        both.insert("bearer".to_owned(), Vec::new());
        if !operation.security.contains(&both) {
            operation.security.push(both);
        }
    }
}

/// A customer's conversation token: `Authorization: Bearer`, or `?token=` for `EventSource`,
/// which cannot set headers.
pub struct CustomerToken(pub Option<String>);

#[derive(Deserialize)]
struct TokenQuery {
    token: Option<String>,
}

impl<S: Send + Sync> FromRequestParts<S> for CustomerToken {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let from_query = || Query::<TokenQuery>::try_from_uri(&parts.uri).ok().and_then(|Query(q)| q.token);
        Ok(CustomerToken(bearer(parts).or_else(from_query)))
    }
}

impl OperationInput for CustomerToken {
    fn operation_input(_: &mut GenContext, operation: &mut Operation) {
        require_scheme(operation, "conversation");
    }
}

fn bearer(parts: &Parts) -> Option<String> {
    let value = parts.headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then(|| token.to_owned())
}

fn require_scheme(operation: &mut Operation, scheme: &str) {
    let mut requirement = SecurityRequirement::default();
    requirement.insert(scheme.to_owned(), Vec::new());
    if !operation.security.contains(&requirement) {
        operation.security.push(requirement);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_preferred_language_is_read_with_its_weights() {
        assert_eq!(preferred_locale(""), Locale::En);
        assert_eq!(preferred_locale("ko-KR,ko;q=0.9,en-US;q=0.8,en;q=0.7"), Locale::Ko);
        assert_eq!(preferred_locale("en-US,en;q=0.9,ko;q=0.8"), Locale::En);
        assert_eq!(preferred_locale("ko"), Locale::Ko);
        assert_eq!(preferred_locale("fr-FR, ko;q=0.5"), Locale::Ko);
        assert_eq!(preferred_locale("de"), Locale::En);
    }
}
