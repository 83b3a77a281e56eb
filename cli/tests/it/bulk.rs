//! The `shop-api` binary's bulk work, end to end against the sandbox: `--all-pages` (NDJSON, the
//! progress bar, resuming with `--from`) and `--file` uploads.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use serde_json::{Value, json};
use shop_api_sandbox::{Platform, Running, Sandbox, SandboxConfig, Seen, doudian, tiktok};
use tokio::io::{AsyncBufReadExt, BufReader};

const BIN: &str = env!("CARGO_BIN_EXE_shop-api");

struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

fn command(args: &[&str], env: &[(&str, &str)]) -> tokio::process::Command {
    let mut cmd = tokio::process::Command::new(BIN);
    cmd.args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd
}

/// Run the binary with stdout and stderr piped.
async fn run(args: &[&str], env: &[(&str, &str)]) -> Out {
    let out = command(args, env).output().await.expect("the binary runs");
    Out {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

const DD: [(&str, &str); 3] = [
    ("DOUDIAN_APP_KEY", "3409409348479354011"),
    ("DOUDIAN_APP_SECRET", "2ad2355c-01d0-11f8-91dc-05a8cd1054b1"),
    ("DOUDIAN_ACCESS_TOKEN", "DD-TOKEN-123456"),
];

const TT: [(&str, &str); 4] = [
    ("TIKTOK_APP_KEY", "68xu9ks5p4i8"),
    ("TIKTOK_APP_SECRET", "e59af819cc"),
    ("TIKTOK_ACCESS_TOKEN", "TTP-ACCESS-abcdef"),
    ("TIKTOK_SHOP_CIPHER", "ROW_xkMbgAAAeVAQra0eZWebFQq5aIK"),
];

/// Five orders, two a page: `order.searchList` answers pages 0, 1 and 2 (the last holds one).
const ORDERS: [&str; 5] = ["1001", "1002", "1003", "1004", "1005"];
const SIZE: usize = 2;

fn page_of(seen: &Seen) -> usize {
    seen.params["page"].as_u64().expect("a page number") as usize
}

/// The answer for page `n` of [`ORDERS`].
fn orders_page(n: usize) -> shop_api_sandbox::Reply {
    let list: Vec<Value> = ORDERS
        .iter()
        .skip(n * SIZE)
        .take(SIZE)
        .map(|id| json!({"order_id": id, "order_status": 2}))
        .collect();
    doudian::ok(json!({"total": ORDERS.len(), "page": n, "size": SIZE, "shop_order_list": list}))
}

async fn doudian_sandbox() -> Running {
    let server = Sandbox::start(SandboxConfig::default().doudian_app(DD[0].1, DD[1].1))
        .await
        .unwrap();
    server.grant(Platform::Doudian, DD[2].1);
    server
}

/// `shop-api doudian order.searchList --all-pages --param size=2 --base-url .. <extra>`.
fn search_list<'a>(url: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "doudian",
        "order.searchList",
        "--all-pages",
        "--param",
        "size=2",
        "--base-url",
        url,
    ];
    args.extend_from_slice(extra);
    args
}

/// The `order_id`s of NDJSON lines, each checked to be one JSON object.
fn ids(ndjson: &str) -> Vec<String> {
    ndjson
        .lines()
        .map(|line| {
            let item: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
            assert!(item.is_object(), "{line}");
            item["order_id"].as_str().expect("an order id").to_owned()
        })
        .collect()
}

