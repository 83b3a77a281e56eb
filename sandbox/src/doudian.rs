//! Doudian: one POST per method at `/<method with dots as slashes>`, signed over `param_json`;
//! the envelope its platform.yaml declares (`{code, msg, sub_code, sub_msg, log_id, data}`,
//! success 10000).

use serde_json::{Value, json};
use shop_api::doudian;
use shop_api_spec::ir::{Endpoint, FlagKind, Place};

use crate::{
    Admitted, Incoming, Reply, Row, Seen, State, envelope, example, fresh, missing, present,
};

/// A success envelope around `data`.
pub fn ok(data: Value) -> Reply {
    Reply::json(
        200,
        &envelope(
            &doudian::FACTS.envelope,
            doudian::FACTS.success_code,
            "success",
            Some(("", "")),
            data,
        ),
    )
}

/// An error envelope (Doudian answers errors with HTTP 200).
pub fn err(code: i64, sub_code: &str, msg: &str, sub_msg: &str) -> Reply {
    Reply::json(
        200,
        &envelope(
            &doudian::FACTS.envelope,
            code,
            msg,
            Some((sub_code, sub_msg)),
            json!({}),
        ),
    )
}

/// The catalogue's rows the sandbox answers with.
const PARAMETER_INVALID: Row = (40003, Some("isv.parameter-invalid"));
const PARAMETER_MISSING: Row = (40001, Some("isv.parameter-missing"));
const API_SERVICE_OFF: Row = (70000, Some("isp.api-service-off"));
const APP_ID_INVALID: Row = (40003, Some("isv.app-id-invalid"));
const TIMESTAMP_INVALID: Row = (40003, Some("isv.timestamp-invalid"));
const SIGNATURE_INVALID: Row = (40003, Some("isv.signature-invalid"));
const TOKEN_EXPIRED: Row = (40003, Some("isv.access-token-expired"));
const TOKEN_NO_EXISTED: Row = (40003, Some("isv.access-token-no-existed"));
const REFRESH_TOKEN_INVALID: Row = (50001, Some("dop.token-generate-failed:token-invalid"));
pub(crate) const ROWS: &[Row] = &[
    PARAMETER_INVALID,
    PARAMETER_MISSING,
    API_SERVICE_OFF,
    APP_ID_INVALID,
    TIMESTAMP_INVALID,
    SIGNATURE_INVALID,
    TOKEN_EXPIRED,
    TOKEN_NO_EXISTED,
    REFRESH_TOKEN_INVALID,
];

/// The error envelope of a catalogue row, with what the sandbox found after its sub-message.
fn refuse(state: &State, row: Row, detail: &str) -> Reply {
    let r = state.row("doudian", row);
    let sub_msg = match &r.sub_message {
        Some(m) => format!("{m}: {detail}"),
        None => detail.to_owned(),
    };
    err(
        r.code,
        r.sub_code.as_deref().unwrap_or_default(),
        &r.message,
        &sub_msg,
    )
}

pub(crate) fn admit<'a>(state: &'a State, req: &Incoming) -> Result<Admitted<'a>, Reply> {
    let c = state.credentials();
    let name = req.path.trim_start_matches('/').replace('/', ".");
    let Some(ep) = state.endpoints("doudian").find(|e| e.name == name) else {
        return Err(refuse(
            state,
            API_SERVICE_OFF,
            &format!("no method `{name}`"),
        ));
    };
    if req.method != "POST" || req.query("method") != Some(name.as_str()) {
        return Err(refuse(
            state,
            PARAMETER_INVALID,
            "the `method` query parameter must name the path's method",
        ));
    }
    if req.query("app_key") != Some(c.doudian_key.as_str()) {
        return Err(refuse(state, APP_ID_INVALID, "unknown app_key"));
    }
    if req.query("v") != Some("2") {
        return Err(refuse(state, PARAMETER_INVALID, "v must be 2"));
    }
    if !fresh(req.query("timestamp"), 600) {
        return Err(refuse(
            state,
            TIMESTAMP_INVALID,
            "the timestamp must be within 10 minutes",
        ));
    }
    let hmac = match req.query("sign_method") {
        None => false,
        Some("hmac-sha256") => true,
        Some(_) => return Err(refuse(state, PARAMETER_INVALID, "unknown sign_method")),
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
        return Err(refuse(
            state,
            SIGNATURE_INVALID,
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
        return refuse(state, API_SERVICE_OFF, "no such method");
    };
    if !ep.flags.contains(&FlagKind::NoToken) {
        match state.check_token("doudian", None, seen.token.as_deref()) {
            Ok(()) => {}
            Err("expired") => {
                return refuse(state, TOKEN_EXPIRED, "refresh the token");
            }
            Err(_) => {
                return refuse(state, TOKEN_NO_EXISTED, "use a token from token.create");
            }
        }
    }
    let params = &seen.params;
    let name = seen.endpoint.as_str();
    // token.create takes `code: ""` from self-use apps: there the key must be sent, empty or not.
    let empty_ok = |k: &str| name == "token.create" && k == "code" && params.get(k).is_some();
    let gone = missing(ep, Place::Body, &|k| empty_ok(k) || present(params.get(k)));
    if !gone.is_empty() {
        return refuse(
            state,
            PARAMETER_MISSING,
            &format!("missing required parameter(s): {}", gone.join(", ")),
        );
    }
    match name {
        "token.create" | "token.refresh" => {
            if name == "token.refresh"
                && !state.take_refresh(
                    "doudian",
                    params["refresh_token"].as_str().unwrap_or_default(),
                )
            {
                return refuse(
                    state,
                    REFRESH_TOKEN_INVALID,
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
