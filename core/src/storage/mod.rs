//! Storage: the connection pools and the embedded PostgreSQL ([`db`]), the
//! diesel table definitions ([`schema`]) and the rows with the queries on
//! them ([`models`]). Nothing here knows HTTP or GraphQL.

pub mod db;
pub mod models;
pub mod schema;
