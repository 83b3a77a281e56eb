//! The shop-api code generator: YAML specs in, Rust out.
//!
//! `spec/**/*.yaml` are read into the serde structs of [`spec`], validated and lowered into the
//! [`ir`], and each artifact is emitted by one small function of [`emit`]. [`generate`], below, is
//! the whole pipeline: it renders every output file in memory; [`sync`] compares or writes them.
//! [`apidiff`] keeps the public API the specs define as `api/<platform>.json` and classes what
//! changed in it.

pub mod apidiff;
pub mod emit;
pub mod fidelity;
pub mod meta;
pub mod openapi;
pub mod sync;

// The spec layer (loading, validation, the IR) is a crate of its own, `shop-api-spec`, which the
// sandbox and the tools use without the emitters; its modules are re-exported here under their
// old paths.
use shop_api_spec::pool;
pub use shop_api_spec::{error, ir, locate, naming, source, spec};

use std::path::{Path, PathBuf};

use emit::{
    CRATE_README, FIXTURE_OUT_DIR, FIXTURE_SPEC_DIR, Files, GENERATED_DIR, MANIFEST, Options,
    README, emit_crate_readme, emit_crate_root, emit_features, emit_platform_root, render,
    with_api_rules, with_coverage, with_features, with_fidelity,
};

pub use error::{SpecError, SpecErrors};

/// Where `cargo xtask gen` keeps the API snapshots (`api/<platform>.json`), under the project root.
pub const API_DIR: &str = "api";

/// Load the specs under `root/spec` and render every generated file of the shop-api crate.
///
/// `manifest` is the current text of `generated/Cargo.toml`; its `[features]` region is replaced.
pub fn generate(root: &Path) -> Result<Files, SpecErrors> {
    let api = ir::load(root)?;
    let manifest = std::fs::read_to_string(root.join(MANIFEST)).unwrap_or_default();
    let mut files = render(
        &api,
        Path::new(GENERATED_DIR),
        &Options {
            feature_gates: true,
        },
    );
    files.insert(
        PathBuf::from(MANIFEST),
        with_features(&manifest, &emit_features(&api)),
    );
    // The README's coverage table, when the README has its markers.
    // and its fidelity table, from the snapshots under `reference/`, when it has those markers.
    if let Ok(readme) = std::fs::read_to_string(root.join(README)) {
        let mut text = with_coverage(&readme, &api).unwrap_or(readme);
        if let Some(t) = with_api_rules(&text) {
            text = t;
        }
        let reference = root.join("reference");
        if reference.is_dir() {
            if let Ok(report) = fidelity::check(&api, root, &reference) {
                if let Some(t) = with_fidelity(&text, &report.table()) {
                    text = t;
                }
            }
        }
        files.insert(PathBuf::from(README), text);
    }
    // The crate root and each platform's module: docs from `spec/crate.md` and
    // `spec/<platform>/guide.md`, facts from `platform.yaml`.
    let read_doc = |rel: &str| std::fs::read_to_string(root.join(rel)).unwrap_or_default();
    let out = Path::new(GENERATED_DIR);
    let crate_doc = read_doc("spec/crate.md");
    files.insert(out.join("lib.rs"), emit_crate_root(&api, &crate_doc));
    files.insert(
        PathBuf::from(CRATE_README),
        emit_crate_readme(&api, &crate_doc),
    );
    for p in &api.platforms {
        let guide = read_doc(&format!("spec/{}/guide.md", p.name));
        files.insert(
            out.join(&p.name).join("mod.rs"),
            emit_platform_root(p, &guide),
        );
    }
    // The public API per platform, so `gen --check` keeps it in step and `gen` can say what changed.
    for p in &api.platforms {
        files.insert(
            Path::new(API_DIR).join(format!("{}.json", p.name)),
            apidiff::to_file(&apidiff::snapshot(p)),
        );
    }
    // The endpoints' metadata, which the CLI checks and sends requests from (`META`).
    for p in &api.platforms {
        files.insert(
            out.join(meta::META_DIR).join(format!("{}.json", p.name)),
            meta::emit_meta(p),
        );
    }
    // The OpenAPI 3.1 documents, so `gen --check` also catches a stale export.
    files.extend(openapi::render(&api));
    // The fixture spec, which uses every feature of the format, is compiled by the tests crate.
    let fixture_spec = root.join(FIXTURE_SPEC_DIR);
    if fixture_spec.is_dir() {
        let fixture = ir::load_dir(root, &fixture_spec)?;
        files.extend(render(
            &fixture,
            Path::new(FIXTURE_OUT_DIR),
            &Options {
                feature_gates: false,
            },
        ));
    }
    Ok(files)
}
