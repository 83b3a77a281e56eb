//! The endpoints' metadata as data (`shop_api::<platform>::META`, a table the generator emits
//! under the `meta` feature): each request and response field's wire name, type, `required`,
//! place and doc, and each module's structs and enums. A request given as JSON is checked and
//! converted from it, and an endpoint described, without a typed decoder per endpoint: the CLI
//! uses it so that it does not grow with the catalogue.
//!
//! ```
//! # let text = r#"{"platform":"x","endpoints":{"order.get":{"module":"order","summary":"","doc_url":"",
//! # "request":[{"wire":"id","rust":"id","type":"string","required":true,"in":"body","doc":"The id."}],"response":[]}},"types":{}}"#;
//! use shop_api_runtime::meta::Meta;
//! let meta = Meta::parse(text).unwrap();
//! let ep = &meta.endpoints["order.get"];
//! let given = serde_json::json!({"id": 42});
//! let checked = meta.check(ep, given.as_object().unwrap(), &[]).unwrap();
//! assert_eq!(checked.body["id"], "42"); // a text field takes a number as its text
//! assert!(meta.check(ep, &serde_json::Map::new(), &[]).unwrap_err().missing == ["id"]);
//! ```

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Deserialize;
use serde_json::{Map, Number, Value};

use crate::http::Part;
use crate::{Call, Client, Endpoint, Platform, Query, Result, path_segment};

/// A platform's metadata document.
#[derive(Debug, Deserialize)]
#[non_exhaustive]
pub struct Meta {
    /// The endpoints, by name.
    pub endpoints: BTreeMap<String, EndpointMeta>,
    /// The structs and enums, by `<module>.<Name>`.
    pub types: BTreeMap<String, TypeMeta>,
}

/// One endpoint's fields.
#[derive(Debug, Deserialize)]
#[non_exhaustive]
pub struct EndpointMeta {
    /// Its module: where the names of its types are looked up.
    pub module: String,
    /// What it does.
    #[serde(default)]
    pub summary: String,
    /// Its official documentation.
    #[serde(default)]
    pub doc_url: String,
    /// The request's fields.
    pub request: Vec<FieldMeta>,
    /// The response's (`data`'s) fields.
    pub response: Vec<FieldMeta>,
}

/// One field.
#[derive(Debug, Deserialize)]
#[non_exhaustive]
pub struct FieldMeta {
    /// Its JSON (or query, or path) name.
    pub wire: String,
    /// Its Rust name in the typed request or response.
    #[serde(default)]
    pub rust: String,
    /// Its type, as the spec spells it: `string`, `i64`, `[T]`, `{T}`, a struct or an enum.
    #[serde(rename = "type")]
    pub ty: String,
    /// Whether the request must carry it (or the platform always sends it).
    pub required: bool,
    /// Where a request field travels: `body`, `query` or `path`.
    #[serde(default, rename = "in")]
    pub place: Option<String>,
    /// Its documentation.
    pub doc: String,
    /// Why it is deprecated, when it is.
    #[serde(default)]
    pub deprecated: Option<String>,
}

/// A struct's fields, or an enum's values.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
#[non_exhaustive]
pub enum TypeMeta {
    /// A struct.
    Struct {
        /// Its fields.
        fields: Vec<FieldMeta>,
    },
    /// An enum: `string` or `int` values; others than these are let through, as the typed
    /// enums' `Unknown` takes them.
    Enum {
        /// `string` or `int`.
        kind: String,
        /// The known values.
        values: Vec<String>,
    },
}

/// A request checked against its endpoint's fields: the body by wire name, the query pairs and
/// the path's values, each converted to the field's type.
#[derive(Debug, Default)]
#[non_exhaustive]
pub struct Checked {
    /// The body's fields (in the JSON or form body).
    pub body: Map<String, Value>,
    /// The query pairs, lists comma-joined, in the order of the fields.
    pub query: Vec<(String, String)>,
    /// The path's values, by wire name.
    pub path: BTreeMap<String, String>,
}

impl Checked {
    /// The request's fields by wire name: the body's, then the query's as text.
    pub fn fields(&self) -> Map<String, Value> {
        let mut fields = self.body.clone();
        for (k, v) in &self.query {
            fields.insert(k.clone(), Value::String(v.clone()));
        }
        fields
    }

