//! Receive Doudian and TikTok Shop webhooks on 127.0.0.1 and print one line per new event.
//!
//! ```sh
//! DOUDIAN_APP_KEY=... DOUDIAN_APP_SECRET=... TIKTOK_APP_KEY=... TIKTOK_APP_SECRET=... \
//!     cargo run -p shop-api-examples --example webhook_receiver -- 8080
//! ```
//!
//! The port is the first argument, else `WEBHOOK_PORT`, else 0 (any free port; the bound address
//! is printed). Routes: `POST /webhooks/doudian` and `POST /webhooks/tiktok`. Put it behind an
//! HTTPS reverse proxy to receive real pushes; the platforms only call public HTTPS URLs.
//!
//! Each event is claimed before it is handled, so it is handled once: in this process's memory
//! by default, or, for several receivers behind one URL, in the store named by
//! `WEBHOOK_CLAIMS_URL` (`redis://127.0.0.1:6379/` or `postgres://user@host/db`).
//!
//! With TikTok Shop credentials it also keeps the sellers' tokens (in `TOKEN_FILE`, default
//! `tokens.json`, the file the other examples and workers share) in step with authorization
//! events: a seller that deauthorizes the app is forgotten, one whose authorization expires soon
//! is named. That is the receiver's handler: when the token store fails, the notification is
//! answered 500 and its claim released, so TikTok Shop sends it again.

use std::sync::Arc;

use shop_api::runtime::JsonFileStore;
use shop_api_examples::{
    DOUDIAN_PATH, Received, ReceiverConfig, TIKTOK_PATH, TokenStep, connect_claims,
    keep_tokens_in_step, serve,
};

#[tokio::main]
async fn main() {
    let port = match std::env::args()
        .nth(1)
        .or_else(|| std::env::var("WEBHOOK_PORT").ok())
    {
        None => 0,
        Some(p) => match p.trim().parse::<u16>() {
            Ok(p) => p,
            Err(_) => {
                eprintln!("webhook_receiver: `{p}` is not a port number");
                std::process::exit(2);
            }
        },
    };
    let tokens = std::env::var("TOKEN_FILE").unwrap_or_else(|_| "tokens.json".into());
    let tiktok = match (
        std::env::var("TIKTOK_APP_KEY"),
        std::env::var("TIKTOK_APP_SECRET"),
    ) {
        (Ok(key), Ok(secret)) if !key.is_empty() && !secret.is_empty() => {
            shop_api::tiktok::Client::builder(key, secret.as_str())
                .token_store(Arc::new(JsonFileStore::new(tokens)))
                .build()
                .ok()
                .map(Arc::new)
        }
        _ => None,
    };
    let mut config = ReceiverConfig::from_env().with_handler(move |event| {
        let tiktok = tiktok.clone();
        async move {
            // Handle the event here (store it, fetch the order through the API, ...): an error
            // answers the push with 500, and the platform sends it again.
            println!("{}", event.summary());
            if let (Received::Tiktok(n), Some(client)) = (&event, &tiktok) {
                match keep_tokens_in_step(client, n).await? {
                    TokenStep::Nothing => {}
                    TokenStep::Forgotten(sellers) => {
                        println!("  deauthorized: forgot the tokens of {sellers:?}")
                    }
                    TokenStep::ExpiresSoon(sellers) => {
                        println!("  authorization expires soon: ask {sellers:?} to authorize again")
                    }
                }
            }
            Ok::<(), shop_api::runtime::Error>(())
        }
    });
    if let Some(url) = std::env::var("WEBHOOK_CLAIMS_URL")
        .ok()
        .filter(|u| !u.trim().is_empty())
    {
        match connect_claims(url.trim()).await {
            Ok(claims) => {
                println!("claims events in {claims:?}");
                config = config.with_claims(claims);
            }
            Err(e) => {
                eprintln!("webhook_receiver: WEBHOOK_CLAIMS_URL: {e}");
                std::process::exit(1);
            }
        }
    }
    for (name, configured, vars) in [
        (
            "Doudian",
            config.doudian.is_some(),
            "DOUDIAN_APP_KEY / DOUDIAN_APP_SECRET",
        ),
        (
            "TikTok Shop",
            config.tiktok.is_some(),
            "TIKTOK_APP_KEY / TIKTOK_APP_SECRET",
        ),
    ] {
        if !configured {
            eprintln!("webhook_receiver: {vars} not set: {name} pushes will be refused");
        }
    }
    let listener = match tokio::net::TcpListener::bind(("127.0.0.1", port)).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("webhook_receiver: cannot listen on 127.0.0.1:{port}: {e}");
            std::process::exit(1);
        }
    };
    let addr = listener
        .local_addr()
        .expect("a bound listener has an address");
    println!("listening on http://{addr} (POST {DOUDIAN_PATH}, POST {TIKTOK_PATH})");
    if let Err(e) = serve(listener, config).await {
        eprintln!("webhook_receiver: {e}");
        std::process::exit(1);
    }
}
