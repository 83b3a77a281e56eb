//! Tokens sealed at rest: [`EncryptedStore`] wraps any [`TokenStore`] and encrypts the secrets of
//! each token with a key from a [`Keyring`] the user supplies. The user-facing documentation (the
//! format, what it protects, turning it on, migrating and rotating keys) is on [`EncryptedStore`],
//! since this module is private.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use chacha20poly1305::aead::rand_core::RngCore as _;
use chacha20poly1305::aead::{Aead as _, OsRng, Payload};
use chacha20poly1305::{KeyInit as _, XChaCha20Poly1305, XNonce};

use super::{
    BoxFuture, DEFAULT_REFRESH_LEASE, Expect, Stored, Token, TokenStore, store_error, unix_millis,
};
use crate::{Error, Result, Secret};

/// The start of every sealed value.
const PREFIX: &str = "sealed:";
/// The format this version writes and reads.
const VERSION: &str = "v1";
/// The length of a key, in bytes.
const KEY_LEN: usize = 32;
/// The length of an XChaCha20 nonce, in bytes.
const NONCE_LEN: usize = 24;
/// The length of a Poly1305 tag, in bytes.
const TAG_LEN: usize = 16;
/// The longest key id.
const MAX_ID_LEN: usize = 64;

/// The keys that seal tokens: one current key (new seals), older keys kept to open what they sealed.
///
/// Each key is 32 bytes under a short id (1 to 64 letters, digits, `-`, `_` or `.`), stored in
/// the clear with every value it seals. `Debug` shows the ids, never a key. A mistake (a key of
/// another length, text that is not base64, an id of other characters, an id twice) is an
/// [`Error::Token`] naming the key id, never the key.
///
/// ```
/// # fn run() -> shop_api_runtime::Result<()> {
/// use shop_api_runtime::token::Keyring;
/// let keys = Keyring::from_base64("2025-06", "q83vEjRWeJq8/+7/ASNFZ4mrze8SNFZ4mrze/wEjRWc=")?
///     .with_old_key("2025-01", &[7; 32])?;
/// assert_eq!(keys.current_id(), "2025-06");
/// assert_eq!(format!("{keys:?}"), r#"Keyring { current: "2025-06", old: ["2025-01"] }"#);
/// # Ok(()) }
/// # run().unwrap();
/// ```
#[derive(Clone)]
pub struct Keyring {
    current: String,
    keys: BTreeMap<String, XChaCha20Poly1305>,
}

/// A keyring mistake: the message names the key id, never the key.
fn keyring_error(what: impl fmt::Display) -> Error {
    Error::Token(format!("keyring: {what}"))
}

fn check_id(id: &str) -> Result<()> {
    let plain = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
    if id.is_empty() || id.len() > MAX_ID_LEN || !id.chars().all(plain) {
        // Not echoed whole: a key pasted where its id belongs must not reach a log.
        return Err(keyring_error(format!(
            "a key id is 1 to {MAX_ID_LEN} letters, digits, `-`, `_` or `.`; this one is {} characters{}",
            id.chars().count(),
            if id.contains(':') { ", with a `:`" } else { "" }
        )));
    }
    Ok(())
}

fn cipher(id: &str, key: &[u8]) -> Result<XChaCha20Poly1305> {
    check_id(id)?;
    if key.len() != KEY_LEN {
        return Err(keyring_error(format!(
            "key `{id}` is {} bytes; a key is {KEY_LEN} bytes (256 bits), e.g. `openssl rand -base64 32`",
            key.len()
        )));
    }
    XChaCha20Poly1305::new_from_slice(key).map_err(|_| keyring_error("a key is 32 bytes"))
}

/// The bytes of a key written in base64: the standard or the URL-safe alphabet, padded or not,
/// surrounding whitespace ignored.
fn decode_key(id: &str, text: &str) -> Result<Vec<u8>> {
    let text = text.trim();
    [STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD]
        .iter()
        .find_map(|engine| engine.decode(text).ok())
        .ok_or_else(|| {
            keyring_error(format!(
                "key `{id}` is not base64 (the standard or the URL-safe alphabet)"
            ))
        })
}

impl Keyring {
    /// A ring whose current key is `key` (32 bytes) under `id`.
    pub fn new(id: &str, key: &[u8]) -> Result<Keyring> {
        let cipher = cipher(id, key)?;
        Ok(Keyring {
            current: id.to_owned(),
            keys: BTreeMap::from([(id.to_owned(), cipher)]),
        })
    }

    /// A ring whose current key is written in base64 in `text` (the standard or the URL-safe
    /// alphabet, padded or not; surrounding whitespace, like a file's last newline, is ignored).
    pub fn from_base64(id: &str, text: &str) -> Result<Keyring> {
        Keyring::new(id, &decode_key(id, text)?)
    }

    /// The same ring, also holding `key` (32 bytes) under `id`, to open what it sealed; new
    /// seals keep using the current key.
    pub fn with_old_key(mut self, id: &str, key: &[u8]) -> Result<Keyring> {
        let cipher = cipher(id, key)?;
        if self.keys.contains_key(id) {
            return Err(keyring_error(format!(
                "the ring holds key id `{id}` already"
            )));
        }
        self.keys.insert(id.to_owned(), cipher);
        Ok(self)
    }

