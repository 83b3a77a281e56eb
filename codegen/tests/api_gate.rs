//! The CI gate on a throwaway git repository: the fixture spec is released at 0.1.0, then a
//! breaking edit lands. Without a version bump the gate fails and names the change; with the
//! bump it passes; with an allow entry it passes and prints the reason.

use std::path::Path;
use std::process::Command;

use shop_api_codegen::apidiff;

const PLATFORM: &str = include_str!("../../tests/fixture/spec/fixture/platform.yaml");
const SHOP: &str = include_str!("../../tests/fixture/spec/fixture/shop.yaml");
const BIG: &str = "      big: {type: u64, doc: An unsigned counter.}\n";

fn git(dir: &Path, args: &[&str]) {
    let status = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args([
            "-c",
            "user.name=gate test",
            "-c",
            "user.email=gate@test.invalid",
        ])
        .args(args)
        .status()
        .expect("git runs");
    assert!(status.success(), "git {args:?}");
}

fn write(dir: &Path, rel: &str, text: &str) {
    let path = dir.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// A repository whose one commit released the fixture at 0.1.0, with `big` removed from `Order`
/// in the working tree since.
fn released_then_broken() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    git(d, &["init", "-q"]);
    write(
        d,
        "Cargo.toml",
        "[workspace.package]\nversion = \"0.1.0\"\n",
    );
    write(d, "spec/fixture/platform.yaml", PLATFORM);
    write(d, "spec/fixture/shop.yaml", SHOP);
    git(d, &["add", "."]);
    git(d, &["commit", "-q", "-m", "release 0.1.0"]);
    assert!(SHOP.contains(BIG));
    write(d, "spec/fixture/shop.yaml", &SHOP.replacen(BIG, "", 1));
    dir
}

#[test]
fn a_breaking_edit_without_a_bump_fails_naming_the_change() {
    let dir = released_then_broken();
    let report = apidiff::gate(dir.path(), "Cargo.toml", "api/allow.txt").unwrap();
    assert!(!report.passes());
    let text = report.render();
    assert!(
        text.contains("fixture order.search response-field-removed orders[].big"),
        "{text}"
    );
    assert!(text.contains("0.1.0 -> at least 0.2.0"), "{text}");
}

#[test]
fn a_breaking_edit_with_the_minor_bump_passes() {
    let dir = released_then_broken();
    write(
        dir.path(),
        "Cargo.toml",
        "[workspace.package]\nversion = \"0.2.0\"\n",
    );
    let report = apidiff::gate(dir.path(), "Cargo.toml", "api/allow.txt").unwrap();
    assert!(report.passes(), "{}", report.render());
    assert!(report.render().contains("api gate: passes"));
}

#[test]
fn a_breaking_edit_with_an_allow_entry_passes_and_prints_the_reason() {
    let dir = released_then_broken();
    let why = "the platform never sent it (docs error)";
    let allow: String = [
        "order.get",
        "order.list",
        "order.search",
        "order.searchList",
    ]
    .iter()
    .map(|e| {
        let path = if *e == "order.get" {
            "order.big"
        } else {
            "orders[].big"
        };
        let path = if *e == "order.searchList" {
            "list[].big"
        } else {
            path
        };
        format!("fixture {e} response-field-removed {path}: {why}\n")
    })
    .collect();
    write(dir.path(), "api/allow.txt", &allow);
    let report = apidiff::gate(dir.path(), "Cargo.toml", "api/allow.txt").unwrap();
    assert!(report.passes(), "{}", report.render());
    let text = report.render();
    assert!(
        text.contains(&format!(
            "allowed: fixture order.search response orders[].big (response-field-removed): {why}"
        )),
        "{text}"
    );
}

