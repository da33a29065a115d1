//! Fake helpdesks for the engine's tests: they answer as the vendors document, count what they
//! receive, and (Zendesk) keep the promise of `Idempotency-Key`: a repeated key gets the ticket
//! the first request created, not a second one.

#![allow(dead_code)]

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

pub const ZD_EMAIL: &str = "agent@brand.example";
pub const ZD_TOKEN: &str = "zd-api-token-0123456789";
pub const ZD_TICKETS: &str = "/api/v2/tickets.json";

/// One ticket-creation request as received.
#[derive(Debug, Clone)]
pub struct Received {
    /// `Idempotency-Key`, if sent.
    pub key: Option<String>,
    /// `Authorization`.
    pub auth: String,
    /// The JSON body.
    pub body: Value,
}

#[derive(Default)]
struct State {
    received: Vec<Received>,
    tickets_by_key: HashMap<String, u64>,
    created: Vec<Value>,
    scripted: HashMap<String, VecDeque<ResponseTemplate>>,
    next_id: u64,
}

/// A Zendesk `POST /api/v2/tickets.json` endpoint.
#[derive(Clone, Default)]
pub struct FakeZendesk(Arc<Mutex<State>>);

impl FakeZendesk {
    /// Mounts the ticket endpoint (create, and list by `external_id`) and a `users/me` that
    /// accepts the test credentials.
    pub async fn mount(&self, server: &MockServer) {
        Mock::given(method("POST")).and(path(ZD_TICKETS)).respond_with(self.clone()).mount(server).await;
        Mock::given(method("GET")).and(path(ZD_TICKETS)).respond_with(self.clone()).mount(server).await;
        Mock::given(method("GET"))
            .and(path("/api/v2/users/me.json"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "user": {"id": 9001, "name": "Brand Agent", "email": ZD_EMAIL, "role": "admin", "active": true}
            })))
            .mount(server)
            .await;
    }

    /// The answers to give, in order, to requests whose requester email is `email`, before
    /// tickets are created for it normally.
    pub fn script(&self, email: &str, answers: Vec<ResponseTemplate>) {
        self.0.lock().unwrap().scripted.insert(email.to_owned(), answers.into());
    }

    /// Every ticket-creation request received.
    pub fn received(&self) -> Vec<Received> {
        self.0.lock().unwrap().received.clone()
    }

    /// The tickets created (one per distinct idempotency key).
    pub fn tickets(&self) -> Vec<Value> {
        self.0.lock().unwrap().created.clone()
    }
}

impl wiremock::Respond for FakeZendesk {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        if request.method == wiremock::http::Method::GET {
            return self.list(request);
        }
        let body: Value = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
        let header = |name: &str| request.headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
        let key = header("idempotency-key");
        let mut state = self.0.lock().unwrap();
        state.received.push(Received {
            key: key.clone(),
            auth: header("authorization").unwrap_or_default(),
            body: body.clone(),
        });
        let email = body["ticket"]["requester"]["email"].as_str().unwrap_or_default().to_owned();
        if let Some(answer) = state.scripted.get_mut(&email).and_then(VecDeque::pop_front) {
            return answer;
        }
        let existing = key.as_ref().and_then(|k| state.tickets_by_key.get(k).copied());
        let id = match existing {
            Some(id) => id,
            None => {
                state.next_id += 1;
                let id = 100 + state.next_id;
                if let Some(k) = &key {
                    state.tickets_by_key.insert(k.clone(), id);
                }
                state.created.push(json!({"id": id, "request": body}));
                id
            }
        };
        ResponseTemplate::new(201)
            .set_body_json(ticket(id, &body))
            .insert_header("x-idempotency-lookup", if existing.is_some() { "hit" } else { "miss" })
    }
}

impl FakeZendesk {
    /// `GET /api/v2/tickets.json?external_id=…`: the tickets created with that external id.
    fn list(&self, request: &Request) -> ResponseTemplate {
        let wanted = request.url.query_pairs().find(|(k, _)| k == "external_id").map(|(_, v)| v.into_owned());
        let state = self.0.lock().unwrap();
        let tickets: Vec<Value> = state
            .created
            .iter()
            .filter(|t| wanted.is_some() && t["request"]["ticket"]["external_id"].as_str() == wanted.as_deref())
            .map(|t| ticket(t["id"].as_u64().unwrap_or_default(), &t["request"])["ticket"].clone())
            .collect();
        let count = tickets.len();
        ResponseTemplate::new(200).set_body_json(json!({"tickets": tickets, "count": count, "next_page": null}))
    }
}

/// Zendesk's ticket answer.
pub fn ticket(id: u64, request: &Value) -> Value {
    json!({
        "ticket": {
            "id": id,
            "url": format!("https://brand.zendesk.com/api/v2/tickets/{id}.json"),
            "subject": request["ticket"]["subject"],
            "status": "new",
            "tags": request["ticket"]["tags"],
        }
    })
}

/// Zendesk's validation error.
pub fn record_invalid(detail: &str) -> ResponseTemplate {
    ResponseTemplate::new(422).set_body_json(json!({
        "error": "RecordInvalid",
        "description": "Record validation errors",
        "details": {"requester": [{"description": detail, "error": "InvalidValue"}]}
    }))
}

/// Zendesk's rate limit answer.
pub fn rate_limited(seconds: u64) -> ResponseTemplate {
    ResponseTemplate::new(429).insert_header("Retry-After", seconds.to_string().as_str()).set_body_json(
        json!({"error": "APIRateLimitExceeded", "description": "Number of allowed API requests per minute exceeded"}),
    )
}

/// A server error.
pub fn server_error() -> ResponseTemplate {
    ResponseTemplate::new(500).set_body_json(json!({"error": "InternalError", "description": "Something went wrong"}))
}
