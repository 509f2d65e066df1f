//! Isolation holds in the database: a transaction bound to org A sees only
//! org A's rows, even with no `WHERE org_id` in the query.

use agentmon_core::storage::db::set_org;
use agentmon_core::storage::schema::{events, orgs, projection_queue, session_owners, users};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use uuid::Uuid;

use crate::harness::{event, TestApp};

#[tokio::test]
async fn a_transaction_bound_to_one_org_sees_only_its_rows() {
    let app = TestApp::new().await;
    app.create_org("acme", "UTC").await;
    app.create_org("globex", "UTC").await;
    let mut batch: Vec<_> = (0..3)
        .map(|_| event("acme", "SESSION_STARTED").user("a").build())
        .collect();
    batch.extend((0..5).map(|i| {
        event("globex", "SESSION_STARTED")
            .session(&format!("g{i}"))
            .user("g")
            .build()
    }));
    let body = app.ingest(&batch).await;
    assert_eq!(body["data"]["ingestEvents"]["accepted"], 8, "{body}");

    let mut conn = app.db.app().await.unwrap_or_else(|e| panic!("{e}"));
    let acme: Uuid = orgs::table
        .filter(orgs::slug.eq("acme"))
        .select(orgs::id)
        .first(&mut conn)
        .await
        .unwrap_or_else(|e| panic!("{e}"));

    let (event_orgs, user_ids, queued, sessions) = conn
        .transaction::<_, diesel::result::Error, _>(async |conn| {
            set_org(conn, acme).await?;
            let event_orgs: Vec<Uuid> = events::table.select(events::org_id).load(conn).await?;
            let user_ids: Vec<String> = users::table.select(users::user_id).load(conn).await?;
            let queued: i64 = projection_queue::table.count().get_result(conn).await?;
            let sessions: i64 = session_owners::table.count().get_result(conn).await?;
            Ok((event_orgs, user_ids, queued, sessions))
        })
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(event_orgs.len(), 3);
    assert!(event_orgs.iter().all(|o| *o == acme));
    assert_eq!(user_ids, vec!["a".to_string()]);
    assert_eq!(queued, 3);
    assert_eq!(sessions, 1);
}

#[tokio::test]
async fn a_transaction_bound_to_no_org_sees_no_tenant_rows_and_cannot_write_them() {
    let app = TestApp::new().await;
    app.create_org("acme", "UTC").await;
    app.ingest(&[event("acme", "SESSION_STARTED").build()])
        .await;

    let mut conn = app.db.app().await.unwrap_or_else(|e| panic!("{e}"));
    let seen: i64 = events::table
        .count()
        .get_result(&mut conn)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(seen, 0, "no org bound: no rows");

    // Bound to one org, writing a row of another org is refused.
    let acme: Uuid = orgs::table
        .filter(orgs::slug.eq("acme"))
        .select(orgs::id)
        .first(&mut conn)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let other = Uuid::new_v4();
    let write = conn
        .transaction::<_, diesel::result::Error, _>(async |conn| {
            set_org(conn, other).await?;
            diesel::insert_into(users::table)
                .values((users::org_id.eq(acme), users::user_id.eq("intruder")))
                .execute(conn)
                .await
        })
        .await;
    let err = write.expect_err("a cross-org write must fail");
    assert!(err.to_string().contains("row-level security"), "{err}");
}

#[tokio::test]
async fn the_org_binding_does_not_leak_to_the_next_transaction_on_the_connection() {
    let app = TestApp::new().await;
    app.create_org("acme", "UTC").await;
    app.ingest(&[event("acme", "SESSION_STARTED").build()])
        .await;
    let mut conn = app.db.app().await.unwrap_or_else(|e| panic!("{e}"));
    let acme: Uuid = orgs::table
        .filter(orgs::slug.eq("acme"))
        .select(orgs::id)
        .first(&mut conn)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let inside: i64 = conn
        .transaction::<_, diesel::result::Error, _>(async |conn| {
            set_org(conn, acme).await?;
            events::table.count().get_result(conn).await
        })
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(inside, 1);
    let after: i64 = events::table
        .count()
        .get_result(&mut conn)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(after, 0);
}