#[tokio::test]
async fn all_pages_prints_every_item_of_a_three_page_answer_as_ndjson_in_order() {
    let server = doudian_sandbox().await;
    server.on("order.searchList", |s| orders_page(page_of(s)));
    let url = server.url(Platform::Doudian);
    let out = run(&search_list(&url, &[]), &DD).await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(ids(&out.stdout), ORDERS);
    // Each item printed as the endpoint's type prints it: compact, one line each.
    assert_eq!(
        out.stdout.lines().next(),
        Some(r#"{"order_id":"1001","order_status":2}"#)
    );
    let pages: Vec<usize> = server
        .seen("order.searchList")
        .iter()
        .map(page_of)
        .collect();
    assert_eq!(pages, [0, 1, 2], "one request a page, the size kept");
    assert!(
        server
            .seen("order.searchList")
            .iter()
            .all(|s| s.params["size"] == 2)
    );
}

#[tokio::test]
async fn an_error_on_page_3_prints_the_resume_flag_and_exits_1_and_from_prints_the_rest() {
    let server = doudian_sandbox().await;
    // The platform fails on the third page until `down` is cleared.
    let down = Arc::new(AtomicBool::new(true));
    let failing = down.clone();
    server.on("order.searchList", move |s| {
        if page_of(s) == 2 && failing.load(Ordering::SeqCst) {
            doudian::err(50002, "isv.business-failed:100", "业务处理失败", "稍后重试")
        } else {
            orders_page(page_of(s))
        }
    });
    let url = server.url(Platform::Doudian);
    let first = run(&search_list(&url, &[]), &DD).await;
    assert_eq!(first.code, 1, "{}", first.stderr);
    assert_eq!(
        ids(&first.stdout),
        ORDERS[..4],
        "the pages before stay printed"
    );
    assert!(first.stderr.contains("code: 50002"), "{}", first.stderr);
    assert!(
        first.stderr.contains("stopped after 4 items"),
        "{}",
        first.stderr
    );
    let flag = first
        .stderr
        .lines()
        .find_map(|l| l.strip_prefix("resume with: "))
        .unwrap_or_else(|| panic!("no resume line in {}", first.stderr));
    assert_eq!(flag, "--from page=2");

    down.store(false, Ordering::SeqCst);
    let mut extra: Vec<&str> = flag.split(' ').collect();
    extra.retain(|a| !a.is_empty());
    let rest = run(&search_list(&url, &extra), &DD).await;
    assert_eq!(rest.code, 0, "{}", rest.stderr);
    assert_eq!(ids(&rest.stdout), ORDERS[4..]);
    let whole: Vec<String> = ids(&first.stdout)
        .into_iter()
        .chain(ids(&rest.stdout))
        .collect();
    assert_eq!(
        whole, ORDERS,
        "the two runs together print every order once"
    );
    let pages: Vec<usize> = server
        .seen("order.searchList")
        .iter()
        .map(page_of)
        .collect();
    assert_eq!(pages, [0, 1, 2, 2]);
}

#[tokio::test]
async fn a_cursor_endpoint_stopped_by_an_error_resumes_from_its_cursor() {
    let server = Sandbox::start(SandboxConfig::default().tiktok_app(TT[0].1, TT[1].1))
        .await
        .unwrap();
    server.grant(Platform::Tiktok, TT[2].1);
    // The platform fails on the third page until `down` is cleared (the retries of a read find it
    // failing too).
    let down = Arc::new(AtomicBool::new(true));
    let failing = down.clone();
    // Three pages: no cursor, then `c1`, then `c2/=+` (a token as platforms give them).
    server.on("order.search", move |s| {
        let (orders, next) = match s.query("page_token").unwrap_or_default() {
            "" => (["o1", "o2"], "c1"),
            "c1" => (["o3", "o4"], "c2/=+"),
            "c2/=+" if failing.load(Ordering::SeqCst) => {
                return tiktok::err(500, 36009003, "Internal error");
            }
            "c2/=+" => (["o5", "o6"], ""),
            other => panic!("unexpected cursor {other}"),
        };
        let orders: Vec<Value> = orders.iter().map(|id| json!({"id": id})).collect();
        tiktok::ok(json!({"orders": orders, "next_page_token": next, "total_count": 6}))
    });
    let url = server.url(Platform::Tiktok);
    let args = |extra: &[&'static str]| {
        let mut a: Vec<String> = [
            "tiktok",
            "order.search",
            "--all-pages",
            "--param",
            "page_size=2",
            "--base-url",
            &url,
        ]
        .map(str::to_owned)
        .to_vec();
        a.extend(extra.iter().map(|s| (*s).to_owned()));
        a
    };
    let first_args = args(&[]);
    let first = run(
        &first_args.iter().map(String::as_str).collect::<Vec<_>>(),
        &TT,
    )
    .await;
    assert_eq!(first.code, 1, "{}", first.stderr);
    let printed: Vec<Value> = first
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(printed.len(), 4);
    assert!(
        first.stderr.contains("resume with: --from cursor=c2/=+"),
        "{}",
        first.stderr
    );
    down.store(false, Ordering::SeqCst);
    let rest_args = args(&["--from", "cursor=c2/=+"]);
    let rest = run(
        &rest_args.iter().map(String::as_str).collect::<Vec<_>>(),
        &TT,
    )
    .await;
    assert_eq!(rest.code, 0, "{}", rest.stderr);
    let ids: Vec<Value> = rest
        .stdout
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap()["id"].clone())
        .collect();
    assert_eq!(ids, [json!("o5"), json!("o6")]);
    let cursors: Vec<Option<String>> = server
        .seen("order.search")
        .iter()
        .map(|s| s.query("page_token").map(str::to_owned))
        .collect();
    // The first page goes without a cursor; the server error was retried (reads are idempotent)
    // before the run gave up on it.
    assert_eq!(cursors.first(), Some(&None));
    assert_eq!(cursors.last(), Some(&Some("c2/=+".to_owned())));
}

