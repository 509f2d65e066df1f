//! Reading an OTLP/HTTP body: its encoding from `Content-Type` (415 for
//! another), gzip undone within a limit (413 past it), then decoded as
//! the signal's request message (400 when it is not one).

use std::io::Read;

use axum::http::{header, HeaderMap};
use bytes::Bytes;
use serde::de::DeserializeOwned;

/// Largest body once inflated: a bomb of zeros stops here.
pub const MAX_INFLATED_BYTES: u64 = 16 * 1024 * 1024;
/// Most records (log records, spans, data points) one export may hold: a
/// real export holds a few thousand; tiny records decode to far more
/// memory than they take on the wire.
pub const MAX_RECORDS: usize = 100_000;

/// How a body is encoded, and how the answer is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Protobuf,
    Json,
}

/// Why a body cannot be read, with the HTTP status that says so.
#[derive(Debug)]
pub enum Refusal {
    UnsupportedType(String),
    TooLarge(String),
    Malformed(String),
}

impl Format {
    pub fn of(headers: &HeaderMap) -> Result<Format, Refusal> {
        let kind = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        let essence = kind
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        match essence.as_str() {
            "application/x-protobuf" | "application/protobuf" => Ok(Format::Protobuf),
            "application/json" => Ok(Format::Json),
            _ => Err(Refusal::UnsupportedType(format!(
                "Content-Type {kind:?} is not OTLP: send application/x-protobuf or application/json"
            ))),
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::Protobuf => "application/x-protobuf",
            Format::Json => "application/json",
        }
    }
}

/// The body as sent, inflated when `Content-Encoding: gzip`.
pub fn inflate(headers: &HeaderMap, body: Bytes) -> Result<Bytes, Refusal> {
    let encoding = headers
        .get(header::CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("identity")
        .trim()
        .to_ascii_lowercase();
    match encoding.as_str() {
        "" | "identity" => Ok(body),
        "gzip" => {
            let mut out = Vec::new();
            flate2::read::MultiGzDecoder::new(body.as_ref())
                .take(MAX_INFLATED_BYTES + 1)
                .read_to_end(&mut out)
                .map_err(|e| Refusal::Malformed(format!("the body is not valid gzip: {e}")))?;
            if out.len() as u64 > MAX_INFLATED_BYTES {
                return Err(Refusal::TooLarge(format!(
                    "the body inflates past {MAX_INFLATED_BYTES} bytes: send smaller batches"
                )));
            }
            Ok(Bytes::from(out))
        }
        other => Err(Refusal::UnsupportedType(format!(
            "Content-Encoding {other:?} is not supported: send gzip or none"
        ))),
    }
}

/// The request message of a signal, decoded.
pub fn decode<M: prost::Message + Default + DeserializeOwned>(
    format: Format,
    body: &[u8],
) -> Result<M, Refusal> {
    match format {
        Format::Protobuf => M::decode(body).map_err(|e| {
            Refusal::Malformed(format!("the body is not an OTLP protobuf message: {e}"))
        }),
        Format::Json => serde_json::from_slice(body)
            .map_err(|e| Refusal::Malformed(format!("the body is not an OTLP JSON message: {e}"))),
    }
}

/// An export of `records` records, refused past [`MAX_RECORDS`].
pub fn within(records: usize) -> Result<(), Refusal> {
    if records > MAX_RECORDS {
        return Err(Refusal::TooLarge(format!(
            "the export holds {records} records; at most {MAX_RECORDS} are taken at once: send smaller batches"
        )));
    }
    Ok(())
}
