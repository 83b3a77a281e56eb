//! The public API the specs define, and what changed in it.
//!
//! [`snapshot`] flattens a platform's specs into an [`ApiSnapshot`]: per endpoint its HTTP
//! method and path, cargo feature, deprecation, and every request and response field as a wire
//! path (`a.b`, `a[].b` for list items, `a{}.b` for map values) with its type, `required`, its
//! Rust name where it differs and, for enums, the values. `cargo xtask gen` keeps one per
//! platform in `api/<platform>.json` (so `gen --check` keeps it in step) and prints [`diff`]
//! between the committed snapshot and the new one; `cargo xtask api-diff --base <rev>` compares
//! the specs at a git revision with today's.
//!
//! Each [`Change`] carries its class: what it does on the wire and what it means to semver for a
//! user of the Rust crate. The rule table ([`RULES`]) is the one the README shows.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};

use serde::{Deserialize, Serialize};

use crate::ir::{Endpoint, Field, Module, Place, Platform, Ty, TypeDef};

/// The public API of one platform.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ApiSnapshot {
    /// The platform (`doudian`, `tiktok`, `douyin`).
    pub platform: String,
    /// Endpoints by dotted name.
    pub endpoints: BTreeMap<String, EndpointApi>,
}

/// One endpoint as a user of the crate sees it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EndpointApi {
    /// `POST /order/searchList`.
    pub http: String,
    /// The module (`order`).
    pub module: String,
    /// The cargo feature that compiles it.
    pub feature: String,
    /// The deprecation note, when deprecated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deprecated: Option<String>,
    /// The endpoint that replaces it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replaced_by: Option<String>,
    /// The one-line summary.
    pub summary: String,
    /// The official documentation page.
    pub doc_url: String,
    /// Request fields by wire path.
    pub request: BTreeMap<String, FieldApi>,
    /// Response fields (of `data`) by wire path.
    pub response: BTreeMap<String, FieldApi>,
}

/// One field.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FieldApi {
    /// The spec's type: `string`, `i64`, `[T]`, `{T}`, a struct or enum name.
    #[serde(rename = "type")]
    pub ty: String,
    /// Required (a plain `T` in Rust; not required is `Option<T>`).
    #[serde(default, skip_serializing_if = "is_false")]
    pub required: bool,
    /// `query` or `path` for a request field outside the body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub place: Option<String>,
    /// The Rust field name, where it is not the wire name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rust: Option<String>,
    /// An enum's wire values.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<String>,
    /// The deprecation note (with replacement and sunset), when the platform deprecated it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deprecated: Option<String>,
    /// The enum's values the platform deprecated.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deprecated_values: Vec<String>,
}

fn is_false(b: &bool) -> bool {
    !b
}

/// The snapshots of every platform of `api`, by platform.
pub fn snapshots(api: &crate::ir::Api) -> BTreeMap<String, ApiSnapshot> {
    api.platforms
        .iter()
        .map(|p| (p.name.clone(), snapshot(p)))
        .collect()
}

/// The snapshot of one platform's specs.
pub fn snapshot(p: &Platform) -> ApiSnapshot {
    let mut endpoints = BTreeMap::new();
    for m in &p.modules {
        for e in &m.endpoints {
            endpoints.insert(e.name.clone(), endpoint_api(p, m, e));
        }
    }
    ApiSnapshot {
        platform: p.name.clone(),
        endpoints,
    }
}

fn endpoint_api(p: &Platform, m: &Module, e: &Endpoint) -> EndpointApi {
    let mut request = BTreeMap::new();
    flatten(
        p,
        m,
        e.request.iter(),
        "",
        &mut request,
        &mut Vec::new(),
        true,
    );
    let mut response = BTreeMap::new();
    flatten(
        p,
        m,
        e.response.iter(),
        "",
        &mut response,
        &mut Vec::new(),
        false,
    );
    EndpointApi {
        http: format!("{} {}", e.http_method, e.path),
        module: m.name.clone(),
        feature: p.feature_of(&m.name),
        deprecated: e.deprecated.clone(),
        replaced_by: e.replaced_by.clone(),
        summary: e.summary.clone(),
        doc_url: e.doc_url.clone(),
        request,
        response,
    }
}

