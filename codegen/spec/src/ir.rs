//! Load, validate and lower the specs into a small IR with resolved names and types.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::error::{SpecError, SpecErrors};
use crate::locate::{LazyLocations, Locations};
use crate::naming;
use crate::pool::parallel_map;
use crate::source::{Source, parse_yaml, read_text, rel};
use crate::spec::{
    Deprecated, EnumKind, EnumValueSpec, EventSpec, FieldSpec, ModuleSpec, OrderedMap,
    PlatformSpec, Routing, TypeSpec,
};

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

/// The flags of an endpoint: the spec's one flag list.
pub use crate::spec::Flag as FlagKind;

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

/// Read and validate every spec under `root/spec`, or return every problem found.
pub fn load(root: &Path) -> Result<Api, SpecErrors> {
    load_dir(root, &root.join("spec"))
}

/// Read and validate every spec under `spec_dir`; file names in errors are relative to `root`.
pub fn load_dir(root: &Path, spec_dir: &Path) -> Result<Api, SpecErrors> {
    load_from(Source::Disk, root, spec_dir)
}

/// Read and validate specs compiled into a program: `(path, text)` pairs whose paths start with
/// `spec/` (`spec/doudian/platform.yaml`), as [`load`] would read them under a project root.
pub fn load_embedded(files: &[(&str, &str)]) -> Result<Api, SpecErrors> {
    load_from(Source::Embedded(files), Path::new(""), Path::new("spec"))
}

/// Read and validate every spec under `spec_dir` of `src`.
pub fn load_from(src: Source<'_>, root: &Path, spec_dir: &Path) -> Result<Api, SpecErrors> {
    let mut errors = Vec::new();
    let mut platforms = Vec::new();
    let mut dirs: Vec<PathBuf> = match src.folders(spec_dir) {
        Ok(dirs) => dirs,
        Err(e) => {
            return Err(SpecErrors(vec![SpecError {
                file: spec_dir.to_path_buf(),
                line: None,
                column: None,
                field: String::new(),
                message: format!("cannot read the spec folder: {e}"),
                hint: None,
            }]));
        }
    };
    dirs.sort();
    for dir in dirs {
        if let Some(p) = load_platform(src, root, &dir, &mut errors) {
            platforms.push(p);
        }
    }
    if errors.is_empty() {
        Ok(Api { platforms })
    } else {
        Err(SpecErrors(errors))
    }
}

