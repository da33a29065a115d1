//! Running the server: open the store, bootstrap, listen, shut down gracefully.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tower::ServiceExt;

use super::limits::Admission;
use super::{AppState, router};
use crate::agent::live::LiveAgent;
use crate::clock::{Clock, SystemClock};
use crate::config::Config;
use crate::config::Limits;
use crate::events::Hub;
use crate::handoff::adapter::Adapters;
use crate::handoff::outbox::HandoffOutbox;
use crate::sms::outbox::Outbox;
use crate::sms::twilio::TwilioClient;
use crate::store::{self, Store};
use crate::workspaces::provision::{self, Provisioned};
use anyhow::Context;

/// How long a call to Twilio may take before the engine gives up on it.
const TWILIO_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// How old an unanswered message may be for the agent to still answer it after a restart.
const CATCH_UP_WINDOW: chrono::TimeDelta = chrono::TimeDelta::minutes(15);

/// A server running in the background.
pub struct Running {
    /// The bound address (useful with port 0).
    pub addr: SocketAddr,
    /// Cancel to shut down gracefully.
    pub shutdown: CancellationToken,
    /// What the first start created, if this start created it.
    pub bootstrapped: Option<Provisioned>,
    /// The store, shared with the server.
    pub store: Arc<dyn Store>,
    /// The agent answering live traffic.
    pub agent: LiveAgent,
    task: JoinHandle<std::io::Result<()>>,
}

impl Running {
    /// Shuts down and waits for in-flight requests to finish.
    pub async fn stop(self) -> anyhow::Result<()> {
        self.shutdown.cancel();
        self.task.await??;
        self.store.close().await;
        Ok(())
    }
}

/// Opens the store (migrating it), bootstraps an empty database, binds and starts serving.
pub async fn start(config: &Config) -> anyhow::Result<Running> {
    let store = store::connect(&config.database).await?;
    start_with(config, store, Arc::new(SystemClock)).await
}

/// Like [`start`] with a given store and clock (tests).
pub async fn start_with(config: &Config, store: Arc<dyn Store>, clock: Arc<dyn Clock>) -> anyhow::Result<Running> {
    let outbound = crate::outbound::Outbound::new(config.outbound_allow.clone());
    let (agent, capabilities) = crate::agent::build::build(&config.agent, &outbound)?;
    let bootstrapped = provision::bootstrap(store.as_ref(), clock.as_ref(), config.admin_token.clone()).await?;
    let hub = Hub::new();
    if let Some(signals) = store.room_signals().await? {
        hub.forward(signals);
    }
    let shutdown = CancellationToken::new();
    let twilio = TwilioClient::new(TWILIO_TIMEOUT, &config.twilio_api_base, &outbound);
    let outbox = Outbox::new(Arc::clone(&store), Arc::clone(&clock), twilio.clone(), &config.public_url);
    tokio::spawn(outbox.clone().run(shutdown.clone()));
    let adapters = Adapters::load(&config.handoff.dir).with_context(|| config.handoff.dir.display().to_string())?;
    let handoffs = HandoffOutbox::new(
        Arc::clone(&store),
        Arc::clone(&clock),
        Arc::new(adapters),
        config.handoff.timeout,
        Arc::clone(&hub),
        outbox.clone(),
        &outbound,
    );
    tokio::spawn(handoffs.clone().run(shutdown.clone()));
    let effects = crate::rooms::sweeper::Effects { hub: Some(Arc::clone(&hub)), outbox: Some(outbox.clone()) };
    tokio::spawn(crate::rooms::sweeper::run(
        Arc::clone(&store),
        Arc::clone(&clock),
        effects,
        config.sweep_every,
        shutdown.clone(),
    ));
    let live = LiveAgent::new(
        agent,
        Arc::clone(&store),
        Arc::clone(&hub),
        Arc::clone(&clock),
        outbox.clone(),
        handoffs.clone(),
    );
    let catch_up = live.clone();
    tokio::spawn(async move {
        if let Err(e) = catch_up.answer_unanswered(CATCH_UP_WINDOW).await {
            tracing::warn!(error = %e, "could not answer messages left from before the start");
        }
    });
    let auth = Arc::new(crate::accounts::auth::Auth::new(&config.logins, Arc::clone(&clock)));
    let state = AppState {
        auth,
        store: Arc::clone(&store),
        hub,
        clock,
        public_url: config.public_url.as_str().into(),
        shutdown: shutdown.clone(),
        catalog: Arc::clone(&live.agent.catalog),
        capabilities: Arc::new(capabilities),
        agent: live.clone(),
        previews: Arc::default(),
        twilio,
        outbox,
        handoffs,
    };
    let limits = effective(&config.limits);
    let admission = Admission::new(&limits);
    tokio::spawn(forget_idle(Arc::clone(&admission), shutdown.clone()));
    let app = router(state, config.max_body_bytes, admission);
    let listener = TcpListener::bind(config.addr).await?;
    let addr = listener.local_addr()?;
    outbound.set_own_address(addr);
    let task = tokio::spawn(serve(listener, app, limits, shutdown.clone()));
    tracing::info!(%addr, database = store.backend(), "sangdam is listening");
    Ok(Running { addr, shutdown, bootstrapped, store, agent: live, task })
}

