//! Statements of fixed text kept prepared on their connection.
//!
//! Diesel never caches a `sql_query`: its text might be built from values,
//! so each call parses its statement anew in a round trip of its own
//! before it runs (Parse/Describe, then Bind/Execute). The projection
//! worker and ingest run the same few dozen statements thousands of times
//! a minute; [`prepared`] marks such a text as safe to keep, and the
//! connection's statement cache prepares it once and then only binds and
//! executes it.
//!
//! Only for texts drawn from a fixed set (constants, or formatted from
//! table names): every distinct text stays prepared for the life of the
//! connection. Values always travel as bind parameters.

use diesel::pg::Pg;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::query_builder::{BoxedSqlQuery, SqlQuery};
use diesel::serialize::ToSql;
use diesel::sql_types::HasSqlType;
use diesel::QueryResult;

/// A query whose text is one of a fixed set, prepared once per connection.
#[derive(Debug, Clone)]
#[must_use = "Queries are only executed when calling `load`, `get_result` or similar."]
pub struct Prepared<Q>(Q);

/// `diesel::sql_query(text)`, kept prepared on each connection that runs it.
pub fn prepared<'f>(text: impl Into<String>) -> Prepared<BoxedSqlQuery<'f, Pg, SqlQuery>> {
    Prepared(diesel::sql_query(text).into_boxed())
}

impl<'f> Prepared<BoxedSqlQuery<'f, Pg, SqlQuery>> {
    /// Binds the next parameter, as `SqlQuery::bind` does.
    pub fn bind<ST, V>(self, value: V) -> Self
    where
        Pg: HasSqlType<ST>,
        V: ToSql<ST, Pg> + Send + 'f,
        ST: Send + 'f,
    {
        Prepared(self.0.bind::<ST, V>(value))
    }
}

impl<Q: QueryFragment<Pg>> QueryFragment<Pg> for Prepared<Q> {
    fn walk_ast<'b>(&'b self, pass: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        self.0.walk_ast(pass)
    }

    // The one departure from `SqlQuery`: its text is known to be fixed.
    fn is_safe_to_cache_prepared(&self, _backend: &Pg) -> QueryResult<bool> {
        Ok(true)
    }
}

impl<Q> QueryId for Prepared<Q> {
    type QueryId = ();
    // Cached by its text and bind types, not by a type.
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<Q: Query> Query for Prepared<Q> {
    type SqlType = Q::SqlType;
}
