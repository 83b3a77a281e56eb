//! Webhooks: the events Douyin pushes to the URL configured in the console (Settings > Development >
//! Webhooks).
//!
//! Each push is a `POST` of JSON `{"event", "client_key", "from_user_id", "to_user_id", "content",
//! "log_id"}` with two headers: `X-Douyin-Signature`, the lowercase hex SHA-1 of the client secret
//! followed by the raw body, and `Msg-Id`, the same for every retry of one message (Douyin gives up
//! after 5 s and tries 3 times, so a message may arrive more than once: deduplicate on it).
//!
//! Saving the URL sends a `verify_webhook` event whose `content` is an object
//! `{"challenge": 12345}`; answer it at once with the body `{"challenge": 12345}`
//! ([`WebhookEvent::challenge_reply`]). The `content` of other events is a JSON-encoded string,
//! decoded here into [`WebhookEvent::content`].
//!
//! ```
//! use shop_api_runtime::douyin::webhook;
//!
//! let body = br#"{"event":"verify_webhook","client_key":"","content":{"challenge":12345}}"#;
//! let signature = webhook::sign("client-secret", body);
//! let headers = [("X-Douyin-Signature", signature.as_str()), ("Msg-Id", "m1")];
//! let event = webhook::verify(&headers, body, "client-secret").unwrap();
//! assert_eq!(event.challenge_reply().as_deref(), Some(r#"{"challenge":12345}"#));
//! ```

use serde_json::Value;

use crate::webhook::{Headers, hex_digest_matches};
use sha1::{Digest, Sha1};

/// The header holding the signature.
pub const SIGNATURE_HEADER: &str = "X-Douyin-Signature";
/// The header holding the message id, the same for every retry of one message.
pub const MSG_ID_HEADER: &str = "Msg-Id";
/// The event sent when the webhook URL is saved.
pub const VERIFY_EVENT: &str = "verify_webhook";

/// Why a push was refused. Answer it with an HTTP error (403 for a bad signature).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WebhookError {
    /// The request has no `X-Douyin-Signature` header.
    #[error("the webhook has no X-Douyin-Signature header")]
    MissingSignature,
    /// The signature does not match the body: the push did not come from Douyin, or the body was
    /// changed (verify the raw bytes, before any parsing or re-encoding).
    #[error("the webhook's X-Douyin-Signature does not match its body")]
    BadSignature,
    /// The client secret to verify with is empty.
    #[error("no client secret to verify the webhook with")]
    NoSecret,
    /// The body is not a Douyin event.
    #[error("the webhook body is not a Douyin event: {0}")]
    Malformed(String),
}

/// A verified push.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct WebhookEvent {
    /// The event name (`verify_webhook`, `service_market_order`, `create_video`, ...).
    pub event: String,
    /// The app's client key (empty in `verify_webhook`).
    pub client_key: String,
    /// The user the event is about (their open id), when the event has one.
    pub from_user_id: Option<String>,
    /// The user on the receiving side, when the event has one.
    pub to_user_id: Option<String>,
    /// The event's content: the `content` object as sent, or, when it was sent as a JSON-encoded
    /// string, that string decoded (a string that is not JSON stays a string).
    pub content: Value,
    /// Douyin's log id, to quote to its support.
    pub log_id: Option<String>,
    /// The `Msg-Id` header: deduplicate on it.
    pub msg_id: Option<String>,
    /// The body as received, for [`WebhookEvent::typed`].
    #[serde(skip)]
    raw: String,
}

impl WebhookEvent {
    /// Whether this is the URL verification sent when the webhook URL is saved.
    pub fn is_verification(&self) -> bool {
        self.event == VERIFY_EVENT
    }

    /// The challenge of a `verify_webhook` event, exactly as sent.
    pub fn challenge(&self) -> Option<&Value> {
        if !self.is_verification() {
            return None;
        }
        self.content.get("challenge")
    }

    /// The body to answer a `verify_webhook` event with, `{"challenge": <the same value>}`
    /// (send it as the response body, status 200); `None` for other events.
    pub fn challenge_reply(&self) -> Option<String> {
        self.challenge()
            .map(|c| serde_json::json!({ "challenge": c }).to_string())
    }

    /// The event as the platform's generated `Event`: a typed variant for the events of the
    /// spec's catalogue compiled in, `Event::Unknown` for the rest.
    pub fn typed<E: crate::webhook::Events>(&self) -> Result<E, serde_json::Error> {
        E::decode(&self.event, &self.raw)
    }

    /// The content decoded into `T`.
    pub fn content_as<T: serde::de::DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        T::deserialize(&self.content)
    }
}

/// The signature Douyin sends for `body`: lowercase hex SHA-1 of `client_secret` then `body`.
pub fn sign(client_secret: &str, body: &[u8]) -> String {
    hex::encode(digest(client_secret, body))
}

fn digest(client_secret: &str, body: &[u8]) -> [u8; 20] {
    let mut h = Sha1::new();
    h.update(client_secret.as_bytes());
    h.update(body);
    h.finalize().into()
}

/// Whether `signature` (hex, either case, surrounding spaces ignored) is the signature of `body`.
/// The comparison takes the same time wherever the first difference is.
pub fn verify_signature(client_secret: &str, body: &[u8], signature: &str) -> bool {
    hex_digest_matches(&digest(client_secret, body), signature)
}

