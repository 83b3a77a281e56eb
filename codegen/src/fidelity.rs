//! The fidelity check: `spec/` held against the official typed sources, as snapshotted under
//! `reference/<platform>/*.json` by the `tools/snapshot_*.py` scripts.
//!
//! Both sides are brought to one form: per endpoint (keyed `METHOD /path`) and per place (`query`,
//! `path`, `body`, `response`), a map from a flattened wire path (`a.b`, `a[].b` for list items,
//! `a{}.b` for map values) to a neutral type (`string`, `int`, `number`, `bool`, `object`, `any`,
//! `[T]`, `{T}`), `required` and enum values. Then:
//!
//! * a spec path the source lacks is **invented**, or a **wire mismatch** when a missing source
//!   path beside it differs only in case or `_` (`type_` for `type`);
//! * a type the source contradicts is a **type conflict**. A response `string` where the source
//!   says `int` or `number` is no conflict: the lenient decoder keeps the exact digits;
//! * `required` and enum values that disagree are reported;
//! * a source path the spec lacks is **missing**: reported, never failed, so a new upstream
//!   field shows up as work, not as a red build.
//!
//! Invented fields, wire mismatches and type conflicts fail the check unless the spec gives the
//! reason with `differs:` on the field (or on the endpoint, for all of its fields).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::{self, Write as _};
use std::path::Path;

use serde::Deserialize;

use crate::ir::{Api, Endpoint, Module, Place, Platform, Ty, TypeDef};
use crate::spec::EnumKind;

/// One field of a snapshot.
#[derive(Debug, Clone, Deserialize)]
pub struct RefField {
    /// The neutral type.
    #[serde(rename = "type")]
    pub ty: String,
    /// Required by the source.
    #[serde(default)]
    pub required: bool,
    /// Enum values.
    #[serde(default, rename = "enum")]
    pub values: Vec<serde_json::Value>,
    /// The source's example value.
    #[serde(default)]
    pub example: Option<String>,
    /// The source names a struct whose fields the snapshot does not hold.
    #[serde(default)]
    pub fields_unknown: bool,
    /// The SDK the field came from, where an endpoint merges two (`go`: no `required` facts).
    #[serde(default)]
    pub src: Option<String>,
}

/// One endpoint of a snapshot.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct RefEndpoint {
    /// Which SDK it came from.
    #[serde(default)]
    pub source: Option<String>,
    /// Query fields.
    #[serde(default)]
    pub query: BTreeMap<String, RefField>,
    /// Path fields.
    #[serde(default)]
    pub path: BTreeMap<String, RefField>,
    /// Body fields.
    #[serde(default)]
    pub body: BTreeMap<String, RefField>,
    /// The shape of `data`: `object`, `none`, or one value's type.
    #[serde(default)]
    pub data: Option<String>,
    /// The fields of `data`.
    #[serde(default)]
    pub response: BTreeMap<String, RefField>,
    /// The official doc page id, where a source ties the method to one.
    #[serde(default)]
    pub doc_id: Option<String>,
    /// Places (`body`, `response`) the snapshot's copy of the source does not hold whole.
    #[serde(default)]
    pub incomplete: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct RefFile {
    source: serde_json::Value,
    endpoints: BTreeMap<String, RefEndpoint>,
}

/// A platform's snapshot: every module file merged.
#[derive(Debug, Default)]
pub struct Snapshot {
    /// `name @ revision` of each source.
    pub sources: BTreeSet<String>,
    /// Endpoints by `METHOD /path`.
    pub endpoints: BTreeMap<String, RefEndpoint>,
}

impl Snapshot {
    /// Reads `dir/*.json`; `None` when the folder does not exist.
    pub fn read(dir: &Path) -> Result<Option<Snapshot>, String> {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return Ok(None);
        };
        let mut files: Vec<_> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        files.sort();
        let mut snap = Snapshot::default();
        for f in files {
            let text = std::fs::read_to_string(&f).map_err(|e| format!("{}: {e}", f.display()))?;
            let file: RefFile =
                serde_json::from_str(&text).map_err(|e| format!("{}: {e}", f.display()))?;
            let name = file
                .source
                .get("name")
                .and_then(|v| v.as_str())
                .unwrap_or("?");
            let rev = file
                .source
                .get("revision")
                .and_then(|v| v.as_str())
                .unwrap_or("?");
            snap.sources.insert(format!("{name} @ {rev}"));
            snap.endpoints.extend(file.endpoints);
        }
        Ok(Some(snap))
    }
}

/// What kind of difference.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    /// A spec field no source has.
    Invented,
    /// A spec field whose wire name differs from the source's only in case or `_`.
    WireMismatch,
    /// The source's type contradicts the spec's.
    TypeConflict,
    /// Required in the spec, optional in the source.
    RequiredHere,
    /// Required in the source, optional in the spec.
    OptionalHere,
    /// Enum values the source has and the spec lacks, or the reverse.
    EnumValues,
    /// The source types the field; the spec leaves it `json`.
    Untyped,
    /// An enum in the source, a free value in the spec.
    EnumUntyped,
    /// The doc link names another page than the source's.
    DocLink,
    /// A spec field where the snapshot's copy of the source is incomplete.
    Unconfirmed,
}

