//! `bizing-server`: the reference booking server.
//!
//! ```text
//! bizing-server [--listen 127.0.0.1:8080] [--database sqlite://bizing.db]
//!               [--master-key-file master.key] [--static DIR] [--demo [--demo-notice]]
//!               [--rate-limits 100,30,10[,10]] [--public-origin https://booking.example]
//! ```
//! The master key comes from `BIZING_MASTER_KEY` (32 bytes, base64url) or the file, which is
//! created with a fresh key if missing. `--static DIR` serves the built portal and widget from
//! `DIR/portal` and `DIR/widget`. `--demo` seeds the demo clinic and prints its accounts;
//! with `--demo-notice` it also publishes a demo Notice of Privacy Practices if the clinic has
//! none (what `cargo xtask demo` does, so the widget can take bookings at once).
//! `--rate-limits` sets the requests a minute allowed per session (or address): standard,
//! PHI reads, exports, and optionally guest bookings per address. `--public-origin` is the
//! origin browsers reach the server at: guest bookings sent from any other `Origin` are
//! refused (without it, that check is skipped).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use bizing_core::KdfProfile;
use bizing_server::clock::SystemClock;
use bizing_server::ratelimit::RateLimits;
use bizing_server::store::Store;
use bizing_server::vault::MasterKey;
use bizing_server::{AppState, Config, app, demo};

struct Args {
    listen: SocketAddr,
    database: String,
    master_key_file: PathBuf,
    static_root: Option<PathBuf>,
    demo: bool,
    demo_notice: bool,
    rate_limits: RateLimits,
    public_origin: Option<String>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
        database: "sqlite://bizing.db".into(),
        master_key_file: PathBuf::from("master.key"),
        static_root: None,
        demo: false,
        demo_notice: false,
        rate_limits: RateLimits::default(),
        public_origin: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = |name: &str| it.next().ok_or_else(|| format!("{name} needs a value"));
        match arg.as_str() {
            "--listen" => args.listen = value("--listen")?.parse().map_err(|e| format!("--listen: {e}"))?,
            "--database" => args.database = value("--database")?,
            "--master-key-file" => args.master_key_file = PathBuf::from(value("--master-key-file")?),
            "--static" => args.static_root = Some(PathBuf::from(value("--static")?)),
            "--demo" => args.demo = true,
            "--demo-notice" => args.demo_notice = true,
            "--rate-limits" => args.rate_limits = value("--rate-limits")?.parse()?,
            "--public-origin" => {
                let text = value("--public-origin")?;
                let origin = bizing_server::admin::normalize_origin(&text)
                    .map_err(|e| format!("--public-origin {text}: {e}"))?;
                args.public_origin = Some(origin);
            }
            "--help" | "-h" => return Err(String::new()),
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(args)
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .init();
    let args = match parse_args() {
        Ok(args) => args,
        Err(message) => {
            eprintln!(
                "{message}\nusage: bizing-server [--listen ADDR] [--database URL] [--master-key-file PATH] [--static DIR] [--demo [--demo-notice]] [--rate-limits STANDARD,PHI_READ,EXPORT[,GUEST_BOOKING]] [--public-origin ORIGIN]"
            );
            return ExitCode::from(2);
        }
    };
    match run(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("bizing-server: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> Result<(), String> {
    let master = match std::env::var("BIZING_MASTER_KEY") {
        Ok(text) => MasterKey::from_text(&text),
        Err(_) => MasterKey::load_or_create(&args.master_key_file),
    }
    .map_err(|e| e.to_string())?;
    let store = Store::open(&args.database).await.map_err(|e| format!("database {}: {e}", args.database))?;
    let config = Config {
        static_root: args.static_root.clone(),
        rate_limits: args.rate_limits,
        public_origin: args.public_origin.clone(),
        ..Config::default()
    };
    let state = AppState::new(store, master, Arc::new(SystemClock), config).map_err(|e| e.to_string())?;
    if args.demo {
        let accounts = demo::seed(&state, KdfProfile::Interactive).await.map_err(|e| e.to_string())?;
        print_accounts(&accounts);
        if args.demo_notice && demo::publish_notice(&state).await.map_err(|e| e.to_string())? {
            announce_notice();
        }
    } else if args.demo_notice {
        return Err("--demo-notice goes with --demo".into());
    }
    let listener =
        tokio::net::TcpListener::bind(args.listen).await.map_err(|e| format!("listen {}: {e}", args.listen))?;
    // With port 0 the system picks one: say which.
    let address = listener.local_addr().map_err(|e| format!("listen {}: {e}", args.listen))?;
    tracing::info!(address = %address, "listening");
    announce(address);
    axum::serve(listener, app(state).into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
        .map_err(|e| e.to_string())
}

#[allow(clippy::print_stdout)] // part of the demo's output
fn announce_notice() {
    println!("published a demo Notice of Privacy Practices for `{}`", demo::DEMO_TENANT);
}

#[allow(clippy::print_stdout)] // the one line a person starting the server looks for
fn announce(address: SocketAddr) {
    println!("bizing-server listening on http://{address}");
}

#[allow(clippy::print_stdout)] // printing the demo accounts is the point of --demo
fn print_accounts(accounts: &[demo::DemoAccount]) {
    if accounts.is_empty() {
        println!("demo clinic `{}` already seeded (accounts were printed when it was created)", demo::DEMO_TENANT);
        return;
    }
    println!("Demo clinic `{}` — accounts (demo data only):", demo::DEMO_TENANT);
    for a in accounts {
        println!(
            "  {:<13} {:<28} password: {:<24} TOTP secret: {}  recovery code: {}",
            a.role, a.email, a.password, a.totp_secret, a.recovery_code
        );
    }
}
