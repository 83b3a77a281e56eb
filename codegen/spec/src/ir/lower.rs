//! Stage three of three: lowering. Turns one file's spec structs (`crate::spec`) into the model:
//! names checked, types resolved, fields placed, pagination and the error catalogue resolved;
//! every problem is reported with its file, line and field.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use super::model::{
    Deprecation, Endpoint, EnumDef, Envelope, ErrorCode, Event, Field, Module, Pagination,
    PathPart, Place, SHARED, StructDef, Ty, TypeDef, Variant, type_text,
};
use crate::error::SpecError;
use crate::locate::{LazyLocations, Locations};
use crate::naming;
use crate::source::rel;
use crate::spec::Flag as FlagKind;
use crate::spec::{
    Deprecated, EnumKind, EnumValueSpec, EventSpec, FieldSpec, ModuleSpec, OrderedMap, Routing,
    TypeSpec,
};

/// The catalogue's rows with their doc page resolved; a row naming an unknown endpoint, a doc page
/// that is not an https URL, the success code, or a second row for the same case is an error.
/// `envelope:` of platform.yaml: each place checked, each code place's success
/// value resolved (the platform's `success_code` unless it names its own). A place must name
/// members (no empty name), `data` and `extra` must be top-level members, and there must be a
/// place of the code.
pub(super) fn lower_envelope(
    root: &Path,
    platform_file: &Path,
    text: &str,
    spec: &crate::spec::EnvelopeSpec,
    success_code: i64,
    errors: &mut Vec<SpecError>,
) -> Envelope {
    // (field, message, hint) of each problem, reported with its line at the end.
    let mut problems: Vec<(String, String, &str)> = Vec::new();
    let mut place = |field: &str, at: &String| -> String {
        let parts: Vec<&str> = at.split('.').collect();
        if parts.iter().any(|p| p.is_empty()) {
            problems.push((
                format!("envelope.{field}"),
                format!("`{at}` is not a place: a member name, or `a.b` for member `b` of `a`"),
                "write the JSON member names, joined by `.`",
            ));
        } else if parts.len() > 1 && matches!(field, "data" | "extra") {
            problems.push((
                format!("envelope.{field}"),
                format!("`{at}` is not a top-level member"),
                "name a member of the envelope itself",
            ));
        }
        at.clone()
    };
    let code: Vec<(String, i64)> = spec
        .code
        .iter()
        .map(|c| (place("code", &c.at), c.success.unwrap_or(success_code)))
        .collect();
    let mut places = |field: &str, ats: &[String]| -> Vec<String> {
        ats.iter().map(|at| place(field, at)).collect()
    };
    let message = places("message", &spec.message);
    let sub_code = places("sub_code", &spec.sub_code);
    let sub_message = places("sub_message", &spec.sub_message);
    let request_id = places("request_id", &spec.request_id);
    place("data", &spec.data);
    if let Some(extra) = &spec.extra {
        place("extra", extra);
    }
    if code.is_empty() {
        problems.push((
            "envelope.code".into(),
            "no place of the status code".into(),
            "name at least one member that holds the call's status code",
        ));
    }
    let locs = Locations::index(text);
    for (field, message, hint) in problems {
        let path: Vec<&str> = field.split('.').collect();
        let (line, column) = split(locs.find(&path).or(locs.find(&["envelope"])));
        errors.push(SpecError {
            file: rel(root, platform_file),
            line,
            column,
            field,
            message,
            hint: Some(hint.into()),
        });
    }
    Envelope {
        doc: spec.doc.clone(),
        data: spec.data.clone(),
        code,
        message,
        sub_code,
        sub_message,
        request_id,
        extra: spec.extra.clone(),
        members: spec.members.clone(),
    }
}

pub(super) fn lower_errors(
    root: &Path,
    platform_file: &Path,
    text: &str,
    spec: Option<&crate::spec::ErrorsSpec>,
    success_code: i64,
    endpoints: &BTreeSet<String>,
    errors: &mut Vec<SpecError>,
) -> Vec<ErrorCode> {
    let Some(spec) = spec else {
        return Vec::new();
    };
    let locs = Locations::index(text);
    let mut push = |field: String, message: String, hint: &str| {
        let (line, column) = split(locs.find(&["errors", "codes"]).or(locs.find(&["errors"])));
        errors.push(SpecError {
            file: rel(root, platform_file),
            line,
            column,
            field,
            message,
            hint: Some(hint.into()),
        });
    };
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for (i, c) in spec.codes.iter().enumerate() {
        let field = format!("errors.codes[{i}]");
        let doc_url = c.doc.clone().unwrap_or_else(|| spec.doc.clone());
        if !doc_url.starts_with("https://") {
            push(
                format!("{field}.doc"),
                format!("`{doc_url}` is not an https URL"),
                "name the official page the row is taken from",
            );
        }
        if c.code == success_code {
            push(
                format!("{field}.code"),
                format!("{} is the platform's success code", c.code),
                "success is `success_code`, not a row of the error catalogue",
            );
        }
        for e in &c.endpoints {
            if !endpoints.contains(e) {
                push(
                    format!("{field}.endpoints"),
                    format!("`{e}` is not an endpoint of the platform"),
                    "name an endpoint defined in one of the platform's module files",
                );
            }
        }
        let key = (
            c.code,
            c.sub_code.clone(),
            c.keyword.clone(),
            c.endpoints.clone(),
        );
        if !seen.insert(key) {
            push(
                format!("{field}.code"),
                format!(
                    "a second row for code {} with the same sub-code, keyword and endpoints",
                    c.code
                ),
                "merge the two rows",
            );
        }
        out.push(ErrorCode {
            code: c.code,
            sub_code: c.sub_code.clone(),
            keyword: c.keyword.clone(),
            endpoints: c.endpoints.clone(),
            message: c.message.clone(),
            sub_message: c.sub_message.clone(),
            meaning: c.meaning.clone(),
            kind: c.kind,
            unconfirmed: c.unconfirmed.clone(),
            retry: c.retry,
            doc_url,
        });
    }
    out
}

