//! OpenAPI 3.1 export: one document per platform, `openapi/<platform>.json`, rendered from the
//! [IR](crate::ir) by `cargo xtask openapi`.
//!
//! The documents are for browsing the API in any OpenAPI viewer and for feeding other tools; the
//! Rust crate does not read them. What goes where:
//!
//! * every endpoint is one operation: `operationId` is the dotted endpoint name, `tags` its module,
//!   `summary`, a `description` made of the doc, the deprecation note and the official doc link,
//!   `externalDocs` the doc page, `deprecated`, and the extensions `x-shop-api-flags` (the spec's
//!   flag names) and `x-pagination` (the pagination fields, by their wire names);
//! * `query:` and `path:` fields are parameters (lists travel comma-joined: `explode: false`);
//!   `body:` fields are the request body, a component `<TypeBase>RequestBody`, sent as JSON,
//!   `application/x-www-form-urlencoded` (flag `form`) or `multipart/form-data` (flag `multipart`);
//! * the `200` response is the platform's envelope (the component [`ENVELOPE`]) whose `data` is
//!   the component `<TypeBase>Response`; the spec's `example:` is the response example;
//! * named types are components `<module>_<Type>` (module names are `snake_case` and type names
//!   `UpperCamelCase`, so the `_` keeps them apart from each other and from the request and
//!   response components, which never hold a `_`). Component keys may contain `.`, but some code
//!   generators turn `order.Money` into a package path, so the `_` is the safer separator;
//! * enums are `enum` lists with `x-enum-varnames` (the Rust variant names) and
//!   `x-enum-descriptions`, their docs also listed in the `description` for viewers that ignore
//!   the extensions. The crate keeps values it does not know; the documents list the known ones;
//! * the access token is a security scheme (TikTok Shop: header `x-tts-access-token`; Doudian:
//!   query `access_token`; Douyin: header `access-token`, a user token or the app's client token);
//!   `no_token` operations have none. The signing parameters the runtime adds (`app_key`,
//!   `timestamp`, `sign`, ...) are described in `info.description`, not listed per operation.
//!
//! The output is deterministic and independent of `serde_json`'s `preserve_order` feature: the
//! documents are built in an insertion-ordered tree of their own (spec order for fields and
//! operations) and printed by `serde_json`'s pretty printer, with a final newline.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};

use crate::error::SpecErrors;
use crate::ir::{
    Api, Endpoint, EnumDef, Field, FlagKind, Module, Pagination, Place, Platform, StructDef, Ty,
    TypeDef,
};
use crate::spec::{EnumKind, MemberSpec, MemberType};

/// The folder, relative to the repository root, that holds the documents; every file in it is
/// generated.
pub const OUT_DIR: &str = "openapi";

/// The OpenAPI version the documents declare.
pub const OPENAPI_VERSION: &str = "3.1.0";

/// The component holding the platform's response envelope.
pub const ENVELOPE: &str = "Envelope";

/// The security scheme of a user's (or shop's) access token.
pub const ACCESS_TOKEN_SCHEME: &str = "accessToken";

/// The security scheme of Douyin's app-level client token (endpoints flagged `client_token`).
pub const CLIENT_TOKEN_SCHEME: &str = "clientToken";

/// Load the specs under `root/spec` and render every document (see [`render`]).
pub fn generate(root: &Path) -> Result<BTreeMap<PathBuf, String>, SpecErrors> {
    Ok(render(&crate::ir::load(root)?))
}

/// Render one OpenAPI 3.1 document per platform of `api`, keyed by its path relative to the
/// repository root: `openapi/<platform>.json`.
pub fn render(api: &Api) -> BTreeMap<PathBuf, String> {
    api.platforms
        .iter()
        .map(|p| (document_path(p), render_platform(p)))
        .collect()
}

/// Where the document of `p` goes, relative to the repository root.
pub fn document_path(p: &Platform) -> PathBuf {
    Path::new(OUT_DIR).join(format!("{}.json", p.name))
}

