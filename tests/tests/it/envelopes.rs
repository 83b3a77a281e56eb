//! The one envelope reader (`runtime::envelope::read`) on each platform's envelope as its
//! platform.yaml declares it. The bodies are written out here in the shapes of the platforms'
//! documentation (Doudian `{code, msg, sub_code, sub_msg, log_id, data}`; TikTok Shop
//! `{code, message, request_id, data}`; Douyin's legacy `{data: {error_code, description}, extra}`,
//! OAuth `{data: {error_code, description}, message}` and newer `{err_no, err_msg, log_id, data}`),
//! and the expected codes, messages and ids are the ones written in those bodies.

use serde_json::{Value, json};
use shop_api::runtime::envelope::read;
use shop_api::runtime::http::RawResponse;
use shop_api::runtime::{ApiRequest, Endpoint, Error, ErrorKind, Facts, Reply};
use shop_api::{doudian, douyin, tiktok};

fn raw(status: u16, body: &str) -> RawResponse {
    RawResponse {
        status,
        retry_after: None,
        body: body.as_bytes().to_vec(),
    }
}

/// Each platform with an endpoint of it, a success body carrying `{"n": 1}` with request id
/// `RID`, and an error body with code 987654321 (no catalogue holds it) and message `boom`.
fn platforms() -> Vec<(&'static Facts, &'static Endpoint, Value, Value)> {
    vec![
        (
            &doudian::FACTS,
            <doudian::order::OrderSearchListRequest as ApiRequest>::ENDPOINT,
            json!({"code": 10000, "msg": "success", "sub_code": "", "sub_msg": "", "log_id": "RID", "data": {"n": 1}}),
            json!({"code": 987654321, "msg": "boom", "sub_code": "isv.x", "sub_msg": "sub boom", "log_id": "RID", "data": {}}),
        ),
        (
            &tiktok::FACTS,
            <tiktok::order::OrderSearchRequest as ApiRequest>::ENDPOINT,
            json!({"code": 0, "message": "Success", "request_id": "RID", "data": {"n": 1}}),
            json!({"code": 987654321, "message": "boom", "request_id": "RID", "data": null}),
        ),
        (
            &douyin::FACTS,
            <douyin::market::MarketServiceUserRemaintimesDecrRequest as ApiRequest>::ENDPOINT,
            json!({"err_no": 0, "err_msg": "", "log_id": "RID", "data": {"n": 1}}),
            json!({"err_no": 987654321, "err_msg": "boom", "log_id": "RID", "data": null}),
        ),
    ]
}

fn ok(facts: &Facts, ep: &Endpoint, status: u16, body: &Value) -> Reply {
    read(facts, ep, raw(status, &body.to_string()))
        .unwrap_or_else(|e| panic!("{}: {e}", facts.name))
}

fn api_error(
    facts: &Facts,
    ep: &Endpoint,
    status: u16,
    body: &Value,
) -> shop_api::runtime::ApiError {
    match read(facts, ep, raw(status, &body.to_string())) {
        Err(Error::Api(e)) => *e,
        other => panic!("{}: not an API error: {other:?}", facts.name),
    }
}

