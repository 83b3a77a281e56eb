//! Stage two of three: loading. Reads the spec folder (from disk or compiled in), parses each
//! platform's `platform.yaml` and module files (the shared `types.yaml` first, the others on all
//! cores), hands each to lowering, and checks what spans files: the platform's name, client
//! method names, `replaced_by`, `core`, and structs of one shape defined in two modules.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use super::lower::{Cx, Shared, lower_envelope, lower_errors, lower_module, split};
use super::model::{
    Api, Module, Place, Platform, SHARED, Shape, StructDef, Ty, TypeDef, type_text,
};
use crate::error::{SpecError, SpecErrors};
use crate::locate::{LazyLocations, Locations};
use crate::naming;
use crate::pool::parallel_map;
use crate::source::{Source, parse_yaml, read_text, rel};
use crate::spec::{CheckRule, CheckSpec, EnumKind, ModuleSpec, PlatformSpec, Routing};

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
    let envelope = lower_envelope(
        root,
        &platform_file,
        &text,
        &spec.envelope,
        spec.success_code,
        errors,
    );
    check_checks(root, &platform_file, &text, &spec.checks, &modules, errors);
    Some(Platform {
        errors: catalogue,
        envelope,
        checks: spec.checks,
        auth: spec.auth,
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

/// `checks:` of platform.yaml: each names an endpoint of the platform and a top-level body field
/// of it whose type fits the rule (a number for `positive`, a string for `non_empty`).
fn check_checks(
    root: &Path,
    platform_file: &Path,
    text: &str,
    checks: &[CheckSpec],
    modules: &[Module],
    errors: &mut Vec<SpecError>,
) {
    let locs = Locations::index(text);
    for (i, c) in checks.iter().enumerate() {
        let ep = modules
            .iter()
            .flat_map(|m| &m.endpoints)
            .find(|e| e.name == c.endpoint);
        let field = ep.and_then(|e| {
            e.request
                .iter()
                .find(|f| f.wire == c.field && f.place == Place::Body)
        });
        let problem = match (ep, field) {
            (None, _) => Some((
                "endpoint",
                format!("`{}` is not an endpoint of the platform", c.endpoint),
            )),
            (Some(_), None) => Some((
                "field",
                format!("`{}` is not a body field of `{}`", c.field, c.endpoint),
            )),
            (Some(_), Some(f)) => {
                let fits = match c.rule {
                    CheckRule::Positive => {
                        matches!(f.ty, Ty::I32 | Ty::I64 | Ty::U64 | Ty::F64 | Ty::Decimal)
                    }
                    CheckRule::NonEmpty => f.ty == Ty::String,
                };
                (!fits).then(|| {
                    (
                        "rule",
                        format!(
                            "`{:?}` does not fit `{}`, a {}",
                            c.rule,
                            c.field,
                            type_text(&f.ty)
                        ),
                    )
                })
            }
        };
        if let Some((key, message)) = problem {
            let (line, column) = split(locs.find(&["checks"]));
            errors.push(SpecError {
                file: rel(root, platform_file),
                line,
                column,
                field: format!("checks[{i}].{key}"),
                message,
                hint: Some(
                    "a check names an endpoint of the platform, one of its body fields, and a rule \
                     its type fits: `positive` for a number, `non_empty` for a string"
                        .into(),
                ),
            });
        }
    }
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
