//! A webhook receiver for Doudian and TikTok Shop, on axum: `POST /webhooks/doudian` and
//! `POST /webhooks/tiktok` verify each push over its raw body with
//! [`shop_api::doudian::webhook`] and [`shop_api::tiktok::webhook`], claim each event before
//! handling it, so that it is handled once, and answer with the reply the platform expects.
//!
//! Handling an event means running the [`Handler`] (if any) and then sending the event to the
//! `events` channel (if any), before the push is answered. The platforms deliver at least once: a
//! push not answered in time, or answered with an error, is sent again, maybe while the first copy
//! is still being handled, maybe to another receiver of the fleet. So each event is first claimed
//! by its id ([`Claims`]; see [`shop_api::runtime::webhook`]):
//!
//! - a new event is claimed, handled, then remembered as done for [`HANDLED_KEEP`];
//! - a copy of an event handled already is answered with success and handled no more;
//! - a copy arriving while another copy holds the claim is answered 503: the platform sends it
//!   again later (a claim whose receiver died lapses after [`CLAIM_HOLD`]);
//! - an event whose handler fails is released and answered 500, so the platform's next copy is
//!   handled;
//! - when the claim store cannot be reached, nothing is handled and the push is answered 503.
//!
//! The claims are kept in the receiver's memory by default (one process); give the receivers of
//! a fleet one shared store with [`ReceiverConfig::with_claims`] (`RedisClaims`,
//! `PostgresClaims`; [`connect_claims`] picks one by URL).
//!
//! | route | event handled, or handled before | refused push | not handled now |
//! | --- | --- | --- | --- |
//! | `POST /webhooks/doudian` | 200, `{"code":0,"msg":"success"}` | 401 (signature), 400 (body), 500 (no credentials), with `{"code":<status>,"msg":<why>}` | 500 (handler failed), 503 (being handled, claim store down), same shape |
//! | `POST /webhooks/tiktok` | 200, empty body | the same, the reason as text | the same, the reason as text |
//!
//! A Doudian push carries several messages: each is claimed and handled on its own, and the push
//! is answered with success only when every message is handled (now or before); the platform's
//! next copy of a push with a failed message handles that message alone.
//!
//! The example program `webhook_receiver` serves it on 127.0.0.1; the tests crate serves it
//! in-process. Nothing here prints or logs a secret.
//!
//! ```no_run
//! # async fn run() -> std::io::Result<()> {
//! use shop_api_examples::{ReceiverConfig, serve};
//!
//! let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
//! let config = ReceiverConfig::from_env()
//!     .with_handler(|event| async move {
//!         // Store the event, fetch the order, ... An error answers 5xx: the platform sends it again.
//!         Ok::<(), std::io::Error>(())
//!     })
//!     .with_events(tx);
//! // A fleet shares its claims:
//! // let config = config.with_claims(shop_api_examples::connect_claims("redis://127.0.0.1/").await.unwrap());
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
//! tokio::spawn(serve(listener, config));
//! while let Some(event) = rx.recv().await {
//!     println!("{}", event.summary());
//! }
//! # Ok(()) }
//! ```

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use shop_api::doudian::webhook::{self as doudian, DoudianMessage};
use shop_api::runtime::Secret;
use shop_api::runtime::token::BoxFuture;
use shop_api::runtime::webhook::{Claims, Deduplicator, Outcome, WebhookError, handle_once};
use shop_api::tiktok::webhook::{self as tiktok, TiktokNotification};
use tokio::sync::mpsc::UnboundedSender;