impl Kind {
    /// Whether the difference fails the check (unless the spec gives a reason).
    pub fn fails(self) -> bool {
        matches!(
            self,
            Kind::Invented | Kind::WireMismatch | Kind::TypeConflict
        )
    }

    fn label(self) -> &'static str {
        match self {
            Kind::Invented => "invented",
            Kind::WireMismatch => "wire name",
            Kind::TypeConflict => "type",
            Kind::RequiredHere => "required here, optional in the source",
            Kind::OptionalHere => "optional here, required in the source",
            Kind::EnumValues => "enum values",
            Kind::Untyped => "untyped (json) here",
            Kind::EnumUntyped => "enum in the source, free value here",
            Kind::DocLink => "doc link",
            Kind::Unconfirmed => "not in the source's incomplete copy",
        }
    }
}

/// One difference.
#[derive(Debug, Clone)]
pub struct Finding {
    /// What kind.
    pub kind: Kind,
    /// The endpoint's dotted name.
    pub endpoint: String,
    /// `query`, `path`, `body` or `response`.
    pub place: &'static str,
    /// The flattened wire path.
    pub path: String,
    /// What differs.
    pub detail: String,
    /// The spec's `differs:` reason, when it gives one.
    pub allowed: Option<String>,
    /// Where the spec states the field (empty for endpoint-level findings).
    pub at: String,
}

/// A source path the spec lacks.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Missing {
    /// The endpoint's dotted name.
    pub endpoint: String,
    /// `query`, `path`, `body` or `response`.
    pub place: &'static str,
    /// The flattened wire path.
    pub path: String,
    /// The source's neutral type.
    #[serde(rename = "type")]
    pub ty: String,
    /// Where the field would go: `<file> type <Name>` or `<file> endpoint <name> <place>`;
    /// `None` when its parent is missing too.
    pub container: Option<String>,
}

impl fmt::Display for Finding {
    /// `<kind> <endpoint> <place> <path>: <detail> [allowed: <reason>] @ <where the spec says it>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} {} {}: {}",
            self.kind.label(),
            self.endpoint,
            self.place,
            self.path,
            self.detail
        )?;
        if let Some(r) = &self.allowed {
            write!(f, " [allowed: {r}]")?;
        }
        if !self.at.is_empty() {
            write!(f, " @ {}", self.at)?;
        }
        Ok(())
    }
}

/// Present / missing / invented counts of one side (request or response).
#[derive(Debug, Clone, Copy, Default)]
pub struct Counts {
    /// Source paths the spec has.
    pub present: usize,
    /// Source paths the spec lacks.
    pub missing: usize,
    /// Spec paths the source lacks (allowed ones included).
    pub invented: usize,
}

impl Counts {
    /// Present as a share of the source's paths, in percent.
    pub fn percent(&self) -> f64 {
        let all = self.present + self.missing;
        if all == 0 {
            100.0
        } else {
            self.present as f64 * 100.0 / all as f64
        }
    }
}

/// The report of one platform.
#[derive(Debug, Default)]
pub struct PlatformReport {
    /// Platform name.
    pub platform: String,
    /// The snapshot's sources; empty when the platform has no snapshot.
    pub sources: Vec<String>,
    /// Current spec endpoints found in the snapshot.
    pub endpoints_present: usize,
    /// Snapshot endpoints the spec lacks (`METHOD /path`).
    pub endpoints_missing: Vec<String>,
    /// Current spec endpoints the snapshot lacks, with the spec's reason when it gives one.
    pub endpoints_extra: Vec<(String, Option<String>)>,
    /// Request fields.
    pub request: Counts,
    /// Response fields.
    pub response: Counts,
    /// Source enum fields of the request, and how many of them the spec types as enums.
    pub request_enums: (usize, usize),
    /// Current endpoints without response fields: (saying `no_data:` why, saying nothing).
    pub no_response: (usize, usize),
    /// Examples: (official, built from the fields).
    pub examples: (usize, usize),
    /// Doc links: (confirmed, unconfirmed).
    pub doc_links: (usize, usize),
    /// Every difference.
    pub findings: Vec<Finding>,
    /// Missing source paths, for the `--missing` listing and `--json`.
    pub missing: Vec<Missing>,
    /// Fields of named structs that some source confirms at some place the struct is used.
    confirmed: BTreeSet<(String, String)>,
    /// Per invented finding (in order), the struct field it belongs to.
    owners: Vec<Option<(String, String)>>,
    /// Spec response paths no typed source has but the endpoint's official sample response does.
    pub sample_confirmed: usize,
    /// Fields of a shared struct that a source confirms where the struct is used elsewhere,
    /// though not at this place.
    pub shared_extras: usize,
}

impl PlatformReport {
    /// Differences that fail the check.
    pub fn failures(&self) -> impl Iterator<Item = &Finding> {
        self.findings
            .iter()
            .filter(|f| f.kind.fails() && f.allowed.is_none())
    }

    fn count(&self, kind: Kind) -> usize {
        self.findings.iter().filter(|f| f.kind == kind).count()
    }
}

/// The whole report.
#[derive(Debug, Default)]
pub struct Report {
    /// One per platform.
    pub platforms: Vec<PlatformReport>,
}

