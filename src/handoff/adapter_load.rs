//! Reading and checking `handoff/<name>.toml`: the file's shape as serde reads it (unknown keys
//! refused), then every template compiled and tried against sample settings and tickets, so a
//! mistake stops start-up with the file and line instead of failing a customer's handoff later.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

use handlebars::{Handlebars, RenderErrorReason};
use reqwest::Method;
use reqwest::header::HeaderName;
use serde_json::Value;
use toml::Spanned;

use super::spec::{
    AuthPlan, AuthSpec, Compiled, ErrorsPlan, FieldSpec, LookupPlan, Plan, ResponsePlan, ResponseSpec, SigningPlan,
    Spec, Text, VerifyPlan, VerifySpec,
};
use super::template::{self, sample_drafts, sample_value, settings_context};
use super::{Adapter, AdapterError, Field};

/// Statuses retried when `[retry]` does not say.
const DEFAULT_RETRY: [u16; 7] = [408, 409, 429, 500, 502, 503, 504];
/// Names the templates use for values that are not settings.
const RESERVED: [&str; 5] = ["key", "ticket_id", "now", "settings", "draft"];
/// The key the sample tickets carry.
const SAMPLE_KEY: &str = "0193a5f0-7c2e-7d41-9b3a-2f6c1e8d4b10";
/// The reasons a verification may give.
const REASONS: [&str; 4] = ["bad_credentials", "forbidden", "not_found", "rejected"];

/// Loads `path` (a `<name>.toml` of `dir`) and its body template.
pub(super) fn adapter(dir: &Path, path: &Path) -> Result<Adapter, AdapterError> {
    let text = std::fs::read_to_string(path).map_err(|e| AdapterError(format!("{}: {e}", path.display())))?;
    let mut loader = Loader { path, text: &text, templates: template::registry() };
    let name = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    if !identifier(&name) {
        return Err(
            loader.error(None, "the file name must be lowercase letters, digits and _ (it is the adapter's name)")
        );
    }
    let spec: Spec = toml::from_str(&text).map_err(|e| loader.error(e.span(), e.message()))?;
    if spec.title.trim().is_empty() {
        return Err(loader.error(None, "title: give the helpdesk's display name"));
    }
    let fields = loader.fields(&spec.fields)?;
    let samples = Samples::new(&spec.fields);
    let auth = loader.auth(spec.auth.as_ref(), &samples)?;

    let create = &spec.create;
    let parts = Parts { method: &create.method, url: &create.url, headers: &create.headers, query: &create.query };
    let mut create_plan = loader.plan("create", parts, &samples.with("key", SAMPLE_KEY))?;
    create_plan.body = Some(loader.body(dir, &create.body, &samples)?);
    let idempotency_header = create.idempotency_header.as_ref().map(|h| loader.header_name(h)).transpose()?;
    let response = loader.response(&create.response, &samples)?;

    let lookup = match &spec.lookup {
        Some(lookup) => {
            let parts =
                Parts { method: &lookup.method, url: &lookup.url, headers: &lookup.headers, query: &lookup.query };
            let plan = loader.plan("lookup", parts, &samples.with("key", SAMPLE_KEY))?;
            let ticket_id = loader.pointers(&lookup.ticket_id)?;
            if ticket_id.is_empty() {
                return Err(
                    loader.error(Some(lookup.url.span()), "[lookup] needs ticket_id: where the found ticket's id is")
                );
            }
            Some(LookupPlan { plan, ticket_id })
        }
        None => None,
    };
    let verify = loader.verify(&spec.verify, &samples)?;
    let errors = match &spec.errors {
        Some(errors) => ErrorsPlan { at: loader.pointers(&errors.at)?, fallback: loader.pointers(&errors.fallback)? },
        None => ErrorsPlan {
            at: ["/message", "/description", "/errors", "/detail"].map(str::to_owned).to_vec(),
            fallback: vec!["/error".to_owned()],
        },
    };
    let retry = match &spec.retry {
        Some(retry) if retry.statuses.get_ref().iter().any(|s| !(400..=599).contains(s)) => {
            return Err(loader.error(Some(retry.statuses.span()), "retry statuses must be 4xx or 5xx"));
        }
        Some(retry) => retry.statuses.get_ref().clone(),
        None => DEFAULT_RETRY.to_vec(),
    };
    let signing = match &spec.signing {
        Some(signing) => {
            if !fields.iter().any(|f| f.secret && f.name == *signing.secret.get_ref()) {
                return Err(loader.error(Some(signing.secret.span()), "signing.secret must name a secret field"));
            }
            Some(SigningPlan {
                secret: signing.secret.get_ref().clone(),
                timestamp_header: loader.header_name(&signing.timestamp_header)?,
                signature_header: loader.header_name(&signing.signature_header)?,
            })
        }
        None => None,
    };
    let examples = spec.fields.iter().filter_map(|f| Some((f.name.get_ref().clone(), f.example.clone()?))).collect();
    let compiled = Compiled {
        templates: loader.templates,
        auth,
        create: create_plan,
        idempotency_header: idempotency_header.clone(),
        response,
        lookup,
        verify,
        errors,
        retry,
        signing,
        examples,
    };
    Ok(Adapter {
        name,
        title: spec.title.trim().to_owned(),
        fields,
        idempotent: idempotency_header.is_some(),
        can_look_up: compiled.lookup.is_some(),
        compiled: Arc::new(compiled),
    })
}

