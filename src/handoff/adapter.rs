//! Helpdesk adapters declared as data: `handoff/<name>.toml` and its body template.
//! (Interface only; the implementation is being written.)

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;

use super::{HelpdeskIntegration, TicketDraft};

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
    pub fn load(_dir: &Path) -> Result<Self, AdapterError> {
        todo!()
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
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

impl Adapter {
    /// Checks an integration's settings: every declared field present and valid, nothing else.
    /// Returns the normalised values, or the field at fault and what is wrong with it.
    pub fn check_settings(
        &self,
        _values: &BTreeMap<String, String>,
    ) -> Result<BTreeMap<String, String>, (String, String)> {
        todo!()
    }

    /// The ticket-creation request for `draft`, secrets redacted.
    pub fn preview(
        &self,
        _integration: &HelpdeskIntegration,
        _draft: &TicketDraft,
    ) -> Result<RenderedRequest, AdapterError> {
        todo!()
    }
}
