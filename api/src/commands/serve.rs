//! `agentmon serve`: the server, until SIGINT or SIGTERM, after which
//! in-flight requests finish before the process exits.

use agentmon_core::auth::Authenticator;
use anyhow::Context;

use crate::cli::{AuthArgs, ServeArgs, StorageArgs};
use crate::graphql::{self, Limits};
use crate::http::{router, AppState};
use crate::storage::{jwt_settings, Storage};

pub async fn run(
    storage_args: &StorageArgs,
    auth: &AuthArgs,
    args: ServeArgs,
) -> anyhow::Result<()> {
    let auth = Authenticator::new(jwt_settings(auth, storage_args)?);
    let storage = Storage::open(storage_args).await?;
    let result = serve(&storage, auth, &args).await;
    storage.close();
    result
}

async fn serve(storage: &Storage, auth: Authenticator, args: &ServeArgs) -> anyhow::Result<()> {
    let limits = Limits {
        depth: args.max_query_depth,
        complexity: args.max_query_complexity,
    };
    let state = AppState {
        schema: graphql::build(Some(storage.db.clone()), limits),
        auth,
        db: storage.db.clone(),
        web_dir: args.web_dir.clone(),
    };
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let url = format!("http://{}", listener.local_addr()?);
    tracing::info!(%url, "agentmon is listening");
    println!("agentmon is listening on {url}");
    println!("  GraphiQL: {url}/graphiql");
    println!("  a token:  cargo run --release -- token --role SUPER_ADMIN");
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    tracing::info!("stopped accepting requests; in-flight requests finished");
    Ok(())
}

async fn shutdown_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = match signal(SignalKind::terminate()) {
        Ok(term) => term,
        Err(e) => {
            tracing::error!(error = %e, "cannot listen for SIGTERM");
            return std::future::pending().await;
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => tracing::info!("SIGINT: shutting down"),
        _ = term.recv() => tracing::info!("SIGTERM: shutting down"),
    }
}
