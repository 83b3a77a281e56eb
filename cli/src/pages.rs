//! `--all-pages`: every item of a paged endpoint, one JSON value per line (NDJSON) on stdout as
//! each page arrives, a progress bar on stderr when it is a terminal, and on an error the
//! `--from` flag that resumes at the page that failed.
//!
//! Which request field takes the page number or cursor and which response fields hold the items,
//! the next cursor, the total and `has_more` are the spec's `pagination:` facts (see `build.rs`).
//! The decision whether there is a next page is the runtime's own ([`Page::numbered`],
//! [`Page::cursor`]), as for the library's `client.pages(req)`.

use std::collections::HashMap;
use std::io::{IsTerminal, Write};
use std::task::Poll;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::value::RawValue;
use serde_json::{Map, Value};
use shop_api::runtime::{self, Client, Page, PageKey};

use crate::call::{Prepared, Resolved};
use crate::{CallArgs, Failure};

/// Where a paged endpoint takes its page and gives its items, by wire name.
#[derive(Debug, PartialEq, Eq)]
pub struct Paging {
    /// `tiktok`, `doudian` or `douyin`.
    pub platform: &'static str,
    /// The endpoint's name.
    pub endpoint: &'static str,
    /// Page numbers or cursors.
    pub style: Style,
    /// The response field holding the items of a page.
    pub items: &'static str,
    /// The response field holding the total number of items, when there is one.
    pub total: Option<&'static str>,
}

/// How an endpoint pages.
#[derive(Debug, PartialEq, Eq)]
pub enum Style {
    /// By page number.
    Page {
        /// The request field of the page number.
        page: &'static str,
        /// The request field of the page size.
        size: Option<&'static str>,
        /// The number of the first page (0 or 1).
        first: i64,
        /// The response field saying whether more pages follow.
        has_more: Option<&'static str>,
    },
    /// By cursor.
    Cursor {
        /// The request field of the cursor.
        cursor: &'static str,
        /// The response field of the next page's cursor.
        next: &'static str,
    },
}

/// Every paged endpoint, from the specs (written by `build.rs`).
static PAGINATION: &[Paging] = include!(concat!(env!("OUT_DIR"), "/pagination.rs"));

/// How `endpoint` of `platform` pages, when it does.
pub fn paging(platform: &str, endpoint: &str) -> Option<&'static Paging> {
    PAGINATION
        .iter()
        .find(|p| p.platform == platform && p.endpoint == endpoint)
}

/// Every paged endpoint of `platform`.
fn paged_of(platform: &str) -> impl Iterator<Item = &'static str> {
    PAGINATION
        .iter()
        .filter(move |p| p.platform == platform)
        .map(|p| p.endpoint)
}

