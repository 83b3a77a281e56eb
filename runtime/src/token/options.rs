//! How the fleet stores (PostgreSQL, Redis) connect: their TLS roots, timeout and pool size.

use std::time::Duration;

/// How a fleet store connects: extra TLS roots, how long a store call may take, and (PostgreSQL)
/// how many connections it keeps. The defaults suit a worker of a fleet; change them with the
/// builder methods.
///
/// TLS is asked for by the URL, `sslmode=require` (PostgreSQL) or `rediss://` (Redis), and goes
/// through the runtime's TLS feature: rustls (`rustls-tls`, the default) or the system's TLS
/// (`native-tls`). The server's certificate is always verified, against the Mozilla roots
/// (rustls) or the system's (native-tls), plus the roots given here: a private CA, or a cloud
/// database's own.
#[derive(Clone)]
#[non_exhaustive]
pub struct StoreOptions {
    pub(crate) root_certificates: Vec<Vec<u8>>,
    pub(crate) timeout: Duration,
    pub(crate) connections: usize,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            root_certificates: Vec::new(),
            timeout: Self::DEFAULT_TIMEOUT,
            connections: Self::DEFAULT_CONNECTIONS,
        }
    }
}

impl std::fmt::Debug for StoreOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoreOptions")
            .field("root_certificates", &self.root_certificates.len())
            .field("timeout", &self.timeout)
            .field("connections", &self.connections)
            .finish()
    }
}

impl StoreOptions {
    /// How long a store call (connecting included) may take by default: a store that stops
    /// answering fails the call with [`Error::Store`](crate::Error::Store) after it, instead of
    /// stalling every call that needs a token.
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

    /// How many connections a PostgreSQL store keeps by default.
    pub const DEFAULT_CONNECTIONS: usize = 4;

    /// The defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// Also trust the CA certificates in `pem` (PEM text, one or more certificates) for the
    /// store's TLS. With `native-tls`, Redis trusts the system's roots only: add the CA there.
    pub fn root_certificates_pem(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.root_certificates.push(pem.into());
        self
    }

    /// How long a store call may take (at least a millisecond).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout.max(Duration::from_millis(1));
        self
    }

    /// How many connections a PostgreSQL store keeps (at least one). Calls share them; a call
    /// waits for one only when all are busy.
    pub fn connections(mut self, connections: usize) -> Self {
        self.connections = connections.max(1);
        self
    }
}
