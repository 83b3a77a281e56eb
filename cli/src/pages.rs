//! `--all-pages`: every item of a paged endpoint, one JSON value per line (NDJSON) on stdout as
//! each page arrives, a progress bar on stderr when it is a terminal, and on an error the
//! `--from` flag that resumes at the page that failed.
//!
//! Which request field takes the page number or cursor and which response fields hold the items,
//! the next cursor, the total and `has_more` are the spec's `pagination:` facts, which the
//! generated code carries in each endpoint's metadata ([`Endpoint::pagination`]). The decision
//! whether there is a next page is the runtime's own ([`Page::numbered`], [`Page::cursor`]), as
//! for the library's `client.pages(req)`.

use std::collections::HashMap;
use std::io::{IsTerminal, Write};
use std::task::Poll;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::value::RawValue;
use serde_json::{Map, Value};
use shop_api::runtime::{self, Client, Endpoint, Page, PageFacts, PageKey, PageStyle};

use crate::args::{CallArgs, Failure, emit};
use crate::endpoint::{Prepared, Resolved};

/// A paged endpoint: its name (for messages) and where it takes its page and gives its items.
#[derive(Debug, Clone, Copy)]
pub struct Paging {
    /// The endpoint's name.
    pub endpoint: &'static str,
    /// Its `pagination:` facts, by wire name.
    pub facts: &'static PageFacts,
}

/// The flag that starts a run at `key`, ready to paste into a shell.
pub fn from_flag(key: &PageKey) -> String {
    match key {
        PageKey::Number(n) => format!("--from page={n}"),
        PageKey::Cursor(c) => {
            let plain = c
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.=+/:,@%".contains(&b));
            if plain {
                format!("--from cursor={c}")
            } else {
                format!("--from 'cursor={}'", c.replace('\'', r"'\''"))
            }
        }
    }
}

impl Paging {
    /// How `endpoint` pages, when it does.
    pub fn of(endpoint: &'static Endpoint) -> Option<Paging> {
        endpoint.pagination.map(|facts| Paging {
            endpoint: endpoint.name,
            facts,
        })
    }

    /// Point the request object at `key`; a key of the other style is a usage error.
    fn set(&self, params: &mut Map<String, Value>, key: &PageKey) -> Result<(), Failure> {
        match (&self.facts.style, key) {
            (PageStyle::Number { page, .. }, PageKey::Number(n)) => {
                params.insert((*page).to_owned(), Value::from(*n));
            }
            (PageStyle::Cursor { cursor, .. }, PageKey::Cursor(c)) => {
                set_path(params, cursor, Value::String(c.clone()));
            }
            (PageStyle::Number { .. }, PageKey::Cursor(_)) => {
                return Err(Failure::Usage(format!(
                    "{} pages by page number: use --from page=N",
                    self.endpoint
                )));
            }
            (PageStyle::Cursor { .. }, PageKey::Number(_)) => {
                return Err(Failure::Usage(format!(
                    "{} pages by cursor: use --from cursor=TOKEN",
                    self.endpoint
                )));
            }
        }
        Ok(())
    }

    /// The page a request asks for: its page number (the first page when it gives none), or its
    /// cursor (`None`: the first page of a cursor endpoint).
    fn key_of(&self, fields: &Map<String, Value>) -> Option<PageKey> {
        match &self.facts.style {
            PageStyle::Number { page, first, .. } => Some(PageKey::Number(
                fields.get(*page).and_then(int).unwrap_or(*first),
            )),
            PageStyle::Cursor { cursor, .. } => get_path(fields, cursor)
                .and_then(Value::as_str)
                .filter(|c| !c.is_empty())
                .map(|c| PageKey::Cursor(c.to_owned())),
        }
    }

