//! Calling an endpoint chosen by name: check the request against the endpoint's fields (the
//! generated metadata table), then encode and send it through the client core.

use std::time::Duration;

use serde_json::{Map, Value};
use shop_api::runtime::{self, Client, ClientBuilder, Endpoint};
use shop_api::{doudian, douyin, tiktok};

use crate::args::{CallArgs, Failure, Platform, emit};
use crate::endpoint::{resolve, unknown_endpoint};
use crate::env::Env;
use crate::{pages, upload};

/// Build the request object from `--json` and `--param`s.
pub fn request_object(args: &CallArgs) -> Result<Value, Failure> {
    let mut obj = match &args.json {
        Some(text) => match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(m)) => m,
            Ok(_) => return Err(Failure::Usage("--json must be a JSON object".into())),
            Err(e) => return Err(Failure::Usage(format!("--json is not valid JSON: {e}"))),
        },
        None => Map::new(),
    };
    for p in &args.params {
        let Some((k, v)) = p.split_once('=') else {
            return Err(Failure::Usage(format!("--param `{p}` is not KEY=VALUE")));
        };
        let value =
            serde_json::from_str::<Value>(v).unwrap_or_else(|_| Value::String(v.to_owned()));
        obj.insert(k.trim().to_owned(), value);
    }
    Ok(Value::Object(obj))
}

/// The settings every platform's client takes from the command line.
fn configure<P, C>(
    b: ClientBuilder<P, C>,
    args: &CallArgs,
    token: Option<String>,
) -> Result<Client<P>, Failure>
where
    P: runtime::Platform,
    C: From<Client<P>> + std::ops::Deref<Target = Client<P>>,
{
    let mut b = b
        .sandbox(args.sandbox)
        .timeout(Duration::from_secs(args.timeout));
    if let Some(u) = &args.base_url {
        b = b.base_url(u);
    }
    if let Some(p) = &args.proxy {
        b = b.proxy(p);
    }
    let built: C = b.build()?;
    let client = Client::clone(&built);
    Ok(match token {
        Some(t) => client.with_access_token(t),
        None => client,
    })
}

/// Call `args.endpoint` of the platform `client` serves, found by `dispatch` among `all`, and
/// print what it gives.
async fn call<P: runtime::Platform>(
    client: &Client<P>,
    platform: Platform,
    all: Vec<&'static Endpoint>,
    args: &CallArgs,
    params: &Value,
) -> Result<(), Failure> {
    let Some(ep) = resolve(platform, &all, &args.endpoint) else {
        return Err(unknown_endpoint(client.facts().name, &args.endpoint, &all));
    };
    if ep.endpoint.deprecated {
        eprintln!(
            "warning: {} `{}` is deprecated by the platform: its documentation ({}) and the crate's method say what replaces it",
            client.facts().name,
            ep.endpoint.name,
            ep.endpoint.doc_url
        );
    }
    let files = upload::parts(&args.files, ep.endpoint, &all)?;
    if args.all_pages {
        return pages::all(client, &ep, &all, args, params).await;
    }
    let prepared = ep.prepare(client, params, files)?;
    if args.dry_run {
        emit(&client.prepare_dry_run(&prepared.call)?.to_string());
        return Ok(());
    }
    let reply = client.call(&prepared.call).await?;
    emit(&ep.render(&reply, true)?);
    Ok(())
}

/// `shop-api <platform> <endpoint> ...`: only the credentials differ between platforms.
pub async fn run(platform: Platform, env: &Env, args: &CallArgs) -> Result<(), Failure> {
    let params = &request_object(args)?;
    match platform {
        Platform::Doudian => {
            let mut b = doudian::Client::builder(
                env.require("DOUDIAN_APP_KEY")?,
                env.require("DOUDIAN_APP_SECRET")?,
            );
            if let Some(m) = env.get("DOUDIAN_SIGN_METHOD") {
                b = b.sign_method(m.parse().map_err(Failure::Usage)?);
            }
            let client = configure(b, args, env.get("DOUDIAN_ACCESS_TOKEN"))?;
            call(
                &client,
                Platform::Doudian,
                doudian::endpoints(),
                args,
                params,
            )
            .await
        }
        Platform::Tiktok => {
            let b = tiktok::Client::builder(
                env.require("TIKTOK_APP_KEY")?,
                env.require("TIKTOK_APP_SECRET")?,
            );
            let mut client = configure(b, args, env.get("TIKTOK_ACCESS_TOKEN"))?;
            if let Some(c) = env.get("TIKTOK_SHOP_CIPHER") {
                client = client.with_shop_cipher(c);
            }
            call(&client, Platform::Tiktok, tiktok::endpoints(), args, params).await
        }
        Platform::Douyin => {
            if args.sandbox {
                return Err(Failure::Usage(
                    "the Douyin Open Platform has no sandbox host: service-market calls take \
                     `--param is_test_env=true` instead"
                        .into(),
                ));
            }
            let b = douyin::Client::builder(
                env.require("DOUYIN_CLIENT_KEY")?,
                env.require("DOUYIN_CLIENT_SECRET")?,
            );
            let client = configure(b, args, env.get("DOUYIN_ACCESS_TOKEN"))?;
            call(&client, Platform::Douyin, douyin::endpoints(), args, params).await
        }
    }
}

