//! The OpenAPI export end to end: the documents rendered from the real specs (and from the
//! fixture spec, which uses every feature of the format) parse as OpenAPI 3.1 with `oas3`; every
//! endpoint is an operation with its id, path, method, parameters, request body, response schema
//! and example; every named type is a component; every `$ref` resolves; and `openapi/` on disk is
//! what `cargo xtask openapi` writes (the `--check` comparison, through the same code).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use oas3::spec::{
    MediaTypeExamples, ObjectOrReference, ObjectSchema, Operation, ParameterIn, Schema,
    SchemaType as Type, SchemaTypeSet as TypeSet,
};
use serde_json::Value;
use shop_api_codegen::ir::{self, Api, Endpoint, Field, FlagKind, Module, Place, Platform, Ty};
use shop_api_codegen::ir::{Pagination, TypeDef};
use shop_api_codegen::openapi;
use shop_api_codegen::spec::EnumKind;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ sits in the project root")
        .to_path_buf()
}

fn real_api() -> Api {
    ir::load(&root()).unwrap_or_else(|e| panic!("the specs do not load:\n{e}"))
}

fn fixture_api() -> Api {
    let root = root();
    ir::load_dir(&root, &root.join(shop_api_codegen::emit::FIXTURE_SPEC_DIR))
        .unwrap_or_else(|e| panic!("the fixture spec does not load:\n{e}"))
}

#[test]
fn real_documents_are_openapi_3_1_and_cover_every_endpoint() {
    let api = real_api();
    let files = openapi::render(&api);
    let names: Vec<&str> = api.platforms.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["doudian", "douyin", "tiktok"]);
    assert_eq!(files.len(), api.platforms.len());
    for p in &api.platforms {
        let text = &files[&PathBuf::from(format!("openapi/{}.json", p.name))];
        check_platform(p, text);
    }
}

#[test]
fn fixture_document_covers_every_feature_of_the_format() {
    let api = fixture_api();
    let files = openapi::render(&api);
    let p = &api.platforms[0];
    check_platform(p, &files[&openapi::document_path(p)]);
    // The fixture has what the real specs may not: int enums, maps, form and multipart bodies,
    // both pagination styles, deprecations.
    let all: Vec<&Endpoint> = p.modules.iter().flat_map(|m| &m.endpoints).collect();
    assert!(all.iter().any(|e| e.has(FlagKind::Form)));
    assert!(all.iter().any(|e| e.has(FlagKind::Multipart)));
    assert!(all.iter().any(|e| e.deprecated.is_some()));
    assert!(
        all.iter()
            .any(|e| matches!(e.pagination, Some(Pagination::Page { .. })))
    );
    assert!(
        all.iter()
            .any(|e| matches!(e.pagination, Some(Pagination::Cursor { .. })))
    );
}

#[test]
fn files_on_disk_are_what_cargo_xtask_openapi_writes() {
    let root = root();
    let files = openapi::render(&real_api());
    // `cargo xtask openapi --check` is exactly this call.
    let report = shop_api_codegen::sync::apply(&root, &files, &[root.join(openapi::OUT_DIR)], true);
    assert!(
        report.is_clean(),
        "openapi/ is out of date: run `cargo xtask openapi`.\n\
         stale: {:?}\nmissing: {:?}\nextra: {:?}",
        report.changed,
        report.created,
        report.removed
    );
    assert_eq!(report.unchanged, files.len());
}

#[test]
fn rendering_is_deterministic_and_ends_in_a_newline() {
    let api = real_api();
    let a = openapi::render(&api);
    let b = openapi::render(&real_api());
    assert_eq!(a, b);
    for (path, text) in &a {
        assert!(text.ends_with("}\n"), "{}", path.display());
        assert!(
            text.starts_with("{\n  \"openapi\": \"3.1.0\",\n"),
            "{}",
            path.display()
        );
    }
}

