//! One error type for every platform.

use std::time::Duration;

/// The result of every call.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What went wrong with a call. No message shows a secret: the one variant that carries a token,
/// [`Error::TokenNotSaved`], hands it to the caller and redacts it in `Debug`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The platform answered with its error envelope (boxed, so `Result<T, Error>` stays small).
    #[error(transparent)]
    Api(Box<ApiError>),
    /// The server answered with an HTTP error status and no platform envelope. The message says
    /// the status alone: the body (a proxy's page, or a token call's answer) stays in `body`, out
    /// of logs that print errors.
    #[error("{endpoint}: HTTP {status}")]
    Http {
        /// The endpoint's name.
        endpoint: String,
        /// The HTTP status.
        status: u16,
        /// The start of the body (at most 512 bytes).
        body: String,
        /// `Retry-After`, when the server sent it.
        retry_after: Option<Duration>,
    },
    /// The request did not complete: connection refused or reset, timeout, TLS.
    #[error("{endpoint}: {message}")]
    Transport {
        /// The endpoint's name.
        endpoint: String,
        /// What failed (the URL, which may hold a token, is left out).
        message: String,
        /// Whether the timeout ran out.
        timeout: bool,
        /// Whether the request may not have reached the server (safe to retry).
        connect: bool,
    },
    /// The response is not what the endpoint documents: not JSON, truncated, wrong shape.
    #[error("{endpoint}: cannot decode the response: {message}")]
    Decode {
        /// The endpoint's name.
        endpoint: String,
        /// The decoder's message, with the JSON path where it stopped.
        message: String,
        /// The start of the body (at most 512 bytes).
        body: String,
    },
    /// The request was refused before sending (bad field, missing token or credentials).
    #[error("{endpoint}: invalid request: {message}")]
    InvalidRequest {
        /// The endpoint's name.
        endpoint: String,
        /// What is wrong.
        message: String,
    },
    /// Getting, refreshing or storing a token failed.
    #[error("token: {0}")]
    Token(String),
    /// The token store (or the shared rate limiter's) failed or is out of reach: an outage, to
    /// try again later, not a credentials problem. Names the store; keeps what it said.
    #[error("token store {store}: {message}")]
    Store {
        /// The store, as it describes itself (`PostgreSQL 127.0.0.1:5432/app table ...`).
        store: String,
        /// What failed.
        message: String,
        /// The store client's own error, when there is one.
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },
    /// A refresh succeeded but its new token could not be saved, even after retries within the
    /// refresh lease. The platform has already spent the old refresh token, so the new pair is
    /// here: keep it (`client.tokens().put(key, token)` once the store is back, or a record of
    /// your own) or the shop must authorize again.
    /// Its secrets show in neither the message nor `Debug`.
    #[error(
        "token: refreshed {key}, but the new token could not be saved in {store}: {message}; the error carries it (Error::unsaved_token)"
    )]
    TokenNotSaved {
        /// The store key of the token.
        key: String,
        /// The store, as it describes itself.
        store: String,
        /// What the store said.
        message: String,
        /// The new token (access and refresh token), which only this error holds now.
        token: Box<crate::token::Token>,
    },
}