pub(super) fn split(p: Option<(usize, usize)>) -> (Option<usize>, Option<usize>) {
    match p {
        Some((l, c)) => (Some(l), Some(c)),
        None => (None, None),
    }
}

/// Validation context of one file: where errors go and how keys are located.
pub(super) struct Cx<'a> {
    pub(super) file: PathBuf,
    pub(super) locs: LazyLocations,
    pub(super) errors: &'a mut Vec<SpecError>,
}

impl Cx<'_> {
    pub(super) fn err(&mut self, path: &[&str], message: String, hint: Option<String>) {
        let (line, column) = split(self.locs.find(path));
        self.errors.push(SpecError {
            file: self.file.clone(),
            line,
            column,
            field: path.join("."),
            message,
            hint,
        });
    }
}

/// Type names of Rust's prelude and of the generated code's plumbing: a spec type of one of these
/// names would hide it in every emitted file of its module.
const PRELUDE_NAMES: &[&str] = &[
    "Option", "Some", "None", "Result", "Ok", "Err", "Vec", "String", "Box", "Default", "Clone",
    "Copy", "Send", "Sync", "Sized", "Drop", "Fn", "FnMut", "FnOnce", "Iterator", "ToString",
    "ToOwned", "Into", "From", "BTreeMap", "Value",
];

const BUILTINS: &[&str] = &[
    "string", "bool", "i32", "i64", "u64", "f64", "decimal", "json",
];

/// The platform's shared types, as the other modules see them: their kinds, and the structs.
pub(super) type Shared<'a> = (
    &'a BTreeMap<String, Option<EnumKind>>,
    &'a BTreeMap<String, StructDef>,
);

