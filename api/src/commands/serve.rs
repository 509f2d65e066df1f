//! `agentmon serve`: the server, with a projection worker unless
//! `--no-worker`, until SIGINT or SIGTERM; in-flight requests and the
//! worker's batch in hand finish before the process exits.

use agentmon_core::auth::{ApiKeys, Authenticator, MintRequest, Role};

/// The label of the key API key secrets are hashed with.
pub const API_KEYS: &str = "agentmon api keys";
use agentmon_core::generate::Plan;
use agentmon_projectors::worker::Worker;
use anyhow::Context;
use tokio_util::sync::CancellationToken;

use super::signals::shutdown_signal;
use crate::cli::{AuthArgs, ServeArgs, StorageArgs};
use crate::graphql::{self, Limits};
use crate::http::assets::Source;
use crate::http::{router, AppState};
use crate::storage::{jwt_settings, redact, SecretFile, Storage};
use crate::tls::{Reloading, TlsFiles, TlsListener};
use axum::http::header::STRICT_TRANSPORT_SECURITY;
use axum::http::HeaderValue;
use axum::serve::ListenerExt;
use tower_http::set_header::SetResponseHeaderLayer;

pub async fn run(
    storage_args: &StorageArgs,
    auth_args: &AuthArgs,
    args: ServeArgs,
) -> anyhow::Result<()> {
    let settings = jwt_settings(auth_args, storage_args, SecretFile::CreateIfMissing)?;
    let keys = ApiKeys::new(settings.derived_key(API_KEYS));
    let auth = Authenticator::new(settings);
    let mut storage = Storage::open(storage_args).await?;
    // Only the server reads from replicas; the worker and commands write.
    storage.read_from_replicas(storage_args)?;
    let result = serve(storage_args, auth_args, &storage, (auth, keys), &args).await;
    storage.close();
    result
}