/// The document of one platform, as pretty JSON ending in a newline.
pub fn render_platform(p: &Platform) -> String {
    let mut text = serde_json::to_string_pretty(&J::Obj(document(p)))
        .expect("a document of strings, numbers and objects always serializes");
    text.push('\n');
    text
}

/// The component name of the named type `ty` of `module`: `<module>_<Type>`.
pub fn type_component(module: &str, ty: &str) -> String {
    format!("{module}_{ty}")
}

/// The component name of an endpoint's request body (its `body:` fields).
pub fn request_body_component(e: &Endpoint) -> String {
    format!("{}RequestBody", e.type_base)
}

/// The component name of an endpoint's response data (the envelope's `data`).
pub fn response_component(e: &Endpoint) -> String {
    format!("{}Response", e.type_base)
}

/// A `$ref` to the schema component `name`.
pub fn schema_ref(name: &str) -> String {
    format!("#/components/schemas/{name}")
}

/// The media type of an endpoint's request body.
pub fn body_media_type(e: &Endpoint) -> &'static str {
    if e.has(FlagKind::Multipart) {
        "multipart/form-data"
    } else if e.has(FlagKind::Form) {
        "application/x-www-form-urlencoded"
    } else {
        "application/json"
    }
}

/// The security scheme an endpoint needs on platform `p`, if any.
pub fn security_scheme(p: &Platform, e: &Endpoint) -> Option<&'static str> {
    if e.has(FlagKind::NoToken) {
        return None;
    }
    let auth = p.auth.as_ref()?;
    match auth.client_token {
        Some(_) if e.has(FlagKind::ClientToken) => Some(CLIENT_TOKEN_SCHEME),
        _ => Some(ACCESS_TOKEN_SCHEME),
    }
}

// ---------------------------------------------------------------------------------------------
// The document.

fn document(p: &Platform) -> Obj {
    let mut paths = Obj::new();
    let mut schemas = Obj::new();
    schemas.insert(ENVELOPE, envelope(p));
    for m in &p.modules {
        for t in &m.types {
            let (name, schema) = match t {
                TypeDef::Struct(s) => (&s.name, struct_schema(m, s)),
                TypeDef::Enum(e) => (&e.name, enum_schema(e)),
            };
            schemas.insert(&type_component(&m.name, name), schema);
        }
        for e in &m.endpoints {
            let body: Vec<&Field> = e
                .request
                .iter()
                .filter(|f| f.place == Place::Body)
                .collect();
            if !body.is_empty() {
                let doc = format!(
                    "The request body of `{}`: its `body:` fields{}.",
                    e.name,
                    match body_media_type(e) {
                        "application/json" => String::new(),
                        mime => format!(", sent as `{mime}`"),
                    }
                );
                schemas.insert(
                    &request_body_component(e),
                    object_schema(m, &doc, body.into_iter()),
                );
            }
            let doc = format!("The `data` of a `{}` response.", e.name);
            let doc = if e.has(FlagKind::DataValue) {
                format!(
                    "{doc} The platform sends the value of `data` itself (`\"data\": true`) or, as the \
                     docs' tables read, an object holding it under `data`; both decode."
                )
            } else {
                doc
            };
            schemas.insert(
                &response_component(e),
                object_schema(m, &doc, e.response.iter()),
            );
            // Endpoints sharing a path (GET and PUT of one resource) share its path item.
            if paths.get_mut(&e.path).is_none() {
                paths.insert(&e.path, Obj::new());
            }
            if let Some(J::Obj(item)) = paths.get_mut(&e.path) {
                item.insert(&e.http_method.to_ascii_lowercase(), operation(p, m, e));
            }
        }
    }

    let mut servers = vec![J::Obj(Obj::new().with("url", p.base_url.as_str()).with(
        "description",
        match &p.sandbox_url {
            Some(s) if *s == p.base_url => "Production (also the sandbox)",
            _ => "Production",
        },
    ))];
    if let Some(s) = p.sandbox_url.as_ref().filter(|s| **s != p.base_url) {
        servers.push(J::Obj(
            Obj::new()
                .with("url", s.as_str())
                .with("description", "Sandbox"),
        ));
    }
    let tags: Vec<J> = p
        .modules
        .iter()
        .map(|m| {
            J::Obj(
                Obj::new()
                    .with("name", m.name.as_str())
                    .with("description", m.doc.trim()),
            )
        })
        .collect();
    let mut components = Obj::new().with("schemas", schemas);
    let schemes = security_schemes(p);
    if !schemes.0.is_empty() {
        components.insert("securitySchemes", schemes);
    }
    Obj::new()
        .with("openapi", OPENAPI_VERSION)
        .with(
            "info",
            Obj::new()
                .with("title", p.display_name.as_str())
                .with("version", p.version.as_str())
                .with(
                    "description",
                    format!(
                        "{}\n\nGenerated by `cargo xtask openapi` from `spec/{}/` of shop-api; \
                         do not edit.",
                        p.doc.trim(),
                        p.name
                    ),
                ),
        )
        .with(
            "externalDocs",
            Obj::new()
                .with("description", "Official documentation")
                .with("url", p.doc_root.as_str()),
        )
        .with("servers", servers)
        .with("tags", tags)
        .with("paths", paths)
        .with("components", components)
}

