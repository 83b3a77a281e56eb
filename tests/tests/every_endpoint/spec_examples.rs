//! Every endpoint's documented example response (the `example:` of its spec) decodes into the
//! generated response type, and every endpoint is reachable by name. Prints the coverage table.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;
use shop_api::runtime::{ApiRequest, EndpointVisitor};
use shop_api_codegen::fidelity::BUILT_EXAMPLE;
use shop_api_codegen::ir;

/// Decodes an example's `data` into the visited endpoint's response type.
struct Decode<'a>(&'a Value);

impl<P> EndpointVisitor<P> for Decode<'_> {
    type Output = Result<(), String>;
    fn visit<R: ApiRequest<Platform = P> + 'static>(self) -> Self::Output {
        // Decoded the way the clients decode a success envelope's `data`.
        let data = self.0.get("data").map(|d| d.to_string());
        let raw = data
            .map(serde_json::value::RawValue::from_string)
            .transpose()
            .map_err(|e| e.to_string())?;
        let resp: R::Response = shop_api::runtime::decode_data(
            R::ENDPOINT,
            raw.as_deref().map(serde_json::value::RawValue::get),
            self.0.to_string().as_bytes(),
        )
        .map_err(|e| e.to_string())?;
        // What decoded serializes and decodes again to the same value. (Through JSON text and
        // the decoder `decode_data` uses: a `serde_json::Value` round trip would compile every
        // response type's decoding a second time, for `Value`.)
        let text = serde_json::to_string(&resp).map_err(|e| e.to_string())?;
        let again: R::Response =
            shop_api::runtime::de::from_str(&text).map_err(|e| e.to_string())?;
        if serde_json::to_string(&again).map_err(|e| e.to_string())? != text {
            return Err("the response does not round-trip".into());
        }
        Ok(())
    }
}

fn dispatch(platform: &str, name: &str, example: &Value) -> Option<Result<(), String>> {
    match platform {
        #[cfg(feature = "doudian")]
        "doudian" => shop_api::doudian::dispatch(name, Decode(example)),
        #[cfg(feature = "tiktok")]
        "tiktok" => shop_api::tiktok::dispatch(name, Decode(example)),
        #[cfg(feature = "douyin")]
        "douyin" => shop_api::douyin::dispatch(name, Decode(example)),
        _ => None,
    }
}

fn compiled(platform: &str) -> bool {
    (platform == "doudian" && cfg!(feature = "doudian"))
        || (platform == "tiktok" && cfg!(feature = "tiktok"))
        || (platform == "douyin" && cfg!(feature = "douyin"))
}

#[test]
fn every_example_decodes_and_every_endpoint_dispatches() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let api = ir::load(root).expect("the specs load");
    let mut failures = Vec::new();
    let mut table: BTreeMap<(String, String), (usize, usize)> = BTreeMap::new();
    for p in &api.platforms {
        if !compiled(&p.name) {
            continue;
        }
        for m in &p.modules {
            for e in &m.endpoints {
                let row = table.entry((p.name.clone(), m.name.clone())).or_default();
                row.0 += 1;
                let Some(example) = &e.example else {
                    failures.push(format!("{} {}: no example response", p.name, e.name));
                    continue;
                };
                row.1 += 1;
                let example: Value = serde_json::from_str(example).unwrap();
                match dispatch(&p.name, &e.name, &example) {
                    None => {
                        failures.push(format!("{} {}: not in the dispatch table", p.name, e.name))
                    }
                    Some(Err(msg)) => {
                        failures.push(format!("{} {} ({}): {msg}", p.name, e.name, m.file))
                    }
                    Some(Ok(())) => {}
                }
            }
        }
    }
    println!(
        "{:<10} {:<18} {:>9} {:>9}",
        "platform", "module", "endpoints", "examples"
    );
    let mut totals: BTreeMap<&str, usize> = BTreeMap::new();
    for ((p, m), (n, x)) in &table {
        println!("{p:<10} {m:<18} {n:>9} {x:>9}");
        *totals.entry(p.as_str()).or_default() += n;
    }
    for (p, n) in totals {
        println!("{p:<10} {:<18} {n:>9}", "(all)");
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Current (not deprecated) operations each platform's specs promise, at least (issue #17: every
/// Doudian method the official SDKs know, every operation of the `tiktok-shop-api` list).
const FLOORS: [(&str, usize); 3] = [("tiktok", 318), ("doudian", 290), ("douyin", 12)];

/// The official documentation site of each platform: every endpoint links a page on it.
fn doc_site(platform: &str) -> &'static str {
    match platform {
        "tiktok" => "https://partner.tiktokshop.com/docv2/page/",
        "doudian" => "https://op.jinritemai.com/docs/api-docs/",
        "douyin" => "https://developer.open-douyin.com/",
        _ => "https://",
    }
}

/// The coverage the specs promise (issue #11): counted from the specs, so a deleted file or a
/// renamed module cannot shrink it unnoticed; every endpoint links its official doc page.
#[test]
fn coverage_holds_and_every_endpoint_links_its_doc_page() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let api = ir::load(root).expect("the specs load");
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    let mut deprecated: BTreeMap<&str, usize> = BTreeMap::new();
    let mut built: BTreeMap<&str, usize> = BTreeMap::new();
    for p in &api.platforms {
        for m in &p.modules {
            let text = std::fs::read_to_string(root.join(&m.file)).unwrap();
            *built.entry(p.name.as_str()).or_default() += text.matches(BUILT_EXAMPLE).count();
            for e in &m.endpoints {
                assert!(
                    e.doc_url.starts_with(doc_site(&p.name)),
                    "{} {}: doc_url {} is not an official doc page",
                    p.name,
                    e.name,
                    e.doc_url
                );
                let count = if e.deprecated.is_some() {
                    &mut deprecated
                } else {
                    &mut counts
                };
                *count.entry(p.name.as_str()).or_default() += 1;
            }
        }
    }
    println!("platform   current  deprecated  examples built from fields (not the docs' own)");
    for (platform, _) in FLOORS {
        println!(
            "{platform:<10} {:>7}  {:>10}  {:>5}",
            counts.get(platform).copied().unwrap_or(0),
            deprecated.get(platform).copied().unwrap_or(0),
            built.get(platform).copied().unwrap_or(0)
        );
    }
    for (platform, floor) in FLOORS {
        let n = counts.get(platform).copied().unwrap_or(0);
        assert!(
            n >= floor,
            "{platform}: {n} endpoints, fewer than the {floor} promised"
        );
    }
}
