//! Secrets never show: every config, client, token and error type is formatted with `{:?}` and
//! `{}` and searched for the secret and the tokens; the log output of real calls is captured and
//! searched too.

use shop_api::runtime::{Secret, Token};

const APP_SECRET: &str = "S3CR3T-app-secret-0123456789";
const ACCESS: &str = "ACCESS-token-abcdefghijklmnop";
const REFRESH: &str = "REFRESH-token-qrstuvwxyz0123";

fn assert_clean(what: &str, text: &str) {
    for s in [APP_SECRET, ACCESS, REFRESH] {
        assert!(!text.contains(s), "{what} shows a secret: {text}");
    }
}

#[test]
fn tokens_and_secrets_do_not_format() {
    let t = Token {
        access_token: Secret::new(ACCESS),
        refresh_token: Some(Secret::new(REFRESH)),
        expires_at: 1,
        ..Token::default()
    };
    assert_clean("Token", &format!("{t:?}"));
    let s = Secret::new(APP_SECRET);
    assert_clean("Secret", &format!("{s:?} {s}"));
}

#[cfg(feature = "doudian")]
#[tokio::test]
async fn doudian_client_errors_and_logs_hold_no_secret() {
    use shop_api::doudian::{Client, order::OrderSearchListRequest};
    use shop_api_sandbox::{Platform, Sandbox, SandboxConfig};

    let logs = shop_api_tests::logs::capture();

    // The sandbox knows this app but not its token: it answers with the platform's error envelope.
    let platform = Sandbox::start(SandboxConfig::default().doudian_app("key", APP_SECRET))
        .await
        .unwrap();
    let client = Client::builder("key", APP_SECRET)
        .base_url(platform.url(Platform::Doudian))
        .build()
        .unwrap();
    assert_clean(
        "ClientBuilder",
        &format!("{:?}", Client::builder("key", APP_SECRET)),
    );
    assert_clean("Client", &format!("{client:?}"));
    let shop = client.with_access_token(ACCESS);
    assert_clean("shop handle", &format!("{shop:?}"));
    let e = shop
        .order_search_list(&OrderSearchListRequest {
            size: 1,
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_clean("Error", &format!("{e} {e:?}"));
    let prepared = shop
        .prepare(&OrderSearchListRequest {
            size: 1,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_clean("dry run", &format!("{prepared} {prepared:?}"));
    // An unreachable server: reqwest errors name the URL, whose query holds the token.
    let down = Client::builder("key", APP_SECRET)
        .base_url("http://127.0.0.1:9")
        .retry(shop_api::runtime::RetryPolicy::none())
        .build()
        .unwrap()
        .with_access_token(ACCESS);
    let e = down
        .order_search_list(&OrderSearchListRequest {
            size: 1,
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_clean("transport Error", &format!("{e} {e:?}"));
    let logs = logs.text();
    assert!(
        logs.contains("order.searchList"),
        "the calls were logged: {logs}"
    );
    assert_clean("log output", &logs);
}

#[cfg(all(feature = "tiktok", feature = "douyin"))]
#[tokio::test]
async fn tiktok_and_douyin_configs_and_errors_hold_no_secret() {
    use shop_api::runtime::RetryPolicy;

    // Logged into a sink of its own and checked too (every platform logs through one core).
    let logs = shop_api_tests::logs::capture();

    let tt = shop_api::tiktok::Client::builder("key", APP_SECRET)
        .base_url("http://127.0.0.1:9")
        .auth_base_url("http://127.0.0.1:9")
        .retry(RetryPolicy::none());
    assert_clean("tiktok ClientBuilder", &format!("{tt:?}"));
    let tt = tt.build().unwrap();
    let shop = tt.with_access_token(ACCESS).with_shop_cipher("cipher");
    assert_clean("tiktok Client", &format!("{tt:?} {shop:?}"));
    let req = shop_api::tiktok::order::OrderSearchRequest {
        page_size: 1,
        ..Default::default()
    };
    let e = shop.order_search(&req).await.unwrap_err();
    assert_clean("tiktok transport Error", &format!("{e} {e:?}"));
    let e = tt.refresh_token(REFRESH).await.unwrap_err();
    assert_clean("tiktok token Error", &format!("{e} {e:?}"));
    let prepared = shop.prepare(&req).await.unwrap();
    assert_clean("tiktok dry run", &format!("{prepared} {prepared:?}"));

    let dy = shop_api::douyin::Client::builder("ck", APP_SECRET)
        .base_url("http://127.0.0.1:9")
        .retry(RetryPolicy::none());
    assert_clean("douyin ClientBuilder", &format!("{dy:?}"));
    let dy = dy.build().unwrap();
    assert_clean(
        "douyin Client",
        &format!("{dy:?} {:?}", dy.with_access_token(ACCESS)),
    );
    let e = dy.client_token().await.unwrap_err();
    assert_clean("douyin token Error", &format!("{e} {e:?}"));
    let e = dy.exchange_code("CODE").await.unwrap_err();
    assert_clean("douyin exchange Error", &format!("{e} {e:?}"));
    let oauth = shop_api::douyin::oauth::OauthAccessTokenRequest {
        client_key: "ck".into(),
        client_secret: APP_SECRET.into(),
        code: "CODE".into(),
        grant_type: "authorization_code".into(),
    };
    let prepared = dy.prepare(&oauth).await.unwrap();
    assert_clean("douyin dry run", &format!("{prepared} {prepared:?}"));
    let logs = logs.text();
    assert_clean("log output", &logs);
}

/// A redirect to another host is not followed: the request carries the access token, and it never
/// leaves the platform's host.
#[cfg(feature = "tiktok")]
#[tokio::test]
async fn a_redirect_to_another_host_is_not_followed_with_the_token() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use shop_api::tiktok::Client;
    use shop_api::tiktok::order::OrderSearchRequest;
    use shop_api_tests::fake_http::{Reply, Server};

    let elsewhere_hits = Arc::new(AtomicUsize::new(0));
    let hits = elsewhere_hits.clone();
    let elsewhere = Server::start(move |_| {
        hits.fetch_add(1, Ordering::SeqCst);
        Reply::status(200, "{}")
    })
    .await;
    // `localhost` is another host than `127.0.0.1`, whatever it resolves to.
    let away = elsewhere.uri().replace("127.0.0.1", "localhost");
    let platform = Server::start(move |_| {
        Reply::Respond(
            302,
            vec![("location".into(), format!("{away}/steal"))],
            Vec::new(),
        )
    })
    .await;
    let client = Client::builder("key", APP_SECRET)
        .base_url(platform.uri())
        .build()
        .unwrap()
        .with_access_token(ACCESS)
        .with_shop_cipher("cipher");
    let e = client
        .execute(&OrderSearchRequest {
            page_size: 1,
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(
        elsewhere_hits.load(Ordering::SeqCst),
        0,
        "no request reached the other host"
    );
    // The 3xx answer itself fails the call (no envelope in it).
    assert_clean("the redirect error", &format!("{e} {e:?}"));
}

/// What a token call's answer can look like when it goes wrong: malformed, truncated, an HTML
/// page (as a proxy or gateway sends), and the same page with an error status. Each holds the
/// access and refresh token.
fn broken_token_answers() -> Vec<shop_api_tests::fake_http::Reply> {
    use shop_api_tests::fake_http::Reply;
    let html =
        format!("<html><body>gateway: access_token={ACCESS}&refresh_token={REFRESH}</body></html>");
    vec![
        Reply::Respond(
            200,
            vec![],
            format!(
                r#"{{"code":0,"err_no":0,"data":{{"access_token":"{ACCESS}","refresh_token":"{REFRESH}",}}}}"#
            )
            .into_bytes(),
        ),
        Reply::Respond(
            200,
            vec![],
            format!(
                r#"{{"code":0,"data":{{"access_token":"{ACCESS}","refresh_token":"{}"#,
                &REFRESH[..10]
            )
            .into_bytes(),
        ),
        Reply::Respond(200, vec![], html.clone().into_bytes()),
        Reply::Respond(502, vec![], html.into_bytes()),
        Reply::Respond(
            200,
            vec![],
            format!(r#"{{"code":0,"data":{{"access_token":{{"v":"{ACCESS}"}},"refresh_token":"{REFRESH}"}}}}"#)
                .into_bytes(),
        ),
    ]
}

/// Every error, log line and observer event of a token call that got a broken answer: what it
/// shows is searched for the tokens the answer held.
#[derive(Default)]
struct Shown(std::sync::Mutex<String>);

impl shop_api::runtime::observe::Observer for Shown {
    fn before_send(&self, e: &shop_api::runtime::observe::RequestEvent<'_>) {
        self.0.lock().unwrap().push_str(&format!("{e:?}\n"));
    }
    fn after_receive(&self, e: &shop_api::runtime::observe::ResponseEvent<'_>) {
        let error = e.error().map(|e| format!("{e} {e:?}")).unwrap_or_default();
        self.0.lock().unwrap().push_str(&format!("{e:?} {error}\n"));
    }
}

#[cfg(all(feature = "doudian", feature = "tiktok", feature = "douyin"))]
#[tokio::test]
async fn broken_token_answers_show_no_token_in_errors_logs_or_observer_events() {
    use shop_api::runtime::RetryPolicy;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    let logs = shop_api_tests::logs::capture();
    for (i, answer) in broken_token_answers().into_iter().enumerate() {
        let hits = Arc::new(AtomicUsize::new(0));
        let h = hits.clone();
        let server = shop_api_tests::fake_http::Server::start(move |_| {
            h.fetch_add(1, Ordering::SeqCst);
            answer.clone()
        })
        .await;
        let url = server.uri();
        let shown = Arc::new(Shown::default());
        let mut errors = Vec::new();

        let doudian = shop_api::doudian::Client::builder("key", APP_SECRET)
            .base_url(&url)
            .retry(RetryPolicy::none())
            .observe(shown.clone())
            .build()
            .unwrap();
        errors.push(doudian.exchange_code("CODE").await.map(|_| ()).unwrap_err());

        let tiktok = shop_api::tiktok::Client::builder("key", APP_SECRET)
            .base_url(&url)
            .auth_base_url(&url)
            .retry(RetryPolicy::none())
            .observe(shown.clone())
            .build()
            .unwrap();
        errors.push(tiktok.refresh_token(REFRESH).await.map(|_| ()).unwrap_err());
        errors.push(tiktok.authorize("CODE").await.map(|_| ()).unwrap_err());

        let douyin = shop_api::douyin::Client::builder("ck", APP_SECRET)
            .base_url(&url)
            .retry(RetryPolicy::none())
            .observe(shown.clone())
            .build()
            .unwrap();
        errors.push(douyin.exchange_code("CODE").await.map(|_| ()).unwrap_err());
        errors.push(douyin.client_token().await.map(|_| ()).unwrap_err());

        assert!(
            hits.load(Ordering::SeqCst) >= errors.len(),
            "answer {i}: every call reached the server"
        );
        for e in &errors {
            assert_clean(&format!("answer {i}: error"), &format!("{e} {e:?}"));
        }
        let events = shown.0.lock().unwrap().clone();
        assert!(
            events.contains("ResponseEvent"),
            "answer {i}: the observer saw the answers: {events}"
        );
        assert_clean(&format!("answer {i}: observer events"), &events);
    }
    let logs = logs.text();
    assert_clean("log output", &logs);
}
