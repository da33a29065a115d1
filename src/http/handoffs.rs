//! Routes: helpdesk integrations, the handoff list with its dead letters, and the test handoff.

use aide::OperationInput;
use aide::axum::ApiRouter;
use aide::axum::routing::{get_with, post_with};
use aide::generate::GenContext;
use aide::openapi::{Operation, ReferenceOr};
use axum::Json;
use axum::body::Bytes;
use axum::extract::{FromRequest, Request, State};
use axum::http::StatusCode;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::error::{ApiError, refusal};
use super::extract::{ApiJson, ApiPath, ApiQuery, Operator};
use super::{ApiResult, AppState, IdPath};
use crate::accounts::Permission;
use crate::channels::ChannelKind;
use crate::handoff::adapter::Field;
use crate::handoff::helpdesks::{HelpdeskError, HelpdeskView, MAX_MAX_ATTEMPTS, TestHandoff};
use crate::handoff::ticket::TicketCustomer;
use crate::handoff::{Handoff, HandoffState};
use crate::ids::HandoffId;

#[derive(Deserialize, JsonSchema)]
struct NamePath {
    /// The adapter's name: `zendesk`, `freshdesk`, `gorgias` or `webhook`.
    name: String,
}

#[derive(Deserialize, JsonSchema)]
struct ChannelPath {
    /// `webchat` or `sms`.
    #[schemars(with = "ChannelKind")]
    channel: String,
}

/// The workspace's integrations and the helpdesks it can connect.
#[derive(Serialize, JsonSchema)]
struct HelpdeskList {
    /// Configured integrations.
    helpdesks: Vec<HelpdeskView>,
    /// Every adapter, with the settings its `PUT` body takes.
    adapters: Vec<AdapterView>,
}

/// A helpdesk the engine can create tickets in.
#[derive(Serialize, JsonSchema)]
struct AdapterView {
    /// The name in `/v1/helpdesks/{name}`.
    name: String,
    /// Display name.
    title: String,
    /// The settings; `secret` ones are write-only.
    #[schemars(with = "Vec<serde_json::Value>")]
    fields: Vec<Field>,
    /// The helpdesk de-duplicates retried requests by an idempotency key.
    idempotent: bool,
}

/// `GET /v1/handoffs` filters.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct HandoffQuery {
    /// `pending`, `delivered`, `dead` or `queued`.
    #[schemars(with = "Option<HandoffState>")]
    state: Option<String>,
    /// Paging: only handoffs older than this one.
    before: Option<HandoffId>,
    /// At most this many (1 to 200, default 50).
    #[schemars(range(min = 1, max = 200))]
    limit: Option<i64>,
}

/// Handoffs, newest first.
#[derive(Serialize, JsonSchema)]
struct HandoffList {
    handoffs: Vec<Handoff>,
}

/// The test handoff's body, which may be left out: an empty one uses the default test requester.
struct TestBody(TestRequest);

impl<S: Send + Sync> FromRequest<S> for TestBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let body = Bytes::from_request(req, state).await.map_err(|e| {
            ApiError::new(e.status(), "invalid_body", format!("could not read the body: {}", e.body_text()))
        })?;
        if body.iter().all(u8::is_ascii_whitespace) {
            return Ok(TestBody(TestRequest::default()));
        }
        serde_json::from_slice(&body).map(TestBody).map_err(|e| {
            let code = if e.is_data() { "invalid_body" } else { "malformed_json" };
            let status = if e.is_data() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::BAD_REQUEST };
            ApiError::new(status, code, format!("the test requester: {e}"))
        })
    }
}

impl OperationInput for TestBody {
    fn operation_input(ctx: &mut GenContext, operation: &mut Operation) {
        ApiJson::<TestRequest>::operation_input(ctx, operation);
        if let Some(ReferenceOr::Item(body)) = &mut operation.request_body {
            body.required = false;
        }
    }
}

/// Body of `PUT /v1/helpdesks/{name}`: the adapter's settings, all strings (`GET /v1/helpdesks`
/// names them per adapter), and `max_attempts`.
#[derive(Deserialize)]
#[serde(transparent)]
struct HelpdeskSettings(serde_json::Map<String, serde_json::Value>);

impl JsonSchema for HelpdeskSettings {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "HelpdeskSettings".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "The adapter's settings, all strings (`GET /v1/helpdesks` names them per adapter), and \
                            `max_attempts`.",
            "type": "object",
            "properties": {
                "max_attempts": {
                    "description": "Attempts at creating a ticket before it is dead-lettered (default 5).",
                    "type": "integer",
                    "minimum": 1,
                    "maximum": MAX_MAX_ATTEMPTS,
                }
            },
            "additionalProperties": { "type": "string" },
        })
    }
}