pub(super) fn lower_module(
    cx: &mut Cx<'_>,
    spec: &ModuleSpec,
    stem: &str,
    routing: Routing,
    (shared, shared_structs): Shared<'_>,
) -> Module {
    // Named types first, so fields can refer to them in any order: the platform's shared types
    // (`types.yaml`), then the module's own.
    let mut kinds: BTreeMap<String, Option<EnumKind>> = shared.clone();
    for (name, t) in spec.types.iter() {
        if shared.contains_key(name) {
            cx.err(
                &["types", name],
                format!("`{name}` is also a shared type of the platform (types.yaml)"),
                Some(format!(
                    "delete this definition and use the shared `{name}`"
                )),
            );
        }
        kinds.insert(name.clone(), t.enum_kind);
    }
    if stem == SHARED && !(spec.endpoints.is_empty() && spec.events.is_empty()) {
        cx.err(
            &[],
            "types.yaml holds the platform's shared types only".into(),
            Some("move endpoints and events to a module file".into()),
        );
    }
    let mut types = Vec::new();
    for (name, t) in spec.types.iter() {
        if let Some(td) = lower_type(cx, &kinds, name, t) {
            types.push(td);
        }
    }
    // Structs by name as this module sees them, for checks that look inside request fields.
    let mut structs: BTreeMap<String, StructDef> = shared_structs.clone();
    for t in &types {
        if let TypeDef::Struct(s) = t {
            structs.insert(s.name.clone(), s.clone());
        }
    }
    let mut endpoints: Vec<Endpoint> = Vec::new();
    let mut bases: BTreeMap<String, String> = BTreeMap::new();
    for (name, e) in spec.endpoints.iter() {
        let at = ["endpoints", name.as_str()];
        if name.is_empty()
            || !name
                .split('.')
                .all(|s| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
        {
            cx.err(&at, format!("`{name}` is not a dotted endpoint name"), Some(
                "write segments of letters, digits and `_` joined by `.`, like `order.searchList`".into(),
            ));
            continue;
        }
        let base = naming::endpoint_type_base(name);
        if let Some(other) = bases.get(&base) {
            cx.err(&at, format!("`{name}` and `{other}` both give the type names `{base}Request`/`{base}Response`"), Some(
                "two endpoint names may not map to one Rust name; fix the spelling of one".into(),
            ));
            continue;
        }
        if spec
            .types
            .iter()
            .any(|(t, _)| *t == format!("{base}Request") || *t == format!("{base}Response"))
        {
            cx.err(&at, format!("the endpoint's type names `{base}Request`/`{base}Response` are taken by `types:`"), Some(
                "rename the named type".into(),
            ));
        }
        bases.insert(base.clone(), name.clone());
        if let Some(ep) = lower_endpoint(cx, &kinds, &structs, name, base, e, routing) {
            endpoints.push(ep);
        }
    }
    let mut events: Vec<Event> = Vec::new();
    for (name, ev) in spec.events.iter() {
        if let Some(e) = lower_event(cx, &kinds, name, ev) {
            let ty = format!("{}Event", e.type_name);
            if kinds.contains_key(&ty) {
                cx.err(
                    &["events", name],
                    format!("the event's type name `{ty}` is taken by `types:`"),
                    Some("rename the named type".into()),
                );
                continue;
            }
            if let Some(other) = events.iter().find(|o| o.code == e.code) {
                cx.err(
                    &["events", name, "code"],
                    format!("the code `{}` is also `{}`'s", e.code, other.name),
                    Some("each event code appears once".into()),
                );
                continue;
            }
            events.push(e);
        }
    }
    Module {
        name: stem.to_owned(),
        file: cx.file.to_string_lossy().replace('\\', "/"),
        doc: spec.doc.trim().to_owned(),
        types,
        endpoints,
        events,
    }
}

fn lower_type(
    cx: &mut Cx<'_>,
    kinds: &BTreeMap<String, Option<EnumKind>>,
    name: &str,
    t: &TypeSpec,
) -> Option<TypeDef> {
    let at = ["types", name];
    if !naming::is_camel_ident(name) {
        cx.err(
            &at,
            format!("the type name `{name}` is not UpperCamelCase"),
            Some(format!(
                "write `{}`",
                heck::ToUpperCamelCase::to_upper_camel_case(name)
            )),
        );
        return None;
    }
    if PRELUDE_NAMES.contains(&name) {
        cx.err(
            &at,
            format!("the type name `{name}` would hide Rust's own `{name}` in the generated code"),
            Some("name it after what it holds, e.g. `ProductOption`".into()),
        );
        return None;
    }
    if name.ends_with("Request") || name.ends_with("Response") {
        cx.err(
            &at,
            format!("the type name `{name}` ends in Request/Response, which endpoints' types use"),
            Some("name it after what it holds, e.g. `OrderFilter`".into()),
        );
        return None;
    }
    match (&t.fields, t.enum_kind, &t.values) {
        (Some(fields), None, None) => {
            let fields = lower_fields(cx, kinds, &["types", name, "fields"], fields, Place::Data)?;
            Some(TypeDef::Struct(StructDef {
                name: name.to_owned(),
                doc: t.doc.trim().to_owned(),
                fields,
            }))
        }
        (None, Some(kind), Some(values)) => {
            if values.is_empty() {
                cx.err(
                    &["types", name, "values"],
                    "an enum needs at least one value".into(),
                    None,
                );
                return None;
            }
            let mut variants: Vec<Variant> = Vec::new();
            let mut seen_wire: BTreeMap<String, String> = BTreeMap::new();
            for (wire, v) in values.iter() {
                let vat = ["types", name, "values", wire.as_str()];
                let deprecated = match v {
                    EnumValueSpec::Named {
                        deprecated,
                        replaced_by,
                        ..
                    } => Deprecation::from_spec(deprecated.as_ref(), replaced_by.as_deref()),
                    EnumValueSpec::Doc(_) => None,
                };
                let (vname, doc) = match v {
                    EnumValueSpec::Doc(doc) => match kind {
                        EnumKind::String => (naming::variant_name(wire), doc.clone()),
                        EnumKind::Int => {
                            cx.err(
                                &vat,
                                format!("the integer value `{wire}` needs a variant name"),
                                Some(format!("write `{wire}: {{name: SomeName, doc: {doc}}}`")),
                            );
                            continue;
                        }
                    },
                    EnumValueSpec::Named { name, doc, .. } => (name.clone(), doc.clone()),
                };
                let key = match kind {
                    EnumKind::Int => match wire.parse::<i64>() {
                        Ok(n) => n.to_string(),
                        Err(_) => {
                            cx.err(
                                &vat,
                                format!("`{wire}` is not an integer, but the enum is `enum: int`"),
                                Some("write `enum: string` or use integer values".into()),
                            );
                            continue;
                        }
                    },
                    EnumKind::String => wire.clone(),
                };
                if let Some(other) = seen_wire.get(&key) {
                    cx.err(
                        &vat,
                        format!("the value `{wire}` repeats `{other}`"),
                        Some("list each value once".into()),
                    );
                    continue;
                }
                seen_wire.insert(key.clone(), wire.clone());
                if !naming::is_camel_ident(&vname) || vname == "Unknown" {
                    cx.err(
                        &vat,
                        format!("the variant name `{vname}` is not a usable UpperCamelCase name"),
                        Some(
                            "give the value `{name: SomeName, doc: ...}`; `Unknown` is reserved"
                                .into(),
                        ),
                    );
                    continue;
                }
                if variants.iter().any(|v| v.name == vname) {
                    cx.err(
                        &vat,
                        format!("two values give the variant name `{vname}`"),
                        Some("give one of them `{name: OtherName, doc: ...}`".into()),
                    );
                    continue;
                }
                variants.push(Variant {
                    name: vname,
                    wire: key,
                    doc: doc.trim().to_owned(),
                    deprecated,
                });
            }
            Some(TypeDef::Enum(EnumDef {
                name: name.to_owned(),
                doc: t.doc.trim().to_owned(),
                kind,
                variants,
            }))
        }
        _ => {
            cx.err(&at, format!("`{name}` must have either `fields:` (a struct) or `enum:` and `values:` (an enum)"), Some(
                "see the `types:` section of spec/README.md".into(),
            ));
            None
        }
    }
}

fn parse_ty(s: &str, kinds: &BTreeMap<String, Option<EnumKind>>) -> Result<Ty, String> {
    let s = s.trim();
    if let Some(inner) = s.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
        return Ok(Ty::List(Box::new(parse_ty(inner, kinds)?)));
    }
    if let Some(inner) = s.strip_prefix('{').and_then(|r| r.strip_suffix('}')) {
        return Ok(Ty::Map(Box::new(parse_ty(inner, kinds)?)));
    }
    Ok(match s {
        "string" => Ty::String,
        "bool" => Ty::Bool,
        "i32" => Ty::I32,
        "i64" => Ty::I64,
        "u64" => Ty::U64,
        "f64" => Ty::F64,
        "decimal" => Ty::Decimal,
        "json" => Ty::Json,
        other => match kinds.get(other) {
            Some(None) => Ty::Struct(other.to_owned()),
            Some(Some(kind)) => Ty::Enum(other.to_owned(), *kind),
            None => return Err(other.to_owned()),
        },
    })
}

