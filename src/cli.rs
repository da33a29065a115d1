//! The command line: `serve`, `migrate`, `workspace create`, `simulate`, `eval` and `rooms sweep`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use crate::clock::SystemClock;
use crate::config::{Config, FileConfig, Overrides};
use crate::router::{
    self, TrainOptions,
    eval::{Status, Training},
};
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
    /// Run scripted conversations (YAML or JSON) through the agent with sends captured; exits 1
    /// when an expectation fails.
    Simulate(SimulateArgs),
    /// Measure the embedded router on labelled lines; prints one JSON line last.
    Eval(EvalArgs),
    /// Work on the counselor queue's rooms.
    #[command(subcommand)]
    Rooms(RoomsCommand),
}

#[derive(Debug, Subcommand)]
enum RoomsCommand {
    /// Auto-close the rooms that are due (seed 000's rules): one JSON line per room, then
    /// `{"closed": N}`. Safe while engines run: each room is closed once.
    Sweep {
        #[command(flatten)]
        store: StoreArgs,
        /// The moment to sweep at, RFC 3339 (default: now).
        #[arg(long, value_parser = parse_instant)]
        as_of: Option<chrono::DateTime<chrono::Utc>>,
        /// Print what would close; write nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

fn parse_instant(text: &str) -> Result<chrono::DateTime<chrono::Utc>, String> {
    chrono::DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&chrono::Utc))
        .map_err(|e| format!("{text:?} is not an RFC 3339 time like 2026-12-10T13:00:00+09:00: {e}"))
}

#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("training").required(true).args(["skills", "train"]))]
struct EvalArgs {
    /// Test lines, JSONL `{"text", "intent"}` (`"intent": null` = out of scope).
    #[arg(long)]
    data: PathBuf,
    /// Train from this skills folder (the skills' examples and its `out_of_scope.txt`).
    #[arg(long)]
    skills: Option<PathBuf>,
    /// Train from these labelled lines instead.
    #[arg(long)]
    train: Option<PathBuf>,
    /// Calibrate on these labelled lines (otherwise on cross-validation folds of the training lines).
    #[arg(long, requires = "train")]
    val: Option<PathBuf>,
}

