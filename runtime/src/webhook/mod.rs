//! What every platform's webhook receiver shares: the error type, header look-up over any header
//! collection, constant-time comparison of signatures, and claims that make each event handled
//! once across the copies a platform sends and the receivers of a fleet.
//!
//! The platform modules build on it: `shop_api::doudian::webhook` and `shop_api::tiktok::webhook`.
//! No error holds a secret, a signature or a header value.
//!
//! # Handling each event once
//!
//! The platforms deliver at least once: a push that was not answered in time (or answered with an
//! error) is sent again, possibly while the first copy is still being handled, possibly to another
//! receiver of the fleet. Claim the event's id *before* handling it, in a store every receiver
//! shares ([`Claims`]: `RedisClaims` (feature `redis`), `PostgresClaims` (feature `postgres`), or
//! [`Deduplicator`] for one process):
//! the claim is atomic, so of two copies arriving at once one handles the event and the other is
//! told it is [`Claim::Busy`]. [`handle_once`] does the whole dance: claim, handle, then mark the
//! id [done](Claims::done) or, when handling failed, [release](Claims::release) it so the
//! platform's next copy is handled.
//!
//! | outcome ([`Outcome`]) | answer the platform with |
//! | --- | --- |
//! | `Handled`, `AlreadyDone` | success |
//! | `Busy` (another copy is being handled) | a 5xx: the platform sends it again later, when it is done or its claim lapsed |
//! | `Failed` (the handler failed; the claim was released) | a 5xx: the next copy is handled |
//! | `Err` (the claim store is out of reach) | a 5xx (503); nothing was handled |
//!
//! ```
//! # async fn run() -> shop_api_runtime::Result<()> {
//! use std::time::Duration;
//! use shop_api_runtime::webhook::{Deduplicator, Outcome, handle_once};
//!
//! let claims = Deduplicator::new(10_000); // RedisClaims / PostgresClaims for a fleet
//! let hold = Duration::from_secs(60); // how long a copy being handled keeps the others off
//! let keep = Duration::from_secs(3 * 86_400); // how long a handled id is remembered
//! let outcome = handle_once(&claims, "tiktok:7327112393057371910", hold, keep, || async {
//!     // store the event, fetch the order, ...
//!     Ok::<(), std::io::Error>(())
//! })
//! .await?;
//! assert!(matches!(outcome, Outcome::Handled(())));
//! let again = handle_once(&claims, "tiktok:7327112393057371910", hold, keep, || async {
//!     Ok::<(), std::io::Error>(())
//! })
//! .await?;
//! assert!(matches!(again, Outcome::AlreadyDone));
//! # Ok(()) }
//! ```

use std::collections::{BTreeMap, HashMap};
use std::fmt;

mod claims;
#[cfg(feature = "postgres")]
mod postgres;
#[cfg(feature = "redis")]
mod redis;

pub use claims::{Claim, Claims, Deduplicator, Outcome, handle_once};
#[cfg(feature = "postgres")]
pub use postgres::PostgresClaims;
#[cfg(feature = "redis")]
pub use redis::RedisClaims;

