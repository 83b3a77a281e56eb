//! A typed request's body is written once, already canonical (`json::to_canonical_vec`: the
//! generated structs come sorted, so there is no tree and no sort); the tree form (`json::to_body`,
//! then `json::canonical`) is the independent one. For every endpoint of the three platforms,
//! requests filled from the specs' fields (every field, the required ones, or a random half; nested
//! types, lists, maps, `json` fields holding `null` at every depth and keys out of order, text with
//! escapes and non-ASCII, numbers at their limits) are held to three things:
//!
//! - the one-pass bytes are the tree's, byte for byte;
//! - the call `client.encode` makes of the request is the call `client.encode_fields` makes of its
//!   tree (the path, the query and the body, or the same refusal), upload parts included;
//! - a Doudian body is already what the sandbox's own check makes of it (serde_json's reading,
//!   sorted and compact): the `param_json` the platform signs.

use serde_json::{Map, Value, json};
use shop_api::runtime::http::{Body, Part};
use shop_api::runtime::{ApiRequest, Client, EndpointVisitor, Platform, Query, json};
use shop_api_codegen::ir::{self, Field, Module, Ty, TypeDef};
use shop_api_codegen::spec::EnumKind;

/// A seeded xorshift: the same requests on every run.
struct Gen(u64);

/// How many optional fields a request fills.
#[derive(Clone, Copy)]
enum Fill {
    Every,
    Required,
    Half,
}

const WORDS: [&str; 14] = [
    "",
    "a",
    "测试",
    "<&>",
    "q\"uote",
    "back\\slash",
    "new\nline",
    "tab\t",
    "\u{1}",
    "é",
    "a space",
    "/x?y#z",
    "😀",
    "Z",
];

impl Gen {
    fn next(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }

    fn pick<T: Copy>(&mut self, from: &[T]) -> T {
        from[self.next(from.len() as u64) as usize]
    }

    fn text(&mut self) -> String {
        (0..1 + self.next(3)).map(|_| self.pick(&WORDS)).collect()
    }

    /// Floats the JSON reader reads back exactly (the sandbox's check reads the body back).
    fn float(&mut self) -> Value {
        json!(self.pick(&[0.0, 1.5, -2.25, 1e300, 1e-7, 123_456.789, -0.5, 1e21]))
    }

    /// A `json` field's value: an object (or a list, or anything further down), `null` members
    /// at every depth.
    fn any(&mut self, depth: usize) -> Value {
        let pick = match depth {
            0 => 6 + self.next(4).min(1),
            1 | 2 => self.next(9),
            _ => self.next(6),
        };
        match pick {
            0 | 8 => Value::Null,
            1 => json!(self.next(2) == 1),
            2 => json!(self.pick(&[0, -1, i64::MIN, i64::MAX, 42])),
            3 => self.float(),
            4 | 5 => json!(self.text()),
            6 => Value::Array((0..self.next(4)).map(|_| self.any(depth + 1)).collect()),
            _ => Value::Object(
                (0..1 + self.next(5))
                    .map(|_| (self.text(), self.any(depth + 1)))
                    .collect(),
            ),
        }
    }

    fn value(&mut self, p: &ir::Platform, m: &Module, ty: &Ty, depth: usize, fill: Fill) -> Value {
        let items = if depth > 6 { 0 } else { self.next(4) };
        match ty {
            Ty::String => json!(self.text()),
            Ty::Bool => json!(self.next(2) == 1),
            Ty::I32 => json!(self.pick(&[0, 7, -3, i32::MIN, i32::MAX])),
            Ty::I64 => json!(self.pick(&[0, 1_700_000_000, -1, i64::MIN, i64::MAX])),
            Ty::U64 => json!(self.pick(&[0, 20, u64::MAX, 1 << 53])),
            Ty::F64 | Ty::Decimal => self.float(),
            Ty::Json => self.any(0),
            Ty::List(t) => Value::Array(
                (0..items)
                    .map(|_| self.value(p, m, t, depth + 1, fill))
                    .collect(),
            ),
            Ty::Map(t) => Value::Object(
                (0..items)
                    .map(|_| (self.text(), self.value(p, m, t, depth + 1, fill)))
                    .collect(),
            ),
            Ty::Struct(name) | Ty::Enum(name, _) => match p.find_type(m, name) {
                Some((owner, TypeDef::Struct(s))) => {
                    self.object(p, owner, &s.fields, depth + 1, fill)
                }
                Some((_, TypeDef::Enum(e))) if !e.variants.is_empty() => {
                    let wire = &e.variants[self.next(e.variants.len() as u64) as usize].wire;
                    match e.kind {
                        EnumKind::Int => json!(wire.parse::<i64>().unwrap()),
                        EnumKind::String => json!(wire),
                    }
                }
                _ => panic!("{}: type {name} not found", m.name),
            },
        }
    }

    fn object(
        &mut self,
        p: &ir::Platform,
        m: &Module,
        fields: &[Field],
        depth: usize,
        fill: Fill,
    ) -> Value {
        let mut o = Map::new();
        for f in fields {
            let keep = f.required
                || (depth < 5
                    && match fill {
                        Fill::Every => true,
                        Fill::Required => false,
                        Fill::Half => self.next(2) == 1,
                    });
            if keep {
                o.insert(f.wire.clone(), self.value(p, m, &f.ty, depth, fill));
            } else if self.next(4) == 0 {
                // An optional field given as `null`: unset.
                o.insert(f.wire.clone(), Value::Null);
            }
        }
        Value::Object(o)
    }
}

