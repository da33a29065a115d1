//! Helpdesk adapters declared as data: `handoff/<name>.toml` and its body template.
//!
//! Adding a helpdesk is a new pair of files, not Rust. The TOML says:
//!
//! - `title` and the integration's settings (`[[fields]]`: `name`, `kind` = `url`|`email`|`text`,
//!   `secret`, optional `example`);
//! - `[auth]`: `scheme` = `basic` (with `username` and `password` templates), `bearer` (`token`)
//!   or `none`;
//! - `[create]`: `method`, `url`, `headers`, `query`, `body` (the name of a handlebars file in
//!   the same folder that renders JSON), `idempotency_header`, and `[create.response]`: where the
//!   ticket id is (`ticket_id`, JSON pointers, the first found wins), the agent-facing link
//!   (`ticket_url` template, or `ticket_url_at` pointers into the answer) and `id_optional`;
//! - `[errors]`: JSON pointers to the helpdesk's own words in an error answer (`at`, all
//!   collected; `fallback`, read only when `at` found nothing);
//! - `[retry]`: the statuses worth trying again (every 5xx is, whatever the list says);
//! - `[lookup]` (optional): how to find a ticket this handoff created earlier;
//! - `[verify]`: a request that checks the credentials, what a good answer must contain
//!   (`[[verify.require]]`) and plain words for the statuses that mean no (`[[verify.reject]]`);
//! - `[signing]` (optional): HMAC-SHA256 request signing keyed by a secret setting.
//!
//! URL, header, query and message templates see the readable settings at top level (plus `key`
//! where a request concerns one ticket, `ticket_id` in `ticket_url`); auth templates also see
//! the secret ones. The body template sees the ticket's fields at top level, the whole ticket as
//! `draft`, and the readable settings as `settings`, never secrets. Templates run in strict mode
//! with HTML escaping off; `{{json value}}` writes any value JSON-encoded and `{{#json}}…{{/json}}`
//! writes its rendered, trimmed content as one JSON string, so customer text cannot break the
//! JSON. Everything is compiled and tried against sample tickets at start-up, and a problem is
//! reported as `handoff/<name>.toml:<line>: …`.

#[path = "adapter_load.rs"]
mod load;
#[path = "adapter_response.rs"]
mod response;
#[path = "adapter_settings.rs"]
mod settings;
#[path = "adapter_spec.rs"]
mod spec;
#[path = "adapter_template.rs"]
mod template;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};
use reqwest::{Method, Url};
use serde::{Deserialize, Serialize};

use super::{HelpdeskIntegration, TicketDraft};
pub(crate) use response::Judgement;
use spec::{AuthPlan, Compiled, Plan};

/// Why the adapters could not be loaded or a request rendered; names the file and line.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct AdapterError(pub String);

/// The loaded adapters, by name.
#[derive(Debug, Clone, Default)]
pub struct Adapters {
    by_name: BTreeMap<String, Adapter>,
}

impl Adapters {
    /// Loads every `*.toml` of `dir` with its body template.
    pub fn load(dir: &Path) -> Result<Self, AdapterError> {
        let entries = std::fs::read_dir(dir)
            .map_err(|e| AdapterError(format!("{}: cannot read the adapters folder: {e}", dir.display())))?;
        let mut paths = Vec::new();
        for entry in entries {
            let path = entry.map_err(|e| AdapterError(format!("{}: {e}", dir.display())))?.path();
            if path.extension().is_some_and(|ext| ext == "toml") {
                paths.push(path);
            }
        }
        paths.sort();
        let mut by_name = BTreeMap::new();
        for path in paths {
            let adapter = load::adapter(dir, &path)?;
            by_name.insert(adapter.name.clone(), adapter);
        }
        if by_name.is_empty() {
            return Err(AdapterError(format!("{}: no adapters found (expected <name>.toml files)", dir.display())));
        }
        Ok(Self { by_name })
    }

    /// One adapter.
    pub fn get(&self, name: &str) -> Option<&Adapter> {
        self.by_name.get(name)
    }

    /// The adapters' names, sorted.
    pub fn names(&self) -> Vec<&str> {
        self.by_name.keys().map(String::as_str).collect()
    }
}

/// One helpdesk adapter.
#[derive(Debug, Clone)]
pub struct Adapter {
    /// `zendesk`, `freshdesk`, …: the file name and the `{name}` of `/v1/helpdesks/{name}`.
    pub name: String,
    /// Display name: "Zendesk".
    pub title: String,
    /// The settings an integration gives.
    pub fields: Vec<Field>,
    /// The helpdesk de-duplicates by an idempotency header.
    pub idempotent: bool,
    /// The adapter can ask the helpdesk for a ticket an earlier attempt created (`[lookup]`),
    /// which is how helpdesks without an idempotency key avoid duplicates after a timeout.
    pub can_look_up: bool,
    compiled: Arc<Compiled>,
}