fn flatten<'a>(
    p: &'a Platform,
    m: &'a Module,
    fields: impl Iterator<Item = &'a Field>,
    prefix: &str,
    out: &mut BTreeMap<String, FieldApi>,
    stack: &mut Vec<String>,
    top_request: bool,
) {
    for f in fields {
        let path = format!("{prefix}{}", f.wire);
        let mut api = FieldApi {
            ty: crate::ir::type_text(&f.ty),
            required: f.required,
            place: match (top_request, f.place) {
                (true, Place::Query) => Some("query".into()),
                (true, Place::Path) => Some("path".into()),
                _ => None,
            },
            rust: (f.rust != f.wire).then(|| f.rust.clone()),
            values: Vec::new(),
            deprecated: f.deprecated.as_ref().map(|d| d.message()),
            deprecated_values: Vec::new(),
        };
        let mut nested = None;
        match f.ty.innermost() {
            Ty::Enum(name, _) => {
                if let Some((_, TypeDef::Enum(e))) = p.find_type(m, name) {
                    api.values = e.variants.iter().map(|v| v.wire.clone()).collect();
                    api.deprecated_values = e
                        .variants
                        .iter()
                        .filter(|v| v.deprecated.is_some())
                        .map(|v| v.wire.clone())
                        .collect();
                }
            }
            Ty::Struct(name) => {
                if let Some((owner, TypeDef::Struct(s))) = p.find_type(m, name) {
                    nested = Some((owner, s, name.clone()));
                }
            }
            _ => {}
        }
        out.insert(path.clone(), api);
        if let Some((owner, s, name)) = nested {
            if !stack.contains(&name) {
                stack.push(name);
                let child = format!("{path}{}.", f.ty.path_suffix());
                flatten(p, owner, s.fields.iter(), &child, out, stack, false);
                stack.pop();
            }
        }
    }
}

/// What a change does on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Wire {
    /// Nothing changes on the wire (docs).
    None,
    /// Calls that worked still work.
    Safe,
    /// Calls that worked may now fail or decode less.
    Break,
}

/// What a change means to a user of the Rust crate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Semver {
    /// Docs only.
    Patch,
    /// New API; code that compiled still compiles.
    Minor,
    /// Code that compiled may not compile (or behave) any more.
    Major,
}

/// One rule of the table: the class of one kind of change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    /// Its id, as reports and tests name it.
    pub id: &'static str,
    /// What changed.
    pub change: &'static str,
    /// On the wire.
    pub wire: Wire,
    /// For the Rust crate.
    pub semver: Semver,
    /// Why, where the crate's own shape decides it.
    pub why: &'static str,
}

macro_rules! rules {
    ($($id:literal $change:literal $wire:ident $semver:ident $why:literal;)*) => {
        /// The rule table: each kind of change, classed for typed Rust bindings whose structs
        /// are built with `..Default::default()`, whose enums have `Unknown(..)`, and whose
        /// non-required fields are `Option`s.
        pub const RULES: &[Rule] = &[$(Rule {
            id: $id,
            change: $change,
            wire: Wire::$wire,
            semver: Semver::$semver,
            why: $why,
        }),*];
    };
}