    /// The call to `ep`: its path with each `{field}` filled (percent-encoded), the query, and
    /// the body with the file parts of an upload, encoded by the client's platform
    /// ([`Client::encode_fields`]), as the typed request would be.
    pub fn encode<P: Platform>(
        self,
        client: &Client<P>,
        ep: &'static Endpoint,
        files: Vec<Part>,
    ) -> Result<Call> {
        let mut path = Cow::Borrowed(ep.path);
        for (wire, value) in &self.path {
            let filled = path.replace(&format!("{{{wire}}}"), &path_segment(value.as_str()));
            path = Cow::Owned(filled);
        }
        let mut query = Query::new();
        for (k, v) in self.query {
            query.push_owned(k, v);
        }
        client.encode_fields(ep, path, query, Value::Object(self.body), files)
    }
}

/// What is wrong with a request.
#[derive(Debug, Default)]
#[non_exhaustive]
pub struct Problems {
    /// Fields no struct has, by path.
    pub unknown: Vec<String>,
    /// Required fields not given, by path.
    pub missing: Vec<String>,
    /// Values of the wrong type: the path and what was wrong.
    pub wrong: Vec<(String, String)>,
}

impl Problems {
    /// Whether nothing is wrong.
    pub fn is_empty(&self) -> bool {
        self.unknown.is_empty() && self.missing.is_empty() && self.wrong.is_empty()
    }
}

/// The module of a platform's shared types (`spec/<platform>/types.yaml`), which every module
/// may name.
pub const SHARED: &str = "types";