    /// The page in `data` (the response's `data` as the endpoint's type prints it), answering the
    /// request whose fields are `fields`.
    pub fn page_of(
        &self,
        data: &str,
        fields: &Map<String, Value>,
    ) -> Result<Page<Box<RawValue>>, String> {
        let data: HashMap<String, Box<RawValue>> =
            serde_json::from_str(data).map_err(|e| format!("the data is not an object: {e}"))?;
        let value = |k: &str| {
            data.get(k)
                .and_then(|raw| serde_json::from_str::<Value>(raw.get()).ok())
        };
        let facts = self.facts;
        let items = match data.get(facts.items) {
            Some(raw) => serde_json::from_str::<Option<Vec<Box<RawValue>>>>(raw.get())
                .map_err(|e| format!("`{}` is not a list: {e}", facts.items))?
                .unwrap_or_default(),
            None => Vec::new(),
        };
        let total = facts.total.and_then(value).as_ref().and_then(int);
        Ok(match &facts.style {
            PageStyle::Number {
                page,
                size,
                first,
                has_more,
            } => Page::numbered(
                items,
                fields.get(*page).and_then(int).unwrap_or(*first),
                *first,
                size.and_then(|s| fields.get(s)).and_then(int),
                total,
                has_more.and_then(value).as_ref().and_then(boolean),
            ),
            PageStyle::Cursor { next, done, .. } => {
                // a last-page marker ends the walk whatever the cursor says
                let ended = done.and_then(value).is_some_and(|v| {
                    boolean(&v).unwrap_or(false) || int(&v).is_some_and(|n| n != 0)
                });
                let next = value(next).and_then(|v| v.as_str().map(str::to_owned));
                Page::cursor(items, if ended { None } else { next }, total)
            }
        })
    }
}

/// Sets `dotted` (`pagination.page_token`) in `params`, making the objects on the way.
fn set_path(params: &mut Map<String, Value>, dotted: &str, value: Value) {
    match dotted.split_once('.') {
        None => {
            params.insert(dotted.to_owned(), value);
        }
        Some((head, rest)) => {
            let inner = params
                .entry(head.to_owned())
                .or_insert_with(|| Value::Object(Map::new()));
            if !inner.is_object() {
                *inner = Value::Object(Map::new());
            }
            if let Value::Object(m) = inner {
                set_path(m, rest, value);
            }
        }
    }
}

/// The value at `dotted` in `fields`.
fn get_path<'a>(fields: &'a Map<String, Value>, dotted: &str) -> Option<&'a Value> {
    match dotted.split_once('.') {
        None => fields.get(dotted),
        Some((head, rest)) => match fields.get(head)? {
            Value::Object(m) => get_path(m, rest),
            _ => None,
        },
    }
}

