//! Routes: the counselor room queue — the list, one room, the tab counts, and what counselors do
//! to a room.

use aide::axum::ApiRouter;
use aide::axum::routing::{get_with, post_with};
use aide::transform::TransformOperation;
use axum::Json;
use axum::extract::State;
use chrono::{DateTime, NaiveDate, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize};

use super::error::{ApiError, refusal};
use super::extract::{ApiJson, ApiPath, ApiQuery, Operator};
use super::{ApiResult, AppState, Created, IdPath};
use crate::ids::{AccountId, MessageId, RoomId};
use crate::rooms::counselor::actions::{MAX_CATEGORY_CHARS, MAX_NOTE_CHARS, TransferTarget};
use crate::rooms::counselor::edit::RoomPatch;
use crate::rooms::counselor::view::{ListFilter, MAX_QUERY_CHARS, RoomDetail, RoomView};
use crate::rooms::queue::{RoomCounts, SearchField, Sort, Tab};
use crate::rooms::{MAX_TEXT_CHARS, Room};

/// `GET /v1/rooms` parameters.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    /// The tab: `bot`, `waiting` (the default), `received`, `inquiry`, `answered`, `in_progress`,
    /// `closed`, `hold` or `alarm`.
    status: Option<Tab>,
    /// A search term (up to 200 characters; blank searches nothing).
    #[schemars(length(max = MAX_QUERY_CHARS))]
    q: Option<String>,
    /// What `q` is matched against: `content` (the default; substring, any case), `customer_id`,
    /// `customer_tag`, `room_tag`, `name`, `phone` or `email` (exact).
    field: Option<SearchField>,
    /// `last_message_desc` (the default), `last_message_asc`, `created_desc` or `created_asc`.
    sort: Option<Sort>,
    /// Only rooms whose customer has this grade.
    grade: Option<String>,
    /// `true`: only flagged rooms.
    flag: Option<bool>,
    /// Closed tab: closed on or after this local date, `YYYY-MM-DD` (default today, in the
    /// workspace's time zone).
    #[schemars(with = "Option<NaiveDate>")]
    from: Option<String>,
    /// Closed tab: closed on or before this local date, `YYYY-MM-DD`.
    #[schemars(with = "Option<NaiveDate>")]
    to: Option<String>,
    /// At most this many rooms (1 to 200, default 50).
    #[schemars(range(min = 1, max = 200))]
    limit: Option<i64>,
    /// Paging: the rooms after this one in the chosen order.
    after: Option<RoomId>,
}

/// One tab of the room list.
#[derive(Serialize, JsonSchema)]
struct RoomList {
    rooms: Vec<RoomView>,
}

/// Who the caller may give rooms to.
#[derive(Serialize, JsonSchema)]
struct TransferTargets {
    accounts: Vec<TransferTarget>,
}

/// Body of `POST /v1/rooms/{id}/messages`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct Reply {
    /// The reply (1–4000 characters, not blank; line breaks and tabs are the only control
    /// characters allowed). Texts are shortened to the SMS channel's segment cap.
    #[schemars(length(max = MAX_TEXT_CHARS), regex(pattern = crate::text::TEXT_PATTERN))]
    text: String,
    /// The sender's unique id for this message (1–100 printable ASCII characters).
    #[schemars(regex(pattern = crate::rooms::inbound::CLIENT_ID_PATTERN))]
    client_message_id: Option<String>,
}

/// A stored reply.
#[derive(Serialize, JsonSchema)]
struct Sent {
    /// The message's id.
    id: MessageId,
    /// Its position in the room.
    seq: i64,
    /// The text as sent.
    text: String,
    /// When it was stored.
    created_at: DateTime<Utc>,
    /// For texts: `pending` until Twilio takes it.
    #[serde(skip_serializing_if = "Option::is_none")]
    delivery_status: Option<String>,
}

/// Body of `POST /v1/rooms/{id}/alarm`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct Alarm {
    /// When the alarm goes off (RFC 3339, in the future); `null` clears it.
    #[serde(deserialize_with = "present")]
    #[schemars(with = "Option<DateTime<Utc>>", required)]
    at: Option<DateTime<Utc>>,
}

/// Requires the field while allowing `null`.
fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<DateTime<Utc>>, D::Error> {
    Option::<DateTime<Utc>>::deserialize(d)
}

/// Body of `POST /v1/rooms/{id}/transfer`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct Transfer {
    /// The counselor to give the room to.
    to: AccountId,
}

