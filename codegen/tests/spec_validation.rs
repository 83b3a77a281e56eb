//! The battery of broken specs: each gives one clear error naming the file, the line, the column
//! and the field, and says what to write instead.
//!
//! Each `tests/fixture/broken/*.yaml` starts with `# expect: LINE:COL | text | text ...`: the error
//! must be at that line and column and contain every text.

use std::path::{Path, PathBuf};

use shop_api_codegen::ir;

const PLATFORM: &str = "name: fixture\ndisplay_name: F\ndoc: F.\nbase_url: https://f.invalid\nversion: \"1\"\ndoc_root: https://f.invalid\nrouting: path\nenvelope:\n  doc: F.\n  data: data\n  code: [{at: code}]\n  members: []\n";

/// The tests crate's folder, which holds the fixtures.
fn tests_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests")
}

/// Load a one-module spec tree holding `module` (bytes) and give the error text.
fn load_error(module: &[u8]) -> (String, Vec<shop_api_codegen::SpecError>) {
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("spec/fixture");
    std::fs::create_dir_all(&spec).unwrap();
    std::fs::write(spec.join("platform.yaml"), PLATFORM).unwrap();
    std::fs::write(spec.join("shop.yaml"), module).unwrap();
    match ir::load(dir.path()) {
        Ok(_) => panic!("the broken spec loaded"),
        Err(e) => (e.to_string(), e.0),
    }
}

