//! Stage one of three, the model: the resolved types that loading and lowering build and that
//! every reader (emitters, sandbox, tools) walks: platforms, modules, named types, fields,
//! endpoints, pagination, events, with their helpers. It reads no file and checks nothing.

use std::collections::BTreeSet;

use crate::spec::Flag as FlagKind;
use crate::spec::{AuthSpec, CheckSpec, Deprecated, EnumKind, MemberSpec, Routing};

/// Every platform found under `spec/`.
#[derive(Debug, Clone)]
pub struct Api {
    /// Platforms, by name.
    pub platforms: Vec<Platform>,
}

/// One platform and its modules.
#[derive(Debug, Clone)]
pub struct Platform {
    /// `tiktok`, `doudian`, `douyin`.
    pub name: String,
    /// Human name.
    pub display_name: String,
    /// Documentation.
    pub doc: String,
    /// Production base URL.
    pub base_url: String,
    /// Sandbox base URL.
    pub sandbox_url: Option<String>,
    /// The host of the token calls, when not `base_url`.
    pub auth_url: Option<String>,
    /// The sandbox host of the token calls.
    pub sandbox_auth_url: Option<String>,
    /// Protocol version.
    pub version: String,
    /// The header an access token travels in (`None`: the `access_token` query parameter).
    pub token_header: Option<String>,
    /// The envelope's success code.
    pub success_code: i64,
    /// Root of the official docs.
    pub doc_root: String,
    /// Routing style.
    pub routing: Routing,
    /// Modules compiled whenever the platform is.
    pub core: Vec<String>,
    /// Modules, by name.
    pub modules: Vec<Module>,
    /// The error catalogue (`errors:`), each row's doc page resolved.
    pub errors: Vec<ErrorCode>,
    /// The response envelope (`envelope:`).
    pub envelope: Envelope,
    /// The checks made before sending (`checks:`), each naming an endpoint and body field of the
    /// platform.
    pub checks: Vec<CheckSpec>,
    /// What the tokens calls carry are (`auth:`), for the OpenAPI security schemes.
    pub auth: Option<AuthSpec>,
}

/// Where a platform's responses carry the call's status and result (`envelope:` of
/// platform.yaml); a place is a member name, or `a.b` for member `b` of the object `a`.
#[derive(Debug, Clone)]
pub struct Envelope {
    /// The schema's description.
    pub doc: String,
    /// The top-level member of the result.
    pub data: String,
    /// The places of the status code, with the value meaning success at each.
    pub code: Vec<(String, i64)>,
    /// The places of the error message.
    pub message: Vec<String>,
    /// The places of the detailed error code.
    pub sub_code: Vec<String>,
    /// The places of the detailed error message.
    pub sub_message: Vec<String>,
    /// The places of the request id.
    pub request_id: Vec<String>,
    /// A top-level member kept whole beside `data`.
    pub extra: Option<String>,
    /// The documented top-level members.
    pub members: Vec<MemberSpec>,
}

/// One row of a platform's error catalogue.
#[derive(Debug, Clone)]
pub struct ErrorCode {
    /// The envelope's code.
    pub code: i64,
    /// The sub-code pattern.
    pub sub_code: Option<String>,
    /// A word looked for in the message.
    pub keyword: Option<String>,
    /// The endpoints the row is for (empty: all).
    pub endpoints: Vec<String>,
    /// The table's message.
    pub message: String,
    /// The table's sub-message.
    pub sub_message: Option<String>,
    /// What it means.
    pub meaning: String,
    /// The runtime's category.
    pub kind: crate::spec::ErrorKindSpec,
    /// Why the row stands on an independent source, no official page stating it.
    pub unconfirmed: Option<String>,
    /// Whether to try again later.
    pub retry: bool,
    /// The official page.
    pub doc_url: String,
}

impl Platform {
    /// The type `name` as module `m` sees it: its own, else the platform's shared `types.yaml`
    /// one; with the module that defines it.
    pub fn find_type<'a>(&'a self, m: &'a Module, name: &str) -> Option<(&'a Module, &'a TypeDef)> {
        let named = |t: &&TypeDef| match t {
            TypeDef::Struct(s) => s.name == name,
            TypeDef::Enum(e) => e.name == name,
        };
        m.types.iter().find(named).map(|t| (m, t)).or_else(|| {
            let shared = self.modules.iter().find(|x| x.name == SHARED)?;
            shared.types.iter().find(named).map(|t| (shared, t))
        })
    }

    /// The cargo feature that compiles `module`.
    pub fn feature_of(&self, module: &str) -> String {
        if self.core.iter().any(|c| c == module) {
            self.name.clone()
        } else {
            format!("{}-{}", self.name, module.replace('_', "-"))
        }
    }
}

