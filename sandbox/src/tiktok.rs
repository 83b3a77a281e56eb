//! TikTok Shop: versioned REST paths signed with HMAC-SHA256 over path, query and body, the
//! seller's token in a header, the shop cipher in the query; the envelope its platform.yaml
//! declares (`{code, message, request_id, data}`, success 0). Its auth host serves the sellers' tokens.

use axum::http::header;
use serde_json::{Value, json};
use shop_api::runtime::unix_now;
use shop_api::tiktok::{self, TOKEN_GET, TOKEN_REFRESH};
use shop_api_spec::ir::{Endpoint, FlagKind, Place};

use crate::{
    Admitted, Incoming, Reply, Row, Seen, State, envelope, example, fresh, missing, present,
};

/// A success envelope around `data`.
pub fn ok(data: Value) -> Reply {
    Reply::json(
        200,
        &envelope(
            &tiktok::FACTS.envelope,
            tiktok::FACTS.success_code,
            "Success",
            None,
            data,
        ),
    )
}

/// An error envelope with its HTTP status.
pub fn err(status: u16, code: i64, message: &str) -> Reply {
    Reply::json(
        status,
        &envelope(&tiktok::FACTS.envelope, code, message, None, Value::Null),
    )
}

/// The catalogue's rows the sandbox answers with.
const INVALID_PARAM: Row = (36009004, None);
const INVALID_PATH: Row = (36009009, None);
const INVALID_APP_KEY: Row = (36009004, Some("app_key"));
const OLD_TIMESTAMP: Row = (36009004, Some("earlier than 5 minutes"));
const INVALID_SIGN: Row = (106001, None);
const EXPIRED_TOKEN: Row = (105002, None);
const INVALID_TOKEN: Row = (36009004, Some("x-tts-access-token"));
const MISSING_SHOP_CIPHER: Row = (106013, None);
const INVALID_AUTH_CODE: Row = (36004004, None);
pub(crate) const ROWS: &[Row] = &[
    INVALID_PARAM,
    INVALID_PATH,
    INVALID_APP_KEY,
    OLD_TIMESTAMP,
    INVALID_SIGN,
    EXPIRED_TOKEN,
    INVALID_TOKEN,
    MISSING_SHOP_CIPHER,
    INVALID_AUTH_CODE,
];

/// The error envelope of a catalogue row, its message as the table writes it.
fn refuse(state: &State, status: u16, row: Row) -> Reply {
    let r = state.row("tiktok", row);
    err(status, r.code, &r.message)
}

fn invalid(state: &State, why: &str) -> Reply {
    let r = state.row("tiktok", INVALID_PARAM);
    err(400, r.code, &format!("{} ({why})", r.message))
}

pub(crate) fn admit<'a>(state: &'a State, req: &Incoming) -> Result<Admitted<'a>, Reply> {
    let c = state.credentials();
    let Some(ep) = state.route("tiktok", &req.method, &req.path) else {
        return Err(refuse(state, 404, INVALID_PATH));
    };
    if req.query("app_key") != Some(c.tiktok_key.as_str()) {
        return Err(refuse(state, 401, INVALID_APP_KEY));
    }
    if !fresh(req.query("timestamp"), 300) {
        return Err(refuse(state, 401, OLD_TIMESTAMP));
    }
    let content_type = req
        .header(header::CONTENT_TYPE.as_str())
        .unwrap_or_default();
    let multipart = content_type.starts_with("multipart/form-data");
    let signed_body = (!multipart && !req.body.is_empty()).then_some(&req.body[..]);
    let expected = crate::check::tiktok_sign(&c.tiktok_secret, &req.path, &req.query, signed_body);
    if req.query("sign") != Some(expected.as_str()) {
        return Err(refuse(state, 401, INVALID_SIGN));
    }
    let params = req.params(false).map_err(|why| invalid(state, &why))?;
    let token = tiktok::FACTS.token_header.and_then(|h| req.header(h));
    Ok(Admitted::routed(ep, params, token))
}

pub(crate) fn answer(state: &State, seen: &Seen, ep: Option<&Endpoint>) -> Reply {
    let Some(ep) = ep else {
        return refuse(state, 404, INVALID_PATH);
    };
    if !ep.flags.contains(&FlagKind::NoToken) {
        match state.check_token("tiktok", None, seen.token.as_deref()) {
            Ok(()) => {}
            Err("expired") => {
                return refuse(state, 401, EXPIRED_TOKEN);
            }
            Err(_) => {
                return refuse(state, 401, INVALID_TOKEN);
            }
        }
    }
    if !ep.flags.contains(&FlagKind::NoShopCipher)
        && seen.query("shop_cipher").is_none_or(str::is_empty)
    {
        return refuse(state, 400, MISSING_SHOP_CIPHER);
    }
    let mut gone = missing(ep, Place::Query, &|k| seen.query(k).is_some());
    // A multipart body's fields are its parts: not checked here.
    if !seen
        .content_type()
        .is_some_and(|t| t.starts_with("multipart/"))
    {
        gone.extend(missing(ep, Place::Body, &|k| present(seen.params.get(k))));
    }
    if !gone.is_empty() {
        return invalid(state, &format!("missing {}", gone.join(", ")));
    }
    Reply::json(200, &example(ep))
}

pub(crate) fn admit_auth<'a>(state: &'a State, req: &Incoming) -> Result<Admitted<'a>, Reply> {
    let c = state.credentials();
    let Some(ep) = [&TOKEN_GET, &TOKEN_REFRESH]
        .into_iter()
        .find(|e| e.path == req.path && e.method.as_str() == req.method.as_str())
    else {
        return Err(refuse(state, 404, INVALID_PATH));
    };
    if req.query("app_key") != Some(c.tiktok_key.as_str())
        || req.query("app_secret") != Some(c.tiktok_secret.as_str())
    {
        return Err(refuse(state, 200, INVALID_APP_KEY));
    }
    Ok(Admitted {
        endpoint: None,
        name: ep.name.to_owned(),
        route: format!("{} {}", ep.method, ep.path),
        params: Value::Null,
        token: None,
    })
}

pub(crate) fn answer_auth(state: &State, seen: &Seen) -> Reply {
    match (seen.path.as_str(), seen.query("grant_type")) {
        (p, Some("authorized_code"))
            if p == TOKEN_GET.path && seen.query("auth_code").is_some_and(|c| !c.is_empty()) => {}
        (p, Some("refresh_token")) if p == TOKEN_REFRESH.path => {
            if !state.take_refresh("tiktok", seen.query("refresh_token").unwrap_or_default()) {
                // No official row names a bad refresh token: answered as a bad auth code.
                return refuse(state, 200, INVALID_AUTH_CODE);
            }
        }
        (p, _) => return invalid(state, &format!("no grant of {p} matches")),
    }
    let (access, refresh) = state.issue("tiktok", "seller", "TTP_");
    let now = unix_now();
    ok(json!({
        "access_token": access, "access_token_expire_in": now + state.token_ttl(),
        "refresh_token": refresh, "refresh_token_expire_in": now + 30 * 24 * 3600,
        "open_id": "sandbox-open-id", "seller_name": "Sandbox seller", "seller_base_region": "GB",
        "user_type": 0, "granted_scopes": ["seller.authorization.info", "seller.order.info", "seller.product.basic"]}))
}