impl Report {
    /// Whether nothing fails.
    pub fn passes(&self) -> bool {
        self.platforms.iter().all(|p| p.failures().next().is_none())
    }
}

/// The marker over an example built from the spec's fields (the coverage test counts it too).
pub const BUILT_EXAMPLE: &str = "# Example built from the fields";

/// Compares every platform of `api` with the snapshots under `reference_dir/<platform>/`, reading
/// the module files under `root` for the example markers.
pub fn check(api: &Api, root: &Path, reference_dir: &Path) -> Result<Report, String> {
    let mut report = Report::default();
    for p in &api.platforms {
        let snap = Snapshot::read(&reference_dir.join(&p.name))?;
        report
            .platforms
            .push(check_platform(p, root, snap.as_ref()));
    }
    Ok(report)
}

/// A flattened side of an endpoint: path -> (neutral type, required, enum values, differs).
type Flat = BTreeMap<String, SpecPath>;

#[derive(Debug, Clone)]
struct SpecPath {
    ty: String,
    required: bool,
    values: Vec<String>,
    differs: Option<String>,
    /// The named struct that holds the field (`module::Name`) and its wire name; `None` for an
    /// endpoint's own top-level fields.
    owner: Option<(String, String)>,
    /// Where the spec states it: `<file> type <Name> <key>` or `<file> endpoint <name> <place> <key>`.
    at: String,
    /// Where its own fields are stated, when it is a struct: `<file> type <Name>`.
    child_at: Option<String>,
}

fn neutral(ty: &Ty) -> String {
    match ty {
        Ty::String => "string".into(),
        Ty::Bool => "bool".into(),
        Ty::I32 | Ty::I64 | Ty::U64 => "int".into(),
        Ty::F64 | Ty::Decimal => "number".into(),
        Ty::Json => "any".into(),
        Ty::List(t) => format!("[{}]", neutral(t)),
        Ty::Map(t) => format!("{{{}}}", neutral(t)),
        Ty::Struct(_) => "object".into(),
        Ty::Enum(_, EnumKind::String) => "string".into(),
        Ty::Enum(_, EnumKind::Int) => "int".into(),
    }
}

fn flatten<'a>(
    p: &'a Platform,
    m: &'a Module,
    fields: impl Iterator<Item = &'a crate::ir::Field>,
    prefix: &str,
    out: &mut Flat,
    stack: &mut Vec<String>,
    top: &str,
) {
    let holder = stack.last().map(|s| format!("{}::{s}", m.name));
    for f in fields {
        let at = match stack.last() {
            Some(s) => format!("{} type {s} {}", m.file, f.rust),
            None => format!("{top} {}", f.rust),
        };
        let path = format!("{prefix}{}", f.wire);
        let mut values = Vec::new();
        let inner = f.ty.innermost();
        let mut nested = None;
        match inner {
            Ty::Enum(name, _) => {
                if let Some((_, TypeDef::Enum(e))) = p.find_type(m, name) {
                    values = e.variants.iter().map(|v| v.wire.clone()).collect();
                }
            }
            Ty::Struct(name) => {
                if let Some((owner, TypeDef::Struct(s))) = p.find_type(m, name) {
                    nested = Some((owner, s, name.clone()));
                }
            }
            _ => {}
        }
        out.insert(
            path.clone(),
            SpecPath {
                ty: neutral(&f.ty),
                required: f.required,
                values,
                differs: f.differs.clone(),
                owner: holder.clone().map(|h| (h, f.wire.clone())),
                at,
                child_at: None,
            },
        );
        let child_at = nested
            .as_ref()
            .map(|(owner, _, name)| format!("{} type {name}", owner.file));
        if let Some(x) = out.get_mut(&path) {
            x.child_at = child_at;
        }
        if let Some((owner, s, name)) = nested {
            if !stack.contains(&name) {
                stack.push(name);
                let child = format!("{path}{}.", f.ty.path_suffix());
                flatten(p, owner, s.fields.iter(), &child, out, stack, top);
                stack.pop();
            }
        }
    }
}

fn norm(s: &str) -> String {
    s.chars()
        .filter(|c| *c != '_')
        .flat_map(char::to_lowercase)
        .collect()
}

fn parent_and_leaf(path: &str) -> (&str, &str) {
    match path.rfind('.') {
        Some(i) => (&path[..=i], &path[i + 1..]),
        None => ("", path),
    }
}

/// Whether the spec's neutral type `spec` may stand for the source's `source` in `place`.
fn compatible(spec: &str, source: &str, response: bool) -> bool {
    if spec == source || source == "any" || spec == "any" {
        return true;
    }
    match (spec.strip_prefix('['), source.strip_prefix('[')) {
        (Some(a), Some(b)) => return compatible(&a[..a.len() - 1], &b[..b.len() - 1], response),
        (None, Some(_)) | (Some(_), None) => return false,
        _ => {}
    }
    match (spec.strip_prefix('{'), source.strip_prefix('{')) {
        (Some(a), Some(b)) => return compatible(&a[..a.len() - 1], &b[..b.len() - 1], response),
        // a map the source leaves open may be modelled as a struct of its known keys
        (None, Some(b)) => return spec == "object" && b == "any}",
        (Some(_), None) => return source == "object",
        _ => {}
    }
    // The lenient decoder reads a number into a `String` with its exact digits.
    response && spec == "string" && (source == "int" || source == "number")
        // an `f64` holds every integer the platform sends below 2^53
        || response && spec == "number" && source == "int"
}