/// One module file.
#[derive(Debug, Clone)]
pub struct Module {
    /// Rust module name (the file stem).
    pub name: String,
    /// The spec file, relative to the repository root, with `/` separators.
    pub file: String,
    /// Documentation.
    pub doc: String,
    /// Named types.
    pub types: Vec<TypeDef>,
    /// Endpoints.
    pub endpoints: Vec<Endpoint>,
    /// Webhook events.
    pub events: Vec<Event>,
}

/// The file stem of a platform's shared types: `spec/<platform>/types.yaml`, emitted once as the
/// module `<platform>::types`, compiled with the platform, usable from every module.
pub const SHARED: &str = "types";

/// What makes two structs one type: per field, in order, its Rust name, wire name, type (a named
/// type qualified by the module that defines it), `required` and place; documentation aside.
pub type Shape = Vec<(String, String, String, bool, Place)>;

impl Module {
    /// Whether the module's own `types:` define `name`.
    pub fn defines(&self, name: &str) -> bool {
        self.types.iter().any(|t| match t {
            TypeDef::Struct(s) => s.name == name,
            TypeDef::Enum(e) => e.name == name,
        })
    }

    /// The module that defines the named type `name` as this module sees it: this one, or the
    /// platform's shared types (`types.yaml`) for a name it does not define.
    pub fn type_owner(&self, name: &str) -> &str {
        if self.defines(name) {
            &self.name
        } else {
            SHARED
        }
    }

    /// The [`Shape`] of one of this module's structs: `Detail` of one module is not `Detail` of
    /// another, so two modules' structs that name them differ.
    pub fn shape_of(&self, s: &StructDef) -> Shape {
        fn qualified(m: &Module, t: &Ty) -> String {
            match t {
                Ty::Struct(n) | Ty::Enum(n, _) => format!("{}::{n}", m.type_owner(n)),
                Ty::List(i) => format!("[{}]", qualified(m, i)),
                Ty::Map(i) => format!("{{{}}}", qualified(m, i)),
                other => type_text(other),
            }
        }
        s.fields
            .iter()
            .map(|f| {
                (
                    f.rust.clone(),
                    f.wire.clone(),
                    qualified(self, &f.ty),
                    f.required,
                    f.place,
                )
            })
            .collect()
    }
}

/// A named type.
#[derive(Debug, Clone)]
pub enum TypeDef {
    /// A struct.
    Struct(StructDef),
    /// An enum.
    Enum(EnumDef),
}

/// A struct.
#[derive(Debug, Clone)]
pub struct StructDef {
    /// Rust name.
    pub name: String,
    /// Documentation.
    pub doc: String,
    /// Fields.
    pub fields: Vec<Field>,
}

/// An enum.
#[derive(Debug, Clone)]
pub struct EnumDef {
    /// Rust name.
    pub name: String,
    /// Documentation.
    pub doc: String,
    /// Wire type.
    pub kind: EnumKind,
    /// Known values.
    pub variants: Vec<Variant>,
}

/// One enum value.
#[derive(Debug, Clone)]
pub struct Variant {
    /// Rust variant name.
    pub name: String,
    /// Wire value (text; an integer for int enums).
    pub wire: String,
    /// Documentation.
    pub doc: String,
    /// Deprecated by the platform.
    pub deprecated: Option<Deprecation>,
}

/// A deprecation: why, what replaces it, since which crate version, until when the platform
/// serves it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Deprecation {
    /// Why (may be empty).
    pub note: String,
    /// What replaces it, as users name it (a method, a field, a value).
    pub replaced_by: Option<String>,
    /// The crate version that deprecates it.
    pub since: Option<String>,
    /// The date the platform retires it.
    pub sunset: Option<String>,
}

impl Deprecation {
    /// From the spec's `deprecated:` and `replaced_by:`; `None` when not deprecated.
    pub fn from_spec(d: Option<&Deprecated>, replaced_by: Option<&str>) -> Option<Self> {
        use Deprecated as D;
        let (note, since, sunset) = match d? {
            D::Flag(false) => return None,
            D::Flag(true) => (String::new(), None, None),
            D::Reason(r) => (r.trim().to_owned(), None, None),
            D::Full {
                note,
                since,
                sunset,
            } => (note.trim().to_owned(), since.clone(), sunset.clone()),
        };
        Some(Deprecation {
            note,
            replaced_by: replaced_by.map(str::to_owned),
            since,
            sunset,
        })
    }

    /// The note of `#[deprecated]`: the reason, the replacement and the sunset date.
    pub fn message(&self) -> String {
        let mut n = if self.note.is_empty() {
            "deprecated by the platform".to_owned()
        } else {
            self.note.trim_end_matches('.').to_owned()
        };
        if let Some(r) = &self.replaced_by {
            // a name, or a text that quotes its names itself
            if r.contains('`') {
                n.push_str(&format!("; use {r} instead"));
            } else {
                n.push_str(&format!("; use `{r}` instead"));
            }
        }
        if let Some(s) = &self.sunset {
            n.push_str(&format!("; the platform retires it on {s}"));
        }
        n
    }
}