async fn serve(
    storage_args: &StorageArgs,
    auth_args: &AuthArgs,
    storage: &Storage,
    (auth, keys): (Authenticator, ApiKeys),
    args: &ServeArgs,
) -> anyhow::Result<()> {
    let services = crate::storage::services(storage_args, &storage.db, &args.rates, keys)?;
    let limits = Limits {
        depth: args.max_query_depth,
        complexity: args.max_query_complexity,
    };
    let schema = graphql::build(Some(services.clone()), limits);
    let state = AppState {
        web: match &args.web_dir {
            Some(dir) => Source::Dir(dir.clone()),
            None => Source::Embedded,
        },
        metrics_token: args.metrics_token.clone(),
        request_timeout: args.request_timeout,
        ..AppState::new(&services, schema.clone(), auth.clone())
    };
    let tls = TlsFiles::from_args(args.tls_cert.clone(), args.tls_key.clone())?
        .map(Reloading::open)
        .transpose()?;
    let _watch = tls.as_ref().map(Reloading::watch);
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let scheme = if tls.is_some() { "https" } else { "http" };
    let url = format!("{scheme}://{}", listener.local_addr()?);

    let stop_worker = CancellationToken::new();
    let worker = (!args.no_worker).then(|| {
        let worker = Worker::new(
            storage.db.clone(),
            &storage.url,
            agentmon_projectors::registry(),
            args.worker.config(),
        )
        .with_bus(services.bus.clone());
        let token = stop_worker.clone();
        tokio::spawn(async move { worker.run(token).await })
    });
    if args.demo {
        let (schema, db) = (schema.clone(), storage.db.clone());
        tokio::spawn(async move {
            match crate::demo::seed(&schema, &db, &demo_plan()).await {
                Ok(0) => tracing::info!("demo orgs exist already"),
                Ok(n) => tracing::info!(events = n, "demo orgs created and filled"),
                Err(e) => tracing::error!(error = %e, "could not create the demo data"),
            }
        });
    }

    let grpc = match args.otlp_grpc_listen {
        Some(addr) => {
            let listener = tokio::net::TcpListener::bind(addr)
                .await
                .with_context(|| format!("cannot listen for OTLP/gRPC on {addr}"))?;
            tracing::info!(addr = %listener.local_addr()?, "OTLP/gRPC is listening");
            let state = state.clone();
            let acceptor = tls
                .as_ref()
                .map(|certs| crate::tls::acceptor(certs, &[b"h2"]))
                .transpose()?;
            Some(tokio::spawn(crate::otlp::serve_grpc(
                state,
                listener,
                acceptor,
                shutdown_signal(),
            )))
        }
        None => None,
    };
    let flusher = tokio::spawn(flush_every(state.clone(), FLUSH_EVERY));
    tracing::info!(%url, "agentmon is listening");
    print_start(storage_args, auth_args, storage, &state, &url, args, &auth)?;
    let state_for_flush = state.clone();
    match &tls {
        Some(certs) => {
            let acceptor = crate::tls::acceptor(certs, &[b"http/1.1"])?;
            let app = router(state)
                .layer(SetResponseHeaderLayer::overriding(
                    STRICT_TRANSPORT_SECURITY,
                    HeaderValue::from_static(crate::tls::HSTS),
                ))
                .into_make_service_with_connect_info::<std::net::SocketAddr>();
            // tap_io: the peer's address reaches handlers as with plain TCP.
            let listener = TlsListener::new(listener, acceptor)?.tap_io(|_| {});
            axum::serve(listener, app)
                .with_graceful_shutdown(shutdown_signal())
                .await?;
        }
        None => {
            tracing::warn!(
                "TLS is off: agentmon speaks plain HTTP and expects a TLS-terminating proxy in front \
                 (or set AGENTMON_TLS_CERT and AGENTMON_TLS_KEY)"
            );
            let app = router(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
            axum::serve(listener, app)
                .with_graceful_shutdown(shutdown_signal())
                .await?;
        }
    }
    tracing::info!("stopped accepting requests; in-flight requests finished");
    if let Some(grpc) = grpc {
        grpc.await??;
    }
    flusher.abort();
    flush(&state_for_flush).await;
    stop_worker.cancel();
    if let Some(worker) = worker {
        worker.await??;
    }
    Ok(())
}

/// How often sightings of users and uses of keys are written.
const FLUSH_EVERY: std::time::Duration = std::time::Duration::from_secs(10);

/// Writes who was seen and which keys were used, every `period`.
async fn flush_every(state: AppState, period: std::time::Duration) {
    let mut tick = tokio::time::interval(period);
    loop {
        tick.tick().await;
        flush(&state).await;
    }
}

async fn flush(state: &AppState) {
    if let Err(e) = state.presence.flush(&state.db).await {
        tracing::warn!(error = %e, "could not record when users were last seen");
    }
    match state.db.app().await {
        Ok(mut conn) => {
            if let Err(e) = state.keys.flush_last_used(&mut conn).await {
                tracing::warn!(error = %e, "could not record when API keys were last used");
            }
        }
        Err(e) => tracing::warn!(error = %e, "could not record when API keys were last used"),
    }
}

/// How long the demo's sign-in link works: a working day. It is printed
/// where log collectors may keep it, so it is short; `agentmon token`
/// makes another.
const DEMO_LINK_LIFETIME: std::time::Duration = std::time::Duration::from_secs(8 * 3600);

/// The first lines a person sees: where the data lives, what the server
/// uses, where to go, and how to get a token.
fn print_start(
    storage_args: &StorageArgs,
    auth_args: &AuthArgs,
    storage: &Storage,
    state: &AppState,
    url: &str,
    args: &ServeArgs,
    auth: &Authenticator,
) -> anyhow::Result<()> {
    // The data directory is used by the embedded PostgreSQL and the
    // generated JWT secret; with neither, there is none to print.
    let uses_data_dir = storage_args.database_url.is_none() || auth_args.jwt_secret.is_none();
    let data_dir = uses_data_dir
        .then(|| {
            crate::data_dir::resolve(storage_args.data_dir.as_deref())
                .ok()
                .map(|(dir, _)| dir)
        })
        .flatten();
    let shared = match &storage_args.redis_url {
        Some(redis) => format!(
            "Redis at {}",
            redact(secrecy::ExposeSecret::expose_secret(redis))
        ),
        None => "in-process (set REDIS_URL to share them between replicas)".into(),
    };
    let me = std::env::args().next().unwrap_or_else(|| "agentmon".into());
    let env = match (&auth_args.jwt_secret, &storage_args.data_dir, &data_dir) {
        (Some(_), _, _) => "AGENTMON_JWT_SECRET=<the same secret> ".to_string(),
        (None, Some(_), Some(dir)) => format!("AGENTMON_DATA_DIR={} ", dir.display()),
        _ => String::new(),
    };
    println!(
        "agentmon {} is listening on {url}",
        env!("CARGO_PKG_VERSION")
    );
    if let Some(dir) = &data_dir {
        println!("  data directory:  {}", dir.display());
    }
    println!("  PostgreSQL:      {}", storage.describe());
    println!("  cache and live:  {shared}");
    println!(
        "  TLS:             {}",
        match (&args.tls_cert, &args.tls_key) {
            (Some(cert), Some(_)) => format!(
                "on, certificate {} (read again when it changes)",
                cert.display()
            ),
            _ => "off: plain HTTP, for a TLS-terminating proxy in front (docs/operations.md), \
                  or set AGENTMON_TLS_CERT and AGENTMON_TLS_KEY"
                .into(),
        }
    );
    println!(
        "  projection:      {}",
        if args.no_worker {
            "by separate `agentmon worker` processes"
        } else {
            "a worker in this process"
        }
    );
    println!("  dashboard:       {url}/ ({})", state.web.describe());
    println!("  GraphiQL:        {url}/graphiql");
    println!("  metrics:         {url}/metrics");
    if args.demo {
        let token = auth.mint(
            &MintRequest::User {
                sub: "demo-admin".into(),
                role: Role::SuperAdmin,
                org: None,
            },
            DEMO_LINK_LIFETIME,
        )?;
        println!("  sign in as the demo SUPER_ADMIN: {url}/#token={token}");
        println!("  GraphiQL, signed in:             {url}/graphiql#token={token}");
        println!(
            "  (these links sign in as SUPER_ADMIN for {} hours: keep them out of shared logs)",
            DEMO_LINK_LIFETIME.as_secs() / 3600
        );
    }
    println!("  a dashboard token: {env}{me} token --role SUPER_ADMIN");
    println!("  a producer key:    {env}{me} key create --org SLUG --name NAME");
    println!("  a producer token:  {env}{me} token --ingest --orgs '*'");
    Ok(())
}

/// The demo traffic: 90 days, so that every range the dashboard offers (7,
/// 30, 90 days) is full, and the 7- and 30-day ranges have a full previous
/// period to compare with.
fn demo_plan() -> Plan {
    Plan {
        days: 90,
        ..Plan::default()
    }
}
