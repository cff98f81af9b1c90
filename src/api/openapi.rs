//! The OpenAPI document as served. utoipa generates the operations and
//! schemas from the handlers and domain types; this adds what utoipa's
//! attributes cannot say once for all operations: the problem-details
//! responses (from the error catalogue), the headers every response
//! carries, and links for clients that follow a created lead.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use axum::http::Method;
use serde_json::{json, Map, Value};
use utoipa::openapi::path::Paths;

use crate::error::catalogue;

/// The methods documented for the paths, in a stable order.
pub fn documented_methods(paths: &Paths) -> Vec<Method> {
    let mut methods = Vec::new();
    for item in paths.paths.values() {
        for (op, method) in [
            (&item.get, Method::GET),
            (&item.post, Method::POST),
            (&item.put, Method::PUT),
            (&item.patch, Method::PATCH),
            (&item.delete, Method::DELETE),
            (&item.options, Method::OPTIONS),
            (&item.head, Method::HEAD),
            (&item.trace, Method::TRACE),
        ] {
            if op.is_some() && !methods.contains(&method) {
                methods.push(method);
            }
        }
    }
    methods
}

/// The completed document, built once.
pub fn document() -> &'static Value {
    static DOCUMENT: OnceLock<Value> = OnceLock::new();
    DOCUMENT.get_or_init(|| {
        let generated = serde_json::to_value(super::generated_document())
            .expect("the OpenAPI document serialises");
        complete(generated)
    })
}

const RATE_LIMIT_HEADERS: [(&str, &str); 3] = [
    ("RateLimit-Limit", "Requests this key may make per minute."),
    (
        "RateLimit-Remaining",
        "Requests left in the current window.",
    ),
    ("RateLimit-Reset", "Seconds until the window resets."),
];

fn header(description: &str, schema: Value, required: bool) -> Value {
    json!({ "description": description, "required": required, "schema": schema })
}

fn rate_limit_headers(headers: &mut Map<String, Value>, required: bool) {
    for (name, description) in RATE_LIMIT_HEADERS {
        headers.insert(
            name.to_owned(),
            header(
                description,
                json!({ "type": "integer", "minimum": 0 }),
                required,
            ),
        );
    }
}

/// The API codes each status is given for, from the catalogue.
fn codes_by_status() -> BTreeMap<u16, Vec<&'static str>> {
    let mut by_status: BTreeMap<u16, Vec<&'static str>> = BTreeMap::new();
    for error in catalogue::samples() {
        let code = error.code();
        if catalogue::entry(code).is_some_and(|doc| doc.api) {
            let codes = by_status.entry(error.status_code()).or_default();
            if !codes.contains(&code) {
                codes.push(code);
            }
        }
    }
    by_status
}

/// What one operation can answer besides success.
struct Shape {
    authenticated: bool,
    has_body: bool,
    has_id: bool,
    has_query: bool,
}

