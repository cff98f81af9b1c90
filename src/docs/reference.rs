//! Builds the docs' endpoint pages from the API's OpenAPI document.

use std::sync::OnceLock;

use serde_json::Value;

use super::{
    ApiReference, BodyDoc, EndpointDoc, ErrorEntry, FieldDoc, ParamDoc, ResponseDoc, SchemaDoc,
};
use crate::error::catalogue;

pub fn get() -> &'static ApiReference {
    static REFERENCE: OnceLock<ApiReference> = OnceLock::new();
    REFERENCE.get_or_init(|| build(crate::api::openapi::document()))
}

fn text(v: &Value) -> String {
    v.as_str().unwrap_or_default().trim().to_owned()
}

/// The schema a `$ref` names, with its name.
fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> (String, &'a Value) {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(reference) => {
            let name = reference.rsplit('/').next().unwrap_or_default();
            (name.to_owned(), &doc["components"]["schemas"][name])
        }
        None => (String::new(), schema),
    }
}

fn kind(doc: &Value, schema: &Value) -> String {
    let (name, schema) = resolve(doc, schema);
    if !name.is_empty() {
        return name;
    }
    if let Some(values) = schema.get("enum").and_then(Value::as_array) {
        return values.iter().map(text).collect::<Vec<_>>().join(" | ");
    }
    match &schema["type"] {
        Value::Array(types) => types
            .iter()
            .map(text)
            .filter(|t| t != "null")
            .collect::<Vec<_>>()
            .join(" | "),
        Value::String(t) if t == "array" => format!("array of {}", kind(doc, &schema["items"])),
        Value::String(t) => match schema.get("format").and_then(Value::as_str) {
            Some(format) => format!("{t} ({format})"),
            None => t.clone(),
        },
        _ => schema
            .get("oneOf")
            .and_then(Value::as_array)
            .map(|options| {
                options
                    .iter()
                    .map(|o| kind(doc, o))
                    .filter(|t| t != "null")
                    .collect::<Vec<_>>()
                    .join(" | ")
            })
            .unwrap_or_else(|| "any".to_owned()),
    }
}

fn schema_doc(doc: &Value, schema: &Value) -> SchemaDoc {
    let (name, schema) = resolve(doc, schema);
    let required: Vec<String> = schema["required"]
        .as_array()
        .map(|r| r.iter().map(text).collect())
        .unwrap_or_default();
    let fields = schema["properties"]
        .as_object()
        .map(|properties| {
            properties
                .iter()
                .map(|(field, s)| FieldDoc {
                    name: field.clone(),
                    kind: kind(doc, s),
                    required: required.contains(field),
                    description: text(&s["description"]),
                })
                .collect()
        })
        .unwrap_or_default();
    SchemaDoc { name, fields }
}

fn endpoint(doc: &Value, path: &str, method: &str, op: &Value) -> EndpointDoc {
    let parameters = op["parameters"]
        .as_array()
        .map(|ps| {
            ps.iter()
                .map(|p| ParamDoc {
                    name: text(&p["name"]),
                    location: text(&p["in"]),
                    required: p["required"].as_bool().unwrap_or(false),
                    kind: kind(doc, &p["schema"]),
                    description: text(&p["description"]),
                })
                .collect()
        })
        .unwrap_or_default();
    let request = op["requestBody"]["content"]["application/json"]["schema"]
        .as_object()
        .map(|_| {
            let schema = &op["requestBody"]["content"]["application/json"]["schema"];
            let (_, resolved) = resolve(doc, schema);
            BodyDoc {
                schema: schema_doc(doc, schema),
                example: serde_json::to_string_pretty(&resolved["example"]).unwrap_or_default(),
            }
        });
    let mut responses: Vec<ResponseDoc> = op["responses"]
        .as_object()
        .map(|rs| {
            rs.iter()
                .map(|(status, r)| ResponseDoc {
                    status: status.clone(),
                    description: text(&r["description"]),
                    codes: r["x-problem-codes"]
                        .as_array()
                        .map(|codes| codes.iter().map(text).collect())
                        .unwrap_or_default(),
                    schema: r["content"]["application/json"]["schema"]
                        .as_object()
                        .map(|_| schema_doc(doc, &r["content"]["application/json"]["schema"])),
                    example: Some(resolve(doc, &r["content"]["application/json"]["schema"]).1)
                        .map(|s| &s["example"])
                        .filter(|e| !e.is_null())
                        .and_then(|e| serde_json::to_string_pretty(e).ok()),
                })
                .collect()
        })
        .unwrap_or_default();
    responses.sort_by(|a, b| a.status.cmp(&b.status));
    EndpointDoc {
        slug: text(&op["operationId"]),
        method: method.to_uppercase(),
        path: path.to_owned(),
        summary: text(&op["summary"]).trim_end_matches('.').to_owned(),
        description: text(&op["description"]),
        scope: op["security"][0]["bearer"][0]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        parameters,
        request,
        responses,
    }
}

