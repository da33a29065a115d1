//! The HTTP API (axum): state, router, OpenAPI document, middleware.
//!
//! Handlers are thin: parse (extractors), authorize (`Principal::require`), call the domain, map
//! the result. The OpenAPI document is generated from the same routes and schemars types.

mod accounts;
mod channels;
mod console;
pub mod error;
mod extract;
mod handoffs;
mod head_limits;
pub mod limits;
mod middleware;
mod pages;
mod queue_settings;
mod rooms;
pub mod server;
mod skills;
mod sms;
mod system;
mod webchat;

use std::sync::Arc;

use aide::OperationOutput;
use aide::axum::ApiRouter;
use aide::generate::GenContext;
use aide::openapi::{Info, OpenApi, Operation, ReferenceOr, Response as DocResponse, SecurityScheme, Tag};
use axum::Json;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;

use crate::agent::live::LiveAgent;
use crate::agent::preview::PreviewSessions;
use crate::clock::Clock;
use crate::events::Hub;
use crate::handoff::helpdesks::Helpdesks;
use crate::handoff::outbox::HandoffOutbox;
use crate::launch::{Capabilities, Launcher};
use crate::rooms::counselor::Counselors;
use crate::skills::Catalog;
use crate::sms::outbox::Outbox;
use crate::sms::twilio::TwilioClient;
use crate::store::Store;
use error::ApiError;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    /// The store.
    pub store: Arc<dyn Store>,
    /// Wake-ups for live streams.
    pub hub: Arc<Hub>,
    /// The time.
    pub clock: Arc<dyn Clock>,
    /// Externally visible base URL.
    pub public_url: Arc<str>,
    /// Cancelled when the server shuts down; long-lived streams end on it.
    pub shutdown: CancellationToken,
    /// The skills that exist.
    pub catalog: Arc<Catalog>,
    /// What skills and handoff can rely on in this deployment.
    pub capabilities: Arc<Capabilities>,
    /// Twilio's REST API.
    pub twilio: TwilioClient,
    /// Texts waiting for Twilio.
    pub outbox: Outbox,
    /// The agent, answering live traffic.
    pub agent: LiveAgent,
    /// Preview panel conversations.
    pub previews: Arc<PreviewSessions>,
    /// Helpdesk tickets waiting to be created, and the adapters that create them.
    pub handoffs: HandoffOutbox,
    /// Login throttle, bounded password hashing and token lifetimes.
    pub auth: Arc<crate::accounts::auth::Auth>,
}

impl AppState {
    /// The launch operations over this state.
    pub fn launcher(&self) -> Launcher<'_> {
        Launcher {
            store: self.store.as_ref(),
            clock: self.clock.as_ref(),
            catalog: &self.catalog,
            capabilities: &self.capabilities,
            twilio: &self.twilio,
        }
    }

    /// The counselor queue's operations over this state.
    pub fn counselors(&self) -> Counselors<'_> {
        Counselors { store: self.store.as_ref(), hub: &self.hub, clock: self.clock.as_ref(), outbox: &self.outbox }
    }

    /// The helpdesk integration operations over this state.
    pub fn helpdesks(&self) -> Helpdesks<'_> {
        Helpdesks {
            store: self.store.as_ref(),
            clock: self.clock.as_ref(),
            adapters: self.handoffs.adapters(),
            client: self.handoffs.client(),
        }
    }
}

/// Handler results.
pub type ApiResult<T> = Result<T, ApiError>;

/// A path with one `{id}`.
#[derive(Deserialize, JsonSchema)]
pub struct IdPath<T> {
    /// The record's id.
    pub id: T,
}

/// 201 Created with a JSON body.
pub struct Created<T>(pub T);

/// 202 Accepted with a JSON body.
pub struct Accepted<T>(pub T);

macro_rules! status_json {
    ($wrapper:ident, $status:expr, $code:literal) => {
        impl<T: Serialize> IntoResponse for $wrapper<T> {
            fn into_response(self) -> Response {
                ($status, Json(self.0)).into_response()
            }
        }

        impl<T: JsonSchema> OperationOutput for $wrapper<T> {
            type Inner = T;

            fn operation_response(ctx: &mut GenContext, operation: &mut Operation) -> Option<DocResponse> {
                Json::<T>::operation_response(ctx, operation)
            }

            fn inferred_responses(ctx: &mut GenContext, operation: &mut Operation) -> Vec<(Option<u16>, DocResponse)> {
                Self::operation_response(ctx, operation).map(|r| vec![(Some($code), r)]).unwrap_or_default()
            }
        }
    };
}
status_json!(Created, StatusCode::CREATED, 201);
status_json!(Accepted, StatusCode::ACCEPTED, 202);

/// A 200 answer of server-sent events (`text/event-stream`).
pub struct EventStream(pub Response);

/// A 200 answer in Prometheus' text format.
pub struct PlainText(pub Response);

/// A 200 answer that is a script.
pub struct Script(pub Response);

/// A 200 answer that is this API's OpenAPI document.
pub struct OpenApiDocument(pub Response);

