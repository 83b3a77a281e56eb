//! Pagination: generated `Paginated` impls say where the page number or cursor goes and where
//! the items are; [`Pages`] walks the pages.

use std::future::Future;

use super::{ApiRequest, Result};

/// A boxed future of one page: what the clients' `pages` methods fetch pages with.
pub type PageFuture<T> = std::pin::Pin<Box<dyn Future<Output = Result<T>> + Send>>;

/// Which page to ask for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PageKey {
    /// A page number.
    Number(i64),
    /// A cursor from the previous page.
    Cursor(String),
}

/// One page of items and how to get the next.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    /// The items of this page.
    pub items: Vec<T>,
    /// The key of the next page; `None` on the last.
    pub next: Option<PageKey>,
    /// The total the server reported, when it does.
    pub total: Option<i64>,
}

impl<T> Page<T> {
    /// A page of a page-numbered endpoint. The next page exists when `has_more` says so, else
    /// when `total` is beyond the items seen so far, else when this page is full.
    pub fn numbered(
        items: Vec<T>,
        current: i64,
        first: i64,
        size: Option<i64>,
        total: Option<i64>,
        has_more: Option<bool>,
    ) -> Self {
        // Pages up to this one; saturating, as the page number is the caller's.
        let pages = current.saturating_sub(first).saturating_add(1);
        let more = if items.is_empty() {
            false
        } else if let Some(h) = has_more {
            h
        } else if let (Some(t), Some(s)) = (total, size) {
            pages.saturating_mul(s) < t
        } else if let Some(t) = total {
            // No page size: assume every page holds as many as this one.
            pages.saturating_mul(items.len() as i64) < t
        } else if let Some(s) = size {
            items.len() as i64 >= s
        } else {
            false
        };
        Page {
            items,
            // There is no page after `i64::MAX`.
            next: current.checked_add(1).filter(|_| more).map(PageKey::Number),
            total,
        }
    }

    /// A page of a cursor endpoint: the next page exists when the server gave a non-empty cursor.
    pub fn cursor(items: Vec<T>, next: Option<String>, total: Option<i64>) -> Self {
        let next = next
            .filter(|c| !c.is_empty() && !items.is_empty())
            .map(PageKey::Cursor);
        Page { items, next, total }
    }
}

/// Where a paged endpoint takes its page and gives its items, by wire name: the spec's
/// `pagination:`, as [`Endpoint::pagination`](crate::Endpoint::pagination) carries it.
///
/// The typed [`Paginated`] impls are generated from the same facts; these serve code that knows
/// an endpoint only by its [`Endpoint`](crate::Endpoint) (the CLI's `--all-pages`), on the JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PageFacts {
    /// Page numbers or cursors, and the fields of each.
    pub style: PageStyle,
    /// The response field holding the items of a page (a list).
    pub items: &'static str,
    /// The response field holding the total number of items, when there is one.
    pub total: Option<&'static str>,
}

/// How an endpoint pages (see [`PageFacts`]); field names are wire names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PageStyle {
    /// By page number ([`PageKey::Number`], [`Page::numbered`]).
    Number {
        /// The request field of the page number.
        page: &'static str,
        /// The request field of the page size, when there is one.
        size: Option<&'static str>,
        /// The number of the first page (0 or 1): the page a request without a number asks for.
        first: i64,
        /// The response field saying whether more pages follow, when there is one.
        has_more: Option<&'static str>,
    },
    /// By cursor ([`PageKey::Cursor`], [`Page::cursor`]).
    Cursor {
        /// The request field of the cursor (absent or empty: the first page); a dotted path
        /// when the cursor sits inside a request object (`pagination.page_token`).
        cursor: &'static str,
        /// The response field of the next page's cursor.
        next: &'static str,
        /// The response field marking the last page (`true` or a non-zero number), when the
        /// platform has one besides the cursor (Doudian's `is_end`).
        done: Option<&'static str>,
    },
}

/// A request whose endpoint pages its results.
pub trait Paginated: ApiRequest + Clone {
    /// The type of one item.
    type Item;
    /// Point the request at `page`.
    fn set_page(&mut self, page: &PageKey);
    /// Take the page out of a response to this request.
    fn page_of(&self, resp: Self::Response) -> Page<Self::Item>;
}

/// Walks the pages of a paginated request: `while let Some(page) = pages.next().await? { .. }`.
///
/// It stops after the last page, on the first error, or after `max_pages` (default 10,000) so a
/// server that never says "last page" cannot loop forever.
pub struct Pages<R: Paginated, F> {
    req: R,
    call: F,
    done: bool,
    fetched: usize,
    max_pages: usize,
    /// The page in flight when polled as a [`futures_core::Stream`].
    pending: Option<PageFuture<R::Response>>,
}

