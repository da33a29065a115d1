//! The shape of `handoff/<name>.toml` as serde reads it, and what a loaded adapter compiles to.
//! Unknown keys are refused everywhere, and the strings that are checked after parsing keep
//! their position in the file, so a problem found later can still name its line.

use std::collections::BTreeMap;

use handlebars::Handlebars;
use reqwest::Method;
use serde::Deserialize;
use toml::Spanned;

use super::FieldKind;

/// A string with its place in the file.
pub(super) type Text = Spanned<String>;

/// The whole file.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Spec {
    /// Display name.
    pub title: String,
    /// The settings an integration gives.
    pub fields: Vec<FieldSpec>,
    /// How requests authenticate; none when left out.
    pub auth: Option<AuthSpec>,
    /// Creating a ticket.
    pub create: CreateSpec,
    /// Where error answers carry the helpdesk's words; a generic guess when left out.
    pub errors: Option<ErrorsSpec>,
    /// Statuses worth another try; 408, 409, 429, 500, 502, 503, 504 when left out.
    pub retry: Option<RetrySpec>,
    /// Finding a ticket an earlier attempt made.
    pub lookup: Option<LookupSpec>,
    /// Checking the credentials.
    pub verify: VerifySpec,
    /// Signing every request with a secret setting.
    pub signing: Option<SigningSpec>,
}

/// `[[fields]]`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FieldSpec {
    /// The setting's name, as templates and the API see it.
    pub name: Text,
    /// How it is validated.
    pub kind: FieldKind,
    /// Write-only and kept out of every template but `[auth]`.
    #[serde(default)]
    pub secret: bool,
    /// A value to show operators and to try templates with.
    pub example: Option<String>,
}

/// `[auth]`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct AuthSpec {
    /// `basic`, `bearer` or `none`.
    pub scheme: Text,
    /// Basic: the user name template.
    pub username: Option<Text>,
    /// Basic: the password template.
    pub password: Option<Text>,
    /// Bearer: the token template.
    pub token: Option<Text>,
}

/// `[create]`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct CreateSpec {
    /// Usually POST.
    pub method: Text,
    /// The endpoint template.
    pub url: Text,
    /// Extra headers, name to template.
    #[serde(default)]
    pub headers: BTreeMap<String, Text>,
    /// Query parameters, name to template.
    #[serde(default)]
    pub query: BTreeMap<String, Text>,
    /// The body template's file name, in the same folder.
    pub body: Text,
    /// The header that carries the handoff id, when the helpdesk de-duplicates by one.
    pub idempotency_header: Option<Text>,
    /// Reading the answer.
    pub response: ResponseSpec,
}

/// `[create.response]`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ResponseSpec {
    /// JSON pointers to the new ticket's id.
    #[serde(default)]
    pub ticket_id: Vec<Text>,
    /// The agent-facing link, over the readable settings and `ticket_id`.
    pub ticket_url: Option<Text>,
    /// JSON pointers to a link the answer gives.
    #[serde(default)]
    pub ticket_url_at: Vec<Text>,
    /// A 2xx without an id still counts as delivered.
    #[serde(default)]
    pub id_optional: bool,
}

/// `[lookup]`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct LookupSpec {
    /// Usually GET.
    pub method: Text,
    /// The search endpoint template.
    pub url: Text,
    /// Extra headers, name to template.
    #[serde(default)]
    pub headers: BTreeMap<String, Text>,
    /// Query parameters, name to template (they see `key`).
    #[serde(default)]
    pub query: BTreeMap<String, Text>,
    /// JSON pointers to a found ticket's id.
    pub ticket_id: Vec<Text>,
}

/// `[verify]`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct VerifySpec {
    /// GET for most helpdesks, POST for a webhook ping.
    pub method: Text,
    /// The endpoint template.
    pub url: Text,
    /// Extra headers, name to template.
    #[serde(default)]
    pub headers: BTreeMap<String, Text>,
    /// Query parameters, name to template.
    #[serde(default)]
    pub query: BTreeMap<String, Text>,
    /// A JSON body template (it sees `now`).
    pub body: Option<Text>,
    /// Plain words when the credentials work.
    pub verified: Text,
    /// What a 2xx answer must contain to count.
    #[serde(default)]
    pub require: Vec<RequireSpec>,
    /// Plain words for statuses that mean no.
    #[serde(default)]
    pub reject: Vec<RejectSpec>,
}

/// `[[verify.require]]`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RequireSpec {
    /// A JSON pointer that must lead to a non-null value.
    pub pointer: Text,
    /// When given, the value must be one of these strings.
    #[serde(default)]
    pub one_of: Vec<String>,
    /// The reason code when it does not.
    pub reason: Text,
    /// Plain words when it does not.
    pub detail: Text,
}