rules! {
    "endpoint-added" "endpoint or version added" Safe Minor "a new method and new types";
    "endpoint-removed" "endpoint removed" Break Major "its method and types are gone (a deprecation first gives users warnings, but the removal still breaks)";
    "endpoint-moved" "endpoint's HTTP method or path changed" Break Major "calls built for the old path fail";
    "endpoint-deprecated" "endpoint deprecated" Safe Minor "`#[deprecated]` warns; nothing stops compiling";
    "endpoint-undeprecated" "endpoint no longer deprecated" Safe Patch "a warning goes away";
    "field-deprecated" "field deprecated" Safe Minor "`#[deprecated]` warns where it is used; nothing stops compiling";
    "request-field-added" "optional request field added" Safe Minor "a new `Option` field: struct literals that end in `..Default::default()` still compile (the supported way to build a request)";
    "request-field-added-required" "request field added as required" Break Major "calls without it are refused by the platform";
    "request-field-removed" "request field removed" Break Major "code that sets it no longer compiles";
    "request-field-required" "request field optional -> required" Break Major "`Option<T>` becomes `T`, and calls without it are refused";
    "request-field-optional" "request field required -> optional" Safe Major "safe on the wire; `T` becomes `Option<T>` in Rust";
    "request-field-moved" "request field moved between query, path and body" Break Major "sent where the platform no longer reads it";
    "request-enum-value-added" "request enum value added" Safe Minor "a new variant; requests only write values";
    "request-enum-value-removed" "request enum value removed" Break Major "the variant is gone, and the platform refuses the value";
    "response-field-added" "response field added" Safe Minor "a new `Option` field on a response users read";
    "response-field-removed" "response field removed" Break Major "code that reads it no longer compiles";
    "response-field-optional" "response field required -> optional" Safe Major "safe on the wire; `T` becomes `Option<T>` in Rust";
    "response-field-required" "response field optional -> required" Safe Major "`Option<T>` becomes `T` in Rust";
    "response-enum-value-added" "response enum value added" Safe Minor "decoded as its own variant; before, as `Unknown(..)`: matches need a `_` arm, which `#[non_exhaustive]` already asks for";
    "response-enum-value-removed" "response enum value removed" Safe Major "the variant is gone in Rust";
    "type-changed" "field type changed" Break Major "the field's Rust type changes, and old values no longer decode";
    "rust-name-changed" "field's Rust name changed (same wire name)" None Major "code that names the field no longer compiles";
    "docs-changed" "summary or doc link changed" None Patch "docs only";
}

/// The rule of an id.
pub fn rule(id: &str) -> &'static Rule {
    RULES
        .iter()
        .find(|r| r.id == id)
        .unwrap_or_else(|| panic!("no rule `{id}`"))
}

/// One change between two snapshots.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    /// The platform.
    pub platform: String,
    /// The module.
    pub module: String,
    /// The endpoint's dotted name.
    pub endpoint: String,
    /// The rule's id.
    pub rule: &'static str,
    /// `request`, `response` or empty (the endpoint itself).
    pub place: &'static str,
    /// The wire path, or empty.
    pub path: String,
    /// What changed, in a few words (old -> new).
    pub detail: String,
    /// On the wire.
    pub wire: Wire,
    /// For the Rust crate.
    pub semver: Semver,
}

/// The changes from `old` to `new` (of one platform), in endpoint and path order.
pub fn diff(old: &ApiSnapshot, new: &ApiSnapshot) -> Vec<Change> {
    let platform = if new.platform.is_empty() {
        &old.platform
    } else {
        &new.platform
    };
    let mut out = Vec::new();
    let mut push = |module: &str,
                    endpoint: &str,
                    id: &'static str,
                    place: &'static str,
                    path: &str,
                    detail: String| {
        let r = rule(id);
        out.push(Change {
            platform: platform.clone(),
            module: module.to_owned(),
            endpoint: endpoint.to_owned(),
            rule: id,
            place,
            path: path.to_owned(),
            detail,
            wire: r.wire,
            semver: r.semver,
        });
    };
    let names: std::collections::BTreeSet<&String> =
        old.endpoints.keys().chain(new.endpoints.keys()).collect();
    for name in names {
        match (old.endpoints.get(name), new.endpoints.get(name)) {
            (None, Some(n)) => push(&n.module, name, "endpoint-added", "", "", n.http.clone()),
            (Some(o), None) => {
                let detail = match &o.deprecated {
                    Some(d) => format!("{} (deprecated before: {d})", o.http),
                    None => format!("{} (never deprecated)", o.http),
                };
                push(&o.module, name, "endpoint-removed", "", "", detail)
            }
            (Some(o), Some(n)) => {
                let module = n.module.as_str();
                if o.http != n.http {
                    push(
                        module,
                        name,
                        "endpoint-moved",
                        "",
                        "",
                        format!("{} -> {}", o.http, n.http),
                    );
                }
                match (&o.deprecated, &n.deprecated) {
                    (None, Some(d)) => {
                        let with = n
                            .replaced_by
                            .as_ref()
                            .map(|r| format!("; use {r}"))
                            .unwrap_or_default();
                        push(
                            module,
                            name,
                            "endpoint-deprecated",
                            "",
                            "",
                            format!("{d}{with}"),
                        )
                    }
                    (Some(_), None) => {
                        push(module, name, "endpoint-undeprecated", "", "", String::new())
                    }
                    _ => {}
                }
                if o.summary != n.summary || o.doc_url != n.doc_url {
                    let what = if o.doc_url != n.doc_url {
                        format!("doc link {} -> {}", o.doc_url, n.doc_url)
                    } else {
                        "summary".to_owned()
                    };
                    push(module, name, "docs-changed", "", "", what);
                }
                for (place, of, nf) in [
                    ("request", &o.request, &n.request),
                    ("response", &o.response, &n.response),
                ] {
                    fields(place, of, nf, &mut |id, path, detail| {
                        push(module, name, id, place, path, detail)
                    });
                }
            }
            (None, None) => {}
        }
    }
    out
}

