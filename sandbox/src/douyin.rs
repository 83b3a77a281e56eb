//! Douyin Open Platform: REST paths, a JSON or form body, the token in a header; three envelopes
//! (legacy `{data: {error_code, description}, extra}`, OAuth `{data, message}` and the newer
//! `{err_no, err_msg, log_id, data}`), success 0.

use serde_json::{Value, json};
use shop_api::douyin;
use shop_api::runtime::unix_now;
use shop_api_codegen::ir::{Endpoint, FlagKind, Place};

use crate::{Admitted, Incoming, REQUEST_ID, Reply, Seen, State, example, missing, present};

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
        &json!({"err_no": douyin::FACTS.success_code, "err_msg": "", "log_id": REQUEST_ID, "data": data}),
    )
}

/// The newer envelope's error.
pub fn newer_err(code: i64, message: &str) -> Reply {
    Reply::json(
        200,
        &json!({"err_no": code, "err_msg": message, "log_id": REQUEST_ID, "data": null}),
    )
}

fn invalid(why: &str) -> Reply {
    legacy_err(2100005, &format!("参数不合法: {why}"))
}

pub(crate) fn admit<'a>(state: &'a State, req: &Incoming) -> Result<Admitted<'a>, Reply> {
    let Some(ep) = state.route("douyin", &req.method, &req.path) else {
        return Err(legacy_err(
            2100004,
            &format!("no endpoint {} {}", req.method, req.path),
        ));
    };
    let params = req
        .params(ep.flags.contains(&FlagKind::Form))
        .map_err(|why| invalid(&why))?;
    let token = douyin::FACTS.token_header.and_then(|h| req.header(h));
    Ok(Admitted::routed(ep, params, token))
}

pub(crate) fn answer(state: &State, seen: &Seen, ep: Option<&Endpoint>) -> Reply {
    let Some(ep) = ep else {
        return invalid("no such endpoint");
    };
    let c = state.credentials();
    let fields = &seen.params;
    let mut gone = missing(ep, Place::Query, &|k| seen.query(k).is_some());
    gone.extend(missing(ep, Place::Body, &|k| present(fields.get(k))));
    if !gone.is_empty() {
        return invalid(&format!("missing {}", gone.join(", ")));
    }
    let str_of = |k: &str| fields.get(k).and_then(Value::as_str).unwrap_or_default();
    if ep.flags.contains(&FlagKind::NoToken) {
        if fields.get("client_key").is_some() {
            let key_ok = str_of("client_key") == c.douyin_key;
            let secret_ok =
                fields.get("client_secret").is_none() || str_of("client_secret") == c.douyin_secret;
            if !key_ok || !secret_ok {
                return legacy_err(10013, "client_key或client_secret错误");
            }
        } else if fields.get("access_token").is_some() {
            // OAuth calls that carry the user's token in the body (oauth.userinfo).
            if state
                .check_token("douyin", Some("user"), Some(str_of("access_token")))
                .is_err()
            {
                return legacy_err(2190008, "access_token过期或无效");
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
            Err("expired") => return legacy_err(28001008, "access_token过期"),
            Err(_) => return legacy_err(28001003, "access_token无效"),
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
                return legacy_err(10010, "refresh_token过期");
            }
            let (access, refresh) = state.issue("douyin", "user", "act.");
            oauth_ok(
                json!({"access_token": access, "expires_in": 1_296_000.min(ttl), "open_id": "sandbox-open-id",
                "refresh_token": refresh, "refresh_expires_in": 2_592_000, "scope": "user_info"}),
            )
        }
        "oauth.renew_refresh_token" => {
            if !state.take_refresh("douyin", str_of("refresh_token")) {
                return legacy_err(10010, "refresh_token过期");
            }
            let (_, refresh) = state.issue("douyin", "user", "act.");
            oauth_ok(json!({"refresh_token": refresh, "expires_in": 2_592_000}))
        }
        _ => Reply::json(200, &example(ep)),
    }
}
