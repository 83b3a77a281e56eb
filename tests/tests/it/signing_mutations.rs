#![cfg(all(feature = "doudian", feature = "tiktok", feature = "douyin"))]
//! Mutation tests of signing: a signer written here from each platform's documented formula, with
//! one switch per part of the formula. With every switch right, the fake platform takes the
//! request; with any one switch wrong (keys unsorted, body dropped, upper case, secret not around
//! the string, ...), it refuses it. So a signing bug of that kind in the runtime could not pass the
//! end-to-end tests, whose platform is the same sandbox.
//!
//! The requests themselves are the runtime's (`prepare`), sent as they are but for the signature
//! (and, where the mutation is about it, the body).

use hmac::{Hmac, Mac};
use md5::{Digest, Md5};
use serde_json::Value;
use sha2::Sha256;
use shop_api::runtime::http::{Body, PreparedRequest};
use shop_api::{doudian, douyin, tiktok};
use shop_api_sandbox::{Platform, Sandbox, SandboxConfig};

fn hmac_hex(key: &str, text: &str) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key.as_bytes()).unwrap();
    mac.update(text.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// One way of getting a signature wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mutation {
    /// None: the documented formula.
    Right,
    /// Parameters (or JSON keys) in the order sent, not sorted.
    Unsorted,
    /// The body left out of the string.
    DropsBody,
    /// Hex digits in upper case.
    UpperCase,
    /// The secret only in front of the string.
    SecretOnce,
    /// A plain hash where the keyed one is declared (Doudian), SHA-256 without the key (TikTok).
    WrongHash,
}

const MUTATIONS: [Mutation; 6] = [
    Mutation::Right,
    Mutation::Unsorted,
    Mutation::DropsBody,
    Mutation::UpperCase,
    Mutation::SecretOnce,
    Mutation::WrongHash,
];

fn with_sign(p: &PreparedRequest, sign: &str, body: Option<Vec<u8>>) -> PreparedRequest {
    let mut p = p.clone();
    let pairs: Vec<(String, String)> = p
        .url
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    {
        let mut q = p.url.query_pairs_mut();
        q.clear();
        for (k, v) in &pairs {
            q.append_pair(k, if k == "sign" { sign } else { v });
        }
    }
    if let Some(b) = body {
        p.body = Body::Json(b);
    }
    p
}

