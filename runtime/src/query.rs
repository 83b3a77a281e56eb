//! Query parameters and path segments: how request fields travel in a URL.

use std::borrow::Cow;

use crate::Decimal;

/// Query parameters of a request, in the order written.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Query {
    pairs: Vec<(Cow<'static, str>, String)>,
}

impl Query {
    /// An empty query.
    pub fn new() -> Self {
        Self::default()
    }

    /// Append `key=value`; `None` values are left out.
    pub fn push<V: QueryValue + ?Sized>(&mut self, key: &'static str, value: &V) {
        if let Some(v) = value.query_value() {
            self.pairs.push((Cow::Borrowed(key), v));
        }
    }

    /// Append a pair with an owned key.
    pub fn push_owned(&mut self, key: impl Into<Cow<'static, str>>, value: impl Into<String>) {
        self.pairs.push((key.into(), value.into()));
    }

    /// The pairs, in the order written.
    pub fn pairs(&self) -> impl Iterator<Item = (&str, &str)> {
        self.pairs.iter().map(|(k, v)| (k.as_ref(), v.as_str()))
    }

    /// Whether there is no pair.
    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }
}

/// A value that can travel in a URL query or path segment.
pub trait QueryValue {
    /// The text form, or `None` to leave the parameter out.
    fn query_value(&self) -> Option<String>;
}

macro_rules! query_value_display {
    ($($t:ty),*) => {$(
        impl QueryValue for $t {
            fn query_value(&self) -> Option<String> {
                Some(self.to_string())
            }
        }
    )*};
}
query_value_display!(String, str, bool, i32, i64, u64, f64, Decimal);

impl<T: QueryValue> QueryValue for Option<T> {
    fn query_value(&self) -> Option<String> {
        self.as_ref().and_then(T::query_value)
    }
}

/// Lists travel comma-joined (`ids=1,2,3`), as the platforms expect.
impl<T: QueryValue> QueryValue for Vec<T> {
    fn query_value(&self) -> Option<String> {
        if self.is_empty() {
            return None;
        }
        Some(
            self.iter()
                .filter_map(T::query_value)
                .collect::<Vec<_>>()
                .join(","),
        )
    }
}

impl<T: QueryValue + ?Sized> QueryValue for &T {
    fn query_value(&self) -> Option<String> {
        (**self).query_value()
    }
}

/// A path segment, percent-encoded.
pub fn path_segment<V: QueryValue + ?Sized>(value: &V) -> String {
    const SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~');
    let text = value.query_value().unwrap_or_default();
    percent_encoding::utf8_percent_encode(&text, SEGMENT).to_string()
}
