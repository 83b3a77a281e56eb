//! `cargo xtask gen [--check]`: regenerate `generated/` from `spec/`, or check it is up to date.
//! `cargo xtask openapi [--check]`: the same for the OpenAPI 3.1 documents in `openapi/`.
//! `cargo xtask api-diff --base <rev> [--format text|markdown|json]`: what changed in the public
//! API between the specs at a git revision and today's, each change classed (wire, semver).
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
    /// Print what changed in the public API between the specs at a git revision and today's,
    /// each change classed by what it does on the wire and to semver (README, "When the
    /// platform changes").
    ApiDiff {
        /// The git revision to compare with: a tag (`v0.3.0`), `HEAD~3`, a commit.
        #[arg(long, required_unless_present = "gate")]
        base: Option<String>,
        /// The CI gate: compare with the last release (the newest `v*` tag, else the commit that
        /// last changed the workspace version) and fail when a breaking change lands without the
        /// bump semver asks for (below 1.0, the minor), unless `api/allow.txt` gives it a reason.
        #[arg(long)]
        gate: bool,
        /// `text`, `markdown` or `json`.
        #[arg(long, default_value = "text")]
        format: String,
    },
    /// What the official sources' snapshots (reference/) have that the specs lack or state
    /// differently: new endpoints, newer TikTok Shop versions of endpoints the specs have, new
    /// fields, fields typed otherwise; with the command that drafts the YAML for them.
    Drift,
    /// Write the API changes since the last release (as `api-diff --gate` finds it) into
    /// CHANGELOG.md's `[Unreleased]` section, between its generated markers; the hand-written
    /// notes around them are kept.
    Changelog {
        /// Write nothing; fail when the section is not up to date.
        #[arg(long)]
        check: bool,
    },
    /// A second opinion at release time: cargo-semver-checks on `shop-api` (every feature)
    /// against the last release (as the API gate finds it, or `--baseline-rev`). Needs
    /// `cargo install cargo-semver-checks --locked`; not run by CI (two rustdoc builds).
    ReleaseCheck {
        /// The revision to compare with (default: the gate's last release).
        #[arg(long)]
        baseline_rev: Option<String>,
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
        Cmd::ApiDiff { base, format, gate } => {
            api_diff(&project_root(), base.as_deref(), &format, gate)
        }
        Cmd::Changelog { check } => changelog(&project_root(), check),
        Cmd::Drift => drift(&project_root()),
        Cmd::ReleaseCheck { baseline_rev } => release_check(&project_root(), baseline_rev),
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

/// `cargo xtask api-diff --base <rev>`: the API at `rev` (its committed `api/` snapshots, or its
/// specs) against the working tree's specs, through the same snapshot and rules as `gen`;
/// `--gate`: against the last release, failing on a breaking change the version does not allow.
fn api_diff(root: &Path, base: Option<&str>, format: &str, gate: bool) -> ExitCode {
    use shop_api_codegen::{apidiff, ir};
    if gate {
        return match apidiff::gate(root, "Cargo.toml", "api/allow.txt") {
            Ok(report) => {
                print!("{}", report.render());
                if report.passes() {
                    ExitCode::SUCCESS
                } else {
                    ExitCode::FAILURE
                }
            }
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::FAILURE
            }
        };
    }
    let Some(base) = base else {
        eprintln!("error: give `--base <rev>` (or `--gate`)");
        return ExitCode::from(2);
    };
    let render = match format {
        "text" => apidiff::render_text,
        "markdown" | "md" => apidiff::render_markdown,
        "json" => apidiff::render_json,
        other => {
            eprintln!("error: unknown format `{other}`: use text, markdown or json");
            return ExitCode::from(2);
        }
    };
    let result = apidiff::snapshots_at(root, base).and_then(|old| {
        let new = ir::load(root).map_err(|e| e.to_string())?;
        let new = apidiff::snapshots(&new);
        Ok(apidiff::diff_all(&old, &new))
    });
    match result {
        Ok(changes) => {
            print!("{}", render(&changes, base));
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// `cargo xtask changelog [--check]`.
fn changelog(root: &Path, check: bool) -> ExitCode {
    use shop_api_codegen::apidiff;
    const BEGIN: &str = "<!-- @generated api changes: begin (cargo xtask changelog) -->";
    const END: &str = "<!-- @generated api changes: end -->";
    let result = apidiff::gate(root, "Cargo.toml", "api/allow.txt").and_then(|gate| {
        // the gate has read both APIs already
        let body = apidiff::changelog(&gate.changes, &gate.new, &gate.old);
        let path = root.join("CHANGELOG.md");
        let text = std::fs::read_to_string(&path).map_err(|e| format!("CHANGELOG.md: {e}"))?;
        let b = text
            .find(BEGIN)
            .ok_or("CHANGELOG.md has no generated api-changes markers")?;
        let e = b + text[b..].find(END).ok_or("CHANGELOG.md: no end marker")?;
        let section = format!(
            "{BEGIN}\n<!-- the API changes since {} (version {}), classed by the rules of README \"What changed in the API\" -->\n{body}",
            gate.base, gate.base_version
        );
        let new_text = format!("{}{section}{}", &text[..b], &text[e..]);
        Ok((path, text, new_text))
    });
    match result {
        Ok((path, old, new)) => {
            if old == new {
                println!("CHANGELOG.md: the API changes are up to date");
                ExitCode::SUCCESS
            } else if check {
                eprintln!("CHANGELOG.md: the API changes are stale: run `cargo xtask changelog`");
                ExitCode::FAILURE
            } else {
                match std::fs::write(&path, new) {
                    Ok(()) => {
                        println!("CHANGELOG.md: API changes written");
                        ExitCode::SUCCESS
                    }
                    Err(e) => {
                        eprintln!("error: {}: {e}", path.display());
                        ExitCode::FAILURE
                    }
                }
            }
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// `cargo xtask drift`.
fn drift(root: &Path) -> ExitCode {
    use shop_api_codegen::{fidelity, ir};
    let api = match ir::load(root) {
        Ok(api) => api,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    match fidelity::check(&api, root, &root.join("reference")) {
        Ok(report) => {
            print!("{}", fidelity::drift(&api, &report));
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// `cargo xtask release-check [--baseline-rev <rev>]`.
fn release_check(root: &Path, baseline_rev: Option<String>) -> ExitCode {
    use std::process::Command;
    let installed = Command::new("cargo")
        .args(["semver-checks", "--version"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !installed {
        eprintln!(
            "cargo-semver-checks is not installed: `cargo install cargo-semver-checks --locked`"
        );
        return ExitCode::from(2);
    }
    let base = match baseline_rev {
        Some(rev) => rev,
        None => match shop_api_codegen::apidiff::last_release(root, "Cargo.toml") {
            Ok(base) => base,
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::FAILURE;
            }
        },
    };
    println!("cargo semver-checks: shop-api (all features) against {base}");
    let started = std::time::Instant::now();
    let status = Command::new("cargo")
        .current_dir(root)
        .args([
            "semver-checks",
            "check-release",
            "-p",
            "shop-api",
            "--all-features",
            "--baseline-rev",
            &base,
        ])
        .status();
    println!(
        "cargo semver-checks took {:.0} s",
        started.elapsed().as_secs_f64()
    );
    match status {
        Ok(s) if s.success() => ExitCode::SUCCESS,
        Ok(_) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("error: cannot run cargo semver-checks: {e}");
            ExitCode::FAILURE
        }
    }
}
