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

#[tokio::test]
async fn sends_the_precompressed_file_to_a_browser_that_accepts_it() {
    use std::io::Read;

    let dir = common::tempdir::TempDir::new();
    let portal = dir.0.join("portal");
    std::fs::create_dir_all(&portal).unwrap();
    let wasm: Vec<u8> = b"\0asm\x01\0\0\0".iter().copied().cycle().take(4096).collect();
    std::fs::write(portal.join("portal-0123abcd4567.wasm"), &wasm).unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    std::io::Write::write_all(&mut gz, &wasm).unwrap();
    std::fs::write(portal.join("portal-0123abcd4567.wasm.gz"), gz.finish().unwrap()).unwrap();
    let app = TestApp::with_config(Config { static_root: Some(dir.0.clone()), ..Config::default() }).await;

    let request = |accept: Option<&str>| {
        let mut req = axum::http::Request::builder().uri("/portal/portal-0123abcd4567.wasm");
        if let Some(accept) = accept {
            req = req.header(header::ACCEPT_ENCODING, accept);
        }
        req.body(axum::body::Body::empty()).unwrap()
    };
    let zipped = app.send(request(Some("gzip, deflate, br"))).await;
    assert_eq!(zipped.status, StatusCode::OK);
    assert_eq!(zipped.headers.get(header::CONTENT_ENCODING).unwrap(), "gzip");
    assert_eq!(zipped.headers.get(header::CONTENT_TYPE).unwrap(), "application/wasm");
    assert_eq!(zipped.headers.get(header::VARY).unwrap(), "accept-encoding");
    assert_eq!(zipped.headers.get(header::CACHE_CONTROL).unwrap(), "public, max-age=31536000, immutable");
    assert!(zipped.raw.len() < wasm.len() / 10, "sent compressed");
    let mut unzipped = Vec::new();
    flate2::read::GzDecoder::new(zipped.raw.as_slice()).read_to_end(&mut unzipped).unwrap();
    assert_eq!(unzipped, wasm);

    // Brotli first when there is a `.br` sibling too (the server sends the file as it is: these
    // bytes stand for one).
    std::fs::write(portal.join("portal-0123abcd4567.wasm.br"), b"brotli bytes").unwrap();
    let brotli = app.send(request(Some("gzip, deflate, br"))).await;
    assert_eq!(brotli.headers.get(header::CONTENT_ENCODING).unwrap(), "br");
    assert_eq!(brotli.headers.get(header::CONTENT_TYPE).unwrap(), "application/wasm");
    assert_eq!(brotli.raw, b"brotli bytes");
    // Chromium over plain HTTP asks for gzip only, and gets it.
    assert_eq!(app.send(request(Some("gzip, deflate"))).await.headers.get(header::CONTENT_ENCODING).unwrap(), "gzip");

    // A client that does not ask for either gets the file as it is.
    let plain = app.send(request(None)).await;
    assert_eq!(plain.status, StatusCode::OK);
    assert!(plain.headers.get(header::CONTENT_ENCODING).is_none());
    assert_eq!(plain.raw, wasm);
}