impl Error {
    /// The category of the error (for [`Error::Api`] its kind; transport and HTTP errors are mapped).
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Api(e) => e.kind,
            Error::Http { status: 429, .. } => ErrorKind::RateLimited,
            Error::Http { status: 401, .. } => ErrorKind::Auth,
            Error::Http { status, .. } if *status >= 500 => ErrorKind::Server,
            Error::Http { .. } => ErrorKind::Other,
            Error::Transport { timeout: true, .. } => ErrorKind::Timeout,
            Error::Transport { .. } => ErrorKind::Transport,
            Error::Decode { .. } => ErrorKind::Decode,
            Error::InvalidRequest { .. } => ErrorKind::InvalidParam,
            Error::Token(_) => ErrorKind::Auth,
            // not retried: a retry would refresh again with the refresh token already spent
            Error::TokenNotSaved { .. } => ErrorKind::Other,
            Error::Store { .. } => ErrorKind::StoreUnavailable,
        }
    }

    /// The new token of a refresh that could not be saved ([`Error::TokenNotSaved`]).
    pub fn unsaved_token(&self) -> Option<&crate::token::Token> {
        match self {
            Error::TokenNotSaved { token, .. } => Some(token),
            _ => None,
        }
    }

    /// The platform error, if the platform answered with one.
    pub fn api(&self) -> Option<&ApiError> {
        match self {
            Error::Api(e) => Some(e),
            _ => None,
        }
    }

    pub(crate) fn decode(endpoint: &str, message: impl std::fmt::Display, body: &[u8]) -> Error {
        Error::Decode {
            endpoint: endpoint.to_owned(),
            message: message.to_string(),
            body: snippet(body),
        }
    }

    /// A token call answered success without what a token needs (`what`): nothing is saved, the
    /// token kept before stays.
    pub(crate) fn empty_token_answer(endpoint: &str, what: &str) -> Error {
        Error::Token(format!(
            "{endpoint}: the platform answered success without {what}; nothing was saved and the token kept before stays"
        ))
    }

    /// An error of a call whose answer holds tokens: keep only where decoding stopped, never
    /// the body, the decoder's message (which may quote a value) or an error envelope's extra
    /// members. Applied before observers and logs see the error.
    pub(crate) fn withhold_body(self) -> Error {
        match self {
            Error::Http {
                endpoint,
                status,
                retry_after,
                ..
            } => Error::Http {
                endpoint,
                status,
                body: "(withheld: a token call's answer)".to_owned(),
                retry_after,
            },
            Error::Api(mut e) => {
                e.extra = None;
                Error::Api(e)
            }
            Error::Decode {
                endpoint, message, ..
            } => {
                let place = message.split_once(": ").map_or("", |(at, _)| at);
                Error::Decode {
                    endpoint,
                    message: format!("the token response does not decode {place}")
                        .trim_end()
                        .to_owned(),
                    body: "(withheld: it holds tokens)".to_owned(),
                }
            }
            e => e,
        }
    }
}

impl From<ApiError> for Error {
    fn from(e: ApiError) -> Self {
        Error::Api(Box::new(e))
    }
}

/// The start of a body, as text, for error messages.
pub(crate) fn snippet(body: &[u8]) -> String {
    let cut = body.len().min(512);
    let mut s = String::from_utf8_lossy(&body[..cut]).into_owned();
    if body.len() > cut {
        s.push('…');
    }
    s
}

/// Categories of platform errors, the same for every platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The access token expired: refresh it and call again.
    TokenExpired,
    /// The token store (or the shared limiter's store) failed or is out of reach: an outage;
    /// try again later.
    StoreUnavailable,
    /// The seller's or user's authorization has lapsed (revoked, closed, its refresh token
    /// expired): they must authorize the app again.
    AuthorizationLapsed,
    /// The app's or the call's credentials are invalid: app key or secret, or an access token that
    /// is not this app's or not valid.
    Auth,
    /// The app or the token lacks a permission or scope.
    Permission,
    /// A parameter is missing or invalid.
    InvalidParam,
    /// The signature did not match.
    InvalidSign,
    /// Too many calls: back off.
    RateLimited,
    /// The platform failed; retrying later may succeed.
    Server,
    /// The API was taken offline.
    Offline,
    /// The call's source IP is not allowed.
    IpNotAllowed,
    /// The request timed out.
    Timeout,
    /// The connection failed.
    Transport,
    /// The response did not decode.
    Decode,
    /// Anything else.
    Other,
}

impl ErrorKind {
    /// Whether calling again unchanged, after a pause, may succeed.
    pub fn is_retryable(self) -> bool {
        matches!(
            self,
            ErrorKind::RateLimited
                | ErrorKind::Server
                | ErrorKind::Timeout
                | ErrorKind::Transport
                | ErrorKind::StoreUnavailable
        )
    }
}

/// One row of a platform's error catalogue: `errors:` in its `spec/<platform>/platform.yaml`,
/// taken from the platform's official error tables only, and generated into the platform's
/// `FACTS` (listed in the platform module's docs). The runtime sorts an error envelope into an
/// [`ErrorKind`] by it; a code no row holds is [`ErrorKind::Other`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ErrorEntry {
    /// The envelope's code.
    pub code: i64,
    /// The sub-code this row is for: it matches the response's sub-code exactly, or as its prefix
    /// before a `:`, or, ending in `*`, as a prefix.
    pub sub_code: Option<&'static str>,
    /// For a code the platform reuses for several failures: a word looked for in the message.
    pub keyword: Option<&'static str>,
    /// The endpoints this row is for, when the code means something else elsewhere.
    pub endpoints: &'static [&'static str],
    /// The message, as the official table writes it.
    pub message: &'static str,
    /// The sub-message, as the official table writes it.
    pub sub_message: Option<&'static str>,
    /// What it means and what to do.
    pub meaning: &'static str,
    /// The category.
    pub kind: ErrorKind,
    /// Whether the table says to try again later.
    pub retry: bool,
    /// The official page the row is from.
    pub doc_url: &'static str,
}

