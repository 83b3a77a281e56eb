//! `shop-api-sandbox`: serve TikTok Shop, Doudian and Douyin offline on 127.0.0.1.

use std::path::PathBuf;

use clap::Parser;
use shop_api_sandbox::{Credentials, SandboxConfig};

/// An offline stand-in of TikTok Shop, Doudian and Douyin, routed from the specs.
#[derive(Parser)]
#[command(name = "shop-api-sandbox", version, about)]
struct Args {
    /// The port on 127.0.0.1 (0 picks a free one).
    #[arg(long, default_value_t = 8080)]
    port: u16,
    /// Serve the specs under this project root's spec/ (default: the specs compiled in).
    #[arg(long)]
    root: Option<PathBuf>,
    /// Lifetime of issued access tokens, in seconds.
    #[arg(long, default_value_t = 7 * 24 * 3600)]
    token_ttl: i64,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt().with_target(false).init();
    let args = Args::parse();
    let mut config = SandboxConfig {
        token_ttl: args.token_ttl,
        ..SandboxConfig::default()
    };
    if let Some(root) = args.root {
        config.root = Some(root);
    }
    let listener = match tokio::net::TcpListener::bind(("127.0.0.1", args.port)).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("error: cannot listen on 127.0.0.1:{}: {e}", args.port);
            return std::process::ExitCode::FAILURE;
        }
    };
    let addr = listener
        .local_addr()
        .map(|a| a.to_string())
        .unwrap_or_default();
    let c = Credentials::default();
    println!("shop-api sandbox on http://{addr}");
    println!(
        "  doudian      base URL http://{addr}/doudian       app key {}  secret {}",
        c.doudian_key, c.doudian_secret
    );
    println!(
        "  tiktok       base URL http://{addr}/tiktok        app key {}  secret {}",
        c.tiktok_key, c.tiktok_secret
    );
    println!(
        "  tiktok auth  base URL http://{addr}/tiktok-auth   (any authorization code is accepted)"
    );
    println!(
        "  douyin       base URL http://{addr}/douyin        client key {}  secret {}",
        c.douyin_key, c.douyin_secret
    );
    println!("(sandbox credentials: not secrets)");
    match shop_api_sandbox::serve(listener, config).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
