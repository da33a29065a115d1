//! Routes: the counselor queue's settings (distribution, auto-close) and counselors' days.

use aide::axum::ApiRouter;
use aide::axum::routing::{get_with, put_with};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::NaiveDate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::error::{ApiError, refusal};
use super::extract::{ApiJson, ApiPath, ApiQuery, Operator};
use super::{ApiResult, AppState, IdPath};
use crate::ids::AccountId;
use crate::rooms::autoclose::AutoCloseSettings;
use crate::rooms::counselor::settings::{AutoClosePatch, DayPlan, DistributionPatch, DistributionView};
use crate::rooms::distribution::CounselorDay;

#[derive(Deserialize, JsonSchema)]
struct DayPath {
    /// The counselor's account id.
    id: AccountId,
    /// The local date, `YYYY-MM-DD`.
    #[schemars(with = "NaiveDate")]
    date: String,
}

/// `GET /v1/accounts/{id}/days` parameters.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct DaysQuery {
    /// First local date, `YYYY-MM-DD` (default today).
    #[schemars(with = "Option<NaiveDate>")]
    from: Option<String>,
    /// Last local date, `YYYY-MM-DD` (default 30 days after `from`).
    #[schemars(with = "Option<NaiveDate>")]
    to: Option<String>,
}

/// A counselor's plans, by date.
#[derive(Serialize, JsonSchema)]
struct DayList {
    days: Vec<CounselorDay>,
}

fn date(name: &str, value: &str, status: StatusCode, code: &'static str) -> ApiResult<NaiveDate> {
    crate::clock::parse_date(value)
        .ok_or_else(|| ApiError::new(status, code, format!("{name}: {value:?} is not a date YYYY-MM-DD")))
}

fn query_date(name: &str, value: Option<String>) -> ApiResult<Option<NaiveDate>> {
    value.map(|v| date(name, &v, StatusCode::BAD_REQUEST, "invalid_query")).transpose()
}

async fn distribution(State(s): State<AppState>, op: Operator) -> ApiResult<Json<DistributionView>> {
    Ok(Json(s.counselors().distribution(&op.principal).await?))
}

async fn set_distribution(
    State(s): State<AppState>,
    op: Operator,
    ApiJson(body): ApiJson<DistributionPatch>,
) -> ApiResult<Json<DistributionView>> {
    Ok(Json(s.counselors().set_distribution(&op.principal, body).await?))
}

async fn auto_close(State(s): State<AppState>, op: Operator) -> ApiResult<Json<AutoCloseSettings>> {
    Ok(Json(s.counselors().auto_close(&op.principal).await?))
}

async fn set_auto_close(
    State(s): State<AppState>,
    op: Operator,
    ApiJson(body): ApiJson<AutoClosePatch>,
) -> ApiResult<Json<AutoCloseSettings>> {
    Ok(Json(s.counselors().set_auto_close(&op.principal, body).await?))
}

async fn days(
    State(s): State<AppState>,
    op: Operator,
    ApiPath(p): ApiPath<IdPath<AccountId>>,
    ApiQuery(q): ApiQuery<DaysQuery>,
) -> ApiResult<Json<DayList>> {
    let (from, to) = (query_date("from", q.from)?, query_date("to", q.to)?);
    Ok(Json(DayList { days: s.counselors().days(&op.principal, p.id, from, to).await? }))
}

async fn set_day(
    State(s): State<AppState>,
    op: Operator,
    ApiPath(p): ApiPath<DayPath>,
    ApiJson(body): ApiJson<DayPlan>,
) -> ApiResult<Json<CounselorDay>> {
    let day = date("date", &p.date, StatusCode::BAD_REQUEST, "invalid_path")?;
    Ok(Json(s.counselors().set_day(&op.principal, p.id, day, body).await?))
}

async fn delete_day(
    State(s): State<AppState>,
    op: Operator,
    ApiPath(p): ApiPath<DayPath>,
) -> ApiResult<axum::response::NoContent> {
    let day = date("date", &p.date, StatusCode::BAD_REQUEST, "invalid_path")?;
    s.counselors().delete_day(&op.principal, p.id, day).await?;
    Ok(axum::response::NoContent)
}

/// The queue settings routes.
pub fn routes() -> ApiRouter<AppState> {
    ApiRouter::new()
        .api_route(
            "/v1/settings/distribution",
            get_with(distribution, |op| {
                op.tag("rooms").summary("How rooms entering the queue are distributed (admin, managers)")
            })
            .patch_with(set_distribution, |op| {
                let op =
                    op.tag("rooms").summary("Change distribution: method, working hours, days off, time zone (admin)");
                refusal::<422>(
                    op,
                    "`invalid_body`: a span that does not end after it starts, or spans of a day that overlap",
                )
            }),
        )
        .api_route(
            "/v1/settings/auto-close",
            get_with(auto_close, |op| op.tag("rooms").summary("The auto-close rules (admin, managers)")).patch_with(
                set_auto_close,
                |op| {
                    op.tag("rooms").summary("Change auto-close (admin)").description(
                        "`enabled` and `wait_minutes` close rooms whose customer stayed silent; \
                         `counselor_delay_days` (1-6, `null` off) closes rooms the counselors left unanswered, \
                         for rooms whose last customer message is within 7 days of the moment it was switched on \
                         (`counselor_delay_since`). Held rooms are never closed.",
                    )
                },
            ),
        )
        .api_route(
            "/v1/accounts/{id}/days",
            get_with(days, |op| {
                let op = op
                    .tag("rooms")
                    .summary("A counselor's planned days: unavailable dates and breaks (admin, managers)");
                refusal::<400>(op, "`invalid_query`: `to` before `from` (today by default), or more than 366 days")
            }),
        )
        .api_route(
            "/v1/accounts/{id}/days/{date}",
            put_with(set_day, |op| {
                let op = op.tag("rooms").summary("Plan a counselor's day: `{available, breaks:[{start,end}]}`");
                refusal::<422>(
                    op,
                    "`invalid_body`: a break that does not end after it starts, breaks that overlap, or breaks on \
                     an unavailable day",
                )
            })
            .delete_with(delete_day, |op| {
                op.tag("rooms").summary("Remove a day's plan: an ordinary working day again")
            }),
        )
}