fn lower_fields(
    cx: &mut Cx<'_>,
    kinds: &BTreeMap<String, Option<EnumKind>>,
    at: &[&str],
    fields: &OrderedMap<FieldSpec>,
    place: Place,
) -> Option<Vec<Field>> {
    let mut out: Vec<Field> = Vec::new();
    let mut ok = true;
    for (key, f) in fields.iter() {
        match lower_field(cx, kinds, at, key, f, place) {
            Some(field) => {
                // one JSON key is one field: a second would never be filled (or sent twice)
                if let Some(first) = out.iter().find(|o| o.wire == field.wire) {
                    let mut path: Vec<&str> = at.to_vec();
                    path.push(key);
                    cx.err(
                        &path,
                        format!(
                            "the JSON name `{}` is also used by the field `{}`",
                            field.wire, first.rust
                        ),
                        Some("keep one field per JSON name: remove one of them".into()),
                    );
                    ok = false;
                } else {
                    out.push(field);
                }
            }
            None => ok = false,
        }
    }
    ok.then_some(out)
}

fn lower_field(
    cx: &mut Cx<'_>,
    kinds: &BTreeMap<String, Option<EnumKind>>,
    at: &[&str],
    key: &str,
    f: &FieldSpec,
    place: Place,
) -> Option<Field> {
    let mut path: Vec<&str> = at.to_vec();
    path.push(key);
    if naming::is_keyword(key) {
        cx.err(&path, format!("the field name `{key}` is a Rust keyword"), Some(format!(
            "name the field in Rust and keep the JSON name with `wire:`: `{}: {{type: {}, wire: {key}, doc: ...}}`",
            naming::suggest_field(key),
            f.ty
        )));
        return None;
    }
    if !naming::is_snake_ident(key) {
        cx.err(
            &path,
            format!("the field name `{key}` is not a snake_case Rust name"),
            Some(format!(
                "write `{}: {{type: {}, wire: {key}, doc: ...}}`",
                naming::suggest_field(key),
                f.ty
            )),
        );
        return None;
    }
    let ty = match parse_ty(&f.ty, kinds) {
        Ok(t) => t,
        Err(unknown) => {
            path.push("type");
            let mut known: Vec<&str> = BUILTINS.to_vec();
            known.extend(kinds.keys().map(String::as_str));
            cx.err(
                &path,
                format!("unknown type `{unknown}`"),
                Some(format!(
                    "use one of {} (or `[T]`, `{{T}}`), or define `{unknown}` under `types:`",
                    known.join(", ")
                )),
            );
            return None;
        }
    };
    if f.doc.trim().is_empty() {
        path.push("doc");
        cx.err(
            &path,
            "the doc is empty".into(),
            Some("write one line saying what the field holds".into()),
        );
        return None;
    }
    let wire = f.wire.clone().unwrap_or_else(|| key.to_owned());
    Some(Field {
        rust: key.to_owned(),
        wire,
        ty,
        required: f.required,
        doc: f.doc.trim().to_owned(),
        place,
        differs: f.differs.clone(),
        deprecated: Deprecation::from_spec(f.deprecated.as_ref(), f.replaced_by.as_deref()),
    })
}

