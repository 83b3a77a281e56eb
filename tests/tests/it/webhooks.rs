//! Webhooks of Doudian and TikTok Shop: the signature vectors of the issue, refusals (tampered body
//! or signature, missing headers, another app), unknown tags and types kept as `Event::Unknown`, a
//! batch of several typed events, the Doudian test message, and the example receiver
//! (`shop-api-examples`) exercised over HTTP on 127.0.0.1. How it handles each event once across
//! copies and receivers (claims in memory, Redis and PostgreSQL) is tested in `webhook_claims.rs`.

use serde_json::{Value, json};
use shop_api::doudian::{self, after_sale, order, product, webhook as dd};
use shop_api::runtime::webhook::WebhookError;
use shop_api::tiktok::{self, event as tt_event, webhook as tt};
use shop_api_examples::{DOUDIAN_PATH, Received, ReceiverConfig, TIKTOK_PATH};
use tokio::sync::mpsc::{UnboundedReceiver, error::TryRecvError};

const DD_KEY: &str = "3409409348479354011";
const DD_SECRET: &str = "2ad2355c-01d0-11f8-91dc-05a8cd1054b1";
const DD_TEST_BODY: &str = r#"[{"tag":"0","msg_id":"0","data":"{}"}]"#;
const DD_TEST_SIGN: &str = "356532ab10e2668eb4f1c9b6665b6864";

const TT_KEY: &str = "68xu9ks5p4i8";
const TT_SECRET: &str = "e59af819cc";
const TT_BODY: &str = r#"{"type":1,"tts_notification_id":"7327112393057371910","shop_id":"7494049642642441621","timestamp":1706081024,"data":{"order_id":"576462942424338891","order_status":"AWAITING_SHIPMENT","update_time":1706081023}}"#;
const TT_SIGN: &str = "2c4db0447d552841c17bc7dcc400b127bfc96cd168b4c59e2125655ddcae002e";

/// A Doudian push body: `[{tag, msg_id, data}]`, each `data` JSON-encoded into a string.
fn dd_body(messages: &[(&str, &str, Value)]) -> String {
    let items: Vec<Value> = messages
        .iter()
        .map(|(tag, id, data)| json!({"tag": tag, "msg_id": id, "data": data.to_string()}))
        .collect();
    Value::Array(items).to_string()
}

/// A batch with one message of each kind of payload, shaped as the official message docs show them.
fn dd_batch() -> String {
    dd_body(&[
        (
            "100",
            "m-100",
            json!({"p_id":4881995531871913482u64,"s_ids":[4881995531871913482u64],"shop_id":94956,"store_id":8794053,
                   "order_status":1,"order_type":0,"create_time":1640774086,"biz":2}),
        ),
        (
            "101",
            "m-101",
            json!({"pay_amount":1990,"s_ids":[4837328765348566675u64],"order_status":2,"order_type":0,"pay_time":1630373504,
                   "p_id":4837328765348566675u64,"shop_id":77977,"pay_type":1,"biz":2}),
        ),
        (
            "102",
            "m-102",
            json!({"p_id":"4835999782215622430","s_ids":["4835999782215622430"],"shop_id":597277,"order_status":3,
                   "order_type":2,"update_time":1630335741,"biz":2,
                   "receiver_msg":{"name":"张*","tel":"131****8564",
                                   "addr":"{\"province\":{\"name\":\"浙江省\",\"id\":\"33\"},\"detail\":\"***\"}"},
                   "logistics_msg":{"express_company_id":"zhongtong","logistics_code":"73100000000001"}}),
        ),
        (
            "108",
            "m-108",
            json!({"p_id":4705288465508532862u64,"s_ids":[4705288465508533000u64],"shop_id":95250,"order_status":101,
                   "order_type":0,"biz":2,"update_time":1599644408,
                   "receiver_msg":{"name":"周一","tel":"13678643212","addr":[{"province":{"name":"浙江省","id":"330000"}}]},
                   "logistics_msg":{"pack_id":"4705288465508532862","express_company_id":"gdkd","logistics_code":"111111111111111",
                                    "shipped_order_info":[{"shipped_order_id":"4705288465508532862","product_id":"2329389",
                                                           "sku_id":"3373737","sku_num":"2","shipped_num":"1"}]}}),
        ),
        (
            "200",
            "m-200",
            json!({"refund_amount":8900,"refund_voucher_num":0,"shop_id":10437917,"aftersale_id":7000893114000949517u64,
                   "aftersale_status":6,"aftersale_type":2,"apply_time":1630022518,"s_id":4835804142146756441u64,
                   "p_id":4835804142146756441u64,"refund_post_amount":0,"reason_code":1,
                   "update_time":"2022-09-02T10:27:50+08:00"}),
        ),
        (
            "202",
            "m-202",
            json!({"p_id":457824112312123u64,"s_id":457824112312123u64,"shop_id":77977,"aftersale_id":657824112312121u64,
                   "aftersale_status":6,"aftersale_type":0,"agree_time":1630288054,
                   "addr":{"province":"广东省","province_id":"44","city":"深圳市","detail":"***","name":"*","mobile":"***"}}),
        ),
        (
            "216",
            "m-216",
            json!({"aftersale_id":7001268675961536803u64,"aftersale_type":1,"arbitrate_status":255,"s_id":4835999782215360286u64,
                   "p_id":4835999782215360286u64,"shop_id":597277,"aftersale_status":27,
                   "arbitrate_id":"7001268675961536803_002","arbitrate_conclusion":1}),
        ),
        (
            "400",
            "m-400",
            json!({"check_reject_reason":"{}","event":5,"out_product_id":0,"product_id":3488625851803765000u64,
                   "shop_id":95250,"update_time":1647382944,"reason":"该商品主图不合规"}),
        ),
        (
            "417",
            "m-417",
            json!({"product_id":3570275551476319644u64,"shop_id":90419,"msg_type":4,
                   "status":{"status":"0","check_status":"3","draft_status":"3"}}),
        ),
        ("9999", "m-9999", json!({"something":"new"})),
    ])
}