fn load_platform(
    src: Source<'_>,
    root: &Path,
    dir: &Path,
    errors: &mut Vec<SpecError>,
) -> Option<Platform> {
    let platform_file = dir.join("platform.yaml");
    let text = read_text(src, root, &platform_file, errors)?;
    let spec: PlatformSpec = parse_yaml(root, &platform_file, &text, errors)?;
    let dir_name = dir
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default()
        .to_owned();
    if spec.name != dir_name || !naming::is_snake_ident(&spec.name) {
        let locs = Locations::index(&text);
        let (line, column) = split(locs.find(&["name"]));
        errors.push(SpecError {
            file: rel(root, &platform_file),
            line,
            column,
            field: "name".into(),
            message: format!(
                "the platform is named `{}` but its folder is `{dir_name}`",
                spec.name
            ),
            hint: Some(format!(
                "write `name: {dir_name}` (a snake_case name equal to the folder's)"
            )),
        });
    }
    let mut files: Vec<PathBuf> = src
        .files(dir)
        .ok()?
        .into_iter()
        .filter(|p| p.extension().is_some_and(|x| x == "yaml" || x == "yml"))
        .filter(|p| p.file_name().is_some_and(|n| n != "platform.yaml"))
        .collect();
    files.sort();
    let before = errors.len();
    let mut modules = Vec::new();
    let mut methods: BTreeMap<String, (String, String)> = BTreeMap::new();
    let mut raw: Vec<(Module, LazyLocations)> = Vec::new();
    // Files are read, parsed and lowered on all cores; results are merged in file order, so
    // errors and output do not depend on which thread finished first.
    let routing = spec.routing;
    // The shared types are lowered first: every other module may name them.
    let mut shared_kinds: BTreeMap<String, Option<EnumKind>> = BTreeMap::new();
    let mut shared_structs: BTreeMap<String, StructDef> = BTreeMap::new();
    let mut loaded = Vec::new();
    if let Some(i) = files
        .iter()
        .position(|p| p.file_stem().is_some_and(|s| s == SHARED))
    {
        let path = files.remove(i);
        let mut errs = Vec::new();
        let out = load_module(
            src,
            root,
            &path,
            routing,
            (&BTreeMap::new(), &BTreeMap::new()),
            &mut errs,
        );
        if let Some((m, _)) = &out {
            for t in &m.types {
                let (name, kind) = match t {
                    TypeDef::Struct(s) => (&s.name, None),
                    TypeDef::Enum(e) => (&e.name, Some(e.kind)),
                };
                shared_kinds.insert(name.clone(), kind);
                if let TypeDef::Struct(s) = t {
                    shared_structs.insert(s.name.clone(), s.clone());
                }
            }
        }
        loaded.push((out, errs));
    }
    loaded.extend(parallel_map(&files, |path| {
        let mut errs = Vec::new();
        let out = load_module(
            src,
            root,
            path,
            routing,
            (&shared_kinds, &shared_structs),
            &mut errs,
        );
        (out, errs)
    }));
    for (out, errs) in loaded {
        errors.extend(errs);
        let Some((module, locs)) = out else { continue };
        let mut cx = Cx {
            file: PathBuf::from(&module.file),
            locs,
            errors,
        };
        for ep in &module.endpoints {
            if let Some((other_file, other)) = methods.get(&ep.method) {
                cx.err(
                    &["endpoints", &ep.name],
                    format!(
                        "`{}` gives the client method `{}`, as `{other}` in {other_file} does",
                        ep.name, ep.method
                    ),
                    Some(
                        "two endpoint names may not map to one Rust name; fix the spelling of one"
                            .into(),
                    ),
                );
            } else {
                methods.insert(ep.method.clone(), (module.file.clone(), ep.name.clone()));
            }
        }
        let locs = std::mem::take(&mut cx.locs);
        raw.push((module, locs));
    }
    // replaced_by must name an endpoint of the platform.
    let names: BTreeSet<String> = raw
        .iter()
        .flat_map(|(m, _)| m.endpoints.iter().map(|e| e.name.clone()))
        .collect();
    for (module, locs) in &raw {
        for ep in &module.endpoints {
            if let Some(r) = &ep.replaced_by {
                if !names.contains(r) {
                    let (line, column) = split(locs.find(&["endpoints", &ep.name, "replaced_by"]));
                    errors.push(SpecError {
                        file: PathBuf::from(&module.file),
                        line,
                        column,
                        field: format!("endpoints.{}.replaced_by", ep.name),
                        message: format!("`{r}` is not an endpoint of {}", dir_name),
                        hint: Some(
                            "name an endpoint defined in one of the platform's module files".into(),
                        ),
                    });
                }
            }
        }
    }
    check_shared_shapes(&raw, &dir_name, errors);
    for (m, _) in raw {
        modules.push(m);
    }
    for c in &spec.core {
        if !modules.iter().any(|m| m.name == *c) {
            let locs = Locations::index(&text);
            let (line, column) = split(locs.find(&["core"]));
            errors.push(SpecError {
                file: rel(root, &platform_file),
                line,
                column,
                field: "core".into(),
                message: format!("`{c}` is not a module of {dir_name}"),
                hint: Some(format!("name a file of spec/{dir_name}/ without `.yaml`")),
            });
        }
    }
    if errors.len() > before {
        return None;
    }
    let mut core = spec.core;
    if modules.iter().any(|m| m.name == SHARED) {
        core.push(SHARED.to_owned());
    }
    let catalogue = lower_errors(
        root,
        &platform_file,
        &text,
        spec.errors.as_ref(),
        spec.success_code,
        &names,
        errors,
    );
    Some(Platform {
        errors: catalogue,
        core,
        name: spec.name,
        display_name: spec.display_name,
        doc: spec.doc,
        base_url: spec.base_url,
        sandbox_url: spec.sandbox_url,
        auth_url: spec.auth_url,
        sandbox_auth_url: spec.sandbox_auth_url,
        version: spec.version,
        token_header: spec.token_header,
        success_code: spec.success_code,
        doc_root: spec.doc_root,
        routing: spec.routing,
        modules,
    })
}