/// What a call is on the wire, before signing: path, query and body, or the refusal.
fn wire(r: shop_api::Result<shop_api::runtime::Call>) -> String {
    match r {
        Ok(c) => format!("{} {:?} {:?}", c.path, c.query, c.body),
        Err(e) => format!("refused: {e}"),
    }
}

/// Each sample decoded into the endpoint's type and held to the three properties.
struct Check<'a, P: Platform>(&'a Client<P>, &'a [Value]);

impl<P: Platform> EndpointVisitor<P> for Check<'_, P> {
    type Output = Result<usize, String>;
    fn visit<R: ApiRequest<Platform = P> + 'static>(self) -> Self::Output {
        let ep = R::ENDPOINT;
        let upload = ep.flags.contains(shop_api::runtime::Flags::MULTIPART);
        for sample in self.1 {
            let req: R = serde_json::from_value(sample.clone())
                .map_err(|e| format!("the sample does not decode: {e}\n{sample}"))?;
            let one = json::to_canonical_vec(&req).map(|b| String::from_utf8(b).unwrap());
            let tree = json::to_body(&req).map(|v| json::canonical(&v));
            match (&one, &tree) {
                (Ok(a), Ok(b)) if a == b => {}
                (Err(a), Err(b)) if a.to_string() == b.to_string() => {}
                _ => return Err(format!("one pass {one:?}\n  tree {tree:?}")),
            }
            let files = || {
                upload
                    .then(|| Part {
                        name: ep.required.first().copied().unwrap_or("data").into(),
                        file_name: Some("a.png".into()),
                        content_type: Some("image/png".into()),
                        data: vec![1, 2, 3],
                    })
                    .into_iter()
                    .collect::<Vec<_>>()
            };
            let typed = wire(self.0.encode(&req, files()));
            let mut query = Query::new();
            req.write_query(&mut query);
            let fields = json::to_body(&req).unwrap();
            let dynamic = wire(self.0.encode_fields(
                ep,
                req.path().into_owned().into(),
                query,
                fields,
                files(),
            ));
            if typed != dynamic {
                return Err(format!("typed:   {typed}\n  dynamic: {dynamic}"));
            }
            if ep.platform == "doudian" {
                let call = self.0.encode(&req, Vec::new()).map_err(|e| e.to_string())?;
                let Body::Json(body) = &call.body else {
                    return Err(format!("not a JSON body: {:?}", call.body));
                };
                // The sandbox's check: serde_json's sorted, compact reading of the body.
                let read: Value = serde_json::from_slice(body).unwrap();
                if serde_json::to_vec(&read).unwrap() != *body {
                    return Err(format!("not canonical: {}", String::from_utf8_lossy(body)));
                }
            }
        }
        Ok(self.1.len())
    }
}

fn check_platform<P: Platform>(
    name: &str,
    client: &Client<P>,
    dispatch: impl Fn(&str, Check<'_, P>) -> Option<Result<usize, String>>,
) -> usize {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let api = ir::load(&root).expect("the specs load");
    let p = api.platforms.iter().find(|p| p.name == name).unwrap();
    let mut rng = Gen(0x9e37_79b9_7f4a_7c15);
    let (mut requests, mut failures) = (0, Vec::new());
    for m in &p.modules {
        for e in &m.endpoints {
            let samples: Vec<Value> = [Fill::Every, Fill::Required]
                .into_iter()
                .chain([Fill::Half; 6])
                .map(|fill| rng.object(p, m, &e.request, 0, fill))
                .collect();
            match dispatch(&e.name, Check(client, &samples)) {
                Some(Ok(n)) => requests += n,
                Some(Err(msg)) => failures.push(format!("{name} {}: {msg}", e.name)),
                None => failures.push(format!("{name} {}: not dispatched", e.name)),
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} endpoints fail:\n{}",
        failures.len(),
        failures.join("\n")
    );
    requests
}

#[cfg(feature = "doudian")]
#[test]
fn every_doudian_request_is_its_canonical_tree_in_one_pass() {
    use shop_api::doudian;
    let client = doudian::Client::builder("3409409348479354011", "secret")
        .build()
        .unwrap();
    let n = check_platform("doudian", &client, |name, c| doudian::dispatch(name, c));
    assert!(n > 1000, "{n} requests");
}

#[cfg(feature = "tiktok")]
#[test]
fn every_tiktok_request_is_its_canonical_tree_in_one_pass() {
    use shop_api::tiktok;
    let client = tiktok::Client::builder("key", "secret").build().unwrap();
    let n = check_platform("tiktok", &client, |name, c| tiktok::dispatch(name, c));
    assert!(n > 1000, "{n} requests");
}

#[cfg(feature = "douyin")]
#[test]
fn every_douyin_request_is_its_canonical_tree_in_one_pass() {
    use shop_api::douyin;
    let client = douyin::Client::builder("key", "secret").build().unwrap();
    let n = check_platform("douyin", &client, |name, c| douyin::dispatch(name, c));
    assert!(n > 50, "{n} requests");
}