/// `--from page=N` or `--from cursor=TOKEN` (clap's value parser).
pub fn parse_from(text: &str) -> Result<PageKey, String> {
    match text.split_once('=') {
        Some(("page", n)) => n
            .trim()
            .parse::<i64>()
            .map(PageKey::Number)
            .map_err(|_| format!("`{n}` is not a page number")),
        Some(("cursor", c)) if !c.is_empty() => Ok(PageKey::Cursor(c.to_owned())),
        _ => Err("give page=N or cursor=TOKEN".into()),
    }
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
    /// Point the request object at `key`; a key of the other style is a usage error.
    fn set(&self, params: &mut Map<String, Value>, key: &PageKey) -> Result<(), Failure> {
        match (&self.style, key) {
            (Style::Page { page, .. }, PageKey::Number(n)) => {
                params.insert((*page).to_owned(), Value::from(*n));
            }
            (Style::Cursor { cursor, .. }, PageKey::Cursor(c)) => {
                params.insert((*cursor).to_owned(), Value::String(c.clone()));
            }
            (Style::Page { .. }, PageKey::Cursor(_)) => {
                return Err(Failure::Usage(format!(
                    "{} pages by page number: use --from page=N",
                    self.endpoint
                )));
            }
            (Style::Cursor { .. }, PageKey::Number(_)) => {
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
        match &self.style {
            Style::Page { page, first, .. } => Some(PageKey::Number(
                fields.get(*page).and_then(int).unwrap_or(*first),
            )),
            Style::Cursor { cursor, .. } => fields
                .get(*cursor)
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
        let items = match data.get(self.items) {
            Some(raw) => serde_json::from_str::<Option<Vec<Box<RawValue>>>>(raw.get())
                .map_err(|e| format!("`{}` is not a list: {e}", self.items))?
                .unwrap_or_default(),
            None => Vec::new(),
        };
        let total = self.total.and_then(value).as_ref().and_then(int);
        Ok(match &self.style {
            Style::Page {
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
            Style::Cursor { next, .. } => Page::cursor(
                items,
                value(next).and_then(|v| v.as_str().map(str::to_owned)),
                total,
            ),
        })
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

/// `shop-api <platform> <endpoint> --all-pages [--from KEY]`.
pub async fn all<P: runtime::Platform>(
    client: &Client<P>,
    ep: &Resolved<P>,
    args: &CallArgs,
    params: &Value,
) -> Result<(), Failure> {
    let facts = ep.endpoint;
    let Some(paging) = paging(facts.platform, facts.name) else {
        let paged: Vec<&str> = paged_of(facts.platform).collect();
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
    match (&args.from, &paging.style) {
        (Some(from), _) => paging.set(&mut params, from)?,
        // The page number is the walk's to set: from the first page unless the request says.
        (None, Style::Page { page, first, .. }) if !params.contains_key(*page) => {
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
        let prepared = (ep.prepare)(client, &Value::Object(params.clone()), Vec::new())?;
        let at = paging.key_of(&prepared.fields);
        if args.dry_run {
            crate::emit(&client.prepare_call(&prepared.call).await?.to_string());
            return Ok(());
        }
        // Drawn once the request is known good: a usage error leaves no bar behind.
        let progress = progress.get_or_insert_with(|| Progress::new(facts.name));
        let fetched = fetch(client, ep, paging, &prepared);
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
    ep: &Resolved<P>,
    paging: &Paging,
    prepared: &Prepared,
) -> Result<Page<Box<RawValue>>, Failure> {
    let reply = client.call(&prepared.call).await?;
    let data = (ep.render)(&reply, false)?;
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

    /// The page the CLI reads from the printed `data` is the page the generated `Paginated`
    /// impl takes out of the typed response: the same items, next page and total.
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
        let paging = paging(ep.platform, ep.name).expect("paged");
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

    /// Every row of the table names an endpoint the platform dispatches, and a page or cursor
    /// field its request takes.
    #[test]
    fn every_paged_endpoint_takes_its_page_field() {
        struct Takes(&'static str);
        impl<P> EndpointVisitor<P> for Takes {
            type Output = bool;
            fn visit<R: ApiRequest<Platform = P> + 'static>(self) -> bool {
                let fields = fields_of(
                    &serde_json::from_value::<R>(json!({ self.0: "1" }))
                        .or_else(|_| serde_json::from_value::<R>(json!({ self.0: 1 })))
                        .unwrap(),
                );
                fields.contains_key(self.0)
            }
        }
        assert!(PAGINATION.iter().any(|p| p.platform == "doudian"));
        assert!(PAGINATION.iter().any(|p| p.platform == "tiktok"));
        for p in PAGINATION {
            let field = match p.style {
                Style::Page { page, .. } => page,
                Style::Cursor { cursor, .. } => cursor,
            };
            let takes = match p.platform {
                "doudian" => doudian::dispatch(p.endpoint, Takes(field)),
                "tiktok" => tiktok::dispatch(p.endpoint, Takes(field)),
                "douyin" => shop_api::douyin::dispatch(p.endpoint, Takes(field)),
                other => panic!("unknown platform {other}"),
            };
            assert_eq!(
                takes,
                Some(true),
                "{} {} takes `{field}`",
                p.platform,
                p.endpoint
            );
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