impl Meta {
    /// The type `name` as `module` sees it (its own, else the platform's shared one), and the
    /// module it belongs to (where the names of its own fields are looked up).
    pub fn lookup<'a>(&'a self, module: &'a str, name: &str) -> Option<(&'a str, &'a TypeMeta)> {
        if let Some(t) = self.types.get(&format!("{module}.{name}")) {
            return Some((module, t));
        }
        self.types
            .get(&format!("{SHARED}.{name}"))
            .map(|t| (SHARED, t))
    }

    /// Read a metadata document (`shop_api::<platform>::META`).
    pub fn parse(text: &str) -> serde_json::Result<Meta> {
        serde_json::from_str(text)
    }

    /// Check `params` against `ep`'s request fields; `files` name file parts, which stand for
    /// their fields (an empty text the part replaces when sent).
    pub fn check(
        &self,
        ep: &EndpointMeta,
        params: &Map<String, Value>,
        files: &[&str],
    ) -> Result<Checked, Problems> {
        let mut problems = Problems::default();
        let mut out = Checked::default();
        let mut given = params.clone();
        for name in files {
            given
                .entry((*name).to_owned())
                .or_insert_with(|| Value::String(String::new()));
        }
        let body = self.object(&ep.module, &ep.request, &given, "", &mut problems);
        for f in &ep.request {
            let Some(v) = body.get(&f.wire) else { continue };
            match f.place.as_deref() {
                Some("query") => {
                    if let Some(text) = query_text(v) {
                        out.query.push((f.wire.clone(), text));
                    }
                }
                Some("path") => {
                    out.path
                        .insert(f.wire.clone(), query_text(v).unwrap_or_default());
                }
                _ => {
                    let mut v = v.clone();
                    drop_nulls(&mut v);
                    out.body.insert(f.wire.clone(), v);
                }
            }
        }
        if problems.is_empty() {
            Ok(out)
        } else {
            Err(problems)
        }
    }

    /// The fields of an object, converted; what is wrong is added to `problems` under `at`.
    fn object(
        &self,
        module: &str,
        fields: &[FieldMeta],
        given: &Map<String, Value>,
        at: &str,
        problems: &mut Problems,
    ) -> Map<String, Value> {
        let mut out = Map::new();
        for (k, _) in given.iter() {
            if !fields.iter().any(|f| f.wire == *k) {
                problems.unknown.push(join(at, k));
            }
        }
        for f in fields {
            match given.get(&f.wire).filter(|v| !v.is_null()) {
                Some(v) => {
                    let path = join(at, &f.wire);
                    if let Some(v) = self.value(module, &f.ty, v, &path, problems) {
                        out.insert(f.wire.clone(), v);
                    }
                }
                None if f.required => problems.missing.push(join(at, &f.wire)),
                None => {}
            }
        }
        out
    }

    /// `v` as a value of type `ty`, leniently (`"12"` for an integer, `12` for a text, as the
    /// typed decoders take them), or `None` with the problem added.
    fn value(
        &self,
        module: &str,
        ty: &str,
        v: &Value,
        at: &str,
        problems: &mut Problems,
    ) -> Option<Value> {
        if let Some(inner) = ty.strip_prefix('[').and_then(|t| t.strip_suffix(']')) {
            let Value::Array(items) = v else {
                return bad(
                    problems,
                    at,
                    format!("expected a list of {inner}, found {}", kind(v)),
                );
            };
            let items: Vec<Value> = items
                .iter()
                .enumerate()
                .filter_map(|(i, item)| {
                    self.value(module, inner, item, &format!("{at}[{i}]"), problems)
                })
                .collect();
            return Some(Value::Array(items));
        }
        if let Some(inner) = ty.strip_prefix('{').and_then(|t| t.strip_suffix('}')) {
            let Value::Object(m) = v else {
                return bad(
                    problems,
                    at,
                    format!("expected a map of {inner}, found {}", kind(v)),
                );
            };
            let mut out = Map::new();
            for (k, item) in m {
                if let Some(item) = self.value(module, inner, item, &format!("{at}.{k}"), problems)
                {
                    out.insert(k.clone(), item);
                }
            }
            return Some(Value::Object(out));
        }
        match ty {
            "json" => Some(v.clone()),
            "string" => match v {
                Value::String(_) => Some(v.clone()),
                Value::Number(n) => Some(Value::String(n.to_string())),
                Value::Bool(b) => Some(Value::String(b.to_string())),
                _ => bad(
                    problems,
                    at,
                    format!("expected a string, found {}", kind(v)),
                ),
            },
            "bool" => match v {
                Value::Bool(_) => Some(v.clone()),
                Value::String(s) if s == "true" || s == "false" => Some(Value::Bool(s == "true")),
                _ => bad(
                    problems,
                    at,
                    format!("expected a boolean, found {}", kind(v)),
                ),
            },
            "i32" | "i64" | "u64" => {
                let n = match v {
                    Value::Number(n) => Some(n.clone()),
                    Value::String(s) => s.trim().parse::<Number>().ok(),
                    _ => None,
                };
                let fits = n.as_ref().is_some_and(|n| match ty {
                    "i32" => n.as_i64().is_some_and(|i| i32::try_from(i).is_ok()),
                    "i64" => n.is_i64() || n.as_u64().is_some_and(|u| i64::try_from(u).is_ok()),
                    _ => n.is_u64(),
                });
                match n {
                    Some(n) if fits => Some(Value::Number(n)),
                    _ => bad(
                        problems,
                        at,
                        format!("expected an integer ({ty}), found {}", kind(v)),
                    ),
                }
            }
            "f64" | "decimal" => match v {
                Value::Number(_) => Some(v.clone()),
                Value::String(s) => match s.trim().parse::<Number>() {
                    Ok(n) => Some(Value::Number(n)),
                    Err(_) => bad(
                        problems,
                        at,
                        format!("expected a number, found {}", kind(v)),
                    ),
                },
                _ => bad(
                    problems,
                    at,
                    format!("expected a number, found {}", kind(v)),
                ),
            },
            name => match self.lookup(module, name) {
                Some((owner, TypeMeta::Struct { fields })) => match v {
                    Value::Object(m) => {
                        Some(Value::Object(self.object(owner, fields, m, at, problems)))
                    }
                    _ => bad(
                        problems,
                        at,
                        format!("expected an object ({name}), found {}", kind(v)),
                    ),
                },
                Some((_, TypeMeta::Enum { kind: k, .. })) if k == "int" => {
                    self.value(module, "i64", v, at, problems)
                }
                Some((_, TypeMeta::Enum { .. })) => self.value(module, "string", v, at, problems),
                // Not in the document (it is generated with every type): taken as it is.
                None => Some(v.clone()),
            },
        }
    }

    /// `data` with its scalars as the response's types have them (ids the platform sends as
    /// numbers printed as the text the spec types them as); what does not fit is left as sent.
    pub fn shape_response(&self, ep: &EndpointMeta, data: Value) -> Value {
        match data {
            Value::Object(m) => Value::Object(self.shape_object(&ep.module, &ep.response, m)),
            other => other,
        }
    }

    fn shape_object(
        &self,
        module: &str,
        fields: &[FieldMeta],
        mut m: Map<String, Value>,
    ) -> Map<String, Value> {
        for f in fields {
            if let Some(v) = m.get_mut(&f.wire) {
                *v = self.shape(module, &f.ty, std::mem::take(v));
            }
        }
        m
    }

    fn shape(&self, module: &str, ty: &str, v: Value) -> Value {
        if let Some(inner) = ty.strip_prefix('[').and_then(|t| t.strip_suffix(']')) {
            return match v {
                Value::Array(items) => Value::Array(
                    items
                        .into_iter()
                        .map(|i| self.shape(module, inner, i))
                        .collect(),
                ),
                other => other,
            };
        }
        if let Some(inner) = ty.strip_prefix('{').and_then(|t| t.strip_suffix('}')) {
            return match v {
                Value::Object(m) => Value::Object(
                    m.into_iter()
                        .map(|(k, i)| (k, self.shape(module, inner, i)))
                        .collect(),
                ),
                other => other,
            };
        }
        match (ty, v) {
            ("string", Value::Number(n)) => Value::String(n.to_string()),
            ("i32" | "i64" | "u64" | "f64" | "decimal", Value::String(s)) => {
                match s.trim().parse::<Number>() {
                    Ok(n) => Value::Number(n),
                    Err(_) => Value::String(s),
                }
            }
            (name, Value::Object(m)) => match self.lookup(module, name) {
                Some((owner, TypeMeta::Struct { fields })) => {
                    Value::Object(self.shape_object(owner, fields, m))
                }
                _ => Value::Object(m),
            },
            (_, v) => v,
        }
    }

    /// `shop-api describe`: the endpoint's request and response fields, nested types expanded,
    /// with type, `required`, place and doc.
    pub fn describe(&self, ep: &EndpointMeta, out: &mut String) {
        out.push_str("request fields (name  type  required  in  doc):\n");
        if ep.request.is_empty() {
            out.push_str("  (none)\n");
        }
        self.describe_fields(&ep.module, &ep.request, 1, &mut Vec::new(), out);
        out.push_str("\nresponse fields (`data`):\n");
        if ep.response.is_empty() {
            out.push_str("  (none)\n");
        }
        self.describe_fields(&ep.module, &ep.response, 1, &mut Vec::new(), out);
    }

    fn describe_fields(
        &self,
        module: &str,
        fields: &[FieldMeta],
        depth: usize,
        seen: &mut Vec<String>,
        out: &mut String,
    ) {
        for f in fields {
            let indent = "  ".repeat(depth);
            let required = if f.required { "required" } else { "optional" };
            let place = f
                .place
                .as_deref()
                .map(|p| format!("  {p}"))
                .unwrap_or_default();
            let doc = f.doc.lines().next().unwrap_or_default();
            let deprecated = f
                .deprecated
                .as_deref()
                .map(|d| format!(" [deprecated: {d}]"))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "{indent}{}  {}  {required}{place}  {doc}{deprecated}",
                f.wire, f.ty
            );
            let name = f.ty.trim_matches(|c| matches!(c, '[' | ']' | '{' | '}'));
            match self.lookup(module, name) {
                Some((owner, TypeMeta::Struct { fields })) if !seen.iter().any(|s| s == name) => {
                    seen.push(name.to_owned());
                    self.describe_fields(owner, fields, depth + 1, seen, out);
                    seen.pop();
                }
                Some((_, TypeMeta::Enum { values, .. })) if !values.is_empty() => {
                    let _ = writeln!(out, "{indent}  one of: {}", values.join(", "));
                }
                _ => {}
            }
        }
    }
}