/// The route of Doudian pushes.
pub const DOUDIAN_PATH: &str = "/webhooks/doudian";
/// The route of TikTok Shop notifications.
pub const TIKTOK_PATH: &str = "/webhooks/tiktok";
/// How many event ids the receiver's own (in-memory) claims remember.
pub const DEDUP_CAPACITY: usize = 10_000;
/// How long a claim keeps the other copies of an event off while one copy is handled: a receiver
/// that dies mid-handling holds the platform's next copies back this long. Keep it longer than
/// the handler takes: a claim that lapses mid-handling lets another copy be handled too.
pub const CLAIM_HOLD: Duration = Duration::from_secs(60);
/// How long a handled event's id is remembered: a copy arriving later is handled again.
pub const HANDLED_KEEP: Duration = Duration::from_secs(3 * 86_400);

/// An event the receiver verified and had not seen before.
#[derive(Debug, Clone, PartialEq)]
pub enum Received {
    /// One message of a Doudian push (test messages are answered, not handed on).
    Doudian(DoudianMessage),
    /// A TikTok Shop notification.
    Tiktok(TiktokNotification),
}

impl Received {
    /// One line naming the event and its ids, safe to print (no secret, no personal data).
    pub fn summary(&self) -> String {
        match self {
            Received::Doudian(m) => {
                format!("doudian tag={} {} msg_id={}", m.tag, m.name(), m.msg_id)
            }
            Received::Tiktok(n) => format!(
                "tiktok type={} {} tts_notification_id={} shop_id={}",
                n.kind,
                n.name(),
                n.tts_notification_id,
                n.shop_id
            ),
        }
    }
}

/// What handles each new event, before the push is answered: an error answers the platform with
/// 500 and releases the event's claim, so the platform's next copy is handled again.
#[derive(Clone)]
pub struct Handler(Arc<dyn Fn(Received) -> BoxFuture<'static, Result<(), String>> + Send + Sync>);

impl Handler {
    /// Handle with `f`; its error is logged (never sent to the platform).
    pub fn new<F, Fut, E>(f: F) -> Self
    where
        F: Fn(Received) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), E>> + Send + 'static,
        E: fmt::Display,
    {
        Handler(Arc::new(move |event| {
            let handling = f(event);
            Box::pin(async move { handling.await.map_err(|e| e.to_string()) })
        }))
    }

    async fn run(&self, event: Received) -> Result<(), String> {
        (self.0)(event).await
    }
}

impl fmt::Debug for Handler {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Handler")
    }
}

/// What the receiver verifies with, how it claims and handles events and where it sends them.
#[derive(Debug, Clone)]
pub struct ReceiverConfig {
    /// Credentials of the Doudian app; without them the Doudian route answers 500.
    pub doudian: Option<doudian::Verifier>,
    /// Credentials of the TikTok Shop app; without them the TikTok route answers 500.
    pub tiktok: Option<tiktok::Verifier>,
    /// Where verified, new events go once handled (dropped when `None` or when the receiving side
    /// is closed).
    pub events: Option<UnboundedSender<Received>>,
    /// Handles each new event before it goes to `events` and the push is answered (`None`:
    /// handling is sending to `events`).
    pub handler: Option<Handler>,
    /// Where each event is claimed before it is handled, shared by the receivers of a fleet
    /// (`RedisClaims`, `PostgresClaims`). `None`: in the receiver's memory ([`Deduplicator`] of
    /// [`DEDUP_CAPACITY`] ids), which keeps one process from handling an event twice, not a fleet.
    pub claims: Option<Arc<dyn Claims>>,
    /// How long a claim keeps other copies off while one is handled ([`CLAIM_HOLD`]).
    pub hold: Duration,
    /// How long a handled event is remembered ([`HANDLED_KEEP`]).
    pub keep: Duration,
}

impl Default for ReceiverConfig {
    fn default() -> Self {
        ReceiverConfig {
            doudian: None,
            tiktok: None,
            events: None,
            handler: None,
            claims: None,
            hold: CLAIM_HOLD,
            keep: HANDLED_KEEP,
        }
    }
}

impl ReceiverConfig {
    /// No credentials and no channel.
    pub fn new() -> Self {
        Self::default()
    }