/// How long a connection over the cap has to name its request (only `/healthz` is answered).
const RESERVE_HEADER_TIMEOUT: Duration = Duration::from_secs(2);
/// How long a client refused for want of connections is asked to wait.
const BUSY_RETRY_SECONDS: u64 = 2;
/// The answer when even the reserve is full, written without reading the request.
const BUSY: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\nretry-after: 2\r\n\
connection: close\r\ncontent-length: 92\r\n\r\n\
{\"error\":\"too_many_connections\",\"message\":\"the server has as many connections as it allows\"}";

/// The limits as this process can keep them: connections at most half the open-file limit (the
/// other half is for the store, outbound calls and files), live streams at most three quarters
/// of the connections (so ordinary requests always find one).
fn effective(limits: &Limits) -> Limits {
    let mut limits = limits.clone();
    if let Some(files) = open_file_limit() {
        let most = usize::try_from(files / 2).unwrap_or(usize::MAX).max(1);
        if limits.max_connections > most {
            tracing::warn!(
                configured = limits.max_connections,
                open_file_limit = files,
                "max_connections lowered to {most}: half the open-file limit"
            );
            limits.max_connections = most;
        }
    }
    limits.max_streams = limits.max_streams.min((limits.max_connections * 3 / 4).max(1));
    limits
}

#[cfg(unix)]
fn open_file_limit() -> Option<u64> {
    rustix::process::getrlimit(rustix::process::Resource::Nofile).current
}

#[cfg(not(unix))]
fn open_file_limit() -> Option<u64> {
    None
}

/// Keeps the rate limiters' tables to the clients seen lately.
async fn forget_idle(admission: Arc<Admission>, stop: CancellationToken) {
    let mut every = tokio::time::interval(Duration::from_secs(60));
    loop {
        tokio::select! {
            _ = every.tick() => admission.forget_idle(),
            _ = stop.cancelled() => return,
        }
    }
}

/// Accepts connections until `stop`, then lets the requests in flight finish.
///
/// Up to `max_connections` are served as usual; each must send its request line and headers
/// within `header_timeout` (which also ends idle kept-alive connections). Past the cap, a small
/// reserve is served only `/healthz` (anything else is 503 with `Retry-After`), so a flood of
/// slow clients cannot hide the engine's health from its supervisor; past the reserve, a
/// connection is answered 503 at once and closed. No connection waits for a place.
async fn serve(listener: TcpListener, app: Router, limits: Limits, stop: CancellationToken) -> std::io::Result<()> {
    let connections = Arc::new(Semaphore::new(limits.max_connections));
    let reserve_size = (limits.max_connections / 16).clamp(4, 64);
    let reserve = Arc::new(Semaphore::new(reserve_size));
    let mut normal = http1::Builder::new();
    normal.timer(TokioTimer::new()).header_read_timeout(limits.header_timeout);
    let mut overflow = http1::Builder::new();
    overflow
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout.min(RESERVE_HEADER_TIMEOUT))
        .keep_alive(false);
    let health_only =
        Router::new().route("/healthz", axum::routing::get_service(app.clone())).fallback(|| async { busy() });
    let tracker = TaskTracker::new();
    tracing::info!(max_connections = limits.max_connections, reserve = reserve_size, "accepting connections");
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = stop.cancelled() => break,
        };
        let (stream, peer) = match accepted {
            Ok(accepted) => accepted,
            Err(e) => {
                // Out of file descriptors, most often: wait for some to close instead of spinning.
                tracing::warn!(error = %e, "could not accept a connection");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        if let Ok(place) = Arc::clone(&connections).try_acquire_owned() {
            tracker.spawn(connection(stream, peer, app.clone(), normal.clone(), stop.clone(), place));
        } else if let Ok(place) = Arc::clone(&reserve).try_acquire_owned() {
            tracing::debug!(%peer, "at the connection cap; serving health checks only");
            tracker.spawn(connection(stream, peer, health_only.clone(), overflow.clone(), stop.clone(), place));
        } else {
            tracing::debug!(%peer, "at the connection cap and its reserve; refusing");
            // Never waits: a full socket buffer just means the client does not hear why.
            let _ = stream.try_write(BUSY);
        }
    }
    drop(listener);
    tracker.close();
    tracker.wait().await;
    Ok(())
}

