//! How the records of a download are written: CSV rows (quoted by the
//! `csv` crate, with cells a spreadsheet would run as a formula defused by
//! a leading `'`), or JSON objects one a line.

use axum::body::Bytes;

/// One record of a download, and how a page of them becomes bytes.
pub trait Record: Send + 'static {
    /// The `Content-Type` of a download of these records.
    const CONTENT_TYPE: &'static str;

    /// `records` as the next bytes of the download.
    fn encode(records: &[Self]) -> Bytes
    where
        Self: Sized;
}

/// A CSV row: its cells, in the order of the header row.
impl Record for Vec<String> {
    const CONTENT_TYPE: &'static str = "text/csv; charset=utf-8";

    fn encode(records: &[Self]) -> Bytes {
        let mut writer = csv::Writer::from_writer(Vec::new());
        for record in records {
            // Writing into a Vec cannot fail.
            let _ = writer.write_record(record.iter().map(|v| cell(v)));
        }
        Bytes::from(writer.into_inner().unwrap_or_default())
    }
}

/// A JSON object, written on a line of its own.
pub struct JsonLine(pub String);

impl Record for JsonLine {
    const CONTENT_TYPE: &'static str = "application/x-ndjson; charset=utf-8";

    fn encode(records: &[Self]) -> Bytes {
        let mut chunk = String::new();
        for JsonLine(line) in records {
            chunk.push_str(line);
            chunk.push('\n');
        }
        Bytes::from(chunk)
    }
}

/// A CSV header row, the first bytes of a CSV download.
pub fn csv_header(names: &[&str]) -> Bytes {
    Vec::<String>::encode(&[names.iter().map(|h| h.to_string()).collect()])
}

/// A spreadsheet runs a cell that starts with = + - @ as a formula.
fn cell(value: &str) -> String {
    match value.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{value}"),
        _ => value.to_string(),
    }
}
