//! Routes: health, metrics, the OpenAPI document.

use aide::axum::ApiRouter;
use aide::axum::routing::get_with;
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use schemars::JsonSchema;
use serde::Serialize;

use super::error::ApiError;
use super::{AppState, OpenApiDocument, PlainText};
use crate::store::StoreError;

/// Health of the engine.
#[derive(Serialize, JsonSchema)]
struct Health {
    /// `ok` when the database answers and takes writes.
    status: &'static str,
    /// `sqlite` or `postgres`.
    database: &'static str,
    /// Engine version.
    version: &'static str,
}

/// 200 when the database answers and takes a write; otherwise 503 `store_unavailable` naming the
/// cause (a full disk, a read-only file or server, a server that is gone), within the store's
/// health timeout.
async fn healthz(State(s): State<AppState>) -> Result<Json<Health>, ApiError> {
    s.store.health().await.map_err(|e| {
        tracing::warn!(error = %e, "health check failed");
        match e {
            StoreError::Unavailable(reason) => ApiError::store_unavailable(reason),
            // Not an outage the operator can name from here: the cause is in the log.
            _ => ApiError::store_unavailable("the database failed its health check; the error is in the log"),
        }
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
            get_with(healthz, |op| {
                op.tag("system").summary("200 when the engine's database answers and takes writes").description(
                    "503 `store_unavailable` with `Retry-After` names the cause otherwise: a full disk, a \
                         read-only database, a server that is gone. Answers within 2 seconds.",
                )
            }),
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
