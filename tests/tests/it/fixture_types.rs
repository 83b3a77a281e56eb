//! The emitted fixture types at work: serde round trips against platform-shaped JSON, lenient
//! decoding, enums with unknown values, query and path encoding, pagination and dispatch.

use serde_json::json;
use shop_api::runtime::{
    ApiRequest, EndpointVisitor, Flags, HttpMethod, PageFacts, PageKey, PageStyle, Pages,
    Paginated, Query, de, json,
};
use shop_api_tests::fixture::{self, Client, Fixture, shop::*};

#[test]
fn decodes_a_platform_shaped_response() {
    let body: serde_json::Value =
        serde_json::from_str(include_str!("../../fixture/responses/order_search.json")).unwrap();
    let resp: OrderSearchResponse = de::from_value(body["data"].clone()).unwrap();
    let orders = resp.orders.unwrap();
    let o = &orders[0];
    assert_eq!(o.id, "9007199254740993", "ids above 2^53 stay exact");
    assert_eq!(o.status, OrderStatus::Unpaid);
    assert_eq!(
        o.main_status,
        Some(MainStatus::Paid),
        "integer enums accept strings"
    );
    assert_eq!(o.kind.as_deref(), Some("normal"));
    assert_eq!(o.route_node_list.as_deref(), Some(&["a".to_owned()][..]));
    assert_eq!(o.buyer_open_id.as_deref(), Some("x"));
    assert_eq!(o.paid, Some(true));
    assert_eq!(o.weight, Some(1.5));
    assert_eq!(o.created, Some(1_700_000_000));
    let item = &o.items.as_ref().unwrap()[0];
    assert_eq!(item.sku_id, "123");
    assert_eq!(item.quantity, Some(2));
    assert_eq!(item.price.as_ref().unwrap().amount, "9.90");
    assert_eq!(resp.total_count, Some(1));
}

