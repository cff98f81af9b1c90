//! The API docs: an overview, the API-keys guide, and one page per endpoint
//! with a playground. Endpoint pages are generated from the same OpenAPI
//! document the API serves, so the two cannot drift.

pub mod pages;
#[cfg(feature = "ssr")]
pub mod reference;

use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApiReference {
    pub title: String,
    pub endpoints: Vec<EndpointDoc>,
    /// The error catalogue, in its order.
    pub errors: Vec<ErrorEntry>,
}

/// One error code as the docs explain it (from `error::catalogue`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorEntry {
    pub code: String,
    pub status: u16,
    /// Whether the REST API can give it (else the dashboard only).
    pub api: bool,
    pub meaning: String,
    pub fix: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EndpointDoc {
    /// The OpenAPI operationId, used in the page's URL.
    pub slug: String,
    pub method: String,
    pub path: String,
    pub summary: String,
    pub description: String,
    /// The key permission it needs, e.g. `leads:read`.
    pub scope: String,
    pub parameters: Vec<ParamDoc>,
    pub request: Option<BodyDoc>,
    pub responses: Vec<ResponseDoc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParamDoc {
    pub name: String,
    /// `path` or `query`.
    pub location: String,
    pub required: bool,
    pub kind: String,
    pub description: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BodyDoc {
    pub schema: SchemaDoc,
    /// A valid example, pretty-printed JSON.
    pub example: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SchemaDoc {
    pub name: String,
    pub fields: Vec<FieldDoc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldDoc {
    pub name: String,
    pub kind: String,
    pub required: bool,
    pub description: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResponseDoc {
    pub status: String,
    pub description: String,
    /// For problem responses: the codes it may carry.
    pub codes: Vec<String>,
    pub schema: Option<SchemaDoc>,
    /// Pretty-printed JSON, where the schema has an example.
    pub example: Option<String>,
}

impl EndpointDoc {
    /// A curl command for this endpoint, with the key and host as variables.
    pub fn curl(&self) -> String {
        let path = self.path.replace("{id}", "1");
        let mut cmd = format!(
            "curl -X {} \"$LEADLINE_URL{path}\" \\\n  -H \"Authorization: Bearer $LEADLINE_API_KEY\"",
            self.method
        );
        if let Some(body) = &self.request {
            let compact = serde_json::from_str::<serde_json::Value>(&body.example)
                .map(|v| v.to_string())
                .unwrap_or_default();
            cmd.push_str(&format!(
                " \\\n  -H \"Content-Type: application/json\" \\\n  -d '{compact}'"
            ));
        }
        cmd
    }
}

/// Readable without signing in.
#[server(input = Json)]
pub async fn get_api_reference() -> Result<ApiReference, AppError> {
    Ok(reference::get().clone())
}
