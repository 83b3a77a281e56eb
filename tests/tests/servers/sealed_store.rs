//! Tokens sealed at rest (`EncryptedStore`), on every store: the store contract holds through
//! sealing; the bytes each store keeps (the JSON file, the PostgreSQL rows, the Redis keys) never
//! hold an access or refresh token; a rotated keyring opens old seals and `reseal` moves them to
//! the new key; a wrong key, an unknown key id, a tampered value or a value moved to another shop
//! or field is an error that shows no secret; a token kept in plain text before sealing is read,
//! then sealed at its next save; a client over the sandbox refreshes through a sealed store.
//!
//! PostgreSQL and Redis are throwaway servers (`shop_api_tests::databases`); without their binaries
//! those cases are skipped with a line saying what to install, unless `SHOP_API_REQUIRE_SERVERS=1`.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use shop_api::runtime::token::{EncryptedStore, Keyring};
use shop_api::runtime::{
    Error, ErrorKind, Expect, JsonFileStore, MemoryStore, PostgresStore, RedisStore, Secret, Token,
    TokenStore, check_store, unix_now,
};
use shop_api_tests::databases::{self, Postgres, Redis};

use super::SERIAL;

const OLD_KEY: [u8; 32] = [0x11; 32];
const NEW_KEY: [u8; 32] = [0x22; 32];

fn old_ring() -> Keyring {
    Keyring::new("2025-01", &OLD_KEY).unwrap()
}

fn rotated_ring() -> Keyring {
    Keyring::new("2025-06", &NEW_KEY)
        .unwrap()
        .with_old_key("2025-01", &OLD_KEY)
        .unwrap()
}

fn new_ring() -> Keyring {
    Keyring::new("2025-06", &NEW_KEY).unwrap()
}

fn key(shop: &str) -> String {
    format!("doudian:production:3409409348479354011:{shop}")
}

/// A token whose secrets are marked with `n`, so each can be looked for in the bytes at rest.
fn token(n: u32) -> Token {
    Token {
        access_token: Secret::new(format!("ACCESS-SECRET-{n:04}")),
        // fixed times (in 2033), so a token made again compares equal
        expires_at: 2_000_000_000,
        refresh_token: Some(Secret::new(format!("REFRESH-SECRET-{n:04}"))),
        refresh_expires_at: Some(2_000_086_400),
        scope: Some("order.read".into()),
        extra: BTreeMap::from([("shop_name".to_owned(), format!("Tea House {n}"))]),
    }
}

/// `e` (its message and `Debug`) shows none of the secrets of `token(n)`.
fn shows_no_secret(e: &Error, n: u32) {
    let shown = format!("{e} {e:?}");
    let t = token(n);
    for secret in [t.access_token, t.refresh_token.unwrap()] {
        assert!(!shown.contains(secret.expose()), "{shown}");
    }
}

/// A store of each kind, with what keeps it alive.
enum Kind {
    Memory(Arc<MemoryStore>),
    File(tempfile::TempDir),
    Postgres(Postgres),
    Redis(Redis),
}

impl Kind {
    fn all() -> Vec<Kind> {
        let mut kinds = vec![
            Kind::Memory(Arc::new(MemoryStore::new())),
            Kind::File(tempfile::tempdir().unwrap()),
        ];
        kinds.extend(Postgres::start().map(Kind::Postgres));
        kinds.extend(Redis::start().map(Kind::Redis));
        kinds
    }

    fn name(&self) -> &'static str {
        match self {
            Kind::Memory(_) => "memory",
            Kind::File(_) => "file",
            Kind::Postgres(_) => "postgres",
            Kind::Redis(_) => "redis",
        }
    }

    /// The plain store (a new connection each time, as another process would have).
    async fn store(&self) -> Arc<dyn TokenStore> {
        match self {
            Kind::Memory(m) => m.clone(),
            Kind::File(dir) => Arc::new(JsonFileStore::new(dir.path().join("tokens.json"))),
            Kind::Postgres(pg) => Arc::new(PostgresStore::connect(&pg.url()).await.unwrap()),
            Kind::Redis(r) => Arc::new(RedisStore::connect(&r.url()).await.unwrap()),
        }
    }

    /// Every byte the store keeps, as text: the file's and its lock's content, every row of the
    /// PostgreSQL table, every Redis key with its value. `None` for the memory store, or when the
    /// PostgreSQL client (`psql`) is missing and servers are not required.
    fn at_rest(&self) -> Option<String> {
        match self {
            Kind::Memory(_) => None,
            Kind::File(dir) => Some(files_in(dir.path())),
            Kind::Postgres(pg) => pg_rows(pg),
            Kind::Redis(r) => Some(redis_dump(&r.addr())),
        }
    }
}