/// Two modules may not each define a struct of the same shape: one definition belongs in the
/// platform's `types.yaml`, where both can use it (a struct of a module and a shared struct of the
/// same shape likewise). Structs of one module that share a shape are emitted once, the others as
/// aliases (see `emit_module`).
fn check_shared_shapes(
    modules: &[(Module, LazyLocations)],
    platform: &str,
    errors: &mut Vec<SpecError>,
) {
    let mut first: BTreeMap<Shape, (&Module, &StructDef)> = BTreeMap::new();
    // The shared file first, so a copy is always reported against it.
    let mut order: Vec<&(Module, LazyLocations)> = modules.iter().collect();
    order.sort_by_key(|(m, _)| m.name != SHARED);
    for (m, locs) in order {
        for t in &m.types {
            let TypeDef::Struct(s) = t else { continue };
            if s.fields.is_empty() {
                continue;
            }
            let key = m.shape_of(s);
            match first.get(&key) {
                Some((om, os)) if om.name != m.name => {
                    let (line, column) = split(locs.find(&["types", &s.name]));
                    let (message, hint) = if om.name == SHARED {
                        (
                            format!(
                                "`{}` has the fields of the shared type `{}` (types.yaml)",
                                s.name, os.name
                            ),
                            format!("delete `{}` and use `{}`", s.name, os.name),
                        )
                    } else {
                        (
                            format!(
                                "`{}` has the same fields as `{}` in {}",
                                s.name, os.name, om.file
                            ),
                            format!(
                                "move one definition to spec/{platform}/types.yaml and use it from both modules"
                            ),
                        )
                    };
                    errors.push(SpecError {
                        file: PathBuf::from(&m.file),
                        line,
                        column,
                        field: format!("types.{}", s.name),
                        message,
                        hint: Some(hint),
                    });
                }
                Some(_) => {}
                None => {
                    first.insert(key, (m, s));
                }
            }
        }
    }
}

/// Read, parse and lower one module file.
fn load_module(
    src: Source<'_>,
    root: &Path,
    path: &Path,
    routing: Routing,
    shared: Shared<'_>,
    errors: &mut Vec<SpecError>,
) -> Option<(Module, LazyLocations)> {
    let text = read_text(src, root, path, errors)?;
    let module_spec = parse_yaml::<ModuleSpec>(root, path, &text, errors)?;
    let stem = path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or_default()
        .to_owned();
    let mut cx = Cx {
        file: rel(root, path),
        locs: LazyLocations::new(text),
        errors,
    };
    if !naming::is_snake_ident(&stem) || naming::is_keyword(&stem) {
        cx.err(
            &[],
            format!("the module file name `{stem}` is not a snake_case Rust name"),
            Some(format!(
                "rename the file to `{}.yaml`",
                naming::suggest_field(&stem)
            )),
        );
    }
    let module = lower_module(&mut cx, &module_spec, &stem, routing, shared);
    let locs = std::mem::take(&mut cx.locs);
    Some((module, locs))
}

/// The catalogue's rows with their doc page resolved; a row naming an unknown endpoint, a doc page
/// that is not an https URL, the success code, or a second row for the same case is an error.
fn lower_errors(
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

fn split(p: Option<(usize, usize)>) -> (Option<usize>, Option<usize>) {
    match p {
        Some((l, c)) => (Some(l), Some(c)),
        None => (None, None),
    }
}

/// Validation context of one file: where errors go and how keys are located.
struct Cx<'a> {
    file: PathBuf,
    locs: LazyLocations,
    errors: &'a mut Vec<SpecError>,
}

impl Cx<'_> {
    fn err(&mut self, path: &[&str], message: String, hint: Option<String>) {
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

/// The file stem of a platform's shared types: `spec/<platform>/types.yaml`, emitted once as the
/// module `<platform>::types`, compiled with the platform, usable from every module.
pub const SHARED: &str = "types";

const BUILTINS: &[&str] = &[
    "string", "bool", "i32", "i64", "u64", "f64", "decimal", "json",
];

/// The platform's shared types, as the other modules see them: their kinds, and the structs.
type Shared<'a> = (
    &'a BTreeMap<String, Option<EnumKind>>,
    &'a BTreeMap<String, StructDef>,
);

fn lower_module(
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
    let at = ["endpoints", name];
    let before = cx.errors.len();
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
    for f in query.iter().chain(&path_fields) {
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
    // Path template placeholders and path fields must match one to one.
    let path_parts = PathPart::parse(&path);
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
    for f in &path_fields {
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

fn place_name(p: Place) -> &'static str {
    match p {
        Place::Query => "query",
        Place::Path => "path",
        Place::Body => "body",
        Place::Data => "response",
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