/// One side of an endpoint to compare: a request place or the response.
struct Side<'a> {
    /// `query`, `path`, `body` or `response`.
    place: &'static str,
    /// The spec's paths.
    spec: &'a Flat,
    /// The source's paths.
    source: &'a BTreeMap<String, RefField>,
    /// The paths of the endpoint's official sample response (empty for a request side).
    sample: &'a BTreeSet<String>,
    /// The snapshot's copy of the source lacks this side's root.
    incomplete: bool,
    /// The source states `required` here.
    knows_required: bool,
    /// Where the side's own fields are stated (`<file> endpoint <name> <place>`).
    top: &'a str,
}

fn compare(report: &mut PlatformReport, endpoint: &Endpoint, side: Side<'_>) {
    let Side {
        place,
        spec,
        source,
        sample,
        incomplete,
        knows_required,
        top,
    } = side;
    let response = place == "response";
    let ep_reason = endpoint.differs.clone();
    let name = endpoint.name.clone();
    let mut counts = Counts::default();
    // children of a spec `json` field count as missing, and are reported once as untyped
    let untyped: Vec<&String> = spec
        .iter()
        .filter(|(_, s)| s.ty == "any" || s.ty == "[any]" || s.ty == "{any}")
        .map(|(k, _)| k)
        .collect();
    for (path, r) in source {
        match spec.get(path) {
            Some(s) => {
                counts.present += 1;
                if let Some(o) = &s.owner {
                    report.confirmed.insert(o.clone());
                }
                let allowed = s.differs.clone().or_else(|| ep_reason.clone());
                let finding = |kind, detail: String| Finding {
                    kind,
                    endpoint: name.clone(),
                    place,
                    path: path.clone(),
                    detail,
                    allowed: allowed.clone(),
                    at: s.at.clone(),
                };
                if (s.ty == "any" || s.ty == "[any]" || s.ty == "{any}")
                    && !(r.ty == "any" || r.ty == "{any}")
                {
                    report.findings.push(finding(
                        Kind::Untyped,
                        format!("the source says `{}`", r.ty),
                    ));
                } else if !compatible(&s.ty, &r.ty, response) {
                    report.findings.push(finding(
                        Kind::TypeConflict,
                        format!("`{}` here, `{}` in the source", s.ty, r.ty),
                    ));
                }
                let knows = knows_required && r.src.as_deref() != Some("go");
                if knows && !response && s.required && !r.required {
                    report
                        .findings
                        .push(finding(Kind::RequiredHere, String::new()));
                }
                if knows && !response && !s.required && r.required {
                    report
                        .findings
                        .push(finding(Kind::OptionalHere, String::new()));
                }
                if !r.values.is_empty() {
                    let theirs: BTreeSet<String> = r.values.iter().map(value_text).collect();
                    if s.values.is_empty() {
                        if !response {
                            report.request_enums.0 += 1;
                        }
                        report.findings.push(finding(
                            Kind::EnumUntyped,
                            format!("{} values", theirs.len()),
                        ));
                    } else {
                        if !response {
                            report.request_enums.0 += 1;
                            report.request_enums.1 += 1;
                        }
                        let ours: BTreeSet<String> = s.values.iter().cloned().collect();
                        let lack: Vec<_> = theirs.difference(&ours).cloned().collect();
                        let extra: Vec<_> = ours.difference(&theirs).cloned().collect();
                        if !lack.is_empty() || !extra.is_empty() {
                            report.findings.push(finding(
                                Kind::EnumValues,
                                format!("missing {lack:?}, not in the source {extra:?}"),
                            ));
                        }
                    }
                }
            }
            None => {
                counts.missing += 1;
                if !untyped.iter().any(|u| path.starts_with(u.as_str())) {
                    let (parent, _) = parent_and_leaf(path);
                    let parent = parent
                        .trim_end_matches('.')
                        .trim_end_matches("[]")
                        .trim_end_matches("{}")
                        .trim_end_matches("[]");
                    let container = if parent.is_empty() {
                        Some(top.to_owned())
                    } else {
                        spec.get(parent).and_then(|x| x.child_at.clone())
                    };
                    report.missing.push(Missing {
                        endpoint: name.clone(),
                        place,
                        path: path.clone(),
                        ty: r.ty.clone(),
                        container,
                    });
                }
            }
        }
    }
    for (path, s) in spec {
        if source.contains_key(path) {
            continue;
        }
        // below a field the source leaves open (`any`, `{any}`), the spec may name more
        let (parent, leaf) = parent_and_leaf(path);
        if source.iter().any(|(k, r)| {
            (r.ty == "any" || r.ty == "{any}" || r.ty == "[any]" || r.fields_unknown)
                && path.starts_with(k.as_str())
                && path.len() > k.len()
        }) {
            continue;
        }
        // a path of the endpoint's official sample response is confirmed by that sample
        if sample.contains(path) {
            report.sample_confirmed += 1;
            if let Some(o) = &s.owner {
                report.confirmed.insert(o.clone());
            }
            continue;
        }
        if !incomplete {
            counts.invented += 1;
        }
        let near = source.keys().find(|k| {
            let (kp, kl) = parent_and_leaf(k);
            kp == parent && norm(kl) == norm(leaf) && !spec.contains_key(*k)
        });
        let (kind, detail) = match near {
            Some(k) => (Kind::WireMismatch, format!("the source sends `{k}`")),
            None if incomplete => (
                Kind::Unconfirmed,
                "the snapshot's copy lacks this place".to_string(),
            ),
            None => (Kind::Invented, "no source has it".to_string()),
        };
        report.findings.push(Finding {
            kind,
            endpoint: name.clone(),
            place,
            path: path.clone(),
            detail,
            allowed: s.differs.clone().or_else(|| ep_reason.clone()),
            at: s.at.clone(),
        });
        report.owners.push(s.owner.clone());
    }
    let side = if response {
        &mut report.response
    } else {
        &mut report.request
    };
    side.present += counts.present;
    side.missing += counts.missing;
    side.invented += counts.invented;
}

