//! The dashboard's ETags and --web-dir, as the README says.

use axum::body::Body;
use axum::http::{header, HeaderMap, Request, StatusCode};
use tower::ServiceExt;

use crate::harness::TestApp;

use super::*;

fn get(path: &str, if_none_match: Option<&str>) -> Request<Body> {
    let mut request = Request::get(path);
    if let Some(tag) = if_none_match {
        request = request.header(header::IF_NONE_MATCH, tag);
    }
    request
        .body(Body::empty())
        .unwrap_or_else(|e| panic!("{e}"))
}

async fn call(router: &axum::Router, request: Request<Body>) -> (StatusCode, HeaderMap, String) {
    let response = router
        .clone()
        .oneshot(request)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    (
        status,
        headers,
        String::from_utf8_lossy(&bytes).into_owned(),
    )
}

fn etag_of(headers: &HeaderMap) -> String {
    headers
        .get(header::ETAG)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

/// README: "the dashboard's own modules are revalidated (ETag)"; pages are
/// sent anew each time.
#[tokio::test]
async fn the_dashboards_modules_are_revalidated_by_etag() {
    let app = TestApp::new().await;
    let first = app.respond(get("/app/main.js", None)).await;
    assert_eq!(first.status(), StatusCode::OK);
    assert_eq!(first.headers()[header::CACHE_CONTROL], "no-cache");
    let etag = etag_of(first.headers());
    assert!(etag.len() > 2 && etag.starts_with('"'), "{etag:?}");

    let again = app.respond(get("/app/main.js", Some(&etag))).await;
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(etag_of(again.headers()), etag);
    let body = axum::body::to_bytes(again.into_body(), usize::MAX)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(body.is_empty(), "a 304 has no body");

    let stale = app
        .respond(get("/app/main.js", Some("\"not-this-version\"")))
        .await;
    assert_eq!(stale.status(), StatusCode::OK);

    // A page carries a fresh nonce each time: never a 304.
    let page = app.respond(get("/", Some(&etag))).await;
    assert_eq!(page.status(), StatusCode::OK);
    assert_eq!(page.headers()[header::CACHE_CONTROL], "no-cache");
}

/// README: "`agentmon serve --web-dir web` reads the dashboard's files from
/// disk on every request", the page then loads the sources (each a
/// `modulepreload` link), and the libraries still come from the binary.
#[tokio::test]
async fn with_a_web_dir_the_dashboard_is_read_from_disk_on_every_request() {
    use agentmon_api::http::assets::VENDOR_VERSION;
    let app = TestApp::new().await;
    let dir = temp_path("claims-web");
    std::fs::create_dir_all(dir.join("app/pages")).unwrap_or_else(|e| panic!("{e}"));
    let write = |path: &str, text: &str| {
        std::fs::write(dir.join(path), text).unwrap_or_else(|e| panic!("{path}: {e}"))
    };
    write(
        "index.html",
        "<!doctype html><html><head><script type=\"importmap\">\
         {\"imports\": {\"preact\": \"/vendor/preact/dist/preact.module.js\"}}</script></head>\
         <body><script type=\"module\" src=\"/app/main.js\"></script></body></html>",
    );
    write("app/main.js", "export const version = 1;\n");
    write("app/pages/overview.js", "export default 1;\n");
    let router = app.router_with_web_dir(&dir);

    let (status, headers, page) = call(&router, get("/", None)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CACHE_CONTROL], "no-cache");
    for expected in [
        "<link rel=\"modulepreload\" href=\"/app/main.js\">".to_string(),
        "<link rel=\"modulepreload\" href=\"/app/pages/overview.js\">".to_string(),
        format!("<link rel=\"modulepreload\" href=\"/vendor/{VENDOR_VERSION}/preact/dist/preact.module.js\">"),
        "<script type=\"module\" src=\"/app/main.js\">".to_string(),
    ] {
        assert!(page.contains(&expected), "{expected} in {page}");
    }
    assert!(
        !page.contains("/bundle/"),
        "the sources, not the bundle: {page}"
    );

    let (status, headers, module) = call(&router, get("/app/main.js", None)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(module, "export const version = 1;\n");
    let first = etag_of(&headers);
    let (status, _, _) = call(&router, get("/app/main.js", Some(&first))).await;
    assert_eq!(status, StatusCode::NOT_MODIFIED);

    // Edited on disk: the next request has it, with a new validator.
    write("app/main.js", "export const version = 2;\n");
    let (status, headers, module) = call(&router, get("/app/main.js", Some(&first))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(module, "export const version = 2;\n");
    let second = etag_of(&headers);
    assert_ne!(second, first);
    let (status, _, _) = call(&router, get("/app/main.js", Some(&second))).await;
    assert_eq!(status, StatusCode::NOT_MODIFIED);

    // The folder holds no libraries: they come from the binary.
    let (status, headers, _) = call(
        &router,
        get(
            &format!("/vendor/{VENDOR_VERSION}/preact/dist/preact.module.js"),
            None,
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        headers[header::CACHE_CONTROL],
        "public, max-age=31536000, immutable"
    );
    let (status, _, _) = call(&router, get("/app/missing.js", None)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let _ = std::fs::remove_dir_all(&dir);
}