/// Add that the value at `at` is wrong: `None`, the value left out.
fn bad(problems: &mut Problems, at: &str, what: String) -> Option<Value> {
    problems.wrong.push((at.to_owned(), what));
    None
}

/// Leave out object members whose value is `null`, at every depth (as the typed requests'
/// bodies do: an unset field is not sent).
pub fn drop_nulls(v: &mut Value) {
    match v {
        Value::Object(m) => {
            m.retain(|_, v| !v.is_null());
            m.values_mut().for_each(drop_nulls);
        }
        Value::Array(items) => items.iter_mut().for_each(drop_nulls),
        _ => {}
    }
}

fn join(at: &str, key: &str) -> String {
    if at.is_empty() {
        key.to_owned()
    } else {
        format!("{at}.{key}")
    }
}

fn kind(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => format!("boolean `{b}`"),
        Value::Number(n) => format!("number `{n}`"),
        Value::String(s) => format!("string {s:?}"),
        Value::Array(_) => "a list".into(),
        Value::Object(_) => "an object".into(),
    }
}

/// A converted value as a query or path parameter: text as it is, numbers and booleans as
/// written, lists comma-joined (an empty list: none).
fn query_text(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        Value::Array(items) if items.is_empty() => None,
        Value::Array(items) => Some(
            items
                .iter()
                .filter_map(query_text)
                .collect::<Vec<_>>()
                .join(","),
        ),
        other => Some(other.to_string()),
    }
}