/// Sample values for every field, to try templates with.
struct Samples {
    readable: BTreeMap<String, String>,
    all: BTreeMap<String, String>,
}

impl Samples {
    fn new(fields: &[FieldSpec]) -> Self {
        let mut samples = Samples { readable: BTreeMap::new(), all: BTreeMap::new() };
        for field in fields {
            let value = sample_value(field.kind, field.example.as_deref());
            if !field.secret {
                samples.readable.insert(field.name.get_ref().clone(), value.clone());
            }
            samples.all.insert(field.name.get_ref().clone(), value);
        }
        samples
    }

    /// The readable samples with one extra value.
    fn with(&self, name: &str, value: &str) -> Value {
        settings_context(&self.readable, &[(name, value)])
    }
}

struct Loader<'a> {
    path: &'a Path,
    text: &'a str,
    templates: Handlebars<'static>,
}

impl Loader<'_> {
    fn error(&self, span: Option<Range<usize>>, message: impl std::fmt::Display) -> AdapterError {
        let line = span.map(|s| format!(":{}", line_at(self.text, s.start))).unwrap_or_default();
        AdapterError(format!("{}{line}: {message}", self.path.display()))
    }

    fn fields(&self, specs: &[FieldSpec]) -> Result<Vec<Field>, AdapterError> {
        if specs.is_empty() {
            return Err(self.error(None, "declare at least one [[fields]] entry"));
        }
        let mut seen = BTreeSet::new();
        let mut fields = Vec::new();
        for spec in specs {
            let name = spec.name.get_ref();
            let problem = if !identifier(name) {
                Some("a field name is lowercase letters, digits and _")
            } else if RESERVED.contains(&name.as_str()) {
                Some("this name is reserved for the ticket's key and the like; choose another")
            } else if !seen.insert(name.clone()) {
                Some("this field is declared twice")
            } else {
                None
            };
            if let Some(problem) = problem {
                return Err(self.error(Some(spec.name.span()), format!("field {name:?}: {problem}")));
            }
            fields.push(Field { name: name.clone(), secret: spec.secret, kind: spec.kind });
        }
        Ok(fields)
    }

    fn auth(&mut self, spec: Option<&AuthSpec>, samples: &Samples) -> Result<AuthPlan, AdapterError> {
        let Some(spec) = spec else { return Ok(AuthPlan::None) };
        let parts = (&spec.username, &spec.password, &spec.token);
        let (plan, templates) = match (spec.scheme.get_ref().as_str(), parts) {
            ("none", (None, None, None)) => (AuthPlan::None, vec![]),
            ("basic", (Some(user), Some(password), None)) => {
                (AuthPlan::Basic, vec![("auth.username", user), ("auth.password", password)])
            }
            ("bearer", (None, None, Some(token))) => (AuthPlan::Bearer, vec![("auth.token", token)]),
            _ => {
                let message =
                    "auth: scheme \"basic\" takes username and password, \"bearer\" takes token, \"none\" nothing";
                return Err(self.error(Some(spec.scheme.span()), message));
            }
        };
        let context = settings_context(&samples.all, &[]);
        for (name, source) in templates {
            self.template(name, source)?;
            self.render_sample(name, Some(source.span()), &context, "auth templates see every setting")?;
        }
        Ok(plan)
    }

    /// Compiles a request's templates and renders them with sample settings.
    fn plan(&mut self, section: &str, parts: Parts<'_>, context: &Value) -> Result<Plan, AdapterError> {
        let Parts { method, url, headers, query } = parts;
        let method = match method.get_ref().to_ascii_uppercase().as_str() {
            "GET" => Method::GET,
            "POST" => Method::POST,
            "PUT" => Method::PUT,
            "PATCH" => Method::PATCH,
            _ => return Err(self.error(Some(method.span()), format!("{section}.method: use GET, POST, PUT or PATCH"))),
        };
        let hint =
            "URL, header and query templates see the readable settings (and key or now); secrets only reach [auth]";
        let name = self.template(&format!("{section}.url"), url)?;
        let rendered = self.render_sample(&name, Some(url.span()), context, hint)?;
        if !reqwest::Url::parse(&rendered).is_ok_and(|u| matches!(u.scheme(), "http" | "https")) {
            return Err(
                self.error(Some(url.span()), format!("{name} renders {rendered:?}, which is not an http(s) URL"))
            );
        }
        let mut plan = Plan { method, url: name, headers: Vec::new(), query: Vec::new(), body: None };
        for (header, value) in headers {
            let header = self.header_name(&Spanned::new(value.span(), header.clone()))?;
            if ["authorization", "content-type"].contains(&header.to_ascii_lowercase().as_str()) {
                let message = format!("{section}.headers: {header} is set by the adapter ([auth], body)");
                return Err(self.error(Some(value.span()), message));
            }
            let name = self.template(&format!("{section}.header.{header}"), value)?;
            self.render_sample(&name, Some(value.span()), context, hint)?;
            plan.headers.push((header, name));
        }
        for (key, value) in query {
            let name = self.template(&format!("{section}.query.{key}"), value)?;
            self.render_sample(&name, Some(value.span()), context, hint)?;
            plan.query.push((key.clone(), name));
        }
        Ok(plan)
    }

    /// Compiles the body template file and checks it renders a JSON object for every sample ticket.
    fn body(&mut self, dir: &Path, file: &Text, samples: &Samples) -> Result<String, AdapterError> {
        let name = file.get_ref();
        if name.is_empty() || name.contains(['/', '\\']) || name.starts_with('.') {
            return Err(self.error(Some(file.span()), "create.body: give a file name in the same folder"));
        }
        let path = dir.join(name);
        let source = std::fs::read_to_string(&path)
            .map_err(|e| self.error(Some(file.span()), format!("create.body: cannot read {}: {e}", path.display())))?;
        self.templates.register_template_string("create.body", &source).map_err(|e| {
            let line = e.pos().map(|(line, _)| format!(":{line}")).unwrap_or_default();
            AdapterError(format!("{}{line}: {}", path.display(), e.reason()))
        })?;
        for draft in sample_drafts() {
            let context = template::body_context(&draft, &samples.readable);
            match template::render_json(&self.templates, "create.body", &context) {
                Ok(Value::Object(_)) => {}
                Ok(_) => return Err(AdapterError(format!("{}: the body must be a JSON object", path.display()))),
                Err(e) => {
                    let e = e.replace("Error rendering \"create.body\" line", "line");
                    return Err(AdapterError(format!("{}: with a sample ticket: {e}", path.display())));
                }
            }
        }
        Ok("create.body".to_owned())
    }

    fn response(&mut self, spec: &ResponseSpec, samples: &Samples) -> Result<ResponsePlan, AdapterError> {
        let ticket_id = self.pointers(&spec.ticket_id)?;
        if ticket_id.is_empty() && !spec.id_optional {
            return Err(self.error(None, "[create.response] needs ticket_id: JSON pointers to the new ticket's id"));
        }
        if let Some(source) = &spec.ticket_url {
            self.template("create.ticket_url", source)?;
            let context = samples.with("ticket_id", "12345");
            let hint = "ticket_url sees the readable settings and ticket_id";
            let url = self.render_sample("create.ticket_url", Some(source.span()), &context, hint)?;
            if reqwest::Url::parse(&url).is_err() {
                return Err(self.error(Some(source.span()), format!("ticket_url renders {url:?}, which is not a URL")));
            }
        }
        Ok(ResponsePlan {
            ticket_id,
            ticket_url: spec.ticket_url.is_some(),
            ticket_url_at: self.pointers(&spec.ticket_url_at)?,
            id_optional: spec.id_optional,
        })
    }

    fn verify(&mut self, spec: &VerifySpec, samples: &Samples) -> Result<VerifyPlan, AdapterError> {
        let context = samples.with("now", "2026-11-21T10:00:00+00:00");
        let parts = Parts { method: &spec.method, url: &spec.url, headers: &spec.headers, query: &spec.query };
        let mut plan = self.plan("verify", parts, &context)?;
        let hint = "verify templates see the readable settings (and now)";
        if let Some(body) = &spec.body {
            plan.body = Some(self.template("verify.body", body)?);
            if let Err(e) = template::render_json(&self.templates, "verify.body", &context) {
                return Err(self.error(Some(body.span()), format!("verify.body: {e}")));
            }
        }
        self.template("verify.verified", &spec.verified)?;
        self.render_sample("verify.verified", Some(spec.verified.span()), &context, hint)?;
        let mut require = Vec::new();
        for (i, rule) in spec.require.iter().enumerate() {
            let pointer = self.pointers(std::slice::from_ref(&rule.pointer))?.remove(0);
            let reason = self.reason(&rule.reason)?;
            let name = format!("verify.require.{i}");
            self.template(&name, &rule.detail)?;
            self.render_sample(&name, Some(rule.detail.span()), &context, hint)?;
            require.push((pointer, rule.one_of.clone(), reason));
        }
        let mut reject = BTreeMap::new();
        for rule in &spec.reject {
            let status = *rule.status.get_ref();
            if !(300..=499).contains(&status) || reject.contains_key(&status) {
                return Err(self.error(Some(rule.status.span()), "verify.reject: one entry per 3xx or 4xx status"));
            }
            let name = format!("verify.reject.{status}");
            self.template(&name, &rule.detail)?;
            self.render_sample(&name, Some(rule.detail.span()), &context, hint)?;
            reject.insert(status, self.reason(&rule.reason)?);
        }
        Ok(VerifyPlan { plan, require, reject })
    }

    fn reason(&self, reason: &Text) -> Result<String, AdapterError> {
        if REASONS.contains(&reason.get_ref().as_str()) {
            return Ok(reason.get_ref().clone());
        }
        Err(self.error(Some(reason.span()), format!("reason must be one of {}", REASONS.join(", "))))
    }

    fn pointers(&self, pointers: &[Text]) -> Result<Vec<String>, AdapterError> {
        pointers
            .iter()
            .map(|p| match p.get_ref() {
                text if text.starts_with('/') => Ok(text.clone()),
                text => Err(self.error(Some(p.span()), format!("{text:?} is not a JSON pointer (they start with /)"))),
            })
            .collect()
    }

    fn header_name(&self, name: &Text) -> Result<String, AdapterError> {
        HeaderName::from_bytes(name.get_ref().as_bytes())
            .map(|_| name.get_ref().clone())
            .map_err(|_| self.error(Some(name.span()), format!("{:?} is not a valid header name", name.get_ref())))
    }

    /// Compiles an inline template; errors name its line in the TOML.
    fn template(&mut self, name: &str, source: &Text) -> Result<String, AdapterError> {
        self.templates.register_template_string(name, source.get_ref()).map_err(|e| {
            let within = e.pos().map_or(0, |(line, _)| line.saturating_sub(1));
            let line = line_at(self.text, source.span().start) + within;
            AdapterError(format!("{}:{line}: {name}: {}", self.path.display(), e.reason()))
        })?;
        Ok(name.to_owned())
    }

    /// Renders a compiled template with sample data; a problem names the template's line.
    fn render_sample(
        &self,
        name: &str,
        span: Option<Range<usize>>,
        context: &Value,
        hint: &str,
    ) -> Result<String, AdapterError> {
        self.templates.render(name, context).map_err(|e| match e.reason() {
            RenderErrorReason::MissingVariable(Some(path)) => {
                self.error(span, format!("{name}: {{{{{path}}}}} is not available here ({hint})"))
            }
            _ => self.error(span, format!("{name}: {}", e.reason())),
        })
    }
}

