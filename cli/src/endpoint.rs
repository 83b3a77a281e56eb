//! An endpoint found by name: its facts (the generated `Endpoint`) and its fields (the
//! generated metadata table), and how a request object becomes a call and a reply its output.

use std::sync::OnceLock;

use serde_json::{Map, Value};
use shop_api::runtime::http::Part;
use shop_api::runtime::meta::{EndpointMeta, Meta, Problems};
use shop_api::runtime::{self, Call, Client, Endpoint, Flags, Reply};
use shop_api::{doudian, douyin, tiktok};

use crate::args::{Failure, Platform};

/// The metadata of `platform`, read once.
fn metadata(platform: Platform) -> &'static Meta {
    static DOCS: [OnceLock<Meta>; 3] = [OnceLock::new(), OnceLock::new(), OnceLock::new()];
    let (i, text) = match platform {
        Platform::Tiktok => (0, tiktok::META),
        Platform::Doudian => (1, doudian::META),
        Platform::Douyin => (2, douyin::META),
    };
    DOCS[i].get_or_init(|| Meta::parse(text).expect("the generated metadata parses"))
}

/// An endpoint found by name: its facts (the generated `Endpoint`) and its fields (the
/// generated metadata table). A request is checked, encoded, sent and printed from these alone:
/// no typed decoder is compiled per endpoint, so the CLI does not grow with the catalogue.
pub struct Resolved {
    /// The endpoint.
    pub endpoint: &'static Endpoint,
    /// The platform's metadata (for the types the fields name).
    meta: &'static Meta,
    /// The endpoint's fields.
    fields: &'static EndpointMeta,
}

/// A request ready to send.
pub struct Prepared {
    /// The call.
    pub call: Call,
    /// The request's body fields and query parameters as checked, by wire name.
    pub fields: Map<String, Value>,
}

/// The endpoint `name` of `platform`, among `endpoints` (the generated ones of the features
/// built).
pub fn resolve(
    platform: Platform,
    endpoints: &[&'static Endpoint],
    name: &str,
) -> Option<Resolved> {
    let endpoint = *endpoints.iter().find(|e| e.name == name)?;
    let meta = metadata(platform);
    let fields = meta.endpoints.get(name)?;
    Some(Resolved {
        endpoint,
        meta,
        fields,
    })
}

impl Resolved {
    /// Check the request object `params` against the endpoint's fields, refusing unknown fields,
    /// wrong types and missing required fields with a message that names them (by path), and
    /// encode it, with the file parts of an upload, into a call.
    pub fn prepare<P: runtime::Platform>(
        &self,
        client: &Client<P>,
        params: &Value,
        files: Vec<Part>,
    ) -> Result<Prepared, Failure> {
        let ep = self.endpoint;
        let names: Vec<&str> = files.iter().map(|f| f.name.as_str()).collect();
        let empty = Map::new();
        let given = params.as_object().unwrap_or(&empty);
        let checked = self
            .meta
            .check(self.fields, given, &names)
            .map_err(|p| refused(ep, &names, p))?;
        let fields = checked.fields();
        let call = checked.encode(client, ep, files).map_err(|e| match e {
            // Refused before sending: the request's fault.
            shop_api::Error::InvalidRequest { .. } if ep.flags.contains(Flags::MULTIPART) => {
                Failure::Usage(format!("{e} (give each file with --file PART=@PATH)"))
            }
            shop_api::Error::InvalidRequest { .. } => Failure::Usage(e.to_string()),
            e => Failure::Call(e),
        })?;
        Ok(Prepared { call, fields })
    }

    /// The endpoint's request and response fields, for `shop-api describe`.
    pub fn describe_fields(&self, out: &mut String) {
        self.meta.describe(self.fields, out);
    }

    /// The reply's `data` as JSON (pretty or compact), its scalars as the spec types them (an
    /// id the platform sends as a number printed as text where the spec says text).
    pub fn render(&self, reply: &Reply, pretty: bool) -> Result<String, Failure> {
        let data = reply.decode::<Value>(self.endpoint)?.data;
        let data = self.meta.shape_response(self.fields, data);
        let text = if pretty {
            serde_json::to_string_pretty(&data)
        } else {
            serde_json::to_string(&data)
        };
        text.map_err(|e| Failure::Usage(e.to_string()))
    }
}

/// The usage error of a request that does not check: the first kind of problem found, in the
/// order wrong type, a file part that is no field, unknown fields, missing required fields.
fn refused(ep: &Endpoint, files: &[&str], p: Problems) -> Failure {
    if let Some((path, what)) = p.wrong.first() {
        return Failure::Usage(format!("{}: field `{path}`: {what}", ep.name));
    }
    if let Some(part) = p.unknown.iter().find(|u| files.contains(&u.as_str())) {
        return Failure::Usage(format!(
            "--file {part}: {} has no field `{part}`; see {}",
            ep.name, ep.doc_url
        ));
    }
    if !p.unknown.is_empty() {
        return Failure::Usage(format!(
            "{}: unknown field{} {}; see {}",
            ep.name,
            if p.unknown.len() > 1 { "s" } else { "" },
            p.unknown
                .iter()
                .map(|u| format!("`{u}`"))
                .collect::<Vec<_>>()
                .join(", "),
            ep.doc_url
        ));
    }
    let hint = if ep.flags.contains(Flags::MULTIPART) {
        " (give each file with --file PART=@PATH)"
    } else {
        ""
    };
    Failure::Usage(format!(
        "{}: missing required field(s) {}{hint}",
        ep.name,
        p.missing.join(", ")
    ))
}

/// The usage error of an endpoint name no built endpoint has, with close names.
pub fn unknown_endpoint(platform: &str, name: &str, all: &[&Endpoint]) -> Failure {
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
