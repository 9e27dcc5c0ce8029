//! Static files for the web apps.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use axum::http::{StatusCode, header};
use bizing_server::Config;
use common::TestApp;

#[tokio::test]
async fn serves_the_web_apps_with_content_types_and_caching() {
    let dir = common::tempdir::TempDir::new();
    let portal = dir.0.join("portal");
    std::fs::create_dir_all(&portal).unwrap();
    std::fs::write(portal.join("index.html"), "<!doctype html><title>portal</title>").unwrap();
    std::fs::write(portal.join("portal_bg-0123abcd4567.wasm"), b"\0asm\x01\0\0\0").unwrap();
    std::fs::write(dir.0.join("secret.txt"), "not served").unwrap();
    let app = TestApp::with_config(Config { static_root: Some(dir.0.clone()), ..Config::default() }).await;

    let wasm = app.call("GET", "/portal/portal_bg-0123abcd4567.wasm", None, None).await;
    assert_eq!(wasm.status, StatusCode::OK);
    assert_eq!(wasm.headers.get(header::CONTENT_TYPE).unwrap(), "application/wasm");
    assert_eq!(wasm.headers.get(header::CACHE_CONTROL).unwrap(), "public, max-age=31536000, immutable");
    assert_eq!(wasm.raw, b"\0asm\x01\0\0\0");

    let index = app.call("GET", "/portal/", None, None).await;
    assert_eq!(index.status, StatusCode::OK);
    assert!(index.headers.get(header::CONTENT_TYPE).unwrap().to_str().unwrap().starts_with("text/html"));
    assert_eq!(index.headers.get(header::CACHE_CONTROL).unwrap(), "no-cache");
    // The security headers apply to the apps too.
    assert!(index.headers.get(header::CONTENT_SECURITY_POLICY).is_some());

    for path in ["/portal/../secret.txt", "/portal/%2e%2e/secret.txt", "/portal/missing.js", "/widget/"] {
        let res = app.call("GET", path, None, None).await;
        assert_eq!(res.status, StatusCode::NOT_FOUND, "{path}");
        assert!(!String::from_utf8_lossy(&res.raw).contains("not served"));
    }
}
