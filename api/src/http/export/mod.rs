//! `/export/sessions.csv` and `/export/users.csv`: the same filters and
//! permissions as the GraphQL queries; `/export/user.jsonl`: one user's
//! profile and every stored event (ORG_ADMIN, SUPER_ADMIN; audited). All
//! stream page by page (a large org never sits in memory); CSV is quoted by
//! the `csv` crate, and cells that a spreadsheet would run as a formula are
//! defused with a leading `'`.
//!
//! - [`download`]: how any export is served: parameters, authorization,
//!   the export slot, and the page-by-page stream;
//! - [`sessions`], [`users`], [`user_data`]: each export's parameters, page
//!   query with its cursor, and records;
//! - [`params`]: the query string; [`records`]: CSV rows and JSON lines;
//!   [`failure`]: an error as HTTP.

mod download;
mod failure;
mod params;
mod records;
mod sessions;
mod user_data;
mod users;

pub use sessions::sessions_csv;
pub use user_data::user_jsonl;
pub use users::users_csv;
