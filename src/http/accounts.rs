//! Routes: login, logout, accounts.

use aide::axum::ApiRouter;
use aide::axum::routing::{get_with, post_with};
use axum::Json;
use axum::extract::State;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::extract::{ApiJson, ApiPath, Operator};
use super::{ApiResult, AppState, Created, IdPath};
use crate::accounts::{Account, AccountPatch, NewAccount, service};
use crate::ids::AccountId;
use crate::secret::Secret;

/// Body of `POST /v1/auth/login`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct Login {
    /// Login name.
    login: String,
    /// Password.
    password: String,
}

/// A new bearer token.
#[derive(Serialize, JsonSchema)]
struct Token {
    /// Send as `Authorization: Bearer <token>`.
    token: String,
    /// The account logged in.
    account: Account,
}

/// The id of a created record.
#[derive(Serialize, JsonSchema)]
pub(super) struct CreatedId {
    /// The new id.
    id: AccountId,
}

/// A list of accounts.
#[derive(Serialize, JsonSchema)]
struct AccountList {
    accounts: Vec<Account>,
}

async fn login(State(s): State<AppState>, ApiJson(body): ApiJson<Login>) -> ApiResult<Json<Token>> {
    let (token, account) =
        service::login(s.store.as_ref(), s.clock.as_ref(), &body.login, Secret::new(body.password)).await?;
    Ok(Json(Token { token: token.expose().to_owned(), account }))
}

async fn logout(State(s): State<AppState>, op: Operator) -> ApiResult<axum::response::NoContent> {
    service::logout(s.store.as_ref(), &op.token).await?;
    Ok(axum::response::NoContent)
}

async fn me(State(s): State<AppState>, op: Operator) -> ApiResult<Json<Account>> {
    Ok(Json(s.store.account(op.principal.workspace_id, op.principal.account_id).await?))
}

async fn create(
    State(s): State<AppState>,
    op: Operator,
    ApiJson(body): ApiJson<NewAccount>,
) -> ApiResult<Created<CreatedId>> {
    let account = service::create(s.store.as_ref(), s.clock.as_ref(), &op.principal, body).await?;
    Ok(Created(CreatedId { id: account.id }))
}

async fn list(State(s): State<AppState>, op: Operator) -> ApiResult<Json<AccountList>> {
    Ok(Json(AccountList { accounts: service::list(s.store.as_ref(), &op.principal).await? }))
}

async fn get(
    State(s): State<AppState>,
    op: Operator,
    ApiPath(p): ApiPath<IdPath<AccountId>>,
) -> ApiResult<Json<Account>> {
    Ok(Json(service::get(s.store.as_ref(), &op.principal, p.id).await?))
}

async fn update(
    State(s): State<AppState>,
    op: Operator,
    ApiPath(p): ApiPath<IdPath<AccountId>>,
    ApiJson(body): ApiJson<AccountPatch>,
) -> ApiResult<Json<Account>> {
    Ok(Json(service::update(s.store.as_ref(), &op.principal, p.id, body).await?))
}

async fn delete(
    State(s): State<AppState>,
    op: Operator,
    ApiPath(p): ApiPath<IdPath<AccountId>>,
) -> ApiResult<Json<Account>> {
    Ok(Json(service::delete(s.store.as_ref(), s.clock.as_ref(), &op.principal, p.id).await?))
}

async fn certify(
    State(s): State<AppState>,
    op: Operator,
    ApiPath(p): ApiPath<IdPath<AccountId>>,
) -> ApiResult<Json<Account>> {
    Ok(Json(service::certify(s.store.as_ref(), &op.principal, p.id).await?))
}

async fn uncertify(
    State(s): State<AppState>,
    op: Operator,
    ApiPath(p): ApiPath<IdPath<AccountId>>,
) -> ApiResult<Json<Account>> {
    Ok(Json(service::uncertify(s.store.as_ref(), &op.principal, p.id).await?))
}

/// The account routes.
pub fn routes() -> ApiRouter<AppState> {
    ApiRouter::new()
        .api_route(
            "/v1/auth/login",
            post_with(login, |op| {
                op.tag("accounts").summary("Log in with a login and password; returns a bearer token")
            }),
        )
        .api_route(
            "/v1/auth/logout",
            post_with(logout, |op| op.tag("accounts").summary("Revoke the token used for this request")),
        )
        .api_route("/v1/me", get_with(me, |op| op.tag("accounts").summary("The calling account")))
        .api_route(
            "/v1/accounts",
            post_with(create, |op| {
                op.tag("accounts").summary("Register a manager or agent (admin); starts uncertified")
            })
            .get_with(list, |op| op.tag("accounts").summary("Accounts the caller may see")),
        )
        .api_route(
            "/v1/accounts/{id}",
            get_with(get, |op| op.tag("accounts").summary("One account"))
                .patch_with(update, |op| op.tag("accounts").summary("Change name, password, counselling or manager"))
                .delete_with(delete, |op| {
                    op.tag("accounts").summary("Delete an account holding no open rooms (admin)")
                }),
        )
        .api_route(
            "/v1/accounts/{id}/certify",
            post_with(certify, |op| {
                op.tag("accounts").summary("Certify an account so it can log in; 409 past the seat count")
            }),
        )
        .api_route(
            "/v1/accounts/{id}/uncertify",
            post_with(uncertify, |op| {
                op.tag("accounts").summary("Uncertify an account holding no open rooms; its tokens stop working")
            }),
        )
}
