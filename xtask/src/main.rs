//! `cargo xtask gen [--check]`: regenerate `generated/` from `spec/`, or check it is up to date.
//! `cargo xtask openapi [--check]`: the same for the OpenAPI 3.1 documents in `openapi/`.
//! `cargo xtask package [--install DIR]`: package the published crates, print their sizes, and
//! install the CLI and the sandbox from the packages alone.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "cargo xtask", about = "shop-api project tasks")]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Regenerate generated/ from spec/ (atomic: nothing is written unless every spec is valid).
    Gen {
        /// Write nothing; fail and list every stale, missing or extra file.
        #[arg(long)]
        check: bool,
        /// The project root (default: the checkout this xtask was built in).
        #[arg(long, hide = true)]
        root: Option<PathBuf>,
    },
    /// Write an OpenAPI 3.1 document per platform to `openapi/<platform>.json` from spec/ (removing
    /// stale files there; nothing is written unless every spec is valid).
    Openapi {
        /// Write nothing; fail and list every stale, missing or extra file.
        #[arg(long)]
        check: bool,
        /// The project root (default: the checkout this xtask was built in).
        #[arg(long, hide = true)]
        root: Option<PathBuf>,
    },
    /// Compare spec/ with the official typed sources' snapshots under reference/ and print a
    /// table per platform; fails on an invented field, a wire-name mismatch or a type conflict
    /// that the spec gives no `differs:` reason for.
    Fidelity {
        /// Also list the findings of these kinds, one per line (comma-separated: invented, wire,
        /// type, required, optional, enum, untyped, enum-untyped, doc).
        #[arg(long, value_delimiter = ',')]
        list: Vec<String>,
        /// Also list every source path, and every endpoint, the spec lacks.
        #[arg(long)]
        missing: bool,
        /// Print only the missing source paths as JSON, with where each would go (for
        /// tools/fill_from_reference.py).
        #[arg(long)]
        json: bool,
    },
    /// Time generation for the real specs and for synthetic specs 10x and 100x their size
    /// (run it as `cargo run --release -p xtask -- bench-gen` for release-build figures).
    BenchGen,
    /// Package the published crates (`cargo package`) and print their sizes; with `--install DIR`,
    /// also install `shop-api-cli` and `shop-api-sandbox` from those packages alone (offline, outside
    /// the workspace) and run them: the sandbox from its compiled-in specs, the CLI against it.
    Package {
        /// Skip cargo's build of each package.
        #[arg(long)]
        no_verify: bool,
        /// Package uncommitted changes too.
        #[arg(long)]
        allow_dirty: bool,
        /// Install the binaries under this root (`DIR/bin`) and run them.
        #[arg(long, value_name = "DIR")]
        install: Option<PathBuf>,
        /// Install debug builds (faster; what CI runs).
        #[arg(long)]
        debug: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.cmd {
        Cmd::Gen { check, root } => {
            match shop_api_codegen::sync::run(&root.unwrap_or_else(project_root), check) {
                Ok(report) => {
                    print!("{report}");
                    if check && !report.is_clean() {
                        ExitCode::FAILURE
                    } else {
                        ExitCode::SUCCESS
                    }
                }
                Err(e) => {
                    eprintln!("{e}");
                    eprintln!("generated/ was left as it was.");
                    ExitCode::FAILURE
                }
            }
        }
        Cmd::Openapi { check, root } => openapi(&root.unwrap_or_else(project_root), check),
        Cmd::Package {
            no_verify,
            allow_dirty,
            install,
            debug,
        } => {
            let opts = package::Options {
                no_verify,
                allow_dirty,
                install,
                debug,
            };
            match package::package(&project_root(), &opts) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("error: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        Cmd::Fidelity {
            list,
            missing,
            json,
        } => fidelity(&project_root(), &list, missing, json),
        Cmd::BenchGen => match bench::run(&project_root()) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("{e}");
                ExitCode::FAILURE
            }
        },
    }
}

mod bench;
mod package;

#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `cargo xtask openapi [--check]`.
fn openapi(root: &Path, check: bool) -> ExitCode {
    use shop_api_codegen::openapi;
    let files = match openapi::generate(root) {
        Ok(files) => files,
        Err(e) => {
            eprintln!("{e}");
            eprintln!("{}/ was left as it was.", openapi::OUT_DIR);
            return ExitCode::FAILURE;
        }
    };
    let report = shop_api_codegen::sync::apply(root, &files, &[root.join(openapi::OUT_DIR)], check);
    let (c, n, r) = if check {
        ("stale", "missing", "extra")
    } else {
        ("updated", "created", "removed")
    };
    for (what, paths) in [
        (c, &report.changed),
        (n, &report.created),
        (r, &report.removed),
    ] {
        for p in paths {
            println!("{what}: {}", p.display());
        }
    }
    if check && !report.is_clean() {
        println!(
            "{}/ is out of date: run `cargo xtask openapi` and commit the result.",
            openapi::OUT_DIR
        );
        return ExitCode::FAILURE;
    }
    let total = report.unchanged + report.changed.len() + report.created.len();
    println!(
        "{total} OpenAPI documents, {} up to date.",
        report.unchanged
    );
    ExitCode::SUCCESS
}

/// `cargo xtask fidelity`.
fn fidelity(root: &Path, list: &[String], missing: bool, json: bool) -> ExitCode {
    use shop_api_codegen::fidelity;
    let api = match shop_api_codegen::ir::load(root) {
        Ok(api) => api,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    let mut kinds = Vec::new();
    for name in list {
        match fidelity::kind_named(name) {
            Some(k) => kinds.push(k),
            None => {
                eprintln!("error: unknown kind `{name}`");
                return ExitCode::FAILURE;
            }
        }
    }
    let report = match fidelity::check(&api, root, &root.join("reference")) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    if json {
        println!("{}", report.missing_json());
        return ExitCode::SUCCESS;
    }
    print!("{}", report.listing(&kinds, missing));
    print!("{report}");
    if report.passes() {
        ExitCode::SUCCESS
    } else {
        println!("fidelity: fails (give a deliberate difference its reason with `differs:`)");
        ExitCode::FAILURE
    }
}

fn project_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask sits in the project root")
        .to_path_buf()
}