fn value_text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The flattened paths of `data` in an example response body.
fn example_paths(example: &str) -> BTreeSet<String> {
    fn walk(v: &serde_json::Value, prefix: &str, out: &mut BTreeSet<String>) {
        match v {
            serde_json::Value::Object(m) => {
                for (k, x) in m {
                    let path = format!("{prefix}{k}");
                    out.insert(path.clone());
                    match x {
                        serde_json::Value::Array(items) => {
                            for item in items {
                                walk_item(item, &format!("{path}[]"), out);
                            }
                        }
                        other => walk(other, &format!("{path}."), out),
                    }
                }
            }
            serde_json::Value::Array(items) => {
                for item in items {
                    walk(item, prefix, out);
                }
            }
            _ => {}
        }
    }
    fn walk_item(v: &serde_json::Value, path: &str, out: &mut BTreeSet<String>) {
        match v {
            serde_json::Value::Array(items) => {
                for item in items {
                    walk_item(item, &format!("{path}[]"), out);
                }
            }
            other => walk(other, &format!("{path}."), out),
        }
    }
    let mut out = BTreeSet::new();
    if let Ok(body) = serde_json::from_str::<serde_json::Value>(example) {
        if let Some(data) = body.get("data") {
            walk(data, "", &mut out);
        }
    }
    out
}

fn endpoint_key(e: &Endpoint) -> String {
    format!("{} {}", e.http_method, e.path)
}

/// Which endpoints of a module file have an example built from the fields: the marker stands
/// between the endpoint's key and the next one.
fn built_examples(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut current: Option<String> = None;
    let mut in_endpoints = false;
    for line in text.lines() {
        if !line.starts_with(' ') && !line.starts_with('#') && !line.is_empty() {
            in_endpoints = line.trim_end() == "endpoints:";
            current = None;
            continue;
        }
        if in_endpoints {
            let t = line.trim_start();
            let indent = line.len() - t.len();
            if indent == 2 && !t.starts_with('#') && t.ends_with(':') {
                current = Some(t.trim_end_matches(':').trim_matches('"').to_owned());
            } else if t.starts_with(BUILT_EXAMPLE) {
                if let Some(c) = &current {
                    out.insert(c.clone());
                }
            }
        }
    }
    out
}