/// Why a push was refused. Answer it with an HTTP error status (401 for a missing or bad
/// signature, 400 for a malformed body), never with the platform's success reply.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WebhookError {
    /// A header the platform always sends is missing or empty.
    #[error("the webhook has no `{0}` header")]
    MissingHeader(&'static str),
    /// The signature does not match the body: the push did not come from the platform, was sent
    /// for another app, or the body was changed (verify the raw bytes, before any parsing).
    #[error("the webhook's `{0}` header does not match its body")]
    BadSignature(&'static str),
    /// The push names another app than the one verifying it.
    #[error("the webhook's `{0}` header names another app")]
    OtherApp(&'static str),
    /// The app key or secret to verify with is empty.
    #[error("no app key or app secret to verify the webhook with")]
    NoCredentials,
    /// The signature holds but the body is not what the platform documents.
    #[error("the webhook body is malformed: {0}")]
    Malformed(String),
    /// The push's own (signed) timestamp is further from now than the receiver's maximum age:
    /// a replay of a captured push, or a clock far off.
    #[error("the webhook is {age_secs} s away from now, more than the {max_secs} s allowed")]
    TooOld {
        /// Seconds between the push's timestamp and now.
        age_secs: i64,
        /// The maximum age allowed.
        max_secs: i64,
    },
}

impl WebhookError {
    /// The HTTP status to answer with: 401 for a missing or bad signature or another app's push,
    /// 500 when the receiver has no credentials, 400 for a malformed body.
    pub fn http_status(&self) -> u16 {
        match self {
            WebhookError::MissingHeader(_)
            | WebhookError::BadSignature(_)
            | WebhookError::OtherApp(_)
            | WebhookError::TooOld { .. } => 401,
            WebhookError::NoCredentials => 500,
            WebhookError::Malformed(_) => 400,
        }
    }
}

/// A platform's catalogue of webhook events: the generated `Event` enum of each platform, or
/// [`Untyped`] for none.
pub trait Events: Sized + fmt::Debug + Clone + PartialEq + serde::Serialize {
    /// The event of `code` with the JSON text `data`, or why `data` does not fit its type.
    fn decode(code: &str, data: &str) -> Result<Self, serde_json::Error>;
    /// An event kept as sent: a code the catalogue does not know, or data that does not fit.
    fn unknown(code: String, data: serde_json::Value) -> Self;
    /// The event's code and spec name (`"unknown"` for codes not catalogued).
    fn code_and_name(&self) -> (&str, &'static str);
}

/// An event of no catalogue: its code and its data as sent.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Untyped {
    /// The code (Doudian `tag`, TikTok `type`, Douyin `event`).
    pub code: String,
    /// The data.
    pub data: serde_json::Value,
}

impl Events for Untyped {
    fn decode(code: &str, data: &str) -> Result<Self, serde_json::Error> {
        Ok(Untyped {
            code: code.to_owned(),
            data: serde_json::from_str(data)?,
        })
    }
    fn unknown(code: String, data: serde_json::Value) -> Self {
        Untyped { code, data }
    }
    fn code_and_name(&self) -> (&str, &'static str) {
        (&self.code, "unknown")
    }
}

/// A collection of request headers: looked up by name, ignoring ASCII case.
///
/// Implemented for slices, arrays and `Vec`s of `(name, value)` pairs of anything that is
/// `AsRef<str>`, for `HashMap` / `BTreeMap` of the same, and for `http::HeaderMap` (as re-exported by
/// `reqwest` and used by `axum`, `hyper`, ...). A value that is not valid text counts as absent.
pub trait Headers {
    /// The first value of header `name` (ASCII case ignored), surrounding spaces trimmed.
    fn header(&self, name: &str) -> Option<&str>;
}

fn find_pair<'a, K: AsRef<str> + 'a, V: AsRef<str> + 'a>(
    pairs: impl IntoIterator<Item = (&'a K, &'a V)>,
    name: &str,
) -> Option<&'a str> {
    pairs
        .into_iter()
        .find(|(k, _)| k.as_ref().trim().eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_ref().trim())
}

impl<K: AsRef<str>, V: AsRef<str>> Headers for [(K, V)] {
    fn header(&self, name: &str) -> Option<&str> {
        find_pair(self.iter().map(|(k, v)| (k, v)), name)
    }
}

impl<K: AsRef<str>, V: AsRef<str>, const N: usize> Headers for [(K, V); N] {
    fn header(&self, name: &str) -> Option<&str> {
        self.as_slice().header(name)
    }
}

impl<K: AsRef<str>, V: AsRef<str>> Headers for Vec<(K, V)> {
    fn header(&self, name: &str) -> Option<&str> {
        self.as_slice().header(name)
    }
}

impl<K: AsRef<str>, V: AsRef<str>, S> Headers for HashMap<K, V, S> {
    fn header(&self, name: &str) -> Option<&str> {
        find_pair(self.iter(), name)
    }
}