/// One setting of an integration.
#[derive(Debug, Clone, Serialize)]
pub struct Field {
    /// Its name in the `PUT /v1/helpdesks/{name}` body.
    pub name: String,
    /// Write-only: stored apart, never returned or logged.
    pub secret: bool,
    /// How it is validated: `url`, `email` or `text`.
    pub kind: FieldKind,
}

/// How a setting is validated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldKind {
    /// An `https://` URL (`http://` only for loopback hosts); stored without a trailing slash.
    Url,
    /// An email address.
    Email,
    /// Any non-empty text.
    Text,
}

/// A request as it would be sent, with secrets replaced by `***` (preview and simulate show it).
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct RenderedRequest {
    /// `POST`.
    pub method: String,
    /// The endpoint.
    pub url: String,
    /// Headers, secrets redacted.
    pub headers: Vec<(String, String)>,
    /// The JSON body.
    pub body: serde_json::Value,
}

/// A request ready to send: real header values, so it is neither `Debug` nor logged.
pub(crate) struct Outgoing {
    /// The HTTP method.
    pub method: Method,
    /// The endpoint, query included.
    pub url: Url,
    /// Name, value, and whether the value is secret (shown as `***` in previews).
    pub headers: Vec<(String, String, bool)>,
    /// The exact JSON bytes to send (and that a signature covers), if the request has a body.
    pub body: Option<Vec<u8>>,
}

impl Adapter {
    /// Checks an integration's settings: every declared field present and valid, nothing else.
    /// Returns the normalised values, or the field at fault and what is wrong with it.
    pub fn check_settings(
        &self,
        values: &BTreeMap<String, String>,
    ) -> Result<BTreeMap<String, String>, (String, String)> {
        settings::check(self, values)
    }

    /// Where requests go with these readable settings: the create, lookup and verify URLs as
    /// rendered (a setting that is missing renders nothing). When a change of settings changes
    /// these, stored secrets would travel to a new address.
    pub fn addresses(&self, config: &BTreeMap<String, String>) -> Vec<String> {
        let readable: BTreeMap<String, String> = self
            .fields
            .iter()
            .filter(|f| !f.secret)
            .filter_map(|f| config.get(&f.name).map(|v| (f.name.clone(), v.clone())))
            .collect();
        let context = template::settings_context(&readable, &[("key", "key"), ("now", "now")]);
        let plans = [
            Some(&self.compiled.create),
            self.compiled.lookup.as_ref().map(|l| &l.plan),
            Some(&self.compiled.verify.plan),
        ];
        plans.into_iter().flatten().map(|plan| self.render(&plan.url, &context).unwrap_or_default()).collect()
    }

    /// The ticket-creation request for `draft`, secrets redacted.
    pub fn preview(
        &self,
        integration: &HelpdeskIntegration,
        draft: &TicketDraft,
    ) -> Result<RenderedRequest, AdapterError> {
        let request = self.create_request(integration, draft, Utc::now())?;
        let body = match &request.body {
            Some(bytes) => serde_json::from_slice(bytes).map_err(|e| AdapterError(e.to_string()))?,
            None => serde_json::Value::Null,
        };
        let headers = request
            .headers
            .into_iter()
            .map(|(name, value, secret)| (name, if secret { "***".to_owned() } else { value }))
            .collect();
        Ok(RenderedRequest { method: request.method.to_string(), url: request.url.to_string(), headers, body })
    }

    /// The ticket-creation request, with the idempotency key and signature when declared.
    pub(crate) fn create_request(
        &self,
        integration: &HelpdeskIntegration,
        draft: &TicketDraft,
        now: DateTime<Utc>,
    ) -> Result<Outgoing, AdapterError> {
        let readable = self.readable(integration);
        let context = template::settings_context(&readable, &[("key", &draft.key)]);
        let body =
            template::render_json(&self.compiled.templates, "create.body", &template::body_context(draft, &readable))
                .map_err(|e| AdapterError(format!("{} body template: {e}", self.name)))?;
        let mut request = self.outgoing(&self.compiled.create, &context, integration, Some(body), now)?;
        if let Some(header) = &self.compiled.idempotency_header {
            request.headers.push((header.clone(), draft.key.clone(), false));
        }
        Ok(request)
    }

