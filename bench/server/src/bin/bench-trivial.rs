//! The baseline of the server benchmark: a trivial axum handler (a constant JSON body) on the
//! same runtime and HTTP stack as `bizing-server`, so the booking figures can be read as a
//! fraction of what this machine serves at all.
//!
//! Usage: `bench-trivial ADDR` (e.g. `127.0.0.1:0`); prints `listening on http://ADDR`.

use std::process::ExitCode;

use axum::Router;
use axum::routing::get;

#[tokio::main]
async fn main() -> ExitCode {
    let address = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:0".into());
    let listener = match tokio::net::TcpListener::bind(&address).await {
        Ok(listener) => listener,
        Err(e) => {
            eprintln!("bench-trivial: listen {address}: {e}");
            return ExitCode::FAILURE;
        }
    };
    match listener.local_addr() {
        #[allow(clippy::print_stdout, reason = "the listening line is how xtask finds the port")]
        Ok(local) => println!("listening on http://{local}"),
        Err(e) => {
            eprintln!("bench-trivial: {e}");
            return ExitCode::FAILURE;
        }
    }
    let app = Router::new().route("/trivial", get(|| async { axum::Json(serde_json::json!({ "ok": true })) }));
    match axum::serve(listener, app).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench-trivial: {e}");
            ExitCode::FAILURE
        }
    }
}
