//! [`Decimal`]: an amount of money the platform sends and takes as a JSON number.

use std::fmt;
use std::str::FromStr;

/// A decimal number kept as its text (`"12.50"`), for amounts of money the platform types as a
/// JSON number (Doudian's freight-template prices, ...).
///
/// On the wire it is a JSON number, as the platform asks; in Rust it is exact text, so no binary
/// floating point ever touches an amount. Decoding accepts a number or a string holding one.
///
/// ```
/// use shop_api_runtime::Decimal;
///
/// let price: Decimal = "12.50".parse().unwrap();
/// assert_eq!(price.as_str(), "12.50");
/// assert_eq!(serde_json::to_string(&price).unwrap(), "12.5");
/// assert!("12,50".parse::<Decimal>().is_err());
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Decimal(String);

/// The text is not a decimal number (`-`? digits, then optionally `.` and digits).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecimalError(String);

impl fmt::Display for DecimalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}` is not a decimal number", self.0)
    }
}

impl std::error::Error for DecimalError {}

fn is_decimal(s: &str) -> bool {
    let digits = s.strip_prefix('-').unwrap_or(s);
    let (int, frac) = match digits.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (digits, None),
    };
    !int.is_empty()
        && int.bytes().all(|b| b.is_ascii_digit())
        && frac.is_none_or(|f| !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()))
}

impl Decimal {
    /// The decimal text, as given or as the platform sent it.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for Decimal {
    type Err = DecimalError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        if is_decimal(s) {
            Ok(Decimal(s.to_owned()))
        } else {
            Err(DecimalError(s.to_owned()))
        }
    }
}

impl fmt::Display for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Decimal({})", self.0)
    }
}

impl serde::Serialize for Decimal {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match serde_json::Number::from_str(&self.0) {
            Ok(n) => n.serialize(s),
            Err(_) => Err(serde::ser::Error::custom(DecimalError(self.0.clone()))),
        }
    }
}

impl<'de> serde::Deserialize<'de> for Decimal {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Decimal;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a decimal number, or a string holding one")
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Decimal, E> {
                Ok(Decimal(v.to_string()))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Decimal, E> {
                Ok(Decimal(v.to_string()))
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Decimal, E> {
                if v.is_finite() {
                    // the shortest text that reads back as `v`: what the platform wrote
                    Ok(Decimal(
                        serde_json::Number::from_f64(v)
                            .map_or_else(|| v.to_string(), |n| n.to_string()),
                    ))
                } else {
                    Err(E::custom("a decimal number is finite"))
                }
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Decimal, E> {
                v.parse().map_err(E::custom)
            }
        }
        d.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_amount_goes_out_as_a_json_number_and_keeps_its_text_in_rust() {
        let d: Decimal = "30.00".parse().unwrap();
        assert_eq!(d.as_str(), "30.00");
        assert_eq!(serde_json::to_string(&d).unwrap(), "30.0");
        let d: Decimal = "7".parse().unwrap();
        assert_eq!(serde_json::to_string(&d).unwrap(), "7");
    }

    #[test]
    fn a_number_or_a_numeric_string_decodes() {
        let d: Decimal = serde_json::from_str("12.5").unwrap();
        assert_eq!(d.as_str(), "12.5");
        let d: Decimal = serde_json::from_str("\"0.10\"").unwrap();
        assert_eq!(d.as_str(), "0.10");
        let d: Decimal = serde_json::from_str("3").unwrap();
        assert_eq!(d.as_str(), "3");
        assert!(serde_json::from_str::<Decimal>("\"1e5\"").is_err());
        assert!(serde_json::from_str::<Decimal>("\"\"").is_err());
    }
}