#[derive(Debug, Args)]
struct SimulateArgs {
    /// Script files.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Print a JSON summary `{"turns","passed","failed","conversations","resolved"}` as the last line.
    #[arg(long)]
    json: bool,
    /// Configuration file; `sangdam.toml` in the working directory is read when it exists.
    #[arg(long, env = "SANGDAM_CONFIG")]
    config: Option<PathBuf>,
    /// Folder of skill manifests (default `./skills`).
    #[arg(long, env = "SANGDAM_SKILLS_DIR")]
    skills_dir: Option<PathBuf>,
    /// Folder of knowledge articles (default `./examples/knowledge`).
    #[arg(long, env = "SANGDAM_KNOWLEDGE_DIR")]
    knowledge_dir: Option<PathBuf>,
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
    /// Folder of knowledge articles (default `./examples/knowledge`).
    #[arg(long, env = "SANGDAM_KNOWLEDGE_DIR")]
    knowledge_dir: Option<PathBuf>,
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
        /// The admin's login (unique within the workspace).
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
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// Runs `sangdam eval`. Bad input exits with 2, naming the file and line.
fn eval(args: EvalArgs) -> ExitCode {
    let training = match (args.skills, args.train) {
        (Some(dir), _) => Training::Skills(dir),
        (None, Some(train)) => Training::Files { train, val: args.val },
        (None, None) => {
            eprintln!("error: give --skills DIR or --train FILE");
            return ExitCode::from(2);
        }
    };
    match router::eval::evaluate(&args.data, &training, &TrainOptions::default(), &mut Status::stderr()) {
        Ok(report) => match serde_json::to_string(&report) {
            Ok(line) => {
                println!("{line}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::FAILURE
            }
        },
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
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

async fn dispatch(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Simulate(args) => {
            let store = StoreArgs { config: args.config, data_dir: None, database_url: None };
            let over =
                Overrides { skills_dir: args.skills_dir, knowledge_dir: args.knowledge_dir, ..Default::default() };
            let config = resolve(store, over)?;
            simulate(&config, &args.files, args.json).await
        }
        Command::Serve(args) => {
            let over = Overrides {
                addr: args.addr,
                public_url: args.public_url,
                skills_dir: args.skills_dir,
                knowledge_dir: args.knowledge_dir,
                ..Default::default()
            };
            let config = resolve(args.store, over)?;
            crate::telemetry::init_logs(config.json_logs);
            crate::http::server::run(config).await.map(|()| ExitCode::SUCCESS)
        }
        Command::Migrate(store) => {
            let config = resolve(store, Overrides::default())?;
            let store = crate::store::connect(&config.database).await?;
            println!("{{\"migrated\": true, \"backend\": \"{}\"}}", store.backend());
            store.close().await;
            Ok(ExitCode::SUCCESS)
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
            Ok(ExitCode::SUCCESS)
        }
        Command::Rooms(RoomsCommand::Sweep { store, as_of, dry_run }) => {
            let config = resolve(store, Overrides::default())?;
            let store = crate::store::connect(&config.database).await?;
            let now = as_of.unwrap_or_else(|| crate::clock::Clock::now(&SystemClock));
            let effects = crate::rooms::sweeper::Effects::default();
            let closed = crate::rooms::sweeper::auto_close(store.as_ref(), &effects, now, dry_run, |room| {
                println!("{}", serde_json::to_string(room).unwrap_or_default());
            })
            .await?;
            println!("{}", serde_json::json!({ "closed": closed }));
            store.close().await;
            Ok(ExitCode::SUCCESS)
        }
        // Training and routing are CPU work with nothing else running: no need to leave the runtime.
        Command::Eval(args) => Ok(eval(args)),
    }
}

/// `sangdam simulate`: every turn of every script, then the summary.
async fn simulate(config: &Config, files: &[PathBuf], json: bool) -> anyhow::Result<ExitCode> {
    let scripts = files.iter().map(|f| crate::simulate::read(f).map(|s| (f, s))).collect::<Result<Vec<_>, _>>();
    let scripts = match scripts {
        Ok(scripts) => scripts,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(ExitCode::from(2));
        }
    };
    let outbound = crate::outbound::Outbound::new(config.outbound_allow.clone());
    let (agent, _) = crate::agent::build::build(&config.agent, &outbound)?;
    if let Some(e) = scripts.iter().find_map(|(f, s)| crate::simulate::check_skills(&agent, f, s).err()) {
        eprintln!("error: {e}");
        return Ok(ExitCode::from(2));
    }
    let (mut turns, mut failed, mut resolved) = (0usize, 0usize, 0usize);
    for (file, script) in &scripts {
        let results = crate::simulate::run(&agent, file, script).await;
        resolved += usize::from(results.iter().all(|r| r.failures.is_empty()));
        for result in results {
            turns += 1;
            let understood = match (&result.trace.skill, &result.trace.handoff) {
                (skill, Some(h)) => {
                    format!("{} -> handoff ({})", skill.as_deref().unwrap_or("out of scope"), h.reason.as_str())
                }
                (Some(skill), None) => skill.clone(),
                (None, None) => "no skill".to_owned(),
            };
            failed += usize::from(!result.failures.is_empty());
            if json {
                println!("{}", serde_json::to_string(&result).unwrap_or_default());
                continue;
            }
            let mark = if result.failures.is_empty() { "ok  " } else { "FAIL" };
            println!("{mark} {}#{} {:?}: {understood}", result.file.display(), result.turn, result.say);
            if let Some(ticket) = &result.ticket {
                println!(
                    "       ticket it would create (not sent): {:?}, tags {}, {} transcript lines",
                    ticket.subject,
                    ticket.tags.join(", "),
                    ticket.transcript.len()
                );
            }
            for failure in &result.failures {
                println!("       {failure}; replies: {:?}", result.replies);
            }
        }
    }
    let conversations = scripts.len();
    if json {
        let summary = serde_json::json!({
            "turns": turns, "passed": turns - failed, "failed": failed,
            "conversations": conversations, "resolved": resolved,
        });
        println!("{summary}");
    } else {
        let share = 100.0 * resolved as f64 / conversations.max(1) as f64;
        println!(
            "{turns} turns, {} passed, {failed} failed; {resolved} of {conversations} conversations passed every turn ({share:.1}%)",
            turns - failed
        );
    }
    Ok(if failed == 0 { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}
