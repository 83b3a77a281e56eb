//! `cargo xtask package [--install DIR]`: package the published crates as crates.io would take them,
//! print their sizes, and optionally install the CLI and the sandbox from those packages alone.
//!
//! The install check is what a user without a checkout gets: the packaged `.crate` files are
//! unpacked into a directory source next to the vendored crates.io dependencies, and `cargo install`
//! runs offline against it, from a folder outside the workspace. The installed binaries are then
//! run: the sandbox (serving the specs compiled into it, from a folder without `spec/`) and the CLI
//! against it, a token and a signed call.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use sha2::{Digest, Sha256};

/// The crates published to crates.io, in dependency order. The workspace's other members
/// (tests, examples, benches, xtask, fuzz) are `publish = false`.
pub const PUBLISHED: &[&str] = &[
    "shop-api-runtime",
    "shop-api-spec",
    "shop-api-codegen",
    "shop-api",
    "shop-api-cli",
    "shop-api-sandbox",
];

/// What `cargo xtask package` was asked.
pub struct Options {
    /// Skip cargo's build of each package (the install check builds them anyway).
    pub no_verify: bool,
    /// Package uncommitted changes too.
    pub allow_dirty: bool,
    /// Install `shop-api-cli` and `shop-api-sandbox` from the packages into this root, then run them.
    pub install: Option<PathBuf>,
    /// Install debug builds (faster to build; for CI).
    pub debug: bool,
}

type Result<T> = std::result::Result<T, String>;

fn cargo() -> Command {
    Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
}

fn run(cmd: &mut Command, what: &str) -> Result<()> {
    let status = cmd
        .status()
        .map_err(|e| format!("{what}: cannot run cargo: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{what} failed ({status})"))
    }
}

/// Package, print sizes, and install when asked.
pub fn package(root: &Path, opts: &Options) -> Result<()> {
    let version = workspace_version(root)?;
    let mut cmd = cargo();
    cmd.current_dir(root).arg("package");
    for name in PUBLISHED {
        cmd.args(["-p", name]);
    }
    if opts.no_verify {
        cmd.arg("--no-verify");
    }
    if opts.allow_dirty {
        cmd.arg("--allow-dirty");
    }
    run(&mut cmd, "cargo package")?;
    let target = target_dir(root);
    let mut crates = Vec::new();
    println!(
        "\n{:<18} {:>9} {:>12}",
        "package", "version", "size (.crate)"
    );
    for name in PUBLISHED {
        let file = target
            .join("package")
            .join(format!("{name}-{version}.crate"));
        let size = std::fs::metadata(&file)
            .map_err(|e| format!("{}: {e}", file.display()))?
            .len();
        println!("{name:<18} {version:>9} {:>9.1} KiB", size as f64 / 1024.0);
        crates.push((name, file));
    }
    if let Some(dest) = &opts.install {
        install(root, &target, &version, &crates, dest, opts.debug)?;
    }
    Ok(())
}

fn workspace_version(root: &Path) -> Result<String> {
    let text = std::fs::read_to_string(root.join("Cargo.toml")).map_err(|e| e.to_string())?;
    let ws = text
        .split("[workspace.package]")
        .nth(1)
        .ok_or("Cargo.toml has no [workspace.package]")?;
    ws.lines()
        .find_map(|l| l.trim().strip_prefix("version = "))
        .map(|v| v.trim_matches('"').to_owned())
        .ok_or_else(|| "[workspace.package] has no version".into())
}

fn target_dir(root: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"))
}

