//! Calling an endpoint chosen by name: decode the request into its typed struct, then send it.

use std::marker::PhantomData;
use std::time::Duration;

use serde_json::{Map, Value};
use shop_api::runtime::http::Part;
use shop_api::runtime::{
    self, ApiRequest, Call, Client, ClientBuilder, Endpoint, EndpointVisitor, Flags, Query, Reply,
};
use shop_api::{doudian, douyin, tiktok};

use crate::env::Env;
use crate::{CallArgs, Failure, Platform, pages, upload};

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

/// Decode `params` into the endpoint's request type, refusing unknown fields, wrong types and
/// missing required fields with a message that names them. `files` are the names of the file
/// parts given with `--file`: fields of the request too.
pub fn decode_request<R: ApiRequest>(params: &Value, files: &[&str]) -> Result<R, Failure> {
    let ep = R::ENDPOINT;
    let mut with_files;
    let params = if files.is_empty() {
        params
    } else {
        // A file part stands for its field: an empty text the part replaces when sent.
        with_files = params.clone();
        if let Value::Object(m) = &mut with_files {
            for name in files {
                m.entry(*name)
                    .or_insert_with(|| Value::String(String::new()));
            }
        }
        &with_files
    };
    let text = params.to_string();
    let mut unknown = Vec::new();
    let de = &mut serde_json::Deserializer::from_str(&text);
    let mut track = |path: serde_ignored::Path<'_>| unknown.push(path.to_string());
    let ignored = serde_ignored::Deserializer::new(de, &mut track);
    // Lenient, as responses are: `--param shop_id=123` fills a text field.
    let req: R = serde_path_to_error::deserialize(runtime::de::Lenient(ignored))
        .map_err(|e| Failure::Usage(format!("{}: field `{}`: {}", ep.name, e.path(), e.inner())))?;
    if let Some(part) = unknown.iter().find(|u| files.contains(&u.as_str())) {
        return Err(Failure::Usage(format!(
            "--file {part}: {} has no field `{part}`; see {}",
            ep.name, ep.doc_url
        )));
    }
    if !unknown.is_empty() {
        return Err(Failure::Usage(format!(
            "{}: unknown field{} {}; see {}",
            ep.name,
            if unknown.len() > 1 { "s" } else { "" },
            unknown
                .iter()
                .map(|u| format!("`{u}`"))
                .collect::<Vec<_>>()
                .join(", "),
            ep.doc_url
        )));
    }
    let missing: Vec<&str> = ep
        .required
        .iter()
        .copied()
        .filter(|k| params.get(*k).is_none())
        .collect();
    if !missing.is_empty() {
        let hint = if ep.flags.contains(Flags::MULTIPART) {
            " (give each file with --file PART=@PATH)"
        } else {
            ""
        };
        return Err(Failure::Usage(format!(
            "{}: missing required field(s) {}{hint}",
            ep.name,
            missing.join(", ")
        )));
    }
    Ok(req)
}

/// Decode a request object into an endpoint's type and encode it, with file parts, into a call.
pub type PrepareFn<P> = fn(&Client<P>, &Value, Vec<Part>) -> Result<Prepared, Failure>;

/// An endpoint found by name: its facts, and the two steps that are the endpoint's own (decoding
/// the request into its type, decoding the response's `data` from its type), as plain function
/// pointers. Everything else (sending, paging, uploads, `--dry-run`) is written once per platform
/// and goes through the client core, compiled once per platform, not once per endpoint.
pub struct Resolved<P: runtime::Platform> {
    /// The endpoint.
    pub endpoint: &'static Endpoint,
    /// Decode the request object into the endpoint's type (which checks it) and encode it, with
    /// the file parts of an upload, into a call.
    pub prepare: PrepareFn<P>,
    /// The reply's `data`, decoded into the endpoint's response type, as JSON (pretty or compact).
    pub render: fn(&Reply, bool) -> Result<String, Failure>,
}

/// A request ready to send.
pub struct Prepared {
    /// The call.
    pub call: Call,
    /// The request's body fields and query parameters as its type took them, by wire name.
    pub fields: Map<String, Value>,
}