impl<K: AsRef<str>, V: AsRef<str>> Headers for BTreeMap<K, V> {
    fn header(&self, name: &str) -> Option<&str> {
        find_pair(self.iter(), name)
    }
}

impl Headers for reqwest::header::HeaderMap {
    fn header(&self, name: &str) -> Option<&str> {
        // `HeaderMap::get` ignores the case of `name`; an invalid name is simply absent.
        self.get(name).and_then(|v| v.to_str().ok()).map(str::trim)
    }
}

impl<H: Headers + ?Sized> Headers for &H {
    fn header(&self, name: &str) -> Option<&str> {
        (**self).header(name)
    }
}

/// The value of header `name`, or [`WebhookError::MissingHeader`] when it is absent or empty.
pub fn require_header<'a, H: Headers + ?Sized>(
    headers: &'a H,
    name: &'static str,
) -> Result<&'a str, WebhookError> {
    headers
        .header(name)
        .filter(|v| !v.is_empty())
        .ok_or(WebhookError::MissingHeader(name))
}

/// Whether `a` and `b` are equal, in a time that depends on their lengths only, never on where
/// they first differ (`subtle`'s constant-time comparison).
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    use subtle::ConstantTimeEq;
    a.ct_eq(b).into()
}

/// Whether `given`, a hex signature (either case, surrounding spaces ignored), is the digest
/// `expected`. Compared in constant time; text that is not hex, or of another length, is `false`.
pub fn hex_digest_matches(expected: &[u8], given: &str) -> bool {
    let given = given.trim();
    if given.len() != expected.len() * 2 {
        return false;
    }
    match hex::decode(given) {
        Ok(bytes) => constant_time_eq(&bytes, expected),
        Err(_) => false,
    }
}

/// A JSON value that may be a string or a number (ids, tags), as text; `None` for anything else.
pub(crate) fn json_text(v: Option<&serde_json::Value>) -> Option<String> {
    match v {
        Some(serde_json::Value::String(s)) => Some(s.clone()),
        Some(serde_json::Value::Number(n)) => Some(n.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_ignore_case_and_trim() {
        let pairs = [("Event-Sign", " abc "), ("app-id", "1")];
        assert_eq!(pairs.header("event-sign"), Some("abc"));
        assert_eq!(pairs.header("APP-ID"), Some("1"));
        assert_eq!(pairs.header("other"), None);
        let owned: Vec<(String, String)> = vec![("Authorization".into(), "x".into())];
        assert_eq!(owned.header("authorization"), Some("x"));
        let map: HashMap<String, String> = owned.iter().cloned().collect();
        assert_eq!(map.header("AUTHORIZATION"), Some("x"));
        let mut hm = reqwest::header::HeaderMap::new();
        hm.insert("event-sign", "  abc".parse().unwrap());
        assert_eq!(hm.header("Event-Sign"), Some("abc"));
        assert_eq!(hm.header("not a header name"), None);
        assert_eq!(
            require_header(&pairs, "x-missing"),
            Err(WebhookError::MissingHeader("x-missing"))
        );
        assert_eq!(
            require_header(&[("a", "  ")], "a"),
            Err(WebhookError::MissingHeader("a"))
        );
    }

    #[test]
    fn comparison() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
        let digest = [0xde, 0xad, 0xbe, 0xef];
        assert!(hex_digest_matches(&digest, "deadbeef"));
        assert!(hex_digest_matches(&digest, " DEADBEEF "));
        assert!(!hex_digest_matches(&digest, "deadbeee"));
        assert!(!hex_digest_matches(&digest, "deadbe"));
        assert!(!hex_digest_matches(&digest, "deadbeefzz"));
        assert!(!hex_digest_matches(&digest, "zzadbeef"));
    }

    #[test]
    fn errors_hold_no_values() {
        let e = WebhookError::BadSignature("event-sign");
        assert_eq!(
            e.to_string(),
            "the webhook's `event-sign` header does not match its body"
        );
        assert_eq!(e.http_status(), 401);
        assert_eq!(WebhookError::Malformed("x".into()).http_status(), 400);
    }
}