    /// [`Keyring::with_old_key`] with the key written in base64.
    pub fn with_old_key_base64(self, id: &str, text: &str) -> Result<Keyring> {
        let key = decode_key(id, text)?;
        self.with_old_key(id, &key)
    }

    /// The id of the key that seals.
    pub fn current_id(&self) -> &str {
        &self.current
    }

    /// The ids of every key in the ring, the current one among them, sorted.
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.keys.keys().map(String::as_str)
    }

    fn old_ids(&self) -> Vec<&str> {
        self.ids().filter(|id| *id != self.current).collect()
    }

    /// `plain` sealed with the current key, for `field` of the token under `store_key`.
    fn seal(
        &self,
        store_key: &str,
        field: &str,
        plain: &str,
    ) -> std::result::Result<String, String> {
        let mut nonce = [0u8; NONCE_LEN];
        OsRng
            .try_fill_bytes(&mut nonce)
            .map_err(|e| format!("the operating system gave no random nonce: {e}"))?;
        let aad = associated_data(&self.current, field, store_key);
        let sealed = self.keys[&self.current]
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: plain.as_bytes(),
                    aad: aad.as_bytes(),
                },
            )
            .map_err(|_| format!("the {field} of {store_key} could not be sealed"))?;
        let mut out = Vec::with_capacity(NONCE_LEN + sealed.len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        Ok(format!(
            "{PREFIX}{VERSION}:{}:{}",
            self.current,
            URL_SAFE_NO_PAD.encode(out)
        ))
    }

    /// The text sealed in `value` (which starts with `sealed:`), for `field` of the token under
    /// `store_key`; or why it does not open, naming no secret.
    fn open(
        &self,
        store_key: &str,
        field: &str,
        value: &str,
    ) -> std::result::Result<String, String> {
        let malformed = || {
            format!(
                "the {field} of {store_key} is not a well-formed sealed value (`sealed:v1:<key id>:<base64url>`)"
            )
        };
        let rest = value.strip_prefix(PREFIX).ok_or_else(malformed)?;
        let (version, rest) = rest.split_once(':').ok_or_else(malformed)?;
        if version != VERSION {
            return Err(if check_id(version).is_ok() {
                format!(
                    "the {field} of {store_key} is sealed in format `{version}`, which this version does not read (it reads `{VERSION}`)"
                )
            } else {
                malformed()
            });
        }
        let (id, data) = rest.split_once(':').ok_or_else(malformed)?;
        check_id(id).map_err(|_| malformed())?;
        let Some(cipher) = self.keys.get(id) else {
            return Err(format!(
                "the {field} of {store_key} is sealed with key id `{id}`, which the keyring does not hold (it holds {}): add that key with Keyring::with_old_key",
                self.ids()
                    .map(|id| format!("`{id}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        };
        let bytes = URL_SAFE_NO_PAD.decode(data).map_err(|_| malformed())?;
        if bytes.len() < NONCE_LEN + TAG_LEN {
            return Err(malformed());
        }
        let (nonce, sealed) = bytes.split_at(NONCE_LEN);
        let aad = associated_data(id, field, store_key);
        let plain = cipher
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: sealed,
                    aad: aad.as_bytes(),
                },
            )
            .map_err(|_| {
                format!(
                    "the {field} of {store_key} does not open with key id `{id}`: the ring's key under that id is not the one that sealed it, or the value was altered, or moved from another store key or field"
                )
            })?;
        String::from_utf8(plain)
            .map_err(|_| format!("the {field} of {store_key} opens to something that is not text"))
    }

    /// Whether `value` is sealed with the current key (in the current format).
    fn is_current(&self, value: &str) -> bool {
        value
            .strip_prefix(PREFIX)
            .and_then(|rest| rest.strip_prefix(VERSION))
            .and_then(|rest| rest.strip_prefix(':'))
            .and_then(|rest| rest.strip_prefix(self.current.as_str()))
            .is_some_and(|rest| rest.starts_with(':'))
    }
}

impl fmt::Debug for Keyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Keyring")
            .field("current", &self.current)
            .field("old", &self.old_ids())
            .finish()
    }
}

/// What a seal authenticates besides the secret: the format, the key id, the field and the store
/// key, so a sealed value opens only where it was sealed.
fn associated_data(id: &str, field: &str, store_key: &str) -> String {
    format!("{PREFIX}{VERSION}:{id}:{field}:{store_key}")
}

/// The fields of a token that are sealed.
const ACCESS: &str = "access_token";
const REFRESH: &str = "refresh_token";

/// How long [`EncryptedStore::reseal`] holds a key's refresh lease (it needs milliseconds).
const RESEAL_LEASE: Duration = DEFAULT_REFRESH_LEASE;
/// How long [`EncryptedStore::reseal`] waits for a refresh lease another holder has: longer than
/// a refresh under the default lease takes.
const RESEAL_WAIT: Duration = Duration::from_secs(2 * DEFAULT_REFRESH_LEASE.as_secs() + 1);
/// How many times a token that changed under [`EncryptedStore::reseal`] is read and sealed again.
const RESEAL_TRIES: usize = 5;