#[tokio::test]
async fn all_pages_on_an_endpoint_without_pagination_is_a_usage_error_naming_it() {
    let server = doudian_sandbox().await;
    let url = server.url(Platform::Doudian);
    let cases: [(&[&str], &str); 4] = [
        (
            &[
                "doudian",
                "order.orderDetail",
                "--all-pages",
                "--param",
                "shop_order_id=1",
            ],
            "order.orderDetail is not paged",
        ),
        (
            &[
                "doudian",
                "order.searchList",
                "--all-pages",
                "--param",
                "size=2",
                "--from",
                "cursor=abc",
            ],
            "order.searchList pages by page number: use --from page=N",
        ),
        (
            &[
                "doudian",
                "order.searchList",
                "--param",
                "size=2",
                "--from",
                "page=3",
            ],
            "--all-pages",
        ),
        (
            &[
                "doudian",
                "order.searchList",
                "--all-pages",
                "--param",
                "size=2",
                "--from",
                "offset=3",
            ],
            "give page=N or cursor=TOKEN",
        ),
    ];
    for (args, want) in cases {
        let mut args = args.to_vec();
        args.extend(["--base-url", url.as_str()]);
        let out = run(&args, &DD).await;
        assert_eq!(out.code, 2, "{args:?}: {}", out.stderr);
        assert!(
            out.stderr.contains(want),
            "{args:?}: `{want}` in {}",
            out.stderr
        );
    }
    let douyin = run(
        &["douyin", "market.service.user.purchase.list", "--all-pages"],
        &[
            ("DOUYIN_CLIENT_KEY", "ck"),
            ("DOUYIN_CLIENT_SECRET", "cs"),
            ("DOUYIN_ACCESS_TOKEN", "t"),
        ],
    )
    .await;
    assert_eq!(douyin.code, 2, "{}", douyin.stderr);
    assert!(
        douyin
            .stderr
            .contains("market.service.user.purchase.list is not paged"),
        "{}",
        douyin.stderr
    );
    assert!(server.all_seen().is_empty(), "nothing was sent");
}

#[tokio::test]
async fn items_are_written_as_each_page_arrives_not_at_the_end() {
    let server = doudian_sandbox().await;
    // The second page takes a while: the first page's items must be out before it comes.
    server.on("order.searchList", |s| {
        let n = page_of(s);
        let reply = orders_page(n);
        if n == 1 {
            reply.delay(Duration::from_secs(4))
        } else {
            reply
        }
    });
    let url = server.url(Platform::Doudian);
    let mut child = command(&search_list(&url, &[]), &DD)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut early = Vec::new();
    for _ in 0..SIZE {
        let line = tokio::time::timeout(Duration::from_millis(3500), lines.next_line())
            .await
            .expect("the first page's items come before the second page is answered")
            .unwrap()
            .expect("a line");
        early.push(line);
    }
    assert!(
        child.try_wait().unwrap().is_none(),
        "still waiting for the second page"
    );
    assert_eq!(ids(&early.join("\n")), ORDERS[..SIZE]);
    let mut rest = Vec::new();
    while let Some(line) = lines.next_line().await.unwrap() {
        rest.push(line);
    }
    assert!(child.wait().await.unwrap().success());
    assert_eq!(ids(&rest.join("\n")), ORDERS[SIZE..]);
}