pub fn build(doc: &Value) -> ApiReference {
    let mut endpoints = Vec::new();
    if let Some(paths) = doc["paths"].as_object() {
        for (path, item) in paths {
            for method in ["get", "post", "patch", "delete"] {
                // The endpoint pages are about leads; the document itself is
                // linked from the overview.
                if let Some(op) = item.get(method).filter(|op| {
                    op["tags"]
                        .as_array()
                        .is_some_and(|t| t.contains(&"Leads".into()))
                }) {
                    endpoints.push(endpoint(doc, path, method, op));
                }
            }
        }
    }
    // The order a reader meets them in: list, create, get, update, delete.
    let rank = |e: &EndpointDoc| match (e.method.as_str(), e.path.contains('{')) {
        ("GET", false) => 0,
        ("POST", _) => 1,
        ("GET", true) => 2,
        ("PATCH", _) => 3,
        _ => 4,
    };
    endpoints.sort_by_key(rank);
    ApiReference {
        title: text(&doc["info"]["title"]),
        endpoints,
        errors: errors(),
    }
}

/// The catalogue, each code with the status its error is given with.
fn errors() -> Vec<ErrorEntry> {
    let samples = catalogue::samples();
    catalogue::CATALOGUE
        .iter()
        .map(|doc| ErrorEntry {
            code: doc.code.to_owned(),
            status: samples
                .iter()
                .find(|e| e.code() == doc.code)
                .map_or(500, |e| e.status_code()),
            api: doc.api,
            meaning: doc.meaning.to_owned(),
            fix: doc.fix.to_owned(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_operation_of_the_openapi_document_has_a_page() {
        let reference = get();
        let slugs: Vec<_> = reference
            .endpoints
            .iter()
            .map(|e| e.slug.as_str())
            .collect();
        assert_eq!(
            slugs,
            [
                "list-leads",
                "list-deleted-leads",
                "create-lead",
                "get-lead",
                "update-lead",
                "delete-lead"
            ]
        );
        for e in &reference.endpoints {
            assert!(!e.summary.is_empty(), "{}", e.slug);
            assert!(e.scope.starts_with("leads:"), "{}", e.slug);
            assert!(e.responses.iter().any(|r| r.status == "401"), "{}", e.slug);
        }
    }

    #[test]
    fn request_bodies_carry_a_valid_example_and_their_fields() {
        let create = get()
            .endpoints
            .iter()
            .find(|e| e.slug == "create-lead")
            .unwrap();
        let body = create.request.as_ref().unwrap();
        let draft: crate::leads::domain::LeadDraft = serde_json::from_str(&body.example).unwrap();
        assert!(crate::leads::domain::LeadInput::parse(&draft).is_ok());
        let name = body
            .schema
            .fields
            .iter()
            .find(|f| f.name == "name")
            .unwrap();
        assert!(name.required);
        assert!(create.curl().contains("-d '{"));
        let list = get()
            .endpoints
            .iter()
            .find(|e| e.slug == "list-leads")
            .unwrap();
        let names: Vec<_> = list.parameters.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["limit", "cursor", "status", "updated_since", "q"]);
        let ok = list.responses.iter().find(|r| r.status == "200").unwrap();
        assert_eq!(ok.schema.as_ref().unwrap().name, "LeadList");
        let example: crate::api::leads::LeadList =
            serde_json::from_str(ok.example.as_ref().unwrap()).unwrap();
        assert_eq!(
            example.data[0].name, "Ada Lovelace",
            "the example is a valid response"
        );
    }
}
