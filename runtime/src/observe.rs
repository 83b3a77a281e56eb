//! Hooks for metrics and audit: an [`Observer`] is told of every HTTP attempt a client makes,
//! before it is sent and after its answer is read.
//!
//! Set one or more on the builder with [`ClientBuilder::observe`](crate::ClientBuilder::observe);
//! every handle of the client (shops, sellers, users, timeouts) and every platform runs them, for
//! every call, token calls included. A call makes one attempt or more: retries of a 5xx, a
//! timeout or a rate limit, and the call sent again after a refreshed token, each make one
//! [`before_send`](Observer::before_send) and one [`after_receive`](Observer::after_receive),
//! with the attempt's number. An attempt refused before anything is sent (a signing error, a
//! shared rate limiter that cannot be reached) makes neither; an attempt whose call is dropped
//! while it waits for the answer (the caller's own timeout, a cancelled task) makes no
//! `after_receive`.
//!
//! The events hold what identifies a call and nothing secret: the platform, the endpoint, the
//! method, the path and the URL without its query (which carries signatures and, on some
//! platforms, the access token or the app secret), the owner, and after the answer the HTTP
//! status, the latency, the error's kind and the platform's request id. Tokens, signatures, app
//! secrets, headers and bodies are never shown.
//!
//! Hooks run on the task making the call, in the order they were set, and the call waits for
//! them: keep them quick (count, record, send to a channel). A hook that panics panics the call.
//! Without hooks, a call builds no event.
//!
//! ```
//! use std::sync::atomic::{AtomicU64, Ordering};
//! use shop_api_runtime::observe::{Observer, ResponseEvent};
//!
//! /// Counts the failed attempts.
//! #[derive(Default)]
//! struct Failures(AtomicU64);
//!
//! impl Observer for Failures {
//!     fn after_receive(&self, event: &ResponseEvent<'_>) {
//!         if let Some(kind) = event.error_kind() {
//!             self.0.fetch_add(1, Ordering::Relaxed);
//!             eprintln!("{} attempt {}: {kind:?}", event.endpoint().name, event.attempt());
//!         }
//!     }
//! }
//! ```

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use super::{Endpoint, Error, ErrorKind, HttpMethod};

/// Told of every HTTP attempt of a client's calls (see the [module docs](self)). Both methods do
/// nothing unless implemented.
///
/// An `Arc<T>` of an observer is an observer too: keep one clone to read what the hook gathered
/// and give the other to the builder.
pub trait Observer: Send + Sync + 'static {
    /// Called just before an attempt is sent, once it is signed.
    fn before_send(&self, event: &RequestEvent<'_>) {
        let _ = event;
    }

    /// Called once the attempt's answer is read (or the attempt failed), before a retry is
    /// decided.
    fn after_receive(&self, event: &ResponseEvent<'_>) {
        let _ = event;
    }
}

impl<T: Observer + ?Sized> Observer for Arc<T> {
    fn before_send(&self, event: &RequestEvent<'_>) {
        (**self).before_send(event);
    }

    fn after_receive(&self, event: &ResponseEvent<'_>) {
        (**self).after_receive(event);
    }
}

/// An attempt about to be sent. It borrows from the call: copy what you keep.
#[derive(Clone, Copy)]
#[non_exhaustive]
pub struct RequestEvent<'a> {
    endpoint: &'static Endpoint,
    path: &'a str,
    url: &'a url::Url,
    attempt: u32,
    owner: Option<&'a str>,
    shop_cipher: Option<&'a str>,
}

impl<'a> RequestEvent<'a> {
    pub(crate) fn new(
        endpoint: &'static Endpoint,
        path: &'a str,
        url: &'a url::Url,
        attempt: u32,
        owner: Option<&'a str>,
        shop_cipher: Option<&'a str>,
    ) -> Self {
        RequestEvent {
            endpoint,
            path,
            url,
            attempt,
            owner,
            shop_cipher,
        }
    }

    /// `tiktok`, `doudian` or `douyin`.
    pub fn platform(&self) -> &'static str {
        self.endpoint.platform
    }

    /// The endpoint, as its spec describes it: its dotted `name` (`order.searchList`), module,
    /// path template, flags. The name and the path template make labels of bounded cardinality.
    pub fn endpoint(&self) -> &'static Endpoint {
        self.endpoint
    }

    /// The HTTP method.
    pub fn method(&self) -> HttpMethod {
        self.endpoint.method
    }

    /// The path with its placeholders filled (`/order/202309/orders/576461413038785752`), below
    /// the base URL, without the query.
    pub fn path(&self) -> &'a str {
        self.path
    }

    /// The URL the attempt goes to, without its query (which holds the signature and, on some
    /// platforms, the token or the app secret) and without credentials of the base URL.
    pub fn url(&self) -> Cow<'a, str> {
        let url = self.url;
        if url.username().is_empty() && url.password().is_none() {
            Cow::Borrowed(&url[..url::Position::AfterPath])
        } else {
            let mut bare = url.clone();
            let _ = bare.set_username("");
            let _ = bare.set_password(None);
            bare.set_query(None);
            bare.set_fragment(None);
            Cow::Owned(bare.into())
        }
    }

    /// The attempt's number in its call, from 1: a retry, or the call sent again after a
    /// refreshed token, counts on.
    pub fn attempt(&self) -> u32 {
        self.attempt
    }

    /// Whose token the client keeps for the call (a Doudian shop id, a TikTok seller's or a
    /// Douyin user's open id), when the handle calls as one: `client.shop(..)`,
    /// `client.seller(..)`, `client.user(..)`. `None` for a handle with a token of your own and
    /// for the app's own calls.
    pub fn owner(&self) -> Option<&'a str> {
        self.owner
    }

    /// TikTok Shop: the shop cipher of the handle (`with_shop_cipher`), when it has one.
    pub fn shop_cipher(&self) -> Option<&'a str> {
        self.shop_cipher
    }
}

