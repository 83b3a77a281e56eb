//! The CLI sends any endpoint from the generated metadata table (`<platform>::META`), not from a
//! typed decoder per endpoint. Here every endpoint of the three platforms is given a request that
//! fills every field (nested types, lists, maps, enums, query and path fields), and the call the
//! table's check and the client core's `encode_fields` make is compared with the call the typed
//! request makes (`client.encode`): the same path, query and body bytes, or the same refusal.

use serde_json::{Map, Value, json};
use shop_api::runtime::meta::{EndpointMeta, Meta, TypeMeta};
use shop_api::runtime::{ApiRequest, Client, EndpointVisitor, Platform};

/// A value of `ty` (in the spec's spelling) for a field of `module`, every field of a struct
/// filled down to a depth, then the required ones only.
fn sample(meta: &Meta, module: &str, ty: &str, depth: usize) -> Value {
    if let Some(inner) = ty.strip_prefix('[').and_then(|t| t.strip_suffix(']')) {
        return json!([sample(meta, module, inner, depth + 1)]);
    }
    if let Some(inner) = ty.strip_prefix('{').and_then(|t| t.strip_suffix('}')) {
        return json!({"key b": sample(meta, module, inner, depth + 1)});
    }
    match ty {
        // A space, a slash and a non-ASCII letter: what a query or a path must encode.
        "string" => json!("x y/é"),
        "bool" => json!(true),
        "i32" | "i64" | "u64" => json!(7),
        "f64" => json!(1.5),
        "decimal" => json!(12.5),
        "json" => json!({"k": [1, "a", {"n": null}]}),
        name => match meta.lookup(module, name) {
            Some((owner, TypeMeta::Struct { fields })) => {
                let mut m = Map::new();
                for f in fields.iter().filter(|f| depth < 4 || f.required) {
                    if depth < 8 {
                        m.insert(f.wire.clone(), sample(meta, owner, &f.ty, depth + 1));
                    }
                }
                Value::Object(m)
            }
            Some((_, TypeMeta::Enum { kind, values })) => match (kind.as_str(), values.first()) {
                ("int", Some(v)) => json!(v.parse::<i64>().unwrap()),
                ("int", None) => json!(1),
                (_, Some(v)) => json!(v),
                (_, None) => json!("X"),
            },
            Some(_) | None => panic!("{module}.{name} is not in the metadata"),
        },
    }
}

fn request(meta: &Meta, ep: &EndpointMeta) -> Value {
    let mut m = Map::new();
    for f in &ep.request {
        m.insert(f.wire.clone(), sample(meta, &ep.module, &f.ty, 1));
    }
    Value::Object(m)
}

/// What a call is on the wire, before signing.
fn wire(r: shop_api::Result<shop_api::runtime::Call>) -> String {
    match r {
        Ok(c) => format!("{} {:?} {:?}", c.path, c.query, c.body),
        Err(e) => format!("refused: {e}"),
    }
}

/// The typed request's call: the example decoded into the endpoint's type, then encoded.
struct Typed<'a, P: Platform>(&'a Client<P>, &'a Value);

impl<P: Platform> EndpointVisitor<P> for Typed<'_, P> {
    type Output = String;
    fn visit<R: ApiRequest<Platform = P> + 'static>(self) -> String {
        let req: R = serde_json::from_value(self.1.clone())
            .unwrap_or_else(|e| panic!("{}: the sample does not decode: {e}", R::ENDPOINT.name));
        wire(self.0.encode(&req, Vec::new()))
    }
}

/// The table's call: the request checked against the metadata, then encoded by the core.
fn from_table<P: Platform>(
    client: &Client<P>,
    meta: &Meta,
    endpoint: &'static shop_api::runtime::Endpoint,
    value: &Value,
) -> String {
    let ep = &meta.endpoints[endpoint.name];
    let checked = meta
        .check(ep, value.as_object().unwrap(), &[])
        .unwrap_or_else(|p| panic!("{}: the sample does not check: {p:?}", endpoint.name));
    wire(checked.encode(client, endpoint, Vec::new()))
}

fn compare<P: Platform>(
    client: &Client<P>,
    meta_text: &str,
    endpoints: Vec<&'static shop_api::runtime::Endpoint>,
    dispatch: impl Fn(&str, &Value) -> Option<String>,
) -> usize {
    let meta = Meta::parse(meta_text).expect("the metadata parses");
    let mut differ = Vec::new();
    for e in &endpoints {
        let value = request(&meta, &meta.endpoints[e.name]);
        let typed = dispatch(e.name, &value).expect("dispatched by name");
        let table = from_table(client, &meta, e, &value);
        if typed != table {
            differ.push(format!("{}:\n  typed: {typed}\n  table: {table}", e.name));
        }
    }
    assert!(
        differ.is_empty(),
        "{} differ:\n{}",
        differ.len(),
        differ.join("\n")
    );
    endpoints.len()
}

#[cfg(feature = "doudian")]
#[test]
fn every_doudian_request_checked_from_the_table_is_the_typed_request_on_the_wire() {
    use shop_api::doudian;
    let client = doudian::Client::builder("3409409348479354011", "secret")
        .build()
        .unwrap();
    let n = compare(&client, doudian::META, doudian::endpoints(), |name, v| {
        doudian::dispatch(name, Typed(&client, v))
    });
    assert!(n > 250, "{n} endpoints");
}

#[cfg(feature = "tiktok")]
#[test]
fn every_tiktok_request_checked_from_the_table_is_the_typed_request_on_the_wire() {
    use shop_api::tiktok;
    let client = tiktok::Client::builder("key", "secret").build().unwrap();
    let n = compare(&client, tiktok::META, tiktok::endpoints(), |name, v| {
        tiktok::dispatch(name, Typed(&client, v))
    });
    assert!(n > 300, "{n} endpoints");
}

#[cfg(feature = "douyin")]
#[test]
fn every_douyin_request_checked_from_the_table_is_the_typed_request_on_the_wire() {
    use shop_api::douyin;
    let client = douyin::Client::builder("key", "secret").build().unwrap();
    let n = compare(&client, douyin::META, douyin::endpoints(), |name, v| {
        douyin::dispatch(name, Typed(&client, v))
    });
    assert!(n > 5, "{n} endpoints");
}