/// A store whose tokens' secrets are sealed with a [`Keyring`] before they reach `S`.
///
/// `S` is any [`TokenStore`]: [`EncryptedStore::new`] takes one by value
/// (`EncryptedStore::new(JsonFileStore::new(path), keys)`), [`EncryptedStore::from_arc`] one
/// already shared, `Arc<dyn TokenStore>` included. It is a [`TokenStore`] itself: `load` opens
/// what `save` sealed; `delete`, `list`, `lease` and `release` pass through; `describe` says
/// `<the inner store> (secrets sealed, key id <current key id>)`.
///
/// **Without it, every store keeps tokens in plain text**: the memory store, the JSON file, the
/// PostgreSQL row and the Redis hash all hold the access and refresh tokens as the platform issued
/// them, and anyone who reads the file, a database dump, a backup or the Redis keyspace can call
/// the platform as the shop. The file store is created readable by its owner alone; the other
/// stores are as private as their servers are.
///
/// # What is sealed
///
/// The token's two secrets, `access_token` and `refresh_token`, each with XChaCha20-Poly1305
/// (RustCrypto's `chacha20poly1305`) under a 32-byte key and a random 24-byte nonce drawn from
/// the operating system for every seal. The sealed value is text, kept in the same field, so every
/// store keeps it unchanged:
///
/// ```text
/// sealed:v1:<key id>:<base64url, no padding, of nonce (24 bytes) ‖ ciphertext ‖ tag (16 bytes)>
/// ```
///
/// The associated data (authenticated, not stored) is the UTF-8 text
/// `sealed:v1:<key id>:<field>:<store key>`, `<field>` being `access_token` or `refresh_token` and
/// `<store key>` the token's key in the store (`doudian:production:<app key>:<shop id>`): a sealed
/// value copied to another shop's row, or from one field to the other, does not open. (So a token
/// moves to another store key by a load and a save through the wrapper, not by copying the row.)
///
/// The rest of the token stays readable, on purpose: the expiry (`expires_at`,
/// `refresh_expires_at`), the `scope` and the `extra` values (`shop_id`, `shop_name`, `open_id`)
/// are not secrets, and operators read them to see which shops are authorized and until when.
/// The store's version and the refresh lease are untouched. The length of a sealed value shows the
/// length of the token.
///
/// What it protects against: whoever reads what the store keeps (a stolen backup, a database dump,
/// a read-only leak, a Redis shared with other teams) without the key. What it does not: whoever
/// has the key or runs the client (it opens tokens to call the platform); whoever can write the
/// store can still delete a token, or put back an older sealed value of the same key and field.
///
/// # Turning it on
///
/// Wrap the store and give the client the wrapper. Keys are 32 random bytes, e.g.
/// `openssl rand -base64 32`, kept out of the store (a secret manager, an environment variable);
/// each has a short id of your choosing (letters, digits, `-`, `_`, `.`), which is stored with
/// every sealed value so the right key opens it.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> shop_api_runtime::Result<()> {
/// use shop_api_runtime::token::{EncryptedStore, Expect, Keyring, MemoryStore, Token, TokenStore};
/// use shop_api_runtime::Secret;
///
/// // In production: Keyring::from_base64("2025-06", &std::env::var("TOKEN_KEY")?)
/// let keys = Keyring::from_base64("2025-06", "q83vEjRWeJq8/+7/ASNFZ4mrze8SNFZ4mrze/wEjRWc=")?;
/// let store = EncryptedStore::new(MemoryStore::new(), keys);
/// let token = Token {
///     access_token: Secret::new("the-access-token"),
///     ..Token::default()
/// };
/// store.save("doudian:production:app:4463798", &token, Expect::Any).await?;
///
/// // The inner store holds the sealed form only ...
/// let kept = store.inner().load("doudian:production:app:4463798").await?.unwrap();
/// assert!(kept.token.access_token.expose().starts_with("sealed:v1:2025-06:"));
/// // ... and the wrapper opens it.
/// let read = store.load("doudian:production:app:4463798").await?.unwrap();
/// assert_eq!(read.token.access_token.expose(), "the-access-token");
/// # Ok(()) }
/// ```
///
/// With a client: `.token_store(Arc::new(EncryptedStore::new(PostgresStore::connect(url).await?,
/// keys)))`, or [`EncryptedStore::from_arc`] over a store you already hold as
/// `Arc<dyn TokenStore>`. Every process sharing the store needs the same keyring.
///
/// # Tokens kept in plain text before
///
/// A token the store kept in plain text before sealing was turned on is read as it is, and sealed
/// at its next save (its next refresh); [`EncryptedStore::reseal`] seals them all at once. A value
/// is taken as sealed when it starts with `sealed:`, which no platform's token does.
///
/// # Rotating keys
///
/// 1. Give every process the new key as an old one (open only):
///    `Keyring::from_base64("2025-01", old)?.with_old_key_base64("2025-06", new)?`, so that none
///    fails on a value the others seal with it.
/// 2. Then make it current: `Keyring::from_base64("2025-06", new)?.with_old_key_base64("2025-01",
///    old)?`. New seals use it; values sealed with the old key still open.
/// 3. Run [`EncryptedStore::reseal`] once (from any one process) on the keys' prefix (`""` for all):
///    it saves every token again under the current key.
/// 4. Drop the old key from the ring.
///
/// Step 1 can be left out when every process sharing the store takes the new ring at the same
/// time (a restart of them all): a process still on the old ring cannot open what the new key
/// sealed.
///
/// # Errors
///
/// A value that does not open (sealed with a key id the ring does not hold, under the right id but
/// with another key, altered, or moved from another key or field) fails the load with
/// [`Error::Token`], of kind [`ErrorKind::Auth`](crate::ErrorKind::Auth): a configuration or
/// credentials problem, not retryable; retrying unchanged cannot open it. It names the store, the
/// store key, the field and the key id, never a token or a key. It is not [`Error::Store`]: that
/// one is an outage (`StoreUnavailable`, retryable) and a wrong key is not. Errors of the inner
/// store pass through as they are; the operating system failing to give a nonce is an
/// [`Error::Store`].
pub struct EncryptedStore<S: ?Sized> {
    keys: Keyring,
    inner: Arc<S>,
}