fn operation(p: &Platform, m: &Module, e: &Endpoint) -> Obj {
    let mut description = String::new();
    if let Some(doc) = e.doc.as_deref().filter(|d| !d.is_empty()) {
        description.push_str(doc);
        description.push_str("\n\n");
    }
    if let Some(reason) = &e.deprecated {
        description.push_str("**Deprecated.**");
        if !reason.is_empty() {
            description.push(' ');
            description.push_str(reason);
        }
        description.push_str("\n\n");
    }
    if let Some(r) = &e.replaced_by {
        description.push_str(&format!("Replaced by `{r}`.\n\n"));
    }
    description.push_str(&format!("[Official documentation]({})", e.doc_url));

    let mut op = Obj::new()
        .with("tags", vec![J::from(m.name.as_str())])
        .with("summary", e.summary.as_str())
        .with("description", description)
        .with(
            "externalDocs",
            Obj::new()
                .with("description", "Official documentation")
                .with("url", e.doc_url.as_str()),
        )
        .with("operationId", e.name.as_str());

    let parameters: Vec<J> = e
        .request
        .iter()
        .filter(|f| matches!(f.place, Place::Path | Place::Query))
        .map(|f| J::Obj(parameter(m, f)))
        .collect();
    if !parameters.is_empty() {
        op.insert("parameters", parameters);
    }
    if e.request.iter().any(|f| f.place == Place::Body) {
        op.insert(
            "requestBody",
            Obj::new().with("required", true).with(
                "content",
                Obj::new().with(
                    body_media_type(e),
                    Obj::new().with(
                        "schema",
                        Obj::new().with("$ref", schema_ref(&request_body_component(e))),
                    ),
                ),
            ),
        );
    }

    let mut ok = Obj::new().with(
        "schema",
        Obj::new().with(
            "allOf",
            vec![
                J::Obj(Obj::new().with("$ref", schema_ref(ENVELOPE))),
                J::Obj(
                    Obj::new()
                        .with("type", "object")
                        .with(
                            "properties",
                            Obj::new().with(
                                "data",
                                Obj::new().with("$ref", schema_ref(&response_component(e))),
                            ),
                        )
                        .with("required", vec![J::from("data")]),
                ),
            ],
        ),
    );
    if let Some(example) = &e.example {
        let value = serde_json::from_str::<J>(example).unwrap_or_else(|_| J::from(example.trim()));
        ok.insert("example", value);
    }
    op.insert(
        "responses",
        Obj::new()
            .with(
                "200",
                Obj::new()
                    .with(
                        "description",
                        format!(
                            "The platform's envelope with `data` of type `{}`.",
                            response_component(e)
                        ),
                    )
                    .with("content", Obj::new().with("application/json", ok)),
            )
            .with(
                "default",
                Obj::new()
                    .with(
                        "description",
                        "An error: the platform's envelope with a failure code (see the \
                         envelope's fields).",
                    )
                    .with(
                        "content",
                        Obj::new().with(
                            "application/json",
                            Obj::new()
                                .with("schema", Obj::new().with("$ref", schema_ref(ENVELOPE))),
                        ),
                    ),
            ),
    );
    if e.deprecated.is_some() {
        op.insert("deprecated", true);
    }
    if let Some(scheme) = security_scheme(p, e) {
        op.insert(
            "security",
            vec![J::Obj(Obj::new().with(scheme, Vec::<J>::new()))],
        );
    }
    if !e.flags.is_empty() {
        let flags: Vec<J> = e.flags.iter().map(|f| J::from(f.spec_name())).collect();
        op.insert("x-shop-api-flags", flags);
    }
    if let Some(pg) = &e.pagination {
        op.insert("x-pagination", pagination(pg));
    }
    op
}

