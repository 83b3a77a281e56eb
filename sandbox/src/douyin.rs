//! Douyin Open Platform: REST paths, a JSON or form body, the token in a header; three envelopes
//! (legacy `{data: {error_code, description}, extra}`, OAuth `{data, message}` and the newer
//! `{err_no, err_msg, log_id, data}`), success 0.

use serde_json::{Value, json};
use shop_api::douyin;
use shop_api::runtime::unix_now;
use shop_api_spec::ir::{Endpoint, FlagKind, Place};

use crate::{
    Admitted, Incoming, REQUEST_ID, Reply, Row, Seen, State, envelope, example, missing, present,
};

fn extra(code: i64, description: &str) -> Value {
    json!({"error_code": code, "description": description, "sub_error_code": 0, "sub_description": "", "logid": REQUEST_ID, "now": unix_now() * 1000})
}

/// The legacy envelope's success: `data` with `error_code: 0`, and `extra`.
pub fn legacy_ok(mut data: Value) -> Reply {
    data["error_code"] = json!(douyin::FACTS.success_code);
    data["description"] = json!("");
    Reply::json(
        200,
        &json!({"data": data, "extra": extra(douyin::FACTS.success_code, "")}),
    )
}

/// The legacy envelope's error: the code in `data` and in `extra`.
pub fn legacy_err(code: i64, description: &str) -> Reply {
    Reply::json(
        200,
        &json!({"data": {"error_code": code, "description": description}, "extra": extra(code, description)}),
    )
}

/// The OAuth envelope's success: `data` with `error_code: 0`, and `message`.
pub fn oauth_ok(mut data: Value) -> Reply {
    data["error_code"] = json!(douyin::FACTS.success_code);
    data["description"] = json!("");
    Reply::json(200, &json!({"data": data, "message": "success"}))
}

/// The OAuth envelope's error.
pub fn oauth_err(code: i64, description: &str) -> Reply {
    Reply::json(
        200,
        &json!({"data": {"captcha": "", "desc_url": "", "description": description, "error_code": code}, "message": "error"}),
    )
}

/// The newer envelope's success: `err_no: 0` around `data`.
pub fn newer_ok(data: Value) -> Reply {
    Reply::json(
        200,
        &envelope(
            &douyin::FACTS.envelope,
            douyin::FACTS.success_code,
            "",
            None,
            data,
        ),
    )
}

/// The newer envelope's error.
pub fn newer_err(code: i64, message: &str) -> Reply {
    Reply::json(
        200,
        &envelope(&douyin::FACTS.envelope, code, message, None, Value::Null),
    )
}

/// The catalogue's rows the sandbox answers with.
const INVALID_PARAM: Row = (2100005, None);
const UNKNOWN_URI: Row = (28001017, None);
const BAD_CLIENT: Row = (20010013, None);
const TOKEN_INVALID: Row = (2190002, None);
const TOKEN_EXPIRED: Row = (28001008, None);
const REFRESH_EXPIRED: Row = (10010, None);
pub(crate) const ROWS: &[Row] = &[
    INVALID_PARAM,
    UNKNOWN_URI,
    BAD_CLIENT,
    TOKEN_INVALID,
    TOKEN_EXPIRED,
    REFRESH_EXPIRED,
];

/// The legacy error envelope of a catalogue row, its description as the table writes it.
fn refuse(state: &State, row: Row) -> Reply {
    let r = state.row("douyin", row);
    legacy_err(r.code, &r.message)
}

fn invalid(state: &State, why: &str) -> Reply {
    let r = state.row("douyin", INVALID_PARAM);
    legacy_err(r.code, &format!("{}: {why}", r.message))
}

pub(crate) fn admit<'a>(state: &'a State, req: &Incoming) -> Result<Admitted<'a>, Reply> {
    let Some(ep) = state.route("douyin", &req.method, &req.path) else {
        return Err(refuse(state, UNKNOWN_URI));
    };
    let params = req
        .params(ep.flags.contains(&FlagKind::Form))
        .map_err(|why| invalid(state, &why))?;
    let token = douyin::FACTS.token_header.and_then(|h| req.header(h));
    Ok(Admitted::routed(ep, params, token))
}

pub(crate) fn answer(state: &State, seen: &Seen, ep: Option<&Endpoint>) -> Reply {
    let Some(ep) = ep else {
        return refuse(state, UNKNOWN_URI);
    };
    let c = state.credentials();
    let fields = &seen.params;
    let mut gone = missing(ep, Place::Query, &|k| seen.query(k).is_some());
    gone.extend(missing(ep, Place::Body, &|k| present(fields.get(k))));
    if !gone.is_empty() {
        return invalid(state, &format!("missing {}", gone.join(", ")));
    }
    let str_of = |k: &str| fields.get(k).and_then(Value::as_str).unwrap_or_default();
    if ep.flags.contains(&FlagKind::NoToken) {
        if fields.get("client_key").is_some() {
            let key_ok = str_of("client_key") == c.douyin_key;
            let secret_ok =
                fields.get("client_secret").is_none() || str_of("client_secret") == c.douyin_secret;
            if !key_ok || !secret_ok {
                return refuse(state, BAD_CLIENT);
            }
        } else if fields.get("access_token").is_some() {
            // OAuth calls that carry the user's token in the body (oauth.userinfo).
            match state.check_token("douyin", Some("user"), Some(str_of("access_token"))) {
                Ok(()) => {}
                Err("expired") => return refuse(state, TOKEN_EXPIRED),
                Err(_) => return refuse(state, TOKEN_INVALID),
            }
        }
    } else {
        let kind = if ep.flags.contains(&FlagKind::ClientToken) {
            "client"
        } else {
            "user"
        };
        match state.check_token("douyin", Some(kind), seen.token.as_deref()) {
            Ok(()) => {}
            Err("expired") => return refuse(state, TOKEN_EXPIRED),
            Err(_) => return refuse(state, TOKEN_INVALID),
        }
    }
    let ttl = state.token_ttl();
    match ep.name.as_str() {
        "oauth.client_token" | "oauth.stable_client_token" => {
            let (access, _) = state.issue("douyin", "client", "clt.");
            oauth_ok(json!({"access_token": access, "expires_in": 7200.min(ttl)}))
        }
        "oauth.access_token" | "oauth.refresh_token" => {
            if ep.name == "oauth.refresh_token"
                && !state.take_refresh("douyin", str_of("refresh_token"))
            {
                return refuse(state, REFRESH_EXPIRED);
            }
            let (access, refresh) = state.issue("douyin", "user", "act.");
            oauth_ok(
                json!({"access_token": access, "expires_in": 1_296_000.min(ttl), "open_id": "sandbox-open-id",
                "refresh_token": refresh, "refresh_expires_in": 2_592_000, "scope": "user_info"}),
            )
        }
        "oauth.renew_refresh_token" => {
            if !state.take_refresh("douyin", str_of("refresh_token")) {
                return refuse(state, REFRESH_EXPIRED);
            }
            let (_, refresh) = state.issue("douyin", "user", "act.");
            oauth_ok(json!({"refresh_token": refresh, "expires_in": 2_592_000}))
        }
        _ => Reply::json(200, &example(ep)),
    }
}
