//! The one envelope reader: every platform's answer is read here, from the places its
//! `platform.yaml` declares (`envelope:`), and classified once by [`Facts::classify`].
//!
//! A platform states where its envelope carries the status code (and which value there means
//! success), the messages, the sub-code, the request id, the result (`data`) and any member kept
//! whole (`extra`); the generated crate writes that into [`Facts::envelope`]. The rules are the
//! same for every platform:
//!
//! - a body that is not a JSON object is an HTTP error with a 4xx/5xx status, else a decode error;
//! - the call failed when one of the code places holds a value other than its success value (the
//!   first such place gives the code); it succeeded when at least one holds a value and all hold
//!   success, and the HTTP status is below 400;
//! - no code at all, or "success" under an HTTP error status, is not the platform's envelope: an
//!   HTTP error (4xx/5xx), else a decode error;
//! - an error's kind and whether it is tried again come from the catalogue and the one HTTP-status
//!   rule of [`Facts::classify`].
//!
//! A place is a member name, or `a.b` for the member `b` of the object member `a`; codes and texts
//! are read loosely (a code may come as a number or as its text).

use serde_json::Value;
use serde_json::value::RawValue;

use crate::client::{Facts, Reply, span_of};
use crate::http::RawResponse;
use crate::{ApiError, Endpoint, Error, Result};

/// Where a platform's envelope carries the call's status and result: `envelope:` of its
/// `platform.yaml`, each place written `member` or `member.inner`. Where a list names several
/// places, the first that holds a value wins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Envelope {
    /// The top-level member of the result.
    pub data: &'static str,
    /// The places of the status code, each with the value that means success there.
    pub code: &'static [(&'static str, i64)],
    /// The places of the error message.
    pub message: &'static [&'static str],
    /// The places of the detailed error code (an empty one, or `0`, is none).
    pub sub_code: &'static [&'static str],
    /// The places of the detailed error message.
    pub sub_message: &'static [&'static str],
    /// The places of the request's id.
    pub request_id: &'static [&'static str],
    /// A top-level member kept whole on the reply and on an error ([`Reply::extra`]).
    pub extra: Option<&'static str>,
}

impl Envelope {
    /// Every place the envelope names, `data` and `extra` included.
    fn places(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.code
            .iter()
            .map(|(p, _)| *p)
            .chain(self.message.iter().copied())
            .chain(self.sub_code.iter().copied())
            .chain(self.sub_message.iter().copied())
            .chain(self.request_id.iter().copied())
            .chain(std::iter::once(self.data))
            .chain(self.extra)
    }
}

/// Read `raw` as `facts`' envelope: the reply (where `data` is, the request id), or the
/// platform's error, classified.
pub fn read(facts: &Facts, ep: &Endpoint, raw: RawResponse) -> Result<Reply> {
    let env = &facts.envelope;
    let members = match Members::read(env, &raw.body) {
        Ok(m) => m,
        Err(_) if raw.status >= 400 => return Err(Error::http(ep.name, &raw)),
        Err(e) => return Err(Error::decode(ep.name, e, &raw.body)),
    };
    let mut present = false;
    let mut failed = None;
    for (place, success) in env.code {
        if let Some(code) = members.get(place).as_ref().and_then(code_of) {
            present = true;
            if code != *success && failed.is_none() {
                failed = Some(code);
            }
        }
    }
    let text = |places: &[&str]| {
        places
            .iter()
            .find_map(|p| members.get(p).as_ref().and_then(text_of))
    };
    let request_id = text(env.request_id);
    let extra = env
        .extra
        .and_then(|p| members.get(p))
        .filter(|v| !v.is_null());
    match failed {
        None if present && raw.status < 400 => {
            let data = members.raw(env.data).and_then(|d| span_of(&raw.body, d));
            let mut reply = Reply::new(raw, data, request_id);
            reply.extra = extra;
            Ok(reply)
        }
        None if raw.status >= 400 => Err(Error::http(ep.name, &raw)),
        None => {
            let names: Vec<String> = env.code.iter().map(|(p, _)| format!("`{p}`")).collect();
            Err(Error::decode(
                ep.name,
                format_args!("the envelope has no {}", names.join(" or ")),
                &raw.body,
            ))
        }
        Some(code) => {
            let message = text(env.message).unwrap_or_default();
            let sub_code = text(env.sub_code).filter(|s| s != "0");
            let (kind, retry) = facts.classify(
                ep.name,
                code,
                sub_code.as_deref().unwrap_or_default(),
                &message,
                raw.status,
            );
            Err(Error::from(ApiError {
                platform: facts.name,
                endpoint: ep.name.into(),
                code,
                sub_code,
                message,
                sub_message: text(env.sub_message),
                request_id,
                kind,
                retry,
                http_status: raw.status,
                retry_after: raw.retry_after,
                extra,
            }))
        }
    }
}

/// A code: a number, or its text.
fn code_of(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// A text: a non-empty string, or a number's text.
fn text_of(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The top-level members an envelope names, borrowed from the body unparsed; the objects a
/// place looks inside (`data.error_code`) parsed once.
struct Members<'a> {
    top: Vec<(&'static str, &'a RawValue)>,
    inner: Vec<(&'static str, Value)>,
}

impl<'a> Members<'a> {
    fn read(env: &Envelope, body: &'a [u8]) -> serde_json::Result<Members<'a>> {
        let mut names: Vec<&'static str> = env.places().map(|p| first(p).0).collect();
        names.sort_unstable();
        names.dedup();
        let top = crate::json::pick(body, &names)?;
        let mut inner: Vec<(&'static str, Value)> = Vec::new();
        for place in env.places() {
            let (name, rest) = first(place);
            if rest.is_some() && !inner.iter().any(|(n, _)| *n == name) {
                let tree = top
                    .iter()
                    .find(|(n, _)| *n == name)
                    .and_then(|(_, raw)| serde_json::from_str::<Value>(raw.get()).ok())
                    .unwrap_or(Value::Null);
                inner.push((name, tree));
            }
        }
        Ok(Members { top, inner })
    }

    /// The member `name`, unparsed (`null` is none).
    fn raw(&self, name: &str) -> Option<&'a RawValue> {
        self.top
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| *v)
            .filter(|v| v.get() != "null")
    }

    /// The value at `place`.
    fn get(&self, place: &str) -> Option<Value> {
        match first(place) {
            (name, None) => serde_json::from_str(self.raw(name)?.get()).ok(),
            (name, Some(rest)) => {
                let (_, tree) = self.inner.iter().find(|(n, _)| *n == name)?;
                rest.split('.')
                    .try_fold(tree, |v, key| v.get(key))
                    .filter(|v| !v.is_null())
                    .cloned()
            }
        }
    }
}

/// A place's first member and the rest of it.
fn first(place: &str) -> (&str, Option<&str>) {
    match place.split_once('.') {
        Some((a, b)) => (a, Some(b)),
        None => (place, None),
    }
}
