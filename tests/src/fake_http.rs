//! A minimal HTTP/1.1 server on 127.0.0.1 for load and fault tests, and for the app side of
//! webhooks: it keeps nothing per request (a 10,000-call test must not measure a recorder), and a
//! handler can answer normally or inject what no platform would send (a reset, a truncated body).
//! Tests that need a platform use the sandbox (`shop-api-sandbox`) instead.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A request as the server read it.
#[derive(Debug, Clone)]
pub struct Request {
    /// `GET`, `POST`, ...
    pub method: String,
    /// Path and query, as sent.
    pub target: String,
    /// Headers, names lower-cased.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl Request {
    /// The path without the query.
    pub fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or_default()
    }

    /// The decoded query pairs.
    pub fn query(&self) -> Vec<(String, String)> {
        let q = self
            .target
            .split_once('?')
            .map(|(_, q)| q)
            .unwrap_or_default();
        url::form_urlencoded::parse(q.as_bytes())
            .into_owned()
            .collect()
    }

    /// A header, by lower-case name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// What the server does with a request.
#[derive(Debug, Clone)]
pub enum Reply {
    /// Answer with a status, extra headers and a body.
    Respond(u16, Vec<(String, String)>, Vec<u8>),
    /// Close the connection without answering (a reset).
    Reset,
    /// Wait, then answer.
    Delay(Duration, Box<Reply>),
    /// Announce `Content-Length` of the full body but send only its first `n` bytes, then close.
    Truncate(usize, Vec<u8>),
}

impl Reply {
    /// `200` with a JSON body.
    pub fn json(v: &serde_json::Value) -> Reply {
        Reply::Respond(
            200,
            vec![("content-type".into(), "application/json".into())],
            v.to_string().into_bytes(),
        )
    }

    /// A status with a text body.
    pub fn status(code: u16, body: &str) -> Reply {
        Reply::Respond(code, Vec::new(), body.as_bytes().to_vec())
    }
}

/// The handler type.
pub type Handler = Arc<dyn Fn(Request) -> Reply + Send + Sync>;

/// A running server; it stops when dropped.
pub struct Server {
    addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl Server {
    /// Serve `handler` on 127.0.0.1 on a free port.
    pub async fn start(handler: impl Fn(Request) -> Reply + Send + Sync + 'static) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().unwrap();
        let handler: Handler = Arc::new(handler);
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(serve(stream, handler.clone()));
            }
        });
        Server { addr, task }
    }

    /// `http://127.0.0.1:<port>`.
    pub fn uri(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn serve(mut stream: TcpStream, handler: Handler) {
    let _ = stream.set_nodelay(true);
    let mut buf: Vec<u8> = Vec::with_capacity(4096);
    loop {
        // Read the head.
        let head_end = loop {
            if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break i + 4;
            }
            let mut chunk = [0u8; 4096];
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        };
        let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
        let mut lines = head.split("\r\n");
        let mut first = lines.next().unwrap_or_default().split(' ');
        let method = first.next().unwrap_or_default().to_owned();
        let target = first.next().unwrap_or_default().to_owned();
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
            .collect();
        let len: usize = headers
            .iter()
            .find(|(k, _)| k == "content-length")
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or(0);
        while buf.len() < head_end + len {
            let mut chunk = [0u8; 4096];
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        }
        let body = buf[head_end..head_end + len].to_vec();
        buf.drain(..head_end + len);
        let mut reply = handler(Request {
            method,
            target,
            headers,
            body,
        });
        while let Reply::Delay(d, next) = reply {
            tokio::time::sleep(d).await;
            reply = *next;
        }
        match reply {
            Reply::Reset => return,
            Reply::Truncate(n, body) => {
                let head = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
                    body.len()
                );
                let _ = stream.write_all(head.as_bytes()).await;
                let _ = stream.write_all(&body[..n.min(body.len())]).await;
                let _ = stream.shutdown().await;
                return;
            }
            Reply::Respond(status, headers, body) => {
                let mut head = format!("HTTP/1.1 {status} X\r\ncontent-length: {}\r\n", body.len());
                for (k, v) in headers {
                    head.push_str(&format!("{k}: {v}\r\n"));
                }
                head.push_str("\r\n");
                // One write: a head and a body in two small writes meet Nagle and delayed ACKs (40 ms).
                let mut out = head.into_bytes();
                out.extend_from_slice(&body);
                if stream.write_all(&out).await.is_err() {
                    return;
                }
            }
            Reply::Delay(..) => unreachable!("delays are unwrapped above"),
        }
    }
}