fn fields(
    place: &'static str,
    old: &BTreeMap<String, FieldApi>,
    new: &BTreeMap<String, FieldApi>,
    push: &mut dyn FnMut(&'static str, &str, String),
) {
    let request = place == "request";
    // a path under a field that is itself added or removed is that field's change, not its own
    let under = |path: &str, set: &[&String]| {
        set.iter().any(|p| {
            path.starts_with(&format!("{p}."))
                || path.starts_with(&format!("{p}[]"))
                || path.starts_with(&format!("{p}{{}}"))
        })
    };
    let added: Vec<&String> = new.keys().filter(|k| !old.contains_key(*k)).collect();
    let removed: Vec<&String> = old.keys().filter(|k| !new.contains_key(*k)).collect();
    for path in &added {
        if under(path, &added) {
            continue;
        }
        let n = &new[*path];
        let id = match (request, n.required) {
            (true, true) => "request-field-added-required",
            (true, false) => "request-field-added",
            (false, _) => "response-field-added",
        };
        push(id, path, n.ty.clone());
    }
    for path in &removed {
        if under(path, &removed) {
            continue;
        }
        let id = if request {
            "request-field-removed"
        } else {
            "response-field-removed"
        };
        push(id, path, old[*path].ty.clone());
    }
    for (path, o) in old {
        let Some(n) = new.get(path) else { continue };
        if o.ty != n.ty {
            push("type-changed", path, format!("{} -> {}", o.ty, n.ty));
        }
        if o.required != n.required {
            let id = match (request, n.required) {
                (true, true) => "request-field-required",
                (true, false) => "request-field-optional",
                (false, true) => "response-field-required",
                (false, false) => "response-field-optional",
            };
            push(id, path, String::new());
        }
        if o.deprecated.is_none() {
            if let Some(d) = &n.deprecated {
                push("field-deprecated", path, d.clone());
            }
        }
        if o.place != n.place {
            let at = |p: &Option<String>| p.clone().unwrap_or_else(|| "body".into());
            push(
                "request-field-moved",
                path,
                format!("{} -> {}", at(&o.place), at(&n.place)),
            );
        }
        if o.rust != n.rust {
            let name = |r: &Option<String>| r.clone().unwrap_or_else(|| leaf(path).to_owned());
            push(
                "rust-name-changed",
                path,
                format!("{} -> {}", name(&o.rust), name(&n.rust)),
            );
        }
        if o.ty == n.ty {
            for v in n.values.iter().filter(|v| !o.values.contains(v)) {
                let id = if request {
                    "request-enum-value-added"
                } else {
                    "response-enum-value-added"
                };
                push(id, path, v.clone());
            }
            for v in o.values.iter().filter(|v| !n.values.contains(v)) {
                let id = if request {
                    "request-enum-value-removed"
                } else {
                    "response-enum-value-removed"
                };
                push(id, path, v.clone());
            }
        }
    }
}

fn leaf(path: &str) -> &str {
    path.rsplit(['.', ']', '}']).next().unwrap_or(path)
}

/// The highest class among `changes` (`Patch` when there are none).
pub fn impact(changes: &[Change]) -> Semver {
    changes
        .iter()
        .map(|c| c.semver)
        .max()
        .unwrap_or(Semver::Patch)
}

fn semver_word(s: Semver) -> &'static str {
    match s {
        Semver::Patch => "patch",
        Semver::Minor => "minor",
        Semver::Major => "major",
    }
}

fn wire_word(w: Wire) -> &'static str {
    match w {
        Wire::None => "none",
        Wire::Safe => "safe",
        Wire::Break => "break",
    }
}

