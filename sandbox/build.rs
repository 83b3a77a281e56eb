//! Compiles the specs into the sandbox (`SPECS` in `$OUT_DIR/specs.rs`), so an installed
//! `shop-api-sandbox` serves the endpoints it was built with, without a checkout. `spec` here is a
//! link to the workspace's `spec/`, which `cargo package` follows: the packaged crate holds copies.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn main() {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let spec = root.join("spec");
    // `spec` is a link: cargo does not look through it for new or removed files, so it is told
    // the folder the link points to (each platform's folder too).
    let real = spec.canonicalize().unwrap_or_else(|_| spec.clone());
    println!("cargo::rerun-if-changed={}", real.display());
    if let Ok(rd) = std::fs::read_dir(&real) {
        for dir in rd.flatten().filter(|e| e.path().is_dir()) {
            println!("cargo::rerun-if-changed={}", dir.path().display());
        }
    }
    let mut files = Vec::new();
    collect(&spec, &mut files);
    files.sort();
    let mut out = String::from(
        "/// The spec files the sandbox was built with: `(path, text)`, paths as under a project root.\n\
         pub static SPECS: &[(&str, &str)] = &[\n",
    );
    for f in &files {
        let rel = f.strip_prefix(&root).expect("under the crate");
        let rel = rel.to_str().expect("UTF-8 spec paths").replace('\\', "/");
        println!("cargo::rerun-if-changed={}", f.display());
        writeln!(
            out,
            "    ({rel:?}, include_str!({:?})),",
            f.display().to_string()
        )
        .unwrap();
    }
    out.push_str("];\n");
    let dest = PathBuf::from(std::env::var("OUT_DIR").expect("set by cargo")).join("specs.rs");
    std::fs::write(dest, out).expect("write specs.rs");
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in rd.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(&path, out);
        } else if path.extension().is_some_and(|x| x == "yaml" || x == "yml") {
            out.push(path);
        }
    }
}