/// `shop-api describe <platform> <endpoint>`: the endpoint's facts and fields.
pub fn describe(platform: Platform, name: &str) -> Result<String, Failure> {
    let (platform_name, all) = match platform {
        Platform::Tiktok => ("tiktok", tiktok::endpoints()),
        Platform::Doudian => ("doudian", doudian::endpoints()),
        Platform::Douyin => ("douyin", douyin::endpoints()),
    };
    let Some(ep) = resolve(platform, &all, name) else {
        return Err(unknown_endpoint(platform_name, name, &all));
    };
    let e = ep.endpoint;
    let mut out = format!(
        "{} {}: {} {}\n{}\ndocumentation: {}\n",
        e.platform,
        e.name,
        e.method.as_str(),
        e.path,
        e.summary,
        e.doc_url
    );
    if e.deprecated {
        out.push_str("deprecated by the platform: its documentation says what replaces it\n");
    }
    if e.pagination.is_some() {
        out.push_str("paged: `--all-pages` walks every page\n");
    }
    out.push('\n');
    ep.describe_fields(&mut out);
    Ok(out)
}

/// `shop-api list [platform]`: the table of endpoints, and the count of each platform's current
/// and deprecated ones.
pub fn list(only: Option<Platform>) -> (String, String) {
    let mut out = String::new();
    let mut counts = String::new();
    let platforms = [
        (Platform::Tiktok, tiktok::endpoints()),
        (Platform::Doudian, doudian::endpoints()),
        (Platform::Douyin, douyin::endpoints()),
    ];
    for (p, eps) in platforms {
        if only.is_some_and(|o| o != p) {
            continue;
        }
        for e in eps.iter() {
            let dep = if e.deprecated { " (deprecated)" } else { "" };
            out.push_str(&format!(
                "{:<8} {:<45} {:<6} {:<55} {}{dep}\n",
                e.platform,
                e.name,
                e.method.as_str(),
                e.path,
                e.summary
            ));
        }
        let deprecated = eps.iter().filter(|e| e.deprecated).count();
        if let Some(first) = eps.first() {
            counts.push_str(&format!(
                "{}: {} endpoints, {deprecated} deprecated\n",
                first.platform,
                eps.len() - deprecated
            ));
        }
    }
    (out, counts)
}

/// `shop-api token doudian ...`: `token.create` or `token.refresh` through the generated endpoints.
pub async fn doudian_token(
    env: &Env,
    shop_id: Option<String>,
    code: Option<String>,
    refresh_token: Option<String>,
    base_url: Option<String>,
) -> Result<(), Failure> {
    let (endpoint, params) = match (shop_id, code, refresh_token) {
        (Some(shop), None, None) => (
            "token.create",
            serde_json::json!({"grant_type": "authorization_self", "shop_id": shop, "code": ""}),
        ),
        (None, Some(code), None) => (
            "token.create",
            serde_json::json!({"grant_type": "authorization_code", "code": code}),
        ),
        (None, None, Some(r)) => (
            "token.refresh",
            serde_json::json!({"grant_type": "refresh_token", "refresh_token": r}),
        ),
        _ => {
            return Err(Failure::Usage(
                "give one of --shop-id, --code or --refresh-token".into(),
            ));
        }
    };
    let args = CallArgs {
        endpoint: endpoint.into(),
        json: Some(params.to_string()),
        params: Vec::new(),
        base_url,
        sandbox: false,
        dry_run: false,
        timeout: 30,
        proxy: None,
        all_pages: false,
        from: None,
        files: Vec::new(),
    };
    run(Platform::Doudian, env, &args).await
}

