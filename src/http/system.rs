//! Routes: health, metrics, the OpenAPI document.

use aide::axum::ApiRouter;
use aide::axum::routing::get_with;
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use schemars::JsonSchema;
use serde::Serialize;

use super::error::ApiError;
use super::{AppState, OpenApiDocument, PlainText};

/// Health of the engine.
#[derive(Serialize, JsonSchema)]
struct Health {
    /// `ok` when the database answers.
    status: &'static str,
    /// `sqlite` or `postgres`.
    database: &'static str,
    /// Engine version.
    version: &'static str,
}

async fn healthz(State(s): State<AppState>) -> Result<Json<Health>, ApiError> {
    s.store.ping().await.map_err(|e| {
        let err = ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", "the database does not answer");
        tracing::warn!(error = %e, "health check failed");
        err
    })?;
    Ok(Json(Health { status: "ok", database: s.store.backend(), version: env!("CARGO_PKG_VERSION") }))
}

async fn metrics() -> PlainText {
    let body = crate::telemetry::metrics().render();
    PlainText(([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], body).into_response())
}

/// Serves the OpenAPI document built from the router at start-up.
pub async fn openapi(axum::Extension(doc): axum::Extension<Bytes>) -> OpenApiDocument {
    OpenApiDocument(([(header::CONTENT_TYPE, "application/json")], doc).into_response())
}

/// The system routes (the OpenAPI route is added by the router, which owns the document).
pub fn routes() -> ApiRouter<AppState> {
    ApiRouter::new()
        .api_route(
            "/healthz",
            get_with(healthz, |op| op.tag("system").summary("200 when the engine and its database answer")),
        )
        .api_route(
            "/metrics",
            get_with(metrics, |op| {
                op.tag("system").summary("Prometheus metrics (text format)").description(
                    "`text/plain; version=0.0.4`: request counts and durations by method and route, conversations \
                     opened, and the engine's other counters. Unauthenticated: keep it off the public network.",
                )
            }),
        )
}