fn check_platform(p: &Platform, root: &Path, snap: Option<&Snapshot>) -> PlatformReport {
    let mut report = PlatformReport {
        platform: p.name.clone(),
        ..Default::default()
    };
    let mut seen = BTreeSet::new();
    let mut pages: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for m in &p.modules {
        let text = std::fs::read_to_string(root.join(&m.file)).unwrap_or_default();
        let built = built_examples(&text);
        for e in &m.endpoints {
            // a deprecated endpoint is still compared (users still call it), not counted
            let current = e.deprecated.is_none();
            if current && e.response.is_empty() {
                if e.no_data.is_some() {
                    report.no_response.0 += 1;
                } else {
                    report.no_response.1 += 1;
                }
            }
            if current && e.example.is_some() {
                if built.contains(&e.name) {
                    report.examples.1 += 1;
                } else {
                    report.examples.0 += 1;
                }
            }
            if current {
                if crate::ir::doc_page_confirmed(&e.doc_url) {
                    report.doc_links.0 += 1;
                    let names = pages.entry(e.doc_url.clone()).or_default();
                    names.push(e.name.clone());
                } else {
                    report.doc_links.1 += 1;
                }
            }
            let Some(snap) = snap else { continue };
            let key = endpoint_key(e);
            let Some(r) = snap.endpoints.get(&key) else {
                if current {
                    report
                        .endpoints_extra
                        .push((e.name.clone(), e.differs.clone()));
                }
                continue;
            };
            seen.insert(key);
            if current {
                report.endpoints_present += 1;
            }
            if let Some(id) = &r.doc_id {
                if crate::ir::doc_page_confirmed(&e.doc_url)
                    && !e.doc_url.ends_with(&format!("/{id}"))
                {
                    report.findings.push(Finding {
                        kind: Kind::DocLink,
                        endpoint: e.name.clone(),
                        place: "doc_url",
                        path: e.doc_url.clone(),
                        detail: format!("the source names page {id}"),
                        allowed: e.differs.clone(),
                        at: String::new(),
                    });
                }
            }
            for (place, which, source) in [
                ("query", Place::Query, &r.query),
                ("path", Place::Path, &r.path),
                ("body", Place::Body, &r.body),
            ] {
                let mut flat = Flat::new();
                let fields = e.request.iter().filter(|f| f.place == which);
                let top = format!("{} endpoint {} {place}", m.file, e.name);
                flatten(p, m, fields, "", &mut flat, &mut Vec::new(), &top);
                let incomplete = r.incomplete.iter().any(|x| x == place);
                let knows = r.source.as_deref() != Some("go");
                let none = BTreeSet::new();
                let side = Side {
                    place,
                    spec: &flat,
                    source,
                    sample: &none,
                    incomplete,
                    knows_required: knows,
                    top: &top,
                };
                compare(&mut report, e, side);
            }
            // `data` as one value: the source's tree sits under `data`, as the spec's one field
            let value_here = e.has(crate::ir::FlagKind::DataValue)
                || (e.response.len() == 1 && e.response[0].wire == "data");
            let shape = r.data.as_deref().unwrap_or("object");
            let value_there = shape != "object" && shape != "none";
            if value_there && !value_here {
                report.findings.push(Finding {
                    kind: Kind::TypeConflict,
                    endpoint: e.name.clone(),
                    place: "response",
                    path: "data".into(),
                    detail: format!(
                        "the source's `data` is one value (`{shape}`): give the endpoint one field `data` and the flag `data_value`"
                    ),
                    allowed: e.differs.clone(),
                    at: String::new(),
                });
                continue;
            }
            // `data_value` decodes the value and an object holding it under `data` alike: a
            // source that reads the value's fields at the top of `data` is brought under `data`.
            let nested;
            let source_response = if e.has(crate::ir::FlagKind::DataValue)
                && !value_there
                && !r.response.is_empty()
                && !r.response.keys().all(|k| {
                    k == "data"
                        || k.starts_with("data.")
                        || k.starts_with("data[")
                        || k.starts_with("data{")
                }) {
                let mut m = BTreeMap::new();
                m.insert(
                    "data".to_string(),
                    RefField {
                        ty: "object".into(),
                        required: false,
                        values: Vec::new(),
                        example: None,
                        fields_unknown: false,
                        src: None,
                    },
                );
                for (k, v) in &r.response {
                    m.insert(format!("data.{k}"), v.clone());
                }
                nested = m;
                &nested
            } else {
                &r.response
            };
            let mut flat = Flat::new();
            let top = format!("{} endpoint {} response", m.file, e.name);
            flatten(
                p,
                m,
                e.response.iter(),
                "",
                &mut flat,
                &mut Vec::new(),
                &top,
            );
            let sample = match &e.example {
                Some(x) if !built.contains(&e.name) => example_paths(x),
                _ => BTreeSet::new(),
            };
            let incomplete = r.incomplete.iter().any(|x| x == "response");
            let side = Side {
                place: "response",
                spec: &flat,
                source: source_response,
                sample: &sample,
                incomplete,
                knows_required: false,
                top: &top,
            };
            compare(&mut report, e, side);
        }
    }
    // A field of a struct used in several places is no invention where a source confirms it at
    // another place: the spec states the struct once.
    let mut owners = std::mem::take(&mut report.owners).into_iter();
    let confirmed = std::mem::take(&mut report.confirmed);
    let mut extras = 0;
    let mut extras_response = 0;
    report.findings.retain(|f| {
        if !matches!(
            f.kind,
            Kind::Invented | Kind::WireMismatch | Kind::Unconfirmed
        ) {
            return true;
        }
        let owner = owners.next().flatten();
        let shared = matches!(f.kind, Kind::Invented | Kind::Unconfirmed)
            && owner.is_some_and(|o| confirmed.contains(&o));
        if shared && f.kind == Kind::Invented {
            extras += 1;
            if f.place == "response" {
                extras_response += 1;
            }
        }
        !shared
    });
    report.shared_extras = extras;
    report.response.invented -= extras_response;
    report.request.invented -= extras - extras_response;
    for (url, names) in pages {
        if names.len() > 1 {
            report.findings.push(Finding {
                kind: Kind::DocLink,
                endpoint: names.join(", "),
                place: "doc_url",
                path: url,
                detail: "one page linked by several endpoints".into(),
                allowed: None,
                at: String::new(),
            });
        }
    }
    if let Some(snap) = snap {
        report.sources = snap.sources.iter().cloned().collect();
        // an endpoint the spec keeps only as deprecated is not missing
        let deprecated: BTreeSet<String> = p
            .modules
            .iter()
            .flat_map(|m| &m.endpoints)
            .filter(|e| e.deprecated.is_some())
            .map(endpoint_key)
            .collect();
        report.endpoints_missing = snap
            .endpoints
            .keys()
            .filter(|k| !seen.contains(*k) && !deprecated.contains(*k))
            .cloned()
            .collect();
    }
    report
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.table())?;
        writeln!(f)?;
        for p in &self.platforms {
            for s in &p.sources {
                writeln!(f, "{}: {s}", p.platform)?;
            }
        }
        let mut out = String::new();
        for p in &self.platforms {
            for x in p.failures() {
                let _ = writeln!(out, "FAIL {} {x}", p.platform);
            }
        }
        if !out.is_empty() {
            writeln!(f)?;
            f.write_str(&out)?;
        }
        Ok(())
    }
}