#[test]
fn doudian_vector_and_test_message() {
    assert_eq!(
        dd::sign(DD_KEY, DD_SECRET, DD_TEST_BODY.as_bytes()),
        DD_TEST_SIGN
    );
    let headers = vec![
        ("app-id".to_owned(), DD_KEY.to_owned()),
        ("event-sign".to_owned(), DD_TEST_SIGN.to_owned()),
    ];
    let messages = dd::verify(DD_KEY, DD_SECRET, &headers, DD_TEST_BODY.as_bytes()).unwrap();
    assert_eq!(messages.len(), 1);
    assert!(messages[0].is_test());
    assert_eq!(messages[0].msg_id, "0");
    assert_eq!(
        messages[0].event,
        doudian::Event::Unknown {
            code: "0".into(),
            data: json!({})
        }
    );
    assert_eq!(dd::SUCCESS_REPLY, r#"{"code":0,"msg":"success"}"#);
}

#[test]
fn tiktok_vector() {
    assert_eq!(tt::sign(TT_KEY, TT_SECRET, TT_BODY.as_bytes()), TT_SIGN);
    let n = tt::verify(
        TT_KEY,
        TT_SECRET,
        &[("Authorization", TT_SIGN)],
        TT_BODY.as_bytes(),
    )
    .unwrap();
    assert_eq!(n.kind, 1);
    assert_eq!(n.tts_notification_id, "7327112393057371910");
    assert_eq!(n.shop_id, "7494049642642441621");
    assert_eq!(n.timestamp, 1706081024);
    assert_eq!(n.name(), "order_status_change");
    let tiktok::Event::OrderStatusChange(e) = &n.event else {
        panic!("{:?}", n.event)
    };
    assert_eq!(e.order_id.as_deref(), Some("576462942424338891"));
    assert_eq!(e.order_status.as_deref(), Some("AWAITING_SHIPMENT"));
    assert_eq!(e.update_time, Some(1706081023));
}

#[test]
fn tampered_bodies_and_signatures_are_refused() {
    // Doudian: one byte of the body changed, one digit of the signature changed, no signature,
    // a push for another app, the right signature under the wrong secret.
    let body = dd_batch();
    let sign = dd::sign(DD_KEY, DD_SECRET, body.as_bytes());
    let tampered = body.replacen("m-101", "m-102", 1);
    let ok = [("event-sign", sign.as_str())];
    assert!(dd::verify(DD_KEY, DD_SECRET, &ok, body.as_bytes()).is_ok());
    assert_eq!(
        dd::verify(DD_KEY, DD_SECRET, &ok, tampered.as_bytes()),
        Err(WebhookError::BadSignature("event-sign"))
    );
    let mut flipped = sign.clone();
    flipped.replace_range(..1, if sign.starts_with('0') { "1" } else { "0" });
    assert_eq!(
        dd::verify(
            DD_KEY,
            DD_SECRET,
            &[("event-sign", flipped.as_str())],
            body.as_bytes()
        ),
        Err(WebhookError::BadSignature("event-sign"))
    );
    assert_eq!(
        dd::verify(DD_KEY, DD_SECRET, &[("app-id", DD_KEY)], body.as_bytes()),
        Err(WebhookError::MissingHeader("event-sign"))
    );
    assert_eq!(
        dd::verify(
            DD_KEY,
            DD_SECRET,
            &[
                ("event-sign", sign.as_str()),
                ("app-id", "7000000000000000000")
            ],
            body.as_bytes()
        ),
        Err(WebhookError::OtherApp("app-id"))
    );
    assert_eq!(
        dd::verify(DD_KEY, "another-secret", &ok, body.as_bytes()),
        Err(WebhookError::BadSignature("event-sign"))
    );

    // TikTok: the same.
    let tampered = TT_BODY.replace("AWAITING_SHIPMENT", "CANCELLED");
    let ok = [("authorization", TT_SIGN)];
    assert_eq!(
        tt::verify(TT_KEY, TT_SECRET, &ok, tampered.as_bytes()),
        Err(WebhookError::BadSignature("Authorization"))
    );
    let flipped = TT_SIGN.replacen('2', "3", 1);
    assert_eq!(
        tt::verify(
            TT_KEY,
            TT_SECRET,
            &[("Authorization", flipped.as_str())],
            TT_BODY.as_bytes()
        ),
        Err(WebhookError::BadSignature("Authorization"))
    );
    assert_eq!(
        tt::verify(TT_KEY, TT_SECRET, &[("x-other", "1")], TT_BODY.as_bytes()),
        Err(WebhookError::MissingHeader("Authorization"))
    );
    assert_eq!(
        tt::verify("another-key", TT_SECRET, &ok, TT_BODY.as_bytes()),
        Err(WebhookError::BadSignature("Authorization"))
    );

    // No error names a secret or the signature.
    for e in [
        dd::verify(
            DD_KEY,
            DD_SECRET,
            &[("event-sign", flipped.as_str())],
            body.as_bytes(),
        )
        .unwrap_err(),
        tt::verify(
            TT_KEY,
            TT_SECRET,
            &[("Authorization", flipped.as_str())],
            TT_BODY.as_bytes(),
        )
        .unwrap_err(),
    ] {
        let text = format!("{e} {e:?}");
        assert!(
            !text.contains(DD_SECRET) && !text.contains(TT_SECRET) && !text.contains(&flipped),
            "{text}"
        );
    }
}

#[test]
fn a_batch_of_several_doudian_events() {
    let body = dd_batch();
    let sign = dd::sign(DD_KEY, DD_SECRET, body.as_bytes());
    let messages = dd::verify(DD_KEY, DD_SECRET, &[("event-sign", sign)], body.as_bytes()).unwrap();
    let names: Vec<(&str, &str)> = messages
        .iter()
        .map(|m| (m.tag.as_str(), m.name()))
        .collect();
    assert_eq!(
        names,
        [
            ("100", "trade_create"),
            ("101", "trade_paid"),
            ("102", "trade_seller_ship"),
            ("108", "trade_partly_seller_ship"),
            ("200", "refund_created"),
            ("202", "refund_return_apply_agreed"),
            ("216", "refund_arbitrate_audited"),
            ("400", "product_change"),
            ("417", "product_info_change"),
            ("9999", "unknown"),
        ]
    );
    assert!(
        messages.iter().all(|m| m.decode_error.is_none()),
        "{messages:#?}"
    );

    let doudian::Event::TradeCreate(e) = &messages[0].event else {
        panic!()
    };
    assert_eq!(e.p_id.as_deref(), Some("4881995531871913482"));
    assert_eq!(e.store_id.as_deref(), Some("8794053"));
    assert_eq!(e.order_status, Some(order::OrderStatus::Unpaid));

    let doudian::Event::TradePaid(e) = &messages[1].event else {
        panic!()
    };
    assert_eq!(
        e.s_ids.as_deref(),
        Some(&["4837328765348566675".to_owned()][..])
    );
    assert_eq!(
        (e.pay_amount, e.pay_type, e.order_status.clone()),
        (
            Some(1990),
            Some(1),
            Some(order::OrderStatus::AwaitingShipment)
        )
    );

    let doudian::Event::TradeSellerShip(e) = &messages[2].event else {
        panic!()
    };
    let receiver = e.receiver_msg.as_ref().unwrap();
    assert_eq!(receiver.tel.as_deref(), Some("131****8564"));
    assert!(
        receiver
            .addr
            .as_ref()
            .unwrap()
            .as_str()
            .unwrap()
            .contains("浙江省")
    );
    assert_eq!(
        e.logistics_msg.as_ref().unwrap().logistics_code.as_deref(),
        Some("73100000000001")
    );

    let doudian::Event::TradePartlySellerShip(e) = &messages[3].event else {
        panic!()
    };
    assert_eq!(e.order_status, Some(order::OrderStatus::PartlyShipped));
    let shipped = &e
        .logistics_msg
        .as_ref()
        .unwrap()
        .shipped_order_info
        .as_ref()
        .unwrap()[0];
    assert_eq!(
        (
            shipped.sku_id.as_deref(),
            shipped.sku_num,
            shipped.shipped_num
        ),
        (Some("3373737"), Some(2), Some(1))
    );

    let doudian::Event::RefundCreated(e) = &messages[4].event else {
        panic!()
    };
    assert_eq!(e.aftersale_id.as_deref(), Some("7000893114000949517"));
    assert_eq!((e.refund_amount, e.aftersale_status), (Some(8900), Some(6)));
    assert_eq!(e.update_time.as_deref(), Some("2022-09-02T10:27:50+08:00"));

    let doudian::Event::RefundReturnApplyAgreed(e) = &messages[5].event else {
        panic!()
    };
    assert_eq!(e.addr.as_ref().unwrap()["province_id"], "44");

    let doudian::Event::RefundArbitrateAudited(after_sale::RefundArbitrateAuditedEvent {
        arbitrate_conclusion,
        arbitrate_id,
        ..
    }) = &messages[6].event
    else {
        panic!()
    };
    assert_eq!(
        (*arbitrate_conclusion, arbitrate_id.as_deref()),
        (Some(1), Some("7001268675961536803_002"))
    );

    let doudian::Event::ProductChange(e) = &messages[7].event else {
        panic!()
    };
    assert_eq!(
        (e.event, e.product_id.as_deref()),
        (Some(5), Some("3488625851803765000"))
    );

    let doudian::Event::ProductInfoChange(product::ProductInfoChangeEvent {
        status, msg_type, ..
    }) = &messages[8].event
    else {
        panic!()
    };
    assert_eq!(
        (status.as_ref().unwrap().check_status.as_deref(), *msg_type),
        (Some("3"), Some(4))
    );

    assert_eq!(
        messages[9].event,
        doudian::Event::Unknown {
            code: "9999".into(),
            data: json!({"something":"new"})
        }
    );

    // The messages serialize with their names, for logs and the CLI.
    let out = serde_json::to_value(&messages).unwrap();
    assert_eq!(out[1]["name"], "trade_paid");
    assert_eq!(out[1]["event"]["p_id"], "4837328765348566675");
    assert_eq!(
        out[9]["event"],
        json!({"code":"9999","data":{"something":"new"}})
    );
}

#[test]
fn unknown_tags_and_types_are_kept_raw() {
    let body = dd_body(&[("31337", "m", json!({"a":[1,2,3]}))]);
    let sign = dd::sign(DD_KEY, DD_SECRET, body.as_bytes());
    let m = dd::verify(DD_KEY, DD_SECRET, &[("event-sign", sign)], body.as_bytes())
        .unwrap()
        .remove(0);
    assert_eq!(
        m.event,
        doudian::Event::Unknown {
            code: "31337".into(),
            data: json!({"a":[1,2,3]})
        }
    );
    assert_eq!(m.event.code_and_name(), ("31337", "unknown"));

    let body = r#"{"type":77,"tts_notification_id":"n77","shop_id":"s","timestamp":1,"data":{"future":true}}"#;
    let sign = tt::sign(TT_KEY, TT_SECRET, body.as_bytes());
    let n = tt::verify(
        TT_KEY,
        TT_SECRET,
        &[("Authorization", sign)],
        body.as_bytes(),
    )
    .unwrap();
    assert_eq!(
        n.event,
        tiktok::Event::Unknown {
            code: "77".into(),
            data: json!({"future":true})
        }
    );

    // Data that does not fit a known tag is kept too, with the reason.
    let body = dd_body(&[("101", "m", json!({"s_ids": {"not": "a list"}}))]);
    let m = dd::parse_unverified(body.as_bytes()).unwrap().remove(0);
    assert!(matches!(m.event, doudian::Event::Unknown { .. }));
    assert!(m.decode_error.is_some());
}

#[test]
fn tiktok_customer_service_topics() {
    let body = r#"{"type":14,"tts_notification_id":"7327112393057371910","shop_id":"7494049642642441621","timestamp":1644412885,"data":{"content":"{\"content\":\"444\"}","conversation_id":"710688832392260838","create_time":1681790246,"is_visible":true,"message_id":"722323407926368819","index":"7494560109732334274","type":"TEXT","sender":{"im_user_id":"707885565181165594","role":"BUYER"}}}"#;
    let n = tt::parse_unverified(body.as_bytes()).unwrap();
    let tiktok::Event::NewMessage(e) = &n.event else {
        panic!("{:?}", n.event)
    };
    assert_eq!(
        (e.kind.as_deref(), e.content.as_deref()),
        (Some("TEXT"), Some(r#"{"content":"444"}"#))
    );
    assert_eq!(
        e.sender.as_ref().and_then(|s| s.role.as_deref()),
        Some("BUYER")
    );

    let body = r#"{"type":13,"tts_notification_id":"1","shop_id":"2","timestamp":1644412885,"data":{"conversation_id":"576486316948490001","create_time":1627587506}}"#;
    let n = tt::parse_unverified(body.as_bytes()).unwrap();
    assert_eq!(
        n.event,
        tiktok::Event::NewConversation(tt_event::NewConversationEvent {
            conversation_id: Some("576486316948490001".into()),
            create_time: Some(1627587506),
        })
    );
}

#[test]
fn catalogues_list_the_issue_codes() {
    let codes =
        |v: Vec<shop_api::runtime::EventInfo>| v.into_iter().map(|e| e.code).collect::<Vec<_>>();
    let dd_codes = codes(doudian::events());
    for c in [
        "100", "101", "102", "103", "104", "105", "106", "108", "110", "200", "207", "227", "400",
        "417",
    ] {
        assert!(dd_codes.contains(&c), "doudian {c}");
    }
    let mut unique = dd_codes.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), dd_codes.len());
    let tt_codes = codes(tiktok::events());
    for c in [
        "1", "3", "4", "5", "6", "7", "11", "12", "13", "14", "15", "16",
    ] {
        assert!(tt_codes.contains(&c), "tiktok {c}");
    }
}

// ---------------------------------------------------------------------------------------------
// The example receiver over HTTP.

struct Receiver {
    base: String,
    events: UnboundedReceiver<Received>,
    http: reqwest::Client,
}

async fn start(config: ReceiverConfig) -> Receiver {
    let (tx, events) = tokio::sync::mpsc::unbounded_channel();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(shop_api_examples::serve(listener, config.with_events(tx)));
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    Receiver {
        base: format!("http://{addr}"),
        events,
        http,
    }
}

impl Receiver {
    async fn post(&self, path: &str, headers: &[(&str, &str)], body: &str) -> (u16, String) {
        let mut req = self
            .http
            .post(format!("{}{path}", self.base))
            .body(body.to_owned());
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        (status, resp.text().await.unwrap())
    }

    /// The events delivered so far (the handler sends them before it answers).
    fn drain(&mut self) -> Vec<Received> {
        let mut out = Vec::new();
        loop {
            match self.events.try_recv() {
                Ok(e) => out.push(e),
                Err(TryRecvError::Empty | TryRecvError::Disconnected) => return out,
            }
        }
    }
}

fn both() -> ReceiverConfig {
    ReceiverConfig::new()
        .with_doudian(DD_KEY, DD_SECRET)
        .with_tiktok(TT_KEY, TT_SECRET)
}

#[tokio::test]
async fn receiver_answers_doudian_pushes() {
    let mut r = start(both()).await;

    // The test push of the console: the exact reply, nothing handed on.
    let (status, reply) = r
        .post(
            DOUDIAN_PATH,
            &[("app-id", DD_KEY), ("event-sign", DD_TEST_SIGN)],
            DD_TEST_BODY,
        )
        .await;
    assert_eq!(
        (status, reply.as_str()),
        (200, r#"{"code":0,"msg":"success"}"#)
    );
    assert!(r.drain().is_empty());

    // A batch: every message handed on, in order; sent again, nothing new.
    let body = dd_batch();
    let sign = dd::sign(DD_KEY, DD_SECRET, body.as_bytes());
    let headers = [("App-Id", DD_KEY), ("Event-Sign", sign.as_str())];
    let (status, reply) = r.post(DOUDIAN_PATH, &headers, &body).await;
    assert_eq!((status, reply.as_str()), (200, dd::SUCCESS_REPLY));
    let got = r.drain();
    assert_eq!(got.len(), 10);
    let ids: Vec<String> = got
        .iter()
        .map(|e| match e {
            Received::Doudian(m) => m.msg_id.clone(),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(ids[0], "m-100");
    assert_eq!(ids[9], "m-9999");
    assert!(got[1].summary().contains("trade_paid") && got[1].summary().contains("m-101"));
    let (status, _) = r.post(DOUDIAN_PATH, &headers, &body).await;
    assert_eq!(status, 200);
    assert!(
        r.drain().is_empty(),
        "a repeated push is answered but not handed on again"
    );

    // Refusals: a tampered body, no signature, another app.
    let tampered = body.replacen("8900", "9900", 1);
    let (status, reply) = r.post(DOUDIAN_PATH, &headers, &tampered).await;
    assert_eq!(status, 401);
    assert_ne!(reply, dd::SUCCESS_REPLY);
    assert!(!reply.contains(DD_SECRET));
    // The refusal is in Doudian's reply shape, with a code that is not the acknowledgement's 0.
    let refusal: Value = serde_json::from_str(&reply).unwrap();
    assert_eq!(refusal["code"], 401, "{reply}");
    assert!(
        refusal["msg"].as_str().is_some_and(|m| !m.is_empty()),
        "{reply}"
    );
    assert_eq!(
        r.post(DOUDIAN_PATH, &[("app-id", DD_KEY)], &body).await.0,
        401
    );
    assert_eq!(
        r.post(
            DOUDIAN_PATH,
            &[("app-id", "1"), ("event-sign", sign.as_str())],
            &body
        )
        .await
        .0,
        401
    );
    // A signed body that is not a push.
    let junk = r#"{"not":"an array"}"#;
    let junk_sign = dd::sign(DD_KEY, DD_SECRET, junk.as_bytes());
    assert_eq!(
        r.post(DOUDIAN_PATH, &[("event-sign", junk_sign.as_str())], junk)
            .await
            .0,
        400
    );
    assert!(r.drain().is_empty());

    // Only POST.
    let resp = r
        .http
        .get(format!("{}{DOUDIAN_PATH}", r.base))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 405);
}

#[tokio::test]
async fn receiver_answers_tiktok_notifications() {
    let mut r = start(both()).await;
    let (status, reply) = r
        .post(TIKTOK_PATH, &[("Authorization", TT_SIGN)], TT_BODY)
        .await;
    assert_eq!((status, reply.as_str()), (200, ""));
    let got = r.drain();
    assert_eq!(got.len(), 1);
    let Received::Tiktok(n) = &got[0] else {
        panic!("{got:?}")
    };
    assert_eq!(
        (n.kind, n.tts_notification_id.as_str()),
        (1, "7327112393057371910")
    );
    assert!(matches!(n.event, tiktok::Event::OrderStatusChange(_)));

    // The same notification again: acknowledged, not handed on.
    assert_eq!(
        r.post(TIKTOK_PATH, &[("Authorization", TT_SIGN)], TT_BODY)
            .await
            .0,
        200
    );
    assert!(r.drain().is_empty());

    let tampered = TT_BODY.replace("1706081024", "1706081025");
    assert_eq!(
        r.post(TIKTOK_PATH, &[("Authorization", TT_SIGN)], &tampered)
            .await
            .0,
        401
    );
    assert_eq!(r.post(TIKTOK_PATH, &[], TT_BODY).await.0, 401);
    assert_eq!(
        r.post(
            TIKTOK_PATH,
            &[("Authorization", &format!("Bearer {TT_SIGN}"))],
            TT_BODY
        )
        .await
        .0,
        401
    );
    assert!(r.drain().is_empty());
}

#[tokio::test]
async fn receiver_without_credentials_refuses() {
    let mut r = start(ReceiverConfig::new().with_tiktok(TT_KEY, TT_SECRET)).await;
    let (status, reply) = r
        .post(DOUDIAN_PATH, &[("event-sign", DD_TEST_SIGN)], DD_TEST_BODY)
        .await;
    assert_eq!(status, 500);
    assert_ne!(reply, dd::SUCCESS_REPLY);
    assert_eq!(
        r.post(TIKTOK_PATH, &[("Authorization", TT_SIGN)], TT_BODY)
            .await
            .0,
        200
    );
    assert_eq!(r.drain().len(), 1);
    // The configuration's Debug output hides the secrets.
    let shown = format!("{:?}", both());
    assert!(
        !shown.contains(DD_SECRET) && !shown.contains(TT_SECRET),
        "{shown}"
    );
}

/// The example keeps the token store in step with TikTok Shop's authorization events: the seller
/// that owns a deauthorized shop is forgotten, the others stay; an upcoming expiration names the
/// seller to ask again.
#[tokio::test]
async fn authorization_events_keep_the_token_store_in_step() {
    use shop_api::runtime::{Secret, Token, unix_now};
    use shop_api_examples::{TokenStep, keep_tokens_in_step};
    use shop_api_sandbox::{Platform, Sandbox, SandboxConfig, tiktok as fake};

    let platform = Sandbox::start(SandboxConfig::default().tiktok_app(TT_KEY, TT_SECRET))
        .await
        .unwrap();
    platform.on("authorization.shops", |s| {
        let shop = match s.token.as_deref() {
            Some("TOKEN-A") => "SHOP-1",
            Some("TOKEN-B") => "SHOP-2",
            _ => return fake::err(401, 105002, "Expired credentials"),
        };
        fake::ok(json!({"shops": [{"id": shop, "name": "S", "region": "GB", "seller_type": "LOCAL", "cipher": "C", "code": "X"}]}))
    });
    let client = tiktok::Client::builder(TT_KEY, TT_SECRET)
        .base_url(platform.url(Platform::Tiktok))
        .build()
        .unwrap();
    for (seller, token) in [("SELLER-A", "TOKEN-A"), ("SELLER-B", "TOKEN-B")] {
        let t = Token {
            access_token: Secret::new(token),
            expires_at: unix_now() + 7 * 86_400,
            ..Token::default()
        };
        client
            .tokens()
            .put(&client.token_key(seller), &t)
            .await
            .unwrap();
    }
    let notification = |kind: i64, shop: &str, data: Value| {
        let body = json!({"type": kind, "tts_notification_id": "N", "shop_id": shop, "timestamp": 1, "data": data}).to_string();
        let sign = tt::sign(TT_KEY, TT_SECRET, body.as_bytes());
        tt::verify(
            TT_KEY,
            TT_SECRET,
            &[("Authorization", sign.as_str())],
            body.as_bytes(),
        )
        .unwrap()
    };
    let expiring = notification(
        7,
        "SHOP-2",
        json!({"message": "soon", "expiration_time": "1700000000"}),
    );
    assert_eq!(
        keep_tokens_in_step(&client, &expiring).await.unwrap(),
        TokenStep::ExpiresSoon(vec!["SELLER-B".into()])
    );
    let gone = notification(6, "SHOP-1", json!({"message": "bye"}));
    assert_eq!(
        keep_tokens_in_step(&client, &gone).await.unwrap(),
        TokenStep::Forgotten(vec!["SELLER-A".into()])
    );
    assert_eq!(client.kept_sellers().await.unwrap(), ["SELLER-B"]);
    let order = notification(1, "SHOP-2", json!({"order_id": "1"}));
    assert_eq!(
        keep_tokens_in_step(&client, &order).await.unwrap(),
        TokenStep::Nothing
    );
}
