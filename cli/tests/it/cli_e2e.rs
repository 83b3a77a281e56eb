//! The `shop-api` binary end to end, against the sandbox on 127.0.0.1, which checks what it
//! receives (path, query, signature, token header, body), and its error paths.

use serde_json::{Value, json};
use shop_api_sandbox::{
    Credentials, Platform, Running, Sandbox, SandboxConfig, doudian, douyin, tiktok,
};

struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

async fn run(args: &[&str], env: &[(&str, &str)]) -> Out {
    run_with_stdin(args, env, "").await
}

async fn run_with_stdin(args: &[&str], env: &[(&str, &str)], stdin: &str) -> Out {
    use tokio::io::AsyncWriteExt;
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_shop-api"));
    cmd.args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("the binary runs");
    let mut input = child.stdin.take().expect("stdin");
    input.write_all(stdin.as_bytes()).await.unwrap();
    drop(input);
    let out = child.wait_with_output().await.expect("the binary runs");
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

/// The sandbox with the Doudian app of [`DD`] and its token; `order.orderDetail` fails as a
/// business error, `order.searchList` answers one order.
async fn doudian_server() -> Running {
    let platform = Sandbox::start(SandboxConfig::default().doudian_app(DD[0].1, DD[1].1))
        .await
        .unwrap();
    platform.grant(Platform::Doudian, DD[2].1);
    platform.on("order.orderDetail", |_| {
        doudian::err(
            50002,
            "isv.business-failed:100",
            "业务处理失败",
            "订单不存在",
        )
    });
    platform.on("order.searchList", |s| {
        assert_eq!(s.token.as_deref(), Some(DD[2].1));
        doudian::ok(json!({"total": 1, "page": 0, "size": 20, "shop_order_list": [{"order_id": 6921888888888888888u64}]}))
    });
    platform
}

#[tokio::test]
async fn doudian_call_is_signed_and_prints_data() {
    let server = doudian_server().await;
    for method in ["hmac-sha256", "md5"] {
        let mut env = DD.to_vec();
        env.push(("DOUDIAN_SIGN_METHOD", method));
        let out = run(
            &[
                "doudian",
                "order.searchList",
                "--json",
                r#"{"page":0}"#,
                "--param",
                "size=20",
                "--param",
                "product=测试<&>",
                "--base-url",
                &server.url(Platform::Doudian),
            ],
            &env,
        )
        .await;
        assert_eq!(out.code, 0, "{}", out.stderr);
        let data: Value = serde_json::from_str(&out.stdout).unwrap();
        assert_eq!(
            data["shop_order_list"][0]["order_id"],
            "6921888888888888888"
        );
        assert_eq!(data["total"], 1);
    }
    let seen = server.seen("order.searchList");
    let body: Value = serde_json::from_slice(&seen[0].body).unwrap();
    assert_eq!(body, json!({"page": 0, "size": 20, "product": "测试<&>"}));
    assert_eq!(
        String::from_utf8_lossy(&seen[0].body),
        r#"{"page":0,"product":"测试<&>","size":20}"#,
        "canonical param_json"
    );
}

#[tokio::test]
async fn a_platform_error_goes_to_stderr_with_exit_1() {
    let server = doudian_server().await;
    let out = run(
        &[
            "doudian",
            "order.orderDetail",
            "--param",
            "shop_order_id=1",
            "--base-url",
            &server.url(Platform::Doudian),
        ],
        &DD,
    )
    .await;
    assert_eq!(out.code, 1);
    assert!(out.stdout.is_empty());
    for want in [
        "code: 50002",
        "sub_code: isv.business-failed:100",
        "message: 业务处理失败",
        "sub_message: 订单不存在",
        "request_id: sandbox",
    ] {
        assert!(out.stderr.contains(want), "{want} in {}", out.stderr);
    }
    assert!(!out.stderr.contains("DD-TOKEN-123456") && !out.stderr.contains(DD[1].1));
}

#[tokio::test]
async fn bad_requests_are_refused_before_sending() {
    let server = doudian_server().await;
    let uri = server.url(Platform::Doudian);
    let cases: [(&[&str], &str); 8] = [
        (
            &["doudian", "order.searchLst", "--param", "size=1"],
            "has no endpoint `order.searchLst`",
        ),
        // Nested fields are checked too, and named by their path.
        (
            &[
                "doudian",
                "order.searchList",
                "--json",
                r#"{"page":0,"size":1,"combine_status":[{"order_status":{}}]}"#,
            ],
            "field `combine_status[0].order_status`: expected a string",
        ),
        (
            &[
                "doudian",
                "order.searchList",
                "--json",
                r#"{"page":0,"size":1,"combine_status":[{"order_sttus":"2"}]}"#,
            ],
            "unknown field `combine_status[0].order_sttus`",
        ),
        (
            &[
                "doudian",
                "order.searchList",
                "--param",
                "size=1",
                "--param",
                "page=1.5",
            ],
            "field `page`: expected an integer (i64)",
        ),
        (
            &[
                "doudian",
                "order.searchList",
                "--param",
                "size=1",
                "--param",
                "sise=2",
            ],
            "unknown field `sise`",
        ),
        (
            &["doudian", "order.searchList", "--param", "size=big"],
            "field `size`",
        ),
        (
            &["doudian", "order.searchList", "--param", "page=0"],
            "missing required field(s) size",
        ),
        (
            &["doudian", "order.searchList", "--json", "[1]"],
            "--json must be a JSON object",
        ),
    ];
    for (args, want) in cases {
        let mut args = args.to_vec();
        args.extend(["--base-url", uri.as_str()]);
        let out = run(&args, &DD).await;
        assert_eq!(out.code, 2, "{args:?}: {}", out.stderr);
        assert!(
            out.stderr.contains(want),
            "{args:?}: expected `{want}` in {}",
            out.stderr
        );
    }
    let out = run(&["doudian", "order.searchList", "--param", "size=1"], &[]).await;
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("DOUDIAN_APP_KEY is not set"),
        "{}",
        out.stderr
    );
    assert!(server.all_seen().is_empty(), "nothing was sent");
}

