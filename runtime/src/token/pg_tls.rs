//! TLS for the PostgreSQL store, through the runtime's TLS stack: rustls (`rustls-tls`) or the
//! system's TLS (`native-tls`). Used when the URL asks for it (`sslmode=require`); the server's
//! certificate is verified, and its name must match the host.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio_postgres::Socket;
use tokio_postgres::tls::{ChannelBinding, MakeTlsConnect, TlsConnect, TlsStream};

use super::BoxFuture;

#[cfg(feature = "rustls-tls")]
type Inner = tokio_rustls::client::TlsStream<Socket>;
#[cfg(all(feature = "native-tls", not(feature = "rustls-tls")))]
type Inner = tokio_native_tls::TlsStream<Socket>;

#[cfg(feature = "rustls-tls")]
type Connector = std::sync::Arc<rustls::ClientConfig>;
#[cfg(all(feature = "native-tls", not(feature = "rustls-tls")))]
type Connector = tokio_native_tls::TlsConnector;

/// Makes a TLS session per connection, trusting the platform's roots and the given ones.
#[derive(Clone)]
pub(crate) struct MakeTls(Connector);

impl MakeTls {
    /// The connector, trusting the default roots and the CA certificates in `pems`.
    #[cfg(feature = "rustls-tls")]
    pub(crate) fn new(pems: &[Vec<u8>]) -> Result<Self, String> {
        use rustls::pki_types::CertificateDer;
        use rustls::pki_types::pem::PemObject;
        let mut roots = rustls::RootCertStore::empty();
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        for pem in pems {
            let mut found = 0;
            for cert in CertificateDer::pem_slice_iter(pem) {
                let cert = cert.map_err(|e| format!("a root certificate does not parse: {e}"))?;
                roots
                    .add(cert)
                    .map_err(|e| format!("a root certificate is refused: {e}"))?;
                found += 1;
            }
            if found == 0 {
                return Err("the root certificates hold no PEM certificate".into());
            }
        }
        let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| e.to_string())?
            .with_root_certificates(roots)
            .with_no_client_auth();
        Ok(MakeTls(std::sync::Arc::new(config)))
    }

    /// The connector, trusting the system's roots and the CA certificates in `pems`.
    #[cfg(all(feature = "native-tls", not(feature = "rustls-tls")))]
    pub(crate) fn new(pems: &[Vec<u8>]) -> Result<Self, String> {
        let mut builder = native_tls::TlsConnector::builder();
        for pem in pems {
            let cert = native_tls::Certificate::from_pem(pem)
                .map_err(|e| format!("a root certificate does not parse: {e}"))?;
            builder.add_root_certificate(cert);
        }
        let connector = builder.build().map_err(|e| e.to_string())?;
        Ok(MakeTls(connector.into()))
    }
}

/// One connection's TLS handshake, for `host`.
pub(crate) struct Connect {
    connector: Connector,
    host: String,
}

impl MakeTlsConnect<Socket> for MakeTls {
    type Stream = Stream;
    type TlsConnect = Connect;
    type Error = io::Error;

    fn make_tls_connect(&mut self, host: &str) -> io::Result<Connect> {
        Ok(Connect {
            connector: self.0.clone(),
            host: host.to_owned(),
        })
    }
}

impl TlsConnect<Socket> for Connect {
    type Stream = Stream;
    type Error = io::Error;
    type Future = BoxFuture<'static, io::Result<Stream>>;

    fn connect(self, socket: Socket) -> Self::Future {
        Box::pin(async move {
            #[cfg(feature = "rustls-tls")]
            let stream = {
                let name = rustls::pki_types::ServerName::try_from(self.host)
                    .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
                tokio_rustls::TlsConnector::from(self.connector)
                    .connect(name, socket)
                    .await?
            };
            #[cfg(all(feature = "native-tls", not(feature = "rustls-tls")))]
            let stream = self
                .connector
                .connect(&self.host, socket)
                .await
                .map_err(io::Error::other)?;
            Ok(Stream(stream))
        })
    }
}

/// A TLS session to the server.
pub(crate) struct Stream(Inner);

impl TlsStream for Stream {
    fn channel_binding(&self) -> ChannelBinding {
        // SCRAM's channel binding (`-PLUS`) is not offered; authentication is plain SCRAM over
        // the verified TLS session.
        ChannelBinding::none()
    }
}

impl AsyncRead for Stream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_read(cx, buf)
    }
}

impl AsyncWrite for Stream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_shutdown(cx)
    }
}
