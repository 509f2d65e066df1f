//! The dashboard at `/`, GraphiQL at `/graphiql`, the browser libraries at
//! `/vendor/VERSION/…` and the bundled dashboard at `/bundle/VERSION/main.js`,
//! which `/bundle/VERSION/boot.js` imports (nothing is loaded from a CDN).
//!
//! Pages are sent with `no-cache` and a Content-Security-Policy whose nonce
//! admits their inline import map; their library URLs carry the libraries'
//! version, so library files are cached for a year. The dashboard's own
//! modules are revalidated by ETag.

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use std::sync::Arc;

use super::assets::{self, Asset, BUNDLE_VERSION, VENDOR_VERSION};
use super::state::AppState;

const IMMUTABLE: &str = "public, max-age=31536000, immutable";
const REVALIDATE: &str = "no-cache";

pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/", get(index))
        .route("/graphiql", get(graphiql))
        .route("/vendor/{*path}", get(vendor))
        .route("/bundle/{*path}", get(bundle))
        .fallback(get(file))
}

async fn index(State(state): State<Arc<AppState>>) -> Response {
    page(&state, "index.html")
}

async fn graphiql(State(state): State<Arc<AppState>>) -> Response {
    page(&state, "graphiql.html")
}

fn page(state: &AppState, name: &str) -> Response {
    match state.web.page_file(name) {
        Some(asset) => html(&asset, &entry(&state.web, &asset)),
        None => not_found(name),
    }
}

/// The dashboard's entry module.
const ENTRY: &str = "<script type=\"module\" src=\"/app/main.js\">";

/// The module a page runs first: it sends the page's first questions, then
/// imports the entry module (`main.js`) from beside itself.
const BOOT: &str = "boot.js";

/// What loads the dashboard in a page: from the binary, the boot module,
/// which imports the bundle (one module); from a web directory
/// (development), the boot module and the entry module after a
/// `modulepreload` link for each of its modules and the libraries of its
/// import map, so the browser fetches them side by side instead of
/// discovering them import by import.
fn entry(web: &assets::Source, asset: &Asset) -> String {
    let page = String::from_utf8_lossy(&asset.bytes);
    if !page.contains(ENTRY) {
        return String::new();
    }
    if matches!(web, assets::Source::Embedded) {
        return format!("<script type=\"module\" src=\"/bundle/{BUNDLE_VERSION}/{BOOT}\">");
    }
    let libraries = page
        .split("\"/vendor/")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .filter(|path| path.ends_with(".js"))
        .map(|path| format!("/vendor/{path}"));
    let modules = web.modules().into_iter().map(|path| format!("/{path}"));
    let mut loads: String = libraries
        .chain(modules)
        .map(|href| format!("<link rel=\"modulepreload\" href=\"{href}\">\n  "))
        .collect();
    if web.page_file(&format!("app/{BOOT}")).is_some() {
        loads.push_str(&format!(
            "<script type=\"module\" src=\"/app/{BOOT}\"></script>\n  "
        ));
    }
    loads.push_str(ENTRY);
    loads
}

async fn file(State(state): State<Arc<AppState>>, headers: HeaderMap, uri: Uri) -> Response {
    let path = uri.path();
    match state.web.page_file(path) {
        Some(asset) if path.ends_with(".html") => html(&asset, &entry(&state.web, &asset)),
        Some(asset) => send(&headers, asset, REVALIDATE),
        None => not_found(path),
    }
}

async fn bundle(headers: HeaderMap, Path(path): Path<String>) -> Response {
    let files = (
        assets::bundle_file as Lookup,
        assets::bundle_gzipped as Lookup,
    );
    negotiated(&headers, &path, BUNDLE_VERSION, files)
}

async fn vendor(headers: HeaderMap, Path(path): Path<String>) -> Response {
    let files = (
        assets::vendor_file as Lookup,
        assets::vendor_gzipped as Lookup,
    );
    negotiated(&headers, &path, VENDOR_VERSION, files)
}

/// Finds a file by its path.
type Lookup = fn(&str) -> Option<Asset>;

/// A versioned file, gzipped to a browser that accepts it where a gzipped
/// copy exists (under its own ETag: another representation).
fn negotiated(
    headers: &HeaderMap,
    path: &str,
    current: &str,
    (plain, gzipped): (Lookup, Lookup),
) -> Response {
    let gzipped = accepts_gzip(headers)
        .then(|| versioned(headers, path, current, gzipped))
        .filter(|response| response.status() != StatusCode::NOT_FOUND);
    let mut response = match gzipped {
        Some(mut response) => {
            if response.status() == StatusCode::OK {
                let encoding = HeaderValue::from_static("gzip");
                response
                    .headers_mut()
                    .insert(header::CONTENT_ENCODING, encoding);
            }
            response
        }
        None => versioned(headers, path, current, plain),
    };
    let vary = HeaderValue::from_static("accept-encoding");
    response.headers_mut().insert(header::VARY, vary);
    response
}