fn shape(op: &Value) -> Shape {
    let params = op["parameters"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or(&[]);
    Shape {
        // `security: [{}]` (the leak report) means no authentication.
        authenticated: op["security"].as_array().is_some_and(|s| {
            s.iter()
                .any(|requirement| requirement.as_object().is_some_and(|r| !r.is_empty()))
        }),
        has_body: op.get("requestBody").is_some(),
        has_id: params.iter().any(|p| p["in"] == "path"),
        has_query: params.iter().any(|p| p["in"] == "query"),
    }
}

/// The error statuses an operation can give, each with whether the
/// request got past authentication (and so carries the RateLimit headers).
fn error_statuses(shape: &Shape) -> Vec<(u16, Option<bool>)> {
    // `Some(true)`: always authenticated; `Some(false)`: maybe; `None`: never.
    if !shape.authenticated {
        // A public operation with a body (the leak report) is throttled
        // per client address.
        return if shape.has_body {
            vec![
                (400, None),
                (405, None),
                (413, None),
                (415, None),
                (422, None),
                (429, None),
                (500, None),
                (503, None),
            ]
        } else {
            vec![(405, None)]
        };
    }
    let mut statuses = vec![
        (400, Some(false)),
        (401, None),
        (403, Some(false)),
        (405, Some(true)),
        (429, Some(true)),
        (500, Some(false)),
        (503, Some(false)),
    ];
    if shape.has_id {
        statuses.push((404, Some(true)));
    }
    if shape.has_body {
        statuses.extend([(413, Some(true)), (415, Some(true))]);
    }
    if shape.has_body || shape.has_query {
        statuses.push((422, Some(true)));
    }
    statuses.sort_by_key(|(status, _)| *status);
    statuses
}

fn problem_response(status: u16, authenticated: Option<bool>, codes: &[&str]) -> Value {
    let mut headers = Map::new();
    if let Some(always) = authenticated {
        rate_limit_headers(&mut headers, always);
    }
    match status {
        401 => {
            headers.insert(
                "WWW-Authenticate".into(),
                header(
                    "The Bearer challenge (RFC 6750).",
                    json!({ "type": "string" }),
                    true,
                ),
            );
        }
        400 | 403 => {
            headers.insert(
                "WWW-Authenticate".into(),
                header(
                    "On `invalid_request` (400) and `insufficient_scope` (403): the Bearer challenge.",
                    json!({ "type": "string" }),
                    false,
                ),
            );
        }
        405 => {
            headers.insert(
                "Allow".into(),
                header(
                    "The methods this path supports.",
                    json!({ "type": "string" }),
                    true,
                ),
            );
        }
        429 | 503 => {
            headers.insert(
                "Retry-After".into(),
                header(
                    "Seconds to wait before trying again.",
                    json!({ "type": "integer", "minimum": 0 }),
                    true,
                ),
            );
        }
        _ => {}
    }
    let reason = axum::http::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("Error");
    let listed: Vec<String> = codes.iter().map(|c| format!("`{c}`")).collect();
    json!({
        "description": format!("{reason}: {}. See /docs/errors.", listed.join(", ")),
        "x-problem-codes": codes,
        "headers": headers,
        "content": { "application/problem+json": {
            "schema": { "$ref": "#/components/schemas/Problem" }
        } },
    })
}

fn problem_schema() -> Value {
    let codes: Vec<&str> = catalogue::api_codes();
    json!({
        "type": "object",
        "description": "RFC 9457 problem details, with a stable `code`.",
        "required": ["type", "title", "status", "detail", "code", "request_id"],
        "properties": {
            "type": { "type": "string", "format": "uri-reference",
                      "description": "This server's docs page for the code: `/docs/errors#<code>`, absolute when the server's public URL is configured." },
            "title": { "type": "string", "description": "The HTTP status's reason phrase." },
            "status": { "type": "integer", "minimum": 400, "maximum": 599 },
            "detail": { "type": "string", "description": "What went wrong, for people." },
            "code": { "type": "string", "enum": codes, "description": "What went wrong, for programs." },
            "key_prefix": { "type": "string", "maxLength": 14,
                            "description": "The first 14 characters of the key sent, when there was one." },
            "errors": { "type": "array", "description": "With `validation_failed`: one entry per invalid field.",
                        "items": { "$ref": "#/components/schemas/FieldError" } },
            "request_id": { "type": "string", "pattern": crate::error::request_id::PATTERN,
                            "description": "The request's id, as its `Request-Id` header gives it: quote it when you ask for help." },
        },
    })
}

fn field_error_schema() -> Value {
    json!({
        "type": "object",
        "required": ["field", "message"],
        "properties": {
            "field": { "type": "string", "description": "The JSON field or query parameter." },
            "message": { "type": "string" },
        },
    })
}

/// Links from a created lead to what can be done with it.
fn created_lead_links() -> Value {
    let link = |operation: &str| json!({ "operationId": operation, "parameters": { "id": "$response.body#/id" } });
    json!({
        "GetLead": link("get-lead"),
        "UpdateLead": link("update-lead"),
        "DeleteLead": link("delete-lead"),
    })
}

/// A patch field accepts what the same field of a draft accepts (or null,
/// meaning "unchanged"): its constraints are written once, on the draft.
fn patch_takes_draft_constraints(doc: &mut Value) {
    let draft = doc["components"]["schemas"]["LeadDraft"]["properties"].clone();
    let Some(patch) = doc["components"]["schemas"]["LeadPatch"]["properties"].as_object_mut()
    else {
        return;
    };
    for (field, schema) in patch.iter_mut() {
        for constraint in ["minLength", "maxLength", "pattern"] {
            if let Some(value) = draft[field].get(constraint) {
                schema[constraint] = value.clone();
            }
        }
    }
}

fn complete(mut doc: Value) -> Value {
    let by_status = codes_by_status();
    patch_takes_draft_constraints(&mut doc);
    doc["components"]["schemas"]["Problem"] = problem_schema();
    doc["components"]["schemas"]["FieldError"] = field_error_schema();
    doc["components"]["securitySchemes"]["bearer"] = json!({
        "type": "http", "scheme": "bearer",
        "description": "An API key from Dashboard → Developer: `Authorization: Bearer sk_...`.",
    });
    let Some(paths) = doc["paths"].as_object_mut() else {
        return doc;
    };
    for item in paths.values_mut() {
        let Some(item) = item.as_object_mut() else {
            continue;
        };
        for op in item.values_mut() {
            let shape = shape(op);
            let Some(responses) = op["responses"].as_object_mut() else {
                continue;
            };
            for (status, response) in responses.iter_mut() {
                if status.starts_with('2') && shape.authenticated {
                    let mut headers = response["headers"]
                        .as_object_mut()
                        .map(std::mem::take)
                        .unwrap_or_default();
                    rate_limit_headers(&mut headers, true);
                    headers.insert(
                        "Leadline-Key-Expires".into(),
                        header(
                            "Sent while the key expires within 7 days: when it does (RFC 3339, UTC). Create a replacement (or roll the key) before then.",
                            json!({ "type": "string", "format": "date-time" }),
                            false,
                        ),
                    );
                    if status == "201" {
                        headers.insert(
                            "Location".into(),
                            header("The new lead's URL.", json!({ "type": "string" }), true),
                        );
                        response["links"] = created_lead_links();
                    }
                    response["headers"] = Value::Object(headers);
                }
            }
            for (status, authenticated) in error_statuses(&shape) {
                let codes = by_status.get(&status).map(Vec::as_slice).unwrap_or(&[]);
                responses.insert(
                    status.to_string(),
                    problem_response(status, authenticated, codes),
                );
            }
            // Every answer, success or problem, names its request.
            for response in responses.values_mut() {
                if !response["headers"].is_object() {
                    response["headers"] = json!({});
                }
                response["headers"]["Request-Id"] = header(
                    "This request's id (`req_` and a ULID): quote it when you ask for help. Problem bodies carry it as `request_id`.",
                    json!({ "type": "string", "pattern": crate::error::request_id::PATTERN }),
                    true,
                );
            }
        }
    }
    doc
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::catalogue::CATALOGUE;

    #[test]
    fn the_leak_report_is_documented_as_unauthenticated_and_unmetered() {
        let op = &document()["paths"]["/api/v1/leaked-keys"]["post"];
        assert!(op["responses"]["202"]["headers"]
            .get("RateLimit-Limit")
            .is_none());
        assert!(op["responses"].get("401").is_none());
        for status in ["400", "413", "415", "422", "429"] {
            assert!(op["responses"].get(status).is_some(), "{status}");
        }
        let lead = &document()["paths"]["/api/v1/leads"]["get"];
        assert!(
            lead["responses"]["200"]["headers"]["RateLimit-Limit"]["required"]
                .as_bool()
                .unwrap()
        );
    }

    #[test]
    fn every_api_code_is_reachable_by_a_documented_status() {
        let listed: Vec<&str> = codes_by_status().into_values().flatten().collect();
        for doc in CATALOGUE.iter().filter(|d| d.api) {
            assert!(listed.contains(&doc.code), "{}", doc.code);
        }
    }

    #[test]
    fn every_operation_documents_its_problems_with_one_schema() {
        let doc = document();
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                let responses = op["responses"].as_object().unwrap();
                for (status, response) in responses {
                    if status.starts_with('4') || status.starts_with('5') {
                        assert_eq!(
                            response["content"]["application/problem+json"]["schema"]["$ref"],
                            "#/components/schemas/Problem",
                            "{method} {path} {status}"
                        );
                    }
                }
                if shape(op).authenticated {
                    for status in ["400", "401", "403", "405", "429"] {
                        assert!(responses.contains_key(status), "{method} {path} {status}");
                    }
                    assert_eq!(responses["429"]["headers"]["Retry-After"]["required"], true);
                    assert_eq!(
                        responses["401"]["headers"]["WWW-Authenticate"]["required"],
                        true
                    );
                }
            }
        }
    }

    /// What the document says of one string field: length bounds and pattern.
    struct FieldRule {
        min: usize,
        max: usize,
        pattern: regex::Regex,
    }

    fn rule(schema: &str, field: &str) -> FieldRule {
        let s = &document()["components"]["schemas"][schema]["properties"][field];
        FieldRule {
            min: s["minLength"].as_u64().unwrap_or(0) as usize,
            max: s["maxLength"].as_u64().unwrap() as usize,
            pattern: regex::Regex::new(s["pattern"].as_str().unwrap_or("")).unwrap(),
        }
    }

    impl FieldRule {
        fn accepts(&self, value: &str) -> bool {
            let n = value.chars().count();
            n >= self.min && n <= self.max && self.pattern.is_match(value)
        }
    }

    fn server_accepts(field: &str, value: &str) -> bool {
        use crate::leads::domain::{LeadDraft, LeadInput};
        let mut draft = LeadDraft {
            name: "Ada".into(),
            status: "new".into(),
            ..Default::default()
        };
        match field {
            "name" => draft.name = value.into(),
            "email" => draft.email = value.into(),
            "company" => draft.company = value.into(),
            "phone" => draft.phone = value.into(),
            "source" => draft.source = value.into(),
            "notes" => draft.notes = value.into(),
            _ => unreachable!(),
        }
        match LeadInput::parse(&draft) {
            Ok(_) => true,
            Err(e) => !e.field_errors().iter().any(|f| f.field == field),
        }
    }

    /// Strings built from the characters where the rules have edges:
    /// controls, every kind of space, invisible formatting, `@` and `.`.
    fn corpus() -> Vec<String> {
        use rand::{Rng, SeedableRng};
        let edges: Vec<char> = "aZ9 .@-_+é👩\t\n\r\u{0}\u{1f}\u{7f}\u{85}\u{9f}\u{a0}\u{ad}\u{61c}\u{1680}\u{180e}\u{2000}\u{200a}\u{200b}\u{200d}\u{200e}\u{2028}\u{2029}\u{202a}\u{202f}\u{205f}\u{2060}\u{2066}\u{3000}\u{feff}\u{fff9}\u{fffc}"
            .chars()
            .collect();
        let mut rng = rand::rngs::StdRng::seed_from_u64(20261128);
        let mut corpus: Vec<String> = [
            "",
            "a",
            " a ",
            "a@b.co",
            " a@b.co\t",
            "a@b",
            "@b.co",
            "a@.co",
            "a@b..co",
            "a@b.co.",
            "a@b@c.co",
            "\u{3000}",
            "Ada\u{200b}",
            "x@y.z",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        corpus.push(format!("{}@b.co", "a".repeat(64)));
        corpus.push(format!("{}@b.co", "a".repeat(65)));
        corpus.push(format!("a{}", " ".repeat(199)));
        corpus.push(format!("a{}", " ".repeat(200)));
        corpus.push(format!("a@{}.co", "b".repeat(248)));
        corpus.push(format!("a@{}.co", "b".repeat(249)));
        for _ in 0..20_000 {
            let len = rng.gen_range(0..12);
            corpus.push(
                (0..len)
                    .map(|_| edges[rng.gen_range(0..edges.len())])
                    .collect(),
            );
        }
        // Shaped like emails, with edge characters mixed in.
        for _ in 0..20_000 {
            let mut part = |n: usize| -> String {
                (0..n)
                    .map(|_| {
                        if rng.gen_bool(0.8) {
                            'a'
                        } else {
                            edges[rng.gen_range(0..edges.len())]
                        }
                    })
                    .collect()
            };
            let (local, domain, tld) = (part(3), part(3), part(2));
            corpus.push(format!("{local}@{domain}.{tld}"));
        }
        corpus
    }

    #[test]
    fn the_documents_patterns_and_the_servers_validation_agree() {
        for field in ["name", "email", "company", "phone", "source", "notes"] {
            for schema in ["LeadDraft", "LeadPatch"] {
                let rule = rule(schema, field);
                for value in corpus() {
                    assert_eq!(
                        rule.accepts(&value),
                        server_accepts(field, &value),
                        "{schema}.{field} = {value:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn the_documented_search_parameter_and_the_servers_rule_agree() {
        let doc = document();
        let params = doc["paths"]["/api/v1/leads"]["get"]["parameters"]
            .as_array()
            .unwrap();
        let q = &params.iter().find(|p| p["name"] == "q").unwrap()["schema"];
        let rule = FieldRule {
            min: 0,
            max: q["maxLength"].as_u64().unwrap() as usize,
            pattern: regex::Regex::new(q["pattern"].as_str().unwrap()).unwrap(),
        };
        for value in corpus() {
            let server = crate::leads::domain::SearchText::parse(&value).is_ok();
            assert_eq!(rule.accepts(&value), server, "q = {value:?}");
        }
    }
}