impl fmt::Debug for RequestEvent<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequestEvent")
            .field("platform", &self.platform())
            .field("endpoint", &self.endpoint.name)
            .field("method", &self.method())
            .field("url", &self.url())
            .field("attempt", &self.attempt)
            .field("owner", &self.owner)
            .field("shop_cipher", &self.shop_cipher)
            .finish()
    }
}

/// An attempt whose answer was read, or that failed: what [`RequestEvent`] says, and how it
/// went. It borrows from the call: copy what you keep.
#[derive(Clone, Copy)]
#[non_exhaustive]
pub struct ResponseEvent<'a> {
    request: RequestEvent<'a>,
    status: Option<u16>,
    latency: Duration,
    error: Option<&'a Error>,
    request_id: Option<&'a str>,
}

impl<'a> ResponseEvent<'a> {
    pub(crate) fn new(
        request: RequestEvent<'a>,
        status: Option<u16>,
        latency: Duration,
        error: Option<&'a Error>,
        request_id: Option<&'a str>,
    ) -> Self {
        ResponseEvent {
            request,
            status,
            latency,
            error,
            request_id,
        }
    }

    /// The attempt, as [`Observer::before_send`] saw it.
    pub fn request(&self) -> &RequestEvent<'a> {
        &self.request
    }

    /// `tiktok`, `doudian` or `douyin`.
    pub fn platform(&self) -> &'static str {
        self.request.platform()
    }

    /// The endpoint (see [`RequestEvent::endpoint`]).
    pub fn endpoint(&self) -> &'static Endpoint {
        self.request.endpoint()
    }

    /// The HTTP method.
    pub fn method(&self) -> HttpMethod {
        self.request.method()
    }

    /// The filled path (see [`RequestEvent::path`]).
    pub fn path(&self) -> &'a str {
        self.request.path()
    }

    /// The URL without its query (see [`RequestEvent::url`]).
    pub fn url(&self) -> Cow<'a, str> {
        self.request.url()
    }

    /// The attempt's number in its call, from 1 (see [`RequestEvent::attempt`]).
    pub fn attempt(&self) -> u32 {
        self.request.attempt()
    }

    /// The owner (see [`RequestEvent::owner`]).
    pub fn owner(&self) -> Option<&'a str> {
        self.request.owner()
    }

    /// TikTok Shop: the shop cipher (see [`RequestEvent::shop_cipher`]).
    pub fn shop_cipher(&self) -> Option<&'a str> {
        self.request.shop_cipher()
    }

    /// The HTTP status, or `None` when no answer came (connection refused or reset, timeout).
    pub fn status(&self) -> Option<u16> {
        self.status
    }

    /// From just before the attempt was sent until its answer was read (or it failed).
    pub fn latency(&self) -> Duration {
        self.latency
    }

    /// Whether the attempt succeeded: the platform's success envelope.
    pub fn is_ok(&self) -> bool {
        self.error.is_none()
    }

    /// The kind of the attempt's error ([`Error::kind`]: a platform error's kind, or the category
    /// of an HTTP, transport or decode error); `None` on success.
    pub fn error_kind(&self) -> Option<ErrorKind> {
        self.error.map(Error::kind)
    }

    /// The attempt's error, which holds no secret; `None` on success. A retry may still make the
    /// call succeed.
    pub fn error(&self) -> Option<&'a Error> {
        self.error
    }

    /// The platform's log id / request id, when the answer carried one (on success and on a
    /// platform error alike).
    pub fn request_id(&self) -> Option<&'a str> {
        self.request_id
    }
}

impl fmt::Debug for ResponseEvent<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResponseEvent")
            .field("request", &self.request)
            .field("status", &self.status)
            .field("latency", &self.latency)
            .field("error_kind", &self.error_kind())
            .field("request_id", &self.request_id)
            .finish()
    }
}

/// The observers of a client, in the order they were set; empty costs one length check per
/// attempt.
#[derive(Clone, Default)]
pub(crate) struct Observers(Vec<Arc<dyn Observer>>);

impl Observers {
    pub(crate) fn push(&mut self, observer: Arc<dyn Observer>) {
        self.0.push(observer);
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub(crate) fn len(&self) -> usize {
        self.0.len()
    }

    pub(crate) fn before_send(&self, event: &RequestEvent<'_>) {
        for o in self.0.iter() {
            o.before_send(event);
        }
    }

    pub(crate) fn after_receive(&self, event: &ResponseEvent<'_>) {
        for o in self.0.iter() {
            o.after_receive(event);
        }
    }
}