fn parameter(m: &Module, f: &Field) -> Obj {
    let (place, required) = match f.place {
        Place::Path => ("path", true),
        _ => ("query", f.required),
    };
    let mut o = Obj::new()
        .with("name", f.wire.as_str())
        .with("in", place)
        .with("description", f.doc.as_str())
        .with("required", required);
    if matches!(f.ty, Ty::List(_)) {
        // The runtime joins list values with commas: `ids=1,2,3`.
        o.insert("style", "form");
        o.insert("explode", false);
    }
    o.with("schema", ty_schema(m, &f.ty))
}

fn pagination(pg: &Pagination) -> Obj {
    let opt = |o: Obj, k: &str, f: &Option<Field>| match f {
        Some(f) => o.with(k, f.wire.as_str()),
        None => o,
    };
    match pg {
        Pagination::Page {
            page,
            size,
            first,
            items,
            total,
            has_more,
        } => {
            let o = Obj::new()
                .with("style", "page")
                .with("page", page.wire.as_str());
            let o = opt(o, "size", size).with("first", *first);
            let o = o.with("items", items.wire.as_str());
            let o = opt(o, "total", total);
            opt(o, "has_more", has_more)
        }
        Pagination::Cursor {
            cursor,
            via,
            next,
            items,
            total,
            done,
        } => {
            let o = Obj::new()
                .with("style", "cursor")
                .with("cursor", Pagination::cursor_wire_path(cursor, via))
                .with("next", next.wire.as_str())
                .with("items", items.wire.as_str());
            let o = opt(o, "done", done);
            opt(o, "total", total)
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Schemas.

fn ty_schema(m: &Module, t: &Ty) -> Obj {
    match t {
        Ty::String => Obj::new().with("type", "string"),
        Ty::Bool => Obj::new().with("type", "boolean"),
        Ty::I32 => Obj::new().with("type", "integer").with("format", "int32"),
        Ty::I64 => Obj::new().with("type", "integer").with("format", "int64"),
        Ty::U64 => Obj::new().with("type", "integer").with("minimum", 0i64),
        Ty::F64 => Obj::new().with("type", "number").with("format", "double"),
        Ty::Decimal => Obj::new().with("type", "number").with("format", "decimal"),
        Ty::Json => Obj::new(),
        Ty::List(inner) => Obj::new()
            .with("type", "array")
            .with("items", ty_schema(m, inner)),
        Ty::Map(inner) => Obj::new()
            .with("type", "object")
            .with("additionalProperties", ty_schema(m, inner)),
        Ty::Struct(name) | Ty::Enum(name, _) => Obj::new().with(
            "$ref",
            schema_ref(&type_component(m.type_owner(name), name)),
        ),
    }
}

fn object_schema<'a>(m: &Module, doc: &str, fields: impl Iterator<Item = &'a Field>) -> Obj {
    let mut properties = Obj::new();
    let mut required = Vec::new();
    for f in fields {
        properties.insert(
            &f.wire,
            ty_schema(m, &f.ty).with("description", f.doc.as_str()),
        );
        if f.required {
            required.push(J::from(f.wire.as_str()));
        }
    }
    let mut o = Obj::new()
        .with("type", "object")
        .with("description", doc)
        .with("properties", properties);
    if !required.is_empty() {
        o.insert("required", required);
    }
    o
}

fn struct_schema(m: &Module, s: &StructDef) -> Obj {
    object_schema(m, &s.doc, s.fields.iter())
}

fn enum_schema(e: &EnumDef) -> Obj {
    let mut description = e.doc.trim().to_owned();
    description.push('\n');
    for v in &e.variants {
        description.push_str(&format!("\n- `{}`: {}", v.wire, v.doc.trim()));
    }
    let (ty, values): (&str, Vec<J>) = match e.kind {
        EnumKind::String => (
            "string",
            e.variants
                .iter()
                .map(|v| J::from(v.wire.as_str()))
                .collect(),
        ),
        EnumKind::Int => (
            "integer",
            e.variants
                .iter()
                .map(|v| match v.wire.trim().parse::<i64>() {
                    Ok(n) => J::from(n),
                    Err(_) => J::from(v.wire.as_str()),
                })
                .collect(),
        ),
    };
    let mut o = Obj::new().with("type", ty).with("description", description);
    if e.kind == EnumKind::Int {
        o.insert("format", "int64");
    }
    o.with("enum", values)
        .with(
            "x-enum-varnames",
            e.variants
                .iter()
                .map(|v| J::from(v.name.as_str()))
                .collect::<Vec<_>>(),
        )
        .with(
            "x-enum-descriptions",
            e.variants
                .iter()
                .map(|v| J::from(v.doc.trim()))
                .collect::<Vec<_>>(),
        )
}

/// The envelope every response of `p` comes in: the members its `envelope:` documents.
fn envelope(p: &Platform) -> Obj {
    let env = &p.envelope;
    let required: Vec<J> = env
        .members
        .iter()
        .filter(|m| m.required)
        .map(|m| J::from(m.name.as_str()))
        .collect();
    let mut o = Obj::new()
        .with("type", "object")
        .with("description", env.doc.trim())
        .with("properties", members(&env.members));
    if !required.is_empty() {
        o.insert("required", required);
    }
    o
}

/// The schemas of documented envelope members, by name.
fn members(list: &[MemberSpec]) -> Obj {
    let mut props = Obj::new();
    for m in list {
        let doc = m.doc.trim();
        let schema = match m.ty {
            MemberType::Integer => Obj::new()
                .with("type", "integer")
                .with("format", "int64")
                .with("description", doc),
            MemberType::String => Obj::new().with("type", "string").with("description", doc),
            // Sent as a number or as its text, depending on the API.
            MemberType::IntegerOrString => Obj::new()
                .with("type", vec![J::from("integer"), J::from("string")])
                .with("description", doc),
            MemberType::Object if !m.members.is_empty() => Obj::new()
                .with("type", "object")
                .with("description", doc)
                .with("properties", members(&m.members)),
            MemberType::Object => Obj::new().with("type", "object").with("description", doc),
            MemberType::Any => Obj::new().with("description", doc),
        };
        props.insert(&m.name, schema);
    }
    props
}

fn security_schemes(p: &Platform) -> Obj {
    let api_key = |place: &str, name: &str, doc: &str| {
        Obj::new()
            .with("type", "apiKey")
            .with("in", place)
            .with("name", name)
            .with("description", doc.trim())
    };
    // Where the token travels is a platform fact (`token_header` in platform.yaml), what each
    // token is another (`auth:`).
    let (place, name) = match &p.token_header {
        Some(h) => ("header", h.as_str()),
        None => ("query", "access_token"),
    };
    let Some(auth) = &p.auth else {
        return Obj::new();
    };
    let mut schemes = Obj::new().with(
        ACCESS_TOKEN_SCHEME,
        api_key(place, name, &auth.access_token),
    );
    if let Some(doc) = &auth.client_token {
        schemes.insert(CLIENT_TOKEN_SCHEME, api_key(place, name, doc));
    }
    schemes
}

// ---------------------------------------------------------------------------------------------
// An insertion-ordered JSON tree, so the output does not depend on serde_json's map type.

#[derive(Debug, Clone, PartialEq)]
enum J {
    Null,
    Bool(bool),
    Num(serde_json::Number),
    Str(String),
    Arr(Vec<J>),
    Obj(Obj),
}

#[derive(Debug, Clone, PartialEq, Default)]
struct Obj(Vec<(String, J)>);

impl Obj {
    fn new() -> Self {
        Obj(Vec::new())
    }

    /// Set `key` (replacing its value if present, keeping its place).
    fn insert(&mut self, key: &str, value: impl Into<J>) {
        let value = value.into();
        match self.0.iter_mut().find(|(k, _)| k == key) {
            Some(slot) => slot.1 = value,
            None => self.0.push((key.to_owned(), value)),
        }
    }

    fn with(mut self, key: &str, value: impl Into<J>) -> Self {
        self.insert(key, value);
        self
    }

    fn get_mut(&mut self, key: &str) -> Option<&mut J> {
        self.0.iter_mut().find(|(k, _)| k == key).map(|(_, v)| v)
    }
}

impl From<&str> for J {
    fn from(s: &str) -> Self {
        J::Str(s.to_owned())
    }
}

impl From<String> for J {
    fn from(s: String) -> Self {
        J::Str(s)
    }
}

impl From<bool> for J {
    fn from(b: bool) -> Self {
        J::Bool(b)
    }
}

impl From<i64> for J {
    fn from(n: i64) -> Self {
        J::Num(n.into())
    }
}

impl From<Vec<J>> for J {
    fn from(v: Vec<J>) -> Self {
        J::Arr(v)
    }
}

impl From<Obj> for J {
    fn from(o: Obj) -> Self {
        J::Obj(o)
    }
}

impl Serialize for J {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            J::Null => s.serialize_unit(),
            J::Bool(b) => s.serialize_bool(*b),
            J::Num(n) => n.serialize(s),
            J::Str(t) => s.serialize_str(t),
            J::Arr(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for i in items {
                    seq.serialize_element(i)?;
                }
                seq.end()
            }
            J::Obj(o) => {
                let mut map = s.serialize_map(Some(o.0.len()))?;
                for (k, v) in &o.0 {
                    map.serialize_entry(k, v)?;
                }
                map.end()
            }
        }
    }
}