impl<S: ?Sized> Clone for EncryptedStore<S> {
    fn clone(&self) -> Self {
        EncryptedStore {
            keys: self.keys.clone(),
            inner: self.inner.clone(),
        }
    }
}

impl<S: TokenStore + ?Sized> fmt::Debug for EncryptedStore<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EncryptedStore")
            .field("inner", &self.inner.describe())
            .field("keys", &self.keys)
            .finish()
    }
}

impl<S: TokenStore> EncryptedStore<S> {
    /// `inner`, its tokens' secrets sealed with `keys`.
    pub fn new(inner: S, keys: Keyring) -> Self {
        Self::from_arc(Arc::new(inner), keys)
    }
}

impl<S: TokenStore + ?Sized> EncryptedStore<S> {
    /// The same over a store already shared (`Arc<dyn TokenStore>` included).
    pub fn from_arc(inner: Arc<S>, keys: Keyring) -> Self {
        EncryptedStore { keys, inner }
    }

    /// The store underneath, which holds the sealed values.
    pub fn inner(&self) -> &Arc<S> {
        &self.inner
    }

    /// The keyring.
    pub fn keyring(&self) -> &Keyring {
        &self.keys
    }

    /// A value that does not open: a credentials problem (the keyring), named with the store.
    fn unopened(&self, why: String) -> Error {
        Error::Token(format!("token store {}: {why}", self.describe()))
    }

    fn open_field(&self, store_key: &str, field: &str, value: &Secret) -> Result<Secret> {
        let text = value.expose();
        if !text.starts_with(PREFIX) {
            // Kept before sealing was turned on: read as it is, sealed at the next save.
            tracing::debug!(
                key = store_key,
                field,
                "a token secret kept in plain text: it is sealed at its next save"
            );
            return Ok(value.clone());
        }
        self.keys
            .open(store_key, field, text)
            .map(Secret::new)
            .map_err(|why| self.unopened(why))
    }

    fn open_token(&self, store_key: &str, mut token: Token) -> Result<Token> {
        token.access_token = self.open_field(store_key, ACCESS, &token.access_token)?;
        if let Some(refresh) = &token.refresh_token {
            token.refresh_token = Some(self.open_field(store_key, REFRESH, refresh)?);
        }
        Ok(token)
    }

    fn seal_token(&self, store_key: &str, token: &Token) -> Result<Token> {
        let seal = |field: &str, value: &Secret| {
            self.keys
                .seal(store_key, field, value.expose())
                .map(Secret::new)
                .map_err(|why| store_error(&self.describe(), why))
        };
        let mut sealed = token.clone();
        sealed.access_token = seal(ACCESS, &token.access_token)?;
        if let Some(refresh) = &token.refresh_token {
            sealed.refresh_token = Some(seal(REFRESH, refresh)?);
        }
        Ok(sealed)
    }

    /// Whether every secret of `token` (as kept) is sealed with the current key.
    fn sealed_with_current_key(&self, token: &Token) -> bool {
        self.keys.is_current(token.access_token.expose())
            && token
                .refresh_token
                .as_ref()
                .is_none_or(|r| self.keys.is_current(r.expose()))
    }

    /// Save every token under `prefix` (`""`: all) again, sealed with the current key: the last
    /// step of a key rotation (see [Rotating keys](EncryptedStore#rotating-keys)), after which the old keys
    /// can leave the ring. Tokens kept in plain text are sealed too. Returns how many were saved;
    /// tokens already sealed with the current key are left as they are, so running it again is
    /// cheap.
    ///
    /// Each token is saved under its key's refresh lease and only over the version read
    /// (compare-and-swap): a refresh in progress is waited for (up to a minute), and a token
    /// saved meanwhile is read and sealed again. The values change, the tokens do not: a refresh
    /// that starts afterwards reads the resealed token. A token that does not open (its key is not
    /// in the ring) stops the run with that error, naming it; the tokens before it stay resealed.
    pub async fn reseal(&self, prefix: &str) -> Result<usize> {
        let holder = reseal_holder();
        let mut saved = 0;
        for key in self.inner.list(prefix).await? {
            if self.reseal_one(&key, &holder).await? {
                saved += 1;
            }
        }
        Ok(saved)
    }