#[test]
fn a_tag_is_the_release_the_gate_compares_with() {
    let dir = released_then_broken();
    let d = dir.path();
    // a later commit that carries the break is tagged: the release now has it
    git(d, &["commit", "-q", "-am", "drop big"]);
    git(d, &["tag", "v0.1.1"]);
    let report = apidiff::gate(d, "Cargo.toml", "api/allow.txt").unwrap();
    assert_eq!(report.base, "v0.1.1");
    assert!(report.changes.is_empty(), "{}", report.render());
    assert!(report.passes());
}

#[test]
fn the_version_bump_rule_follows_semver_below_and_above_one() {
    assert!(!apidiff::bump_allows_breaking("0.1.0", "0.1.5"));
    assert!(apidiff::bump_allows_breaking("0.1.0", "0.2.0"));
    assert!(apidiff::bump_allows_breaking("0.9.3", "1.0.0"));
    assert!(!apidiff::bump_allows_breaking("1.2.0", "1.3.0"));
    assert!(apidiff::bump_allows_breaking("1.2.0", "2.0.0"));
}

/// A project of the fixture spec alone, generated once (its API snapshot written).
fn generated_project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "spec/fixture/platform.yaml", PLATFORM);
    write(dir.path(), "spec/fixture/shop.yaml", SHOP);
    shop_api_codegen::sync::run(dir.path(), false).expect("the fixture generates");
    assert!(dir.path().join("api/fixture.json").is_file());
    dir
}

#[test]
fn gen_refuses_to_remove_a_field_that_was_never_deprecated_and_writes_nothing() {
    let dir = generated_project();
    let d = dir.path();
    let before = std::fs::read_to_string(d.join("api/fixture.json")).unwrap();
    write(d, "spec/fixture/shop.yaml", &SHOP.replacen(BIG, "", 1));
    let e = shop_api_codegen::sync::run(d, false)
        .unwrap_err()
        .to_string();
    assert!(e.contains("spec/fixture/shop.yaml"), "{e}");
    assert!(
        e.contains(
            "fixture order.search response orders[].big (u64) is removed, but was never deprecated"
        ),
        "{e}"
    );
    assert!(
        e.contains("fixture order.search response-field-removed orders[].big: <reason>"),
        "the hint gives the allow line: {e}"
    );
    assert_eq!(
        std::fs::read_to_string(d.join("api/fixture.json")).unwrap(),
        before,
        "nothing was written"
    );
}

#[test]
fn gen_removes_a_field_deprecated_first_or_allowed_with_a_reason() {
    // deprecated first, then removed
    let dir = generated_project();
    let d = dir.path();
    let deprecated = SHOP.replacen(
        BIG,
        "      big: {type: u64, doc: An unsigned counter., deprecated: The platform dropped it.}\n",
        1,
    );
    write(d, "spec/fixture/shop.yaml", &deprecated);
    shop_api_codegen::sync::run(d, false).unwrap();
    write(d, "spec/fixture/shop.yaml", &SHOP.replacen(BIG, "", 1));
    let report = shop_api_codegen::sync::run(d, false).unwrap();
    assert!(
        report.api.contains("response-field-removed")
            || report.api.contains("response field removed"),
        "{}",
        report.api
    );

    // or allowed with a reason
    let dir = generated_project();
    let d = dir.path();
    let allow: String = [
        "order.get order.big",
        "order.list orders[].big",
        "order.search orders[].big",
        "order.searchList list[].big",
    ]
    .iter()
    .map(|x| {
        let (e, p) = x.split_once(' ').unwrap();
        format!("fixture {e} response-field-removed {p}: never sent (docs error)\n")
    })
    .collect();
    write(d, "api/allow.txt", &allow);
    write(d, "spec/fixture/shop.yaml", &SHOP.replacen(BIG, "", 1));
    shop_api_codegen::sync::run(d, false).unwrap();
    assert!(
        d.join("api/allow.txt").is_file(),
        "the hand-written allow file stays"
    );
    assert!(shop_api_codegen::sync::run(d, true).unwrap().is_clean());
}
