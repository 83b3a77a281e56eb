//! Any bytes as a response body or a webhook push: each decoder answers a value or an error, and
//! what decodes can be paged, printed and encoded again; nothing panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde::Deserialize;
use serde_json::value::RawValue;
use shop_api::runtime::{ApiRequest, PageKey, Paginated, decode_data};
use shop_api::{doudian, douyin, tiktok};

#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(borrow, default)]
    data: Option<&'a RawValue>,
}

fn data(body: &[u8]) -> Option<Option<&str>> {
    serde_json::from_slice::<Envelope<'_>>(body)
        .ok()
        .map(|e| e.data.map(RawValue::get))
}

/// The body as the response of `R`: decode, then print and encode what decoded.
fn decode<R: ApiRequest>(body: &[u8]) -> Option<R::Response>
where
    R::Response: std::fmt::Debug + serde::Serialize,
{
    let resp = decode_data::<R::Response>(R::ENDPOINT, data(body)?, body);
    match resp {
        Ok(r) => {
            let _ = format!("{r:?}");
            let _ = serde_json::to_string(&r);
            Some(r)
        }
        Err(e) => {
            let _ = format!("{e} {e:?}");
            None
        }
    }
}

/// The body as one page of `R`, requested at the first page and at the extremes of the page
/// number (a page number comes from the caller, the rest of the page from the server).
fn page<R: Paginated + Default>(body: &[u8])
where
    R::Response: std::fmt::Debug + serde::Serialize + Clone,
{
    let Some(resp) = decode::<R>(body) else {
        return;
    };
    for n in [None, Some(i64::MAX), Some(i64::MIN)] {
        let mut req = R::default();
        if let Some(n) = n {
            req.set_page(&PageKey::Number(n));
        }
        let _ = req.page_of(resp.clone());
    }
}

fuzz_target!(|body: &[u8]| {
    // Responses: the envelope's `data` into the generated type.
    page::<doudian::order::OrderSearchListRequest>(body);
    page::<doudian::after_sale::AfterSaleListRequest>(body);
    page::<doudian::product::ProductListV2Request>(body);
    decode::<doudian::token::TokenCreateRequest>(body);
    page::<tiktok::order::OrderSearchRequest>(body);
    page::<tiktok::product::ProductSearchRequest>(body);
    page::<tiktok::finance::FinanceStatementsRequest>(body);
    decode::<douyin::market::MarketServiceUserPurchaseListRequest>(body);
    decode::<douyin::oauth::OauthAccessTokenRequest>(body);

    // Webhook pushes: a signature check on garbage headers, then the parsers (which pick the event
    // type from the body, so every event of the catalogue is reachable).
    let _ = doudian::webhook::verify("k", "s", &[("event-sign", "00")], body);
    let _ = tiktok::webhook::verify("k", "s", &[("authorization", "00")], body);
    let _ = douyin::webhook::verify(&[("x-douyin-signature", "00")], body, "s");
    if let Ok(msgs) = doudian::webhook::parse_unverified(body) {
        let _ = format!("{msgs:?}");
    }
    if let Ok(n) = tiktok::webhook::parse_unverified(body) {
        let _ = format!("{n:?}");
    }
    if let Ok(ev) = douyin::webhook::parse_unverified(body, Some("m".into())) {
        let _ = ev.typed();
        let _ = ev.challenge_reply();
        let _ = format!("{ev:?}");
    }
    // Event data given directly, for a few codes.
    if let Ok(text) = std::str::from_utf8(body) {
        let _ = doudian::Event::decode("101", text);
        let _ = doudian::Event::decode("200", text);
        let _ = tiktok::Event::decode("1", text);
        let _ = douyin::Event::decode("service_market_order", text);
    }
});
