//! A string that never shows itself in `Debug` or `Display`.

use std::fmt;

/// An app secret or a token: `Debug` and `Display` print `***`, so it cannot leak into logs,
/// error messages or panics. Read it with [`Secret::expose`] where it is really needed.
#[derive(Clone, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// Wrap a secret.
    pub fn new(s: impl Into<String>) -> Self {
        Secret(s.into())
    }

    /// The secret text.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether the secret is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// A form safe to print: the first four characters and `***` (for `--dry-run` output).
    pub fn masked(&self) -> String {
        let head: String = self.0.chars().take(4).collect();
        if self.0.chars().count() > 8 {
            format!("{head}***")
        } else {
            "***".to_owned()
        }
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl From<String> for Secret {
    fn from(s: String) -> Self {
        Secret(s)
    }
}

impl From<&str> for Secret {
    fn from(s: &str) -> Self {
        Secret(s.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_prints_itself() {
        let s = Secret::new("749698a6-fcb3-4358-b241-ec1d93cf9c1f");
        assert!(!format!("{s:?} {s}").contains("749698a6"));
        assert_eq!(s.masked(), "7496***");
        assert_eq!(Secret::new("short").masked(), "***");
    }
}
