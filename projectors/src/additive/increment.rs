//! The increment statements of additive read models: rows travel as one
//! JSON array (see [`crate::sql::write_rows`]) and each sum column is added
//! to the row of its key.

/// `INSERT … ON CONFLICT (keys) DO UPDATE` adding each of `sums` to the
/// existing row; `keys` and `sums` are (column, SQL type); `returning` is
/// appended (empty for none).
pub fn increment_sql(
    table: &str,
    keys: &[(&str, &str)],
    sums: &[(&str, &str)],
    returning: &str,
) -> String {
    let typed = |(name, ty): &(&str, &str)| format!("{name} {ty}");
    let all: Vec<(&str, &str)> = keys.iter().chain(sums).copied().collect();
    let names: Vec<&str> = all.iter().map(|(n, _)| *n).collect();
    // Money is kept without trailing zeros, so that a sum reads the same
    // whichever way it was reached (0.50 − 0.50 is 0, not 0.00).
    let canonical = |expr: String, ty: &str| match ty {
        "numeric" => format!("trim_scale({expr})"),
        _ => expr,
    };
    let sets: Vec<String> = sums
        .iter()
        .map(|(c, ty)| format!("{c} = {}", canonical(format!("t.{c} + excluded.{c}"), ty)))
        .collect();
    let selected: Vec<String> = all
        .iter()
        .map(|(c, ty)| canonical(c.to_string(), ty))
        .collect();
    format!(
        "INSERT INTO {table} AS t ({cols}) SELECT {selected} FROM jsonb_to_recordset($1) AS x({defs}) \
         ON CONFLICT ({keys}) DO UPDATE SET {sets} {returning}",
        cols = names.join(", "),
        selected = selected.join(", "),
        defs = all.iter().map(typed).collect::<Vec<_>>().join(", "),
        keys = keys.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", "),
        sets = sets.join(", "),
    )
}

/// Figure columns with their SQL types: money (`…cost_usd`) is numeric, every
/// other figure a count.
pub fn figure_columns(columns: &[&'static str]) -> Vec<(&'static str, &'static str)> {
    columns
        .iter()
        .map(|c| {
            (
                *c,
                if c.ends_with("cost_usd") {
                    "numeric"
                } else {
                    "bigint"
                },
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_increment_adds_every_sum_to_the_row_of_its_key() {
        let sql = increment_sql(
            "d",
            &[("org_id", "uuid"), ("day", "date")],
            &figure_columns(&["runs", "cost_usd"]),
            "",
        );
        assert_eq!(
            sql,
            "INSERT INTO d AS t (org_id, day, runs, cost_usd) SELECT org_id, day, runs, trim_scale(cost_usd) \
             FROM jsonb_to_recordset($1) AS x(org_id uuid, day date, runs bigint, cost_usd numeric) \
             ON CONFLICT (org_id, day) DO UPDATE SET runs = t.runs + excluded.runs, \
             cost_usd = trim_scale(t.cost_usd + excluded.cost_usd) "
        );
    }
}