#[derive(diesel::QueryableByName, Debug)]
struct Login {
    #[diesel(sql_type = diesel::sql_types::Text)]
    session_user: String,
    #[diesel(sql_type = diesel::sql_types::Bool)]
    superuser: bool,
    #[diesel(sql_type = diesel::sql_types::Bool)]
    bypass_rls: bool,
    #[diesel(sql_type = diesel::sql_types::Text)]
    application_name: String,
}

async fn login(conn: &mut diesel_async::AsyncPgConnection) -> Login {
    diesel::sql_query(
        "SELECT session_user::text AS session_user, \
                r.rolsuper AS superuser, r.rolbypassrls AS bypass_rls, \
                current_setting('application_name') AS application_name \
           FROM pg_roles r WHERE r.rolname = session_user",
    )
    .get_result(conn)
    .await
    .unwrap_or_else(|e| panic!("{e}"))
}

#[tokio::test]
async fn requests_log_in_as_a_role_that_reset_role_cannot_free_from_row_level_security() {
    use diesel_async::SimpleAsyncConnection;
    let app = TestApp::new().await;
    app.create_org("acme", "UTC").await;
    app.ingest(&[event("acme", "SESSION_STARTED").build()])
        .await;

    let mut conn = app.db.app().await.unwrap_or_else(|e| panic!("{e}"));
    let who = login(&mut conn).await;
    assert_eq!(who.session_user, "agentmon_api", "{who:?}");
    assert!(!who.superuser && !who.bypass_rls, "{who:?}");
    assert_eq!(who.application_name, "agentmon-api");

    // What an injected statement could try: leave the role, then read.
    conn.batch_execute("RESET ROLE")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        conn.batch_execute("SET ROLE agentmon").await.is_err(),
        "the request login cannot become the owner"
    );
    let visible: i64 = events::table
        .count()
        .get_result(&mut conn)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        visible, 0,
        "no org bound, no tenant row visible after RESET ROLE"
    );
    for statement in ["DELETE FROM audit_log", "UPDATE audit_log SET action = 'x'"] {
        assert!(
            conn.batch_execute(statement).await.is_err(),
            "the request login may not run {statement}"
        );
    }
    assert!(app.count("SELECT count(*) AS n FROM audit_log").await > 0);

    let mut worker = app.db.worker().await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(login(&mut worker).await.application_name, "agentmon-worker");
    let mut admin = app.db.owner().await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(login(&mut admin).await.application_name, "agentmon-admin");
}

/// Every table that holds an org's rows (an `org_id` column) has row-level
/// security on, with a policy: a new table cannot forget it. The ones
/// listed are written and read only by the owner's login (no grant to the
/// request role) and say why.
#[tokio::test]
async fn every_table_with_an_org_id_has_row_level_security() {
    #[derive(diesel::QueryableByName, Debug)]
    struct Name {
        #[diesel(sql_type = diesel::sql_types::Text)]
        relname: String,
        #[diesel(sql_type = diesel::sql_types::Bool)]
        granted: bool,
    }
    let app = TestApp::new().await;
    let mut conn = app.db.owner().await.unwrap_or_else(|e| panic!("{e}"));
    let tables: Vec<Name> = diesel::sql_query(
        "SELECT c.relname::text AS relname, \
                has_table_privilege('agentmon_app', c.oid, 'SELECT') AS granted \
         FROM pg_class c JOIN pg_namespace ns ON ns.oid = c.relnamespace \
         WHERE ns.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition \
           AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'org_id' AND NOT a.attisdropped) \
           AND (NOT c.relrowsecurity OR NOT EXISTS (SELECT 1 FROM pg_policy p WHERE p.polrelid = c.oid)) \
         ORDER BY 1",
    )
    .load(&mut conn)
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    // Unprotected tables the request role may read are the danger.
    let readable: Vec<&str> = tables
        .iter()
        .filter(|t| t.granted)
        .map(|t| t.relname.as_str())
        .collect();
    assert!(
        readable.is_empty(),
        "readable by requests without row-level security: {readable:?}"
    );
}