/// `shop-api token douyin ...`: the OAuth endpoints.
pub async fn douyin_token(
    env: &Env,
    code: Option<String>,
    refresh_token: Option<String>,
    client: bool,
    base_url: Option<String>,
) -> Result<(), Failure> {
    let key = env.require("DOUYIN_CLIENT_KEY")?;
    let secret = env.require("DOUYIN_CLIENT_SECRET")?;
    let (endpoint, params) = match (code, refresh_token, client) {
        (Some(code), None, false) => (
            "oauth.access_token",
            serde_json::json!({"client_key": key, "client_secret": secret, "code": code, "grant_type": "authorization_code"}),
        ),
        (None, Some(r), false) => (
            "oauth.refresh_token",
            serde_json::json!({"client_key": key, "refresh_token": r, "grant_type": "refresh_token"}),
        ),
        (None, None, true) => (
            "oauth.client_token",
            serde_json::json!({"client_key": key, "client_secret": secret, "grant_type": "client_credential"}),
        ),
        _ => {
            return Err(Failure::Usage(
                "give one of --code, --refresh-token or --client".into(),
            ));
        }
    };
    let args = CallArgs {
        endpoint: endpoint.into(),
        json: Some(params.to_string()),
        params: Vec::new(),
        base_url,
        sandbox: false,
        dry_run: false,
        timeout: 30,
        proxy: None,
        all_pages: false,
        from: None,
        files: Vec::new(),
    };
    run(Platform::Douyin, env, &args).await
}

/// `shop-api token tiktok ...`: the auth host's token exchange and refresh.
pub async fn tiktok_token(
    env: &Env,
    code: Option<String>,
    refresh_token: Option<String>,
    base_url: Option<String>,
) -> Result<(), Failure> {
    let key = env.require("TIKTOK_APP_KEY")?;
    let secret = env.require("TIKTOK_APP_SECRET")?;
    let mut b = tiktok::Client::builder(key, secret);
    if let Some(u) = base_url {
        b = b.auth_base_url(u);
    }
    let client = b.build()?;
    let info = match (code, refresh_token) {
        (Some(c), None) => client.get_token(&c).await?,
        (None, Some(r)) => client.refresh_token(&r).await?,
        _ => {
            return Err(Failure::Usage(
                "give one of --code or --refresh-token".into(),
            ));
        }
    };
    let text = serde_json::to_string_pretty(&info).map_err(|e| Failure::Usage(e.to_string()))?;
    emit(&text);
    Ok(())
}

/// `shop-api webhook verify <platform> --header 'K: V' ... --body-file F`
pub fn webhook_verify(
    env: &Env,
    platform: Platform,
    headers: &[String],
    body_file: &str,
) -> Result<(), Failure> {
    let mut pairs: Vec<(String, String)> = Vec::new();
    for h in headers {
        let Some((k, v)) = h.split_once(':') else {
            return Err(Failure::Usage(format!(
                "--header `{h}` is not `Name: value`"
            )));
        };
        pairs.push((k.trim().to_owned(), v.trim().to_owned()));
    }
    let body = if body_file == "-" {
        let mut b = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin(), &mut b)
            .map_err(|e| Failure::Usage(format!("cannot read standard input: {e}")))?;
        b
    } else {
        std::fs::read(body_file)
            .map_err(|e| Failure::Usage(format!("cannot read {body_file}: {e}")))?
    };
    let rejected =
        |e: &dyn std::fmt::Display| Failure::Rejected(format!("the push does not verify: {e}"));
    let out = match platform {
        Platform::Doudian => {
            let key = env.require("DOUDIAN_APP_KEY")?;
            let secret = env.require("DOUDIAN_APP_SECRET")?;
            let msgs =
                doudian::webhook::verify(&key, &secret, &pairs, &body).map_err(|e| rejected(&e))?;
            serde_json::to_string_pretty(&msgs)
        }
        Platform::Tiktok => {
            let key = env.require("TIKTOK_APP_KEY")?;
            let secret = env.require("TIKTOK_APP_SECRET")?;
            let n =
                tiktok::webhook::verify(&key, &secret, &pairs, &body).map_err(|e| rejected(&e))?;
            serde_json::to_string_pretty(&n)
        }
        Platform::Douyin => {
            let secret = env.require("DOUYIN_CLIENT_SECRET")?;
            let ev = douyin::webhook::verify(&pairs, &body, &secret).map_err(|e| rejected(&e))?;
            serde_json::to_string_pretty(&ev)
        }
    };
    emit(&out.map_err(|e| Failure::Usage(e.to_string()))?);
    Ok(())
}