    /// The credentials in `DOUDIAN_APP_KEY` / `DOUDIAN_APP_SECRET` and `TIKTOK_APP_KEY` /
    /// `TIKTOK_APP_SECRET` (the same variables as the CLI); a platform whose two variables are not
    /// both set and non-empty is left out.
    pub fn from_env() -> Self {
        let pair = |k: &str, s: &str| {
            let key = std::env::var(k).ok().filter(|v| !v.trim().is_empty())?;
            let secret = std::env::var(s).ok().filter(|v| !v.trim().is_empty())?;
            Some((key.trim().to_owned(), secret.trim().to_owned()))
        };
        ReceiverConfig {
            doudian: pair("DOUDIAN_APP_KEY", "DOUDIAN_APP_SECRET")
                .map(|(k, s)| doudian::Verifier::new(k, s)),
            tiktok: pair("TIKTOK_APP_KEY", "TIKTOK_APP_SECRET")
                .map(|(k, s)| tiktok::Verifier::new(k, s)),
            ..Self::default()
        }
    }

    /// Verify Doudian pushes with these credentials.
    pub fn with_doudian(
        mut self,
        app_key: impl Into<String>,
        app_secret: impl Into<String>,
    ) -> Self {
        self.doudian = Some(doudian::Verifier::new(app_key, Secret::new(app_secret)));
        self
    }

    /// Verify TikTok Shop notifications with these credentials.
    pub fn with_tiktok(
        mut self,
        app_key: impl Into<String>,
        app_secret: impl Into<String>,
    ) -> Self {
        self.tiktok = Some(tiktok::Verifier::new(app_key, Secret::new(app_secret)));
        self
    }

    /// Send verified, new events to `events`, once handled.
    pub fn with_events(mut self, events: UnboundedSender<Received>) -> Self {
        self.events = Some(events);
        self
    }

    /// Handle each new event with `handler` before the push is answered; an error answers 500
    /// and the platform's next copy is handled again.
    pub fn with_handler<F, Fut, E>(mut self, handler: F) -> Self
    where
        F: Fn(Received) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), E>> + Send + 'static,
        E: fmt::Display,
    {
        self.handler = Some(Handler::new(handler));
        self
    }

    /// Claim events in `claims`, shared by the receivers of a fleet, instead of in memory.
    pub fn with_claims(mut self, claims: Arc<dyn Claims>) -> Self {
        self.claims = Some(claims);
        self
    }

    /// Hold claims for `hold` and remember handled events for `keep`.
    pub fn with_claim_times(mut self, hold: Duration, keep: Duration) -> Self {
        self.hold = hold;
        self.keep = keep;
        self
    }
}

/// Claims shared by a fleet, by URL: `redis://` / `rediss://` ([`RedisClaims`], keys under
/// `shop-api:webhook:`), `postgres://` / `postgresql://` ([`PostgresClaims`], table
/// `shop_api_webhooks`, created if missing, with the token table of the same database).
///
/// [`RedisClaims`]: shop_api::runtime::webhook::RedisClaims
/// [`PostgresClaims`]: shop_api::runtime::webhook::PostgresClaims
pub async fn connect_claims(
    url: &str,
) -> Result<Arc<dyn Claims>, Box<dyn std::error::Error + Send + Sync>> {
    use shop_api::runtime::webhook::{PostgresClaims, RedisClaims};
    let scheme = url.split_once("://").map(|(s, _)| s.to_ascii_lowercase());
    match scheme.as_deref() {
        Some("redis" | "rediss") => Ok(Arc::new(RedisClaims::connect(url).await?)),
        Some("postgres" | "postgresql") => Ok(Arc::new(PostgresClaims::connect(url).await?)),
        _ => Err(
            "webhook claims need a redis://, rediss://, postgres:// or postgresql:// URL".into(),
        ),
    }
}

struct AppState {
    config: ReceiverConfig,
    claims: Arc<dyn Claims>,
}