/// A piece of a path template (`/order/{order_id}/detail`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathPart {
    /// Literal text.
    Lit(String),
    /// A `{placeholder}`: the wire name of a `path:` field.
    Param(String),
}

impl PathPart {
    /// Split a path template into literals and placeholders (an unclosed `{` stays literal).
    pub fn parse(path: &str) -> Vec<PathPart> {
        let mut parts = Vec::new();
        let mut rest = path;
        while let Some(open) = rest.find('{') {
            let Some(close) = rest[open..].find('}') else {
                break;
            };
            if open > 0 {
                parts.push(PathPart::Lit(rest[..open].to_owned()));
            }
            parts.push(PathPart::Param(rest[open + 1..open + close].to_owned()));
            rest = &rest[open + close + 1..];
        }
        if !rest.is_empty() {
            parts.push(PathPart::Lit(rest.to_owned()));
        }
        parts
    }
}

/// Where a request field travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Place {
    /// URL query.
    Query,
    /// Path template.
    Path,
    /// JSON (or form) body.
    Body,
    /// Not a request field.
    Data,
}

/// A resolved field.
#[derive(Debug, Clone)]
pub struct Field {
    /// Rust name.
    pub rust: String,
    /// Wire name.
    pub wire: String,
    /// Type.
    pub ty: Ty,
    /// Required.
    pub required: bool,
    /// Documentation.
    pub doc: String,
    /// Where it travels.
    pub place: Place,
    /// Why it deliberately differs from the official typed source (`differs:`).
    pub differs: Option<String>,
    /// Deprecated by the platform.
    pub deprecated: Option<Deprecation>,
}

/// A resolved type.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Ty {
    /// `String`.
    String,
    /// `bool`.
    Bool,
    /// `i32`.
    I32,
    /// `i64`.
    I64,
    /// `u64`.
    U64,
    /// `f64`.
    F64,
    /// A decimal amount: exact text in Rust, a JSON number on the wire (`runtime::Decimal`).
    Decimal,
    /// `serde_json::Value`.
    Json,
    /// `Vec<T>`.
    List(Box<Ty>),
    /// `BTreeMap<String, T>`.
    Map(Box<Ty>),
    /// A named struct of the module.
    Struct(String),
    /// A named enum of the module.
    Enum(String, EnumKind),
}

impl Ty {
    /// The element type under every list and map (`[{Sku}]` -> `Sku`).
    pub fn innermost(&self) -> &Ty {
        match self {
            Ty::List(t) | Ty::Map(t) => t.innermost(),
            t => t,
        }
    }

    /// What a flattened wire path adds for the type's lists and maps: `[]` per list, `{}` per
    /// map (`[{Sku}]` -> `[]{}`), so a nested field of `skus` is `skus[]{}.id`.
    pub fn path_suffix(&self) -> String {
        match self {
            Ty::List(t) => format!("[]{}", t.path_suffix()),
            Ty::Map(t) => format!("{{}}{}", t.path_suffix()),
            _ => String::new(),
        }
    }

    /// Whether the type is a scalar the lenient decoders handle.
    pub fn is_scalar(&self) -> bool {
        matches!(
            self,
            Ty::String | Ty::Bool | Ty::I32 | Ty::I64 | Ty::U64 | Ty::F64 | Ty::Decimal
        )
    }
    /// Whether the type is an integer.
    pub fn is_integer(&self) -> bool {
        matches!(self, Ty::I32 | Ty::I64 | Ty::U64)
    }
    /// Whether a value of this type can be written into a URL (query or path).
    pub fn is_url_value(&self) -> bool {
        match self {
            Ty::List(inner) => inner.is_scalar() || matches!(**inner, Ty::Enum(..)),
            t => t.is_scalar() || matches!(t, Ty::Enum(..)),
        }
    }
}

/// The spec spelling of a type.
pub fn type_text(t: &Ty) -> String {
    match t {
        Ty::String => "string".into(),
        Ty::Bool => "bool".into(),
        Ty::I32 => "i32".into(),
        Ty::I64 => "i64".into(),
        Ty::U64 => "u64".into(),
        Ty::F64 => "f64".into(),
        Ty::Decimal => "decimal".into(),
        Ty::Json => "json".into(),
        Ty::List(i) => format!("[{}]", type_text(i)),
        Ty::Map(i) => format!("{{{}}}", type_text(i)),
        Ty::Struct(n) | Ty::Enum(n, _) => n.clone(),
    }
}

