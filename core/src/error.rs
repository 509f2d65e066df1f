//! The one error type: a kind that says what the caller should do (its
//! `code`) and a message that says what to fix. The API turns it into a
//! GraphQL error or an HTTP status in one place each.

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    Unauthenticated(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    BadUserInput(String),
    #[error("{message}")]
    RateLimited {
        message: String,
        retry_after_seconds: u64,
    },
    #[error("{0}")]
    Unavailable(String),
    /// Anything unexpected: logged in full, shown to clients as a generic
    /// message with the request id.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl Error {
    pub fn code(&self) -> &'static str {
        match self {
            Error::Unauthenticated(_) => "UNAUTHENTICATED",
            Error::Forbidden(_) => "FORBIDDEN",
            Error::NotFound(_) => "NOT_FOUND",
            Error::BadUserInput(_) => "BAD_USER_INPUT",
            Error::RateLimited { .. } => "RATE_LIMITED",
            Error::Unavailable(_) => "UNAVAILABLE",
            Error::Internal(_) => "INTERNAL",
        }
    }

    /// A fault of the moment rather than of the work: a serialization
    /// failure, a deadlock, a lock or statement timeout on a busy server, a
    /// lost connection or an unavailable database. Worth retrying as is;
    /// it says nothing about the event being projected.
    pub fn is_transient(&self) -> bool {
        const SIGNS: [&str; 9] = [
            "could not serialize access",
            "deadlock detected",
            "canceling statement due to lock timeout",
            "canceling statement due to statement timeout",
            "could not obtain lock",
            "terminating connection",
            "connection closed",
            "server closed the connection",
            "the database system is",
        ];
        match self {
            Error::Unavailable(_) => true,
            Error::Internal(e) => {
                if let Some(diesel::result::Error::DatabaseError(kind, _)) =
                    e.downcast_ref::<diesel::result::Error>()
                {
                    use diesel::result::DatabaseErrorKind as K;
                    if matches!(
                        kind,
                        K::SerializationFailure | K::ClosedConnection | K::UnableToSendCommand
                    ) {
                        return true;
                    }
                }
                let text = format!("{e:#}");
                SIGNS.iter().any(|sign| text.contains(sign))
            }
            _ => false,
        }
    }

    /// The same error again (from a shared one, as a DataLoader hands
    /// out): the code is kept; an internal error keeps its text.
    pub fn again(&self) -> Self {
        match self {
            Error::Unauthenticated(m) => Error::Unauthenticated(m.clone()),
            Error::Forbidden(m) => Error::Forbidden(m.clone()),
            Error::NotFound(m) => Error::NotFound(m.clone()),
            Error::BadUserInput(m) => Error::BadUserInput(m.clone()),
            Error::RateLimited {
                message,
                retry_after_seconds,
            } => Error::RateLimited {
                message: message.clone(),
                retry_after_seconds: *retry_after_seconds,
            },
            Error::Unavailable(m) => Error::Unavailable(m.clone()),
            Error::Internal(e) => Error::internal(format!("{e:#}")),
        }
    }

    pub fn internal(message: impl std::fmt::Display) -> Self {
        Error::Internal(anyhow::anyhow!("{message}"))
    }
}

impl From<diesel::result::Error> for Error {
    fn from(e: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error as D};
        match e {
            D::NotFound => Error::NotFound("no such record".into()),
            D::DatabaseError(DatabaseErrorKind::ClosedConnection, _) => {
                Error::Unavailable("the database connection was lost; retry the request".into())
            }
            D::DatabaseError(DatabaseErrorKind::SerializationFailure, _) => Error::Unavailable(
                "the request met concurrent work on the same data; retry it".into(),
            ),
            D::DatabaseError(_, ref info) if info.message().contains("deadlock detected") => {
                Error::Unavailable(
                    "the request met concurrent work on the same data; retry it".into(),
                )
            }
            D::DatabaseError(_, ref info) if is_nul_character(info.message(), info.details()) => {
                Error::BadUserInput(
                    "a text argument holds a NUL character (\\u0000), which agentmon does not \
                     accept; remove it"
                        .into(),
                )
            }
            other => Error::Internal(other.into()),
        }
    }
}

/// PostgreSQL's refusals of a NUL character in text (SQLSTATE 22021) and in
/// JSON (22P05).
fn is_nul_character(message: &str, details: Option<&str>) -> bool {
    message.contains("invalid byte sequence for encoding \"UTF8\": 0x00")
        || details.is_some_and(|d| d.contains("\\u0000 cannot be converted to text"))
}

impl From<diesel_async::pooled_connection::deadpool::PoolError> for Error {
    fn from(e: diesel_async::pooled_connection::deadpool::PoolError) -> Self {
        tracing::warn!(error = %e, "database pool unavailable");
        Error::Unavailable("the database is unavailable; retry shortly".into())
    }
}