#[test]
fn round_trips_through_json() {
    let order = Order {
        id: "1".into(),
        status: OrderStatus::Unknown("NEW_STATUS".into()),
        main_status: Some(MainStatus::Unknown(999)),
        kind: Some("k".into()),
        items: Some(vec![LineItem {
            sku_id: "s".into(),
            quantity: Some(3),
            ..Default::default()
        }]),
        extra: Some(json!({"any": [1, 2]})),
        ..Default::default()
    };
    let text = json::to_body(&order).unwrap().to_string();
    assert!(
        text.contains(r#""type":"k""#),
        "wire names are used: {text}"
    );
    assert!(
        !text.contains("buyerOpenId"),
        "None fields are left out: {text}"
    );
    let back: Order = de::from_str(&text).unwrap();
    assert_eq!(back, order);
}

#[test]
fn unknown_enum_values_and_fields_never_fail() {
    let o: Order = de::from_value(
        json!({"id": 1, "status": "BRAND_NEW", "main_status": 42, "surprise": {"x": 1}}),
    )
    .unwrap();
    assert_eq!(o.status, OrderStatus::Unknown("BRAND_NEW".into()));
    assert_eq!(o.status.as_str(), "BRAND_NEW");
    assert_eq!(o.main_status, Some(MainStatus::Unknown(42)));
    let missing: Order = de::from_value(json!({})).unwrap();
    assert_eq!(missing.id, "", "a missing required response field defaults");
}

#[test]
fn wrong_types_are_errors_not_panics() {
    let e = de::from_value::<Order>(json!({"created": "yesterday"})).unwrap_err();
    assert!(e.to_string().contains("not an integer"), "{e}");
}

#[test]
fn request_splits_into_query_path_and_body() {
    let req = OrderSearchRequest {
        page_size: 20,
        page_token: Some("abc".into()),
        ids: Some(vec!["1".into(), "2".into()]),
        status: Some(OrderStatus::AwaitingShipment),
        create_time_ge: None,
    };
    assert_eq!(
        json::to_body(&req).unwrap(),
        json!({"status": "AWAITING_SHIPMENT"}),
        "the body has body fields only"
    );
    let mut q = Query::new();
    req.write_query(&mut q);
    let pairs: Vec<(&str, &str)> = q.pairs().collect();
    assert_eq!(
        pairs,
        vec![("page_size", "20"), ("page_token", "abc"), ("ids", "1,2")]
    );
    let ep = OrderSearchRequest::ENDPOINT;
    assert_eq!(
        (ep.name, ep.method, ep.path, ep.module),
        (
            "order.search",
            HttpMethod::Post,
            "/order/v1/orders/search",
            "shop"
        )
    );
    assert!(ep.flags.contains(Flags::IDEMPOTENT) && !ep.flags.contains(Flags::NO_TOKEN));

    let get = OrderGetRequest {
        order_id: "a/b c".into(),
    };
    assert_eq!(get.path(), "/order/v1/orders/a%2Fb%20c");
    assert_eq!(json::to_body(&get).unwrap(), json!({}));
    // A request decodes from one JSON object holding all its fields (what the CLI does).
    let from_json: OrderSearchRequest =
        de::from_value(json!({"page_size": "5", "ids": [7, 8]})).unwrap();
    assert_eq!(
        (from_json.page_size, from_json.ids.unwrap()),
        (5, vec!["7".to_owned(), "8".to_owned()])
    );
    let flags = TokenCreateRequest::ENDPOINT.flags;
    assert!(flags.contains(Flags::NO_TOKEN) && flags.contains(Flags::FORM));
    assert!(
        ImageUploadRequest::ENDPOINT
            .flags
            .contains(Flags::MULTIPART)
    );
    assert!(OrderListRequest::ENDPOINT.deprecated);
}

#[tokio::test]
async fn client_methods_and_cursor_pages() {
    let client = Client::default();
    client.answer(
        "order.search",
        json!({"orders": [{"id": "1"}, {"id": "2"}], "next_page_token": "", "total_count": 2}),
    );
    let resp = client
        .order_search(&OrderSearchRequest {
            page_size: 2,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(resp.orders.unwrap().len(), 2);
    let req = OrderSearchRequest {
        page_size: 2,
        ..Default::default()
    };
    let page = req.page_of(OrderSearchResponse {
        orders: Some(vec![Order::default()]),
        next_page_token: Some("n2".into()),
        total_count: None,
    });
    assert_eq!(page.next, Some(PageKey::Cursor("n2".into())));
    let mut req = req;
    req.set_page(&PageKey::Cursor("n2".into()));
    assert_eq!(req.page_token.as_deref(), Some("n2"));
}

#[tokio::test]
async fn numbered_pages_walk_to_the_total() {
    let client = Client::default();
    // 5 orders, 2 per page, pages from 0.
    let all: Vec<Order> = (0..5)
        .map(|i| Order {
            id: i.to_string(),
            ..Default::default()
        })
        .collect();
    let pages = Pages::new(
        OrderSearchListRequest {
            page: Some(0),
            size: 2,
            main_status: None,
        },
        |req: OrderSearchListRequest| {
            let all = all.clone();
            let client = &client;
            async move {
                let p = req.page.unwrap() as usize;
                let chunk: Vec<Order> = all.iter().skip(p * 2).take(2).cloned().collect();
                client.answer("order.searchList", json!({"list": chunk, "total": 5}));
                client.order_search_list(&req).await
            }
        },
    );
    let items = pages.collect_all().await.unwrap();
    assert_eq!(
        items.iter().map(|o| o.id.as_str()).collect::<Vec<_>>(),
        ["0", "1", "2", "3", "4"]
    );
    let sent = client.sent.lock().unwrap();
    assert_eq!(
        sent.iter()
            .map(|(_, b)| b["page"].as_i64().unwrap())
            .collect::<Vec<_>>(),
        [0, 1, 2]
    );
}

#[test]
fn has_more_pages_start_at_one() {
    let req = OrderListRequest { page: None };
    let page = req.page_of(OrderListResponse {
        orders: Some(vec![Order::default()]),
        has_more: Some(true),
    });
    assert_eq!(
        page.next,
        Some(PageKey::Number(2)),
        "page 1 is the first when the request leaves it out"
    );
}

/// The facts of a `Paginated` request's endpoint.
fn facts_of<R: Paginated>() -> Option<&'static PageFacts> {
    R::ENDPOINT.pagination
}

/// `Endpoint::pagination` holds the spec's `pagination:` by wire name, for both styles, with and
/// without size, total and `has_more`; exactly the endpoints with a `Paginated` impl have it.
#[test]
fn paged_endpoints_carry_their_page_facts() {
    assert_eq!(
        facts_of::<OrderSearchRequest>(),
        Some(&PageFacts {
            style: PageStyle::Cursor {
                cursor: "page_token",
                next: "next_page_token",
                done: None,
            },
            items: "orders",
            total: Some("total_count"),
        })
    );
    assert_eq!(
        facts_of::<OrderSearchListRequest>(),
        Some(&PageFacts {
            style: PageStyle::Number {
                page: "page",
                size: Some("size"),
                first: 0,
                has_more: None,
            },
            items: "list",
            total: Some("total"),
        })
    );
    assert_eq!(
        facts_of::<OrderListRequest>(),
        Some(&PageFacts {
            style: PageStyle::Number {
                page: "page",
                size: None,
                first: 1,
                has_more: Some("has_more"),
            },
            items: "orders",
            total: None,
        })
    );
    let paged: Vec<&str> = fixture::endpoints()
        .into_iter()
        .filter(|e| e.pagination.is_some())
        .map(|e| e.name)
        .collect();
    assert_eq!(paged, ["order.search", "order.searchList", "order.list"]);
}

struct NameOf;
impl EndpointVisitor<Fixture> for NameOf {
    type Output = (&'static str, &'static str);
    fn visit<R: ApiRequest<Platform = Fixture> + 'static>(self) -> Self::Output {
        (
            R::ENDPOINT.name,
            std::any::type_name::<R>().rsplit("::").next().unwrap(),
        )
    }
}

#[test]
fn dispatch_finds_every_endpoint_by_name() {
    for ep in fixture::endpoints() {
        let (name, ty) = fixture::dispatch(ep.name, NameOf).unwrap();
        assert_eq!(name, ep.name);
        assert!(ty.ends_with("Request"), "{ty}");
    }
    assert_eq!(
        fixture::dispatch("material.get_cap_info", NameOf)
            .unwrap()
            .1,
        "MaterialGetCapInfoRequest"
    );
    assert!(fixture::dispatch("no.such", NameOf).is_none());
    assert_eq!(fixture::endpoints().len(), 7);
}

/// A user's crate that calls the deprecated `order.list` and sets the deprecated
/// `LineItem.sku_code` compiles, with warnings that name the replacements (and the sunset date):
/// rustc is run on such a crate against this test's own build of the fixture.
#[test]
fn deprecated_items_warn_the_user_naming_their_replacement() {
    let exe = std::env::current_exe().unwrap();
    let deps = exe.parent().unwrap();
    let rlib = std::fs::read_dir(deps)
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("libshop_api_tests-") && n.ends_with(".rlib"))
        })
        .max_by_key(|p| std::fs::metadata(p).and_then(|m| m.modified()).ok())
        .expect("the test's build of shop-api-tests");
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("user.rs");
    std::fs::write(
        &src,
        "pub async fn call(c: &shop_api_tests::fixture::Client) {\n\
         \x20   let _ = c.order_list(&Default::default()).await;\n\
         }\n\
         pub fn line() -> shop_api_tests::fixture::shop::LineItem {\n\
         \x20   shop_api_tests::fixture::shop::LineItem { sku_code: Some(\"A1\".into()), ..Default::default() }\n\
         }\n",
    )
    .unwrap();
    let out = std::process::Command::new(std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into()))
        .args([
            "--edition",
            "2021",
            "--crate-type",
            "lib",
            "--crate-name",
            "user",
        ])
        .arg("-L")
        .arg(format!("dependency={}", deps.display()))
        .arg("--extern")
        .arg(format!("shop_api_tests={}", rlib.display()))
        .arg("--out-dir")
        .arg(dir.path())
        .arg(&src)
        .output()
        .expect("rustc runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "the user's crate compiles: {stderr}");
    assert!(
        stderr.contains("use of deprecated method")
            && stderr.contains("use `order_search` (`order.search`) instead"),
        "{stderr}"
    );
    assert!(
        stderr.contains("use of deprecated field")
            && stderr.contains("use `sku_id` instead; the platform retires it on 2027-01-01"),
        "{stderr}"
    );
}
