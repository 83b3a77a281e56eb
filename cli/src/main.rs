//! `shop-api`: call any endpoint of TikTok Shop, Doudian or Douyin from the command line.
//!
//! The endpoints come from the generated code (each platform's endpoint list and metadata
//! table), so an endpoint added as YAML is callable here after `cargo xtask gen`, without
//! touching this crate. The modules build on one another one way: `args` (the shared vocabulary)
//! below `env`, `upload` and `endpoint`, those below `pages`, and `call` on top.

mod args;
mod call;
mod endpoint;
mod env;
mod pages;
mod upload;

use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};

use shop_api::{doudian, douyin, tiktok};

use crate::args::{CallArgs, Failure, Platform, emit};
use crate::env::Env;

/// Call TikTok Shop, Doudian (抖店) and Douyin Open Platform endpoints from the specs.
#[derive(Parser)]
#[command(name = "shop-api", version, about, long_about = None, after_help = env::HELP)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
    /// Read credentials from this profile of the profile file (see below).
    #[arg(long, global = true)]
    profile: Option<String>,
}

#[derive(Subcommand)]
enum Cmd {
    /// Call a TikTok Shop endpoint: `shop-api tiktok order.search --param page_size=20`.
    Tiktok(CallArgs),
    /// Call a Doudian endpoint: `shop-api doudian order.searchList --param page=0 --param size=20`.
    Doudian(CallArgs),
    /// Call a Douyin Open Platform endpoint: `shop-api douyin market.service.user.purchase.list ...`.
    Douyin(CallArgs),
    /// List the endpoints: platform, name, HTTP method and path, summary.
    List {
        /// Only this platform.
        platform: Option<Platform>,
    },
    /// Show an endpoint: method and path, summary, doc link, and its request and response
    /// fields with types, required, where they travel and docs: `shop-api describe doudian order.searchList`.
    Describe {
        /// The platform.
        platform: Platform,
        /// The endpoint's name as in the spec (`shop-api list` shows them).
        endpoint: String,
    },
    /// Print the URL a seller opens to authorize the app.
    AuthLink {
        #[command(subcommand)]
        platform: AuthLink,
    },
    /// Exchange an authorization code, or refresh a token, and print the result.
    Token {
        #[command(subcommand)]
        platform: Token,
    },
    /// Webhooks: `shop-api webhook verify <platform> --header 'K: V' ... --body-file F`.
    Webhook {
        #[command(subcommand)]
        cmd: Webhook,
    },
    /// Print the completion script of a shell: `shop-api completions bash > ~/.local/share/bash-completion/completions/shop-api`.
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
}

#[derive(Subcommand)]
enum Webhook {
    /// Verify a received push and print its decoded events as JSON (exit 0), or the reason it
    /// does not verify (exit 1). Credentials from the same variables as the calls.
    Verify {
        /// The platform that sent it.
        platform: Platform,
        /// A header of the push, `Name: value` (repeat for each).
        #[arg(long = "header", value_name = "NAME: VALUE")]
        headers: Vec<String>,
        /// The file holding the raw body, byte for byte (`-` for standard input).
        #[arg(long)]
        body_file: String,
    },
}

#[derive(Subcommand)]
enum AuthLink {
    /// TikTok Shop: the seller authorization page of a service.
    Tiktok {
        /// The service id from Partner Center (not the app key).
        #[arg(long)]
        service_id: String,
        /// Use the US authorization host.
        #[arg(long)]
        us: bool,
        /// An opaque value returned to your redirect URL.
        #[arg(long)]
        state: Option<String>,
    },
    /// Doudian: the service-market authorization page of a tool app.
    Doudian {
        /// The service id of the app in the service market.
        #[arg(long)]
        service_id: String,
        /// An opaque value returned to your redirect URL.
        #[arg(long)]
        state: Option<String>,
    },
    /// Douyin: the OAuth connect page (needs DOUYIN_CLIENT_KEY).
    Douyin {
        /// Comma-separated scopes (`user_info`).
        #[arg(long)]
        scope: String,
        /// Where Douyin redirects with the code.
        #[arg(long)]
        redirect_uri: String,
        /// An opaque value returned to the redirect URL.
        #[arg(long)]
        state: Option<String>,
    },
}

