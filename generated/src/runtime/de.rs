//! Lenient decoding: the platforms send ids and amounts sometimes as numbers and sometimes as
//! strings, booleans as `0`/`1`, and `null` for empty lists. Generated fields decode through
//! [`lenient`], which accepts each of these and keeps exact values (ids above 2^53 stay exact).

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, DeserializeOwned, Deserializer, SeqAccess, Visitor};

/// A type that decodes leniently.
pub trait Lenient: Sized {
    /// Decode `Self`, accepting the platforms' alternative spellings.
    fn lenient<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error>;
}

/// The `deserialize_with` function of generated fields.
pub fn lenient<'de, D: Deserializer<'de>, T: Lenient>(d: D) -> Result<T, D::Error> {
    T::lenient(d)
}

struct StringV;
impl Visitor<'_> for StringV {
    type Value = String;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string or a number")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<String, E> {
        Ok(v.to_owned())
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<String, E> {
        Ok(v)
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<String, E> {
        Ok(v.to_string())
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<String, E> {
        Ok(v.to_string())
    }
    fn visit_i128<E: de::Error>(self, v: i128) -> Result<String, E> {
        Ok(v.to_string())
    }
    fn visit_u128<E: de::Error>(self, v: u128) -> Result<String, E> {
        Ok(v.to_string())
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<String, E> {
        Ok(v.to_string())
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<String, E> {
        Ok(v.to_string())
    }
    fn visit_unit<E: de::Error>(self) -> Result<String, E> {
        Ok(String::new())
    }
}

impl Lenient for String {
    fn lenient<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(StringV)
    }
}

macro_rules! lenient_int {
    ($($t:ty),*) => {$(
        impl Lenient for $t {
            fn lenient<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct V;
                impl Visitor<'_> for V {
                    type Value = $t;
                    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                        f.write_str(concat!("an integer (", stringify!($t), ") or a string holding one"))
                    }
                    fn visit_i64<E: de::Error>(self, v: i64) -> Result<$t, E> {
                        <$t>::try_from(v).map_err(|_| E::custom(format_args!("{v} is out of range for {}", stringify!($t))))
                    }
                    fn visit_u64<E: de::Error>(self, v: u64) -> Result<$t, E> {
                        <$t>::try_from(v).map_err(|_| E::custom(format_args!("{v} is out of range for {}", stringify!($t))))
                    }
                    fn visit_f64<E: de::Error>(self, v: f64) -> Result<$t, E> {
                        // `MAX as f64` rounds up to 2^bits for 64-bit types, so compare against the exact
                        // power of two above MAX instead.
                        let above_max = (<$t>::MAX / 2 + 1) as f64 * 2.0;
                        if v.fract() == 0.0 && v >= <$t>::MIN as f64 && v < above_max {
                            Ok(v as $t)
                        } else {
                            Err(E::custom(format_args!("{v} is not an integer")))
                        }
                    }
                    fn visit_str<E: de::Error>(self, v: &str) -> Result<$t, E> {
                        let t = v.trim();
                        if t.is_empty() {
                            return Ok(0);
                        }
                        t.parse().map_err(|_| E::custom(format_args!("`{v}` is not an integer")))
                    }
                    fn visit_bool<E: de::Error>(self, v: bool) -> Result<$t, E> {
                        Ok(v as $t)
                    }
                    fn visit_unit<E: de::Error>(self) -> Result<$t, E> {
                        Ok(0)
                    }
                }
                d.deserialize_any(V)
            }
        }
    )*};
}
lenient_int!(i32, i64, u64);

impl Lenient for f64 {
    fn lenient<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = f64;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a number or a string holding one")
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<f64, E> {
                Ok(v)
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<f64, E> {
                Ok(v as f64)
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<f64, E> {
                Ok(v as f64)
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<f64, E> {
                let t = v.trim();
                if t.is_empty() {
                    return Ok(0.0);
                }
                t.parse()
                    .map_err(|_| E::custom(format_args!("`{v}` is not a number")))
            }
            fn visit_unit<E: de::Error>(self) -> Result<f64, E> {
                Ok(0.0)
            }
        }
        d.deserialize_any(V)
    }
}

impl Lenient for bool {
    fn lenient<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = bool;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a bool, 0/1 or \"true\"/\"false\"")
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<bool, E> {
                Ok(v)
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<bool, E> {
                Ok(v != 0)
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<bool, E> {
                Ok(v != 0)
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<bool, E> {
                match v.trim() {
                    "true" | "1" => Ok(true),
                    "false" | "0" | "" => Ok(false),
                    _ => Err(E::custom(format_args!("`{v}` is not a bool"))),
                }
            }
            fn visit_unit<E: de::Error>(self) -> Result<bool, E> {
                Ok(false)
            }
        }
        d.deserialize_any(V)
    }
}

/// `null` decodes as `None`; anything else leniently as `T`.
impl<T: Lenient> Lenient for Option<T> {
    fn lenient<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(std::marker::PhantomData<T>);
        impl<'de, T: Lenient> Visitor<'de> for V<T> {
            type Value = Option<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a value or null")
            }
            fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(None)
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(None)
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
                T::lenient(d).map(Some)
            }
        }
        d.deserialize_option(V(std::marker::PhantomData))
    }
}