#[test]
fn a_success_envelope_gives_its_data_and_request_id_on_every_platform() {
    for (facts, ep, success, _) in platforms() {
        let reply = ok(facts, ep, 200, &success);
        assert_eq!(reply.data(), Some(r#"{"n":1}"#), "{}", facts.name);
        assert_eq!(reply.request_id.as_deref(), Some("RID"), "{}", facts.name);
    }
}

/// Before the one reader, Doudian and Douyin took a success code under an HTTP error status as
/// success; TikTok Shop did not.
#[test]
fn a_success_code_under_an_http_error_status_is_an_http_error_on_every_platform() {
    for (facts, ep, success, _) in platforms() {
        for status in [400, 404, 500, 503] {
            match read(facts, ep, raw(status, &success.to_string())) {
                Err(Error::Http { status: s, .. }) => assert_eq!(s, status, "{}", facts.name),
                other => panic!("{} HTTP {status}: {other:?}", facts.name),
            }
        }
    }
}

#[test]
fn an_error_envelope_is_classed_by_the_one_rule_on_every_platform() {
    for (facts, ep, _, failure) in platforms() {
        for (status, kind, retry) in [
            (200, ErrorKind::Other, false),
            (401, ErrorKind::Auth, false),
            (429, ErrorKind::RateLimited, true),
            (500, ErrorKind::Server, true),
        ] {
            let e = api_error(facts, ep, status, &failure);
            assert_eq!(
                (e.code, e.kind, e.retry),
                (987654321, kind, retry),
                "{} {status}",
                facts.name
            );
            assert_eq!(e.message, "boom", "{}", facts.name);
            assert_eq!(e.request_id.as_deref(), Some("RID"), "{}", facts.name);
            assert_eq!(e.platform, facts.name);
            assert_eq!(e.http_status, status);
        }
    }
}

#[test]
fn a_body_that_is_no_envelope_is_an_http_error_or_a_decode_error() {
    for (facts, ep, _, _) in platforms() {
        for body in [
            "<html>bad gateway</html>",
            "",
            "[1, 2]",
            r#"{"data": {"n": 1}}"#,
        ] {
            assert!(
                matches!(
                    read(facts, ep, raw(502, body)),
                    Err(Error::Http { status: 502, .. })
                ),
                "{}: {body:?} at 502",
                facts.name
            );
            assert!(
                matches!(read(facts, ep, raw(200, body)), Err(Error::Decode { .. })),
                "{}: {body:?} at 200",
                facts.name
            );
        }
    }
}

#[test]
fn doudian_reads_its_sub_code_and_sub_message_and_the_older_gateway_s_err_no() {
    let (facts, ep) = (
        &doudian::FACTS,
        <doudian::order::OrderSearchListRequest as ApiRequest>::ENDPOINT,
    );
    let e = api_error(
        facts,
        ep,
        200,
        &json!({"code": 40003, "msg": "非法的参数", "sub_code": "isv.access-token-expired", "sub_msg": "access_token已过期", "log_id": "L1", "data": {}}),
    );
    assert_eq!(e.sub_code.as_deref(), Some("isv.access-token-expired"));
    assert_eq!(e.sub_message.as_deref(), Some("access_token已过期"));
    assert_eq!(e.kind, ErrorKind::TokenExpired);
    // The older gateway: `err_no` 0 is success, anything else the error, `message` its text.
    let reply = ok(
        facts,
        ep,
        200,
        &json!({"err_no": 0, "message": "success", "data": {"n": 1}}),
    );
    assert_eq!(reply.data(), Some(r#"{"n":1}"#));
    let e = api_error(
        facts,
        ep,
        200,
        &json!({"err_no": 123, "message": "old boom"}),
    );
    assert_eq!((e.code, e.message.as_str()), (123, "old boom"));
}

#[test]
fn douyin_reads_its_three_envelopes_from_the_places_declared() {
    let (facts, ep) = (
        &douyin::FACTS,
        <douyin::market::MarketServiceUserRemaintimesDecrRequest as ApiRequest>::ENDPOINT,
    );
    // Legacy: the code in `data` and in `extra`, the log id in `extra`, kept whole on the reply.
    let legacy = json!({"data": {"error_code": 0, "description": "", "n": 1}, "extra": {"error_code": 0, "description": "", "sub_error_code": 0, "sub_description": "", "logid": "L2", "now": 1700000000000u64}});
    let reply = ok(facts, ep, 200, &legacy);
    assert_eq!(reply.request_id.as_deref(), Some("L2"));
    assert_eq!(
        reply.extra.as_ref().unwrap()["now"],
        json!(1700000000000u64)
    );
    let legacy_err = json!({"data": {"error_code": 28001008, "description": "access_token过期"}, "extra": {"error_code": 28001008, "description": "access_token过期", "sub_error_code": 0, "sub_description": "", "logid": "L3", "now": 1}});
    let e = api_error(facts, ep, 200, &legacy_err);
    assert_eq!((e.code, e.message.as_str()), (28001008, "access_token过期"));
    assert_eq!(e.sub_code, None, "a sub-code 0 is none");
    assert_eq!(e.request_id.as_deref(), Some("L3"));
    assert_eq!(e.kind, ErrorKind::TokenExpired);
    assert!(e.extra.is_some());
    // OAuth: the code in `data`, codes sent as text.
    let oauth_err = json!({"data": {"captcha": "", "desc_url": "", "description": "refresh_token过期", "error_code": "10010"}, "message": "error"});
    let e = api_error(facts, ep, 200, &oauth_err);
    assert_eq!((e.code, e.message.as_str()), (10010, "refresh_token过期"));
    let oauth_ok = json!({"data": {"access_token": "act.1", "error_code": 0, "description": ""}, "message": "success"});
    assert!(
        ok(facts, ep, 200, &oauth_ok)
            .data()
            .unwrap()
            .contains("act.1")
    );
}
