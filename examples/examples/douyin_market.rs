//! Douyin Open Platform, end to end: the client token is fetched by the client itself, then a
//! user's service-market purchases are listed.
//!
//! Offline, against the sandbox (`cargo run -p shop-api-sandbox -- --port 8080`):
//!
//! ```sh
//! cargo run -p shop-api-examples --example douyin_market
//! ```

use shop_api::douyin::{Client, market::MarketServiceUserPurchaseListRequest};

#[tokio::main]
async fn main() -> shop_api::Result<()> {
    let base = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "http://127.0.0.1:8080/douyin".into());
    let var = |k: &str, default: &str| std::env::var(k).unwrap_or_else(|_| default.to_owned());
    let client = Client::builder(
        var("DOUYIN_CLIENT_KEY", "sandbox-douyin-key"),
        var("DOUYIN_CLIENT_SECRET", "sandbox-douyin-secret"),
    )
    .base_url(base)
    .build()?;
    let list = client
        .market_service_user_purchase_list(&MarketServiceUserPurchaseListRequest {
            open_id: var("DOUYIN_OPEN_ID", "sandbox-open-id"),
            service_id: var("DOUYIN_SERVICE_ID", "7000000000000000000"),
            is_test_env: true,
        })
        .await?;
    println!(
        "douyin market.service.user.purchase.list: {} purchase(s)",
        list.purchase_info_list.len()
    );
    for p in &list.purchase_info_list {
        println!("  {:?}", p);
    }
    Ok(())
}