fn lower_endpoint(
    cx: &mut Cx<'_>,
    kinds: &BTreeMap<String, Option<EnumKind>>,
    structs: &BTreeMap<String, StructDef>,
    name: &str,
    type_base: String,
    e: &crate::spec::EndpointSpec,
    routing: Routing,
) -> Option<Endpoint> {
    let before = cx.errors.len();
    let (http_method, path) = lower_route(cx, name, e, routing)?;
    let query = lower_fields(
        cx,
        kinds,
        &["endpoints", name, "query"],
        &e.query,
        Place::Query,
    );
    let path_fields = lower_fields(
        cx,
        kinds,
        &["endpoints", name, "path"],
        &e.path,
        Place::Path,
    );
    let body = lower_fields(
        cx,
        kinds,
        &["endpoints", name, "body"],
        &e.body,
        Place::Body,
    );
    let response = lower_fields(
        cx,
        kinds,
        &["endpoints", name, "response"],
        &e.response,
        Place::Data,
    );
    let (Some(query), Some(path_fields), Some(body), Some(response)) =
        (query, path_fields, body, response)
    else {
        return None;
    };
    check_url_fields(cx, name, &query, &path_fields);
    let path_parts = lower_path(cx, name, &path, &path_fields);
    let request = merge_request(cx, name, path_fields, query, body);
    let flags = lower_flags(cx, name, e, &response);
    if e.no_data.is_some() && !response.is_empty() {
        cx.err(
            &["endpoints", name, "no_data"],
            "`no_data` on an endpoint with response fields".into(),
            Some("keep one of the two".into()),
        );
    }
    let pagination = e
        .pagination
        .as_ref()
        .and_then(|p| lower_pagination(cx, name, p, &request, &response, structs));
    check_paged(cx, name, e, &request, structs);
    if let Some(ex) = &e.example {
        if let Err(err) = serde_json::from_str::<serde_json::Value>(ex) {
            cx.err(
                &["endpoints", name, "example"],
                format!("the example is not JSON: {err}"),
                Some("paste the documented response body as JSON under `example: |`".into()),
            );
        }
    }
    if !e.doc_url.starts_with("https://") {
        cx.err(
            &["endpoints", name, "doc_url"],
            "`doc_url` must be an https:// link to the official doc page".into(),
            None,
        );
    }
    if cx.errors.len() > before {
        return None;
    }
    Some(Endpoint {
        name: name.to_owned(),
        method: naming::endpoint_method(name),
        type_base,
        summary: e.summary.trim().to_owned(),
        doc: e.doc.as_ref().map(|d| d.trim().to_owned()),
        doc_url: e.doc_url.clone(),
        http_method,
        path,
        path_parts,
        deprecated: match &e.deprecated {
            None | Some(Deprecated::Flag(false)) => None,
            Some(Deprecated::Flag(true)) => Some(String::new()),
            Some(Deprecated::Reason(r)) => Some(r.trim().to_owned()),
            Some(Deprecated::Full { note, .. }) => Some(note.trim().to_owned()),
        },
        replaced_by: e.replaced_by.clone(),
        deprecation: Deprecation::from_spec(e.deprecated.as_ref(), e.replaced_by.as_deref()),
        flags,
        request,
        response,
        pagination,
        example: e.example.clone(),
        differs: e.differs.clone(),
        no_data: e.no_data.clone(),
    })
}