/// `[[verify.reject]]`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RejectSpec {
    /// A 3xx or 4xx status.
    pub status: Spanned<u16>,
    /// Its reason code.
    pub reason: Text,
    /// Plain words for it.
    pub detail: Text,
}

/// `[errors]`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ErrorsSpec {
    /// JSON pointers whose strings are all collected.
    #[serde(default)]
    pub at: Vec<Text>,
    /// JSON pointers read only when `at` found nothing.
    #[serde(default)]
    pub fallback: Vec<Text>,
}

/// `[retry]`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RetrySpec {
    /// Statuses worth another try (every 5xx is, regardless).
    pub statuses: Spanned<Vec<u16>>,
}

/// `[signing]`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct SigningSpec {
    /// The secret field that keys the HMAC.
    pub secret: Text,
    /// The header for the unix time.
    pub timestamp_header: Text,
    /// The header for `v1=<hex>`.
    pub signature_header: Text,
}

/// A loaded adapter's compiled templates and rules.
#[derive(Debug)]
pub(super) struct Compiled {
    /// Every template of the adapter, by the names the plans use.
    pub templates: Handlebars<'static>,
    /// How requests authenticate.
    pub auth: AuthPlan,
    /// The ticket-creation request; its body template is `create.body`.
    pub create: Plan,
    /// The header carrying the handoff id, for helpdesks that de-duplicate by it.
    pub idempotency_header: Option<String>,
    /// Where a creation answer says which ticket it made.
    pub response: ResponsePlan,
    /// How to find a ticket an earlier attempt made, for helpdesks without idempotency.
    pub lookup: Option<LookupPlan>,
    /// The credential check.
    pub verify: VerifyPlan,
    /// Where an error answer carries the helpdesk's words.
    pub errors: ErrorsPlan,
    /// Statuses worth another try besides 5xx.
    pub retry: Vec<u16>,
    /// Request signing, for receivers that must tell our requests from others.
    pub signing: Option<SigningPlan>,
    /// Example values by field, for messages about missing settings.
    pub examples: BTreeMap<String, String>,
}

/// How requests authenticate; the templates are `auth.username`, `auth.password`, `auth.token`.
#[derive(Debug)]
pub(super) enum AuthPlan {
    None,
    Basic,
    Bearer,
}

/// One request: the method and the names of its templates.
#[derive(Debug)]
pub(super) struct Plan {
    /// GET, POST, PUT or PATCH.
    pub method: Method,
    /// The URL template's name.
    pub url: String,
    /// Header name and template name.
    pub headers: Vec<(String, String)>,
    /// Query parameter and template name; values are encoded when the URL is built.
    pub query: Vec<(String, String)>,
    /// The JSON body template's name, if the request has a body.
    pub body: Option<String>,
}

/// Reading a creation answer.
#[derive(Debug)]
pub(super) struct ResponsePlan {
    /// JSON pointers to the ticket id, the first found wins.
    pub ticket_id: Vec<String>,
    /// Whether the `create.ticket_url` template exists.
    pub ticket_url: bool,
    /// JSON pointers to a link the answer gives itself (preferred over the template).
    pub ticket_url_at: Vec<String>,
    /// A 2xx without an id is still a delivery (the handoff id stands in).
    pub id_optional: bool,
}

/// Finding an earlier attempt's ticket.
#[derive(Debug)]
pub(super) struct LookupPlan {
    /// The search request.
    pub plan: Plan,
    /// JSON pointers to a found ticket's id; none found means there is none.
    pub ticket_id: Vec<String>,
}

/// The credential check.
#[derive(Debug)]
pub(super) struct VerifyPlan {
    /// The request.
    pub plan: Plan,
    /// Pointer, accepted values (empty: any non-null), reason; the detail template is `verify.require.<i>`.
    pub require: Vec<(String, Vec<String>, String)>,
    /// Status → reason; the detail template is `verify.reject.<status>`.
    pub reject: BTreeMap<u16, String>,
}

/// Where error answers carry the helpdesk's words.
#[derive(Debug)]
pub(super) struct ErrorsPlan {
    /// Pointers read together.
    pub at: Vec<String>,
    /// Pointers read only when `at` found nothing (fields that are often bare codes).
    pub fallback: Vec<String>,
}

/// Request signing.
#[derive(Debug)]
pub(super) struct SigningPlan {
    /// The secret field that keys the HMAC.
    pub secret: String,
    /// The header carrying the signed unix time.
    pub timestamp_header: String,
    /// The header carrying `v1=<hex>`.
    pub signature_header: String,
}
