//! Shared inputs of the benchmarks: clients, requests and a 100-order response per platform.

use serde_json::{Value, json};
use shop_api::{doudian, douyin, tiktok};

/// A Doudian client with a shop token (nothing is sent while preparing).
pub fn doudian_client() -> doudian::Client {
    doudian::Client::builder(
        "3409409348479354011",
        "2ad2355c-01d0-11f8-91dc-05a8cd1054b1",
    )
    .base_url("http://127.0.0.1:9")
    .build()
    .expect("client")
    .with_access_token("DOUDIAN-ACCESS-TOKEN")
}

/// The request of Doudian's `order.searchList` that the signing test vector uses.
pub fn doudian_request() -> doudian::order::OrderSearchListRequest {
    doudian::order::OrderSearchListRequest {
        page: 0,
        size: 20,
        create_time_start: Some(1_700_000_000),
        create_time_end: Some(1_700_086_400),
        order_by: Some("create_time".into()),
        product: Some("测试<&>".into()),
        ..Default::default()
    }
}

/// A TikTok Shop client with a token and a shop cipher.
pub fn tiktok_client() -> tiktok::Client {
    tiktok::Client::builder("68xu9ks5p4i8", "e59af819cc")
        .base_url("http://127.0.0.1:9")
        .build()
        .expect("client")
        .with_access_token("TTP-ACCESS-TOKEN")
        .with_shop_cipher("ROW_xkMbgAAAeVAQra0eZWebFQq5aIK")
}

/// An order search of TikTok Shop.
pub fn tiktok_request() -> tiktok::order::OrderSearchRequest {
    tiktok::order::OrderSearchRequest {
        page_size: 20,
        order_status: Some(tiktok::order::OrderStatus::AwaitingShipment),
        create_time_ge: Some(1_700_000_000),
        ..Default::default()
    }
}

/// A Douyin client with a client token.
pub fn douyin_client() -> douyin::Client {
    douyin::Client::builder("sandbox-client-key", "sandbox-client-secret")
        .base_url("http://127.0.0.1:9")
        .build()
        .expect("client")
        .with_access_token("clt.DOUYIN-CLIENT-TOKEN")
}

/// A service-market deduction.
pub fn douyin_request() -> douyin::market::MarketServiceUserRemaintimesDecrRequest {
    douyin::market::MarketServiceUserRemaintimesDecrRequest {
        count: 1,
        is_test_env: true,
        open_id: "OPEN-ID".into(),
        out_trade_no: "ORDER-1".into(),
        service_id: "7000".into(),
        service_mode_id: "1".into(),
    }
}

/// A Doudian `order.searchList` response holding `n` orders, shaped as the documentation's.
pub fn doudian_orders_response(n: usize) -> String {
    let order = |i: usize| -> Value {
        json!({
            "order_id": format!("69218888888{i:08}"), "shop_id": 4463798, "open_id": "1@#abc", "order_status": 2,
            "order_status_desc": "备货中", "main_status": 103, "pay_time": 1700000100, "create_time": 1700000000,
            "update_time": 1700000200, "order_amount": 9900, "pay_amount": 9800, "post_amount": 0,
            "buyer_words": "", "seller_words": "", "b_type": 2, "b_type_desc": "抖音",
            "post_addr": {"province": {"name": "广东省", "id": "44"}, "city": {"name": "深圳市", "id": "4403"}, "town": {"name": "南山区", "id": "440305"}, "street": {"name": "粤海街道", "id": "440305007"}},
            "logistics_info": [{"tracking_no": "SF1234567890", "company": "shunfeng", "ship_time": 1700003600}],
            "sku_order_list": [
                {"order_id": format!("69218888888{i:08}1"), "parent_order_id": format!("69218888888{i:08}"), "sku_id": 1737000000000000001u64, "product_id": 3600000000000000001u64, "product_name": "测试商品", "item_num": 2, "origin_amount": 9900, "pay_amount": 9800, "code": "SKU-A", "order_status": 2},
                {"order_id": format!("69218888888{i:08}2"), "parent_order_id": format!("69218888888{i:08}"), "sku_id": 1737000000000000002u64, "product_id": 3600000000000000002u64, "product_name": "赠品", "item_num": 1, "origin_amount": 0, "pay_amount": 0, "code": "SKU-B", "order_status": 2}
            ]
        })
    };
    json!({"code": 10000, "msg": "success", "sub_code": "", "sub_msg": "", "log_id": "2023111415000001",
        "data": {"page": 0, "size": n, "total": n, "shop_order_list": (0..n).map(order).collect::<Vec<_>>()}})
    .to_string()
}