/// A number, or a number written as text.
fn int(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// A boolean, or `0`/`1`, or `"true"`/`"false"`.
fn boolean(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::Number(n) => n.as_i64().map(|n| n != 0),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

/// `shop-api <platform> <endpoint> --all-pages [--from KEY]`; `endpoints` are the platform's.
pub async fn all<P: runtime::Platform>(
    client: &Client<P>,
    ep: &Resolved,
    endpoints: &[&'static Endpoint],
    args: &CallArgs,
    params: &Value,
) -> Result<(), Failure> {
    let facts = ep.endpoint;
    let Some(paging) = Paging::of(facts) else {
        let paged: Vec<&str> = endpoints
            .iter()
            .filter(|e| e.pagination.is_some())
            .map(|e| e.name)
            .collect();
        let hint = if paged.is_empty() {
            format!("{} has no paged endpoint", facts.platform)
        } else {
            format!(
                "the paged endpoints of {}: {}",
                facts.platform,
                paged.join(", ")
            )
        };
        return Err(Failure::Usage(format!(
            "{} is not paged: --all-pages is for endpoints with pagination ({hint})",
            facts.name
        )));
    };
    let mut params = params.as_object().cloned().unwrap_or_default();
    match (&args.from, &paging.facts.style) {
        (Some(from), _) => paging.set(&mut params, from)?,
        // The page number is the walk's to set: from the first page unless the request says.
        (None, PageStyle::Number { page, first, .. }) if !params.contains_key(*page) => {
            params.insert((*page).to_owned(), Value::from(*first));
        }
        (None, _) => {}
    }
    let mut progress = None;
    let (mut pages, mut items) = (0u64, 0u64);
    // Ctrl-C stops the walk as an error does, with the flag that resumes at the page in flight.
    // One listener for the whole walk: a Ctrl-C while a page is being written is seen at the next.
    let mut interrupted = std::pin::pin!(tokio::signal::ctrl_c());
    loop {
        let prepared = ep.prepare(client, &Value::Object(params.clone()), Vec::new())?;
        let at = paging.key_of(&prepared.fields);
        if args.dry_run {
            emit(&client.prepare_dry_run(&prepared.call)?.to_string());
            return Ok(());
        }
        // Drawn once the request is known good: a usage error leaves no bar behind.
        let progress = progress.get_or_insert_with(|| Progress::new(facts.name));
        let fetched = fetch(client, ep, &paging, &prepared);
        let page = match first_of(fetched, interrupted.as_mut()).await {
            Ok(page) => page,
            Err(failure) => {
                progress.abandon();
                return Err(Failure::Stopped {
                    failure: Box::new(failure),
                    resume: at.as_ref().map(from_flag),
                    printed: items,
                });
            }
        };
        if progress.suspend(|| write_items(&page.items)).is_err() {
            // The reader went away (`| head`): what it wanted was written.
            progress.clear();
            return Ok(());
        }
        pages += 1;
        items += page.items.len() as u64;
        progress.update(items, pages, page.total);
        match page.next {
            None => break,
            Some(next) if Some(&next) == at.as_ref() => {
                progress.abandon();
                return Err(Failure::Rejected(format!(
                    "{}: the server gave the page it had just answered ({}) as the next one; \
                     stopped after {items} items",
                    facts.name,
                    from_flag(&next)
                )));
            }
            Some(next) => paging.set(&mut params, &next)?,
        }
    }
    if let Some(progress) = progress {
        progress.finish();
    }
    Ok(())
}

/// What `work` gives, or [`Failure::Interrupted`] when `interrupt` comes first.
async fn first_of<T, I>(
    work: impl Future<Output = Result<T, Failure>>,
    mut interrupt: std::pin::Pin<&mut I>,
) -> Result<T, Failure>
where
    I: Future,
{
    let mut work = std::pin::pin!(work);
    std::future::poll_fn(|cx| {
        if let Poll::Ready(done) = work.as_mut().poll(cx) {
            return Poll::Ready(done);
        }
        match interrupt.as_mut().poll(cx) {
            Poll::Ready(_) => Poll::Ready(Err(Failure::Interrupted)),
            Poll::Pending => Poll::Pending,
        }
    })
    .await
}

/// One page: sent, its `data` decoded into the endpoint's response type, the page taken out.
async fn fetch<P: runtime::Platform>(
    client: &Client<P>,
    ep: &Resolved,
    paging: &Paging,
    prepared: &Prepared,
) -> Result<Page<Box<RawValue>>, Failure> {
    let reply = client.call(&prepared.call).await?;
    let data = ep.render(&reply, false)?;
    paging.page_of(&data, &prepared.fields).map_err(|message| {
        Failure::Call(shop_api::Error::Decode {
            endpoint: ep.endpoint.name.to_owned(),
            message,
            body: String::new(),
        })
    })
}

/// The items, one per line, flushed at the end of the page. An error is the reader gone.
fn write_items(items: &[Box<RawValue>]) -> std::io::Result<()> {
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for item in items {
        // Compact JSON never holds a raw newline: one item, one line.
        out.write_all(item.get().as_bytes())?;
        out.write_all(b"\n")?;
    }
    out.flush()
}

/// The progress bar on stderr: drawn only when stderr is a terminal.
struct Progress {
    bar: ProgressBar,
    counted: std::cell::Cell<bool>,
}

impl Progress {
    fn new(endpoint: &str) -> Progress {
        // indicatif hides a bar whose terminal is not one; checked here too, so that a pipe or a
        // file never receives the bar's escape sequences.
        let terminal = std::io::stderr().is_terminal();
        let target = if terminal {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        };
        // Set up unseen, then shown.
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden());
        bar.set_style(Self::style(
            "{spinner} {prefix}: {human_pos} items, {msg} ({elapsed})",
        ));
        bar.set_prefix(endpoint.to_owned());
        bar.set_message("0 pages");
        bar.set_draw_target(target);
        if terminal {
            bar.enable_steady_tick(Duration::from_millis(120));
        }
        Progress {
            bar,
            counted: std::cell::Cell::new(false),
        }
    }

    fn style(template: &str) -> ProgressStyle {
        ProgressStyle::with_template(template)
            .unwrap_or_else(|_| ProgressStyle::default_spinner())
            .progress_chars("=> ")
    }

    /// After a page: the items and pages so far, and the total when the server reports it.
    fn update(&self, items: u64, pages: u64, total: Option<i64>) {
        if let Some(total) = total.and_then(|t| u64::try_from(t).ok()) {
            if !self.counted.replace(true) {
                self.bar.set_style(Self::style(
                    "{spinner} {prefix}: [{bar:30}] {human_pos}/{human_len} items, {msg} ({elapsed})",
                ));
            }
            self.bar.set_length(total.max(items));
        }
        self.bar.set_position(items);
        self.bar
            .set_message(format!("{pages} page{}", if pages == 1 { "" } else { "s" }));
    }

    /// Run `f` with the bar off the screen (what goes to stdout does not break through it).
    fn suspend<R>(&self, f: impl FnOnce() -> R) -> R {
        self.bar.suspend(f)
    }

    /// Done: the bar stays with its last figures.
    fn finish(&self) {
        self.bar.finish();
    }

    /// Stopped by an error: the bar stays where it stopped, the error follows below it.
    fn abandon(&self) {
        self.bar.abandon();
    }

    fn clear(&self) {
        self.bar.finish_and_clear();
    }
}

#[cfg(test)]
mod tests {
    use serde::Serialize;
    use serde_json::json;
    use shop_api::runtime::{ApiRequest, EndpointVisitor, Paginated, Query};
    use shop_api::{doudian, tiktok};

    use super::*;
    use crate::args::parse_from;

    fn fields_of<R: ApiRequest>(req: &R) -> Map<String, Value> {
        let mut fields = match serde_json::to_value(req).unwrap() {
            Value::Object(m) => m,
            _ => Map::new(),
        };
        let mut q = Query::new();
        req.write_query(&mut q);
        for (k, v) in q.pairs() {
            fields.insert(k.to_owned(), Value::String(v.to_owned()));
        }
        fields
    }

    /// The page the CLI reads from the printed `data` with the endpoint's facts
    /// (`Endpoint::pagination`) is the page the generated `Paginated` impl takes out of the typed
    /// response: the same items, next page and total.
    fn same_page<R>(request: Value, data: Value)
    where
        R: Paginated,
        R::Item: Serialize,
        R::Response: Clone,
    {
        let req: R = serde_json::from_value(request).unwrap();
        let resp: R::Response = serde_json::from_value(data).unwrap();
        let want = req.page_of(resp.clone());
        let ep = R::ENDPOINT;
        let paging = Paging::of(ep).expect("a `Paginated` request has `Endpoint::pagination`");
        let got = paging
            .page_of(&serde_json::to_string(&resp).unwrap(), &fields_of(&req))
            .unwrap();
        let got_items: Vec<Value> = got
            .items
            .iter()
            .map(|r| serde_json::from_str(r.get()).unwrap())
            .collect();
        let want_items: Vec<Value> = want
            .items
            .iter()
            .map(|i| serde_json::to_value(i).unwrap())
            .collect();
        assert_eq!(got_items, want_items, "{}", ep.name);
        assert_eq!(got.next, want.next, "{}", ep.name);
        assert_eq!(got.total, want.total, "{}", ep.name);
    }

    #[test]
    fn pages_as_the_generated_paginated_impls_do() {
        // Page numbers with a total: a middle page, the last page, a short page.
        for (page, n) in [(0, 2), (2, 1), (1, 1)] {
            let list: Vec<Value> = (0..n).map(|i| json!({"order_id": i.to_string()})).collect();
            same_page::<doudian::order::OrderSearchListRequest>(
                json!({"page": page, "size": 2}),
                json!({"total": 5, "shop_order_list": list}),
            );
        }
        // Page numbers with `has_more`.
        for more in [true, false] {
            same_page::<doudian::after_sale::AfterSaleListRequest>(
                json!({"page": 3, "size": 1}),
                json!({"has_more": more, "total": 100, "items": [{}]}),
            );
        }
        // The first page is 1.
        same_page::<doudian::product::ProductListV2Request>(
            json!({"page": 1, "size": 1}),
            json!({"total": 2, "data": [{}]}),
        );
        // Cursors, in the query.
        for next in ["abc", ""] {
            same_page::<tiktok::order::OrderSearchRequest>(
                json!({"page_size": 1, "page_token": "x"}),
                json!({"next_page_token": next, "total_count": 9, "orders": [{"id": "1"}]}),
            );
        }
    }

    /// Whether the request type takes `field` (by wire name, in its body or query) and the
    /// response type holds each of `holds` (by wire name, with a value of the shape given).
    struct Fields {
        takes: Vec<&'static str>,
        holds: Vec<(&'static str, Shape)>,
    }

    #[derive(Clone, Copy)]
    enum Shape {
        List,
        Int,
        Bool,
        Text,
    }

    impl Shape {
        /// Values of this shape, as a platform may send them.
        fn samples(self) -> Vec<Value> {
            match self {
                Shape::List => vec![json!([])],
                Shape::Int => vec![json!(3), json!("3")],
                Shape::Bool => vec![json!(true)],
                Shape::Text => vec![json!("x")],
            }
        }

        fn fits(self, v: &Value) -> bool {
            match self {
                Shape::List => v.is_array(),
                Shape::Int => int(v) == Some(3),
                Shape::Bool => v == &json!(true),
                Shape::Text => v == &json!("x"),
            }
        }
    }

    impl<P> EndpointVisitor<P> for Fields {
        /// The fields missing, by wire name.
        type Output = Vec<&'static str>;
        fn visit<R: ApiRequest<Platform = P> + 'static>(self) -> Vec<&'static str> {
            let mut missing = Vec::new();
            for field in self.takes {
                // a dotted cursor (`pagination.page_token`) sits inside a request object
                let taken = [json!("1"), json!(1)].into_iter().any(|v| {
                    let mut obj = Map::new();
                    set_path(&mut obj, field, v);
                    serde_json::from_value::<R>(Value::Object(obj))
                        .is_ok_and(|req| get_path(&fields_of(&req), field).is_some())
                });
                if !taken {
                    missing.push(field);
                }
            }
            for (field, shape) in self.holds {
                let held = shape.samples().into_iter().any(|v| {
                    serde_json::from_value::<R::Response>(json!({ field: v }))
                        .ok()
                        .and_then(|resp| serde_json::to_value(resp).ok())
                        .and_then(|back| back.get(field).map(|v| shape.fits(v)))
                        .unwrap_or(false)
                });
                if !held {
                    missing.push(field);
                }
            }
            missing
        }
    }

    /// Every field the `Endpoint::pagination` of a generated endpoint names is a field of its
    /// request or response type, by that wire name and of the right shape.
    #[test]
    fn every_page_fact_names_a_field_of_the_endpoint() {
        let platforms: [(&str, Vec<&'static Endpoint>); 3] = [
            ("doudian", doudian::endpoints()),
            ("tiktok", tiktok::endpoints()),
            ("douyin", shop_api::douyin::endpoints()),
        ];
        for (platform, endpoints) in platforms {
            let mut paged = 0;
            for ep in endpoints {
                let Some(facts) = ep.pagination else { continue };
                paged += 1;
                let (mut takes, mut holds) = (Vec::new(), vec![(facts.items, Shape::List)]);
                match facts.style {
                    PageStyle::Number {
                        page,
                        size,
                        has_more,
                        ..
                    } => {
                        takes.extend([Some(page), size].into_iter().flatten());
                        holds.extend(has_more.map(|h| (h, Shape::Bool)));
                    }
                    PageStyle::Cursor { cursor, next, .. } => {
                        takes.push(cursor);
                        holds.push((next, Shape::Text));
                    }
                }
                holds.extend(facts.total.map(|t| (t, Shape::Int)));
                let fields = Fields { takes, holds };
                let missing = match platform {
                    "doudian" => doudian::dispatch(ep.name, fields),
                    "tiktok" => tiktok::dispatch(ep.name, fields),
                    _ => shop_api::douyin::dispatch(ep.name, fields),
                };
                assert_eq!(
                    missing,
                    Some(vec![]),
                    "{platform} {}: fields its pagination names",
                    ep.name
                );
            }
            if platform != "douyin" {
                assert!(paged > 0, "{platform} has paged endpoints");
            }
        }
    }

    #[test]
    fn from_flags_round_trip() {
        for key in [
            PageKey::Number(7),
            PageKey::Cursor("eyJwIjoxfQ==".into()),
            PageKey::Cursor("a b'c".into()),
        ] {
            let flag = from_flag(&key);
            let arg = flag.strip_prefix("--from ").unwrap();
            // What a shell gives the program for the quoted form.
            let arg = match arg.strip_prefix('\'') {
                Some(quoted) => quoted.trim_end_matches('\'').replace(r"'\''", "'"),
                None => arg.to_owned(),
            };
            assert_eq!(parse_from(&arg), Ok(key), "{flag}");
        }
        assert!(parse_from("page=x").is_err());
        assert!(parse_from("offset=3").is_err());
        assert!(parse_from("cursor=").is_err());
    }
}
