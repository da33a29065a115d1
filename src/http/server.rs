//! Running the server: open the store, bootstrap, listen, shut down gracefully.

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::{AppState, router};
use crate::agent::live::LiveAgent;
use crate::clock::{Clock, SystemClock};
use crate::config::Config;
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
    let state = AppState {
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
    let app = router(state, config.max_body_bytes);
    let listener = TcpListener::bind(config.addr).await?;
    let addr = listener.local_addr()?;
    outbound.set_own_address(addr);
    let stop = shutdown.clone();
    let task =
        tokio::spawn(async move { axum::serve(listener, app).with_graceful_shutdown(stop.cancelled_owned()).await });
    tracing::info!(%addr, database = store.backend(), "sangdam is listening");
    Ok(Running { addr, shutdown, bootstrapped, store, agent: live, task })
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