fn summary_line(changes: &[Change], since: &str) -> String {
    if changes.is_empty() {
        return format!("api: no change to the public API since {since}\n");
    }
    let count = |s| changes.iter().filter(|c| c.semver == s).count();
    format!(
        "api: {} change(s) since {since}: {} major, {} minor, {} patch; the next release is {} (below 1.0, a major change takes a minor bump)\n",
        changes.len(),
        count(Semver::Major),
        count(Semver::Minor),
        count(Semver::Patch),
        semver_word(impact(changes)),
    )
}

fn where_(c: &Change) -> String {
    let mut s = c.endpoint.clone();
    if !c.place.is_empty() {
        let _ = write!(s, " {} {}", c.place, c.path);
    }
    s
}

/// The report as text: a summary line, then per platform and module one line per change.
pub fn render_text(changes: &[Change], since: &str) -> String {
    let mut out = summary_line(changes, since);
    let mut last = (String::new(), String::new());
    for c in changes {
        if (c.platform.as_str(), c.module.as_str()) != (last.0.as_str(), last.1.as_str()) {
            let _ = writeln!(out, "{} {}", c.platform, c.module);
            last = (c.platform.clone(), c.module.clone());
        }
        let _ = writeln!(
            out,
            "  {:<5} {:<5} {} ({}){}",
            semver_word(c.semver),
            wire_word(c.wire),
            where_(c),
            rule(c.rule).change,
            if c.detail.is_empty() {
                String::new()
            } else {
                format!(": {}", c.detail)
            },
        );
    }
    out
}

/// The report as a Markdown table.
pub fn render_markdown(changes: &[Change], since: &str) -> String {
    let mut out = summary_line(changes, since);
    if changes.is_empty() {
        return out;
    }
    out.push_str("\n| semver | wire | platform | module | endpoint | change | detail |\n");
    out.push_str("| --- | --- | --- | --- | --- | --- | --- |\n");
    for c in changes {
        let at = if c.place.is_empty() {
            String::new()
        } else {
            format!(" `{} {}`", c.place, c.path)
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | `{}`{at} | {} | {} |",
            semver_word(c.semver),
            wire_word(c.wire),
            c.platform,
            c.module,
            c.endpoint,
            rule(c.rule).change,
            c.detail.replace('|', "\\|"),
        );
    }
    out
}

/// The report as JSON: `{"since", "impact", "changes": [...]}`.
pub fn render_json(changes: &[Change], since: &str) -> String {
    let v = serde_json::json!({
        "since": since,
        "impact": impact(changes),
        "changes": changes,
    });
    serde_json::to_string_pretty(&v).expect("a report serializes") + "\n"
}

/// The rule table in Markdown (the README's).
pub fn rules_markdown() -> String {
    let mut out = String::from("| change | wire | semver | why |\n| --- | --- | --- | --- |\n");
    for r in RULES {
        let _ = writeln!(
            out,
            "| {} (`{}`) | {} | {} | {} |",
            r.change,
            r.id,
            wire_word(r.wire),
            semver_word(r.semver),
            r.why
        );
    }
    out
}

/// The text of `api/<platform>.json`.
pub fn to_file(s: &ApiSnapshot) -> String {
    serde_json::to_string_pretty(s).expect("a snapshot serializes") + "\n"
}

/// Read `api/<platform>.json` text.
pub fn from_file(text: &str) -> Result<ApiSnapshot, String> {
    serde_json::from_str(text).map_err(|e| e.to_string())
}

/// The changes between two sets of snapshots (by platform), platforms in name order.
pub fn diff_all(
    old: &BTreeMap<String, ApiSnapshot>,
    new: &BTreeMap<String, ApiSnapshot>,
) -> Vec<Change> {
    let empty = ApiSnapshot::default();
    let names: std::collections::BTreeSet<&String> = old.keys().chain(new.keys()).collect();
    let mut out = Vec::new();
    for p in names {
        let mut o = old.get(p).cloned().unwrap_or_else(|| empty.clone());
        let n = new.get(p).cloned().unwrap_or_else(|| empty.clone());
        if o.platform.is_empty() {
            o.platform = p.clone();
        }
        out.extend(diff(&o, &n));
    }
    out
}