/// The HTTP method and path of an endpoint: `POST /<name with / for .>` on a platform that routes
/// by method name (which sends every field in the body), its `http:` on one that routes by path.
/// `None` when neither can be had; a method-routed endpoint with `query:` or `path:` fields is
/// reported but still routed.
fn lower_route(
    cx: &mut Cx<'_>,
    name: &str,
    e: &crate::spec::EndpointSpec,
    routing: Routing,
) -> Option<(String, String)> {
    let at = ["endpoints", name];
    let (http_method, path) = match (routing, &e.http) {
        (Routing::Method, None) => ("POST".to_owned(), format!("/{}", name.replace('.', "/"))),
        (Routing::Method, Some(_)) => {
            cx.err(
                &["endpoints", name, "http"],
                "this platform routes by method name; `http:` is not used".into(),
                Some("remove `http:`; the path is the name with `.` turned to `/`".into()),
            );
            return None;
        }
        (Routing::Path, None) => {
            cx.err(
                &at,
                "missing `http:`".into(),
                Some("write `http: POST /order/202309/orders/search`".into()),
            );
            return None;
        }
        (Routing::Path, Some(h)) => {
            let mut parts = h.split_whitespace();
            match (parts.next(), parts.next(), parts.next()) {
                (Some(m), Some(p), None)
                    if ["GET", "POST", "PUT", "PATCH", "DELETE"].contains(&m)
                        && p.starts_with('/') =>
                {
                    (m.to_owned(), p.to_owned())
                }
                _ => {
                    cx.err(&["endpoints", name, "http"], format!("`{h}` is not `METHOD /path`"), Some(
                        "write e.g. `GET /order/202309/orders`; METHOD is GET, POST, PUT, PATCH or DELETE".into(),
                    ));
                    return None;
                }
            }
        }
    };
    if routing == Routing::Method && (!e.query.is_empty() || !e.path.is_empty()) {
        cx.err(
            &at,
            "this platform sends every field in the body".into(),
            Some("move the fields under `body:`".into()),
        );
    }
    Some((http_method, path))
}

/// Query and path fields travel in the URL: each must be a scalar, an enum or a list of them.
fn check_url_fields(cx: &mut Cx<'_>, name: &str, query: &[Field], path_fields: &[Field]) {
    for f in query.iter().chain(path_fields) {
        if !f.ty.is_url_value() {
            let section = if f.place == Place::Query {
                "query"
            } else {
                "path"
            };
            cx.err(
                &["endpoints", name, section, &f.rust, "type"],
                format!(
                    "a {section} field must be a scalar, an enum or a list of them, not `{}`",
                    type_text(&f.ty)
                ),
                Some("move the field under `body:`".into()),
            );
        }
    }
}

/// The path template, parsed; its placeholders and the `path:` fields must match one to one.
fn lower_path(cx: &mut Cx<'_>, name: &str, path: &str, path_fields: &[Field]) -> Vec<PathPart> {
    let path_parts = PathPart::parse(path);
    let placeholders: Vec<String> = path_parts
        .iter()
        .filter_map(|p| match p {
            PathPart::Param(w) => Some(w.clone()),
            PathPart::Lit(_) => None,
        })
        .collect();
    for p in &placeholders {
        if !path_fields.iter().any(|f| f.wire == *p) {
            cx.err(
                &["endpoints", name, "http"],
                format!("the path names `{{{p}}}` but no `path:` field is called `{p}`"),
                Some(format!(
                    "add `path: {{{p}: {{type: string, required: true, doc: ...}}}}`"
                )),
            );
        }
    }
    for f in path_fields {
        if !placeholders.contains(&f.wire) {
            cx.err(
                &["endpoints", name, "path", &f.rust],
                format!("the path field `{}` does not appear in the path", f.wire),
                Some(format!(
                    "write `{{{}}}` in `http:` or move the field to `query:`/`body:`",
                    f.wire
                )),
            );
        }
    }
    path_parts
}

/// The request struct's fields, path then query then body: a field whose Rust or JSON name an
/// earlier one already has is reported and left out.
fn merge_request(
    cx: &mut Cx<'_>,
    name: &str,
    path_fields: Vec<Field>,
    query: Vec<Field>,
    body: Vec<Field>,
) -> Vec<Field> {
    let mut request: Vec<Field> = Vec::new();
    for f in path_fields.into_iter().chain(query).chain(body) {
        if let Some(other) = request.iter().find(|o| o.rust == f.rust) {
            let section = place_name(f.place);
            cx.err(&["endpoints", name, section, &f.rust], format!(
                "`{}` is also a {} field", f.rust, place_name(other.place)
            ), Some("request fields share one struct: rename one and keep its JSON name with `wire:`".into()));
            continue;
        }
        if let Some(other) = request.iter().find(|o| o.wire == f.wire) {
            let section = place_name(f.place);
            cx.err(
                &["endpoints", name, section, &f.rust],
                format!(
                    "the JSON name `{}` is also used by the {} field `{}`",
                    f.wire,
                    place_name(other.place),
                    other.rust
                ),
                Some("one request struct cannot decode two fields of one name: keep one".into()),
            );
            continue;
        }
        request.push(f);
    }
    request
}

/// The endpoint's flags; `form` with `multipart`, or `data_value` without a lone `data` response
/// field, is reported.
fn lower_flags(
    cx: &mut Cx<'_>,
    name: &str,
    e: &crate::spec::EndpointSpec,
    response: &[Field],
) -> BTreeSet<FlagKind> {
    let flags: BTreeSet<FlagKind> = e.flags.iter().copied().collect();
    if flags.contains(&FlagKind::Form) && flags.contains(&FlagKind::Multipart) {
        cx.err(
            &["endpoints", name, "flags"],
            "`form` and `multipart` exclude each other".into(),
            None,
        );
    }
    if flags.contains(&FlagKind::DataValue) && (response.len() != 1 || response[0].wire != "data") {
        cx.err(
            &["endpoints", name, "flags"],
            "`data_value` needs a response of exactly one field, `data`, that holds the value"
                .into(),
            Some("write `response: {data: {type: bool, doc: ...}}` (or the value's type)".into()),
        );
    }
    flags
}