impl Report {
    /// The Markdown table of the counts, one row per platform (the README shows it).
    pub fn table(&self) -> String {
        let mut f = String::new();
        let _ = writeln!(
            f,
            "| platform | endpoints present / missing / extra | request fields present / missing / invented | response fields present / missing / invented | wire | type | required | enums typed | untyped | no response: no data / unknown | examples official / built | doc links confirmed / unconfirmed |"
        );
        let _ = writeln!(
            f,
            "| --- | --- | --- | --- | ---: | ---: | ---: | --- | ---: | --- | --- | --- |"
        );
        for p in &self.platforms {
            let ends = if p.sources.is_empty() {
                "no snapshot".to_string()
            } else {
                format!(
                    "{} / {} / {}",
                    p.endpoints_present,
                    p.endpoints_missing.len(),
                    p.endpoints_extra.len()
                )
            };
            let side = |c: &Counts| {
                if p.sources.is_empty() {
                    "-".to_string()
                } else {
                    format!(
                        "{} / {} / {} ({:.1}%)",
                        c.present,
                        c.missing,
                        c.invented,
                        c.percent()
                    )
                }
            };
            let enums = if p.request_enums.0 == 0 {
                "-".to_string()
            } else {
                format!(
                    "{} / {} ({:.1}%)",
                    p.request_enums.1,
                    p.request_enums.0,
                    p.request_enums.1 as f64 * 100.0 / p.request_enums.0 as f64
                )
            };
            let _ = writeln!(
                f,
                "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} / {} | {} / {} | {} / {} |",
                p.platform,
                ends,
                side(&p.request),
                side(&p.response),
                p.count(Kind::WireMismatch),
                p.count(Kind::TypeConflict),
                p.count(Kind::RequiredHere) + p.count(Kind::OptionalHere),
                enums,
                p.count(Kind::Untyped),
                p.no_response.0,
                p.no_response.1,
                p.examples.0,
                p.examples.1,
                p.doc_links.0,
                p.doc_links.1,
            );
        }
        f
    }
}

impl Report {
    /// Every finding of the given kinds, one per line (`--list KIND`).
    pub fn listing(&self, kinds: &[Kind], missing: bool) -> String {
        let mut out = String::new();
        for p in &self.platforms {
            for x in &p.findings {
                if kinds.contains(&x.kind) {
                    let _ = writeln!(out, "{} {x}", p.platform);
                }
            }
            if missing {
                for e in &p.endpoints_missing {
                    let _ = writeln!(out, "{} endpoint missing {e}", p.platform);
                }
                for (e, why) in &p.endpoints_extra {
                    let _ = writeln!(
                        out,
                        "{} endpoint not in the source {e}{}",
                        p.platform,
                        why.as_ref()
                            .map(|r| format!(" [allowed: {r}]"))
                            .unwrap_or_default()
                    );
                }
                for m in &p.missing {
                    let _ = writeln!(
                        out,
                        "{} missing {} {} {}: {}",
                        p.platform, m.endpoint, m.place, m.path, m.ty
                    );
                }
            }
        }
        out
    }
}

impl Report {
    /// Every missing source path of every platform, and every free value the source types as an
    /// enum, as JSON (`--json`), for the drafting tools.
    pub fn missing_json(&self) -> String {
        #[derive(serde::Serialize)]
        struct Untyped<'a> {
            endpoint: &'a str,
            place: &'a str,
            path: &'a str,
            at: &'a str,
        }
        let missing: BTreeMap<&str, &Vec<Missing>> = self
            .platforms
            .iter()
            .map(|p| (p.platform.as_str(), &p.missing))
            .collect();
        let of_kind = |kind: Kind| -> BTreeMap<&str, Vec<Untyped<'_>>> {
            self.platforms
                .iter()
                .map(|p| {
                    let list = p
                        .findings
                        .iter()
                        .filter(|f| f.kind == kind)
                        .map(|f| Untyped {
                            endpoint: &f.endpoint,
                            place: f.place,
                            path: &f.path,
                            at: &f.at,
                        })
                        .collect();
                    (p.platform.as_str(), list)
                })
                .collect()
        };
        serde_json::to_string_pretty(&serde_json::json!({
            "missing": missing,
            "enum_untyped": of_kind(Kind::EnumUntyped),
            "untyped": of_kind(Kind::Untyped),
        }))
        .unwrap_or_default()
    }
}

/// Parses a `--list` kind.
pub fn kind_named(name: &str) -> Option<Kind> {
    Some(match name {
        "invented" => Kind::Invented,
        "wire" => Kind::WireMismatch,
        "type" => Kind::TypeConflict,
        "required" => Kind::RequiredHere,
        "optional" => Kind::OptionalHere,
        "enum" => Kind::EnumValues,
        "untyped" => Kind::Untyped,
        "enum-untyped" => Kind::EnumUntyped,
        "doc" => Kind::DocLink,
        "unconfirmed" => Kind::Unconfirmed,
        _ => return None,
    })
}