struct Elem<T>(T);
impl<'de, T: Lenient> Deserialize<'de> for Elem<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        T::lenient(d).map(Elem)
    }
}

/// `null` decodes as an empty list; elements decode leniently.
impl<T: Lenient> Lenient for Vec<T> {
    fn lenient<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(std::marker::PhantomData<T>);
        impl<'de, T: Lenient> Visitor<'de> for V<T> {
            type Value = Vec<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a list or null")
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Vec::new())
            }
            // A single value where a list is documented (seen in the platforms' own samples)
            // is a list of one; an empty string is an empty list.
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                if v.is_empty() {
                    return Ok(Vec::new());
                }
                T::lenient(de::value::StrDeserializer::<E>::new(v)).map(|x| vec![x])
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                T::lenient(de::value::I64Deserializer::<E>::new(v)).map(|x| vec![x])
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                T::lenient(de::value::U64Deserializer::<E>::new(v)).map(|x| vec![x])
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
                T::lenient(de::value::F64Deserializer::<E>::new(v)).map(|x| vec![x])
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
                T::lenient(de::value::BoolDeserializer::<E>::new(v)).map(|x| vec![x])
            }
            fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                T::lenient(de::value::MapAccessDeserializer::new(map)).map(|x| vec![x])
            }
            fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Vec::new())
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
                d.deserialize_any(self)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
                while let Some(Elem(v)) = seq.next_element::<Elem<T>>()? {
                    out.push(v);
                }
                Ok(out)
            }
        }
        d.deserialize_any(V(std::marker::PhantomData))
    }
}

impl<T: DeserializeOwned> Lenient for BTreeMap<String, T> {
    fn lenient<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Option::<BTreeMap<String, T>>::deserialize(d).map(Option::unwrap_or_default)
    }
}

impl Lenient for serde_json::Value {
    fn lenient<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Deserialize::deserialize(d)
    }
}

use serde::Deserialize;

/// Decode a string enum from a string (or a number, kept as its text).
pub fn str_enum<'de, D: Deserializer<'de>, T>(d: D, from: fn(&str) -> T) -> Result<T, D::Error> {
    String::lenient(d).map(|s| from(&s))
}

/// Decode an integer enum from a number (or a string holding one).
pub fn int_enum<'de, D: Deserializer<'de>, T>(d: D, from: fn(i64) -> T) -> Result<T, D::Error> {
    i64::lenient(d).map(from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug, PartialEq)]
    struct S {
        #[serde(default, deserialize_with = "lenient")]
        id: String,
        #[serde(default, deserialize_with = "lenient")]
        n: Option<i64>,
        #[serde(default, deserialize_with = "lenient")]
        ok: bool,
        #[serde(default, deserialize_with = "lenient")]
        ids: Vec<String>,
        #[serde(default, deserialize_with = "lenient")]
        price: f64,
    }

    #[test]
    fn accepts_both_spellings() {
        let a: S = serde_json::from_str(
            r#"{"id":9007199254740993,"n":"42","ok":1,"ids":[1,"2"],"price":"1.5"}"#,
        )
        .unwrap();
        assert_eq!(a.id, "9007199254740993");
        assert_eq!(a.n, Some(42));
        assert!(a.ok);
        assert_eq!(a.ids, vec!["1", "2"]);
        assert_eq!(a.price, 1.5);
        let b: S = serde_json::from_str(r#"{"id":"x","n":null,"ok":"false","ids":null}"#).unwrap();
        assert_eq!((b.n, b.ok, b.ids.len()), (None, false, 0));
        assert!(serde_json::from_str::<S>(r#"{"n":"abc"}"#).is_err());
        // One value where a list is documented is a list of one; "" is empty.
        let c: S = serde_json::from_str(r#"{"ids":"IMMUTABLE"}"#).unwrap();
        assert_eq!(c.ids, vec!["IMMUTABLE"]);
        let d: S = serde_json::from_str(r#"{"ids":""}"#).unwrap();
        assert!(d.ids.is_empty());
        assert!(serde_json::from_str::<S>(r#"{"n":1.5}"#).is_err());
    }

    #[test]
    fn float_bounds_are_exact() {
        let f = |s: &str| serde_json::from_str::<S>(s).map(|s| s.n);
        assert_eq!(f(r#"{"n":1e3}"#).unwrap(), Some(1000));
        assert_eq!(
            f(r#"{"n":-9.223372036854775808e18}"#).unwrap(),
            Some(i64::MIN)
        );
        // 2^63 is one past i64::MAX: an error, not a silent saturation.
        assert!(f(r#"{"n":9.223372036854775808e18}"#).is_err());
        let i = |s: &str| i32::lenient(&mut serde_json::Deserializer::from_str(s));
        assert_eq!(i("2147483647.0").unwrap(), i32::MAX);
        assert!(i("2147483648.0").is_err());
        let u = |s: &str| u64::lenient(&mut serde_json::Deserializer::from_str(s));
        assert!(u("1.8446744073709551616e19").is_err());
    }
}