/// The API snapshots of the project at git revision `rev` of the repository at `root`: its
/// committed `api/<platform>.json` where the revision has them, else its specs (read with
/// `git archive` and loaded with today's generator).
pub fn snapshots_at(root: &Path, rev: &str) -> Result<BTreeMap<String, ApiSnapshot>, String> {
    let listed = git(root, &["ls-tree", "--name-only", rev, &format!("{API}/")])?;
    let mut out = BTreeMap::new();
    for file in listed.lines().filter(|f| f.ends_with(".json")) {
        let text = git(root, &["show", &format!("{rev}:{file}")])?;
        let s = from_file(&text).map_err(|e| format!("{file} at {rev}: {e}"))?;
        out.insert(s.platform.clone(), s);
    }
    if !out.is_empty() {
        return Ok(out);
    }
    // one folder per call: two calls of one process may read the same revision at once
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let tmp = std::env::temp_dir().join(format!(
        "shop-api-specs-{}-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
        rev.replace(['/', '~', '^'], "_")
    ));
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp).map_err(|e| format!("cannot create {}: {e}", tmp.display()))?;
    let result = (|| {
        let mut archive = Command::new("git")
            .arg("-C")
            .arg(root)
            .args(["archive", "--format=tar", rev, "spec"])
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot run git: {e}"))?;
        let tar_in = archive.stdout.take().ok_or("no output from git")?;
        let tar = Command::new("tar")
            .arg("-x")
            .arg("-C")
            .arg(&tmp)
            .stdin(tar_in)
            .status()
            .map_err(|e| format!("cannot run tar: {e}"))?;
        let archived = archive.wait().map_err(|e| e.to_string())?;
        if !archived.success() || !tar.success() {
            return Err(format!(
                "cannot read the specs at {rev}: is it a revision of this repository?"
            ));
        }
        let api = crate::ir::load_dir(&tmp, &tmp.join("spec"))
            .map_err(|e| format!("the specs at {rev} do not load with today's generator:\n{e}"))?;
        Ok(snapshots(&api))
    })();
    let _ = std::fs::remove_dir_all(&tmp);
    result
}

const API: &str = crate::API_DIR;

fn git(root: &Path, args: &[&str]) -> Result<String, String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(root)
        .args(args)
        .output()
        .map_err(|e| format!("cannot run git: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "`git {}` failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// What the CI gate found.
#[derive(Debug, Clone)]
pub struct GateReport {
    /// The release compared with: a `v*` tag, or the commit of the last version bump.
    pub base: String,
    /// The version at the base.
    pub base_version: String,
    /// The version now.
    pub version: String,
    /// Every change since the base.
    pub changes: Vec<Change>,
    /// Breaking changes that the allow file allows, with its reason.
    pub allowed: Vec<(Change, String)>,
    /// Breaking changes that need a bump the version lacks (the gate fails when any).
    pub failing: Vec<Change>,
    /// The API at the base, by platform.
    pub old: BTreeMap<String, ApiSnapshot>,
    /// The API now, by platform.
    pub new: BTreeMap<String, ApiSnapshot>,
}

impl GateReport {
    /// Whether the gate passes.
    pub fn passes(&self) -> bool {
        self.failing.is_empty()
    }

    /// The report as text.
    pub fn render(&self) -> String {
        let mut out = format!(
            "api gate: {} (version {}) -> now (version {})\n",
            self.base, self.base_version, self.version
        );
        out.push_str(&render_text(&self.changes, &self.base));
        for (c, why) in &self.allowed {
            let _ = writeln!(
                out,
                "allowed: {} {} ({}): {why}",
                c.platform,
                where_(c),
                c.rule
            );
        }
        if self.passes() {
            out.push_str("api gate: passes\n");
        } else {
            let _ = writeln!(
                out,
                "api gate: fails: {} breaking change(s) without the version bump semver asks for ({} -> at least {}); bump the version, or allow each in {API}/allow.txt with a reason:",
                self.failing.len(),
                self.base_version,
                needed(&self.base_version)
            );
            for c in &self.failing {
                let _ = writeln!(out, "  {} {} {} {}", c.platform, c.endpoint, c.rule, c.path);
            }
        }
        out
    }
}

fn parse_version(v: &str) -> (u64, u64, u64) {
    let mut it = v
        .trim()
        .split(['.', '-', '+'])
        .map(|x| x.parse::<u64>().unwrap_or(0));
    (
        it.next().unwrap_or(0),
        it.next().unwrap_or(0),
        it.next().unwrap_or(0),
    )
}

/// The smallest version after `base` that may carry a breaking change (below 1.0, the minor).
fn needed(base: &str) -> String {
    let (ma, mi, _) = parse_version(base);
    if ma == 0 {
        format!("0.{}.0", mi + 1)
    } else {
        format!("{}.0.0", ma + 1)
    }
}

/// Whether going from `base` to `now` is the bump a breaking change needs.
pub fn bump_allows_breaking(base: &str, now: &str) -> bool {
    let (bma, bmi, _) = parse_version(base);
    let (nma, nmi, _) = parse_version(now);
    if bma == 0 {
        (nma, nmi) > (0, bmi)
    } else {
        nma > bma
    }
}

/// The workspace version in the text of a `Cargo.toml` (`version = "x.y.z"` of `[workspace.package]` or `[package]`).
pub fn manifest_version(toml: &str) -> Option<String> {
    toml.lines().map(str::trim).find_map(|l| {
        l.strip_prefix("version = \"")?
            .strip_suffix('"')
            .map(str::to_owned)
    })
}

/// The lines of an allow file (`<platform> <endpoint> <rule> <path>: <reason>`, `-` for no
/// path; `#` comments), as (key, reason).
pub fn read_allow(path: &Path) -> Vec<(String, String)> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| {
            let (key, why) = l.split_once(':')?;
            Some((
                key.split_whitespace().collect::<Vec<_>>().join(" "),
                why.trim().to_owned(),
            ))
        })
        .collect()
}