#[test]
fn every_broken_spec_is_explained() {
    let mut cases: Vec<PathBuf> = std::fs::read_dir(tests_dir().join("fixture/broken"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    cases.sort();
    assert!(cases.len() >= 14, "the battery has {} cases", cases.len());
    let mut table = String::new();
    let mut failures = Vec::new();
    for case in cases {
        let text = std::fs::read_to_string(&case).unwrap();
        let expect = text
            .lines()
            .next()
            .unwrap()
            .strip_prefix("# expect: ")
            .expect("the first line is `# expect: ...`");
        let mut parts = expect.split(" | ");
        let at = parts.next().unwrap();
        let (message, errors) = load_error(text.as_bytes());
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        if errors.len() != 1 {
            failures.push(format!("{name}: one clear error, got:\n{message}"));
        }
        if !message.starts_with(&format!("error: spec/fixture/shop.yaml:{at}: ")) {
            failures.push(format!(
                "{name}: expected the error at {at}, got:\n{message}"
            ));
        }
        for want in parts {
            if !message.contains(want) {
                failures.push(format!("{name}: expected `{want}` in:\n{message}"));
            }
        }
        table.push_str(&format!(
            "{:<28} {message}\n",
            case.file_name().unwrap().to_string_lossy()
        ));
    }
    println!("{table}");
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn an_empty_file_is_refused() {
    let (message, errors) = load_error(b"  \n");
    assert_eq!(errors.len(), 1);
    assert!(
        message.contains("spec/fixture/shop.yaml:1:1: the file is empty"),
        "{message}"
    );
    assert!(
        message.contains("help: a module file needs at least `doc:`"),
        "{message}"
    );
}

#[test]
fn a_file_that_is_not_utf8_is_refused() {
    let (message, _) = load_error(b"doc: fine\nendpoints:\n  order.get:\n    summary: caf\xe9\n");
    assert!(
        message.contains("spec/fixture/shop.yaml:4:17: the file is not UTF-8"),
        "{message}"
    );
}

#[test]
fn errors_across_files_are_all_reported() {
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("spec/fixture");
    std::fs::create_dir_all(&spec).unwrap();
    std::fs::write(spec.join("platform.yaml"), PLATFORM).unwrap();
    std::fs::write(
        spec.join("a.yaml"),
        "doc: A.\ntypes:\n  X: {doc: X., fields: {y: {type: Nope, doc: Y.}}}\n",
    )
    .unwrap();
    std::fs::write(spec.join("b.yaml"), "").unwrap();
    let err = ir::load(dir.path()).unwrap_err();
    assert_eq!(err.0.len(), 2, "{err}");
}

/// A platform declares its envelope; a place that names no member, a `data` that is not a
/// top-level member, or no place of the code is refused with the file, line and field.
#[test]
fn a_broken_envelope_names_its_file_line_and_field() {
    let head = PLATFORM.split("envelope:").next().unwrap();
    for (envelope, field, line) in [
        (
            "envelope:\n  doc: F.\n  data: data\n  code: [{at: code}]\n  message: [\"err..msg\"]\n  members: []\n",
            "envelope.message",
            12,
        ),
        (
            "envelope:\n  doc: F.\n  data: result.data\n  code: [{at: code}]\n  members: []\n",
            "envelope.data",
            10,
        ),
        (
            "envelope:\n  doc: F.\n  data: data\n  code: []\n  members: []\n",
            "envelope.code",
            11,
        ),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let spec = dir.path().join("spec/fixture");
        std::fs::create_dir_all(&spec).unwrap();
        std::fs::write(spec.join("platform.yaml"), format!("{head}{envelope}")).unwrap();
        std::fs::write(spec.join("a.yaml"), "doc: A.\nendpoints: {}\n").unwrap();
        let err = ir::load(dir.path()).unwrap_err();
        let e = err
            .0
            .iter()
            .find(|e| e.field == field)
            .unwrap_or_else(|| panic!("{field}: {err}"));
        assert!(
            e.file.ends_with("spec/fixture/platform.yaml"),
            "{}",
            e.file.display()
        );
        assert_eq!(e.line, Some(line), "{field}: {err}");
    }
}

/// A check made before sending names an endpoint of the platform, one of its body fields, and a
/// rule the field's type fits; anything else is refused with the file, line and field.
#[test]
fn a_check_on_no_body_field_or_of_the_wrong_kind_is_refused() {
    let fixture = tests_dir().join("fixture/spec/fixture");
    let platform = std::fs::read_to_string(fixture.join("platform.yaml")).unwrap();
    let module = std::fs::read_to_string(fixture.join("shop.yaml")).unwrap();
    for (check, field) in [
        (
            "{endpoint: order.nope, field: status, rule: positive, why: W.}",
            "checks[0].endpoint",
        ),
        (
            "{endpoint: order.search, field: page_size, rule: positive, why: W.}",
            "checks[0].field",
        ),
        (
            "{endpoint: order.search, field: status, rule: positive, why: W.}",
            "checks[0].rule",
        ),
        (
            "{endpoint: order.search, field: create_time_ge, rule: non_empty, why: W.}",
            "checks[0].rule",
        ),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let spec = dir.path().join("spec/fixture");
        std::fs::create_dir_all(&spec).unwrap();
        std::fs::write(
            spec.join("platform.yaml"),
            format!("{platform}checks:\n  - {check}\n"),
        )
        .unwrap();
        std::fs::write(spec.join("shop.yaml"), &module).unwrap();
        let err = ir::load(dir.path()).unwrap_err();
        let e = err
            .0
            .iter()
            .find(|e| e.field == field)
            .unwrap_or_else(|| panic!("{check}: {err}"));
        assert!(
            e.file.ends_with("spec/fixture/platform.yaml"),
            "{}",
            e.file.display()
        );
        assert!(e.line.is_some(), "{check}: {err}");
    }
    // A check that fits loads.
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("spec/fixture");
    std::fs::create_dir_all(&spec).unwrap();
    std::fs::write(
        spec.join("platform.yaml"),
        format!("{platform}checks:\n  - {{endpoint: order.search, field: create_time_ge, rule: positive, why: W.}}\n"),
    )
    .unwrap();
    std::fs::write(spec.join("shop.yaml"), &module).unwrap();
    let api = ir::load(dir.path()).unwrap();
    assert_eq!(api.platforms[0].checks.len(), 1);
}