#[tokio::test]
async fn ctrl_c_mid_way_prints_the_flag_that_resumes_at_the_page_in_flight() {
    let server = doudian_sandbox().await;
    // The second page never comes in time: Ctrl-C while it is awaited.
    server.on("order.searchList", |s| {
        let n = page_of(s);
        let reply = orders_page(n);
        if n == 1 {
            reply.delay(Duration::from_secs(30))
        } else {
            reply
        }
    });
    let url = server.url(Platform::Doudian);
    let mut child = command(&search_list(&url, &[]), &DD)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    for _ in 0..SIZE {
        tokio::time::timeout(Duration::from_secs(10), lines.next_line())
            .await
            .expect("the first page's items")
            .unwrap()
            .expect("a line");
    }
    // The request of the second page is out once the server has seen it.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while server.count("order.searchList") < 2 {
        assert!(
            std::time::Instant::now() < deadline,
            "the second page is asked for"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let pid = child.id().unwrap().to_string();
    let sent = std::process::Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .unwrap();
    assert!(sent.success());
    let out = tokio::time::timeout(Duration::from_secs(10), child.wait_with_output())
        .await
        .expect("it stops at once")
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("interrupted"), "{stderr}");
    assert!(stderr.contains("resume with: --from page=1"), "{stderr}");
}

/// `'text'` for `sh`.
fn sh_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

