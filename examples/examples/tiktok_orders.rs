//! TikTok Shop, end to end: exchange the seller's authorization code, list the authorized shops,
//! then search one shop's orders.
//!
//! Offline, against the sandbox (`cargo run -p shop-api-sandbox -- --port 8080`):
//!
//! ```sh
//! cargo run -p shop-api-examples --example tiktok_orders
//! ```

use shop_api::tiktok::{
    Client, authorization::AuthorizationShopsRequest, order::OrderSearchRequest,
};

#[tokio::main]
async fn main() -> shop_api::Result<()> {
    let base = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "http://127.0.0.1:8080/tiktok".into());
    let auth = std::env::args()
        .nth(2)
        .unwrap_or_else(|| format!("{}-auth", base.trim_end_matches('/')));
    let var = |k: &str, default: &str| std::env::var(k).unwrap_or_else(|_| default.to_owned());
    let client = Client::builder(
        var("TIKTOK_APP_KEY", "sandbox-tiktok-key"),
        var("TIKTOK_APP_SECRET", "sandbox-tiktok-secret"),
    )
    .base_url(base)
    .auth_base_url(auth)
    .build()?;
    let seller = client
        .authorize(&var("TIKTOK_AUTH_CODE", "sandbox-auth-code"))
        .await?;
    println!(
        "tiktok token.get: seller {} ({})",
        seller.seller_name, seller.open_id
    );
    let as_seller = client.seller(&seller.open_id);
    let shops = as_seller
        .authorization_shops(&AuthorizationShopsRequest {})
        .await?;
    let shops = shops.shops.unwrap_or_default();
    println!("tiktok authorization.shops: {} shop(s)", shops.len());
    let Some(cipher) = shops.first().map(|s| s.cipher.clone()) else {
        return Ok(());
    };
    let page = as_seller
        .with_shop_cipher(cipher)
        .order_search(&OrderSearchRequest {
            page_size: 20,
            ..Default::default()
        })
        .await?;
    for o in page.orders.unwrap_or_default() {
        println!("  order {} status {}", o.id, o.status);
    }
    Ok(())
}