/// Pagination, resolved to Rust field names.
#[derive(Debug, Clone)]
pub enum Pagination {
    /// Page numbers.
    Page {
        /// Request field: page number.
        page: Field,
        /// Request field: page size.
        size: Option<Field>,
        /// First page number.
        first: i64,
        /// Response field: items.
        items: Field,
        /// Response field: total.
        total: Option<Field>,
        /// Response field: more pages follow.
        has_more: Option<Field>,
    },
    /// Cursors.
    Cursor {
        /// Request field: the cursor, or the top-level request struct that holds it.
        cursor: Field,
        /// When the cursor sits inside a request struct (`pagination.page_token`): the fields
        /// from there down, the cursor last; empty for a top-level cursor.
        via: Vec<Field>,
        /// Response field: next cursor.
        next: Field,
        /// Response field: items.
        items: Field,
        /// Response field: total.
        total: Option<Field>,
        /// Response field that marks the last page (`true` or a non-zero number), when the
        /// platform says so besides the cursor (Doudian's `is_end`).
        done: Option<Field>,
    },
}

impl Pagination {
    /// The cursor's dotted path of wire names (`page_token`, `pagination.page_token`).
    pub fn cursor_wire_path(cursor: &Field, via: &[Field]) -> String {
        std::iter::once(cursor.wire.as_str())
            .chain(via.iter().map(|f| f.wire.as_str()))
            .collect::<Vec<_>>()
            .join(".")
    }
}

/// One endpoint.
#[derive(Debug, Clone)]
pub struct Endpoint {
    /// The dotted name.
    pub name: String,
    /// UpperCamelCase base of the type names.
    pub type_base: String,
    /// snake_case client method.
    pub method: String,
    /// One line.
    pub summary: String,
    /// Longer documentation.
    pub doc: Option<String>,
    /// The official doc page.
    pub doc_url: String,
    /// HTTP method, upper case.
    pub http_method: String,
    /// Path template.
    pub path: String,
    /// The path template, parsed once: literal text and `{placeholder}`s (wire names).
    pub path_parts: Vec<PathPart>,
    /// Deprecation note.
    pub deprecated: Option<String>,
    /// Replacement endpoint.
    pub replaced_by: Option<String>,
    /// The whole deprecation (note, replacement, since, sunset), when deprecated.
    pub deprecation: Option<Deprecation>,
    /// Flags.
    pub flags: BTreeSet<FlagKind>,
    /// Request fields (query, path and body).
    pub request: Vec<Field>,
    /// Response fields.
    pub response: Vec<Field>,
    /// Pagination.
    pub pagination: Option<Pagination>,
    /// Example response body.
    pub example: Option<String>,
    /// Why it deliberately differs from the official typed source (`differs:`).
    pub differs: Option<String>,
    /// The platform returns no data, and the source that says so (`no_data:`).
    pub no_data: Option<String>,
}

/// Whether a doc link names a page in the form an official source confirms: Doudian
/// `api-docs/<group>/<id>`, TikTok Shop `docv2/page/<24 hex digits>`; any other link (Douyin's page
/// paths) counts as a page. The docs root, or a TikTok page named by a title no source confirms,
/// does not.
pub fn doc_page_confirmed(url: &str) -> bool {
    let url = url.trim_end_matches('/');
    if let Some(i) = url.find("docv2/page/") {
        let id = &url[i + "docv2/page/".len()..];
        return id.len() == 24 && id.chars().all(|c| c.is_ascii_hexdigit());
    }
    if let Some(i) = url.find("/api-docs") {
        let tail = url[i + "/api-docs".len()..].trim_start_matches('/');
        let parts: Vec<_> = tail.split('/').collect();
        return parts.len() == 2
            && parts
                .iter()
                .all(|s| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit()));
    }
    true
}

impl Endpoint {
    /// Whether the doc link names a confirmed page ([`doc_page_confirmed`]).
    pub fn doc_confirmed(&self) -> bool {
        doc_page_confirmed(&self.doc_url)
    }

    /// The doc link as rustdoc Markdown: the official page, or the docs where no source
    /// confirms one.
    pub fn doc_link(&self) -> String {
        if self.doc_confirmed() {
            format!("[official documentation]({})", self.doc_url)
        } else {
            format!(
                "official page not confirmed by any source in hand, see [the docs]({})",
                self.doc_url
            )
        }
    }

    /// Whether the endpoint has `flag`.
    pub fn has(&self, flag: FlagKind) -> bool {
        self.flags.contains(&flag)
    }
}

/// A webhook event.
#[derive(Debug, Clone)]
pub struct Event {
    /// snake_case name.
    pub name: String,
    /// UpperCamelCase name.
    pub type_name: String,
    /// Tag / type code.
    pub code: String,
    /// One line.
    pub summary: String,
    /// Longer documentation.
    pub doc: Option<String>,
    /// Official doc page.
    pub doc_url: Option<String>,
    /// Data fields.
    pub fields: Vec<Field>,
}