/// Vendor the dependencies, add the packages as a directory source, install offline, run.
fn install(
    root: &Path,
    target: &Path,
    version: &str,
    crates: &[(&&str, PathBuf)],
    dest: &Path,
    debug: bool,
) -> Result<()> {
    let work = target.join("install-check");
    let vendor = work.join("vendor");
    let _ = std::fs::remove_dir_all(&vendor);
    std::fs::create_dir_all(&work).map_err(|e| e.to_string())?;
    run(
        cargo()
            .current_dir(root)
            .args(["vendor", "--versioned-dirs", "--quiet"])
            .arg(&vendor)
            .stdout(Stdio::null()),
        "cargo vendor",
    )?;
    for (name, file) in crates {
        let dir = vendor.join(format!("{name}-{version}"));
        let _ = std::fs::remove_dir_all(&dir);
        run(
            Command::new("tar")
                .arg("-xzf")
                .arg(file)
                .arg("-C")
                .arg(&vendor),
            "unpacking a .crate",
        )?;
        let bytes = std::fs::read(file).map_err(|e| e.to_string())?;
        let sum = hex(&Sha256::digest(&bytes));
        std::fs::write(
            dir.join(".cargo-checksum.json"),
            format!("{{\"files\":{{}},\"package\":\"{sum}\"}}"),
        )
        .map_err(|e| e.to_string())?;
    }
    // Outside the workspace, so no workspace manifest or path dependency is seen.
    let outside = work.join("outside");
    std::fs::create_dir_all(&outside).map_err(|e| e.to_string())?;
    for name in ["shop-api-cli", "shop-api-sandbox"] {
        let mut cmd = cargo();
        cmd.current_dir(&outside)
            .args([
                "install",
                name,
                "--version",
                version,
                "--offline",
                "--force",
            ])
            .arg("--root")
            .arg(dest)
            .arg("--target-dir")
            .arg(work.join("target"))
            .args(["--config", "source.crates-io.replace-with=\"packaged\""])
            .arg("--config")
            .arg(format!(
                "source.packaged.directory={:?}",
                vendor.display().to_string()
            ));
        if debug {
            cmd.arg("--debug");
        }
        run(&mut cmd, &format!("cargo install {name}"))?;
    }
    smoke(dest, &outside)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Run the installed sandbox from a folder without `spec/`, and the installed CLI against it.
fn smoke(dest: &Path, cwd: &Path) -> Result<()> {
    let bin = dest.join("bin");
    let mut sandbox = Command::new(bin.join("shop-api-sandbox"))
        .current_dir(cwd)
        .args(["--port", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start the installed sandbox: {e}"))?;
    let result = (|| {
        let mut first = String::new();
        let mut out = BufReader::new(sandbox.stdout.take().ok_or("no stdout")?);
        out.read_line(&mut first).map_err(|e| e.to_string())?;
        // The sandbox prints more lines (its credentials): keep reading them, or it would write
        // into a closed pipe.
        std::thread::spawn(move || std::io::copy(&mut out, &mut std::io::sink()));
        let url = first
            .trim()
            .strip_prefix("shop-api sandbox on ")
            .ok_or_else(|| format!("the sandbox printed {first:?}"))?
            .to_owned();
        let base = format!("{url}/doudian");
        let cli = |args: &[&str], token: Option<&str>| -> Result<String> {
            let mut cmd = Command::new(bin.join("shop-api"));
            cmd.current_dir(cwd)
                .args(args)
                .args(["--base-url", &base])
                .env("DOUDIAN_APP_KEY", "sandbox-doudian-key")
                .env("DOUDIAN_APP_SECRET", "sandbox-doudian-secret")
                .env_remove("DOUDIAN_ACCESS_TOKEN");
            if let Some(t) = token {
                cmd.env("DOUDIAN_ACCESS_TOKEN", t);
            }
            let out = cmd.output().map_err(|e| e.to_string())?;
            if !out.status.success() {
                return Err(format!(
                    "shop-api {}: {}",
                    args.join(" "),
                    String::from_utf8_lossy(&out.stderr)
                ));
            }
            Ok(String::from_utf8_lossy(&out.stdout).into_owned())
        };
        let token: serde_json::Value =
            serde_json::from_str(&cli(&["token", "doudian", "--shop-id", "1"], None)?)
                .map_err(|e| format!("the token output is not JSON: {e}"))?;
        let access = token["access_token"]
            .as_str()
            .ok_or_else(|| format!("no access_token in {token}"))?;
        let orders = cli(
            &[
                "doudian",
                "order.searchList",
                "--param",
                "page=0",
                "--param",
                "size=20",
            ],
            Some(access),
        )?;
        println!(
            "installed from the packages: {} and {}; the sandbox served order.searchList from its compiled-in specs ({} bytes of JSON)",
            bin.join("shop-api").display(),
            bin.join("shop-api-sandbox").display(),
            orders.len()
        );
        Ok(())
    })();
    let _ = sandbox.kill();
    let _ = sandbox.wait();
    result
}