/// Who the test ticket comes from.
#[derive(Deserialize, JsonSchema, Default)]
#[serde(deny_unknown_fields)]
struct TestRequest {
    /// Test requester's name (default "sangdam test").
    name: Option<String>,
    /// Test requester's email (default handoff-test@example.com).
    email: Option<String>,
    /// Test requester's phone.
    phone: Option<String>,
}

async fn list(State(s): State<AppState>, op: Operator) -> ApiResult<Json<HelpdeskList>> {
    op.principal.require(Permission::ConfigureChannels).map_err(ApiError::from)?;
    let helpdesks = s.helpdesks().list(op.principal.workspace_id).await?;
    let adapters = s.handoffs.adapters();
    let adapters = adapters
        .names()
        .into_iter()
        .filter_map(|n| adapters.get(n))
        .map(|a| AdapterView {
            name: a.name.clone(),
            title: a.title.clone(),
            fields: a.fields.clone(),
            idempotent: a.idempotent,
        })
        .collect();
    Ok(Json(HelpdeskList { helpdesks, adapters }))
}

async fn get(State(s): State<AppState>, op: Operator, ApiPath(p): ApiPath<NamePath>) -> ApiResult<Json<HelpdeskView>> {
    op.principal.require(Permission::ConfigureChannels).map_err(ApiError::from)?;
    Ok(Json(s.helpdesks().get(op.principal.workspace_id, &p.name).await?))
}

async fn put(
    State(s): State<AppState>,
    op: Operator,
    ApiPath(p): ApiPath<NamePath>,
    ApiJson(HelpdeskSettings(body)): ApiJson<HelpdeskSettings>,
) -> ApiResult<Json<HelpdeskView>> {
    op.principal.require(Permission::ConfigureChannels).map_err(ApiError::from)?;
    let ws = op.principal.workspace_id;
    let view = s.helpdesks().put(ws, &p.name, body).await?;
    s.launcher().observe(ws, &format!("helpdesk {} configured: {}", p.name, check_detail(&view))).await?;
    Ok(Json(view))
}

async fn verify(
    State(s): State<AppState>,
    op: Operator,
    ApiPath(p): ApiPath<NamePath>,
) -> ApiResult<Json<HelpdeskView>> {
    op.principal.require(Permission::ConfigureChannels).map_err(ApiError::from)?;
    let ws = op.principal.workspace_id;
    let view = s.helpdesks().verify(ws, &p.name).await?;
    s.launcher().observe(ws, &format!("helpdesk {} verification: {}", p.name, check_detail(&view))).await?;
    Ok(Json(view))
}

async fn delete(
    State(s): State<AppState>,
    op: Operator,
    ApiPath(p): ApiPath<NamePath>,
) -> ApiResult<axum::response::NoContent> {
    op.principal.require(Permission::ConfigureChannels).map_err(ApiError::from)?;
    s.helpdesks().delete(op.principal.workspace_id, &p.name).await?;
    Ok(axum::response::NoContent)
}

fn check_detail(view: &HelpdeskView) -> String {
    view.check.as_ref().map_or_else(|| "not checked".to_owned(), |c| c.detail.clone())
}

async fn handoffs(
    State(s): State<AppState>,
    op: Operator,
    ApiQuery(q): ApiQuery<HandoffQuery>,
) -> ApiResult<Json<HandoffList>> {
    op.principal.require(Permission::OperateChannels).map_err(ApiError::from)?;
    let state = q
        .state
        .map(|text| {
            HandoffState::try_from(text).map_err(|_| {
                ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "invalid_query",
                    "state must be pending, delivered, dead or queued",
                )
            })
        })
        .transpose()?;
    let limit = q.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(ApiError::new(StatusCode::BAD_REQUEST, "invalid_query", "limit must be 1 to 200"));
    }
    let handoffs = s.store.handoffs(op.principal.workspace_id, state, q.before, limit).await?;
    Ok(Json(HandoffList { handoffs }))
}

async fn handoff(
    State(s): State<AppState>,
    op: Operator,
    ApiPath(p): ApiPath<IdPath<HandoffId>>,
) -> ApiResult<Json<Handoff>> {
    op.principal.require(Permission::OperateChannels).map_err(ApiError::from)?;
    Ok(Json(s.store.handoff(op.principal.workspace_id, p.id).await?))
}

async fn retry(
    State(s): State<AppState>,
    op: Operator,
    ApiPath(p): ApiPath<IdPath<HandoffId>>,
) -> ApiResult<Json<Handoff>> {
    op.principal.require(Permission::OperateChannels).map_err(ApiError::from)?;
    let handoff = match s.store.retry_handoff(op.principal.workspace_id, p.id, s.clock.now()).await {
        Err(crate::store::StoreError::Conflict) => {
            return Err(ApiError::new(StatusCode::CONFLICT, "not_dead", "only a dead-lettered handoff can be retried"));
        }
        other => other?,
    };
    tracing::info!(handoff = %p.id, by = %op.principal.account_id, "dead letter retried");
    s.handoffs.wake();
    Ok(Json(handoff))
}

