//! The one place a GraphQL error gets its `extensions.code`, for queries,
//! mutations and subscriptions alike (an extension around every
//! execution). An error raised with a plain `?` on one of agentmon's errors
//! keeps that error as its source, so its code is recovered here rather
//! than turning a FORBIDDEN into an INTERNAL.

use std::sync::Arc;

use agentmon_core::Error;
use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextExecute, NextSubscribe,
};
use async_graphql::{ErrorExtensions, Response, ServerError};
use futures::stream::BoxStream;
use futures::StreamExt;

use super::RequestContext;

/// Completes the errors of every response.
pub struct ErrorCodes;

impl ExtensionFactory for ErrorCodes {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(ErrorCodes)
    }
}

#[async_trait::async_trait]
impl Extension for ErrorCodes {
    async fn execute(
        &self,
        ctx: &ExtensionContext<'_>,
        operation_name: Option<&str>,
        next: NextExecute<'_>,
    ) -> Response {
        let mut response = next.run(ctx, operation_name).await;
        complete_errors(&mut response, &request_id(ctx));
        response
    }

    fn subscribe<'s>(
        &self,
        ctx: &ExtensionContext<'_>,
        stream: BoxStream<'s, Response>,
        next: NextSubscribe<'_>,
    ) -> BoxStream<'s, Response> {
        let id = request_id(ctx);
        next.run(ctx, stream)
            .map(move |mut response| {
                complete_errors(&mut response, &id);
                response
            })
            .boxed()
    }
}

fn request_id(ctx: &ExtensionContext<'_>) -> String {
    ctx.data_opt::<RequestContext>()
        .map(|r| r.request_id.clone())
        .unwrap_or_default()
}

/// Errors raised before a resolver ran (parse, validation, limits) get
/// `BAD_USER_INPUT`; internal errors get the request id to quote.
pub fn complete_errors(response: &mut Response, request_id: &str) {
    for error in &mut response.errors {
        complete_error(error, request_id);
    }
}

fn complete_error(error: &mut ServerError, request_id: &str) {
    let has_code = error
        .extensions
        .as_ref()
        .is_some_and(|e| e.get("code").is_some());
    if !has_code {
        if let Some(known) = recovered(error) {
            error.message = known.message;
            error.extensions = known.extensions;
        }
    }
    let extensions = error.extensions.get_or_insert_with(Default::default);
    let code = match extensions.get("code") {
        Some(async_graphql::Value::String(code)) => code.clone(),
        // An argument that does not fit its type (an Int past 32 bits, …):
        // async-graphql reports it at the field's path.
        _ if error.path.is_empty() || is_argument_error(&error.message) => {
            extensions.set("code", "BAD_USER_INPUT");
            "BAD_USER_INPUT".to_string()
        }
        _ => {
            tracing::error!(message = %error.message, "resolver error without a code");
            error.message = "internal error; quote the requestId when reporting it".into();
            extensions.set("code", "INTERNAL");
            "INTERNAL".to_string()
        }
    };
    if code == "INTERNAL" {
        extensions.set("requestId", request_id);
    }
}

fn is_argument_error(message: &str) -> bool {
    message.starts_with("Failed to parse") || message.starts_with("Invalid value for argument")
}

/// The agentmon error behind an error that lost its code on the way.
fn recovered(error: &ServerError) -> Option<async_graphql::Error> {
    if let Some(e) = error.source::<Error>() {
        return Some(e.to_graphql());
    }
    error
        .source::<diesel::result::Error>()
        .map(|e| Error::from(clone_diesel(e)).to_graphql())
}

/// diesel's error is not Clone; what the mapping needs of it is.
fn clone_diesel(e: &diesel::result::Error) -> diesel::result::Error {
    use diesel::result::Error as D;
    match e {
        D::NotFound => D::NotFound,
        D::DatabaseError(kind, info) => D::DatabaseError(
            *kind,
            Box::new(Info {
                message: info.message().to_string(),
                details: info.details().map(str::to_string),
            }),
        ),
        other => D::QueryBuilderError(other.to_string().into()),
    }
}

struct Info {
    message: String,
    details: Option<String>,
}

impl diesel::result::DatabaseErrorInformation for Info {
    fn message(&self) -> &str {
        &self.message
    }
    fn details(&self) -> Option<&str> {
        self.details.as_deref()
    }
    fn hint(&self) -> Option<&str> {
        None
    }
    fn table_name(&self) -> Option<&str> {
        None
    }
    fn column_name(&self) -> Option<&str> {
        None
    }
    fn constraint_name(&self) -> Option<&str> {
        None
    }
    fn statement_position(&self) -> Option<i32> {
        None
    }
}

/// agentmon's error as a GraphQL error: its message (an internal error's
/// only as a generic line, logged in full) with `extensions.code` and, when
/// rate limited, `retryAfterSeconds`.
pub trait ToGraphql {
    fn to_graphql(&self) -> async_graphql::Error;
}

impl ToGraphql for Error {
    fn to_graphql(&self) -> async_graphql::Error {
        let message = match self {
            Error::Internal(e) => {
                tracing::error!(error = ?e, "internal error");
                "internal error; quote the requestId when reporting it".to_string()
            }
            other => other.to_string(),
        };
        async_graphql::Error::new(message).extend_with(|_, ext| {
            ext.set("code", self.code());
            if let Error::RateLimited {
                retry_after_seconds,
                ..
            } = self
            {
                ext.set("retryAfterSeconds", *retry_after_seconds);
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server_error(e: async_graphql::Error) -> ServerError {
        let mut error = e.into_server_error(Default::default());
        error.path = vec![async_graphql::PathSegment::Field("org".into())];
        error
    }

    #[test]
    fn a_forbidden_raised_with_a_plain_question_mark_stays_forbidden() {
        fn resolver() -> async_graphql::Result<()> {
            Err(Error::Forbidden(
                "a MEMBER may not see other users' figures".into(),
            ))?;
            Ok(())
        }
        let mut error = server_error(
            resolver()
                .err()
                .unwrap_or_else(|| async_graphql::Error::new("")),
        );
        complete_error(&mut error, "req-1");
        let code = error
            .extensions
            .as_ref()
            .and_then(|e| e.get("code"))
            .cloned();
        assert_eq!(code, Some(async_graphql::Value::from("FORBIDDEN")));
        assert_eq!(error.message, "a MEMBER may not see other users' figures");
    }

    #[test]
    fn an_argument_out_of_its_type_is_bad_user_input() {
        let mut error = server_error(async_graphql::Error::new(
            "Failed to parse \"Int\": Only integers from -2147483648 to 2147483647 are accepted.",
        ));
        complete_error(&mut error, "req-3");
        let code = error
            .extensions
            .as_ref()
            .and_then(|e| e.get("code"))
            .cloned();
        assert_eq!(code, Some(async_graphql::Value::from("BAD_USER_INPUT")));
    }

    #[test]
    fn an_unknown_error_in_a_resolver_is_internal_with_the_request_id() {
        let mut error = server_error(async_graphql::Error::new("boom"));
        complete_error(&mut error, "req-2");
        let extensions = error.extensions.clone().unwrap_or_default();
        assert_eq!(
            extensions.get("code"),
            Some(&async_graphql::Value::from("INTERNAL"))
        );
        assert_eq!(
            extensions.get("requestId"),
            Some(&async_graphql::Value::from("req-2"))
        );
        assert!(!error.message.contains("boom"));
    }
}
