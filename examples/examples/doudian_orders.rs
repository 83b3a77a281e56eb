//! Doudian, end to end: a self-use app gets a shop token by itself, then searches the shop's orders.
//!
//! Offline, against the sandbox (`cargo run -p shop-api-sandbox -- --port 8080`):
//!
//! ```sh
//! cargo run -p shop-api-examples --example doudian_orders
//! ```
//!
//! Against the platform: `DOUDIAN_APP_KEY=.. DOUDIAN_APP_SECRET=.. DOUDIAN_SHOP_ID=.. cargo run -p
//! shop-api-examples --example doudian_orders -- https://openapi-fxg.jinritemai.com`.

use shop_api::doudian::{Client, order::OrderSearchListRequest};

#[tokio::main]
async fn main() -> shop_api::Result<()> {
    let base = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "http://127.0.0.1:8080/doudian".into());
    let var = |k: &str, default: &str| std::env::var(k).unwrap_or_else(|_| default.to_owned());
    let client = Client::builder(
        var("DOUDIAN_APP_KEY", "sandbox-doudian-key"),
        var("DOUDIAN_APP_SECRET", "sandbox-doudian-secret"),
    )
    .base_url(base)
    .self_use(true)
    .build()?;
    // One client per app; a cheap handle per shop. The token is created, kept and refreshed for it.
    let shop = client.shop(var("DOUDIAN_SHOP_ID", "4463798"));
    let page = shop
        .order_search_list(&OrderSearchListRequest {
            page: 0,
            size: 20,
            ..Default::default()
        })
        .await?;
    println!(
        "doudian order.searchList: {} order(s) of {}",
        page.shop_order_list.as_ref().map_or(0, Vec::len),
        page.total.unwrap_or_default()
    );
    for o in page.shop_order_list.unwrap_or_default() {
        println!(
            "  order {} status {:?} paid {} fen",
            o.order_id,
            o.order_status,
            o.pay_amount.unwrap_or_default()
        );
    }
    Ok(())
}