async fn test_handoff(
    State(s): State<AppState>,
    op: Operator,
    ApiPath(p): ApiPath<ChannelPath>,
    TestBody(body): TestBody,
) -> ApiResult<Json<TestHandoff>> {
    op.principal.require(Permission::OperateChannels).map_err(ApiError::from)?;
    let ws = op.principal.workspace_id;
    let kind = ChannelKind::parse(&p.channel)
        .ok_or_else(|| ApiError::not_found(format!("no channel {:?}; channels are webchat and sms", p.channel)))?;
    let channel = s.store.channel(ws, kind).await?;
    let requester = TicketCustomer {
        id: format!("test-{}", op.principal.account_id),
        name: body.name.unwrap_or_else(|| "sangdam test".to_owned()),
        email: Some(body.email.unwrap_or_else(|| "handoff-test@example.com".to_owned())),
        phone: body.phone,
    };
    let result = match s.helpdesks().test_handoff(&channel, requester).await {
        // The channel names a helpdesk that is not set up (or no longer exists): not ready, not 404.
        Err(HelpdeskError::NotConfigured(name) | HelpdeskError::UnknownAdapter { name, .. }) => {
            return Err(HelpdeskError::NotReady(format!(
                "the {name} integration is not set up; PUT /v1/helpdesks/{name} before testing"
            ))
            .into());
        }
        other => other?,
    };
    s.launcher().handoff_tested(op.principal.account_id, ws, kind).await?;
    Ok(Json(result))
}

/// The handoff routes.
pub fn routes() -> ApiRouter<AppState> {
    ApiRouter::new()
        .api_route(
            "/v1/helpdesks",
            get_with(list, |op| op.tag("handoff").summary("The workspace's helpdesk integrations and the adapters")),
        )
        .api_route(
            "/v1/helpdesks/{name}",
            get_with(get, |op| op.tag("handoff").summary("One helpdesk integration (secrets are never returned)"))
                .put_with(put, |op| {
                    let op = refusal::<422>(
                        op,
                        "`invalid_settings` and the like: a setting this helpdesk does not take or a value it \
                         refuses, `secret_required`, or the helpdesk's check failing",
                    );
                    op.tag("handoff")
                        .summary("Set up a helpdesk integration and check it with the helpdesk")
                        .description(
                            "zendesk `{base_url, email, api_token}`, freshdesk `{base_url, api_key}`, gorgias \
                         `{base_url, email, api_key}`, webhook `{url, secret}`; optional `max_attempts` (1-20, \
                         default 5). Secret settings may be left out to keep the stored ones, except when a changed \
                         setting (such as `base_url`) sends the requests to a new address: then 422 \
                         `secret_required` names the secrets to give again. Addresses that are or resolve to \
                         loopback, private or link-local ones are refused unless `SANGDAM_OUTBOUND_ALLOW` \
                         allows them. While a live channel hands off to it, settings the helpdesk rejects \
                         are refused with 409.",
                        )
                })
                .delete_with(delete, |op| {
                    op.tag("handoff").summary("Remove a helpdesk integration no channel hands off to")
                }),
        )
        .api_route(
            "/v1/helpdesks/{name}/verify",
            post_with(verify, |op| {
                op.tag("handoff").summary("Check the integration's credentials with the helpdesk again")
            }),
        )
        .api_route(
            "/v1/handoffs",
            get_with(handoffs, |op| {
                op.tag("handoff")
                    .summary("Handoffs, newest first, with their ticket delivery (`?state=dead`: dead letters)")
            }),
        )
        .api_route("/v1/handoffs/{id}", get_with(handoff, |op| op.tag("handoff").summary("One handoff")))
        .api_route(
            "/v1/handoffs/{id}/retry",
            post_with(retry, |op| {
                op.tag("handoff").summary("Put a dead-lettered ticket back in the outbox, its attempts reset")
            }),
        )
        .api_route(
            "/v1/channels/{channel}/handoff/test",
            post_with(test_handoff, |op| {
                op.tag("launch").summary("Test the channel's handoff: a real ticket from a test requester").description(
                    "With action `helpdesk`, creates a ticket tagged `test` in the configured helpdesk and answers \
                     with its id and link; 502 `helpdesk_failed` gives the helpdesk's own words when it refuses. \
                     With `queue` or `static`, shows what the customer would be told. Success marks the \
                     checklist's `handoff_tested` item.",
                )
            }),
        )
}
