//! Doudian: one POST per method at `/<method with dots as slashes>`, signed over `param_json`;
//! the envelope `{code, msg, sub_code, sub_msg, log_id, data}`, success 10000.

use serde_json::{Value, json};
use shop_api::doudian;
use shop_api_codegen::ir::{Endpoint, FlagKind, Place};

use crate::{Admitted, Incoming, REQUEST_ID, Reply, Seen, State, example, fresh, missing, present};

/// A success envelope around `data`.
pub fn ok(data: Value) -> Reply {
    Reply::json(
        200,
        &json!({"code": doudian::FACTS.success_code, "msg": "success", "sub_code": "", "sub_msg": "", "log_id": REQUEST_ID, "data": data}),
    )
}

/// An error envelope (Doudian answers errors with HTTP 200).
pub fn err(code: i64, sub_code: &str, msg: &str, sub_msg: &str) -> Reply {
    Reply::json(
        200,
        &json!({"code": code, "msg": msg, "sub_code": sub_code, "sub_msg": sub_msg, "log_id": REQUEST_ID, "data": {}}),
    )
}

fn invalid(why: &str) -> Reply {
    err(40004, "isv.parameter-invalid", "invalid parameter", why)
}

pub(crate) fn admit<'a>(state: &'a State, req: &Incoming) -> Result<Admitted<'a>, Reply> {
    let c = state.credentials();
    let name = req.path.trim_start_matches('/').replace('/', ".");
    let Some(ep) = state.endpoints("doudian").find(|e| e.name == name) else {
        return Err(err(
            40004,
            "isv.method-not-exist",
            "method not found",
            &format!("no method `{name}`"),
        ));
    };
    if req.method != "POST" || req.query("method") != Some(name.as_str()) {
        return Err(invalid(
            "the `method` query parameter must name the path's method",
        ));
    }
    if req.query("app_key") != Some(c.doudian_key.as_str()) {
        return Err(err(
            40003,
            "isv.app-key-invalid",
            "invalid app_key",
            "unknown app_key",
        ));
    }
    if req.query("v") != Some("2") || !fresh(req.query("timestamp"), 600) {
        return Err(invalid("v must be 2 and timestamp within 10 minutes"));
    }
    let hmac = match req.query("sign_method") {
        None => false,
        Some("hmac-sha256") => true,
        Some(_) => return Err(invalid("unknown sign_method")),
    };
    // The platform signs the canonical param_json (keys sorted): a body sent otherwise, or signed
    // otherwise, fails here.
    let text = std::str::from_utf8(&req.body).unwrap_or_default();
    let param_json = crate::check::doudian_param_json(if text.is_empty() { "{}" } else { text });
    let expected = param_json.as_deref().map(|pj| {
        crate::check::doudian_sign(
            hmac,
            &c.doudian_key,
            &c.doudian_secret,
            &name,
            pj,
            req.query("timestamp").unwrap_or_default(),
        )
    });
    if expected.is_none()
        || param_json.as_deref() != Some(text)
        || req.query("sign") != expected.as_deref()
    {
        return Err(err(
            40003,
            "isv.signature-invalid",
            "签名校验失败",
            "the sign does not match the request",
        ));
    }
    let params = serde_json::from_slice(&req.body).unwrap_or(Value::Null);
    Ok(Admitted {
        endpoint: Some(ep),
        route: format!("POST {}", req.path),
        name,
        params,
        token: req.query("access_token").map(str::to_owned),
    })
}

pub(crate) fn answer(state: &State, seen: &Seen, ep: Option<&Endpoint>) -> Reply {
    let Some(ep) = ep else {
        return invalid("no such method");
    };
    if !ep.flags.contains(&FlagKind::NoToken) {
        match state.check_token("doudian", None, seen.token.as_deref()) {
            Ok(()) => {}
            Err("expired") => {
                return err(
                    40003,
                    "isv.access-token-expired",
                    "access_token已过期",
                    "refresh the token",
                );
            }
            Err(_) => {
                return err(
                    40003,
                    "isv.access-token-no-existed",
                    "access_token不存在",
                    "use a token from token.create",
                );
            }
        }
    }
    let params = &seen.params;
    let name = seen.endpoint.as_str();
    // token.create takes `code: ""` from self-use apps: there the key must be sent, empty or not.
    let empty_ok = |k: &str| name == "token.create" && k == "code" && params.get(k).is_some();
    let gone = missing(ep, Place::Body, &|k| empty_ok(k) || present(params.get(k)));
    if !gone.is_empty() {
        return invalid(&format!(
            "missing required parameter(s): {}",
            gone.join(", ")
        ));
    }
    match name {
        "token.create" | "token.refresh" => {
            if name == "token.refresh"
                && !state.take_refresh(
                    "doudian",
                    params["refresh_token"].as_str().unwrap_or_default(),
                )
            {
                return err(
                    40003,
                    "isv.refresh-token-invalid",
                    "refresh_token无效",
                    "unknown or used refresh token",
                );
            }
            let (access, refresh) = state.issue("doudian", "shop", "");
            let shop_id = params["shop_id"]
                .as_str()
                .filter(|s| !s.is_empty())
                .unwrap_or("4463798");
            ok(json!({
                "access_token": access, "expires_in": state.token_ttl(), "refresh_token": refresh,
                "scope": "SCOPE", "shop_id": shop_id, "shop_name": "Sandbox shop", "authority_id": shop_id}))
        }
        _ => Reply::json(200, &example(ep)),
    }
}
