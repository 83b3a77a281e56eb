//! Shared types: `spec/<platform>/types.yaml` is usable from every module, and a struct that two
//! modules would define with the same fields is refused with a pointer to the shared file.
//! These tests build the codegen only, not the generated crate.

use shop_api_codegen::ir;

const PLATFORM: &str = "name: fixture\ndisplay_name: F\ndoc: F.\nbase_url: https://f.invalid\nversion: \"1\"\ndoc_root: https://f.invalid\nrouting: path\nenvelope:\n  doc: F.\n  data: data\n  code: [{at: code}]\n  members: []\n";

const MONEY: &str = "  Money:\n    doc: An amount.\n    fields:\n      amount: {type: string, doc: Amount.}\n      currency: {type: string, doc: Currency.}\n";

fn endpoint(name: &str, ty: &str) -> String {
    format!(
        "endpoints:\n  {name}.get:\n    summary: Get.\n    doc_url: https://f.invalid/{name}\n    http: GET /{name}\n    response:\n      value: {{type: {ty}, doc: The value.}}\n"
    )
}

/// Load a spec tree of the given files (name, text) and give the errors, if any.
fn load(files: &[(&str, String)]) -> Result<ir::Api, String> {
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("spec/fixture");
    std::fs::create_dir_all(&spec).unwrap();
    std::fs::write(spec.join("platform.yaml"), PLATFORM).unwrap();
    for (name, text) in files {
        std::fs::write(spec.join(name), text).unwrap();
    }
    ir::load(dir.path()).map_err(|e| e.to_string())
}

#[test]
fn a_shared_type_is_usable_from_every_module_and_emitted_once() {
    let api = load(&[
        ("types.yaml", format!("doc: Shared.\ntypes:\n{MONEY}")),
        (
            "order.yaml",
            format!("doc: Orders.\n{}", endpoint("order", "Money")),
        ),
        (
            "refund.yaml",
            format!("doc: Refunds.\n{}", endpoint("refund", "\"[Money]\"")),
        ),
    ])
    .unwrap();
    let p = &api.platforms[0];
    let names: Vec<&str> = p.modules.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(names, ["types", "order", "refund"]);
    assert!(
        p.core.iter().any(|c| c == "types"),
        "compiled with the platform"
    );
    let defined = p.modules.iter().map(|m| m.types.len()).sum::<usize>();
    assert_eq!(defined, 1, "Money is defined once");
}

#[test]
fn two_modules_with_one_shape_are_told_to_share_it() {
    let err = load(&[
        (
            "order.yaml",
            format!(
                "doc: Orders.\ntypes:\n{MONEY}{}",
                endpoint("order", "Money")
            ),
        ),
        (
            "refund.yaml",
            format!(
                "doc: Refunds.\ntypes:\n{}{}",
                MONEY.replace("Money", "Price"),
                endpoint("refund", "Price")
            ),
        ),
    ])
    .unwrap_err();
    assert!(err.contains("spec/fixture/refund.yaml:3:3"), "{err}");
    assert!(
        err.contains("`Price` has the same fields as `Money` in spec/fixture/order.yaml"),
        "{err}"
    );
    assert!(
        err.contains("help: move one definition to spec/fixture/types.yaml"),
        "{err}"
    );
}

#[test]
fn a_module_copy_of_a_shared_shape_is_refused() {
    let err = load(&[
        ("types.yaml", format!("doc: Shared.\ntypes:\n{MONEY}")),
        (
            "order.yaml",
            format!(
                "doc: Orders.\ntypes:\n{}{}",
                MONEY.replace("Money", "Price"),
                endpoint("order", "Price")
            ),
        ),
    ])
    .unwrap_err();
    assert!(
        err.contains("`Price` has the fields of the shared type `Money` (types.yaml)"),
        "{err}"
    );
    assert!(
        err.contains("help: delete `Price` and use `Money`"),
        "{err}"
    );
}

#[test]
fn a_module_may_not_redefine_a_shared_name() {
    let other = "  Money:\n    doc: Other.\n    fields:\n      cents: {type: i64, doc: Cents.}\n";
    let err = load(&[
        ("types.yaml", format!("doc: Shared.\ntypes:\n{MONEY}")),
        (
            "order.yaml",
            format!(
                "doc: Orders.\ntypes:\n{other}{}",
                endpoint("order", "Money")
            ),
        ),
    ])
    .unwrap_err();
    assert!(
        err.contains("`Money` is also a shared type of the platform"),
        "{err}"
    );
}

#[test]
fn same_named_types_of_different_modules_are_not_one_shape() {
    // `Detail` of one module is not `Detail` of another: the structs that use them differ.
    let detail = |f: &str| {
        format!("  Detail:\n    doc: D.\n    fields:\n      {f}: {{type: string, doc: D.}}\n")
    };
    let error = "  Error:\n    doc: E.\n    fields:\n      detail: {type: Detail, doc: D.}\n";
    load(&[
        (
            "order.yaml",
            format!(
                "doc: O.\ntypes:\n{}{error}{}",
                detail("a"),
                endpoint("order", "Error")
            ),
        ),
        (
            "refund.yaml",
            format!(
                "doc: R.\ntypes:\n{}{error}{}",
                detail("b"),
                endpoint("refund", "Error")
            ),
        ),
    ])
    .unwrap();
}

#[test]
fn types_yaml_holds_types_only() {
    let err = load(&[(
        "types.yaml",
        format!("doc: Shared.\ntypes:\n{MONEY}{}", endpoint("x", "Money")),
    )])
    .unwrap_err();
    assert!(
        err.contains("types.yaml holds the platform's shared types only"),
        "{err}"
    );
}