impl ErrorEntry {
    fn conditional(&self) -> bool {
        self.sub_code.is_some() || self.keyword.is_some() || !self.endpoints.is_empty()
    }

    /// Whether this row is for `code` with `sub_code` and `message`, answered by `endpoint`.
    pub fn matches(&self, code: i64, sub_code: &str, message: &str, endpoint: &str) -> bool {
        if self.code != code {
            return false;
        }
        if let Some(p) = self.sub_code {
            let ok = match p.strip_suffix('*') {
                Some(prefix) => sub_code.starts_with(prefix),
                None => {
                    sub_code == p
                        || sub_code
                            .strip_prefix(p)
                            .is_some_and(|rest| rest.starts_with(':'))
                }
            };
            if !ok {
                return false;
            }
        }
        if let Some(k) = self.keyword {
            if !message
                .to_ascii_lowercase()
                .contains(&k.to_ascii_lowercase())
            {
                return false;
            }
        }
        self.endpoints.is_empty() || self.endpoints.contains(&endpoint)
    }

    /// The row of `entries` for an error: the first row whose sub-code, keyword or endpoints
    /// match, else the code's row without conditions.
    pub fn lookup(
        entries: &'static [ErrorEntry],
        code: i64,
        sub_code: &str,
        message: &str,
        endpoint: &str,
    ) -> Option<&'static ErrorEntry> {
        entries
            .iter()
            .find(|e| e.conditional() && e.matches(code, sub_code, message, endpoint))
            .or_else(|| entries.iter().find(|e| e.code == code && !e.conditional()))
    }
}

/// A platform's error envelope, decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{platform} {endpoint}: error {code}{}: {message}{}{}",
    sub_code.as_deref().map(|s| format!(" ({s})")).unwrap_or_default(),
    sub_message.as_deref().filter(|s| !s.is_empty()).map(|s| format!(" — {s}")).unwrap_or_default(),
    request_id.as_deref().filter(|s| !s.is_empty()).map(|s| format!(" [request id {s}]")).unwrap_or_default())]
pub struct ApiError {
    /// `tiktok`, `doudian` or `douyin`.
    pub platform: &'static str,
    /// The endpoint's name.
    pub endpoint: String,
    /// The platform's code (`40003`, `105002`, `28001008`).
    pub code: i64,
    /// The platform's sub-code (`isv.access-token-expired`), when it sends one.
    pub sub_code: Option<String>,
    /// The message.
    pub message: String,
    /// The sub-message, when the platform sends one.
    pub sub_message: Option<String>,
    /// The log id / request id to quote to the platform's support.
    pub request_id: Option<String>,
    /// The category.
    pub kind: ErrorKind,
    /// Whether to try again later: the catalogue row's `retry` (an HTTP 429 and an unknown code
    /// with a 5xx status: yes; a quota used up: no). A `RateLimited` error is retried only when
    /// it says so; `Server` and `Timeout` ones only for idempotent calls.
    pub retry: bool,
    /// The HTTP status it came with.
    pub http_status: u16,
    /// `Retry-After`, when the server sent it.
    pub retry_after: Option<Duration>,
    /// The envelope's `extra` object, on a platform whose envelope has one (Douyin: `logid`,
    /// `now`, `sub_error_code`, ...).
    pub extra: Option<serde_json::Value>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_http_error_says_its_status_and_keeps_the_body_out_of_its_message() {
        let e = Error::Http {
            endpoint: "token.refresh".into(),
            status: 502,
            body: r#"{"access_token":"act.SECRET"}"#.into(),
            retry_after: None,
        };
        assert_eq!(e.to_string(), "token.refresh: HTTP 502");
        assert_eq!(e.kind(), ErrorKind::Server);
    }
}