/// The allow-file key of a change.
pub fn allow_key(c: &Change) -> String {
    let path = if c.path.is_empty() {
        "-"
    } else {
        c.path.as_str()
    };
    format!("{} {} {} {path}", c.platform, c.endpoint, c.rule)
}

/// Removals in `changes` of items `old` never deprecated that `allows` gives no reason for (an
/// endpoint, a field, an enum value): users get no warning before such a removal, so the
/// generator refuses it.
pub fn unannounced_removals(
    changes: &[Change],
    old: &BTreeMap<String, ApiSnapshot>,
    allows: &[(String, String)],
) -> Vec<Change> {
    changes
        .iter()
        .filter(|c| {
            let Some(e) = old
                .get(&c.platform)
                .and_then(|s| s.endpoints.get(&c.endpoint))
            else {
                return false;
            };
            let fields = if c.place == "request" {
                &e.request
            } else {
                &e.response
            };
            let announced = match c.rule {
                "endpoint-removed" => e.deprecated.is_some(),
                "request-field-removed" | "response-field-removed" => {
                    fields.get(&c.path).is_some_and(|f| f.deprecated.is_some())
                }
                "request-enum-value-removed" | "response-enum-value-removed" => fields
                    .get(&c.path)
                    .is_some_and(|f| f.deprecated_values.contains(&c.detail)),
                _ => return false,
            };
            !announced && !allows.iter().any(|(k, _)| *k == allow_key(c))
        })
        .cloned()
        .collect()
}

/// The last release: the newest `v*` tag, else the commit that last changed the version in
/// `manifest`.
pub fn last_release(root: &Path, manifest: &str) -> Result<String, String> {
    let tag = git(root, &["describe", "--tags", "--abbrev=0", "--match", "v*"])
        .ok()
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty());
    Ok(match tag {
        Some(t) => t,
        None => {
            let c = git(
                root,
                &["log", "-n1", "--format=%h", "-G^version = ", "--", manifest],
            )?;
            let c = c.trim().to_owned();
            if c.is_empty() {
                return Err(format!(
                    "no `v*` tag and no commit that sets the version in {manifest}"
                ));
            }
            c
        }
    })
}

