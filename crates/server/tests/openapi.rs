//! The OpenAPI document: served, checked in, and covering every route the router has.
//!
//! After changing the API, regenerate the checked-in copy:
//! `BIZING_UPDATE_OPENAPI=1 cargo test -p bizing-server --test openapi`
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use axum::http::StatusCode;
use bizing_server::openapi;
use common::TestApp;
use serde_json::Value;

fn checked_in_path() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("openapi.json")
}

#[test]
fn the_checked_in_document_is_current() {
    let generated = openapi::document();
    let text = serde_json::to_string_pretty(&generated).unwrap() + "\n";
    if std::env::var_os("BIZING_UPDATE_OPENAPI").is_some() {
        std::fs::write(checked_in_path(), &text).unwrap();
    }
    let stored: Value = serde_json::from_str(&std::fs::read_to_string(checked_in_path()).unwrap()).unwrap();
    assert!(
        stored == generated,
        "crates/server/openapi.json is out of date: run BIZING_UPDATE_OPENAPI=1 cargo test -p bizing-server --test openapi"
    );
}

/// Every `.route("…", get(…)/post(…))` in lib.rs (on one line or, as rustfmt breaks long
/// ones, several), as (method, path).
fn router_routes() -> BTreeSet<(String, String)> {
    let source = include_str!("../src/lib.rs");
    let mut out = BTreeSet::new();
    for chunk in source.split(".route(").skip(1) {
        let Some(chunk) = chunk.trim_start().strip_prefix('"') else { continue };
        let (path, rest) = chunk.split_once('"').unwrap();
        let rest = rest.trim_start_matches([',', ' ', '\n']);
        for method in ["get", "post", "put", "patch", "delete"] {
            if rest.starts_with(&format!("{method}(")) || rest.contains(&format!(".{method}(")) {
                out.insert((method.to_owned(), path.to_owned()));
            }
        }
    }
    out
}

#[test]
fn every_route_is_documented_and_nothing_else() {
    let documented: BTreeSet<(String, String)> =
        openapi::routes().iter().map(|r| (r.method.to_owned(), r.path.to_owned())).collect();
    let routed = router_routes();
    assert!(routed.len() > 20, "{routed:?}");
    let missing: Vec<_> = routed.difference(&documented).collect();
    let stale: Vec<_> = documented.difference(&routed).collect();
    assert!(missing.is_empty(), "routes missing from the OpenAPI table in openapi.rs: {missing:?}");
    assert!(stale.is_empty(), "documented routes the router does not have: {stale:?}");
}

#[test]
fn every_reference_resolves() {
    let doc = openapi::document();
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    let mut refs = Vec::new();
    fn walk(v: &Value, refs: &mut Vec<String>) {
        match v {
            Value::Object(map) => {
                if let Some(Value::String(r)) = map.get("$ref") {
                    refs.push(r.clone());
                }
                map.values().for_each(|v| walk(v, refs));
            }
            Value::Array(items) => items.iter().for_each(|v| walk(v, refs)),
            _ => {}
        }
    }
    walk(&doc, &mut refs);
    assert!(!refs.is_empty());
    for r in refs {
        let name = r.strip_prefix("#/components/schemas/").unwrap_or_else(|| panic!("unexpected ref {r}"));
        assert!(schemas.contains_key(name), "{r} does not resolve");
    }
}

#[tokio::test]
async fn it_is_served() {
    let app = TestApp::new().await;
    let res = app.call("GET", "/api/openapi.json", None, None).await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(res.json, openapi::document());
    assert_eq!(res.json["openapi"], "3.1.0");
}
