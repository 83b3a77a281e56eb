//! A webhook receiver for Doudian and TikTok Shop, on axum: `POST /webhooks/doudian` and
//! `POST /webhooks/tiktok` verify each push over its raw body with
//! [`shop_api::doudian::webhook`] and [`shop_api::tiktok::webhook`], answer at once with the reply
//! the platform expects, and hand the decoded events, de-duplicated, to a channel where the rest of
//! the program handles them.
//!
//! | route | verified push | refused push |
//! | --- | --- | --- |
//! | `POST /webhooks/doudian` | 200, `{"code":0,"msg":"success"}` | 401 (signature), 400 (body), 500 (no credentials), with `{"code":<status>,"msg":<why>}` |
//! | `POST /webhooks/tiktok` | 200, empty body | the same |
//!
//! The example program `webhook_receiver` serves it on 127.0.0.1; the tests crate serves it
//! in-process. Nothing here prints or logs a secret.
//!
//! ```no_run
//! # async fn run() -> std::io::Result<()> {
//! use shop_api_examples::{ReceiverConfig, serve};
//!
//! let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
//! let config = ReceiverConfig::from_env().with_events(tx);
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
//! tokio::spawn(serve(listener, config));
//! while let Some(event) = rx.recv().await {
//!     println!("{}", event.summary());
//! }
//! # Ok(()) }
//! ```

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use shop_api::doudian::webhook::{self as doudian, DoudianMessage};
use shop_api::runtime::Secret;
use shop_api::runtime::webhook::{Deduplicator, WebhookError};
use shop_api::tiktok::webhook::{self as tiktok, TiktokNotification};
use tokio::sync::mpsc::UnboundedSender;

/// The route of Doudian pushes.
pub const DOUDIAN_PATH: &str = "/webhooks/doudian";
/// The route of TikTok Shop notifications.
pub const TIKTOK_PATH: &str = "/webhooks/tiktok";
/// How many message ids each route remembers to drop repeated pushes.
pub const DEDUP_CAPACITY: usize = 10_000;

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

/// What the receiver verifies with and where it sends the events.
#[derive(Debug, Clone, Default)]
pub struct ReceiverConfig {
    /// Credentials of the Doudian app; without them the Doudian route answers 500.
    pub doudian: Option<doudian::Verifier>,
    /// Credentials of the TikTok Shop app; without them the TikTok route answers 500.
    pub tiktok: Option<tiktok::Verifier>,
    /// Where verified, new events go (dropped when `None` or when the receiving side is closed).
    pub events: Option<UnboundedSender<Received>>,
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
            events: None,
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

    /// Send verified, new events to `events`.
    pub fn with_events(mut self, events: UnboundedSender<Received>) -> Self {
        self.events = Some(events);
        self
    }
}

struct AppState {
    config: ReceiverConfig,
    doudian_seen: Deduplicator,
    tiktok_seen: Deduplicator,
}

impl AppState {
    fn deliver(&self, event: Received) {
        if let Some(tx) = &self.config.events {
            // A closed channel only means nobody listens any more: the push is still answered.
            let _ = tx.send(event);
        }
    }
}

/// The receiver's routes, ready to be served (or nested in a larger router).
pub fn webhook_router(config: ReceiverConfig) -> Router {
    let state = Arc::new(AppState {
        config,
        doudian_seen: Deduplicator::new(DEDUP_CAPACITY),
        tiktok_seen: Deduplicator::new(DEDUP_CAPACITY),
    });
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
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        doudian::error_reply(i64::from(status.as_u16()), &e.to_string()),
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
    match verifier.verify(&headers, &body) {
        Ok(messages) => {
            for m in messages {
                if m.is_test() || (!m.msg_id.is_empty() && !st.doudian_seen.first_seen(&m.msg_id)) {
                    continue;
                }
                st.deliver(Received::Doudian(m));
            }
            (
                [(header::CONTENT_TYPE, "application/json")],
                doudian::SUCCESS_REPLY,
            )
                .into_response()
        }
        Err(e) => refuse_doudian(e),
    }
}

async fn tiktok_push(State(st): State<Arc<AppState>>, headers: HeaderMap, body: Bytes) -> Response {
    let Some(verifier) = &st.config.tiktok else {
        return refuse(WebhookError::NoCredentials);
    };
    match verifier.verify(&headers, &body) {
        Ok(n) => {
            if n.tts_notification_id.is_empty() || st.tiktok_seen.first_seen(&n.tts_notification_id)
            {
                st.deliver(Received::Tiktok(n));
            }
            StatusCode::OK.into_response()
        }
        Err(e) => refuse(e),
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
