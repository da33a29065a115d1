//! Routes: the pages the engine serves itself, with no separate web server or build step — the
//! operator console at `/console` (its scripts and sheets under `/console/…`) and the widget demo
//! page at `/demo`. The files live in `web/` and are compiled into the binary.

use std::collections::HashMap;
use std::sync::LazyLock;

use aide::axum::ApiRouter;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use sha2::{Digest, Sha256};

use super::AppState;
use super::error::ApiError;
use super::extract::ApiPath;

const HTML: &str = "text/html; charset=utf-8";
const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";

/// The console may only load its own files and talk to its own origin, and is never framed.
const CONSOLE_CSP: &str = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; \
     connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";
/// The demo page stands in for a brand's page: it loads the widget like any other site would.
const DEMO_CSP: &str = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; \
     script-src 'self'; connect-src 'self'; base-uri 'none'";

/// One file served from `web/`.
struct Asset {
    /// Its name under `/console/` (or the page's own path).
    name: &'static str,
    content_type: &'static str,
    body: &'static str,
}

macro_rules! asset {
    ($name:literal, $type:expr, $path:literal) => {
        Asset { name: $name, content_type: $type, body: include_str!(concat!("../../web/", $path)) }
    };
}

static CONSOLE: &[Asset] = &[
    asset!("index.html", HTML, "console/index.html"),
    asset!("console.css", CSS, "console/console.css"),
    asset!("launch.css", CSS, "console/launch.css"),
    asset!("preview.css", CSS, "console/preview.css"),
    asset!("rooms.css", CSS, "console/rooms.css"),
    asset!("app.js", JS, "console/app.js"),
    asset!("api.js", JS, "console/api.js"),
    asset!("i18n.js", JS, "console/i18n.js"),
    asset!("ui.js", JS, "console/ui.js"),
    asset!("launch.js", JS, "console/launch.js"),
    asset!("launch-common.js", JS, "console/launch-common.js"),
    asset!("launch-items.js", JS, "console/launch-items.js"),
    asset!("launch-setup.js", JS, "console/launch-setup.js"),
    asset!("launch-agent.js", JS, "console/launch-agent.js"),
    asset!("launch-handoff.js", JS, "console/launch-handoff.js"),
    asset!("launch-helpdesk.js", JS, "console/launch-helpdesk.js"),
    asset!("preview.js", JS, "console/preview.js"),
    asset!("preview-turn.js", JS, "console/preview-turn.js"),
    asset!("preview-script.js", JS, "console/preview-script.js"),
    asset!("rooms.js", JS, "console/rooms.js"),
    asset!("rooms_text.js", JS, "console/rooms_text.js"),
    asset!("rooms_live.js", JS, "console/rooms_live.js"),
    asset!("rooms_list.js", JS, "console/rooms_list.js"),
    asset!("rooms_icons.js", JS, "console/rooms_icons.js"),
    asset!("room.js", JS, "console/room.js"),
    asset!("room_actions.js", JS, "console/room_actions.js"),
    asset!("room_text.js", JS, "console/room_text.js"),
    asset!("room_labels.js", JS, "console/room_labels.js"),
];

static DEMO: &[Asset] = &[asset!("demo.html", HTML, "demo.html"), asset!("demo.js", JS, "demo.js")];

/// A strong validator per file, so a reload revalidates cheaply and a new build is never stale.
static ETAGS: LazyLock<HashMap<&'static str, String>> = LazyLock::new(|| {
    CONSOLE
        .iter()
        .chain(DEMO)
        .map(|a| {
            let digest = Sha256::digest(a.body.as_bytes());
            let hex: String = digest.iter().take(12).map(|b| format!("{b:02x}")).collect();
            (a.name, format!("\"{hex}\""))
        })
        .collect()
});

fn serve(asset: &Asset, csp: &'static str, request: &HeaderMap) -> Response {
    let etag = ETAGS.get(asset.name).cloned().unwrap_or_default();
    let fresh = request.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()).is_some_and(|v| v == etag);
    let mut response = if fresh { StatusCode::NOT_MODIFIED.into_response() } else { asset.body.into_response() };
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(asset.content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    if let Ok(etag) = HeaderValue::from_str(&etag) {
        headers.insert(header::ETAG, etag);
    }
    headers.insert("x-content-type-options", HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    if asset.content_type == HTML {
        headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(csp));
        if csp == CONSOLE_CSP {
            headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
        }
    }
    response
}

fn find<'a>(set: &'a [Asset], name: &str) -> Result<&'a Asset, ApiError> {
    set.iter().find(|a| a.name == name).ok_or_else(|| ApiError::not_found("no such file"))
}

async fn console_page(request: HeaderMap) -> Result<Response, ApiError> {
    Ok(serve(find(CONSOLE, "index.html")?, CONSOLE_CSP, &request))
}

async fn console_file(ApiPath(name): ApiPath<String>, request: HeaderMap) -> Result<Response, ApiError> {
    Ok(serve(find(CONSOLE, &name)?, CONSOLE_CSP, &request))
}

async fn demo_page(request: HeaderMap) -> Result<Response, ApiError> {
    Ok(serve(find(DEMO, "demo.html")?, DEMO_CSP, &request))
}

async fn demo_script(request: HeaderMap) -> Result<Response, ApiError> {
    Ok(serve(find(DEMO, "demo.js")?, DEMO_CSP, &request))
}

/// The console and demo pages. They are not API routes, so the OpenAPI document leaves them out.
pub fn routes() -> ApiRouter<AppState> {
    ApiRouter::new()
        .route("/console", get(console_page))
        .route("/console/", get(console_page))
        .route("/console/{name}", get(console_file))
        .route("/demo", get(demo_page))
        .route("/demo.js", get(demo_script))
}
