//! Routes: login, logout, accounts.

use aide::axum::ApiRouter;
use aide::axum::routing::{get_with, post_with};
use axum::Json;
use axum::extract::State;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use aide::OperationOutput;
use aide::generate::GenContext;
use aide::openapi::{Operation, Response as DocResponse};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::error::{ApiError, refusal};
use super::extract::{ApiJson, ApiPath, Operator, ReaderLocale};
use super::{ApiResult, AppState, Created, IdPath};
use crate::accounts::auth::ClientAddress;
use crate::accounts::service::{AccountError, Credentials};
use crate::accounts::throttle::whole_seconds;
use crate::accounts::{Account, AccountPatch, NewAccount, service};
use crate::ids::{AccountId, WorkspaceId};
use crate::locale::Locale;
use crate::secret::Secret;

/// Body of `POST /v1/auth/login`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct Login {
    /// Login name; compared without regard to case.
    login: String,
    /// Password.
    password: String,
    /// The workspace's id. Needed only when the login exists in more than one workspace; without
    /// it such a login is refused like a wrong password.
    #[serde(default)]
    workspace: Option<WorkspaceId>,
}

/// An account error as the API answers it: in the reader's language where the message is meant
/// for a person (password rules, throttling), with `Retry-After` on 429 and 503.
struct Refusal {
    error: ApiError,
    retry_after: Option<u64>,
}

type AccountsResult<T> = Result<T, Refusal>;

impl Refusal {
    fn new(e: AccountError, locale: Locale) -> Self {
        let (status, code, message, retry_after) = match &e {
            AccountError::WeakPassword(w) => {
                (StatusCode::UNPROCESSABLE_ENTITY, "weak_password", w.message(locale), None)
            }
            AccountError::TooManyAttempts(t) => {
                let secs = whole_seconds(t.retry_after).max(1);
                let message = match locale {
                    Locale::Ko => format!("로그인 시도가 너무 많습니다. {secs}초 뒤에 다시 시도해 주세요"),
                    Locale::En => e.to_string(),
                };
                (StatusCode::TOO_MANY_REQUESTS, "too_many_attempts", message, Some(secs))
            }
            AccountError::Busy(_) => (StatusCode::SERVICE_UNAVAILABLE, "busy", e.to_string(), Some(1)),
            _ => return Refusal { error: ApiError::from(e), retry_after: None },
        };
        Refusal { error: ApiError::new(status, code, message), retry_after }
    }
}

impl From<ApiError> for Refusal {
    fn from(error: ApiError) -> Self {
        Refusal { error, retry_after: None }
    }
}