/// Verify a push and decode it: `headers` are the request's headers (any case), `body` its raw
/// bytes, exactly as received.
pub fn verify<K: AsRef<str>, V: AsRef<str>>(
    headers: &[(K, V)],
    body: &[u8],
    client_secret: &str,
) -> Result<WebhookEvent, WebhookError> {
    if client_secret.is_empty() {
        return Err(WebhookError::NoSecret);
    }
    let signature = headers
        .header(SIGNATURE_HEADER)
        .filter(|s| !s.is_empty())
        .ok_or(WebhookError::MissingSignature)?;
    if !verify_signature(client_secret, body, signature) {
        return Err(WebhookError::BadSignature);
    }
    let msg_id = headers
        .header(MSG_ID_HEADER)
        .filter(|s| !s.is_empty())
        .map(str::to_owned);
    parse_unverified(body, msg_id)
}

/// Decode a push without checking its signature (for tests and replays of pushes verified before).
pub fn parse_unverified(body: &[u8], msg_id: Option<String>) -> Result<WebhookEvent, WebhookError> {
    let raw = std::str::from_utf8(body).map_err(|e| WebhookError::Malformed(e.to_string()))?;
    let value: Value =
        serde_json::from_str(raw).map_err(|e| WebhookError::Malformed(e.to_string()))?;
    let Value::Object(mut map) = value else {
        return Err(WebhookError::Malformed(
            "the body is not a JSON object".into(),
        ));
    };
    let text = |v: Option<&Value>| match v {
        Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    };
    let event = text(map.get("event"))
        .ok_or_else(|| WebhookError::Malformed("the body has no `event`".into()))?;
    let content = match map.remove("content").unwrap_or(Value::Null) {
        Value::String(s) => serde_json::from_str(&s).unwrap_or(Value::String(s)),
        other => other,
    };
    Ok(WebhookEvent {
        event,
        client_key: text(map.get("client_key")).unwrap_or_default(),
        from_user_id: text(map.get("from_user_id")),
        to_user_id: text(map.get("to_user_id")),
        content,
        log_id: text(map.get("log_id")),
        msg_id,
        raw: raw.to_owned(),
    })
}

/// De-duplicates pushes on their `Msg-Id` (the same for every retry of one message).
pub use crate::webhook::Deduplicator;

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "secret";

    #[test]
    fn signature_and_challenge() {
        let body =
            br#"{"event":"verify_webhook","client_key":"abc","content":{"challenge":12345}}"#;
        let sig = sign(SECRET, body);
        assert_eq!(sig.len(), 40);
        let headers = vec![
            ("x-douyin-signature".to_owned(), sig.to_uppercase()),
            ("msg-id".to_owned(), "m1".to_owned()),
        ];
        let e = verify(&headers, body, SECRET).unwrap();
        assert!(e.is_verification());
        assert_eq!(e.msg_id.as_deref(), Some("m1"));
        assert_eq!(
            e.challenge_reply().as_deref(),
            Some(r#"{"challenge":12345}"#)
        );

        let mut bad = sig.clone().into_bytes();
        bad[0] = if bad[0] == b'0' { b'1' } else { b'0' };
        let bad = String::from_utf8(bad).unwrap();
        assert_eq!(
            verify(&[(SIGNATURE_HEADER, bad.as_str())], body, SECRET),
            Err(WebhookError::BadSignature)
        );
        assert_eq!(
            verify(&[(SIGNATURE_HEADER, sig.as_str())], body, "other"),
            Err(WebhookError::BadSignature)
        );
        assert_eq!(
            verify(&[(SIGNATURE_HEADER, "zz")], body, SECRET),
            Err(WebhookError::BadSignature)
        );
        assert_eq!(
            verify::<&str, &str>(&[], body, SECRET),
            Err(WebhookError::MissingSignature)
        );
        assert_eq!(
            verify(&[(SIGNATURE_HEADER, sig.as_str())], body, ""),
            Err(WebhookError::NoSecret)
        );
    }

    /// The body is the example of developer.open-douyin.com, 开发指南 › Webhooks › 概述 (消息来源验证),
    /// whose client secret is elided (`***`): no published digest exists. The expected value is
    /// the SHA-1 of `client_secret + body` written out by hand and computed with the `sha1` crate
    /// directly; the pinned hex is what coreutils `sha1sum` prints for that string.
    #[test]
    fn signature_from_the_documented_formula() {
        let body =
            br#"{"event":"verify_webhook","client_key":"abc","content":{"challenge":12345}}"#;
        let text = concat!(
            "secret",
            r#"{"event":"verify_webhook","client_key":"abc","content":{"challenge":12345}}"#,
        );
        let expected = hex::encode(Sha1::digest(text.as_bytes()));
        assert_eq!(sign(SECRET, body), expected);
        assert_eq!(expected, "277df63c0efb431eccf64a233b0eee5ea94b6c4a");
        assert!(verify_signature(SECRET, body, &expected));
    }

    #[test]
    fn string_content_is_decoded() {
        let body = br#"{"event":"service_market_order","client_key":"ck","from_user_id":"u1","content":"{\"order_id\":\"7\",\"order_event\":1}","log_id":"L"}"#;
        let e = verify(&[(SIGNATURE_HEADER, sign(SECRET, body))], body, SECRET).unwrap();
        assert_eq!(e.content["order_id"], "7");
        assert_eq!(e.from_user_id.as_deref(), Some("u1"));
        assert_eq!(e.challenge_reply(), None);
        let typed: crate::webhook::Untyped = e.typed().unwrap();
        assert_eq!(typed.code, "service_market_order");
        assert!(matches!(
            parse_unverified(b"[1]", None),
            Err(WebhookError::Malformed(_))
        ));
        assert!(matches!(
            parse_unverified(b"{}", None),
            Err(WebhookError::Malformed(_))
        ));
    }

    #[test]
    fn dedup_forgets_the_oldest() {
        let d = Deduplicator::new(2);
        assert!(d.first_seen("a") && d.first_seen("b"));
        assert!(!d.first_seen("a"));
        assert!(d.first_seen("c"));
        assert!(d.first_seen("a"));
    }
}