/// Body of `POST /v1/rooms/{id}/wrap-up`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct WrapUpBody {
    /// Consultation category (1–100 printable characters, not blank; stored trimmed).
    #[schemars(length(max = MAX_CATEGORY_CHARS), regex(pattern = crate::text::LINE_PATTERN))]
    category: String,
    /// Free note (up to 2000 characters).
    #[serde(default)]
    #[schemars(length(max = MAX_NOTE_CHARS))]
    note: String,
}

fn local_date(name: &str, value: Option<String>) -> ApiResult<Option<NaiveDate>> {
    value
        .map(|v| {
            crate::clock::parse_date(&v).ok_or_else(|| {
                ApiError::new(
                    axum::http::StatusCode::BAD_REQUEST,
                    "invalid_query",
                    format!("{name}: {v:?} is not a date YYYY-MM-DD"),
                )
            })
        })
        .transpose()
}

async fn list(State(s): State<AppState>, op: Operator, ApiQuery(q): ApiQuery<ListQuery>) -> ApiResult<Json<RoomList>> {
    let filter = ListFilter {
        tab: q.status.unwrap_or(Tab::Waiting),
        search: q.q.map(|term| (q.field.unwrap_or_default(), term)),
        grade: q.grade,
        flagged: q.flag.unwrap_or(false),
        sort: q.sort.unwrap_or_default(),
        limit: q.limit.unwrap_or(50),
        after: q.after,
        from: local_date("from", q.from)?,
        to: local_date("to", q.to)?,
    };
    Ok(Json(RoomList { rooms: s.counselors().list(&op.principal, filter).await? }))
}

async fn detail(
    State(s): State<AppState>,
    op: Operator,
    ApiPath(p): ApiPath<IdPath<RoomId>>,
) -> ApiResult<Json<RoomDetail>> {
    Ok(Json(s.counselors().detail(&op.principal, p.id).await?))
}

async fn counts(State(s): State<AppState>, op: Operator) -> ApiResult<Json<RoomCounts>> {
    Ok(Json(s.counselors().counts(&op.principal).await?))
}

async fn transfer_targets(State(s): State<AppState>, op: Operator) -> ApiResult<Json<TransferTargets>> {
    Ok(Json(TransferTargets { accounts: s.counselors().transfer_targets(&op.principal).await? }))
}

async fn receive(
    State(s): State<AppState>,
    op: Operator,
    ApiPath(p): ApiPath<IdPath<RoomId>>,
) -> ApiResult<Json<Room>> {
    Ok(Json(s.counselors().receive(&op.principal, p.id).await?))
}

async fn reply(
    State(s): State<AppState>,
    op: Operator,
    ApiPath(p): ApiPath<IdPath<RoomId>>,
    ApiJson(body): ApiJson<Reply>,
) -> ApiResult<Created<Sent>> {
    let m = s.counselors().reply(&op.principal, p.id, &body.text, body.client_message_id).await?;
    Ok(Created(Sent {
        id: m.id,
        seq: m.seq,
        text: m.text,
        created_at: m.created_at,
        delivery_status: m.delivery_status,
    }))
}

async fn close(State(s): State<AppState>, op: Operator, ApiPath(p): ApiPath<IdPath<RoomId>>) -> ApiResult<Json<Room>> {
    Ok(Json(s.counselors().close(&op.principal, p.id).await?))
}

async fn hold(State(s): State<AppState>, op: Operator, ApiPath(p): ApiPath<IdPath<RoomId>>) -> ApiResult<Json<Room>> {
    Ok(Json(s.counselors().hold(&op.principal, p.id, true).await?))
}

async fn unhold(State(s): State<AppState>, op: Operator, ApiPath(p): ApiPath<IdPath<RoomId>>) -> ApiResult<Json<Room>> {
    Ok(Json(s.counselors().hold(&op.principal, p.id, false).await?))
}

async fn alarm(
    State(s): State<AppState>,
    op: Operator,
    ApiPath(p): ApiPath<IdPath<RoomId>>,
    ApiJson(body): ApiJson<Alarm>,
) -> ApiResult<Json<Room>> {
    Ok(Json(s.counselors().alarm(&op.principal, p.id, body.at).await?))
}

async fn transfer(
    State(s): State<AppState>,
    op: Operator,
    ApiPath(p): ApiPath<IdPath<RoomId>>,
    ApiJson(body): ApiJson<Transfer>,
) -> ApiResult<Json<Room>> {
    Ok(Json(s.counselors().transfer(&op.principal, p.id, body.to).await?))
}

