//! The API-change rules, one spec edit per rule of the table: each edit of the fixture spec is
//! classed as the table in the issue "When APIs change" says (the expected classes below are
//! written from that table, not read from the generator's), and the report names the platform,
//! the endpoint and the field.

use shop_api_codegen::apidiff::{self, Change, Semver, Wire};
use shop_api_codegen::ir;

const PLATFORM: &str = include_str!("../../tests/fixture/spec/fixture/platform.yaml");
const SHOP: &str = include_str!("../../tests/fixture/spec/fixture/shop.yaml");

fn snapshot(shop: &str) -> apidiff::ApiSnapshot {
    let api = ir::load_embedded(&[
        ("spec/fixture/platform.yaml", PLATFORM),
        ("spec/fixture/shop.yaml", shop),
    ])
    .unwrap_or_else(|e| panic!("the edited fixture loads: {e}"));
    apidiff::snapshot(&api.platforms[0])
}

fn changes_after(from: &str, to: &str) -> Vec<Change> {
    assert!(SHOP.contains(from), "the fixture has `{from}`");
    apidiff::diff(&snapshot(SHOP), &snapshot(&SHOP.replacen(from, to, 1)))
}

const GET_BLOCK: &str = "  order.get:
    summary: Get one order.
    doc_url: https://docs.fixture.invalid/order/get
    http: GET /order/v1/orders/{order_id}
    flags: [idempotent, no_shop_cipher]
    path:
      order_id: {type: string, required: true, doc: The order.}
    response:
      order: {type: Order, doc: The order.}
";

/// (what the edit is, from, to, the change expected: endpoint, place and path, class).
type Case = (
    &'static str,
    &'static str,
    &'static str,
    &'static [(&'static str, &'static str, Semver, Wire)],
);

const CASES: &[Case] = &[
    (
        "an endpoint added is minor",
        "\nevents:",
        "  order.count:\n    summary: Count.\n    doc_url: https://docs.fixture.invalid/order/count\n    http: GET /order/count\n\nevents:",
        &[("order.count", "", Semver::Minor, Wire::Safe)],
    ),
    (
        "an endpoint removed without a deprecation is major",
        GET_BLOCK,
        "",
        &[("order.get", "", Semver::Major, Wire::Break)],
    ),
    (
        "an endpoint whose path changed is major",
        "http: POST /order/searchList",
        "http: POST /order/v2/searchList",
        &[("order.searchList", "", Semver::Major, Wire::Break)],
    ),
    (
        "an optional request field added is minor",
        "      main_status: {type: MainStatus, doc: Filter.}\n",
        "      main_status: {type: MainStatus, doc: Filter.}\n      shop_id: {type: string, doc: Shop.}\n",
        &[(
            "order.searchList",
            "request shop_id",
            Semver::Minor,
            Wire::Safe,
        )],
    ),
    (
        "a request field added as required is major",
        "      main_status: {type: MainStatus, doc: Filter.}\n",
        "      main_status: {type: MainStatus, doc: Filter.}\n      shop_id: {type: string, required: true, doc: Shop.}\n",
        &[(
            "order.searchList",
            "request shop_id",
            Semver::Major,
            Wire::Break,
        )],
    ),
    (
        "a request field made required is major",
        "page: {type: i64, doc: \"Page, from 0.\"}",
        "page: {type: i64, required: true, doc: \"Page, from 0.\"}",
        &[(
            "order.searchList",
            "request page",
            Semver::Major,
            Wire::Break,
        )],
    ),
    (
        "an enum value added is minor in requests and in responses",
        "      AWAITING_SHIPMENT: Paid, waiting to ship.\n",
        "      AWAITING_SHIPMENT: Paid, waiting to ship.\n      DELIVERED: Delivered.\n",
        &[
            ("order.search", "request status", Semver::Minor, Wire::Safe),
            (
                "order.search",
                "response orders[].status",
                Semver::Minor,
                Wire::Safe,
            ),
        ],
    ),
    (
        "an enum value removed breaks requests and is major in responses",
        "      UNPAID: Placed, not paid.\n",
        "",
        &[
            ("order.search", "request status", Semver::Major, Wire::Break),
            (
                "order.search",
                "response orders[].status",
                Semver::Major,
                Wire::Safe,
            ),
        ],
    ),
    (
        "a field type changed is major",
        "weight: {type: f64,",
        "weight: {type: string,",
        &[(
            "order.search",
            "response orders[].weight",
            Semver::Major,
            Wire::Break,
        )],
    ),
    (
        "a field renamed is a removal and an addition",
        "      paid: {type: bool,",
        "      settled: {type: bool,",
        &[
            (
                "order.search",
                "response orders[].paid",
                Semver::Major,
                Wire::Break,
            ),
            (
                "order.search",
                "response orders[].settled",
                Semver::Minor,
                Wire::Safe,
            ),
        ],
    ),
    (
        "a response field removed is major",
        "      big: {type: u64, doc: An unsigned counter.}\n",
        "",
        &[(
            "order.search",
            "response orders[].big",
            Semver::Major,
            Wire::Break,
        )],
    ),
    (
        "a response field made optional is safe on the wire and major in Rust",
        "total: {type: i64, required: true, doc: Total.}",
        "total: {type: i64, doc: Total.}",
        &[(
            "order.searchList",
            "response total",
            Semver::Major,
            Wire::Safe,
        )],
    ),
    (
        "a response field added is minor",
        "      big: {type: u64, doc: An unsigned counter.}\n",
        "      big: {type: u64, doc: An unsigned counter.}\n      note: {type: string, doc: A note.}\n",
        &[(
            "order.search",
            "response orders[].note",
            Semver::Minor,
            Wire::Safe,
        )],
    ),
    (
        "a summary changed is a patch",
        "summary: Get one order.",
        "summary: Get one order by its id.",
        &[("order.get", "", Semver::Patch, Wire::None)],
    ),
    (
        "a deprecation is minor",
        "    summary: Search orders by page number.\n",
        "    summary: Search orders by page number.\n    deprecated: Use order.search.\n    replaced_by: order.search\n",
        &[("order.searchList", "", Semver::Minor, Wire::Safe)],
    ),
    (
        "a field deprecated is minor",
        "      big: {type: u64, doc: An unsigned counter.}\n",
        "      big: {type: u64, doc: An unsigned counter., deprecated: {note: Gone soon., since: \"0.3.0\"}}\n",
        &[(
            "order.search",
            "response orders[].big",
            Semver::Minor,
            Wire::Safe,
        )],
    ),
    (
        "a field's Rust name changed is major and nothing on the wire",
        "      kind: {type: string, wire: type,",
        "      order_type: {type: string, wire: type,",
        &[(
            "order.search",
            "response orders[].type",
            Semver::Major,
            Wire::None,
        )],
    ),
];

