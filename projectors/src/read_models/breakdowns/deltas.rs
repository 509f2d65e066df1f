//! The sums of a batch's differences to the breakdowns, by (org,
//! dimension, day, value), and how they are written.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use agentmon_core::Result;
use async_trait::async_trait;
use chrono::NaiveDate;
use diesel_async::AsyncPgConnection;
use serde::Serialize;
use uuid::Uuid;

use super::contribution::{Contribution, Figures, Key};
use crate::additive::increment::{figure_columns, increment_sql};
use crate::sql::write_rows;

#[derive(Serialize)]
struct Row<'a> {
    org_id: Uuid,
    dimension: &'a str,
    day: NaiveDate,
    value: &'a str,
    #[serde(flatten)]
    figures: Figures,
}

static INCREMENT: LazyLock<String> = LazyLock::new(|| {
    increment_sql(
        "org_daily_breakdowns",
        &[
            ("org_id", "uuid"),
            ("dimension", "text"),
            ("day", "date"),
            ("value", "text"),
        ],
        &figure_columns(&Figures::COLUMNS),
        "",
    )
});

/// Rows the batch touched that now hold nothing: their value (a model, an
/// attribute's value, perhaps an erased person's) is not kept at zero.
static FORGET_EMPTY: LazyLock<String> = LazyLock::new(|| {
    let empty: Vec<String> = Figures::COLUMNS
        .iter()
        .map(|c| format!("t.{c} = 0"))
        .collect();
    format!(
        "DELETE FROM org_daily_breakdowns t USING jsonb_to_recordset($1) \
           AS x(org_id uuid, dimension text, day date, value text) \
         WHERE t.org_id = x.org_id AND t.dimension = x.dimension AND t.day = x.day \
           AND t.value = x.value AND {}",
        empty.join(" AND ")
    )
});

/// The sums of a batch's differences, in key order.
#[derive(Default)]
pub struct Deltas(BTreeMap<(Uuid, Key), Figures>);

#[async_trait]
impl crate::additive::Deltas<Contribution> for Deltas {
    fn add(&mut self, org: Uuid, c: &Contribution, sign: i64) {
        for (key, f) in &c.entries {
            self.0.entry((org, key.clone())).or_default().add(f, sign);
        }
    }

    async fn write(mut self, tx: &mut AsyncPgConnection) -> Result<()> {
        self.0.retain(|_, f| !f.is_zero());
        let rows: Vec<Row> = self
            .0
            .iter()
            .map(|((org_id, (dimension, day, value)), figures)| Row {
                org_id: *org_id,
                dimension,
                day: *day,
                value,
                figures: *figures,
            })
            .collect();
        write_rows(tx, &INCREMENT, &rows).await?;
        // Only a row that lost something can have fallen to zero.
        let lost: Vec<&Row> = rows.iter().filter(|r| r.figures.has_negative()).collect();
        if lost.is_empty() {
            return Ok(());
        }
        write_rows(tx, &FORGET_EMPTY, &lost).await
    }
}
