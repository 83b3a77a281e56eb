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

use shop_api_examples::{DOUDIAN_PATH, ReceiverConfig, TIKTOK_PATH, serve};

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
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let config = ReceiverConfig::from_env().with_events(tx);
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
    tokio::spawn(async move {
        while let Some(event) = rx.recv().await {
            // Handle the event here (store it, fetch the order through the API, ...).
            println!("{}", event.summary());
        }
    });
    if let Err(e) = serve(listener, config).await {
        eprintln!("webhook_receiver: {e}");
        std::process::exit(1);
    }
}