#[tokio::test]
async fn describe_shows_an_endpoints_fields_from_the_metadata_table() {
    let out = run(&["describe", "doudian", "order.searchList"], &[]).await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    for want in [
        "doudian order.searchList: POST /order/searchList",
        "documentation: https://op.jinritemai.com/docs/api-docs/15/1342",
        "paged: `--all-pages`",
        // name, type, required, where it goes (spec/doudian/order.yaml)
        "  size  i64  required  body",
        "  page  i64  required  body",
        "  combine_status  [CombineStatus]  optional  body",
        // a nested struct's fields, indented under it
        "    order_status  string  optional",
        "response fields (`data`):",
        "  shop_order_list  [ShopOrder]  optional",
    ] {
        assert!(out.stdout.contains(want), "`{want}` in\n{}", out.stdout);
    }
    let out = run(&["describe", "tiktok", "order.serch"], &[]).await;
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("has no endpoint `order.serch`"),
        "{}",
        out.stderr
    );
}

#[tokio::test]
async fn an_unreachable_server_exits_1() {
    let out = run(
        &[
            "doudian",
            "order.searchList",
            "--param",
            "size=1",
            "--param",
            "page=0",
            "--base-url",
            "http://127.0.0.1:9",
            "--timeout",
            "2",
        ],
        &DD,
    )
    .await;
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("order.searchList"), "{}", out.stderr);
    assert!(!out.stderr.contains("DD-TOKEN-123456"));
}