async fn wrap_up(
    State(s): State<AppState>,
    op: Operator,
    ApiPath(p): ApiPath<IdPath<RoomId>>,
    ApiJson(body): ApiJson<WrapUpBody>,
) -> ApiResult<Json<Room>> {
    Ok(Json(s.counselors().wrap_up(&op.principal, p.id, &body.category, &body.note).await?))
}

async fn edit(
    State(s): State<AppState>,
    op: Operator,
    ApiPath(p): ApiPath<IdPath<RoomId>>,
    ApiJson(body): ApiJson<RoomPatch>,
) -> ApiResult<Json<Room>> {
    Ok(Json(s.counselors().edit(&op.principal, p.id, body).await?))
}

/// Documents a room action by its summary.
fn action(summary: &'static str) -> impl FnOnce(TransformOperation<'_>) -> TransformOperation<'_> {
    move |op| op.tag("rooms").summary(summary)
}

/// The room queue routes.
pub fn routes() -> ApiRouter<AppState> {
    ApiRouter::new()
        .api_route(
            "/v1/rooms",
            get_with(list, |op| {
                let op = refusal::<400>(
                    op,
                    "`invalid_query`: `from` or `to` on a tab other than `closed`, `to` before `from` (today by \
                     default), or a wider window than the history search allows",
                );
                op.tag("rooms").summary("One tab of the room list, as far as the caller may see").description(
                    "The admin sees every room; a manager the waiting list, rooms with the AI agent, their own \
                     rooms and their agents'; an agent the waiting list and their own rooms. `status` defaults to \
                     `waiting`; the closed tab shows today's closes (workspace time zone) unless `from`/`to` \
                     search the history. A content search returns each room's matching messages with the \
                     character ranges to highlight.",
                )
            }),
        )
        .api_route(
            "/v1/rooms/counts",
            get_with(counts, |op| {
                op.tag("rooms").summary("The numbers on the tabs; hold and alarm are counted in addition to the status")
            }),
        )
        .api_route(
            "/v1/rooms/transfer-targets",
            get_with(transfer_targets, |op| {
                op.tag("rooms").summary("The counselors the caller may give rooms to").description(
                    "For an agent: their manager and the other agents of that manager (across groups only the \
                     group's manager may transfer). For a manager or the admin: every certified account but \
                     themselves. Sorted by name.",
                )
            }),
        )
        .api_route(
            "/v1/rooms/{id}",
            get_with(detail, |op| op.tag("rooms").summary("One room with its last 200 messages and its history"))
                .patch_with(edit, |op| {
                    op.tag("rooms").summary("Change the room's tags and flag, the customer's grade and tags")
                }),
        )
        .api_route(
            "/v1/rooms/{id}/receive",
            post_with(receive, action("Take a waiting room (409 when someone else took it first)")),
        )
        .api_route(
            "/v1/rooms/{id}/messages",
            post_with(reply, action("Reply to the customer (webchat stream or SMS); the room becomes answered")),
        )
        .api_route(
            "/v1/rooms/{id}/close",
            post_with(close, action("Close the room (close type counselor, or manager for someone else's room)")),
        )
        .api_route("/v1/rooms/{id}/hold", post_with(hold, action("Hold the room: it is never auto-closed")))
        .api_route("/v1/rooms/{id}/unhold", post_with(unhold, action("Release the room's hold")))
        .api_route(
            "/v1/rooms/{id}/alarm",
            post_with(alarm, |op| {
                let op = action("Set the room's alarm `{\"at\": RFC 3339}` in the future; `null` clears it")(op);
                refusal::<422>(op, "`invalid_body`: `at` is not in the future, or more than 366 days ahead")
            }),
        )
        .api_route(
            "/v1/rooms/{id}/transfer",
            post_with(transfer, |op| {
                let op = refusal::<422>(
                    op,
                    "`invalid_body`: `to` names no account of this workspace, or a deleted or uncertified one",
                );
                op.tag("rooms").summary("Give the room to another counselor").description(
                    "An agent may give a room to their manager or an agent of the same manager; across groups \
                     only the group's manager (or the admin) may transfer (403). A waiting room given by a manager \
                     or the admin is assigned.",
                )
            }),
        )
        .api_route(
            "/v1/rooms/{id}/wrap-up",
            post_with(wrap_up, action("Wrap up a closed room (category, note): it counts as processed")),
        )
}
