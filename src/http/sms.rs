//! Routes: Twilio's webhooks for the SMS channel (form posts signed with `X-Twilio-Signature`).

use std::marker::PhantomData;

use aide::OperationInput;
use aide::axum::ApiRouter;
use aide::axum::routing::post_with;
use aide::generate::GenContext;
use aide::openapi::{MediaType, Operation, RequestBody, SchemaObject};
use axum::body::Bytes;
use axum::extract::{FromRequest, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use schemars::JsonSchema;

use super::error::ApiError;
use super::{ApiResult, AppState};
use crate::channels::ChannelKind;
use crate::sms::inbound::{self, SmsContext, Webhook};

/// A Twilio webhook: the raw form parameters, the URL they were signed for and the signature;
/// `Form` is how the document states the parameters the route reads.
struct TwilioWebhook<Form>(Webhook, PhantomData<Form>);

impl<Form> FromRequest<AppState> for TwilioWebhook<Form> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let form = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
        if !form {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "Twilio webhooks are application/x-www-form-urlencoded",
            ));
        }
        let signature = req.headers().get("x-twilio-signature").and_then(|v| v.to_str().ok()).map(str::to_owned);
        // Twilio signs the URL it called, query included; behind a proxy that is the public URL.
        let path = req.uri().path_and_query().map_or("/", |p| p.as_str()).to_owned();
        let body = Bytes::from_request(req, state).await.map_err(|e| {
            ApiError::new(e.status(), "invalid_body", format!("could not read the webhook body: {}", e.body_text()))
        })?;
        let params: Vec<(String, String)> = serde_urlencoded::from_bytes(&body).map_err(|e| {
            ApiError::new(StatusCode::BAD_REQUEST, "invalid_body", format!("the form body is malformed: {e}"))
        })?;
        Ok(TwilioWebhook(Webhook { url: format!("{}{path}", state.public_url), params, signature }, PhantomData))
    }
}

/// What Twilio posts when a text comes in (the fields the engine reads; Twilio sends more).
#[derive(JsonSchema)]
#[allow(dead_code)]
#[schemars(rename_all = "PascalCase")]
struct InboundForm {
    /// Twilio's id of the text (letters and digits, up to 64); the engine stores each id once.
    #[schemars(regex(pattern = SID_PATTERN))]
    message_sid: String,
    /// The customer's number (not blank).
    #[schemars(regex(pattern = crate::text::NOT_BLANK_PATTERN))]
    from: String,
    /// The brand's number (not blank); picks the workspace.
    #[schemars(regex(pattern = crate::text::NOT_BLANK_PATTERN))]
    to: String,
    /// The text.
    body: Option<String>,
    /// How many media are attached, if any.
    num_media: Option<String>,
}

/// What Twilio posts when a text the engine sent changes status.
#[derive(JsonSchema)]
#[allow(dead_code)]
#[schemars(rename_all = "PascalCase")]
struct StatusForm {
    /// Twilio's id of the text.
    #[schemars(regex(pattern = crate::text::NOT_BLANK_PATTERN))]
    message_sid: String,
    /// The brand's number (not blank); picks the workspace.
    #[schemars(regex(pattern = crate::text::NOT_BLANK_PATTERN))]
    from: String,
    /// The customer's number; error 21610 (the customer opted out) records it as opted out.
    to: Option<String>,
    /// `queued`, `sent`, `delivered`, `undelivered`, `failed` and so on (letters and `-`, up to 32;
    /// read in lowercase).
    #[schemars(regex(pattern = STATUS_PATTERN))]
    message_status: String,
    /// Twilio's error code, when the text failed.
    error_code: Option<String>,
}

/// A Twilio message SID as the engine stores it.
const SID_PATTERN: &str = "^[A-Za-z0-9]{1,64}$";
/// A delivery status as the engine reads it.
const STATUS_PATTERN: &str = "^[A-Za-z-]{1,32}$";

impl<Form: JsonSchema> OperationInput for TwilioWebhook<Form> {
    fn operation_input(ctx: &mut GenContext, operation: &mut Operation) {
        let schema = ctx.schema.subschema_for::<Form>();
        let mut body = RequestBody { required: true, ..Default::default() };
        body.content.insert(
            "application/x-www-form-urlencoded".into(),
            MediaType {
                schema: Some(SchemaObject { json_schema: schema, example: None, external_docs: None }),
                ..Default::default()
            },
        );
        operation.request_body = Some(aide::openapi::ReferenceOr::Item(body));
    }
}

/// An empty TwiML answer: replies go out through the outbox, not in the webhook's response.
fn twiml() -> Response {
    (
        [(header::CONTENT_TYPE, "text/xml; charset=utf-8")],
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response></Response>",
    )
        .into_response()
}

fn context(s: &AppState) -> SmsContext<'_> {
    SmsContext { store: s.store.as_ref(), hub: &s.hub, clock: s.clock.as_ref(), outbox: &s.outbox }
}

async fn inbound_text(
    State(s): State<AppState>,
    TwilioWebhook(hook, _): TwilioWebhook<InboundForm>,
) -> ApiResult<Response> {
    let received = inbound::receive(context(&s), &hook).await?;
    if !received.duplicate {
        let (room_id, seq) = (received.room_id, received.message.seq);
        s.hub.announce(received.workspace_id, crate::events::ConsoleEvent::Message { room_id, seq });
    }
    if received.for_agent {
        s.agent.spawn(received.workspace_id, received.room_id, ChannelKind::Sms, received.message);
    }
    Ok(twiml())
}

async fn delivery_report(
    State(s): State<AppState>,
    TwilioWebhook(hook, _): TwilioWebhook<StatusForm>,
) -> ApiResult<Response> {
    inbound::delivery_report(context(&s), &hook).await?;
    Ok(twiml())
}

/// The SMS routes.
pub fn routes() -> ApiRouter<AppState> {
    ApiRouter::new()
        .api_route(
            "/v1/sms/twilio",
            post_with(inbound_text, |op| {
                op.tag("sms").summary("Twilio's webhook for inbound texts").description(
                    "Set as the number's \"A message comes in\" webhook (HTTP POST). 403 unless \
                     X-Twilio-Signature matches; a repeated MessageSid stores nothing new. STOP, START and HELP \
                     keywords are handled here and never reach the agent.",
                )
            }),
        )
        .api_route(
            "/v1/sms/twilio/status",
            post_with(delivery_report, |op| {
                op.tag("sms").summary("Twilio's delivery reports for texts the engine sent (signature-checked)")
            }),
        )
}