fn place_name(p: Place) -> &'static str {
    match p {
        Place::Query => "query",
        Place::Path => "path",
        Place::Body => "body",
        Place::Data => "response",
    }
}

/// Request fields (wire names) that page through a list: an endpoint that takes one has
/// `pagination:`, or says why it is not a paged list with `not_paged:`.
pub const PAGE_FIELDS: &[&str] = &[
    "page",
    "page_no",
    "page_num",
    "page_number",
    "page_index",
    "current_page",
    "pageNo",
    "pageNum",
    "pageIndex",
    "page_token",
    "cursor",
    "start_index",
];

/// The page or cursor field of a request, top-level or inside a request struct (TikTok's
/// `pagination.page_token`), as a dotted path of wire names.
fn page_field(
    fields: &[Field],
    structs: &BTreeMap<String, StructDef>,
    depth: usize,
) -> Option<String> {
    if let Some(f) = fields
        .iter()
        .find(|f| PAGE_FIELDS.contains(&f.wire.as_str()))
    {
        return Some(f.wire.clone());
    }
    if depth >= 3 {
        return None;
    }
    fields.iter().find_map(|f| match &f.ty {
        Ty::Struct(n) => structs
            .get(n)
            .and_then(|s| page_field(&s.fields, structs, depth + 1))
            .map(|inner| format!("{}.{inner}", f.wire)),
        _ => None,
    })
}

fn check_paged(
    cx: &mut Cx<'_>,
    name: &str,
    e: &crate::spec::EndpointSpec,
    request: &[Field],
    structs: &BTreeMap<String, StructDef>,
) {
    let page_field = page_field(request, structs, 0);
    match (&e.pagination, &e.not_paged, page_field) {
        (None, None, Some(f)) => cx.err(
            &["endpoints", name],
            format!("`{name}` takes `{f}`, a page or cursor field, but has no `pagination:`"),
            Some(format!(
                "add `pagination:` naming `{f}` and the response's items (spec/README.md, \"Pagination\"), or say why it is not a paged list: `not_paged: <reason>`"
            )),
        ),
        (Some(_), Some(_), _) => cx.err(
            &["endpoints", name, "not_paged"],
            "`not_paged` on an endpoint that has `pagination:`".into(),
            Some("keep one of the two".into()),
        ),
        (None, Some(_), None) => cx.err(
            &["endpoints", name, "not_paged"],
            "`not_paged` on an endpoint that takes no page or cursor field".into(),
            Some("remove `not_paged:`".into()),
        ),
        (None, Some(why), Some(_)) if why.trim().is_empty() => cx.err(
            &["endpoints", name, "not_paged"],
            "`not_paged` needs a reason".into(),
            Some("say why the endpoint is not a paged list: `not_paged: <reason>`".into()),
        ),
        _ => {}
    }
}

