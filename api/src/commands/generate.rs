//! `agentmon generate`: realistic demo traffic sent to a server through
//! `createOrg` and `ingestEvents`, with a progress bar; `--dry-run` prints
//! the events as JSON lines instead.

use std::io::Write;

use agentmon_core::auth::{Authenticator, MintRequest, Role};
use agentmon_core::generate::Plan;
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::{json, Value};

use crate::cli::{AuthArgs, GenerateArgs, StorageArgs};
use crate::demo::{CREATE_ORG_MUTATION, INGEST_MUTATION};
use crate::storage::{jwt_settings, SecretFile};

pub async fn run(storage: &StorageArgs, auth: &AuthArgs, args: GenerateArgs) -> anyhow::Result<()> {
    let plan = Plan {
        orgs: args.orgs,
        users: args.users,
        days: args.days,
        seed: args.seed,
        prefix: args.prefix.clone(),
        ..Plan::default()
    };
    if args.dry_run {
        let mut out = std::io::BufWriter::new(std::io::stdout().lock());
        for event in plan.events() {
            writeln!(out, "{}", serde_json::to_string(&event)?)?;
        }
        return Ok(());
    }

    let authenticator = Authenticator::new(jwt_settings(auth, storage, SecretFile::MustExist)?);
    let hour = std::time::Duration::from_secs(3600);
    let admin = authenticator.mint(
        &MintRequest::User {
            sub: "generator".into(),
            role: Role::SuperAdmin,
            org: None,
        },
        hour,
    )?;
    let producer = authenticator.mint(
        &MintRequest::Ingest {
            orgs: vec!["*".into()],
        },
        hour,
    )?;
    let endpoint = format!("{}/graphql", args.url.trim_end_matches('/'));
    let client = reqwest::Client::new();
    let call = |token: String, query: &'static str, variables: Value| {
        let request = client
            .post(&endpoint)
            .bearer_auth(token)
            .json(&json!({ "query": query, "variables": variables }));
        async move {
            let body: Value = request.send().await?.error_for_status()?.json().await?;
            anyhow::Ok(body)
        }
    };

    for org in plan.orgs() {
        let body = call(
            admin.clone(),
            CREATE_ORG_MUTATION,
            json!({ "slug": org.slug, "name": org.name, "timezone": org.timezone }),
        )
        .await?;
        let created = body["errors"].is_null();
        let exists = body.to_string().contains("already exists");
        anyhow::ensure!(created || exists, "cannot create org {}: {body}", org.slug);
    }

    let total = plan.events().count();
    let bar = ProgressBar::new(total as u64).with_style(ProgressStyle::with_template(
        "{bar:40} {pos}/{len} events {per_sec} eta {eta}",
    )?);
    let (mut accepted, mut duplicates, mut rejected) = (0, 0, 0);
    let mut chunk = Vec::with_capacity(1_000);
    let mut events = plan.events().peekable();
    while events.peek().is_some() {
        chunk.clear();
        chunk.extend(events.by_ref().take(1_000));
        let body = call(
            producer.clone(),
            INGEST_MUTATION,
            json!({ "events": chunk }),
        )
        .await?;
        let result = &body["data"]["ingestEvents"];
        anyhow::ensure!(result.is_object(), "ingestEvents failed: {body}");
        accepted += result["accepted"].as_u64().unwrap_or(0);
        duplicates += result["duplicates"].as_u64().unwrap_or(0);
        rejected += result["rejected"].as_array().map_or(0, Vec::len);
        bar.inc(chunk.len() as u64);
    }
    bar.finish();
    println!("{accepted} accepted, {duplicates} duplicates, {rejected} rejected");
    Ok(())
}