/// Why an event was not handled now; the push is answered with an error so that the platform
/// sends it again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NotNow {
    /// Another copy holds the claim.
    Busy,
    /// The handler failed; the claim was released.
    Failed,
    /// The claim store is out of reach; nothing was handled.
    StoreDown,
}

impl NotNow {
    fn status(self) -> StatusCode {
        match self {
            NotNow::Failed => StatusCode::INTERNAL_SERVER_ERROR,
            NotNow::Busy | NotNow::StoreDown => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    fn why(self) -> &'static str {
        match self {
            NotNow::Busy => "the event is being handled from another copy; send it again later",
            NotNow::Failed => "the event's handler failed; send it again",
            NotNow::StoreDown => "the claim store is out of reach; send it again later",
        }
    }
}

impl AppState {
    /// Handle `event`: the handler, then the channel.
    async fn run(&self, event: Received) -> Result<(), String> {
        if let Some(handler) = &self.config.handler {
            handler.run(event.clone()).await?;
        }
        if let Some(tx) = &self.config.events {
            // A closed channel only means nobody listens any more: the event is still handled.
            let _ = tx.send(event);
        }
        Ok(())
    }

    /// Handle `event` once: claimed by `id` first (an event without an id cannot be claimed,
    /// and is handled).
    async fn handle(&self, id: Option<String>, event: Received) -> Result<(), NotNow> {
        let Some(id) = id else {
            return self.run(event).await.map_err(|e| {
                tracing::warn!(error = %e, "the handler of a webhook event without an id failed");
                NotNow::Failed
            });
        };
        let (hold, keep) = (self.config.hold, self.config.keep);
        match handle_once(&*self.claims, &id, hold, keep, || self.run(event)).await {
            Ok(Outcome::Handled(()) | Outcome::AlreadyDone) => Ok(()),
            Ok(Outcome::Busy) => Err(NotNow::Busy),
            Ok(Outcome::Failed(e)) => {
                tracing::warn!(event = %id, error = %e, "the handler of a webhook event failed; its claim was released");
                Err(NotNow::Failed)
            }
            Err(e) => {
                tracing::warn!(event = %id, error = %e, "the webhook claim store failed; nothing handled");
                Err(NotNow::StoreDown)
            }
        }
    }
}

/// The id an event is claimed by: the platform, the app and the platform's id (`None` when the
/// platform sent none).
fn claim_id(platform: &str, app_key: &str, id: &str) -> Option<String> {
    (!id.is_empty()).then(|| format!("{platform}:{app_key}:{id}"))
}

/// The receiver's routes, ready to be served (or nested in a larger router).
pub fn webhook_router(config: ReceiverConfig) -> Router {
    let claims = config
        .claims
        .clone()
        .unwrap_or_else(|| Arc::new(Deduplicator::new(DEDUP_CAPACITY)));
    let state = Arc::new(AppState { config, claims });
    Router::new()
        .route(DOUDIAN_PATH, post(doudian_push))
        .route(TIKTOK_PATH, post(tiktok_push))
        .with_state(state)
}

/// Serve [`webhook_router`] on `listener` until the process ends.
pub async fn serve(
    listener: tokio::net::TcpListener,
    config: ReceiverConfig,
) -> std::io::Result<()> {
    axum::serve(listener, webhook_router(config)).await
}

fn refuse(e: WebhookError) -> Response {
    let status = StatusCode::from_u16(e.http_status()).unwrap_or(StatusCode::BAD_REQUEST);
    (status, e.to_string()).into_response()
}

/// A refused Doudian push: the status, and the refusal in Doudian's reply shape (its code is ours:
/// the status; only `{"code":0,...}` acknowledges a push).
fn refuse_doudian(e: WebhookError) -> Response {
    let status = StatusCode::from_u16(e.http_status()).unwrap_or(StatusCode::BAD_REQUEST);
    doudian_error(status, &e.to_string())
}

fn doudian_error(status: StatusCode, why: &str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        doudian::error_reply(i64::from(status.as_u16()), why),
    )
        .into_response()
}

