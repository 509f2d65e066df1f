//! Query-string parameters of the exports, with errors that say what to fix.

use agentmon_core::event::{ErrorCategory, RunStatus};
use agentmon_core::storage::models::session::{SessionFilter, Waste};
use agentmon_core::Error;
use chrono::{DateTime, NaiveDate, Utc};

use crate::graphql::ranges::TimeRange;
use crate::graphql::sessions::filter::{AttributeFilter, SessionFilterInput};

pub struct Params {
    pairs: Vec<(String, String)>,
}

impl Params {
    pub fn parse(query: Option<&str>) -> Params {
        let pairs = form_urlencoded::parse(query.unwrap_or_default().as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        Params { pairs }
    }

    fn get(&self, key: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    pub fn org(&self) -> Result<&str, Error> {
        self.get("org")
            .ok_or_else(|| Error::BadUserInput("give the org: ?org=SLUG".into()))
    }

    /// The user of `/export/user.jsonl`: `?userId=ID`.
    pub fn user_id(&self) -> Result<&str, Error> {
        let id = self
            .get("userId")
            .ok_or_else(|| Error::BadUserInput("give the user: ?userId=ID".into()))?;
        crate::actions::input::user_id(id)
    }

    fn time(&self, key: &str) -> Result<Option<DateTime<Utc>>, Error> {
        self.get(key)
            .map(|v| {
                DateTime::parse_from_rfc3339(v)
                    .map(|t| t.with_timezone(&Utc))
                    .map_err(|_| {
                        Error::BadUserInput(format!("{key}={v:?} is not an RFC 3339 time"))
                    })
            })
            .transpose()
    }

    pub fn date(&self, key: &str) -> Result<NaiveDate, Error> {
        let v = self
            .get(key)
            .ok_or_else(|| Error::BadUserInput(format!("give {key}=YYYY-MM-DD")))?;
        NaiveDate::parse_from_str(v, "%Y-%m-%d")
            .map_err(|_| Error::BadUserInput(format!("{key}={v:?} is not a date: use YYYY-MM-DD")))
    }

    /// The session filter: `from`/`to` (RFC 3339), `userId`, `handedOff`,
    /// `attribute=KEY:VALUE` (repeatable), `runStatus`, `errorCategory`,
    /// `model`, `tool`, `waste` — read into the GraphQL sessions filter, so an export takes
    /// the same filters with the same checks as `Org.sessions`.
    pub fn session_filter(&self) -> Result<SessionFilter, Error> {
        if let Some((unknown, _)) = self
            .pairs
            .iter()
            .find(|(k, _)| !KNOWN.contains(&k.as_str()))
        {
            return Err(Error::BadUserInput(format!(
                "unknown parameter {unknown:?}; use {}",
                KNOWN.join(", ")
            )));
        }
        let range = match (self.time("from")?, self.time("to")?) {
            (Some(from), Some(to)) => Some(TimeRange { from, to }),
            (None, None) => None,
            _ => {
                return Err(Error::BadUserInput(
                    "give both from and to, or neither".into(),
                ))
            }
        };
        let handed_off = match self.get("handedOff") {
            None => None,
            Some("true") => Some(true),
            Some("false") => Some(false),
            Some(v) => {
                return Err(Error::BadUserInput(format!(
                    "handedOff={v:?}: use true or false"
                )))
            }
        };
        let mut attributes = Vec::new();
        for (k, v) in &self.pairs {
            if k == "attribute" {
                let (key, value) = v.split_once(':').ok_or_else(|| {
                    Error::BadUserInput(format!("attribute={v:?}: use attribute=KEY:VALUE"))
                })?;
                attributes.push(AttributeFilter {
                    key: key.to_string(),
                    equals: value.to_string(),
                });
            }
        }
        let run_status = self
            .get("runStatus")
            .map(|v| {
                RunStatus::parse(v).map(Into::into).ok_or_else(|| {
                    Error::BadUserInput(format!(
                        "runStatus={v:?}: use RUNNING, SUCCEEDED, FAILED or CANCELLED"
                    ))
                })
            })
            .transpose()?;
        let error_category = self
            .get("errorCategory")
            .map(|v| {
                ErrorCategory::parse(v).map(Into::into).ok_or_else(|| {
                    Error::BadUserInput(format!(
                        "errorCategory={v:?}: use TOOL, MODEL, TIMEOUT or OTHER"
                    ))
                })
            })
            .transpose()?;
        let waste = self
            .get("waste")
            .map(|v| {
                Waste::parse(v).map(Into::into).ok_or_else(|| {
                    Error::BadUserInput(format!(
                        "waste={v:?}: use FAILED_RUNS, FAILED_MODEL_CALLS or NO_CODE"
                    ))
                })
            })
            .transpose()?;
        SessionFilterInput {
            range,
            user_id: self.get("userId").map(str::to_string),
            handed_off,
            attributes: Some(attributes),
            team: None,
            run_status,
            error_category,
            model: self.get("model").map(str::to_string),
            tool: self.get("tool").map(str::to_string),
            waste,
        }
        .to_filter()
    }
}

/// The parameters of `/export/sessions.csv`.
const KNOWN: [&str; 11] = [
    "org",
    "from",
    "to",
    "userId",
    "handedOff",
    "attribute",
    "runStatus",
    "errorCategory",
    "model",
    "tool",
    "waste",
];