fn lower_pagination(
    cx: &mut Cx<'_>,
    name: &str,
    p: &crate::spec::PaginationSpec,
    request: &[Field],
    response: &[Field],
    structs: &BTreeMap<String, StructDef>,
) -> Option<Pagination> {
    let before = cx.errors.len();
    let find = |cx: &mut Cx<'_>,
                key: &str,
                field: &Option<String>,
                fields: &[Field],
                side: &str,
                want: &dyn Fn(&Ty) -> bool,
                what: &str|
     -> Option<Field> {
        let f = field.as_ref()?;
        match fields.iter().find(|x| x.rust == *f) {
            Some(x) if want(&x.ty) => Some(x.clone()),
            Some(x) => {
                cx.err(
                    &["endpoints", name, "pagination", key],
                    format!("`{f}` is `{}`, but `{key}` needs {what}", type_text(&x.ty)),
                    None,
                );
                None
            }
            None => {
                let names: Vec<&str> = fields.iter().map(|x| x.rust.as_str()).collect();
                cx.err(
                    &["endpoints", name, "pagination", key],
                    format!("`{f}` is not a {side} field of `{name}`"),
                    Some(format!(
                        "name one of: {}",
                        if names.is_empty() {
                            "(none)".into()
                        } else {
                            names.join(", ")
                        }
                    )),
                );
                None
            }
        }
    };
    let int = |t: &Ty| t.is_integer();
    let string = |t: &Ty| *t == Ty::String;
    let list = |t: &Ty| matches!(t, Ty::List(_));
    let boolean = |t: &Ty| *t == Ty::Bool;
    let items = find(
        cx,
        "items",
        &Some(p.items.clone()),
        response,
        "response",
        &list,
        "a list `[T]`",
    );
    let total = find(
        cx,
        "total",
        &p.total,
        response,
        "response",
        &int,
        "an integer",
    );
    let out = match (&p.page, &p.cursor) {
        (Some(_), None) => {
            // Some platforms type page numbers as text ("0"): a string field takes the digits.
            let number = |t: &Ty| t.is_integer() || *t == Ty::String;
            let what = "an integer (or a string of its digits)";
            let page = find(cx, "page", &p.page, request, "request", &number, what);
            let size = find(cx, "size", &p.size, request, "request", &number, what);
            let has_more = find(
                cx,
                "has_more",
                &p.has_more,
                response,
                "response",
                &boolean,
                "a bool",
            );
            let first = p.first.unwrap_or(0);
            if !(0..=1).contains(&first) {
                cx.err(
                    &["endpoints", name, "pagination", "first"],
                    "`first` is 0 or 1".into(),
                    None,
                );
            }
            if p.next.is_some() {
                cx.err(
                    &["endpoints", name, "pagination", "next"],
                    "`next` goes with `cursor`, not `page`".into(),
                    None,
                );
            }
            Some(Pagination::Page {
                page: page?,
                size,
                first,
                items: items?,
                total,
                has_more,
            })
        }
        (None, Some(path)) => {
            // A cursor inside a request struct is named by its dotted path of Rust names.
            let mut segs: Vec<&str> = path.split('.').collect();
            let leaf = segs.pop().unwrap_or_default().to_owned();
            let (cursor, via) = if segs.is_empty() {
                let c = find(
                    cx, "cursor", &p.cursor, request, "request", &string, "a string",
                );
                (c, Vec::new())
            } else {
                let is_struct = |t: &Ty| matches!(t, Ty::Struct(_));
                let top = find(
                    cx,
                    "cursor",
                    &Some(segs[0].to_owned()),
                    request,
                    "request",
                    &is_struct,
                    "a struct holding the cursor",
                );
                let mut via = Vec::new();
                let mut holder = top.clone();
                for (i, seg) in segs
                    .iter()
                    .skip(1)
                    .map(|s| (*s).to_owned())
                    .chain(std::iter::once(leaf))
                    .enumerate()
                {
                    let last = i == segs.len() - 1;
                    let fields = match holder.as_ref().map(|h| &h.ty) {
                        Some(Ty::Struct(n)) => {
                            structs.get(n).map(|s| s.fields.clone()).unwrap_or_default()
                        }
                        _ => Vec::new(),
                    };
                    let want: &dyn Fn(&Ty) -> bool = if last { &string } else { &is_struct };
                    let what = if last {
                        "a string"
                    } else {
                        "a struct holding the cursor"
                    };
                    let next = find(
                        cx,
                        "cursor",
                        &Some(seg),
                        &fields,
                        "request struct",
                        want,
                        what,
                    );
                    if let Some(f) = &next {
                        via.push(f.clone());
                    }
                    holder = next;
                }
                (top, via)
            };
            let done = find(
                cx,
                "done",
                &p.done,
                response,
                "response",
                &|t: &Ty| *t == Ty::Bool || t.is_integer(),
                "a bool or an integer",
            );
            let next = find(
                cx, "next", &p.next, response, "response", &string, "a string",
            );
            if p.next.is_none() {
                cx.err(
                    &["endpoints", name, "pagination"],
                    "a cursor needs `next:` (the response field of the next cursor)".into(),
                    None,
                );
            }
            Some(Pagination::Cursor {
                cursor: cursor?,
                via,
                next: next?,
                items: items?,
                total,
                done,
            })
        }
        _ => {
            cx.err(
                &["endpoints", name, "pagination"],
                "pagination takes either `page:` or `cursor:`".into(),
                Some("see the Pagination section of spec/README.md".into()),
            );
            None
        }
    };
    if cx.errors.len() > before { None } else { out }
}

fn lower_event(
    cx: &mut Cx<'_>,
    kinds: &BTreeMap<String, Option<EnumKind>>,
    name: &str,
    ev: &EventSpec,
) -> Option<Event> {
    if !naming::is_snake_ident(name) || naming::is_keyword(name) {
        cx.err(
            &["events", name],
            format!("the event name `{name}` is not a snake_case name"),
            Some(format!("write `{}`", naming::suggest_field(name))),
        );
        return None;
    }
    if ev.code.trim().is_empty() {
        cx.err(
            &["events", name, "code"],
            "the event code is empty".into(),
            Some("write the platform's tag or type, e.g. `code: \"100\"`".into()),
        );
        return None;
    }
    let fields = lower_fields(
        cx,
        kinds,
        &["events", name, "fields"],
        &ev.fields,
        Place::Data,
    )?;
    Some(Event {
        name: name.to_owned(),
        type_name: heck::ToUpperCamelCase::to_upper_camel_case(name),
        code: ev.code.trim().to_owned(),
        summary: ev.summary.trim().to_owned(),
        doc: ev.doc.as_ref().map(|d| d.trim().to_owned()),
        doc_url: ev.doc_url.clone(),
        fields,
    })
}