#[tokio::test]
async fn the_progress_bar_is_drawn_on_stderr_when_it_is_a_terminal() {
    let server = doudian_sandbox().await;
    server.on("order.searchList", |s| orders_page(page_of(s)));
    let url = server.url(Platform::Doudian);
    let dir = std::env::temp_dir().join(format!("shop-api-bar-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let ndjson = dir.join("orders.ndjson");
    // `script` runs the command on a pseudo-terminal: stderr is a terminal, stdout goes to a file,
    // as in `shop-api ... --all-pages > orders.ndjson` typed in a terminal. What the terminal
    // received is `script`'s own output.
    let line = std::iter::once(BIN)
        .chain(search_list(&url, &[]))
        .map(sh_quote)
        .collect::<Vec<_>>()
        .join(" ");
    let line = format!("{line} > {}", sh_quote(&ndjson.display().to_string()));
    let mut env = DD.to_vec();
    env.push(("TERM", "xterm-256color"));
    let mut cmd = tokio::process::Command::new("script");
    cmd.args(["-qec", &line, "/dev/null"])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .stdin(std::process::Stdio::null());
    for (k, v) in &env {
        cmd.env(k, v);
    }
    let out = cmd.output().await.expect("script (util-linux) runs");
    let terminal = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{terminal}");
    for want in ["order.searchList", "5/5 items", "3 pages"] {
        assert!(terminal.contains(want), "`{want}` in {terminal:?}");
    }
    assert_eq!(ids(&std::fs::read_to_string(&ndjson).unwrap()), ORDERS);
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn the_progress_bar_is_absent_when_stderr_is_a_pipe() {
    let server = doudian_sandbox().await;
    server.on("order.searchList", |s| orders_page(page_of(s)));
    let url = server.url(Platform::Doudian);
    let out = run(&search_list(&url, &[]), &DD).await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.stderr, "", "nothing at all on a piped stderr");
    assert!(
        !out.stdout.contains('\u{1b}'),
        "no escape sequence in the items"
    );
    assert_eq!(ids(&out.stdout), ORDERS);
}

async fn tiktok_sandbox() -> Running {
    let server = Sandbox::start(SandboxConfig::default().tiktok_app(TT[0].1, TT[1].1))
        .await
        .unwrap();
    server.grant(Platform::Tiktok, TT[2].1);
    server
}

#[tokio::test]
async fn file_sends_a_multipart_body_whose_file_part_holds_the_files_bytes() {
    let server = tiktok_sandbox().await;
    server.on("product.upload_image", |_| {
        tiktok::ok(json!({"uri": "tos-maliva-i-o3syd03w52-us/c668cdf7", "width": 2, "height": 1, "use_case": "MAIN_IMAGE"}))
    });
    let dir = std::env::temp_dir().join(format!("shop-api-upload-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let photo = dir.join("shoe photo.PNG");
    // Bytes that are no text: the part carries them as they are.
    let bytes: Vec<u8> = b"\x89PNG\r\n\x1a\n\x00\xff\xfe-pixels"
        .iter()
        .copied()
        .chain(0u8..=255)
        .collect();
    std::fs::write(&photo, &bytes).unwrap();
    let file = format!("data=@{}", photo.display());
    let url = server.url(Platform::Tiktok);
    let out = run(
        &[
            "tiktok",
            "product.upload_image",
            "--file",
            &file,
            "--param",
            "use_case=MAIN_IMAGE",
            "--base-url",
            &url,
        ],
        &TT,
    )
    .await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    let data: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(data["uri"], "tos-maliva-i-o3syd03w52-us/c668cdf7");

    let seen = server.seen("product.upload_image");
    assert_eq!(seen.len(), 1);
    let s = &seen[0];
    let content_type = s.content_type().unwrap_or_default();
    let boundary = content_type
        .strip_prefix("multipart/form-data; boundary=")
        .unwrap_or_else(|| panic!("{content_type}"));
    // Split the body into its parts: (headers, content).
    let delimiter = format!("--{boundary}");
    let parts: Vec<(String, Vec<u8>)> = split(&s.body, delimiter.as_bytes())
        .into_iter()
        .filter_map(|chunk| {
            let chunk = chunk.strip_prefix(b"\r\n")?;
            let end = find(chunk, b"\r\n\r\n")?;
            let headers = String::from_utf8_lossy(&chunk[..end]).into_owned();
            let content = chunk[end + 4..].strip_suffix(b"\r\n")?.to_vec();
            Some((headers, content))
        })
        .collect();
    let part = |name: &str| {
        parts
            .iter()
            .find(|(h, _)| h.contains(&format!("name=\"{name}\"")))
            .unwrap_or_else(|| panic!("no part {name} in {parts:?}"))
    };
    let (headers, content) = part("data");
    assert_eq!(content, &bytes, "the file part holds the file's bytes");
    assert!(
        headers.contains("filename=\"shoe photo.PNG\""),
        "the file name is the path's: {headers}"
    );
    assert!(
        headers
            .to_ascii_lowercase()
            .contains("content-type: image/png"),
        "the content type is the extension's: {headers}"
    );
    assert_eq!(part("use_case").1, b"MAIN_IMAGE");
    assert_eq!(
        parts
            .iter()
            .filter(|(h, _)| h.contains("name=\"data\""))
            .count(),
        1,
        "the file replaces the text field"
    );
    let _ = std::fs::remove_dir_all(dir);
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn split<'a>(mut hay: &'a [u8], sep: &[u8]) -> Vec<&'a [u8]> {
    let mut out = Vec::new();
    while let Some(at) = find(hay, sep) {
        out.push(&hay[..at]);
        hay = &hay[at + sep.len()..];
    }
    out.push(hay);
    out
}

#[tokio::test]
async fn file_on_a_json_endpoint_is_refused_and_an_upload_asks_for_its_file() {
    let server = tiktok_sandbox().await;
    let url = server.url(Platform::Tiktok);
    let dir = std::env::temp_dir().join(format!("shop-api-refused-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let photo = dir.join("a.jpg");
    std::fs::write(&photo, b"jpeg").unwrap();
    let file = format!("data=@{}", photo.display());
    let wrong = format!("image=@{}", photo.display());
    let cases: [(&[&str], &str); 5] = [
        (
            &["order.search", "--param", "page_size=2", "--file", &file],
            "order.search takes a JSON body, not a file",
        ),
        (
            &["product.upload_image"],
            "give each file with --file PART=@PATH",
        ),
        (
            &["product.upload_image", "--file", &wrong],
            "--file image: product.upload_image has no field `image`",
        ),
        (
            &["product.upload_image", "--file", "data=a.jpg"],
            "is not PART=@PATH",
        ),
        (
            &["product.upload_image", "--file", "data=@/nonexistent/a.jpg"],
            "cannot read /nonexistent/a.jpg",
        ),
    ];
    for (args, want) in cases {
        let mut args = [&["tiktok"], args].concat();
        args.extend(["--base-url", url.as_str()]);
        let out = run(&args, &TT).await;
        assert_eq!(out.code, 2, "{args:?}: {}", out.stderr);
        assert!(
            out.stderr.contains(want),
            "{args:?}: `{want}` in {}",
            out.stderr
        );
    }
    // The refusal of a JSON endpoint names the platform's upload endpoints.
    let out = run(
        &[
            "tiktok",
            "order.search",
            "--file",
            &file,
            "--base-url",
            &url,
        ],
        &TT,
    )
    .await;
    assert!(
        out.stderr.contains("product.upload_image"),
        "{}",
        out.stderr
    );
    assert!(server.all_seen().is_empty(), "nothing was sent");
    let _ = std::fs::remove_dir_all(dir);
}