fn query(p: &PreparedRequest) -> Vec<(String, String)> {
    p.url
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

#[tokio::test]
async fn doudian_refuses_every_wrong_signer_and_takes_the_right_one() {
    const KEY: &str = "3409409348479354011";
    const SECRET: &str = "2ad2355c-01d0-11f8-91dc-05a8cd1054b1";
    let platform = Sandbox::start(SandboxConfig::default().doudian_app(KEY, SECRET))
        .await
        .unwrap();
    platform.grant(Platform::Doudian, "TOKEN");
    let client = doudian::Client::builder(KEY, SECRET)
        .base_url(platform.url(Platform::Doudian))
        .build()
        .unwrap()
        .with_access_token("TOKEN");
    let req = doudian::order::OrderSearchListRequest {
        page: 0,
        size: 20,
        product: Some("测试<&>".into()),
        ..Default::default()
    };
    let prepared = client.prepare(&req).await.unwrap();
    let q = query(&prepared);
    let get = |k: &str| {
        q.iter()
            .find(|(a, _)| a == k)
            .map(|(_, v)| v.clone())
            .unwrap()
    };
    let (method, timestamp) = (get("method"), get("timestamp"));
    let hmac = q
        .iter()
        .any(|(k, v)| k == "sign_method" && v == "hmac-sha256");
    // The body as sent is canonical (keys sorted); the unsorted one has the same fields.
    let sorted = String::from_utf8(prepared.body.bytes().to_vec()).unwrap();
    let unsorted = r#"{"size":20,"product":"测试<&>","page":0}"#.to_owned();
    assert_ne!(sorted, unsorted);
    for m in MUTATIONS {
        let body = if m == Mutation::Unsorted {
            &unsorted
        } else {
            &sorted
        };
        let param_json = if m == Mutation::DropsBody {
            ""
        } else {
            body.as_str()
        };
        let tail = if m == Mutation::SecretOnce {
            ""
        } else {
            SECRET
        };
        let text = format!(
            "{SECRET}app_key{KEY}method{method}param_json{param_json}timestamp{timestamp}v2{tail}"
        );
        let mut sign = if hmac && m != Mutation::WrongHash {
            hmac_hex(SECRET, &text)
        } else {
            hex::encode(Md5::digest(text.as_bytes()))
        };
        if m == Mutation::UpperCase {
            sign = sign.to_uppercase();
        }
        let sent = with_sign(&prepared, &sign, Some(body.clone().into_bytes()));
        let raw = client.transport().send("mutation", &sent).await.unwrap();
        let answer: Value = serde_json::from_slice(&raw.body).unwrap();
        match m {
            Mutation::Right => assert_eq!(answer["code"], 10000, "{answer}"),
            _ => assert_eq!(
                (answer["code"].as_i64(), answer["sub_code"].as_str()),
                (Some(40003), Some("isv.signature-invalid")),
                "{m:?} must be refused: {answer}"
            ),
        }
    }
    // The runtime's own signer is the right one.
    let raw = client.transport().send("runtime", &prepared).await.unwrap();
    assert_eq!(
        serde_json::from_slice::<Value>(&raw.body).unwrap()["code"],
        10000
    );
}

#[tokio::test]
async fn tiktok_refuses_every_wrong_signer_and_takes_the_right_one() {
    const KEY: &str = "68xu9ks5p4i8";
    const SECRET: &str = "e59af819cc";
    let platform = Sandbox::start(SandboxConfig::default().tiktok_app(KEY, SECRET))
        .await
        .unwrap();
    platform.grant(Platform::Tiktok, "TOKEN");
    let client = tiktok::Client::builder(KEY, SECRET)
        .base_url(platform.url(Platform::Tiktok))
        .build()
        .unwrap()
        .with_access_token("TOKEN")
        .with_shop_cipher("ROW_cipher");
    // Query parameters that sort differently from the order they are sent in, and a body.
    let req = tiktok::order::OrderSearchRequest {
        page_size: 20,
        sort_order: Some(tiktok::order::SearchSortOrder::Asc),
        create_time_ge: Some(1700000000),
        ..Default::default()
    };
    let prepared = client.prepare(&req).await.unwrap();
    let q = query(&prepared);
    let body = String::from_utf8(prepared.body.bytes().to_vec()).unwrap();
    assert!(!body.is_empty());
    let path = prepared.url.path().trim_start_matches("/tiktok").to_owned();
    let mut unsorted: Vec<&(String, String)> = q
        .iter()
        .filter(|(k, _)| k != "sign" && k != "access_token")
        .collect();
    unsorted.sort_by(|a, b| b.0.cmp(&a.0));
    let mut sorted = unsorted.clone();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    for m in MUTATIONS {
        let params = if m == Mutation::Unsorted {
            &unsorted
        } else {
            &sorted
        };
        let mut text = String::from(SECRET);
        text.push_str(&path);
        for (k, v) in params {
            text.push_str(k);
            text.push_str(v);
        }
        if m != Mutation::DropsBody {
            text.push_str(&body);
        }
        if m != Mutation::SecretOnce {
            text.push_str(SECRET);
        }
        let mut sign = match m {
            Mutation::WrongHash => hex::encode(Sha256::digest(text.as_bytes())),
            _ => hmac_hex(SECRET, &text),
        };
        if m == Mutation::UpperCase {
            sign = sign.to_uppercase();
        }
        let sent = with_sign(&prepared, &sign, None);
        let raw = client.transport().send("mutation", &sent).await.unwrap();
        let answer: Value = serde_json::from_slice(&raw.body).unwrap();
        match m {
            Mutation::Right => assert_eq!(answer["code"], 0, "{answer}"),
            _ => assert_eq!(answer["code"], 106001, "{m:?} must be refused: {answer}"),
        }
    }
    let raw = client.transport().send("runtime", &prepared).await.unwrap();
    assert_eq!(
        serde_json::from_slice::<Value>(&raw.body).unwrap()["code"],
        0
    );
}

/// Douyin signs no API request; what it signs is its webhook push (`X-Douyin-Signature`: SHA-1 of
/// the client secret followed by the body, lowercase hex). The runtime's verifier takes the right
/// signer (and its digest in upper case, the same number) and refuses each wrong one.
#[test]
fn douyin_webhook_verifier_refuses_every_wrong_signer_and_takes_the_right_one() {
    use sha1::Sha1;
    const SECRET: &str = "webhook-secret";
    let body = r#"{"event":"verify_webhook","client_key":"","content":{"challenge":12345}}"#;
    for m in MUTATIONS {
        let text = match m {
            Mutation::DropsBody => SECRET.to_owned(),
            Mutation::Unsorted => format!("{body}{SECRET}"),
            _ => format!("{SECRET}{body}"),
        };
        let mut sign = match m {
            Mutation::WrongHash => hex::encode(Sha256::digest(text.as_bytes())),
            Mutation::SecretOnce => hex::encode(Sha1::digest(body.as_bytes())),
            _ => hex::encode(Sha1::digest(text.as_bytes())),
        };
        if m == Mutation::UpperCase {
            sign = sign.to_uppercase();
        }
        let verdict = douyin::webhook::verify(
            &[("X-Douyin-Signature", sign.as_str())],
            body.as_bytes(),
            SECRET,
        );
        match m {
            // Upper-case hex is the same digest; a receiver compares hex digits, not text.
            Mutation::Right | Mutation::UpperCase => assert!(verdict.is_ok(), "{m:?}: {verdict:?}"),
            _ => assert!(verdict.is_err(), "{m:?} must be refused"),
        }
    }
}
