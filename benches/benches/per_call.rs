#![allow(missing_docs)] // criterion_main! generates an undocumented `main`.
//! Per-call overhead: building a signed request for each platform, and decoding a 100-order
//! search response into typed structs vs into `serde_json::Value`.

use criterion::{Criterion, black_box, criterion_group, criterion_main};
use shop_api::doudian::order::OrderSearchListResponse;
use shop_api::runtime::{ApiRequest, json};
use shop_api_benches::*;

fn signed_requests(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let dd = doudian_client();
    let dd_req = doudian_request();
    let tt = tiktok_client();
    let tt_req = tiktok_request();
    let dy = douyin_client();
    let dy_req = douyin_request();
    let mut g = c.benchmark_group("signed_request");
    g.bench_function("doudian order.searchList", |b| {
        b.iter(|| rt.block_on(dd.prepare(black_box(&dd_req))).unwrap())
    });
    g.bench_function("tiktok order.search", |b| {
        b.iter(|| rt.block_on(tt.prepare(black_box(&tt_req))).unwrap())
    });
    g.bench_function("douyin remaintimes.decr", |b| {
        b.iter(|| rt.block_on(dy.prepare(black_box(&dy_req))).unwrap())
    });
    // The Doudian parts alone: canonical param_json, then the sign.
    let ep = <shop_api::doudian::order::OrderSearchListRequest as ApiRequest>::ENDPOINT;
    g.bench_function("doudian canonical param_json", |b| {
        b.iter(|| json::to_canonical(black_box(&dd_req)).unwrap())
    });
    let pj = json::to_canonical(&dd_req).unwrap();
    g.bench_function("doudian sign (hmac-sha256)", |b| {
        b.iter(|| {
            shop_api::doudian::sign::sign(
                shop_api::doudian::SignMethod::HmacSha256,
                "3409409348479354011",
                "2ad2355c-01d0-11f8-91dc-05a8cd1054b1",
                ep.name,
                black_box(&pj),
                "1700000000",
                "2",
            )
        })
    });
    g.finish();
}

fn decode(c: &mut Criterion) {
    let body = doudian_orders_response(100);
    let mut g = c.benchmark_group("decode_100_orders");
    g.throughput(criterion::Throughput::Bytes(body.len() as u64));
    g.bench_function("typed (OrderSearchListResponse)", |b| {
        // As the client does it: the envelope first, then `data` into the endpoint's type.
        #[derive(serde::Deserialize)]
        struct Env<'a> {
            #[serde(borrow)]
            data: Option<&'a serde_json::value::RawValue>,
        }
        let ep = <shop_api::doudian::order::OrderSearchListRequest as ApiRequest>::ENDPOINT;
        b.iter(|| {
            let e: Env<'_> = serde_json::from_str(black_box(&body)).unwrap();
            let r: OrderSearchListResponse =
                shop_api::runtime::decode_data(ep, e.data.map(|d| d.get()), body.as_bytes())
                    .unwrap();
            r.shop_order_list.map(|l| l.len())
        })
    });
    g.bench_function("serde_json::Value", |b| {
        b.iter(|| {
            let v: serde_json::Value = serde_json::from_str(black_box(&body)).unwrap();
            v["data"]["shop_order_list"].as_array().map(|l| l.len())
        })
    });
    g.finish();
}

fn round_trips(c: &mut Criterion) {
    use shop_api_tests::fake_http::{Reply, Server};
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let body: serde_json::Value = serde_json::from_str(&doudian_orders_response(1)).unwrap();
    let server = rt.block_on(Server::start(move |_| Reply::json(&body)));
    let client = shop_api::doudian::Client::builder("k", "s")
        .base_url(server.uri())
        .build()
        .unwrap()
        .with_access_token("t");
    let req = doudian_request();
    let mut g = c.benchmark_group("round_trip");
    g.bench_function(
        "doudian order.searchList over 127.0.0.1 (keep-alive)",
        |b| {
            b.iter(|| {
                rt.block_on(client.order_search_list(black_box(&req)))
                    .unwrap()
            })
        },
    );
    g.finish();
}

criterion_group!(benches, signed_requests, decode, round_trips);

criterion_main!(benches);