impl From<crate::store::StoreError> for Refusal {
    fn from(e: crate::store::StoreError) -> Self {
        ApiError::from(e).into()
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let mut response = self.error.into_response();
        if let Some(secs) = self.retry_after {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}

impl OperationOutput for Refusal {
    type Inner = <ApiError as OperationOutput>::Inner;

    fn operation_response(ctx: &mut GenContext, operation: &mut Operation) -> Option<DocResponse> {
        ApiError::operation_response(ctx, operation)
    }

    fn inferred_responses(ctx: &mut GenContext, operation: &mut Operation) -> Vec<(Option<u16>, DocResponse)> {
        ApiError::inferred_responses(ctx, operation)
    }
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

async fn login(
    State(s): State<AppState>,
    from: ClientAddress,
    ReaderLocale(locale): ReaderLocale,
    ApiJson(body): ApiJson<Login>,
) -> AccountsResult<Json<Token>> {
    let credentials =
        Credentials { login: body.login, workspace: body.workspace, password: Secret::new(body.password) };
    let (token, account) = service::login(s.store.as_ref(), s.clock.as_ref(), &s.auth, credentials, from)
        .await
        .map_err(|e| Refusal::new(e, locale))?;
    Ok(Json(Token { token: token.expose().to_owned(), account }))
}

async fn logout(State(s): State<AppState>, op: Operator) -> AccountsResult<axum::response::NoContent> {
    service::logout(s.store.as_ref(), &op.token).await.map_err(|e| Refusal::new(e, Locale::En))?;
    Ok(axum::response::NoContent)
}

async fn me(State(s): State<AppState>, op: Operator) -> AccountsResult<Json<Account>> {
    Ok(Json(s.store.account(op.principal.workspace_id, op.principal.account_id).await?))
}

async fn create(
    State(s): State<AppState>,
    op: Operator,
    ReaderLocale(locale): ReaderLocale,
    ApiJson(body): ApiJson<NewAccount>,
) -> AccountsResult<Created<CreatedId>> {
    let account = service::create(s.store.as_ref(), s.clock.as_ref(), &s.auth, &op.principal, body)
        .await
        .map_err(|e| Refusal::new(e, locale))?;
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
    ReaderLocale(locale): ReaderLocale,
    ApiPath(p): ApiPath<IdPath<AccountId>>,
    ApiJson(body): ApiJson<AccountPatch>,
) -> AccountsResult<Json<Account>> {
    let account = service::update(s.store.as_ref(), &s.auth, &op.principal, &op.token, p.id, body)
        .await
        .map_err(|e| Refusal::new(e, locale))?;
    Ok(Json(account))
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
                op.tag("accounts")
                    .summary("Log in with a login and password; returns a bearer token")
                    .description(
                        "Logins are compared without regard to case and are unique within a workspace; name \
                         the `workspace` when the login exists in several. Failed attempts are throttled per \
                         login and per client address: 429 `too_many_attempts` with `Retry-After`. 503 `busy` \
                         with `Retry-After` when too many passwords are being checked at once. Tokens stop \
                         working after a spell without use and after a maximum age (see the README).",
                    )
                    .response_with::<429, Json<super::error::ErrorBody>, _>(|r| {
                        r.description("Too many attempts; wait `Retry-After` seconds")
                    })
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
                let op =
                    op.tag("accounts").summary("Register a manager or agent (admin); starts uncertified").description(
                        "409 `login_taken` when this workspace already has the login in any case; other \
                     workspaces' logins do not matter. 422 `weak_password` (in the language of \
                     `Accept-Language`) when the password breaks the rules.",
                    );
                refusal::<422>(
                    op,
                    "`weak_password`: fewer than 4 different characters, the login inside it, or a common \
                     password; `invalid_account`: `manager_id` names no admin or manager of this workspace, or \
                     a manager is given one other than the admin",
                )
            })
            .get_with(list, |op| op.tag("accounts").summary("Accounts the caller may see")),
        )
        .api_route(
            "/v1/accounts/{id}",
            get_with(get, |op| op.tag("accounts").summary("One account"))
                .patch_with(update, |op| {
                    let op = refusal::<400>(
                        op,
                        "`current_password_required`: one's own password is changed without `current_password`",
                    );
                    let op = refusal::<422>(
                        op,
                        "`weak_password`, as at registration; `invalid_account`: the manager of an account that is \
                         not an agent, a `manager_id` that is no admin or manager, or a `role` other than the \
                         account's own",
                    );
                    op.tag("accounts").summary("Change name, password, counselling or manager").description(
                        "Changing one's own password needs `current_password` (400 `current_password_required`, \
                         403 `wrong_password`) and revokes the account's other tokens; the token making the \
                         call stays valid. An admin setting another account's password revokes all of its \
                         tokens. A password that breaks the rules is 422 `weak_password`, in the language of \
                         `Accept-Language` (Korean or English).",
                    )
                })
                .delete_with(delete, |op| {
                    let op = op.tag("accounts").summary("Delete an account holding no open rooms (admin)");
                    refusal::<422>(op, "`invalid_account`: the admin account cannot be deleted")
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
                let op =
                    op.tag("accounts").summary("Uncertify an account holding no open rooms; its tokens stop working");
                refusal::<422>(op, "`invalid_account`: the admin account cannot be uncertified")
            }),
        )
}
