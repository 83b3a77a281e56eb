//! The platforms' signatures as their documents give them, written here a second time: the
//! sandbox checks every request with these, never with the signer under test, so a signing bug in
//! the runtime fails the end-to-end tests instead of agreeing with itself.

use hmac::{Hmac, Mac};
use md5::{Digest, Md5};
use sha2::Sha256;

fn hmac_sha256_hex(key: &str, text: &str) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key.as_bytes()).expect("any key length");
    mac.update(text.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// Doudian's `param_json` as the platform signs it: the JSON with every object's keys sorted,
/// no spaces, non-ASCII and `<>&` as they are. `None` when the body is not JSON.
pub(crate) fn doudian_param_json(body: &str) -> Option<String> {
    // serde_json's map is sorted by key (the workspace does not enable `preserve_order`).
    let value: serde_json::Value = serde_json::from_str(body).ok()?;
    serde_json::to_string(&value).ok()
}

/// Doudian (op.jinritemai.com, "签名算法"): the string
/// `secret + "app_key" + key + "method" + method + "param_json" + param_json + "timestamp" +
/// timestamp + "v" + v + secret`, then its MD5 (no `sign_method`) or its HMAC-SHA256 keyed by the
/// secret (`sign_method=hmac-sha256`), as lowercase hex.
pub(crate) fn doudian_sign(
    hmac: bool,
    key: &str,
    secret: &str,
    method: &str,
    param_json: &str,
    timestamp: &str,
) -> String {
    let text = format!(
        "{secret}app_key{key}method{method}param_json{param_json}timestamp{timestamp}v2{secret}"
    );
    if hmac {
        hmac_sha256_hex(secret, &text)
    } else {
        hex::encode(Md5::digest(text.as_bytes()))
    }
}

/// TikTok Shop ("Sign your API request"): the query parameters but `sign` and `access_token`,
/// sorted by name, each as name then value, after the path; then the body unless it is
/// multipart; wrapped in the secret on both sides; HMAC-SHA256 keyed by the secret, lowercase hex.
pub(crate) fn tiktok_sign(
    secret: &str,
    path: &str,
    query: &[(String, String)],
    body: Option<&[u8]>,
) -> String {
    let mut params: Vec<&(String, String)> = query
        .iter()
        .filter(|(k, _)| k != "sign" && k != "access_token")
        .collect();
    params.sort_by(|a, b| a.0.cmp(&b.0));
    let mut text = String::from(secret);
    text.push_str(path);
    for (k, v) in params {
        text.push_str(k);
        text.push_str(v);
    }
    if let Some(body) = body {
        text.push_str(&String::from_utf8_lossy(body));
    }
    text.push_str(secret);
    hmac_sha256_hex(secret, &text)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "e59af819cc";

    fn q(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    /// The example of TikTok Shop's signing guide ("Sign your API request": get authorized
    /// shops, app key 29a39d, timestamp 1623812664), whose digest the guide gives.
    #[test]
    fn tiktok_documented_vector() {
        let query = q(&[
            ("timestamp", "1623812664"),
            ("sign", "ignored"),
            ("access_token", "ignored"),
            ("app_key", "29a39d"),
        ]);
        assert_eq!(
            tiktok_sign(SECRET, "/authorization/202309/shops", &query, None),
            "b596b73e0cc6de07ac26f036364178ab16b0a907af13d43f0a0cd2345f582dc8"
        );
    }

    #[test]
    fn doudian_param_json_sorts_keys_and_keeps_text() {
        assert_eq!(
            doudian_param_json(
                r#"{"size": 20, "page": 0, "product": "测试<&>", "a": {"z": 1, "b": [2]}}"#
            )
            .unwrap(),
            r#"{"a":{"b":[2],"z":1},"page":0,"product":"测试<&>","size":20}"#
        );
    }
}
