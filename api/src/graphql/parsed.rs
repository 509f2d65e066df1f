//! Parsed operations kept by their text. Clients send the same few
//! operations again and again (the dashboard's queries, an agent's
//! `ingestEvents` with its events in variables), and parsing the text was
//! a quarter of the server's work on a trivial signed-in query. A kept
//! document is the one the parser gave for exactly that text, after its
//! recursion and directive checks; validation (depth, complexity, fields,
//! variables) still runs on every request. Only texts that parsed, up to a
//! size, sent with a token, are kept; the whole is bounded by the memory
//! its documents may take.

use std::sync::Arc;

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextParseQuery};
use async_graphql::parser::types::ExecutableDocument;
use async_graphql::{ServerResult, Variables};

use super::RequestContext;

/// Longer texts (operations with their values written inline) are parsed
/// every time.
const MAX_KEPT_TEXT: usize = 16 * 1024;
/// What the kept documents may take, about.
const MAX_KEPT_BYTES: u64 = 32 * 1024 * 1024;
/// Bytes of document counted per byte of text: a field is ~100 bytes of
/// document, and the densest text (`{a,a,a,…}`) gives ~108 per byte.
const DOCUMENT_PER_TEXT_BYTE: usize = 128;

/// The extension: one cache for the schema, shared by every request.
#[derive(Clone)]
pub struct ParsedQueries(Arc<Kept>);

/// The documents, by their text.
struct Kept(moka::sync::Cache<Arc<str>, ExecutableDocument>);

impl Default for ParsedQueries {
    fn default() -> Self {
        ParsedQueries(Arc::new(Kept(
            moka::sync::Cache::builder()
                .max_capacity(MAX_KEPT_BYTES)
                .weigher(|text: &Arc<str>, _| weight(text))
                .build(),
        )))
    }
}

impl ExtensionFactory for ParsedQueries {
    fn create(&self) -> Arc<dyn Extension> {
        self.0.clone()
    }
}

#[async_trait::async_trait]
impl Extension for Kept {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let signed_in = ctx
            .data_opt::<RequestContext>()
            .is_some_and(|r| r.principal.is_some());
        if query.len() > MAX_KEPT_TEXT || !signed_in {
            return next.run(ctx, query, variables).await;
        }
        if let Some(document) = self.0.get(query) {
            return Ok(document);
        }
        let document = next.run(ctx, query, variables).await?;
        self.0.insert(query.into(), document.clone());
        Ok(document)
    }
}

/// What a kept text counts against [`MAX_KEPT_BYTES`].
fn weight(text: &str) -> u32 {
    u32::try_from(text.len() * DOCUMENT_PER_TEXT_BYTE).unwrap_or(u32::MAX)
}