/// Whether the request's `Accept-Encoding` admits gzip: named with a
/// quality above zero or, when not named, through `*` (RFC 9110, 12.5.3).
fn accepts_gzip(request: &HeaderMap) -> bool {
    let codings: Vec<(String, bool)> = request
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|coding| {
            let mut parts = coding.split(';').map(str::trim);
            let name = parts.next().unwrap_or_default().to_ascii_lowercase();
            let refused = parts.any(|p| {
                let (key, value) = p.split_once('=').unwrap_or((p, ""));
                key.trim().eq_ignore_ascii_case("q")
                    && value.trim().parse::<f32>().is_ok_and(|q| q <= 0.0)
            });
            (name, !refused)
        })
        .collect();
    let named = |name: &str| codings.iter().find(|(n, _)| n == name).map(|(_, ok)| *ok);
    named("gzip").or_else(|| named("*")).unwrap_or(false)
}

/// A file under a versioned URL (`VERSION/path`): kept for a year when the
/// version is this binary's, revalidated otherwise (an older page's URL).
fn versioned(headers: &HeaderMap, path: &str, current: &str, file: Lookup) -> Response {
    let (cache, path) = match path.split_once('/') {
        Some((version, rest)) if version == current => (IMMUTABLE, rest),
        Some((version, rest)) if is_version(version) => (REVALIDATE, rest),
        _ => (REVALIDATE, path),
    };
    match file(path) {
        Some(asset) => send(headers, asset, cache),
        None => not_found(path),
    }
}

/// Whether a path's first part is a version as the build makes them (12
/// hex digits), not a library's folder.
fn is_version(part: &str) -> bool {
    part.len() == 12 && part.bytes().all(|b| b.is_ascii_hexdigit())
}

/// A file, or 304 when the client holds this version already.
fn send(request: &HeaderMap, asset: Asset, cache: &'static str) -> Response {
    let fresh = request
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|tags| {
            tags.split(',')
                .map(|t| t.trim().trim_start_matches("W/"))
                .any(|t| t == "*" || t == asset.etag)
        });
    let headers = [
        (header::CACHE_CONTROL, HeaderValue::from_static(cache)),
        (
            header::ETAG,
            HeaderValue::from_str(&asset.etag).unwrap_or(HeaderValue::from_static("\"\"")),
        ),
    ];
    if fresh {
        return (StatusCode::NOT_MODIFIED, headers).into_response();
    }
    (
        headers,
        [(header::CONTENT_TYPE, content_type(&asset.mime))],
        asset.bytes.into_owned(),
    )
        .into_response()
}

/// A page: its `entry` in place of the entry module, its library URLs
/// versioned, its inline scripts admitted by a fresh nonce and nothing else
/// inline.
fn html(asset: &Asset, entry: &str) -> Response {
    let nonce = uuid::Uuid::new_v4().simple().to_string();
    let body = String::from_utf8_lossy(&asset.bytes)
        .replace(ENTRY, entry)
        .replace("\"/vendor/", &format!("\"/vendor/{VENDOR_VERSION}/"))
        .replace(
            "<script type=\"importmap\">",
            &format!("<script type=\"importmap\" nonce=\"{nonce}\">"),
        );
    let policy = format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}'; style-src 'self' 'unsafe-inline'; \
         img-src 'self' data:; font-src 'self' data:; connect-src 'self'; object-src 'none'; \
         base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    );
    (
        [
            (header::CACHE_CONTROL, HeaderValue::from_static(REVALIDATE)),
            (header::CONTENT_TYPE, content_type(&asset.mime)),
            (
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_str(&policy)
                    .unwrap_or(HeaderValue::from_static("default-src 'self'")),
            ),
            (
                header::REFERRER_POLICY,
                HeaderValue::from_static("no-referrer"),
            ),
        ],
        body,
    )
        .into_response()
}

fn content_type(mime: &str) -> HeaderValue {
    HeaderValue::from_str(mime).unwrap_or(HeaderValue::from_static("application/octet-stream"))
}

fn not_found(path: &str) -> Response {
    (
        StatusCode::NOT_FOUND,
        [(header::CACHE_CONTROL, HeaderValue::from_static(REVALIDATE))],
        format!("no such file: /{}\n", path.trim_start_matches('/')),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accepts(value: &str) -> bool {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_str(value).expect("a header value"),
        );
        accepts_gzip(&headers)
    }

    #[test]
    fn gzip_is_sent_only_where_the_request_admits_it() {
        assert!(accepts("gzip, deflate, br, zstd"));
        assert!(accepts("GZIP;q=0.5"));
        assert!(accepts("*"));
        assert!(accepts("br, *;q=0.1"));
        assert!(
            !accepts("gzip;q=0, *"),
            "named and refused: * does not cover it"
        );
        assert!(!accepts("gzip; Q=0"));
        assert!(!accepts("gzip;q=0.0"));
        assert!(!accepts("br, identity"));
        assert!(!accepts("*;q=0"));
        assert!(!accepts(""));
        assert!(!accepts_gzip(&HeaderMap::new()));
    }

    #[test]
    fn only_build_versions_are_read_as_versions() {
        assert!(is_version("0123456789ab"));
        assert!(!is_version("preact"));
        assert!(!is_version("0123456789abc"));
        assert!(!is_version("0123456789ag"));
    }
}