/// Serves one connection; on `stop`, finishes the request in flight and closes.
async fn connection(
    stream: TcpStream,
    peer: SocketAddr,
    app: Router,
    builder: http1::Builder,
    stop: CancellationToken,
    _place: OwnedSemaphorePermit,
) {
    let service = hyper::service::service_fn(move |request: axum::http::Request<Incoming>| {
        let mut request = request.map(axum::body::Body::new);
        // Handlers read the client's address (`ConnectInfo`) for per-address limits.
        request.extensions_mut().insert(ConnectInfo(peer));
        app.clone().oneshot(request)
    });
    let conn = builder.serve_connection(TokioIo::new(stream), service);
    tokio::pin!(conn);
    let mut stopping = false;
    let result = loop {
        tokio::select! {
            result = conn.as_mut() => break result,
            _ = stop.cancelled(), if !stopping => {
                stopping = true;
                conn.as_mut().graceful_shutdown();
            }
        }
    };
    if let Err(e) = result {
        // Timeouts and clients that went away: worth a trace, not a warning.
        tracing::debug!(error = %e, %peer, "connection ended");
    }
}

/// 503 `too_many_connections`, for requests on a connection past the cap.
fn busy() -> Response {
    let error = super::error::ApiError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "too_many_connections",
        "the server has as many connections as it allows; only /healthz is answered",
    );
    let mut response = error.into_response();
    response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(BUSY_RETRY_SECONDS));
    response
}

/// `sangdam serve`: runs until SIGINT or SIGTERM.
pub async fn run(config: Config) -> anyhow::Result<()> {
    let running = start(&config).await?;
    if let Some(made) = &running.bootstrapped {
        announce(made, config.admin_token.is_some(), running.addr);
    }
    println!("sangdam listening on http://{} ({})", running.addr, running.store.backend());
    println!("  console:        http://{}/console", running.addr);
    wait_for_signal().await;
    tracing::info!("shutting down");
    running.stop().await
}

fn announce(made: &Provisioned, token_from_env: bool, addr: SocketAddr) {
    let token = if token_from_env { "(as given in SANGDAM_ADMIN_TOKEN)" } else { made.admin_token.expose() };
    let password = made.generated_password.as_ref().map_or("(as given)", |p| p.expose());
    println!("Created workspace \"{}\" ({}).", made.workspace.name, made.workspace.id);
    println!("  admin login:    {}", made.admin.login);
    println!("  admin password: {password}");
    println!("  admin token:    {token}");
    println!("  widget key:     {}", made.widget_key);
    println!("  demo page:      http://{addr}/demo?key={}", made.widget_key);
    println!("These credentials are shown only this once.");
}

async fn wait_for_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}
