//! What reaches the server log: routes, never PHI. Alone in its test binary because
//! tracing caches per-callsite interest process-wide, and a test running without a
//! subscriber at the same time would hide these events.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use common::{Patient, TENANT, TestApp};

/// Collects what the server logs.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn the_log_carries_routes_not_phi() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .json()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    tracing::info!("capture started");
    let app = TestApp::new().await;
    let mut patient = Patient::new("quintus.lognote@example.com", "Quintus Lognote");
    let cookie = patient.sign_up(&app, TENANT).await;
    let me = app.call("GET", "/api/me", None, Some(&cookie)).await;
    assert_eq!(me.json["name"], "Quintus Lognote");
    // Failed requests too: a wrong password, a malformed body that echoes nothing back to logs.
    let mut wrong = Patient::new("quintus.lognote@example.com", "Quintus Lognote");
    wrong.params = patient.params.clone();
    wrong.password = "wrong".into();
    wrong.login(&app, TENANT).await;
    app.call("POST", "/api/auth/prelogin", Some(serde_json::json!({ "tenantId": TENANT, "email": 7 })), None).await;
    let id = me.json["userId"].as_str().unwrap();
    app.call("GET", &format!("/api/bookings/{id}?q=Quintus"), None, Some(&cookie)).await;
    // A confidential contact, accepted and refused, is in no log line either.
    let contact = serde_json::json!({ "method": "email", "value": "quintus.hideout@example.org" });
    let res = app.call("PUT", "/api/preferences/confidential-contact", Some(contact), Some(&cookie)).await;
    assert_eq!(res.status, axum::http::StatusCode::OK, "{}", res.json);
    let refused = serde_json::json!({ "method": "phone", "value": "Quintus-hideout-number" });
    app.call("PUT", "/api/preferences/confidential-contact", Some(refused), Some(&cookie)).await;
    app.call("GET", "/api/preferences", None, Some(&cookie)).await;

    let log = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(log.contains("capture started"), "the capture works:\n{log}");
    assert!(log.contains("/api/auth/register") && log.contains("/api/me"), "requests are logged:\n{log}");
    assert!(log.contains("/api/bookings/{id}"), "by route template:\n{log}");
    assert!(log.contains("/api/preferences/confidential-contact"), "by route template:\n{log}");
    for secret in ["Quintus", "Lognote", "quintus.lognote", "hideout", &patient.password, id] {
        assert!(!log.contains(secret), "{secret} reached the log:\n{log}");
    }
}
