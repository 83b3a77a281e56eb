//! What a user gets from the published crates: TLS chosen by features, and the docs.rs build.
//! (`cargo xtask package --install DIR` packages the crates and installs the CLI and the sandbox
//! from the packages alone; CI runs it.)

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn cargo(args: &[&str]) -> Output {
    Command::new(env!("CARGO"))
        .current_dir(root())
        .args(args)
        .output()
        .expect("cargo runs")
}

/// Whether `package`, built with `features`, depends on `dependency` (through normal dependencies).
fn depends_on(features: &[&str], dependency: &str) -> bool {
    let mut args = vec!["tree", "--locked", "-p", "shop-api", "-e", "normal"];
    args.extend_from_slice(features);
    args.extend_from_slice(&["-i", dependency]);
    let out = cargo(&args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    if out.status.success() {
        return !String::from_utf8_lossy(&out.stdout).trim().is_empty();
    }
    assert!(
        stderr.contains("did not match any packages") || stderr.contains("nothing to print"),
        "cargo tree failed: {stderr}"
    );
    false
}

#[test]
fn the_default_build_speaks_https_through_rustls_and_links_no_openssl() {
    assert!(depends_on(&[], "rustls"));
    assert!(!depends_on(&[], "openssl-sys"));
    assert!(!depends_on(&[], "native-tls"));
}

#[test]
fn native_tls_instead_of_the_defaults_drops_rustls() {
    let native = ["--no-default-features", "--features", "native-tls,doudian"];
    assert!(depends_on(&native, "native-tls"));
    assert!(!depends_on(&native, "rustls"));
}

/// `[package.metadata.docs.rs]` of a crate: all features, `--cfg docsrs`.
fn docs_rs_metadata(manifest: &str) -> String {
    let text = std::fs::read_to_string(root().join(manifest)).unwrap();
    let section = text
        .split("[package.metadata.docs.rs]")
        .nth(1)
        .unwrap_or_else(|| panic!("{manifest} has no [package.metadata.docs.rs]"));
    section.split("\n[").next().unwrap().to_owned()
}

#[test]
fn docs_rs_builds_with_every_feature_and_marks_each_gated_item_with_its_feature() {
    for manifest in ["runtime/Cargo.toml", "generated/Cargo.toml"] {
        let meta = docs_rs_metadata(manifest);
        assert!(meta.contains("all-features = true"), "{manifest}: {meta}");
        assert!(
            meta.contains(r#"rustdoc-args = ["--cfg", "docsrs"]"#),
            "{manifest}: {meta}"
        );
    }
    for lib in ["runtime/src/lib.rs", "generated/src/lib.rs"] {
        let text = std::fs::read_to_string(root().join(lib)).unwrap();
        assert!(
            text.contains("#![cfg_attr(docsrs, feature(doc_cfg))]"),
            "{lib}"
        );
    }
    // Build the runtime's docs as docs.rs does (nightly rustdoc features, here through
    // RUSTC_BOOTSTRAP on this toolchain), in a target folder of their own.
    let target = root().join("target/docsrs");
    let out = Command::new(env!("CARGO"))
        .current_dir(root())
        .args([
            "doc",
            "--locked",
            "-p",
            "shop-api-runtime",
            "--all-features",
            "--no-deps",
        ])
        .env("CARGO_TARGET_DIR", &target)
        .env("RUSTDOCFLAGS", "--cfg docsrs")
        .env("RUSTC_BOOTSTRAP", "1")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "cargo doc: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let page = |p: &str| {
        std::fs::read_to_string(target.join("doc/shop_api_runtime").join(p))
            .unwrap_or_else(|e| panic!("{p}: {e}"))
    };
    for (p, feature) in [
        ("token/struct.PostgresStore.html", "postgres"),
        ("token/struct.RedisStore.html", "redis"),
        ("limit/struct.RedisLimiter.html", "redis"),
    ] {
        let html = page(p);
        assert!(
            html.contains(&format!("crate feature <code>{feature}</code>")),
            "{p} does not say it needs the `{feature}` feature"
        );
    }
}
