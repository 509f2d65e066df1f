//! Static files: the dashboard from the web directory at `/`, GraphiQL at
//! `/graphiql`, and the browser libraries npm installed into
//! `web/node_modules` at `/vendor/` (nothing is loaded from a CDN).

use std::path::Path;

use axum::Router;
use tower_http::services::{ServeDir, ServeFile};

use super::AppState;

pub fn routes(web_dir: &Path) -> Router<AppState> {
    Router::new()
        .route_service("/graphiql", ServeFile::new(web_dir.join("graphiql.html")))
        .nest_service("/vendor", ServeDir::new(web_dir.join("node_modules")))
        .fallback_service(ServeDir::new(web_dir))
}
