//! The command line's shared vocabulary: the platforms, the arguments of an endpoint call, the
//! failures and their exit codes, and how output is written. Every other module of the CLI
//! builds on this one; it imports none of them.

use clap::{Args, ValueEnum};
use shop_api::runtime::PageKey;

/// The platforms.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Platform {
    /// TikTok Shop.
    Tiktok,
    /// Doudian (抖店).
    Doudian,
    /// Douyin Open Platform.
    Douyin,
}

/// Arguments of an endpoint call.
#[derive(Args)]
pub struct CallArgs {
    /// The endpoint's name as in the spec (`order.searchList`); `shop-api list` shows them.
    pub endpoint: String,
    /// The request as a JSON object.
    #[arg(long)]
    pub json: Option<String>,
    /// One request field, `key=value`; the value is parsed as JSON when it parses, else taken as text.
    /// Merged over `--json`.
    #[arg(long = "param", value_name = "KEY=VALUE")]
    pub params: Vec<String>,
    /// Send to this base URL (a local server, a proxy) instead of the platform's.
    #[arg(long)]
    pub base_url: Option<String>,
    /// Use the platform's sandbox host.
    #[arg(long)]
    pub sandbox: bool,
    /// Print the signed request (token and signature masked) instead of sending it.
    #[arg(long)]
    pub dry_run: bool,
    /// Request timeout in seconds.
    #[arg(long, default_value_t = 30)]
    pub timeout: u64,
    /// Send through this HTTP(S) proxy (`http://host:port`); without it, the `HTTPS_PROXY` /
    /// `HTTP_PROXY` variables apply as usual.
    #[arg(long, value_name = "URL")]
    pub proxy: Option<String>,
    /// Fetch every page of a paged endpoint and print each item as one line of JSON (NDJSON), as
    /// the pages arrive; a progress bar goes to stderr when it is a terminal. On an error, the
    /// `--from` flag that resumes at the page that failed is printed (exit 1).
    #[arg(long)]
    pub all_pages: bool,
    /// With --all-pages: start at this page number or cursor, as a run that stopped printed it.
    #[arg(long, value_name = "page=N|cursor=TOKEN", requires = "all_pages", value_parser = parse_from)]
    pub from: Option<PageKey>,
    /// A file of an upload endpoint (flag `multipart`): the form part's name and the file's path,
    /// `data=@photo.jpg` (repeat for each file). Its file name and content type are the path's.
    #[arg(long = "file", value_name = "PART=@PATH")]
    pub files: Vec<String>,
}

/// A failure, with the exit code it gives.
pub enum Failure {
    /// A usage error: exit 2, nothing sent.
    Usage(String),
    /// The call failed: exit 1.
    Call(shop_api::Error),
    /// A check failed (a webhook that does not verify): exit 1.
    Rejected(String),
    /// Interrupted (Ctrl-C): exit 130.
    Interrupted,
    /// `--all-pages` stopped part-way: the failure, the `--from` flag that resumes at the page
    /// that failed (`None` when it was the first page of a cursor endpoint), and how many items
    /// were printed before it.
    Stopped {
        /// What failed.
        failure: Box<Failure>,
        /// `--from page=7`, `--from cursor=XYZ`.
        resume: Option<String>,
        /// The items printed before.
        printed: u64,
    },
}

impl From<shop_api::Error> for Failure {
    fn from(e: shop_api::Error) -> Self {
        Failure::Call(e)
    }
}

/// `--from page=N` or `--from cursor=TOKEN` (clap's value parser).
pub fn parse_from(text: &str) -> Result<PageKey, String> {
    match text.split_once('=') {
        Some(("page", n)) => n
            .trim()
            .parse::<i64>()
            .map(PageKey::Number)
            .map_err(|_| format!("`{n}` is not a page number")),
        Some(("cursor", c)) if !c.is_empty() => Ok(PageKey::Cursor(c.to_owned())),
        _ => Err("give page=N or cursor=TOKEN".into()),
    }
}

/// Print `text` and a newline on stdout. A reader that went away (`shop-api ... | head`) ends the
/// program quietly, with success: what it wanted was written.
pub fn emit(text: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    if let Err(e) = writeln!(out, "{text}").and_then(|()| out.flush()) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("error: cannot write the output: {e}");
        std::process::exit(1);
    }
}