fn files_in(dir: &Path) -> String {
    let mut all = String::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        all.push_str(&String::from_utf8_lossy(&bytes));
        all.push('\n');
    }
    all
}

/// `psql`, on PATH or beside the server's binaries.
fn psql() -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let mut dirs: Vec<PathBuf> = std::env::split_paths(&path).collect();
    if let Ok(versions) = std::fs::read_dir("/usr/lib/postgresql") {
        dirs.extend(versions.flatten().map(|v| v.path().join("bin")));
    }
    dirs.into_iter()
        .map(|d| d.join("psql"))
        .find(|p| p.is_file())
}

/// Every row of the token table, each as PostgreSQL writes a whole row as text.
fn pg_rows(pg: &Postgres) -> Option<String> {
    let Some(psql) = psql() else {
        let msg = "psql not found: install the Debian package `postgresql-client` to read the rows at rest";
        assert!(!databases::required(), "{msg} (SHOP_API_REQUIRE_SERVERS=1)");
        eprintln!("skipped: {msg}");
        return None;
    };
    let out = std::process::Command::new(psql)
        .arg(pg.url())
        .args(["-X", "-A", "-t", "-c"])
        .arg(format!(
            "SELECT t::text FROM {} t ORDER BY key",
            PostgresStore::TABLE
        ))
        .output()
        .expect("psql runs");
    assert!(
        out.status.success(),
        "psql failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Send Redis `commands` (inline, one a line) and read every reply, as text.
fn redis_send(addr: &str, commands: &[String]) -> String {
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut out = String::new();
    for c in commands {
        out.push_str(c);
        out.push_str("\r\n");
    }
    // A PING after them: its PONG ends the replies.
    out.push_str("PING\r\n");
    s.write_all(out.as_bytes()).unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    while !got.ends_with(b"+PONG\r\n") {
        let n = s.read(&mut buf).unwrap();
        assert!(n > 0, "Redis closed the connection");
        got.extend_from_slice(&buf[..n]);
    }
    String::from_utf8_lossy(&got).into_owned()
}

/// The values of a RESP reply: the lines that are not a type marker.
fn values(reply: &str) -> Vec<&str> {
    reply
        .split("\r\n")
        .filter(|l| !l.is_empty() && !l.starts_with(['*', '$', ':', '+']))
        .collect()
}

/// Every key of the Redis server with its value (hash, set, string or sorted set), as text.
fn redis_dump(addr: &str) -> String {
    let keys: Vec<String> = values(&redis_send(addr, &["KEYS *".to_owned()]))
        .into_iter()
        .map(str::to_owned)
        .collect();
    let mut all = String::new();
    for k in keys {
        let kind = redis_send(addr, &[format!("TYPE {k}")]);
        let read = match kind.lines().next().unwrap_or_default() {
            "+hash" => format!("HGETALL {k}"),
            "+set" => format!("SMEMBERS {k}"),
            "+string" => format!("GET {k}"),
            "+zset" => format!("ZRANGE {k} 0 -1 WITHSCORES"),
            other => panic!("Redis key {k} of an unexpected type {other}"),
        };
        all.push_str(&k);
        all.push('\n');
        all.push_str(&redis_send(addr, &[read]));
    }
    all
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_store_contract_holds_through_sealing_on_every_store() {
    let _serial = SERIAL.lock().await;
    for kind in Kind::all() {
        let store = EncryptedStore::from_arc(kind.store().await, old_ring());
        check_store(&store, "contract:")
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", kind.name()));
        assert!(
            store
                .describe()
                .ends_with("(secrets sealed, key id 2025-01)"),
            "{}",
            store.describe()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_access_or_refresh_token_is_at_rest_in_any_store() {
    let _serial = SERIAL.lock().await;
    for kind in Kind::all() {
        let plain = kind.store().await;
        let store = EncryptedStore::from_arc(plain.clone(), old_ring());
        for n in 1..=3 {
            store
                .save(&key(&n.to_string()), &token(n), Expect::Any)
                .await
                .unwrap();
        }
        // a second save of one of them, over its version
        store
            .save(&key("1"), &token(4), Expect::Version(1))
            .await
            .unwrap();
        for (shop, n) in [("1", 4), ("2", 2), ("3", 3)] {
            let read = store.load(&key(shop)).await.unwrap().unwrap().token;
            assert_eq!(read, token(n), "{}: shop {shop} reads back", kind.name());
        }
        // A canary kept in plain text by the plain store: it must show in the bytes read, or they
        // are not the store's.
        plain
            .save("canary:plain", &token(9), Expect::Any)
            .await
            .unwrap();
        let Some(raw) = kind.at_rest() else { continue };
        assert!(
            raw.contains("ACCESS-SECRET-0009"),
            "{}: the bytes read are the store's: {raw}",
            kind.name()
        );
        for n in 1..=4 {
            let t = token(n);
            for secret in [t.access_token, t.refresh_token.unwrap()] {
                assert!(
                    !raw.contains(secret.expose()),
                    "{}: {} at rest: {raw}",
                    kind.name(),
                    secret.expose()
                );
            }
        }
        assert_eq!(
            raw.matches("sealed:v1:2025-01:").count(),
            6,
            "{}: two sealed secrets per shop: {raw}",
            kind.name()
        );
        // what is not secret stays readable by operators
        assert!(
            raw.contains("Tea House 2") && raw.contains("order.read"),
            "{}",
            kind.name()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rotated_keyring_opens_old_seals_and_reseal_moves_them_to_the_new_key() {
    let _serial = SERIAL.lock().await;
    for kind in Kind::all() {
        let name = kind.name();
        let old = EncryptedStore::from_arc(kind.store().await, old_ring());
        for n in 1..=3 {
            old.save(&key(&n.to_string()), &token(n), Expect::Any)
                .await
                .unwrap();
        }
        // Another process, the new key current and the old one kept to open.
        let rotated = EncryptedStore::from_arc(kind.store().await, rotated_ring());
        assert_eq!(
            rotated.load(&key("2")).await.unwrap().unwrap().token,
            token(2),
            "{name}: the old seal opens"
        );
        // A refresh in the meantime seals with the new key.
        rotated
            .save(&key("3"), &token(33), Expect::Version(1))
            .await
            .unwrap();
        // Before the reseal, a ring without the old key cannot open the old seals.
        let new_only = EncryptedStore::from_arc(kind.store().await, new_ring());
        let e = new_only.load(&key("1")).await.unwrap_err();
        assert!(e.to_string().contains("`2025-01`"), "{name}: {e}");
        shows_no_secret(&e, 1);

        assert_eq!(
            rotated.reseal("doudian:").await.unwrap(),
            2,
            "{name}: the two tokens under the old key are saved again"
        );
        assert_eq!(rotated.reseal("doudian:").await.unwrap(), 0, "{name}");
        for (shop, n, version) in [("1", 1, 2), ("2", 2, 2), ("3", 33, 2)] {
            let s = new_only.load(&key(shop)).await.unwrap().unwrap();
            assert_eq!(
                (s.token, s.version),
                (token(n), version),
                "{name}: shop {shop} opens without the old key"
            );
        }
        if let Some(raw) = kind.at_rest() {
            assert!(!raw.contains("sealed:v1:2025-01:"), "{name}: {raw}");
            assert_eq!(raw.matches("sealed:v1:2025-06:").count(), 6, "{name}");
        }
    }
}

/// The token as the JSON file keeps it, to alter by hand.
fn edit_file(path: &Path, key: &str, edit: impl FnOnce(&mut serde_json::Value)) {
    let mut doc: serde_json::Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    edit(&mut doc["tokens"][key]["token"]);
    std::fs::write(path, doc.to_string()).unwrap();
}

#[tokio::test]
async fn a_wrong_key_an_unknown_key_id_or_a_tampered_value_is_an_error_without_a_secret() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tokens.json");
    let store = EncryptedStore::new(JsonFileStore::new(&path), old_ring());
    store.save(&key("1"), &token(1), Expect::Any).await.unwrap();

    // the right id, another key
    let wrong = EncryptedStore::new(
        JsonFileStore::new(&path),
        Keyring::new("2025-01", &NEW_KEY).unwrap(),
    );
    let e = wrong.load(&key("1")).await.unwrap_err();
    let msg = e.to_string();
    assert!(
        msg.contains(&key("1")) && msg.contains("key id `2025-01`") && msg.contains("tokens.json"),
        "names the store, the key and the key id: {msg}"
    );
    assert!(msg.contains("does not open"), "{msg}");
    assert!(matches!(e, Error::Token(_)), "{e:?}");
    assert_eq!(e.kind(), ErrorKind::Auth, "a credentials problem");
    assert!(!e.kind().is_retryable(), "retrying cannot open it");
    shows_no_secret(&e, 1);
    assert!(!format!("{e:?}").contains("0x22") && !msg.contains("IiIi"));

    // a ring without the id
    let e = EncryptedStore::new(JsonFileStore::new(&path), new_ring())
        .load(&key("1"))
        .await
        .unwrap_err();
    assert!(
        e.to_string()
            .contains("key id `2025-01`, which the keyring does not hold (it holds `2025-06`)"),
        "{e}"
    );
    assert_eq!(e.kind(), ErrorKind::Auth);
    shows_no_secret(&e, 1);

    // one character of the sealed refresh token changed in the file
    edit_file(&path, &key("1"), |t| {
        let v = t["refresh_token"].as_str().unwrap().to_owned();
        let at = v.len() - 12;
        let c = if &v[at..=at] == "x" { "y" } else { "x" };
        t["refresh_token"] = format!("{}{c}{}", &v[..at], &v[at + 1..]).into();
    });
    let e = store.load(&key("1")).await.unwrap_err();
    assert!(
        e.to_string().contains("the refresh_token of") && e.to_string().contains("altered"),
        "{e}"
    );
    shows_no_secret(&e, 1);

    // the key id of the value changed to another the ring holds
    store.save(&key("1"), &token(1), Expect::Any).await.unwrap();
    edit_file(&path, &key("1"), |t| {
        let v = t["access_token"].as_str().unwrap();
        t["access_token"] = v.replacen(":2025-01:", ":2025-06:", 1).into();
    });
    let e = EncryptedStore::new(JsonFileStore::new(&path), rotated_ring())
        .load(&key("1"))
        .await
        .unwrap_err();
    assert!(
        e.to_string()
            .contains("does not open with key id `2025-06`"),
        "{e}"
    );
    shows_no_secret(&e, 1);
}

#[tokio::test]
async fn a_sealed_value_moved_to_another_shop_or_field_does_not_open() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tokens.json");
    let store = EncryptedStore::new(JsonFileStore::new(&path), old_ring());
    store.save(&key("1"), &token(1), Expect::Any).await.unwrap();
    store.save(&key("2"), &token(2), Expect::Any).await.unwrap();
    let one = store.inner().load(&key("1")).await.unwrap().unwrap().token;

    // shop 1's sealed token copied into shop 2's row
    store
        .inner()
        .save(&key("2"), &one, Expect::Any)
        .await
        .unwrap();
    let e = store.load(&key("2")).await.unwrap_err();
    assert!(
        e.to_string().contains(&key("2")) && e.to_string().contains("moved"),
        "{e}"
    );
    shows_no_secret(&e, 1);

    // shop 1's sealed refresh token put where its access token is
    let swapped = Token {
        access_token: one.refresh_token.clone().unwrap(),
        ..one
    };
    store
        .inner()
        .save(&key("1"), &swapped, Expect::Any)
        .await
        .unwrap();
    let e = store.load(&key("1")).await.unwrap_err();
    assert!(e.to_string().contains("the access_token of"), "{e}");
    shows_no_secret(&e, 1);
}

#[tokio::test]
async fn a_plain_text_token_from_before_sealing_is_read_then_sealed_at_its_next_save() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tokens.json");
    // Kept before sealing was turned on.
    JsonFileStore::new(&path)
        .save(&key("1"), &token(1), Expect::Any)
        .await
        .unwrap();
    JsonFileStore::new(&path)
        .save(&key("2"), &token(2), Expect::Any)
        .await
        .unwrap();
    let store = EncryptedStore::new(JsonFileStore::new(&path), old_ring());
    let read = store.load(&key("1")).await.unwrap().unwrap();
    assert_eq!((&read.token, read.version), (&token(1), 1));
    // its next save (a refresh) seals it
    store
        .save(&key("1"), &token(11), Expect::Version(1))
        .await
        .unwrap();
    let raw = files_in(dir.path());
    assert!(!raw.contains("ACCESS-SECRET-0011") && !raw.contains("REFRESH-SECRET-0011"));
    assert!(raw.contains("ACCESS-SECRET-0002"), "shop 2 not saved yet");
    // reseal seals the rest at once
    assert_eq!(store.reseal("").await.unwrap(), 1);
    let raw = files_in(dir.path());
    assert!(!raw.contains("SECRET-0002"), "{raw}");
    assert_eq!(
        store.load(&key("2")).await.unwrap().unwrap().token,
        token(2)
    );
}

/// A Doudian client over the sandbox keeps its shop's token in a sealed JSON file: the expired
/// token is refreshed through it, the new pair is never in the file, another process with the
/// same keyring reads it without refreshing again, and one with a wrong key fails without a
/// secret in the error.
#[cfg(feature = "doudian")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_over_the_sandbox_refreshes_and_calls_through_a_sealed_store() {
    use shop_api::doudian::Client;
    use shop_api::doudian::order::OrderSearchListRequest;
    use shop_api_sandbox::{Credentials, Platform, Sandbox, SandboxConfig};

    const SHOP: &str = "4463798";
    let platform = Sandbox::start(SandboxConfig::default()).await.unwrap();
    platform.grant_refresh(Platform::Doudian, "R0-SEALED-REFRESH");
    let c = Credentials::default();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tokens.json");
    let sealed = |keys: Keyring| -> Arc<dyn TokenStore> {
        Arc::new(EncryptedStore::new(JsonFileStore::new(&path), keys))
    };
    let client = |keys: Keyring| {
        Client::builder(&c.doudian_key, c.doudian_secret.as_str())
            .base_url(platform.url(Platform::Doudian))
            .token_store(sealed(keys))
            .build()
            .unwrap()
    };
    let expired = Token {
        access_token: Secret::new("EXPIRED-SEALED-ACCESS"),
        expires_at: unix_now() - 10,
        refresh_token: Some(Secret::new("R0-SEALED-REFRESH")),
        ..Token::default()
    };
    let k = format!("doudian:production:{}:{SHOP}", c.doudian_key);
    sealed(old_ring())
        .save(&k, &expired, Expect::Any)
        .await
        .unwrap();
    let req = OrderSearchListRequest {
        page: 0,
        size: 1,
        ..Default::default()
    };

    let first = client(old_ring());
    first.shop(SHOP).order_search_list(&req).await.unwrap();
    assert_eq!(platform.count("token.refresh"), 1);
    let fresh = first.shop_token(SHOP).await.unwrap();
    assert!(fresh.is_fresh(Duration::from_secs(60)));
    let raw = files_in(dir.path());
    let new_refresh = fresh.refresh_token.as_ref().unwrap().expose();
    for secret in [
        fresh.access_token.expose(),
        new_refresh,
        "EXPIRED-SEALED-ACCESS",
        "R0-SEALED-REFRESH",
    ] {
        assert!(!raw.contains(secret), "{secret} at rest: {raw}");
    }
    assert_eq!(raw.matches("sealed:v1:2025-01:").count(), 2, "{raw}");

    // Another process, the keys rotated: it reads the token, no second refresh.
    let second = client(rotated_ring());
    second.shop(SHOP).order_search_list(&req).await.unwrap();
    assert_eq!(
        second.shop_token(SHOP).await.unwrap().access_token,
        fresh.access_token
    );
    assert_eq!(platform.count("token.refresh"), 1);

    // One with a wrong key: an error naming the key id, no secret, no refresh.
    let wrong = client(Keyring::new("2025-01", &NEW_KEY).unwrap());
    let e = wrong.shop(SHOP).order_search_list(&req).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Auth, "{e}");
    assert!(e.to_string().contains("`2025-01`"), "{e}");
    let shown = format!("{e} {e:?}");
    assert!(
        !shown.contains(fresh.access_token.expose()) && !shown.contains(new_refresh),
        "{shown}"
    );
    assert_eq!(platform.count("token.refresh"), 1);
    assert_eq!(platform.count("order.searchList"), 2);
}
