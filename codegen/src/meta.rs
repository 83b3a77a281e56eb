//! The endpoints' metadata as data: every request and response field with its wire name, type,
//! `required`, place and doc, and each module's structs and enums, as one JSON document per
//! platform (`generated/src/meta/<platform>.json`, `shop_api::<platform>::META` under the `meta`
//! feature). The CLI checks and sends any endpoint from it, and shows its fields, without
//! compiling a typed decoder per endpoint.
//!
//! Layout: one entry per line, so a spec change is a readable diff.
//!
//! ```json
//! {"platform":"doudian",
//! "endpoints":{
//! "order.searchList":{"module":"order","doc_url":"...","summary":"...","request":[Field...],"response":[Field...]},
//! ...},
//! "types":{
//! "order.Sku":{"fields":[Field...]},
//! "order.Status":{"kind":"string","values":["A","B"]},
//! ...}}
//! ```
//!
//! A `Field` is `{"wire","rust","type","required","in","doc"}`: `type` in the spec's spelling
//! (`string`, `i64`, `decimal`, `json`, `[T]`, `{T}`, or a type of the same module, looked up
//! as `<module>.<Name>` in `types`), `in` one of `body`, `query`, `path` (request fields only).

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::ir::{Field, Place, Platform, TypeDef, type_text};
use crate::spec::EnumKind;

/// Where the metadata documents go, under the generated crate.
pub const META_DIR: &str = "meta";

fn field(f: &Field, request: bool) -> Value {
    let mut v = json!({
        "wire": f.wire,
        "rust": f.rust,
        "type": type_text(&f.ty),
        "required": f.required,
        "doc": f.doc.trim(),
    });
    if request {
        v["in"] = json!(match f.place {
            Place::Query => "query",
            Place::Path => "path",
            Place::Body | Place::Data => "body",
        });
    }
    if let Some(d) = &f.deprecated {
        v["deprecated"] = json!(d.note);
    }
    v
}

/// The metadata document of `p`.
pub fn emit_meta(p: &Platform) -> String {
    let mut endpoints = BTreeMap::new();
    let mut types = BTreeMap::new();
    for m in &p.modules {
        for e in &m.endpoints {
            let mut v = json!({
                "module": m.name,
                "summary": e.summary.trim(),
                "doc_url": e.doc_url,
                "request": e.request.iter().map(|f| field(f, true)).collect::<Vec<_>>(),
                "response": e.response.iter().map(|f| field(f, false)).collect::<Vec<_>>(),
            });
            if let Some(d) = &e.deprecated {
                v["deprecated"] = json!(d);
            }
            endpoints.insert(e.name.clone(), v);
        }
        for t in &m.types {
            let (name, v) = match t {
                TypeDef::Struct(s) => (
                    &s.name,
                    json!({"fields": s.fields.iter().map(|f| field(f, false)).collect::<Vec<_>>()}),
                ),
                TypeDef::Enum(e) => (
                    &e.name,
                    json!({
                        "kind": match e.kind { EnumKind::String => "string", EnumKind::Int => "int" },
                        "values": e.variants.iter().map(|v| v.wire.as_str()).collect::<Vec<_>>(),
                    }),
                ),
            };
            types.insert(format!("{}.{name}", m.name), v);
        }
    }
    let mut out = format!("{{\"platform\":{},\n\"endpoints\":{{\n", json!(p.name));
    lines(&mut out, &endpoints);
    out.push_str("},\n\"types\":{\n");
    lines(&mut out, &types);
    out.push_str("}}\n");
    out
}

fn lines(out: &mut String, entries: &BTreeMap<String, Value>) {
    let n = entries.len();
    for (i, (k, v)) in entries.iter().enumerate() {
        out.push_str(&json!(k).to_string());
        out.push(':');
        out.push_str(&v.to_string());
        out.push_str(if i + 1 < n { ",\n" } else { "\n" });
    }
}