async fn doudian_push(
    State(st): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(verifier) = &st.config.doudian else {
        return refuse_doudian(WebhookError::NoCredentials);
    };
    let messages = match verifier.verify(&headers, &body) {
        Ok(messages) => messages,
        Err(e) => return refuse_doudian(e),
    };
    let mut first_miss = None;
    for m in messages {
        if m.is_test() {
            continue;
        }
        let id = claim_id("doudian", verifier.app_key(), &m.msg_id);
        if let Err(miss) = st.handle(id, Received::Doudian(m)).await {
            first_miss.get_or_insert(miss);
            if miss == NotNow::StoreDown {
                // The other messages would wait for the store in turn: the next copy has them.
                break;
            }
        }
    }
    match first_miss {
        None => (
            [(header::CONTENT_TYPE, "application/json")],
            doudian::SUCCESS_REPLY,
        )
            .into_response(),
        Some(miss) => doudian_error(miss.status(), miss.why()),
    }
}

async fn tiktok_push(State(st): State<Arc<AppState>>, headers: HeaderMap, body: Bytes) -> Response {
    let Some(verifier) = &st.config.tiktok else {
        return refuse(WebhookError::NoCredentials);
    };
    let n = match verifier.verify(&headers, &body) {
        Ok(n) => n,
        Err(e) => return refuse(e),
    };
    let id = claim_id("tiktok", verifier.app_key(), &n.tts_notification_id);
    match st.handle(id, Received::Tiktok(n)).await {
        Ok(()) => StatusCode::OK.into_response(),
        Err(miss) => (miss.status(), miss.why()).into_response(),
    }
}

/// What [`keep_tokens_in_step`] did about a notification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenStep {
    /// Not an authorization event: nothing to do.
    Nothing,
    /// The seller deauthorized the app: these sellers' (`open_id`) tokens were removed.
    Forgotten(Vec<String>),
    /// The shop's authorization expires soon: these sellers must authorize the app again.
    ExpiresSoon(Vec<String>),
}

/// Keep the token store in step with TikTok Shop's authorization events: on
/// `SELLER_DEAUTHORIZATION` the tokens of the sellers that own the shop are removed
/// ([`tiktok::Client::forget_seller`](shop_api::tiktok::Client::forget_seller)); on
/// `UPCOMING_AUTHORIZATION_EXPIRATION` their sellers are named, to ask them to authorize again.
///
/// A notification names a shop and a token belongs to a seller: the sellers are found among the
/// kept ones ([`kept_sellers`](shop_api::tiktok::Client::kept_sellers)) by asking each for its
/// authorized shops. A seller that cannot be asked (its token refused, the platform down) is left
/// alone, with a warning in the log.
pub async fn keep_tokens_in_step(
    client: &shop_api::tiktok::Client,
    n: &TiktokNotification,
) -> shop_api::runtime::Result<TokenStep> {
    use shop_api::tiktok::Event;
    use shop_api::tiktok::authorization::AuthorizationShopsRequest;
    let deauthorized = match &n.event {
        Event::SellerDeauthorization(_) => true,
        Event::UpcomingAuthorizationExpiration(_) => false,
        _ => return Ok(TokenStep::Nothing),
    };
    let mut owners = Vec::new();
    for seller in client.kept_sellers().await? {
        let owns = match client
            .seller(&seller)
            .authorization_shops(&AuthorizationShopsRequest {})
            .await
        {
            Ok(r) => r
                .shops
                .unwrap_or_default()
                .iter()
                .any(|s| s.id == n.shop_id),
            Err(e) => deauthorized && e.api().is_some(),
        };
        if owns {
            owners.push(seller);
        }
    }
    if !deauthorized {
        return Ok(TokenStep::ExpiresSoon(owners));
    }
    for seller in &owners {
        client.forget_seller(seller).await?;
    }
    Ok(TokenStep::Forgotten(owners))
}