    async fn reseal_one(&self, key: &str, holder: &str) -> Result<bool> {
        match self.inner.load(key).await? {
            Some(kept) if !self.sealed_with_current_key(&kept.token) => {}
            _ => return Ok(false),
        }
        let give_up = std::time::Instant::now() + RESEAL_WAIT;
        let mut pause = Duration::from_millis(50);
        while !self.inner.lease(key, holder, RESEAL_LEASE).await? {
            if std::time::Instant::now() > give_up {
                return Err(store_error(
                    &self.describe(),
                    format!(
                        "the refresh lease of {key} stayed held by another for {RESEAL_WAIT:?}: reseal again later"
                    ),
                ));
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_secs(1));
        }
        let result = self.reseal_leased(key).await;
        if let Err(e) = self.inner.release(key, holder).await {
            tracing::warn!(key, error = %e, "could not give the refresh lease back after resealing; it lapses by itself");
        }
        result
    }

    async fn reseal_leased(&self, key: &str) -> Result<bool> {
        for _ in 0..RESEAL_TRIES {
            let Some(kept) = self.inner.load(key).await? else {
                return Ok(false);
            };
            if self.sealed_with_current_key(&kept.token) {
                return Ok(false);
            }
            let token = self.open_token(key, kept.token)?;
            let sealed = self.seal_token(key, &token)?;
            if self
                .inner
                .save(key, &sealed, Expect::Version(kept.version))
                .await?
                .is_some()
            {
                tracing::debug!(key, key_id = self.keys.current_id(), "token resealed");
                return Ok(true);
            }
        }
        Err(store_error(
            &self.describe(),
            format!("{key} changed at each of {RESEAL_TRIES} tries to reseal it: reseal again"),
        ))
    }
}

/// A lease holder's name for [`EncryptedStore::reseal`], unique across a fleet's processes.
fn reseal_holder() -> String {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    format!("reseal/{}/{n}/{}", std::process::id(), unix_millis())
}

impl<S: TokenStore + ?Sized> TokenStore for EncryptedStore<S> {
    fn describe(&self) -> String {
        format!(
            "{} (secrets sealed, key id {})",
            self.inner.describe(),
            self.keys.current_id()
        )
    }

    fn load<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<Stored>>> {
        Box::pin(async move {
            match self.inner.load(key).await? {
                Some(kept) => Ok(Some(Stored {
                    token: self.open_token(key, kept.token)?,
                    version: kept.version,
                })),
                None => Ok(None),
            }
        })
    }