/// Everything the document of `p` must say, checked through `oas3` and through the raw JSON.
fn check_platform(p: &Platform, text: &str) {
    let spec = oas3::from_json(text)
        .unwrap_or_else(|e| panic!("{}: not an OpenAPI 3.1 document: {e}", p.name));
    let version = spec
        .validate_version()
        .unwrap_or_else(|e| panic!("{}: {e}", p.name));
    assert_eq!((version.major, version.minor), (3, 1));
    let doc: Value = serde_json::from_str(text).expect("JSON");

    // info and servers.
    assert_eq!(spec.info.title, p.display_name);
    assert_eq!(spec.info.version, p.version);
    assert!(
        spec.info
            .description
            .as_deref()
            .is_some_and(|d| d.starts_with(p.doc.trim()))
    );
    let servers: Vec<&str> = spec.servers.iter().map(|s| s.url.as_str()).collect();
    assert_eq!(servers.first(), Some(&p.base_url.as_str()));
    if let Some(sandbox) = &p.sandbox_url {
        assert!(
            servers.contains(&sandbox.as_str()),
            "{}: {servers:?}",
            p.name
        );
    }

    let components = spec.components.as_ref().expect("components");
    let schemas = &components.schemas;
    let schema = |name: &str| -> &ObjectSchema {
        match schemas.get(name) {
            Some(ObjectOrReference::Object(s)) => s,
            other => panic!("{}: component `{name}` is {other:?}", p.name),
        }
    };
    assert!(schemas.contains_key(openapi::ENVELOPE));

    // Named types are components.
    for m in &p.modules {
        for t in &m.types {
            match t {
                TypeDef::Struct(s) => {
                    let c = schema(&openapi::type_component(&m.name, &s.name));
                    check_object(p, m, c, &s.fields.iter().collect::<Vec<_>>());
                }
                TypeDef::Enum(e) => {
                    let c = schema(&openapi::type_component(&m.name, &e.name));
                    let want: Vec<Value> = e
                        .variants
                        .iter()
                        .map(|v| match e.kind {
                            EnumKind::String => Value::from(v.wire.as_str()),
                            EnumKind::Int => Value::from(v.wire.parse::<i64>().expect("int")),
                        })
                        .collect();
                    assert_eq!(c.enum_values, want, "{}.{}", m.name, e.name);
                    let ty = match e.kind {
                        EnumKind::String => Type::String,
                        EnumKind::Int => Type::Integer,
                    };
                    assert_eq!(c.schema_type, Some(TypeSet::Single(ty)));
                    assert_eq!(
                        c.extensions["enum-varnames"],
                        Value::from(
                            e.variants
                                .iter()
                                .map(|v| v.name.clone())
                                .collect::<Vec<_>>()
                        )
                    );
                }
            }
        }
    }

    // Every endpoint is one operation, at its path and method.
    let ops: Vec<(String, String, &Operation)> = spec
        .operations()
        .map(|(path, method, op)| (path, method.as_str().to_owned(), op))
        .collect();
    let endpoints: Vec<(&Module, &Endpoint)> = p
        .modules
        .iter()
        .flat_map(|m| m.endpoints.iter().map(move |e| (m, e)))
        .collect();
    assert_eq!(
        ops.len(),
        endpoints.len(),
        "{}: one operation per endpoint",
        p.name
    );
    let ids: BTreeSet<&str> = ops
        .iter()
        .filter_map(|(_, _, op)| op.operation_id.as_deref())
        .collect();
    assert_eq!(ids.len(), ops.len(), "{}: operation ids are unique", p.name);

    for (m, e) in endpoints {
        let at = format!("{}: {}", p.name, e.name);
        let (path, method, op) = ops
            .iter()
            .find(|(_, _, op)| op.operation_id.as_deref() == Some(e.name.as_str()))
            .unwrap_or_else(|| panic!("{at}: no operation"));
        assert_eq!((path, method), (&e.path, &e.http_method), "{at}");
        assert_eq!(op.tags, std::slice::from_ref(&m.name), "{at}");
        assert_eq!(op.summary.as_deref(), Some(e.summary.as_str()), "{at}");
        assert_eq!(
            op.external_docs.as_ref().map(|d| d.url.as_str()),
            Some(e.doc_url.as_str()),
            "{at}"
        );
        let description = op.description.as_deref().unwrap_or_default();
        assert!(description.contains(&e.doc_url), "{at}: the doc link");
        if let Some(doc) = &e.doc {
            assert!(description.starts_with(doc.as_str()), "{at}: the doc");
        }
        assert_eq!(
            op.deprecated.unwrap_or(false),
            e.deprecated.is_some(),
            "{at}"
        );

        // Parameters: the query and path fields, in order.
        let params: Vec<(String, &'static str, bool)> = op
            .parameters
            .iter()
            .map(|p| match p {
                ObjectOrReference::Object(p) => {
                    let field = e
                        .request
                        .iter()
                        .find(|f| f.wire == p.name)
                        .unwrap_or_else(|| panic!("{at}: parameter `{}` is no field", p.name));
                    check_schema(&at, m, &field.ty, p.schema.as_ref().expect("schema"));
                    assert_eq!(p.description.as_deref(), Some(field.doc.as_str()), "{at}");
                    let place = match p.location {
                        ParameterIn::Path => "path",
                        ParameterIn::Query => "query",
                        other => panic!("{at}: parameter in {other:?}"),
                    };
                    (p.name.clone(), place, p.required.unwrap_or(false))
                }
                ObjectOrReference::Ref { ref_path, .. } => panic!("{at}: parameter {ref_path}"),
            })
            .collect();
        let want: Vec<(String, &'static str, bool)> = e
            .request
            .iter()
            .filter_map(|f| match f.place {
                Place::Path => Some((f.wire.clone(), "path", true)),
                Place::Query => Some((f.wire.clone(), "query", f.required)),
                _ => None,
            })
            .collect();
        assert_eq!(params, want, "{at}: parameters");

        // Request body: the body fields, with the media type of the flags.
        let body: Vec<&Field> = e
            .request
            .iter()
            .filter(|f| f.place == Place::Body)
            .collect();
        match (&op.request_body, body.is_empty()) {
            (None, true) => {}
            (Some(ObjectOrReference::Object(rb)), false) => {
                assert_eq!(rb.required, Some(true), "{at}");
                let mime: Vec<&str> = rb.content.keys().map(String::as_str).collect();
                assert_eq!(mime, [openapi::body_media_type(e)], "{at}");
                let want_mime = if e.has(FlagKind::Multipart) {
                    "multipart/form-data"
                } else if e.has(FlagKind::Form) {
                    "application/x-www-form-urlencoded"
                } else {
                    "application/json"
                };
                assert_eq!(mime, [want_mime], "{at}");
                let media = rb.content.values().next().expect("one media type");
                let name = openapi::request_body_component(e);
                assert_ref(&at, media.schema.as_ref(), &name);
                let resolved = media
                    .schema
                    .as_ref()
                    .expect("schema")
                    .resolve(&spec)
                    .unwrap_or_else(|err| panic!("{at}: {err}"));
                assert_eq!(&resolved, schema(&name));
                check_object(p, m, schema(&name), &body);
            }
            (rb, _) => panic!("{at}: request body {rb:?} for body fields {body:?}"),
        }

        // Responses: the envelope around the response data, and the example.
        let responses = op.responses.as_ref().expect("responses");
        let ok = match responses.get("200") {
            Some(ObjectOrReference::Object(r)) => r,
            other => panic!("{at}: 200 is {other:?}"),
        };
        let media = &ok.content["application/json"];
        let envelope = match media.schema.as_ref() {
            Some(ObjectOrReference::Object(s)) => s,
            other => panic!("{at}: 200 schema {other:?}"),
        };
        assert_eq!(envelope.all_of.len(), 2, "{at}");
        assert_ref(&at, Some(&envelope.all_of[0]), openapi::ENVELOPE);
        let data = match &envelope.all_of[1] {
            ObjectOrReference::Object(s) => &s.properties["data"],
            other => panic!("{at}: {other:?}"),
        };
        let name = openapi::response_component(e);
        assert_ref(&at, Some(data), &name);
        check_object(p, m, schema(&name), &e.response.iter().collect::<Vec<_>>());
        match (&e.example, &media.examples) {
            (None, None) => {}
            (Some(text), Some(MediaTypeExamples::Example { example })) => {
                let want: Value = serde_json::from_str(text).expect("the spec's example is JSON");
                assert_eq!(example, &want, "{at}: the example");
                assert!(
                    example.get("data").is_some(),
                    "{at}: the example has `data`"
                );
            }
            (want, got) => panic!("{at}: example {got:?}, spec {want:?}"),
        }

        // Security: a token scheme unless `no_token`.
        if e.has(FlagKind::NoToken) {
            assert!(op.security.is_empty(), "{at}: no_token has no security");
        } else if ["tiktok", "doudian", "douyin"].contains(&p.name.as_str()) {
            assert_eq!(op.security.len(), 1, "{at}");
            let scheme = openapi::security_scheme(p, e).expect("a token scheme");
            assert_eq!(
                op.security[0].0.keys().collect::<Vec<_>>(),
                [scheme],
                "{at}"
            );
            assert!(components.security_schemes.contains_key(scheme), "{at}");
        }

        // Extensions: the flags and the pagination.
        let flags: Vec<&str> = e.flags.iter().map(|f| f.spec_name()).collect();
        match op.extensions.get("shop-api-flags") {
            Some(v) => assert_eq!(v, &Value::from(flags), "{at}"),
            None => assert!(flags.is_empty(), "{at}: x-shop-api-flags is missing"),
        }
        match (&e.pagination, op.extensions.get("pagination")) {
            (None, None) => {}
            (Some(pg), Some(x)) => {
                let (style, items) = match pg {
                    Pagination::Page { items, .. } => ("page", items),
                    Pagination::Cursor { items, .. } => ("cursor", items),
                };
                assert_eq!(x["style"], style, "{at}");
                assert_eq!(x["items"], items.wire.as_str(), "{at}");
            }
            (pg, x) => panic!("{at}: x-pagination {x:?} for {pg:?}"),
        }
    }

    // Every `$ref` resolves to a component of the document.
    let mut refs = Vec::new();
    collect_refs(&doc, &mut refs);
    assert!(!refs.is_empty());
    for r in &refs {
        let pointer = r
            .strip_prefix("#/components/")
            .map(|rest| format!("/components/{rest}"))
            .unwrap_or_else(|| panic!("{}: `{r}` is not a local component", p.name));
        assert!(
            doc.pointer(&pointer).is_some(),
            "{}: `{r}` resolves to nothing",
            p.name
        );
    }
}

/// A struct component lists `fields` by wire name, with their types, docs and `required`.
fn check_object(p: &Platform, m: &Module, s: &ObjectSchema, fields: &[&Field]) {
    let at = format!("{}.{}", p.name, m.name);
    assert_eq!(s.schema_type, Some(TypeSet::Single(Type::Object)), "{at}");
    let got: BTreeSet<&str> = s.properties.keys().map(String::as_str).collect();
    let want: BTreeSet<&str> = fields.iter().map(|f| f.wire.as_str()).collect();
    assert_eq!(got, want, "{at}: properties");
    let required: BTreeSet<&str> = s.required.iter().map(String::as_str).collect();
    let want_required: BTreeSet<&str> = fields
        .iter()
        .filter(|f| f.required)
        .map(|f| f.wire.as_str())
        .collect();
    assert_eq!(required, want_required, "{at}: required");
    for f in fields {
        let prop = &s.properties[&f.wire];
        check_schema(&format!("{at}: {}", f.wire), m, &f.ty, prop);
        let doc = match prop {
            ObjectOrReference::Object(o) => o.description.as_deref(),
            ObjectOrReference::Ref { description, .. } => description.as_deref(),
        };
        assert_eq!(doc, Some(f.doc.as_str()), "{at}: {} doc", f.wire);
    }
}

/// `schema` is what `ty` becomes.
fn check_schema(at: &str, m: &Module, ty: &Ty, schema: &ObjectOrReference<ObjectSchema>) {
    let obj = |schema: &ObjectOrReference<ObjectSchema>| -> ObjectSchema {
        match schema {
            ObjectOrReference::Object(o) => o.clone(),
            other => panic!("{at}: `{ty:?}` is {other:?}"),
        }
    };
    let inner = |s: Option<&Schema>| -> ObjectOrReference<ObjectSchema> {
        match s {
            Some(Schema::Object(o)) => (**o).clone(),
            other => panic!("{at}: inner schema of `{ty:?}` is {other:?}"),
        }
    };
    let single = |t: Type| Some(TypeSet::Single(t));
    match ty {
        Ty::String => assert_eq!(obj(schema).schema_type, single(Type::String), "{at}"),
        Ty::Bool => assert_eq!(obj(schema).schema_type, single(Type::Boolean), "{at}"),
        Ty::I32 | Ty::I64 | Ty::U64 => {
            let o = obj(schema);
            assert_eq!(o.schema_type, single(Type::Integer), "{at}");
            match ty {
                Ty::I32 => assert_eq!(o.format.as_deref(), Some("int32"), "{at}"),
                Ty::I64 => assert_eq!(o.format.as_deref(), Some("int64"), "{at}"),
                _ => assert_eq!(o.minimum, Some(0.into()), "{at}"),
            }
        }
        Ty::F64 | Ty::Decimal => assert_eq!(obj(schema).schema_type, single(Type::Number), "{at}"),
        Ty::Json => assert_eq!(obj(schema).schema_type, None, "{at}: any value"),
        Ty::List(t) => {
            let o = obj(schema);
            assert_eq!(o.schema_type, single(Type::Array), "{at}");
            check_schema(at, m, t, &inner(o.items.as_deref()));
        }
        Ty::Map(t) => {
            let o = obj(schema);
            assert_eq!(o.schema_type, single(Type::Object), "{at}");
            check_schema(at, m, t, &inner(o.additional_properties.as_ref()));
        }
        Ty::Struct(n) | Ty::Enum(n, _) => assert_ref(
            at,
            Some(schema),
            &openapi::type_component(m.type_owner(n), n),
        ),
    }
}

fn assert_ref(at: &str, schema: Option<&ObjectOrReference<ObjectSchema>>, component: &str) {
    match schema {
        Some(ObjectOrReference::Ref { ref_path, .. }) => {
            assert_eq!(ref_path, &openapi::schema_ref(component), "{at}");
            assert_eq!(
                ref_path,
                &format!("#/components/schemas/{component}"),
                "{at}"
            );
        }
        other => panic!("{at}: expected a $ref to `{component}`, got {other:?}"),
    }
}

fn collect_refs(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(map) => {
            for (k, v) in map {
                match (k.as_str(), v) {
                    ("$ref", Value::String(r)) => out.push(r.clone()),
                    _ => collect_refs(v, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect_refs(v, out)),
        _ => {}
    }
}