/// `METHOD /path` with its version segment (six digits, TikTok Shop's `202309`) taken out, and
/// that version.
fn unversioned(key: &str) -> (String, Option<u32>) {
    let mut version = None;
    let parts: Vec<&str> = key
        .split('/')
        .filter(|s| {
            let v = s.len() == 6 && s.bytes().all(|b| b.is_ascii_digit());
            if v {
                version = s.parse().ok();
            }
            !v
        })
        .collect();
    (parts.join("/"), version)
}

/// What upstream has that the specs lack or state differently, from the fidelity report: new
/// endpoints, newer versions of endpoints the specs have, new fields per endpoint, and fields the
/// source types otherwise. The input of the drafting tools (`cargo xtask drift`).
pub fn drift(api: &Api, report: &Report) -> String {
    let mut out = String::new();
    for pr in &report.platforms {
        if pr.sources.is_empty() {
            let _ = writeln!(
                out,
                "{}: no snapshot of an official source; nothing to compare",
                pr.platform
            );
            continue;
        }
        let Some(p) = api.platforms.iter().find(|p| p.name == pr.platform) else {
            continue;
        };
        // what the specs have, by path without its version
        let mut ours: BTreeMap<String, Vec<(u32, String)>> = BTreeMap::new();
        for e in p.modules.iter().flat_map(|m| &m.endpoints) {
            let (bare, v) = unversioned(&endpoint_key(e));
            ours.entry(bare)
                .or_default()
                .push((v.unwrap_or(0), e.name.clone()));
        }
        let mut newer = Vec::new();
        let mut new = Vec::new();
        for key in &pr.endpoints_missing {
            let (bare, v) = unversioned(key);
            match (ours.get(&bare), v) {
                (Some(have), Some(v)) if have.iter().all(|(hv, _)| *hv < v) => {
                    let (hv, name) = have.iter().max().expect("not empty");
                    newer.push(format!("{key} (the specs have {hv}: {name})"));
                }
                (Some(_), _) => {} // an older version the specs replaced
                (None, _) => new.push(key.clone()),
            }
        }
        let mut fields: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for m in &pr.missing {
            fields
                .entry(m.endpoint.as_str())
                .or_default()
                .push(m.path.as_str());
        }
        let retyped: Vec<&Finding> = pr
            .findings
            .iter()
            .filter(|f| {
                matches!(
                    f.kind,
                    Kind::TypeConflict | Kind::Untyped | Kind::EnumUntyped | Kind::WireMismatch
                ) && f.allowed.is_none()
            })
            .collect();
        let _ = writeln!(
            out,
            "{}: {} new endpoint(s), {} newer version(s), {} new field(s) in {} endpoint(s), {} field(s) typed otherwise",
            pr.platform,
            new.len(),
            newer.len(),
            pr.missing.len(),
            fields.len(),
            retyped.len()
        );
        for k in &new {
            let _ = writeln!(out, "  new endpoint {k}");
        }
        for k in &newer {
            let _ = writeln!(out, "  newer version {k}");
        }
        for (e, paths) in &fields {
            let shown: Vec<&str> = paths.iter().take(6).copied().collect();
            let more = paths.len().saturating_sub(shown.len());
            let _ = writeln!(
                out,
                "  new fields {e}: {}{}",
                shown.join(", "),
                if more > 0 {
                    format!(" and {more} more")
                } else {
                    String::new()
                }
            );
        }
        for f in &retyped {
            let _ = writeln!(out, "  typed otherwise {f}");
        }
    }
    out.push_str(
        "draft: cargo xtask fidelity --json > /tmp/missing.json; python3 tools/fill_from_reference.py --missing /tmp/missing.json --platform <p> [--retype] [--enums]; new endpoints: tools/draft_*.py\n",
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_response_string_stands_for_a_number_but_a_request_string_does_not() {
        assert!(compatible("string", "int", true));
        assert!(!compatible("string", "int", false));
        assert!(!compatible("int", "string", true));
        assert!(compatible("[string]", "[int]", true));
        assert!(!compatible("[string]", "string", true));
        assert!(compatible("object", "{any}", true));
        assert!(compatible("any", "object", false));
    }

    #[test]
    fn built_examples_are_found_under_their_endpoint() {
        let text = "doc: x\nendpoints:\n  a.b:\n    summary: s\n    # Example built from the fields.\n    example: |\n      {}\n  a.c:\n    example: |\n      {}\n";
        let got = built_examples(text);
        assert!(got.contains("a.b"));
        assert!(!got.contains("a.c"));
    }

    #[test]
    fn a_wire_name_that_differs_in_underscores_is_a_mismatch_not_an_invention() {
        assert_eq!(norm("type_"), norm("type"));
        assert_eq!(parent_and_leaf("a[].b"), ("a[].", "b"));
    }

    #[test]
    fn a_path_without_its_version_names_the_same_endpoint_across_versions() {
        assert_eq!(
            unversioned("POST /order/202309/orders/search"),
            ("POST /order/orders/search".to_owned(), Some(202309))
        );
        assert_eq!(
            unversioned("POST /order/202507/orders/search").0,
            unversioned("POST /order/202309/orders/search").0
        );
        assert_eq!(
            unversioned("POST /order/searchList"),
            ("POST /order/searchList".to_owned(), None)
        );
    }
}