    fn save<'a>(
        &'a self,
        key: &'a str,
        token: &'a Token,
        expect: Expect,
    ) -> BoxFuture<'a, Result<Option<u64>>> {
        Box::pin(async move {
            let sealed = self.seal_token(key, token)?;
            self.inner.save(key, &sealed, expect).await
        })
    }

    fn delete<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<bool>> {
        self.inner.delete(key)
    }

    fn list<'a>(&'a self, prefix: &'a str) -> BoxFuture<'a, Result<Vec<String>>> {
        self.inner.list(prefix)
    }

    fn lease<'a>(
        &'a self,
        key: &'a str,
        holder: &'a str,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<bool>> {
        self.inner.lease(key, holder, ttl)
    }

    fn release<'a>(&'a self, key: &'a str, holder: &'a str) -> BoxFuture<'a, Result<()>> {
        self.inner.release(key, holder)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;
    use crate::token::{JsonFileStore, MemoryStore, check_store};

    const KEY: &str = "doudian:production:app:4463798";

    fn ring(id: &str, byte: u8) -> Keyring {
        Keyring::new(id, &[byte; 32]).unwrap()
    }

    fn token() -> Token {
        Token {
            access_token: Secret::new("ACCESS-SECRET-1"),
            // fixed times (in 2033), so a token made again compares equal
            expires_at: 2_000_000_000,
            refresh_token: Some(Secret::new("REFRESH-SECRET-1")),
            refresh_expires_at: Some(2_000_086_400),
            scope: Some("order.read".into()),
            extra: BTreeMap::from([("shop_name".to_owned(), "Tea House".to_owned())]),
        }
    }

    fn shows_no_secret(e: &Error) {
        let shown = format!("{e} {e:?}");
        for secret in ["ACCESS-SECRET-1", "REFRESH-SECRET-1"] {
            assert!(!shown.contains(secret), "{shown}");
        }
    }

    /// The token as the inner store keeps it under `key`.
    async fn kept(store: &EncryptedStore<MemoryStore>, key: &str) -> Stored {
        store.inner().load(key).await.unwrap().unwrap()
    }

    #[tokio::test]
    async fn the_store_contract_holds_through_sealing_over_memory_and_a_file() {
        check_store(
            &EncryptedStore::new(MemoryStore::new(), ring("k1", 1)),
            "test:",
        )
        .await
        .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let file = JsonFileStore::new(dir.path().join("tokens.json"));
        check_store(&EncryptedStore::new(file, ring("k1", 1)), "test:")
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn a_token_reads_back_as_saved_while_the_inner_store_holds_only_sealed_secrets() {
        let store = EncryptedStore::new(MemoryStore::new(), ring("k1", 1));
        assert_eq!(
            store.save(KEY, &token(), Expect::Any).await.unwrap(),
            Some(1)
        );
        let read = store.load(KEY).await.unwrap().unwrap();
        assert_eq!((read.token, read.version), (token(), 1));
        let raw = kept(&store, KEY).await.token;
        assert!(raw.access_token.expose().starts_with("sealed:v1:k1:"));
        let refresh = raw.refresh_token.as_ref().unwrap().expose();
        assert!(refresh.starts_with("sealed:v1:k1:"));
        let text = serde_json::to_string(&raw).unwrap();
        assert!(!text.contains("SECRET"), "{text}");
        // what is not secret stays readable
        assert_eq!(
            (raw.expires_at, raw.refresh_expires_at, raw.scope, raw.extra),
            (
                token().expires_at,
                token().refresh_expires_at,
                token().scope,
                token().extra
            )
        );
    }

    #[tokio::test]
    async fn every_seal_draws_a_new_nonce() {
        let store = EncryptedStore::new(MemoryStore::new(), ring("k1", 1));
        store.save(KEY, &token(), Expect::Any).await.unwrap();
        let first = kept(&store, KEY).await.token.access_token;
        store.save(KEY, &token(), Expect::Any).await.unwrap();
        let second = kept(&store, KEY).await.token.access_token;
        assert_ne!(first, second);
    }

    #[tokio::test]
    async fn a_value_sealed_by_hand_as_documented_opens_and_a_sealed_value_opens_by_hand() {
        // Only the crate and the documented format: nothing of this module.
        let key = [9u8; 32];
        let cipher = XChaCha20Poly1305::new_from_slice(&key).unwrap();
        let nonce = [4u8; 24];
        let aad = format!("sealed:v1:hand:access_token:{KEY}");
        let ct = cipher
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: b"BY-HAND",
                    aad: aad.as_bytes(),
                },
            )
            .unwrap();
        let value = format!(
            "sealed:v1:hand:{}",
            URL_SAFE_NO_PAD.encode([&nonce[..], &ct].concat())
        );
        let store = EncryptedStore::new(MemoryStore::new(), Keyring::new("hand", &key).unwrap());
        let t = Token {
            access_token: Secret::new(value),
            ..Token::default()
        };
        store.inner().save(KEY, &t, Expect::Any).await.unwrap();
        let read = store.load(KEY).await.unwrap().unwrap().token;
        assert_eq!(read.access_token.expose(), "BY-HAND");

        // and the other way: what the store seals opens by hand
        store.save(KEY, &token(), Expect::Any).await.unwrap();
        let raw = kept(&store, KEY).await.token;
        let refresh = raw.refresh_token.unwrap();
        let b64 = refresh.expose().strip_prefix("sealed:v1:hand:").unwrap();
        let bytes = URL_SAFE_NO_PAD.decode(b64).unwrap();
        let (nonce, ct) = bytes.split_at(24);
        let aad = format!("sealed:v1:hand:refresh_token:{KEY}");
        let plain = cipher
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: ct,
                    aad: aad.as_bytes(),
                },
            )
            .unwrap();
        assert_eq!(plain, b"REFRESH-SECRET-1");
    }

    #[test]
    fn keys_of_the_wrong_length_or_with_bad_ids_are_refused_without_showing_the_key() {
        for len in [0, 16, 31, 33] {
            let e = Keyring::new("k1", &vec![0x41; len]).unwrap_err();
            assert!(
                e.to_string().contains(&format!("`k1` is {len} bytes")),
                "{e}"
            );
        }
        let short = STANDARD.encode([0x41u8; 31]);
        let e = Keyring::from_base64("k1", &short).unwrap_err();
        assert!(
            e.to_string().contains("31 bytes") && !e.to_string().contains(&short),
            "{e}"
        );
        let e = Keyring::from_base64("k1", "not base64!").unwrap_err();
        assert!(e.to_string().contains("not base64"), "{e}");
        // a key pasted where its id belongs is not echoed
        let pasted = STANDARD.encode([0x42u8; 32]);
        for id in ["", "a:b", "with space", &"x".repeat(65), &pasted] {
            let e = Keyring::new(id, &[0; 32]).unwrap_err();
            assert!(e.to_string().contains("key id"), "{e}");
            if !id.is_empty() {
                assert!(!e.to_string().contains(id), "{e}");
            }
        }
        assert_eq!(e_kind(Keyring::new("", &[0; 32])), ErrorKind::Auth);
        let e = ring("k1", 1).with_old_key("k1", &[2; 32]).unwrap_err();
        assert!(e.to_string().contains("`k1` already"), "{e}");
    }

    fn e_kind(r: Result<Keyring>) -> ErrorKind {
        r.unwrap_err().kind()
    }

    #[test]
    fn a_key_in_base64_is_read_in_either_alphabet_padded_or_not() {
        let key: Vec<u8> = (0..32).map(|i| i * 7 + 250).map(|b: u32| b as u8).collect();
        let expected = Keyring::new("k", &key).unwrap();
        for text in [
            STANDARD.encode(&key),
            STANDARD_NO_PAD.encode(&key),
            URL_SAFE.encode(&key),
            format!("  {}\n", URL_SAFE_NO_PAD.encode(&key)),
        ] {
            let ring = Keyring::from_base64("k", &text).unwrap();
            // the same key: what one seals, the other opens
            let sealed = ring.seal(KEY, ACCESS, "x").unwrap();
            assert_eq!(expected.open(KEY, ACCESS, &sealed).unwrap(), "x", "{text}");
        }
    }

    #[test]
    fn a_keyring_shows_its_ids_and_never_a_key() {
        let keys = Keyring::new("new", &[0xAB; 32])
            .unwrap()
            .with_old_key("old", &[0xCD; 32])
            .unwrap();
        let shown = format!("{keys:?}");
        assert_eq!(shown, r#"Keyring { current: "new", old: ["old"] }"#);
        let store = EncryptedStore::new(MemoryStore::new(), keys.clone());
        let shown = format!("{store:?}");
        assert!(
            !shown.to_lowercase().contains("abab") && !shown.contains("171"),
            "{shown}"
        );
        assert_eq!(keys.ids().collect::<Vec<_>>(), ["new", "old"]);
    }

    #[test]
    fn describe_says_the_store_is_sealed_and_names_the_current_key() {
        let store = EncryptedStore::new(MemoryStore::new(), ring("2025-06", 1));
        assert_eq!(
            store.describe(),
            "in memory (secrets sealed, key id 2025-06)"
        );
    }

    #[tokio::test]
    async fn a_value_that_does_not_open_is_a_credentials_error_naming_key_and_key_id() {
        let store = EncryptedStore::new(MemoryStore::new(), ring("k1", 1));
        store.save(KEY, &token(), Expect::Any).await.unwrap();
        let raw = kept(&store, KEY).await.token;

        // another key under the same id
        let wrong = EncryptedStore::from_arc(store.inner().clone(), ring("k1", 2));
        let e = wrong.load(KEY).await.unwrap_err();
        assert!(matches!(e, Error::Token(_)), "{e:?}");
        assert_eq!(e.kind(), ErrorKind::Auth);
        assert!(!e.kind().is_retryable());
        let msg = e.to_string();
        assert!(
            msg.contains(KEY) && msg.contains("`k1`") && msg.contains("in memory"),
            "{msg}"
        );
        shows_no_secret(&e);

        // a ring without the id
        let other = EncryptedStore::from_arc(store.inner().clone(), ring("k2", 1));
        let e = other.load(KEY).await.unwrap_err();
        assert!(
            e.to_string()
                .contains("key id `k1`, which the keyring does not hold (it holds `k2`)"),
            "{e}"
        );
        shows_no_secret(&e);

        // a tampered value, a bad format, an unknown version
        let access = raw.access_token.expose().to_owned();
        // one character of the ciphertext changed (not the last, which holds padding bits)
        let flip = |s: &str| {
            let at = s.len() - 10;
            let swap = if &s[at..=at] == "A" { "B" } else { "A" };
            format!("{}{swap}{}", &s[..at], &s[at + 1..])
        };
        for (bad, says) in [
            (flip(&access), "does not open with key id `k1`"),
            (
                access.replacen("sealed:v1:", "sealed:v9:", 1),
                "format `v9`",
            ),
            (
                "sealed:v1:k1:%%%".to_owned(),
                "not a well-formed sealed value",
            ),
            (
                "sealed:v1:k1:AAAA".to_owned(),
                "not a well-formed sealed value",
            ),
            (
                "sealed:garbage".to_owned(),
                "not a well-formed sealed value",
            ),
        ] {
            let t = Token {
                access_token: Secret::new(bad),
                ..raw.clone()
            };
            store.inner().save(KEY, &t, Expect::Any).await.unwrap();
            let e = store.load(KEY).await.unwrap_err();
            assert!(e.to_string().contains(says), "{says}: {e}");
            assert!(e.to_string().contains("access_token"), "{e}");
            shows_no_secret(&e);
        }
    }

    #[tokio::test]
    async fn a_sealed_value_moved_to_another_key_or_field_does_not_open() {
        let store = EncryptedStore::new(MemoryStore::new(), ring("k1", 1));
        store.save(KEY, &token(), Expect::Any).await.unwrap();
        let raw = kept(&store, KEY).await.token;
        // to another shop's row
        let other = "doudian:production:app:9999999";
        store.inner().save(other, &raw, Expect::Any).await.unwrap();
        let e = store.load(other).await.unwrap_err();
        assert!(
            e.to_string().contains(other) && e.to_string().contains("does not open"),
            "{e}"
        );
        shows_no_secret(&e);
        // from one field to the other
        let swapped = Token {
            access_token: raw.refresh_token.clone().unwrap(),
            refresh_token: Some(raw.access_token.clone()),
            ..raw
        };
        store
            .inner()
            .save(KEY, &swapped, Expect::Any)
            .await
            .unwrap();
        let e = store.load(KEY).await.unwrap_err();
        assert!(e.to_string().contains("access_token of"), "{e}");
        shows_no_secret(&e);
    }

    #[tokio::test]
    async fn a_plain_text_token_is_read_as_it_is_and_sealed_at_its_next_save() {
        let inner = Arc::new(MemoryStore::new());
        inner.save(KEY, &token(), Expect::Any).await.unwrap();
        let store = EncryptedStore::from_arc(inner, ring("k1", 1));
        let read = store.load(KEY).await.unwrap().unwrap();
        assert_eq!((&read.token, read.version), (&token(), 1));
        store
            .save(KEY, &read.token, Expect::Version(1))
            .await
            .unwrap();
        let raw = kept(&store, KEY).await.token;
        assert!(store.sealed_with_current_key(&raw));
        assert_eq!(store.load(KEY).await.unwrap().unwrap().token, token());
    }

    #[tokio::test]
    async fn reseal_moves_every_token_to_the_current_key_and_the_old_key_can_go() {
        let inner = Arc::new(MemoryStore::new());
        let old = EncryptedStore::from_arc(inner.clone(), ring("old", 1));
        for shop in ["1", "2", "3"] {
            old.save(&format!("doudian:p:app:{shop}"), &token(), Expect::Any)
                .await
                .unwrap();
        }
        // one kept in plain text, from before sealing
        inner
            .save("doudian:p:app:4", &token(), Expect::Any)
            .await
            .unwrap();
        inner
            .save("tiktok:p:app:5", &token(), Expect::Any)
            .await
            .unwrap();
        let both = Keyring::new("new", &[2; 32])
            .unwrap()
            .with_old_key("old", &[1; 32])
            .unwrap();
        let rotated = EncryptedStore::from_arc(inner.clone(), both);
        assert_eq!(
            rotated
                .load("doudian:p:app:1")
                .await
                .unwrap()
                .unwrap()
                .token,
            token()
        );
        assert_eq!(rotated.reseal("doudian:").await.unwrap(), 4);
        assert_eq!(
            rotated.reseal("doudian:").await.unwrap(),
            0,
            "nothing left to move"
        );
        let new_only = EncryptedStore::from_arc(inner.clone(), ring("new", 2));
        for shop in ["1", "2", "3", "4"] {
            let s = new_only
                .load(&format!("doudian:p:app:{shop}"))
                .await
                .unwrap()
                .unwrap();
            assert_eq!((s.token, s.version), (token(), 2), "{shop}");
        }
        // outside the prefix: untouched
        let untouched = inner.load("tiktok:p:app:5").await.unwrap().unwrap();
        assert_eq!(untouched.token, token());
    }

    #[tokio::test]
    async fn reseal_waits_for_a_refresh_in_progress_and_saves_over_what_it_saved() {
        let inner: Arc<dyn TokenStore> = Arc::new(MemoryStore::new());
        let old = EncryptedStore::from_arc(inner.clone(), ring("old", 1));
        old.save(KEY, &token(), Expect::Any).await.unwrap();
        assert!(
            inner
                .lease(KEY, "refresher", Duration::from_secs(5))
                .await
                .unwrap()
        );
        let refresher = old.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(300)).await;
            let refreshed = Token {
                access_token: Secret::new("ACCESS-SECRET-2"),
                ..token()
            };
            let saved = refresher.save(KEY, &refreshed, Expect::Version(1)).await;
            assert_eq!(saved.unwrap(), Some(2));
            refresher.inner().release(KEY, "refresher").await.unwrap();
        });
        let rotated = EncryptedStore::from_arc(
            inner.clone(),
            Keyring::new("new", &[2; 32])
                .unwrap()
                .with_old_key("old", &[1; 32])
                .unwrap(),
        );
        let started = std::time::Instant::now();
        assert_eq!(rotated.reseal("").await.unwrap(), 1);
        assert!(started.elapsed() >= Duration::from_millis(250));
        let s = EncryptedStore::from_arc(inner, ring("new", 2))
            .load(KEY)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (s.token.access_token.expose(), s.version),
            ("ACCESS-SECRET-2", 3)
        );
    }

    #[tokio::test]
    async fn reseal_stops_at_a_token_whose_key_is_not_in_the_ring_and_names_it() {
        let inner = Arc::new(MemoryStore::new());
        EncryptedStore::from_arc(inner.clone(), ring("lost", 1))
            .save(KEY, &token(), Expect::Any)
            .await
            .unwrap();
        let e = EncryptedStore::from_arc(inner, ring("new", 2))
            .reseal("")
            .await
            .unwrap_err();
        assert!(
            e.to_string().contains(KEY) && e.to_string().contains("`lost`"),
            "{e}"
        );
        shows_no_secret(&e);
    }
}
