//! The command line: `serve`, `migrate` and `workspace create`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use crate::clock::SystemClock;
use crate::config::{Config, FileConfig, Overrides};
use crate::secret::Secret;
use crate::workspaces::provision::{self, WorkspaceSpec};

/// sangdam: AI customer-agent orchestration engine.
#[derive(Debug, Parser)]
#[command(name = "sangdam", version, about)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the HTTP server (creates the first workspace on an empty database).
    Serve(ServeArgs),
    /// Apply database migrations and exit.
    Migrate(StoreArgs),
    /// Manage workspaces.
    #[command(subcommand)]
    Workspace(WorkspaceCommand),
}

#[derive(Debug, Args)]
struct StoreArgs {
    /// Configuration file; `sangdam.toml` in the working directory is read when it exists.
    #[arg(long, env = "SANGDAM_CONFIG")]
    config: Option<PathBuf>,
    /// Data directory; the SQLite database is `DATA_DIR/sangdam.db`.
    #[arg(long, env = "SANGDAM_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// `postgres://…` to share one PostgreSQL database between engine processes.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    database_url: Option<String>,
}

#[derive(Debug, Args)]
struct ServeArgs {
    #[command(flatten)]
    store: StoreArgs,
    /// Address to listen on, HOST:PORT.
    #[arg(long, env = "SANGDAM_ADDR")]
    addr: Option<String>,
    /// Externally visible base URL (default `http://ADDR`), used for webhook signatures.
    #[arg(long, env = "SANGDAM_PUBLIC_URL")]
    public_url: Option<String>,
    /// Folder of skill manifests (default `./skills`).
    #[arg(long, env = "SANGDAM_SKILLS_DIR")]
    skills_dir: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
enum WorkspaceCommand {
    /// Create a workspace with its admin; prints its credentials once, as JSON.
    Create {
        #[command(flatten)]
        store: StoreArgs,
        /// Brand name.
        #[arg(long)]
        name: String,
        /// The admin's login (unique across the engine).
        #[arg(long)]
        admin_login: String,
        /// Seat count (certified accounts, the admin included).
        #[arg(long, default_value_t = 10)]
        seats: i64,
        /// IANA time zone.
        #[arg(long, default_value = "Asia/Seoul")]
        time_zone: String,
    },
}

/// Parses the command line and runs the command.
pub fn run() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(dispatch(cli.command)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn resolve(store: StoreArgs, over: Overrides) -> anyhow::Result<Config> {
    let file = match &store.config {
        Some(path) => FileConfig::load(path, true)?,
        None => FileConfig::load(std::path::Path::new("sangdam.toml"), false)?,
    };
    let over = Overrides { data_dir: store.data_dir, database_url: store.database_url, ..over };
    let admin_token = std::env::var("SANGDAM_ADMIN_TOKEN").ok().map(Secret::new);
    Config::resolve(file, over, admin_token)
}

async fn dispatch(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Serve(args) => {
            let over = Overrides {
                addr: args.addr,
                public_url: args.public_url,
                skills_dir: args.skills_dir,
                ..Default::default()
            };
            let config = resolve(args.store, over)?;
            crate::telemetry::init_logs(config.json_logs);
            crate::http::server::run(config).await
        }
        Command::Migrate(store) => {
            let config = resolve(store, Overrides::default())?;
            let store = crate::store::connect(&config.database).await?;
            println!("{{\"migrated\": true, \"backend\": \"{}\"}}", store.backend());
            store.close().await;
            Ok(())
        }
        Command::Workspace(WorkspaceCommand::Create { store, name, admin_login, seats, time_zone }) => {
            let config = resolve(store, Overrides::default())?;
            let store = crate::store::connect(&config.database).await?;
            let spec = WorkspaceSpec { name, seats, time_zone, admin_login, admin_password: None, admin_token: None };
            let made = provision::provision(store.as_ref(), &SystemClock, spec, false)
                .await?
                .ok_or_else(|| anyhow::anyhow!("the workspace was not created"))?;
            let out = serde_json::json!({
                "workspace_id": made.workspace.id,
                "admin_login": made.admin.login,
                "admin_password": made.generated_password.as_ref().map(Secret::expose),
                "admin_token": made.admin_token.expose(),
                "widget_key": made.widget_key,
            });
            println!("{out}");
            store.close().await;
            Ok(())
        }
    }
}