/// The gate: the API now against the last release (the newest `v*` tag, else the commit that
/// last changed the version in `manifest`), failing when a breaking change lands without the
/// bump semver asks for and `allow` (lines `<platform> <endpoint> <rule> <path>: <reason>`;
/// `-` for an empty path) does not give it a reason.
pub fn gate(root: &Path, manifest: &str, allow: &str) -> Result<GateReport, String> {
    let base = last_release(root, manifest)?;
    let base_version = manifest_version(&git(root, &["show", &format!("{base}:{manifest}")])?)
        .ok_or_else(|| format!("no version in {manifest} at {base}"))?;
    let version = manifest_version(
        &std::fs::read_to_string(root.join(manifest)).map_err(|e| format!("{manifest}: {e}"))?,
    )
    .ok_or_else(|| format!("no version in {manifest}"))?;
    let old = snapshots_at(root, &base)?;
    let new = snapshots(&crate::ir::load(root).map_err(|e| e.to_string())?);
    let changes = diff_all(&old, &new);
    let allows = read_allow(&root.join(allow));
    let bumped = bump_allows_breaking(&base_version, &version);
    let mut allowed = Vec::new();
    let mut failing = Vec::new();
    for c in changes.iter().filter(|c| c.semver == Semver::Major) {
        if bumped {
            continue;
        }
        let key = allow_key(c);
        match allows.iter().find(|(k, _)| *k == key) {
            Some((_, why)) => allowed.push((c.clone(), why.clone())),
            None => failing.push(c.clone()),
        }
    }
    Ok(GateReport {
        base,
        base_version,
        version,
        changes,
        allowed,
        failing,
        old,
        new,
    })
}

/// The section of a changelog that `changes` make: `### Added` / `### Changed` / `### Deprecated`
/// / `### Removed`, each item one endpoint and kind of change, with the endpoint's doc link (from
/// `docs`, the new snapshots, or the old ones for what was removed).
pub fn changelog(
    changes: &[Change],
    docs: &BTreeMap<String, ApiSnapshot>,
    old: &BTreeMap<String, ApiSnapshot>,
) -> String {
    let section = |rule: &str| match rule {
        "endpoint-added"
        | "request-field-added"
        | "response-field-added"
        | "request-enum-value-added"
        | "response-enum-value-added" => "Added",
        "endpoint-deprecated" | "field-deprecated" => "Deprecated",
        "endpoint-removed"
        | "request-field-removed"
        | "response-field-removed"
        | "request-enum-value-removed"
        | "response-enum-value-removed" => "Removed",
        _ => "Changed",
    };
    // (section, platform, endpoint, rule) -> paths/details
    let mut items: BTreeMap<(usize, &str, &str, &str), Vec<String>> = BTreeMap::new();
    let order = ["Added", "Changed", "Deprecated", "Removed"];
    for c in changes.iter().filter(|c| c.rule != "docs-changed") {
        let s = order
            .iter()
            .position(|o| *o == section(c.rule))
            .unwrap_or(1);
        let what = match (c.path.is_empty(), c.detail.is_empty()) {
            (true, _) => c.detail.clone(),
            (false, true) => format!("`{}`", c.path),
            (false, false) => format!("`{}` ({})", c.path, c.detail),
        };
        items
            .entry((s, c.platform.as_str(), c.endpoint.as_str(), c.rule))
            .or_default()
            .push(what);
    }
    let mut out = String::new();
    let mut last = usize::MAX;
    for ((s, platform, endpoint, id), whats) in &items {
        if *s != last {
            let _ = writeln!(out, "\n#### {} (from the specs)\n", order[*s]);
            last = *s;
        }
        let doc = [docs, old]
            .iter()
            .find_map(|m| m.get(*platform)?.endpoints.get(*endpoint))
            .map(|e| format!(" ([doc]({}))", e.doc_url))
            .unwrap_or_default();
        let major = if rule_semver(id) == Semver::Major {
            "**breaking** "
        } else {
            ""
        };
        const SHOWN: usize = 12;
        let mut list = whats
            .iter()
            .take(SHOWN)
            .cloned()
            .collect::<Vec<_>>()
            .join(", ");
        if whats.len() > SHOWN {
            let _ = write!(list, " and {} more", whats.len() - SHOWN);
        }
        let _ = writeln!(
            out,
            "- {major}{platform} `{endpoint}`{doc}: {}{}",
            rule(id).change,
            if list.is_empty() {
                String::new()
            } else {
                format!(": {list}")
            }
        );
    }
    if out.is_empty() {
        out.push_str("\nNo change to the public API.\n");
    }
    out
}

fn rule_semver(id: &str) -> Semver {
    rule(id).semver
}