#[tokio::test]
async fn dry_run_prints_the_signed_request_masked() {
    let out = run(
        &[
            "doudian",
            "order.searchList",
            "--param",
            "size=1",
            "--param",
            "page=0",
            "--dry-run",
            "--base-url",
            "http://127.0.0.1:9",
        ],
        &DD,
    )
    .await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.starts_with("POST http://127.0.0.1:9/order/searchList?app_key=3409409348479354011&method=order.searchList"), "{}", out.stdout);
    assert!(
        out.stdout.contains("access_token=DD-T***"),
        "{}",
        out.stdout
    );
    assert!(!out.stdout.contains("DD-TOKEN-123456"));
    assert!(out.stdout.contains(r#"{"page":0,"size":1}"#));
}

#[tokio::test]
async fn sandbox_reaches_the_sandbox_host_of_each_platform_that_has_one() {
    let dd = run(
        &[
            "doudian",
            "order.searchList",
            "--param",
            "size=1",
            "--param",
            "page=0",
            "--sandbox",
            "--dry-run",
        ],
        &DD,
    )
    .await;
    assert_eq!(dd.code, 0, "{}", dd.stderr);
    assert!(
        dd.stdout
            .starts_with("POST https://openapi-sandbox.jinritemai.com/order/searchList?"),
        "{}",
        dd.stdout
    );
    let tt = run(
        &[
            "tiktok",
            "order.search",
            "--param",
            "page_size=1",
            "--sandbox",
            "--dry-run",
        ],
        &TT,
    )
    .await;
    assert_eq!(tt.code, 0, "{}", tt.stderr);
    assert!(
        tt.stdout
            .contains("https://open-api-sandbox.tiktokglobalshop.com/order/202309/orders/search?"),
        "{}",
        tt.stdout
    );
    let without = run(
        &[
            "tiktok",
            "order.search",
            "--param",
            "page_size=1",
            "--dry-run",
        ],
        &TT,
    )
    .await;
    assert!(
        without
            .stdout
            .contains("https://open-api.tiktokglobalshop.com/"),
        "{}",
        without.stdout
    );
    // Douyin has no sandbox host: said plainly, nothing sent.
    let dy = run(
        &[
            "douyin",
            "market.service.user.purchase.list",
            "--sandbox",
            "--dry-run",
        ],
        &[("DOUYIN_CLIENT_KEY", "k"), ("DOUYIN_CLIENT_SECRET", "s")],
    )
    .await;
    assert_eq!(dy.code, 2, "{}", dy.stderr);
    assert!(dy.stderr.contains("no sandbox host"), "{}", dy.stderr);
    assert!(dy.stderr.contains("is_test_env"), "{}", dy.stderr);
}

const TT: [(&str, &str); 4] = [
    ("TIKTOK_APP_KEY", "68xu9ks5p4i8"),
    ("TIKTOK_APP_SECRET", "e59af819cc"),
    ("TIKTOK_ACCESS_TOKEN", "TTP-ACCESS-abcdef"),
    ("TIKTOK_SHOP_CIPHER", "ROW_xkMbgAAAeVAQra0eZWebFQq5aIK"),
];

#[tokio::test]
async fn tiktok_call_is_signed_with_token_and_cipher() {
    let server = Sandbox::start(SandboxConfig::default().tiktok_app(TT[0].1, TT[1].1))
        .await
        .unwrap();
    server.grant(Platform::Tiktok, TT[2].1);
    server.on("order.search", |s| {
        assert_eq!(s.token.as_deref(), Some(TT[2].1));
        tiktok::ok(json!({"orders": [{"id": "576461413038785752", "status": "UNPAID"}], "next_page_token": "", "total_count": 1}))
    });
    let out = run(
        &[
            "tiktok",
            "order.search",
            "--param",
            "page_size=20",
            "--json",
            r#"{"order_status":"UNPAID"}"#,
            "--base-url",
            &server.url(Platform::Tiktok),
        ],
        &TT,
    )
    .await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    let data: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(data["orders"][0]["id"], "576461413038785752");
    let seen = server.seen("order.search");
    assert_eq!(
        (
            seen[0].query("page_size"),
            seen[0].query("shop_cipher"),
            seen[0].query("app_key")
        ),
        (Some("20"), Some(TT[3].1), Some(TT[0].1))
    );
    assert_eq!(seen[0].params, json!({"order_status": "UNPAID"}));
}

#[tokio::test]
async fn douyin_call_fetches_a_client_token_then_calls() {
    let server = Sandbox::start(SandboxConfig::default().douyin_app("ck", "cs-secret"))
        .await
        .unwrap();
    server.on("oauth.client_token", |s| {
        assert_eq!(s.params, json!({"client_key": "ck", "client_secret": "cs-secret", "grant_type": "client_credential"}));
        douyin::oauth_ok(json!({"access_token": "clt.abc", "expires_in": 7200}))
    });
    server.on("market.service.user.purchase.list", |s| {
        assert_eq!(s.token.as_deref(), Some("clt.abc"));
        assert_eq!((s.query("open_id"), s.query("service_id")), (Some("OPEN"), Some("7000")));
        douyin::legacy_ok(json!({"purchase_info_list": [{"service_id": "7000", "service_mode_id": "1", "remain_service_times": 3}]}))
    });
    let env = [
        ("DOUYIN_CLIENT_KEY", "ck"),
        ("DOUYIN_CLIENT_SECRET", "cs-secret"),
    ];
    let out = run(
        &[
            "douyin",
            "market.service.user.purchase.list",
            "--param",
            "open_id=OPEN",
            "--param",
            "service_id=7000",
            "--param",
            "is_test_env=false",
            "--base-url",
            &server.url(Platform::Douyin),
        ],
        &env,
    )
    .await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    let data: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(data["purchase_info_list"][0]["remain_service_times"], 3);
    assert_eq!(server.all_seen().len(), 2);
}

#[tokio::test]
async fn list_auth_links_and_usage() {
    let out = run(&["list"], &[]).await;
    assert_eq!(out.code, 0);
    for want in [
        "doudian  order.searchList",
        "POST   /order/searchList",
        "tiktok   order.search",
        "/order/202309/orders/search",
        "douyin   market.service.user.purchase.list",
    ] {
        assert!(out.stdout.contains(want), "{want}");
    }
    // Each platform's count, on stderr (stdout stays one endpoint per line).
    for platform in ["tiktok", "doudian", "douyin"] {
        let n = out
            .stdout
            .lines()
            .filter(|l| l.starts_with(platform) && !l.ends_with("(deprecated)"))
            .count();
        assert!(
            out.stderr.contains(&format!("{platform}: {n} endpoints, ")),
            "{platform} {n}: {}",
            out.stderr
        );
    }
    let only = run(&["list", "douyin"], &[]).await;
    assert!(
        only.stdout.lines().all(|l| l.starts_with("douyin")),
        "{}",
        only.stdout
    );
    let out = run(
        &[
            "auth-link",
            "tiktok",
            "--us",
            "--service-id",
            "7144",
            "--state",
            "a b",
        ],
        &[],
    )
    .await;
    assert_eq!(
        out.stdout.trim(),
        "https://services.us.tiktokshop.com/open/authorize?service_id=7144&state=a+b"
    );
    // The URLs are the library's own (`doudian::authorization_url`, ...): the CLI builds none.
    let out = run(
        &[
            "auth-link",
            "doudian",
            "--service-id",
            "12",
            "--state",
            "s&1",
        ],
        &[],
    )
    .await;
    assert_eq!(
        out.stdout.trim(),
        shop_api::doudian::authorization_url("12", "s&1")
    );
    assert_eq!(
        out.stdout.trim(),
        "https://fuwu.jinritemai.com/authorize?service_id=12&state=s%261"
    );
    let out = run(
        &[
            "auth-link",
            "douyin",
            "--scope",
            "user_info",
            "--redirect-uri",
            "https://x.example/cb",
        ],
        &[("DOUYIN_CLIENT_KEY", "ck")],
    )
    .await;
    assert_eq!(
        out.stdout.trim(),
        "https://open.douyin.com/platform/oauth/connect/?client_key=ck&response_type=code&scope=user_info&redirect_uri=https%3A%2F%2Fx.example%2Fcb"
    );
    assert_eq!(run(&["nonsense"], &[]).await.code, 2);
}

#[tokio::test]
async fn webhook_verify_decodes_or_refuses() {
    let dir = std::env::temp_dir().join(format!("shop-api-cli-webhook-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let body = dir.join("dd.json");
    std::fs::write(&body, r#"[{"tag":"0","msg_id":"0","data":"{}"}]"#).unwrap();
    let body = body.to_str().unwrap();
    let good = run(
        &[
            "webhook",
            "verify",
            "doudian",
            "--header",
            "event-sign: 356532ab10e2668eb4f1c9b6665b6864",
            "--header",
            "app-id: 3409409348479354011",
            "--body-file",
            body,
        ],
        &DD,
    )
    .await;
    assert_eq!(good.code, 0, "{}", good.stderr);
    let events: Value = serde_json::from_str(&good.stdout).unwrap();
    assert_eq!(events[0]["tag"], "0");
    let bad = run(
        &[
            "webhook",
            "verify",
            "doudian",
            "--header",
            "event-sign: 00000000000000000000000000000000",
            "--body-file",
            body,
        ],
        &DD,
    )
    .await;
    assert_eq!(bad.code, 1);
    assert!(bad.stderr.contains("does not verify"), "{}", bad.stderr);

    let tt = dir.join("tt.json");
    std::fs::write(&tt, r#"{"type":1,"tts_notification_id":"7327112393057371910","shop_id":"7494049642642441621","timestamp":1706081024,"data":{"order_id":"576462942424338891","order_status":"AWAITING_SHIPMENT","update_time":1706081023}}"#).unwrap();
    let out = run(
        &[
            "webhook",
            "verify",
            "tiktok",
            "--header",
            "Authorization: 2c4db0447d552841c17bc7dcc400b127bfc96cd168b4c59e2125655ddcae002e",
            "--body-file",
            tt.to_str().unwrap(),
        ],
        &TT,
    )
    .await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    let n: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(n["event"]["order_id"], "576462942424338891");
    let _ = std::fs::remove_dir_all(dir);
}

/// The newcomer's path: the sandbox, a token from the CLI, then a signed call with `--base-url`.
#[tokio::test]
async fn through_the_sandbox_without_credentials() {
    let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
    let base = sandbox.url(Platform::Doudian);
    let creds = Credentials::default();
    let env = [
        ("DOUDIAN_APP_KEY", creds.doudian_key.as_str()),
        ("DOUDIAN_APP_SECRET", creds.doudian_secret.as_str()),
    ];
    let out = run(
        &["token", "doudian", "--shop-id", "1", "--base-url", &base],
        &env,
    )
    .await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    let token: Value = serde_json::from_str(&out.stdout).unwrap();
    let access = token["access_token"].as_str().unwrap().to_owned();
    let mut env = env.to_vec();
    env.push(("DOUDIAN_ACCESS_TOKEN", access.as_str()));
    let out = run(
        &[
            "doudian",
            "order.searchList",
            "--param",
            "page=0",
            "--param",
            "size=10",
            "--base-url",
            &base,
        ],
        &env,
    )
    .await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    let data: Value = serde_json::from_str(&out.stdout).unwrap();
    assert!(
        data["shop_order_list"]
            .as_array()
            .is_some_and(|l| !l.is_empty()),
        "{data}"
    );
    let tiktok = run(
        &[
            "tiktok",
            "order.search",
            "--param",
            "page_size=5",
            "--base-url",
            &sandbox.url(Platform::Tiktok),
        ],
        &[
            ("TIKTOK_APP_KEY", "sandbox-tiktok-key"),
            ("TIKTOK_APP_SECRET", "sandbox-tiktok-secret"),
            ("TIKTOK_ACCESS_TOKEN", "unknown"),
            ("TIKTOK_SHOP_CIPHER", "c"),
        ],
    )
    .await;
    assert_eq!(tiktok.code, 1);
    assert!(
        tiktok.stderr.contains("code: 36009004"),
        "{}",
        tiktok.stderr
    );
}

/// `shop-api list | head -0`: the reader is gone before anything is written; the program ends
/// quietly with success instead of panicking on the broken pipe.
#[test]
fn output_into_a_closed_pipe_ends_quietly() {
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_shop-api"))
        .arg("list")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(stderr.is_empty(), "{stderr}");
    assert_eq!(out.status.code(), Some(0));
}

/// `--proxy`: the call goes to the proxy, which here is the sandbox itself (it serves absolute-form
/// requests): the base URL's host does not even resolve.
#[tokio::test]
async fn calls_go_through_the_proxy_given() {
    let server = doudian_server().await;
    let out = run(
        &[
            "doudian",
            "order.searchList",
            "--param",
            "page=0",
            "--param",
            "size=20",
            "--base-url",
            "http://doudian.invalid/doudian",
            "--proxy",
            &server.uri(),
        ],
        &DD,
    )
    .await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(server.count("order.searchList"), 1);
}

#[tokio::test]
async fn completions_for_each_shell() {
    for (shell, marker) in [
        ("bash", "complete -F _shop__api"),
        ("zsh", "#compdef shop-api"),
        ("fish", "complete -c shop-api"),
    ] {
        let out = run(&["completions", shell], &[]).await;
        assert_eq!(out.code, 0, "{shell}: {}", out.stderr);
        assert!(
            out.stdout.contains(marker),
            "{shell}: {}",
            &out.stdout[..out.stdout.len().min(300)]
        );
        assert!(
            out.stdout.contains("doudian"),
            "{shell}: the subcommands are completed"
        );
    }
}

/// Without `SHOP_API_PROFILES`, the profile file is read from the configuration folder
/// (`$XDG_CONFIG_HOME/shop-api/profiles.json` on Linux).
#[tokio::test]
async fn the_profile_file_lives_in_the_configuration_folder() {
    let dir = std::env::temp_dir().join(format!("shop-api-xdg-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("shop-api")).unwrap();
    std::fs::write(
        dir.join("shop-api/profiles.json"),
        r#"{"shop-a": {"DOUDIAN_APP_KEY": "k", "DOUDIAN_APP_SECRET": "s", "DOUDIAN_ACCESS_TOKEN": "t"}}"#,
    )
    .unwrap();
    let xdg = dir.display().to_string();
    let out = run(
        &[
            "--profile",
            "shop-a",
            "doudian",
            "order.searchList",
            "--param",
            "page=0",
            "--param",
            "size=1",
            "--dry-run",
        ],
        &[("XDG_CONFIG_HOME", xdg.as_str()), ("HOME", "/nonexistent")],
    )
    .await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains("app_key=k"), "{}", out.stdout);
    let out = run(
        &["--profile", "nobody", "list"],
        &[("XDG_CONFIG_HOME", xdg.as_str())],
    )
    .await;
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("shop-api/profiles.json"),
        "{}",
        out.stderr
    );
    let _ = std::fs::remove_dir_all(dir);
}

/// A refresh token is taken from stdin (`--refresh-token -`) or the environment
/// (`SHOP_API_REFRESH_TOKEN`), so it need not stand on the command line where `ps` shows it.
#[tokio::test]
async fn a_refresh_token_comes_from_stdin_or_the_environment() {
    let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
    let base = sandbox.url(Platform::Doudian);
    let creds = Credentials::default();
    let env = [
        ("DOUDIAN_APP_KEY", creds.doudian_key.as_str()),
        ("DOUDIAN_APP_SECRET", creds.doudian_secret.as_str()),
    ];
    let refresh_of = |out: &Out| -> String {
        assert_eq!(out.code, 0, "{}", out.stderr);
        let token: Value = serde_json::from_str(&out.stdout).unwrap();
        token["refresh_token"].as_str().unwrap().to_owned()
    };
    let first = run(
        &["token", "doudian", "--shop-id", "1", "--base-url", &base],
        &env,
    )
    .await;
    let r1 = refresh_of(&first);
    let piped = run_with_stdin(
        &[
            "token",
            "doudian",
            "--refresh-token",
            "-",
            "--base-url",
            &base,
        ],
        &env,
        &format!("{r1}\n"),
    )
    .await;
    let r2 = refresh_of(&piped);
    assert_ne!(r1, r2, "the refresh spent the first refresh token");
    let mut env2 = env.to_vec();
    env2.push(("SHOP_API_REFRESH_TOKEN", r2.as_str()));
    let from_env = run(&["token", "doudian", "--base-url", &base], &env2).await;
    refresh_of(&from_env);
    let empty = run_with_stdin(
        &[
            "token",
            "doudian",
            "--refresh-token",
            "-",
            "--base-url",
            &base,
        ],
        &env,
        "",
    )
    .await;
    assert_ne!(empty.code, 0);
    assert!(
        empty.stderr.contains("stdin held no value"),
        "{}",
        empty.stderr
    );
}

#[tokio::test]
async fn a_token_call_dry_run_masks_the_refresh_token_and_code_and_sends_nothing() {
    // Nothing listens on port 9: a dry run that sent anything would fail.
    let refresh = run(
        &[
            "doudian",
            "token.refresh",
            "--param",
            "refresh_token=RT-SECRET-0123456789",
            "--param",
            "grant_type=refresh_token",
            "--dry-run",
            "--base-url",
            "http://127.0.0.1:9",
        ],
        &DD,
    )
    .await;
    assert_eq!(refresh.code, 0, "{}", refresh.stderr);
    assert!(
        refresh.stdout.contains("token.refresh"),
        "{}",
        refresh.stdout
    );
    assert!(
        !refresh.stdout.contains("RT-SECRET-0123456789"),
        "{}",
        refresh.stdout
    );
    assert!(refresh.stdout.contains("RT-S***"), "{}", refresh.stdout);
    let create = run(
        &[
            "doudian",
            "token.create",
            "--param",
            "code=AUTH-CODE-0123456789",
            "--param",
            "grant_type=authorization_code",
            "--dry-run",
            "--base-url",
            "http://127.0.0.1:9",
        ],
        &DD,
    )
    .await;
    assert_eq!(create.code, 0, "{}", create.stderr);
    assert!(
        !create.stdout.contains("AUTH-CODE-0123456789"),
        "{}",
        create.stdout
    );
}