/// Resolves an endpoint's request type (the visitor of each platform's `dispatch`).
pub struct Resolve<P>(PhantomData<fn() -> P>);

impl<P: runtime::Platform> EndpointVisitor<P> for Resolve<P> {
    type Output = Resolved<P>;
    fn visit<R: ApiRequest<Platform = P> + 'static>(self) -> Resolved<P> {
        Resolved {
            endpoint: R::ENDPOINT,
            prepare: prepare::<P, R>,
            render: render::<R>,
        }
    }
}

fn prepare<P: runtime::Platform, R: ApiRequest<Platform = P>>(
    client: &Client<P>,
    params: &Value,
    files: Vec<Part>,
) -> Result<Prepared, Failure> {
    let names: Vec<&str> = files.iter().map(|f| f.name.as_str()).collect();
    let req = decode_request::<R>(params, &names)?;
    let mut fields = match serde_json::to_value(&req) {
        Ok(Value::Object(m)) => m,
        _ => Map::new(),
    };
    let mut query = Query::new();
    req.write_query(&mut query);
    for (k, v) in query.pairs() {
        fields.insert(k.to_owned(), Value::String(v.to_owned()));
    }
    let call = client.encode(&req, files).map_err(|e| match e {
        // Refused before sending: the request's fault.
        shop_api::Error::InvalidRequest { .. } if R::ENDPOINT.flags.contains(Flags::MULTIPART) => {
            Failure::Usage(format!("{e} (give each file with --file PART=@PATH)"))
        }
        shop_api::Error::InvalidRequest { .. } => Failure::Usage(e.to_string()),
        e => Failure::Call(e),
    })?;
    Ok(Prepared { call, fields })
}

/// Sent through the core; only the decoding of `data` into the endpoint's type, which prints
/// ids and amounts as the spec types them, is the endpoint's own.
fn render<R: ApiRequest>(reply: &Reply, pretty: bool) -> Result<String, Failure> {
    let data = reply.decode::<R::Response>(R::ENDPOINT)?.data;
    let text = if pretty {
        serde_json::to_string_pretty(&data)
    } else {
        serde_json::to_string(&data)
    };
    text.map_err(|e| Failure::Usage(e.to_string()))
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
    dispatch: fn(&str, Resolve<P>) -> Option<Resolved<P>>,
    all: Vec<&'static Endpoint>,
    args: &CallArgs,
    params: &Value,
) -> Result<(), Failure> {
    let Some(ep) = dispatch(&args.endpoint, Resolve(PhantomData)) else {
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
    let prepared = (ep.prepare)(client, params, files)?;
    if args.dry_run {
        crate::emit(&client.prepare_dry_run(&prepared.call)?.to_string());
        return Ok(());
    }
    let reply = client.call(&prepared.call).await?;
    crate::emit(&(ep.render)(&reply, true)?);
    Ok(())
}

fn unknown_endpoint(platform: &str, name: &str, all: &[&Endpoint]) -> Failure {
    let lower = name.to_ascii_lowercase();
    let close: Vec<&str> = all
        .iter()
        .map(|e| e.name)
        .filter(|n| {
            let n = n.to_ascii_lowercase();
            n.contains(&lower)
                || lower.contains(&n)
                || n.split('.').next() == lower.split('.').next()
        })
        .take(8)
        .collect();
    let hint = if close.is_empty() {
        String::new()
    } else {
        format!("; did you mean: {}", close.join(", "))
    };
    Failure::Usage(format!(
        "{platform} has no endpoint `{name}` (see `shop-api list {platform}`){hint}"
    ))
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
                doudian::dispatch,
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
            call(&client, tiktok::dispatch, tiktok::endpoints(), args, params).await
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
            call(&client, douyin::dispatch, douyin::endpoints(), args, params).await
        }
    }
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
    crate::emit(&text);
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
    crate::emit(&out.map_err(|e| Failure::Usage(e.to_string()))?);
    Ok(())
}