/// The parts of a request section.
struct Parts<'a> {
    method: &'a Text,
    url: &'a Text,
    headers: &'a BTreeMap<String, Text>,
    query: &'a BTreeMap<String, Text>,
}

/// Lowercase letters, digits and `_`, starting with a letter.
fn identifier(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_lowercase())
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

fn line_at(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

#[cfg(test)]
mod tests {
    use super::super::Adapters;
    use super::*;

    const MINIMAL: &str = r#"title = "Desk"

[[fields]]
name = "base_url"
kind = "url"

[[fields]]
name = "token"
kind = "text"
secret = true

[auth]
scheme = "bearer"
token = "{{token}}"

[create]
method = "POST"
url = "{{base_url}}/tickets"
body = "desk.json.hbs"

[create.response]
ticket_id = ["/id"]

[verify]
method = "GET"
url = "{{base_url}}/me"
verified = "Desk accepted the token."
"#;

    const BODY: &str = r#"{"subject": {{json subject}}, "tags": {{json tags}}}"#;

    /// Loads a folder holding `desk.toml` and `desk.json.hbs`; the error text with the folder
    /// replaced by `DIR`.
    fn load(toml: &str, body: &str) -> Result<Adapters, String> {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("desk.toml"), toml).unwrap();
        std::fs::write(dir.path().join("desk.json.hbs"), body).unwrap();
        Adapters::load(dir.path()).map_err(|e| e.0.replace(&dir.path().display().to_string(), "DIR"))
    }

    #[test]
    fn every_shipped_adapter_loads() {
        let adapters = Adapters::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("handoff")).unwrap();
        assert_eq!(adapters.names(), ["freshdesk", "gorgias", "webhook", "zendesk"]);
        let zendesk = adapters.get("zendesk").unwrap();
        assert_eq!(zendesk.title, "Zendesk");
        assert!(zendesk.idempotent && zendesk.can_look_up);
        let secrets: Vec<&str> = zendesk.fields.iter().filter(|f| f.secret).map(|f| f.name.as_str()).collect();
        assert_eq!(secrets, ["api_token"]);
        for name in ["freshdesk", "gorgias"] {
            let adapter = adapters.get(name).unwrap();
            assert!(!adapter.idempotent && adapter.can_look_up, "{name}");
        }
        assert!(!adapters.get("webhook").unwrap().can_look_up);
    }

    #[test]
    fn a_minimal_adapter_loads() {
        let adapters = load(MINIMAL, BODY).unwrap();
        let desk = adapters.get("desk").unwrap();
        assert_eq!(desk.fields.len(), 2);
        assert!(!desk.idempotent && !desk.can_look_up);
    }

    #[test]
    fn problems_name_the_file_and_line() {
        let cases = [
            (
                MINIMAL.replace("title = \"Desk\"", "title = \"Desk\"\ncolour = \"blue\""),
                "DIR/desk.toml:2: unknown field `colour`",
            ),
            (MINIMAL.replace("kind = \"url\"", "kind = \"link\""), "DIR/desk.toml:5: unknown variant `link`"),
            (MINIMAL.replace("/tickets\"", "/{{#if}}\""), "DIR/desk.toml:18: create.url:"),
            (
                MINIMAL.replace("{{base_url}}/tickets", "{{base_url}}/{{token}}"),
                "DIR/desk.toml:18: create.url: {{token}} is not available here",
            ),
            (
                MINIMAL.replace("{{base_url}}/me", "{{base}}/me"),
                "DIR/desk.toml:26: verify.url: {{base}} is not available here",
            ),
            (
                MINIMAL.replace("ticket_id = [\"/id\"]", "ticket_id = [\"id\"]"),
                "DIR/desk.toml:22: \"id\" is not a JSON pointer",
            ),
            (
                MINIMAL.replace("scheme = \"bearer\"", "scheme = \"basic\""),
                "DIR/desk.toml:13: auth: scheme \"basic\" takes",
            ),
            (
                MINIMAL.replace("name = \"token\"", "name = \"key\""),
                "DIR/desk.toml:8: field \"key\": this name is reserved",
            ),
            (MINIMAL.replace("desk.json.hbs", "../desk.json.hbs"), "DIR/desk.toml:19: create.body: give a file name"),
            (MINIMAL.replace("desk.json.hbs", "other.json.hbs"), "DIR/desk.toml:19: create.body: cannot read"),
            (
                format!("{MINIMAL}\n[[verify.reject]]\nstatus = 401\nreason = \"nope\"\ndetail = \"no\"\n"),
                "DIR/desk.toml:31: reason must be one of bad_credentials, forbidden, not_found, rejected",
            ),
        ];
        for (toml, expected) in cases {
            let error = load(&toml, BODY).unwrap_err();
            assert!(error.starts_with(expected), "expected {expected:?}, got {error:?}");
        }
    }

    #[test]
    fn body_templates_must_compile_render_json_and_see_no_secrets() {
        let error = load(MINIMAL, "{\n  \"subject\": {{json subject}\n}").unwrap_err();
        assert!(error.starts_with("DIR/desk.json.hbs:2: "), "{error}");
        let error = load(MINIMAL, r#"{"subject": "{{subject}}"}"#).unwrap_err();
        assert!(error.starts_with("DIR/desk.json.hbs: with a sample ticket: the result is not valid JSON"), "{error}");
        let error = load(MINIMAL, r#"{"token": {{json settings.token}}}"#).unwrap_err();
        assert!(
            error.starts_with("DIR/desk.json.hbs: with a sample ticket:") && error.contains("settings.token"),
            "{error}"
        );
        let error = load(MINIMAL, r#"["a list"]"#).unwrap_err();
        assert_eq!(error, "DIR/desk.json.hbs: the body must be a JSON object");
        let error = load(MINIMAL, r#"{"who": {{json customer.emial}}}"#).unwrap_err();
        assert!(error.contains("customer.emial"), "{error}");
    }

    #[test]
    fn an_empty_folder_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let error = Adapters::load(dir.path()).unwrap_err().0;
        assert!(error.ends_with("no adapters found (expected <name>.toml files)"), "{error}");
    }
}