impl<R, F, Fut> Pages<R, F>
where
    R: Paginated,
    F: FnMut(R) -> Fut,
    Fut: Future<Output = Result<R::Response>>,
{
    /// Pages of `req` (its page fields as given are the first page), fetched with `call`.
    pub fn new(req: R, call: F) -> Self {
        Pages {
            req,
            call,
            done: false,
            fetched: 0,
            max_pages: 10_000,
            pending: None,
        }
    }

    /// Stop after `n` pages.
    pub fn max_pages(mut self, n: usize) -> Self {
        self.max_pages = n;
        self
    }

    /// The next page, or `None` after the last.
    pub async fn next(&mut self) -> Result<Option<Page<R::Item>>> {
        if self.done || self.fetched >= self.max_pages {
            return Ok(None);
        }
        let resp = (self.call)(self.req.clone()).await;
        self.advance(resp).map(Some)
    }

    /// Take in the answer for the current page: the page, and the request set on the next one.
    fn advance(&mut self, resp: Result<R::Response>) -> Result<Page<R::Item>> {
        let resp = match resp {
            Ok(r) => r,
            Err(e) => {
                self.done = true;
                return Err(e);
            }
        };
        self.fetched += 1;
        let page = self.req.page_of(resp);
        match &page.next {
            Some(key) => self.req.set_page(key),
            None => self.done = true,
        }
        Ok(page)
    }

    /// Every item of every page.
    pub async fn collect_all(mut self) -> Result<Vec<R::Item>> {
        let mut all = Vec::new();
        while let Some(page) = self.next().await? {
            all.extend(page.items);
        }
        Ok(all)
    }
}

/// The pages as a [`futures_core::Stream`] (`StreamExt::next`, `try_collect`, ...): one page per
/// item, ending after the last page, or after the first error.
impl<R, F, Fut> futures_core::Stream for Pages<R, F>
where
    R: Paginated + Unpin,
    F: FnMut(R) -> Fut + Unpin,
    Fut: Future<Output = Result<R::Response>> + Send + 'static,
{
    type Item = Result<Page<R::Item>>;

    fn poll_next(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if this.pending.is_none() {
            if this.done || this.fetched >= this.max_pages {
                return std::task::Poll::Ready(None);
            }
            this.pending = Some(Box::pin((this.call)(this.req.clone())));
        }
        let Some(pending) = this.pending.as_mut() else {
            return std::task::Poll::Ready(None);
        };
        match pending.as_mut().poll(cx) {
            std::task::Poll::Pending => std::task::Poll::Pending,
            std::task::Poll::Ready(resp) => {
                this.pending = None;
                std::task::Poll::Ready(Some(this.advance(resp)))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbered_next() {
        assert_eq!(
            Page::numbered(vec![1, 2], 0, 0, Some(2), Some(5), None).next,
            Some(PageKey::Number(1))
        );
        assert_eq!(
            Page::numbered(vec![5], 2, 0, Some(2), Some(5), None).next,
            None
        );
        assert_eq!(
            Page::numbered(vec![1, 2], 1, 1, Some(2), None, Some(false)).next,
            None
        );
        assert_eq!(
            Page::numbered(vec![1, 2], 1, 1, Some(2), None, None).next,
            Some(PageKey::Number(2))
        );
        assert_eq!(
            Page::<i32>::numbered(vec![], 0, 0, Some(2), Some(9), Some(true)).next,
            None
        );
    }

    /// Regression (found writing `fuzz/`'s `decode_response`, which pages every decoded response at
    /// the ends of the page number): a page number at the ends of `i64` (it comes from the caller's
    /// request, the rest of the page from the server) overflowed `current - first + 1` and
    /// `current + 1`. Now the page is answered, and there is no page after `i64::MAX`.
    #[test]
    fn numbered_extreme_page_numbers() {
        assert_eq!(
            Page::numbered(vec![1], i64::MAX, 0, Some(20), Some(i64::MAX), None).next,
            None
        );
        assert_eq!(
            Page::numbered(vec![1], i64::MAX, 0, None, None, Some(true)).next,
            None
        );
        // Below the first page: answered, whatever it says.
        let _ = Page::numbered(vec![1], i64::MIN, 1, Some(20), Some(5), None);
        let _ = Page::numbered(vec![1], i64::MIN, 1, None, Some(5), None);
        assert_eq!(
            Page::numbered(vec![1], i64::MAX - 1, 0, None, None, Some(true)).next,
            Some(PageKey::Number(i64::MAX))
        );
    }

    #[test]
    fn cursor_next() {
        assert_eq!(
            Page::cursor(vec![1], Some("abc".into()), None).next,
            Some(PageKey::Cursor("abc".into()))
        );
        assert_eq!(Page::cursor(vec![1], Some(String::new()), None).next, None);
        assert_eq!(Page::cursor(vec![1], None, None).next, None);
    }
}