impl<'de> Deserialize<'de> for J {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = J;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("JSON")
            }
            fn visit_unit<E: de::Error>(self) -> Result<J, E> {
                Ok(J::Null)
            }
            fn visit_none<E: de::Error>(self) -> Result<J, E> {
                Ok(J::Null)
            }
            fn visit_bool<E: de::Error>(self, b: bool) -> Result<J, E> {
                Ok(J::Bool(b))
            }
            fn visit_i64<E: de::Error>(self, n: i64) -> Result<J, E> {
                Ok(J::Num(n.into()))
            }
            fn visit_u64<E: de::Error>(self, n: u64) -> Result<J, E> {
                Ok(J::Num(n.into()))
            }
            fn visit_f64<E: de::Error>(self, n: f64) -> Result<J, E> {
                Ok(serde_json::Number::from_f64(n).map_or(J::Null, J::Num))
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<J, E> {
                Ok(J::Str(s.to_owned()))
            }
            fn visit_string<E: de::Error>(self, s: String) -> Result<J, E> {
                Ok(J::Str(s))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<J, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element()? {
                    items.push(item);
                }
                Ok(J::Arr(items))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<J, A::Error> {
                let mut o = Obj::new();
                while let Some((k, v)) = map.next_entry::<String, J>()? {
                    o.0.push((k, v));
                }
                Ok(J::Obj(o))
            }
        }
        d.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_insertion_order_and_example_order() {
        let o = Obj::new().with("z", 1i64).with(
            "a",
            serde_json::from_str::<J>(r#"{"y":1,"b":[true,null,1.5,-2]}"#).unwrap(),
        );
        assert_eq!(
            serde_json::to_string(&J::Obj(o)).unwrap(),
            r#"{"z":1,"a":{"y":1,"b":[true,null,1.5,-2]}}"#
        );
    }
}