/// Answers that are not JSON, documented with their media type (else the document would only
/// have the JSON error shape for them).
macro_rules! non_json {
    ($wrapper:ident, $media:literal, $description:literal, $schema:tt) => {
        impl IntoResponse for $wrapper {
            fn into_response(self) -> Response {
                self.0
            }
        }

        impl OperationOutput for $wrapper {
            type Inner = ();

            fn operation_response(_: &mut GenContext, _: &mut Operation) -> Option<DocResponse> {
                let mut response = DocResponse { description: $description.into(), ..DocResponse::default() };
                let schema = aide::openapi::SchemaObject {
                    json_schema: schemars::json_schema!($schema),
                    example: None,
                    external_docs: None,
                };
                response
                    .content
                    .insert($media.into(), aide::openapi::MediaType { schema: Some(schema), ..Default::default() });
                Some(response)
            }

            fn inferred_responses(ctx: &mut GenContext, operation: &mut Operation) -> Vec<(Option<u16>, DocResponse)> {
                Self::operation_response(ctx, operation).map(|r| vec![(Some(200), r)]).unwrap_or_default()
            }
        }
    };
}
non_json!(EventStream, "text/event-stream", "A stream of server-sent events; see the description.", {
    "description": "One event: its name, its data (JSON) and, where the stream can be resumed, its id.",
    "type": "object",
    "properties": {
        "event": {"type": "string"},
        "data": {"type": "string"},
        "id": {"type": "string"},
        "retry": {"type": "integer"}
    },
    "required": ["event", "data"]
});
non_json!(PlainText, "text/plain", "Prometheus text exposition format 0.0.4.", {"type": "string"});
non_json!(Script, "application/javascript", "The script.", {"type": "string"});
non_json!(OpenApiDocument, "application/json", "An OpenAPI 3 document.", {"type": "object"});

/// The whole application: routes, documentation and middleware; `admission` bounds what one
/// client may hold (live streams, new conversations, time to send a body).
pub fn router(state: AppState, max_body_bytes: usize, admission: Arc<limits::Admission>) -> Router {
    // Install the recorder before the first request, so no early measurement is dropped.
    let _ = crate::telemetry::metrics();
    aide::generate::on_error(|e| tracing::warn!(error = %e, "OpenAPI generation"));
    aide::generate::extract_schemas(true);
    let mut api = OpenApi {
        info: Info {
            title: "sangdam".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description: Some(
                "AI customer-agent orchestration engine. Errors are `{\"error\": code, \"message\": text}`.".into(),
            ),
            ..Info::default()
        },
        ..OpenApi::default()
    };
    let app = ApiRouter::new()
        .merge(system::routes())
        .merge(accounts::routes())
        .merge(channels::routes())
        .merge(skills::routes())
        .merge(handoffs::routes())
        .merge(sms::routes())
        .merge(webchat::routes())
        .merge(rooms::routes())
        .merge(console::routes())
        .merge(queue_settings::routes())
        .merge(pages::routes())
        .api_route(
            "/openapi.json",
            aide::axum::routing::get_with(system::openapi, |op| op.tag("system").summary("This document (OpenAPI 3)")),
        )
        .finish_api(&mut api);
    document_security(&mut api);
    channels::document_preview_text(&mut api);
    let doc = axum::body::Bytes::from(serde_json::to_vec(&api).unwrap_or_else(|_| b"{}".to_vec()));
    // A 405 is answered by each route itself (inside its layers, so CORS preflights still reach
    // the webchat CORS layer) and turned into the JSON error shape here.
    // The body deadline sits inside the metrics, so a 408 is counted as one.
    let app = app
        .fallback(not_found)
        .layer(axum::middleware::map_response(method_not_allowed))
        .layer(axum::middleware::from_fn(head_limits::check))
        .layer(axum::middleware::from_fn_with_state(Arc::clone(&admission), limits::body_deadline));
    middleware::wrap(app)
        .layer(axum::Extension(admission))
        .layer(axum::Extension(doc))
        .layer(axum::Extension(Arc::new(crate::webchat::load::LoadTokens::default())))
        .layer(DefaultBodyLimit::max(max_body_bytes))
        .with_state(state)
}

fn document_security(api: &mut OpenApi) {
    let schemes = [
        (
            "bearer",
            SecurityScheme::Http {
                scheme: "bearer".into(),
                bearer_format: None,
                description: Some("An operator API token from POST /v1/auth/login or the first start.".into()),
                extensions: Default::default(),
            },
        ),
        (
            "widget_key",
            SecurityScheme::ApiKey {
                location: aide::openapi::ApiKeyLocation::Header,
                name: "X-Widget-Key".into(),
                description: Some("The webchat channel's public widget key.".into()),
                extensions: Default::default(),
            },
        ),
        (
            "conversation",
            SecurityScheme::Http {
                scheme: "bearer".into(),
                bearer_format: None,
                description: Some("A customer's conversation token (also accepted as ?token=).".into()),
                extensions: Default::default(),
            },
        ),
    ];
    let components = api.components.get_or_insert_with(Default::default);
    for (name, scheme) in schemes {
        components.security_schemes.insert(name.into(), ReferenceOr::Item(scheme));
    }
    for (name, description) in [
        ("accounts", "Login, accounts, roles and certification"),
        ("channels", "Channel settings"),
        ("handoff", "Helpdesk integrations, handoffs and their ticket outbox"),
        ("launch", "The launch checklist: turning a channel's agent on and off"),
        ("rooms", "The counselor room queue: the room list, counselors' actions, distribution and auto-close"),
        ("sms", "The SMS channel: Twilio's webhooks"),
        ("webchat", "The webchat channel, customer side"),
        ("system", "Health, metrics, this document"),
    ] {
        api.tags.push(Tag { name: name.into(), description: Some(description.into()), ..Tag::default() });
    }
}

async fn not_found() -> ApiError {
    ApiError::not_found("no such route")
}

async fn method_not_allowed(response: Response) -> Response {
    if response.status() != StatusCode::METHOD_NOT_ALLOWED {
        return response;
    }
    let allow = response.headers().get(axum::http::header::ALLOW).cloned();
    let mut json =
        ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", "this route does not accept that method")
            .into_response();
    if let Some(allow) = allow {
        json.headers_mut().insert(axum::http::header::ALLOW, allow);
    }
    json
}