#[derive(Subcommand)]
enum Token {
    /// TikTok Shop: `--code` (the auth code of the redirect) or `--refresh-token`.
    Tiktok {
        /// Exchange this authorization code (`-`: read it from stdin; or `SHOP_API_CODE`).
        #[arg(
            long,
            env = "SHOP_API_CODE",
            hide_env_values = true,
            conflicts_with = "refresh_token"
        )]
        code: Option<String>,
        /// Refresh with this refresh token (`-`: read it from stdin; or `SHOP_API_REFRESH_TOKEN`,
        /// which `ps` does not show).
        #[arg(long, env = "SHOP_API_REFRESH_TOKEN", hide_env_values = true)]
        refresh_token: Option<String>,
        /// Send to this auth host instead of the platform's.
        #[arg(long)]
        base_url: Option<String>,
    },
    /// Doudian: `--shop-id` (self-use app), `--code` (tool app) or `--refresh-token`.
    Doudian {
        /// Create a token for this shop (self-use apps, `authorization_self`).
        #[arg(long, conflicts_with_all = ["code", "refresh_token"])]
        shop_id: Option<String>,
        /// Exchange this authorization code (tool apps; `-`: read it from stdin; or `SHOP_API_CODE`).
        #[arg(
            long,
            env = "SHOP_API_CODE",
            hide_env_values = true,
            conflicts_with = "refresh_token"
        )]
        code: Option<String>,
        /// Refresh with this refresh token (`-`: read it from stdin; or `SHOP_API_REFRESH_TOKEN`,
        /// which `ps` does not show).
        #[arg(long, env = "SHOP_API_REFRESH_TOKEN", hide_env_values = true)]
        refresh_token: Option<String>,
        /// Send to this base URL instead of the platform's.
        #[arg(long)]
        base_url: Option<String>,
    },
    /// Douyin: `--code` (user token), `--refresh-token`, or `--client` (client token).
    Douyin {
        /// Exchange this authorization code (`-`: read it from stdin; or `SHOP_API_CODE`).
        #[arg(long, env = "SHOP_API_CODE", hide_env_values = true, conflicts_with_all = ["refresh_token", "client"])]
        code: Option<String>,
        /// Refresh with this refresh token (`-`: read it from stdin; or `SHOP_API_REFRESH_TOKEN`,
        /// which `ps` does not show).
        #[arg(
            long,
            env = "SHOP_API_REFRESH_TOKEN",
            hide_env_values = true,
            conflicts_with = "client"
        )]
        refresh_token: Option<String>,
        /// Get a client token (client_credential).
        #[arg(long)]
        client: bool,
        /// Send to this base URL instead of the platform's.
        #[arg(long)]
        base_url: Option<String>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let env = match Env::load(cli.profile.as_deref()) {
        Ok(env) => env,
        Err(msg) => return fail(Failure::Usage(msg)),
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            return fail(Failure::Usage(format!(
                "cannot start the async runtime: {e}"
            )));
        }
    };
    let result = runtime.block_on(async {
        match cli.cmd {
            Cmd::Tiktok(args) => call::run(Platform::Tiktok, &env, &args).await,
            Cmd::Doudian(args) => call::run(Platform::Doudian, &env, &args).await,
            Cmd::Douyin(args) => call::run(Platform::Douyin, &env, &args).await,
            Cmd::Completions { shell } => {
                let mut script = Vec::new();
                clap_complete::generate(shell, &mut Cli::command(), "shop-api", &mut script);
                emit(String::from_utf8_lossy(&script).trim_end());
                Ok(())
            }
            Cmd::Describe { platform, endpoint } => {
                call::describe(platform, &endpoint).map(|text| emit(text.trim_end()))
            }
            Cmd::List { platform } => {
                let (table, counts) = call::list(platform);
                emit(table.trim_end());
                // The counts go to stderr: the table on stdout stays one endpoint per line.
                eprint!("{counts}");
                Ok(())
            }
            Cmd::Webhook {
                cmd:
                    Webhook::Verify {
                        platform,
                        headers,
                        body_file,
                    },
            } => call::webhook_verify(&env, platform, &headers, &body_file),
            Cmd::AuthLink { platform } => auth_link(&env, platform).map(|url| emit(&url)),
            Cmd::Token { platform } => match platform {
                Token::Tiktok {
                    code,
                    refresh_token,
                    base_url,
                } => {
                    let (code, refresh_token) = (from_stdin(code)?, from_stdin(refresh_token)?);
                    call::tiktok_token(&env, code, refresh_token, base_url).await
                }
                Token::Doudian {
                    shop_id,
                    code,
                    refresh_token,
                    base_url,
                } => {
                    let (code, refresh_token) = (from_stdin(code)?, from_stdin(refresh_token)?);
                    call::doudian_token(&env, shop_id, code, refresh_token, base_url).await
                }
                Token::Douyin {
                    code,
                    refresh_token,
                    client,
                    base_url,
                } => {
                    let (code, refresh_token) = (from_stdin(code)?, from_stdin(refresh_token)?);
                    call::douyin_token(&env, code, refresh_token, client, base_url).await
                }
            },
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => fail(f),
    }
}

/// A secret argument given as `-` is read from the first line of stdin, so it shows neither in
/// `ps` nor in the shell's history.
fn from_stdin(value: Option<String>) -> Result<Option<String>, Failure> {
    match value.as_deref() {
        Some("-") => {
            let mut line = String::new();
            std::io::stdin()
                .read_line(&mut line)
                .map_err(|e| Failure::Usage(format!("cannot read the value from stdin: {e}")))?;
            let line = line.trim();
            if line.is_empty() {
                return Err(Failure::Usage("stdin held no value".into()));
            }
            Ok(Some(line.to_owned()))
        }
        _ => Ok(value),
    }
}

fn auth_link(env: &Env, link: AuthLink) -> Result<String, Failure> {
    // The URLs are the library's: the CLI builds none itself.
    Ok(match link {
        AuthLink::Tiktok {
            service_id,
            us,
            state,
        } => tiktok::authorization_url(&service_id, state.as_deref().unwrap_or_default(), us),
        AuthLink::Doudian { service_id, state } => {
            doudian::authorization_url(&service_id, state.as_deref().unwrap_or_default())
        }
        AuthLink::Douyin {
            scope,
            redirect_uri,
            state,
        } => douyin::authorization_url(
            &env.require("DOUYIN_CLIENT_KEY")?,
            &scope,
            &redirect_uri,
            state.as_deref().unwrap_or_default(),
        ),
    })
}

fn fail(f: Failure) -> ExitCode {
    match f {
        Failure::Usage(msg) => {
            eprintln!("error: {msg}");
            ExitCode::from(2)
        }
        Failure::Call(shop_api::Error::Api(e)) => {
            eprintln!("error: {} {} failed", e.platform, e.endpoint);
            eprintln!("  code: {}", e.code);
            if let Some(s) = &e.sub_code {
                eprintln!("  sub_code: {s}");
            }
            eprintln!("  message: {}", e.message);
            if let Some(s) = &e.sub_message {
                eprintln!("  sub_message: {s}");
            }
            if let Some(id) = &e.request_id {
                eprintln!("  request_id: {id}");
            }
            eprintln!("  kind: {:?}", e.kind);
            ExitCode::from(1)
        }
        Failure::Call(e) => {
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
        Failure::Rejected(msg) => {
            eprintln!("error: {msg}");
            ExitCode::from(1)
        }
        Failure::Interrupted => {
            eprintln!("interrupted");
            ExitCode::from(130)
        }
        Failure::Stopped {
            failure,
            resume,
            printed,
        } => {
            let code = fail(*failure);
            eprintln!(
                "stopped after {printed} item{}",
                if printed == 1 { "" } else { "s" }
            );
            match resume {
                Some(flag) => eprintln!("resume with: {flag}"),
                None => eprintln!("resume with: the same command (the first page failed)"),
            }
            code
        }
    }
}
