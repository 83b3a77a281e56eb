//! `cargo xtask gen [--check]`: regenerate `generated/` from `spec/`, or check it is up to date.

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
    /// Time generation for the real specs and for synthetic specs 10x and 100x their size
    /// (run it as `cargo run --release -p xtask -- bench-gen` for release-build figures).
    BenchGen,
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

fn project_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask sits in the project root")
        .to_path_buf()
}
