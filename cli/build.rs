//! The pagination facts of every paged endpoint, for `--all-pages` and `--from`.
//!
//! The CLI reaches an endpoint by name through `EndpointVisitor`, whose `visit::<R>()` knows only
//! `R: ApiRequest`: the generated `Paginated` impls cannot be reached from there. So the facts they
//! are generated from, the specs' `pagination:` (which request field takes the page number or
//! cursor; which response fields hold the items, the next cursor, the total and `has_more`), are
//! read here with the codegen's own loader and written as a small table by wire name
//! (`$OUT_DIR/pagination.rs`). A paged endpoint added as YAML is paged by the CLI with no change
//! here. `spec` is a link to the workspace's `spec/`, which `cargo package` follows (as the
//! sandbox's), so an installed CLI builds without a checkout.

use std::fmt::Write as _;
use std::path::PathBuf;

use shop_api_codegen::ir::{self, Field, Pagination};

fn main() {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("set by cargo"));
    println!("cargo::rerun-if-changed=spec");
    let api = ir::load(&root).unwrap_or_else(|e| panic!("the specs do not load:\n{e}"));
    let mut out = String::from(
        "// Written by cli/build.rs from the specs' `pagination:`; do not edit.\n&[\n",
    );
    for platform in &api.platforms {
        for module in &platform.modules {
            println!(
                "cargo::rerun-if-changed={}",
                root.join(&module.file).display()
            );
            for ep in &module.endpoints {
                if let Some(pg) = &ep.pagination {
                    row(&mut out, &platform.name, &ep.name, pg);
                }
            }
        }
    }
    out.push_str("]\n");
    let dest = PathBuf::from(std::env::var("OUT_DIR").expect("set by cargo")).join("pagination.rs");
    std::fs::write(&dest, out).unwrap_or_else(|e| panic!("cannot write {}: {e}", dest.display()));
}

/// One `Paging { .. }` literal.
fn row(out: &mut String, platform: &str, name: &str, pg: &Pagination) {
    let opt = |f: &Option<Field>| match f {
        Some(f) => format!("Some({:?})", f.wire),
        None => "None".to_owned(),
    };
    let (style, items, total) = match pg {
        Pagination::Page {
            page,
            size,
            first,
            items,
            total,
            has_more,
        } => (
            format!(
                "Style::Page {{ page: {:?}, size: {}, first: {first}, has_more: {} }}",
                page.wire,
                opt(size),
                opt(has_more)
            ),
            items,
            total,
        ),
        Pagination::Cursor {
            cursor,
            next,
            items,
            total,
        } => (
            format!(
                "Style::Cursor {{ cursor: {:?}, next: {:?} }}",
                cursor.wire, next.wire
            ),
            items,
            total,
        ),
    };
    let _ = writeln!(
        out,
        "    Paging {{ platform: {platform:?}, endpoint: {name:?}, style: {style}, items: {:?}, total: {} }},",
        items.wire,
        opt(total),
    );
}