#[test]
fn each_rule_of_the_table_classes_its_change() {
    for (what, from, to, expected) in CASES {
        let changes = changes_after(from, to);
        assert!(!changes.is_empty(), "{what}: no change found");
        for (endpoint, at, semver, wire) in *expected {
            let found = changes.iter().find(|c| {
                c.endpoint == *endpoint
                    && (at.is_empty() && c.place.is_empty()
                        || format!("{} {}", c.place, c.path) == *at)
            });
            let found = found
                .unwrap_or_else(|| panic!("{what}: no change of {endpoint} {at} in {changes:#?}"));
            assert_eq!(
                (found.semver, found.wire),
                (*semver, *wire),
                "{what}: {found:?}"
            );
        }
        // the edit's impact on the release is the highest class expected
        let highest = expected.iter().map(|e| e.2).max().unwrap();
        assert_eq!(apidiff::impact(&changes), highest, "{what}: {changes:#?}");
        // and the whole report, as `gen` prints it, is the reviewed one
        let name: String = what
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect();
        insta::assert_snapshot!(
            format!("rule_{name}"),
            apidiff::render_text(&changes, "the fixture")
        );
    }
}

#[test]
fn a_type_change_reads_as_major_with_platform_endpoint_and_field() {
    let changes = changes_after("weight: {type: f64,", "weight: {type: string,");
    let only_search: Vec<Change> = changes
        .into_iter()
        .filter(|c| c.endpoint == "order.search")
        .collect();
    assert_eq!(
        apidiff::render_text(&only_search, "v0.1.0"),
        "api: 1 change(s) since v0.1.0: 1 major, 0 minor, 0 patch; the next release is major (below 1.0, a major change takes a minor bump)\n\
         fixture shop\n  \
         major break order.search response orders[].weight (field type changed): f64 -> string\n"
    );
}

#[test]
fn no_change_is_one_line() {
    assert_eq!(
        apidiff::render_text(&apidiff::diff(&snapshot(SHOP), &snapshot(SHOP)), "api/"),
        "api: no change to the public API since api/\n"
    );
}

#[test]
fn a_shared_struct_change_shows_on_every_endpoint_that_returns_it() {
    let changes = changes_after("weight: {type: f64,", "weight: {type: string,");
    let endpoints: Vec<&str> = changes.iter().map(|c| c.endpoint.as_str()).collect();
    assert_eq!(
        endpoints,
        [
            "order.get",
            "order.list",
            "order.search",
            "order.searchList"
        ]
    );
}

#[test]
fn the_snapshot_file_reads_back_as_written() {
    let s = snapshot(SHOP);
    let text = apidiff::to_file(&s);
    assert_eq!(apidiff::from_file(&text).unwrap(), s);
    assert!(text.contains("\"orders[].items[].price.amount\""), "{text}");
}
