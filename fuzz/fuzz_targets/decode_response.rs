//! Any bytes as a response body or a webhook push: each decoder answers a value or an error.
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde::Deserialize;
use serde_json::value::RawValue;
use shop_api::runtime::{ApiRequest, decode_data};
use shop_api::{doudian, douyin, tiktok};

#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(borrow, default)]
    data: Option<&'a RawValue>,
}

fn decode<R: ApiRequest>(body: &[u8]) {
    if let Ok(env) = serde_json::from_slice::<Envelope<'_>>(body) {
        let _ = decode_data::<R::Response>(R::ENDPOINT, env.data, body);
    }
}

fuzz_target!(|body: &[u8]| {
    decode::<doudian::order::OrderSearchListRequest>(body);
    decode::<doudian::token::TokenCreateRequest>(body);
    decode::<tiktok::order::OrderSearchRequest>(body);
    decode::<tiktok::product::ProductSearchRequest>(body);
    decode::<douyin::market::MarketServiceUserPurchaseListRequest>(body);
    let _ = doudian::webhook::verify("k", "s", &[("event-sign", "00")], body);
    let _ = doudian::webhook::parse_unverified(body);
    let _ = douyin::webhook::parse_unverified(body, None);
    if let Ok(text) = std::str::from_utf8(body) {
        let _ = doudian::Event::decode("101", text);
        let _ = tiktok::Event::decode("1", text);
    }
});
