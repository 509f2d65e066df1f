//! A comparable picture of every read model of a database: rows as JSON,
//! org ids replaced by slugs, rollup rows that sum to nothing left out.

use std::collections::BTreeMap;

use diesel_async::RunQueryDsl;
use serde_json::Value;

use super::TestApp;

const TABLES: [(&str, &str); 13] = [
    ("sessions", "session_id"),
    ("runs", "run_id"),
    ("handoffs", "event_id"),
    ("users", "user_id"),
    ("org_daily", "day"),
    ("user_daily", "user_id, day"),
    ("user_weekly", "user_id, week"),
    ("org_daily_durations", "day, bucket"),
    ("user_daily_durations", "user_id, day, bucket"),
    ("org_weekly_durations", "week, bucket"),
    ("rollup_contributions", "session_id"),
    ("org_daily_breakdowns", "dimension, day, value"),
    ("breakdown_contributions", "session_id"),
];

#[derive(diesel::QueryableByName)]
struct Rows {
    #[diesel(sql_type = diesel::sql_types::Jsonb)]
    rows: Value,
}

pub type Snapshot = BTreeMap<&'static str, Vec<Value>>;

pub async fn snapshot(app: &TestApp) -> Snapshot {
    let mut conn = app.db.owner().await.unwrap_or_else(|e| panic!("{e}"));
    let mut out = BTreeMap::new();
    for (table, order) in TABLES {
        let sql = format!(
            "SELECT coalesce(jsonb_agg((to_jsonb(t) - 'org_id' - 'created_at' - 'projected_at') || jsonb_build_object('org', o.slug) \
             ORDER BY o.slug, {order}), '[]') AS rows FROM {table} t JOIN orgs o ON o.id = t.org_id"
        );
        let rows: Rows = diesel::sql_query(&sql)
            .get_result(&mut conn)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
        let rows: Vec<Value> = rows
            .rows
            .as_array()
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .filter(|row| !sums_to_nothing(table, row))
            .collect();
        out.insert(table, rows);
    }
    out
}

/// A rollup row whose every figure is zero is as good as no row.
fn sums_to_nothing(table: &str, row: &Value) -> bool {
    if !table.contains("daily") && !table.contains("weekly") && table != "org_daily_breakdowns" {
        return false;
    }
    let keys = [
        "org",
        "user_id",
        "day",
        "week",
        "bucket",
        "dimension",
        "value",
    ];
    row.as_object().is_some_and(|o| {
        o.iter()
            .filter(|(k, _)| !keys.contains(&k.as_str()))
            .all(|(_, v)| {
                v.as_f64() == Some(0.0)
                    || v.as_str().and_then(|s| s.parse::<f64>().ok()) == Some(0.0)
            })
    })
}

/// Asserts two snapshots are equal, naming the first table that differs.
pub fn assert_same(left: &Snapshot, right: &Snapshot, what: &str) {
    for (table, rows) in left {
        let other = right.get(table).cloned().unwrap_or_default();
        if *rows != other {
            let first = rows.iter().zip(&other).find(|(a, b)| a != b);
            panic!(
                "{what}: table {table} differs ({} vs {} rows); first difference: {first:#?}",
                rows.len(),
                other.len()
            );
        }
    }
}