    /// The request that looks for a ticket carrying this handoff's key, if the adapter has one.
    pub(crate) fn lookup_request(
        &self,
        integration: &HelpdeskIntegration,
        draft: &TicketDraft,
        now: DateTime<Utc>,
    ) -> Result<Option<Outgoing>, AdapterError> {
        let Some(lookup) = &self.compiled.lookup else { return Ok(None) };
        let context = template::settings_context(&self.readable(integration), &[("key", &draft.key)]);
        self.outgoing(&lookup.plan, &context, integration, None, now).map(Some)
    }

    /// The request that checks an integration's credentials.
    pub(crate) fn verify_request(
        &self,
        integration: &HelpdeskIntegration,
        now: DateTime<Utc>,
    ) -> Result<Outgoing, AdapterError> {
        let context = template::settings_context(&self.readable(integration), &[("now", &now.to_rfc3339())]);
        let body = match &self.compiled.verify.plan.body {
            Some(name) => Some(
                template::render_json(&self.compiled.templates, name, &context)
                    .map_err(|e| AdapterError(format!("{} verify body: {e}", self.name)))?,
            ),
            None => None,
        };
        self.outgoing(&self.compiled.verify.plan, &context, integration, body, now)
    }

    /// Renders a request plan: URL, query, auth, headers, body and signature.
    fn outgoing(
        &self,
        plan: &Plan,
        context: &serde_json::Value,
        integration: &HelpdeskIntegration,
        body: Option<serde_json::Value>,
        now: DateTime<Utc>,
    ) -> Result<Outgoing, AdapterError> {
        let render = |name: &str| self.render(name, context);
        let mut url = Url::parse(&render(&plan.url)?)
            .map_err(|e| AdapterError(format!("{}: the request URL does not parse: {e}", self.name)))?;
        if !plan.query.is_empty() {
            let mut pairs = url.query_pairs_mut();
            for (name, template) in &plan.query {
                pairs.append_pair(name, &render(template)?);
            }
        }
        let mut headers = vec![("Accept".to_owned(), "application/json".to_owned(), false)];
        if let Some(value) = self.authorization(integration)? {
            headers.push(("Authorization".to_owned(), value, true));
        }
        for (name, template) in &plan.headers {
            headers.push((name.clone(), render(template)?, false));
        }
        let body = body.map(|value| serde_json::to_vec(&value)).transpose().map_err(|e| AdapterError(e.to_string()))?;
        if body.is_some() {
            headers.push(("Content-Type".to_owned(), "application/json".to_owned(), false));
        }
        if let Some(signing) = &self.compiled.signing {
            let secret = integration.secrets.get(&signing.secret).map(String::as_str).unwrap_or_default();
            if secret.is_empty() {
                return Err(AdapterError(format!("{}: the setting {} is missing", self.name, signing.secret)));
            }
            let timestamp = now.timestamp().to_string();
            let signature = super::client::signature(secret, &timestamp, body.as_deref().unwrap_or_default());
            headers.push((signing.timestamp_header.clone(), timestamp, false));
            headers.push((signing.signature_header.clone(), signature, true));
        }
        Ok(Outgoing { method: plan.method.clone(), url, headers, body })
    }

    /// The `Authorization` header value, built from the settings and secrets.
    fn authorization(&self, integration: &HelpdeskIntegration) -> Result<Option<String>, AdapterError> {
        let plan = &self.compiled.auth;
        if matches!(plan, AuthPlan::None) {
            return Ok(None);
        }
        let mut all = self.readable(integration);
        for field in self.fields.iter().filter(|f| f.secret) {
            if let Some(value) = integration.secrets.get(&field.name) {
                all.insert(field.name.clone(), value.clone());
            }
        }
        let context = template::settings_context(&all, &[]);
        Ok(Some(match plan {
            AuthPlan::None => unreachable!("handled above"),
            AuthPlan::Basic => {
                let pair =
                    format!("{}:{}", self.render("auth.username", &context)?, self.render("auth.password", &context)?);
                format!("Basic {}", STANDARD.encode(pair))
            }
            AuthPlan::Bearer => format!("Bearer {}", self.render("auth.token", &context)?),
        }))
    }

    /// The integration's readable settings that this adapter declares.
    fn readable(&self, integration: &HelpdeskIntegration) -> BTreeMap<String, String> {
        self.fields
            .iter()
            .filter(|f| !f.secret)
            .filter_map(|f| integration.config.get(&f.name).map(|v| (f.name.clone(), v.clone())))
            .collect()
    }

    fn render(&self, name: &str, context: &serde_json::Value) -> Result<String, AdapterError> {
        self.compiled.templates.render(name, context).map_err(|e| {
            let what = match e.reason() {
                handlebars::RenderErrorReason::MissingVariable(Some(path)) => format!("the setting {path} is missing"),
                _ => e.to_string(),
            };
            AdapterError(format!("{} {name}: {what}", self.name))
        })
    }
}
