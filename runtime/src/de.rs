//! Lenient decoding: the platforms send ids and amounts sometimes as numbers and sometimes as
//! strings, booleans as `0`/`1` or `"true"`, `null` where a list, a text or a number is
//! documented, and a single value where a list is documented.
//!
//! Leniency is a property of the *deserializer*, not of each field: [`Lenient`] wraps any serde
//! [`Deserializer`] and, whatever type asks it for a value, accepts the platforms' alternative
//! spellings before handing the value on. Generated types are therefore plain
//! `#[derive(Deserialize)]` structs with no per-field attribute; everything the client decodes
//! ([`crate::decode_data`], webhooks, the CLI) goes through [`from_str`], [`from_slice`]
//! or [`from_value`], and your own code can too:
//!
//! ```
//! #[derive(serde::Deserialize, Default)]
//! #[serde(default)]
//! struct Sku { id: String, stock: i64, on_sale: bool, tags: Vec<String> }
//!
//! let s: Sku = shop_api_runtime::de::from_str(
//!     r#"{"id": 9007199254740993, "stock": "12", "on_sale": 1, "tags": "new"}"#,
//! ).unwrap();
//! assert_eq!((s.id.as_str(), s.stock, s.on_sale), ("9007199254740993", 12, true));
//! assert_eq!(s.tags, ["new"]);
//! ```
//!
//! What each type accepts besides its own JSON form:
//!
//! | asked for | also accepts |
//! | --- | --- |
//! | text (`String`, string enums) | any number, kept exactly as sent (ids above 2^53 too), `true`/`false`, `null` as `""` |
//! | an integer | a string holding one (`""` is 0), a float with no fraction inside the type's range, `true`/`false` as 1/0, `null` as 0 |
//! | a float | a string holding one (`""` is 0), `null` as 0 |
//! | a bool | `0`/`1`, `"0"`/`"1"`/`"true"`/`"false"`/`""`, `null` as false |
//! | a list | `null` or `""` as empty, a single value as a list of one |
//! | a map | `null` as empty |
//! | a struct | `null` as the struct's default |
//!
//! Integer range checks stay with the target type: `2147483648` is refused for an `i32`.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{
    self, DeserializeOwned, DeserializeSeed, Deserializer, EnumAccess, MapAccess, SeqAccess,
    Visitor,
};

/// A [`Deserializer`] adapter that decodes the platforms' alternative spellings (see the module
/// docs). Wrap any deserializer: `T::deserialize(Lenient(&mut serde_json::Deserializer::from_str(s)))`.
#[derive(Debug, Clone, Copy)]
pub struct Lenient<D>(pub D);

/// Decode `T` leniently from JSON text.
pub fn from_str<T: DeserializeOwned>(text: &str) -> serde_json::Result<T> {
    let mut de = serde_json::Deserializer::from_str(text);
    let value = T::deserialize(Lenient(&mut de))?;
    de.end()?;
    Ok(value)
}

/// Decode `T` leniently from JSON bytes.
pub fn from_slice<T: DeserializeOwned>(bytes: &[u8]) -> serde_json::Result<T> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = T::deserialize(Lenient(&mut de))?;
    de.end()?;
    Ok(value)
}

/// Decode `T` leniently from a [`serde_json::Value`].
pub fn from_value<T: DeserializeOwned>(value: serde_json::Value) -> serde_json::Result<T> {
    T::deserialize(Lenient(value))
}

/// Decode `T` leniently from any deserializer; also usable as `#[serde(deserialize_with = ..)]`
/// on a field of a type that is decoded by a plain deserializer.
pub fn lenient<'de, D: Deserializer<'de>, T: de::Deserialize<'de>>(d: D) -> Result<T, D::Error> {
    T::deserialize(Lenient(d))
}

/// Decode a string enum from a string (or a number, kept as its text).
pub fn str_enum<'de, D: Deserializer<'de>, T>(d: D, from: fn(&str) -> T) -> Result<T, D::Error> {
    d.deserialize_any(StrV(StringOut)).map(|s| from(&s))
}

/// Decode an integer enum from a number (or a string holding one).
pub fn int_enum<'de, D: Deserializer<'de>, T>(d: D, from: fn(i64) -> T) -> Result<T, D::Error> {
    d.deserialize_any(IntV(I64Out)).map(from)
}

/// A generated struct, decoded field by field: how to fill the field a key names.
///
/// Generated structs implement this (through [`crate::object!`]) instead of deriving
/// `Deserialize`: one match arm per field in place of serde's visitor per struct, a fraction of
/// the compile cost. Their `Deserialize` is [`object`]: a missing field keeps its `Default`, an
/// unknown one is skipped, and `null` for the whole struct is its default.
pub trait Object: Default {
    /// The struct's name, for error messages.
    const NAME: &'static str;
    /// Decode the field whose wire name is `key` from `d`; skip the value of an unknown key.
    fn set<'de, D: Deserializer<'de>>(&mut self, key: &str, d: D) -> Result<(), D::Error>;
}

/// `Deserialize` of an [`Object`]: a JSON object (or `null`) field by field.
pub fn object<'de, D: Deserializer<'de>, T: Object>(d: D) -> Result<T, D::Error> {
    d.deserialize_struct(T::NAME, &[], ObjectV(PhantomData))
}

/// Decode `d` into `slot`: one arm of a generated [`Object::set`].
pub fn put<'de, D: Deserializer<'de>, T: de::Deserialize<'de>>(
    slot: &mut T,
    d: D,
) -> Result<(), D::Error> {
    *slot = T::deserialize(d)?;
    Ok(())
}

/// Skip a value: the last arm of a generated [`Object::set`].
pub fn skip<'de, D: Deserializer<'de>>(d: D) -> Result<(), D::Error> {
    <de::IgnoredAny as de::Deserialize>::deserialize(d).map(|_| ())
}

struct ObjectV<T>(PhantomData<T>);
impl<'de, T: Object> Visitor<'de> for ObjectV<T> {
    type Value = T;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "an object ({})", T::NAME)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<T, A::Error> {
        let mut out = T::default();
        while let Some(key) = map.next_key_seed(KeySeed)? {
            map.next_value_seed(FieldSeed(&mut out, key.as_str()))?;
        }
        Ok(out)
    }
    fn visit_unit<E: de::Error>(self) -> Result<T, E> {
        Ok(T::default())
    }
}

/// A key, borrowed from the input when it can be.
enum Key<'de> {
    Borrowed(&'de str),
    Owned(String),
}
impl Key<'_> {
    fn as_str(&self) -> &str {
        match self {
            Key::Borrowed(s) => s,
            Key::Owned(s) => s,
        }
    }
}

struct KeySeed;
impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = Key<'de>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Key<'de>, D::Error> {
        d.deserialize_identifier(self)
    }
}
impl<'de> Visitor<'de> for KeySeed {
    type Value = Key<'de>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a field name")
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Key<'de>, E> {
        Ok(Key::Borrowed(v))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Key<'de>, E> {
        Ok(Key::Owned(v.to_owned()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Key<'de>, E> {
        Ok(Key::Owned(v))
    }
}

struct FieldSeed<'a, T>(&'a mut T, &'a str);
impl<'de, T: Object> DeserializeSeed<'de> for FieldSeed<'_, T> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        self.0.set(self.1, d)
    }
}

/// `Serialize`, `Deserialize` and [`Object`] of a generated struct, from its fields' wire names:
/// `object!(Sku { "id" id, "type" kind } { "page_size" page_size })`. The first group is the
/// body: it is serialized in the order given, which the generator makes the canonical one (sorted
/// by wire name), so a body needs no sorting to be canonical. The second, optional group holds
/// the query and path fields: not part of the body, so not serialized, but they still decode
/// (for the CLI). Every field costs one match arm and one call: the compile cost of a struct
/// grows with its fields and nothing else.
#[doc(hidden)]
#[macro_export]
macro_rules! object {
    ($t:ident { $( $w:literal $f:ident ),* $(,)? } $({ $( $qw:literal $q:ident ),* $(,)? })?) => {
        impl $crate::de::Object for $t {
            const NAME: &'static str = ::core::stringify!($t);
            fn set<'de, D: $crate::__private::serde::Deserializer<'de>>(
                &mut self,
                key: &str,
                d: D,
            ) -> ::core::result::Result<(), D::Error> {
                match key {
                    $( $w => $crate::de::put(&mut self.$f, d), )*
                    $($( $qw => $crate::de::put(&mut self.$q, d), )*)?
                    _ => $crate::de::skip(d),
                }
            }
        }
        impl<'de> $crate::__private::serde::Deserialize<'de> for $t {
            fn deserialize<D: $crate::__private::serde::Deserializer<'de>>(
                d: D,
            ) -> ::core::result::Result<Self, D::Error> {
                $crate::de::object(d)
            }
        }
        impl $crate::__private::serde::Serialize for $t {
            fn serialize<S: $crate::__private::serde::Serializer>(
                &self,
                s: S,
            ) -> ::core::result::Result<S::Ok, S::Error> {
                #[allow(unused_mut)]
                let mut st = $crate::__private::serde::Serializer::serialize_struct(
                    s,
                    ::core::stringify!($t),
                    <[&str]>::len(&[$($w),*]),
                )?;
                $( $crate::de::ser_field(&mut st, $w, &self.$f)?; )*
                $crate::__private::serde::ser::SerializeStruct::end(st)
            }
        }
    };
}

/// One body field of a generated `Serialize`: a `None` is left out (`skip_field`), anything else
/// written under its wire name. One generic call per field instead of the branch inline keeps
/// the generated crate's type checking small.
#[doc(hidden)]
pub fn ser_field<S: serde::ser::SerializeStruct, T: serde::Serialize + ?Sized>(
    st: &mut S,
    key: &'static str,
    value: &T,
) -> Result<(), S::Error> {
    if crate::json::is_none(value) {
        st.skip_field(key)
    } else {
        st.serialize_field(key, value)
    }
}

impl<'de, D: Deserializer<'de>> Deserializer<'de> for Lenient<D> {
    type Error = D::Error;

    fn deserialize_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, D::Error> {
        self.0.deserialize_any(Wrap(v))
    }
    fn deserialize_bool<V: Visitor<'de>>(self, v: V) -> Result<V::Value, D::Error> {
        self.0.deserialize_any(BoolV(v))
    }
    fn deserialize_i8<V: Visitor<'de>>(self, v: V) -> Result<V::Value, D::Error> {
        self.0.deserialize_any(IntV(v))
    }
    fn deserialize_i16<V: Visitor<'de>>(self, v: V) -> Result<V::Value, D::Error> {
        self.0.deserialize_any(IntV(v))
    }
    fn deserialize_i32<V: Visitor<'de>>(self, v: V) -> Result<V::Value, D::Error> {
        self.0.deserialize_any(IntV(v))
    }
    fn deserialize_i64<V: Visitor<'de>>(self, v: V) -> Result<V::Value, D::Error> {
        self.0.deserialize_any(IntV(v))
    }
    fn deserialize_u8<V: Visitor<'de>>(self, v: V) -> Result<V::Value, D::Error> {
        self.0.deserialize_any(IntV(v))
    }
    fn deserialize_u16<V: Visitor<'de>>(self, v: V) -> Result<V::Value, D::Error> {
        self.0.deserialize_any(IntV(v))
    }
    fn deserialize_u32<V: Visitor<'de>>(self, v: V) -> Result<V::Value, D::Error> {
        self.0.deserialize_any(IntV(v))
    }
    fn deserialize_u64<V: Visitor<'de>>(self, v: V) -> Result<V::Value, D::Error> {
        self.0.deserialize_any(IntV(v))
    }
    fn deserialize_i128<V: Visitor<'de>>(self, v: V) -> Result<V::Value, D::Error> {
        self.0.deserialize_any(IntV(v))
    }
    fn deserialize_u128<V: Visitor<'de>>(self, v: V) -> Result<V::Value, D::Error> {
        self.0.deserialize_any(IntV(v))
    }
    fn deserialize_f32<V: Visitor<'de>>(self, v: V) -> Result<V::Value, D::Error> {
        self.0.deserialize_any(FloatV(v))
    }
    fn deserialize_f64<V: Visitor<'de>>(self, v: V) -> Result<V::Value, D::Error> {
        self.0.deserialize_any(FloatV(v))
    }
    fn deserialize_char<V: Visitor<'de>>(self, v: V) -> Result<V::Value, D::Error> {
        self.0.deserialize_any(StrV(v))
    }
    fn deserialize_str<V: Visitor<'de>>(self, v: V) -> Result<V::Value, D::Error> {
        self.0.deserialize_any(StrV(v))
    }
    fn deserialize_string<V: Visitor<'de>>(self, v: V) -> Result<V::Value, D::Error> {
        self.0.deserialize_any(StrV(v))
    }
    fn deserialize_bytes<V: Visitor<'de>>(self, v: V) -> Result<V::Value, D::Error> {
        self.0.deserialize_bytes(Wrap(v))
    }
    fn deserialize_byte_buf<V: Visitor<'de>>(self, v: V) -> Result<V::Value, D::Error> {
        self.0.deserialize_byte_buf(Wrap(v))
    }
    fn deserialize_option<V: Visitor<'de>>(self, v: V) -> Result<V::Value, D::Error> {
        self.0.deserialize_option(OptV(v))
    }
    fn deserialize_unit<V: Visitor<'de>>(self, v: V) -> Result<V::Value, D::Error> {
        self.0.deserialize_unit(Wrap(v))
    }
    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        v: V,
    ) -> Result<V::Value, D::Error> {
        self.0.deserialize_unit_struct(name, Wrap(v))
    }
    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        v: V,
    ) -> Result<V::Value, D::Error> {
        self.0.deserialize_newtype_struct(name, Wrap(v))
    }
    fn deserialize_seq<V: Visitor<'de>>(self, v: V) -> Result<V::Value, D::Error> {
        self.0.deserialize_any(SeqV(v))
    }
    fn deserialize_tuple<V: Visitor<'de>>(self, len: usize, v: V) -> Result<V::Value, D::Error> {
        self.0.deserialize_tuple(len, Wrap(v))
    }
    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        len: usize,
        v: V,
    ) -> Result<V::Value, D::Error> {
        self.0.deserialize_tuple_struct(name, len, Wrap(v))
    }
    fn deserialize_map<V: Visitor<'de>>(self, v: V) -> Result<V::Value, D::Error> {
        self.0.deserialize_any(MapV(v))
    }
    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, D::Error> {
        self.0.deserialize_any(MapV(v))
    }
    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, D::Error> {
        self.0.deserialize_enum(name, variants, Wrap(v))
    }
    fn deserialize_identifier<V: Visitor<'de>>(self, v: V) -> Result<V::Value, D::Error> {
        self.0.deserialize_identifier(v)
    }
    fn deserialize_ignored_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, D::Error> {
        self.0.deserialize_ignored_any(v)
    }
    fn is_human_readable(&self) -> bool {
        self.0.is_human_readable()
    }
}

/// Passes a seed's deserializer on wrapped in [`Lenient`].
struct Seed<S>(S);
impl<'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for Seed<S> {
    type Value = S::Value;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<S::Value, D::Error> {
        self.0.deserialize(Lenient(d))
    }
}

/// A sequence whose elements decode leniently.
struct Seq<A>(A);
impl<'de, A: SeqAccess<'de>> SeqAccess<'de> for Seq<A> {
    type Error = A::Error;
    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, A::Error> {
        self.0.next_element_seed(Seed(seed))
    }
    fn size_hint(&self) -> Option<usize> {
        self.0.size_hint()
    }
}

/// A map whose values decode leniently (keys as they are).
struct Map<A>(A);
impl<'de, A: MapAccess<'de>> MapAccess<'de> for Map<A> {
    type Error = A::Error;
    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        self.0.next_key_seed(seed)
    }
    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, A::Error> {
        self.0.next_value_seed(Seed(seed))
    }
    fn size_hint(&self) -> Option<usize> {
        self.0.size_hint()
    }
}

/// An empty sequence or map (what `null` stands for where a list, map or struct is asked for).
struct Empty<E>(PhantomData<E>);
impl<'de, E: de::Error> SeqAccess<'de> for Empty<E> {
    type Error = E;
    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, _: T) -> Result<Option<T::Value>, E> {
        Ok(None)
    }
}
impl<'de, E: de::Error> MapAccess<'de> for Empty<E> {
    type Error = E;
    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, _: K) -> Result<Option<K::Value>, E> {
        Ok(None)
    }
    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, _: V) -> Result<V::Value, E> {
        Err(E::custom("a value without a key"))
    }
}

/// A sequence of one value (a single value where a list is documented).
struct One<D>(Option<D>);
impl<'de, D: Deserializer<'de>> SeqAccess<'de> for One<D> {
    type Error = D::Error;
    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, D::Error> {
        match self.0.take() {
            Some(d) => seed.deserialize(Lenient(d)).map(Some),
            None => Ok(None),
        }
    }
    fn size_hint(&self) -> Option<usize> {
        Some(usize::from(self.0.is_some()))
    }
}

/// Forwards every `visit_*` to the visitor inside, wrapping what it descends into.
macro_rules! forward_visits {
    ($($method:ident($t:ty)),*) => {$(
        fn $method<E: de::Error>(self, v: $t) -> Result<Self::Value, E> {
            self.0.$method(v)
        }
    )*};
}

struct Wrap<V>(V);
impl<'de, V: Visitor<'de>> Visitor<'de> for Wrap<V> {
    type Value = V::Value;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.expecting(f)
    }
    forward_visits!(
        visit_bool(bool),
        visit_i8(i8),
        visit_i16(i16),
        visit_i32(i32),
        visit_i64(i64),
        visit_i128(i128),
        visit_u8(u8),
        visit_u16(u16),
        visit_u32(u32),
        visit_u64(u64),
        visit_u128(u128),
        visit_f32(f32),
        visit_f64(f64),
        visit_char(char),
        visit_str(&str),
        visit_borrowed_str(&'de str),
        visit_string(String),
        visit_bytes(&[u8]),
        visit_borrowed_bytes(&'de [u8]),
        visit_byte_buf(Vec<u8>)
    );
    fn visit_none<E: de::Error>(self) -> Result<V::Value, E> {
        self.0.visit_none()
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<V::Value, D::Error> {
        self.0.visit_some(Lenient(d))
    }
    fn visit_unit<E: de::Error>(self) -> Result<V::Value, E> {
        self.0.visit_unit()
    }
    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<V::Value, D::Error> {
        self.0.visit_newtype_struct(Lenient(d))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, a: A) -> Result<V::Value, A::Error> {
        self.0.visit_seq(Seq(a))
    }
    fn visit_map<A: MapAccess<'de>>(self, a: A) -> Result<V::Value, A::Error> {
        self.0.visit_map(Map(a))
    }
    fn visit_enum<A: EnumAccess<'de>>(self, a: A) -> Result<V::Value, A::Error> {
        self.0.visit_enum(a)
    }
}

/// `null` or a value; the value decodes leniently.
struct OptV<V>(V);
impl<'de, V: Visitor<'de>> Visitor<'de> for OptV<V> {
    type Value = V::Value;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.expecting(f)
    }
    fn visit_none<E: de::Error>(self) -> Result<V::Value, E> {
        self.0.visit_none()
    }
    fn visit_unit<E: de::Error>(self) -> Result<V::Value, E> {
        self.0.visit_none()
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<V::Value, D::Error> {
        self.0.visit_some(Lenient(d))
    }
}

/// Text: numbers and bools are kept as their text, `null` is `""`.
struct StrV<V>(V);
impl<'de, V: Visitor<'de>> Visitor<'de> for StrV<V> {
    type Value = V::Value;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string or a number")
    }
    forward_visits!(
        visit_str(&str),
        visit_borrowed_str(&'de str),
        visit_string(String)
    );
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<V::Value, E> {
        self.0.visit_string(v.to_string())
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<V::Value, E> {
        self.0.visit_string(v.to_string())
    }
    fn visit_i128<E: de::Error>(self, v: i128) -> Result<V::Value, E> {
        self.0.visit_string(v.to_string())
    }
    fn visit_u128<E: de::Error>(self, v: u128) -> Result<V::Value, E> {
        self.0.visit_string(v.to_string())
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<V::Value, E> {
        self.0.visit_string(v.to_string())
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<V::Value, E> {
        self.0.visit_str(if v { "true" } else { "false" })
    }
    fn visit_unit<E: de::Error>(self) -> Result<V::Value, E> {
        self.0.visit_str("")
    }
    fn visit_none<E: de::Error>(self) -> Result<V::Value, E> {
        self.0.visit_str("")
    }
}

/// An integer: from a string holding one, an integral float, a bool or `null`. The visitor
/// inside checks the range of its own type.
struct IntV<V>(V);
impl<'de, V: Visitor<'de>> Visitor<'de> for IntV<V> {
    type Value = V::Value;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an integer or a string holding one")
    }
    forward_visits!(
        visit_i64(i64),
        visit_u64(u64),
        visit_i128(i128),
        visit_u128(u128)
    );
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<V::Value, E> {
        // 2^63 and 2^64 are exact as floats; `i64::MAX as f64` would round up to 2^63.
        const TWO_63: f64 = 9_223_372_036_854_775_808.0;
        if v.fract() != 0.0 || !v.is_finite() {
            Err(E::custom(format_args!("{v} is not an integer")))
        } else if (-TWO_63..TWO_63).contains(&v) {
            self.0.visit_i64(v as i64)
        } else if (0.0..TWO_63 * 2.0).contains(&v) {
            self.0.visit_u64(v as u64)
        } else {
            Err(E::custom(format_args!("{v} is out of range")))
        }
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<V::Value, E> {
        let t = v.trim();
        if t.is_empty() {
            self.0.visit_i64(0)
        } else if let Ok(n) = t.parse::<i64>() {
            self.0.visit_i64(n)
        } else if let Ok(n) = t.parse::<u64>() {
            self.0.visit_u64(n)
        } else {
            Err(E::custom(format_args!("`{v}` is not an integer")))
        }
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<V::Value, E> {
        self.0.visit_i64(i64::from(v))
    }
    fn visit_unit<E: de::Error>(self) -> Result<V::Value, E> {
        self.0.visit_i64(0)
    }
    fn visit_none<E: de::Error>(self) -> Result<V::Value, E> {
        self.0.visit_i64(0)
    }
}

/// A float: from a string holding one or `null`.
struct FloatV<V>(V);
impl<'de, V: Visitor<'de>> Visitor<'de> for FloatV<V> {
    type Value = V::Value;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a number or a string holding one")
    }
    forward_visits!(visit_f64(f64), visit_i64(i64), visit_u64(u64));
    fn visit_str<E: de::Error>(self, v: &str) -> Result<V::Value, E> {
        let t = v.trim();
        if t.is_empty() {
            return self.0.visit_f64(0.0);
        }
        match t.parse::<f64>() {
            Ok(n) => self.0.visit_f64(n),
            Err(_) => Err(E::custom(format_args!("`{v}` is not a number"))),
        }
    }
    fn visit_unit<E: de::Error>(self) -> Result<V::Value, E> {
        self.0.visit_f64(0.0)
    }
    fn visit_none<E: de::Error>(self) -> Result<V::Value, E> {
        self.0.visit_f64(0.0)
    }
}

/// A bool: from 0/1, their strings, `"true"`/`"false"`, `""` or `null`.
struct BoolV<V>(V);
impl<'de, V: Visitor<'de>> Visitor<'de> for BoolV<V> {
    type Value = V::Value;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a bool, 0/1 or \"true\"/\"false\"")
    }
    forward_visits!(visit_bool(bool));
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<V::Value, E> {
        self.0.visit_bool(v != 0)
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<V::Value, E> {
        self.0.visit_bool(v != 0)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<V::Value, E> {
        match v.trim() {
            "true" | "1" => self.0.visit_bool(true),
            "false" | "0" | "" => self.0.visit_bool(false),
            _ => Err(E::custom(format_args!("`{v}` is not a bool"))),
        }
    }
    fn visit_unit<E: de::Error>(self) -> Result<V::Value, E> {
        self.0.visit_bool(false)
    }
    fn visit_none<E: de::Error>(self) -> Result<V::Value, E> {
        self.0.visit_bool(false)
    }
}

/// A list: `null` and `""` are empty, a single value is a list of one.
struct SeqV<V>(V);
impl<'de, V: Visitor<'de>> Visitor<'de> for SeqV<V> {
    type Value = V::Value;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list, a single value or null")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, a: A) -> Result<V::Value, A::Error> {
        self.0.visit_seq(Seq(a))
    }
    fn visit_unit<E: de::Error>(self) -> Result<V::Value, E> {
        self.0.visit_seq(Empty::<E>(PhantomData))
    }
    fn visit_none<E: de::Error>(self) -> Result<V::Value, E> {
        self.0.visit_seq(Empty::<E>(PhantomData))
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<V::Value, D::Error> {
        d.deserialize_any(self)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<V::Value, E> {
        if v.is_empty() {
            return self.0.visit_seq(Empty::<E>(PhantomData));
        }
        self.0
            .visit_seq(One(Some(de::value::StrDeserializer::<E>::new(v))))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<V::Value, E> {
        if v.is_empty() {
            return self.0.visit_seq(Empty::<E>(PhantomData));
        }
        self.0
            .visit_seq(One(Some(de::value::StringDeserializer::<E>::new(v))))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<V::Value, E> {
        self.0
            .visit_seq(One(Some(de::value::I64Deserializer::<E>::new(v))))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<V::Value, E> {
        self.0
            .visit_seq(One(Some(de::value::U64Deserializer::<E>::new(v))))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<V::Value, E> {
        self.0
            .visit_seq(One(Some(de::value::F64Deserializer::<E>::new(v))))
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<V::Value, E> {
        self.0
            .visit_seq(One(Some(de::value::BoolDeserializer::<E>::new(v))))
    }
    fn visit_map<A: MapAccess<'de>>(self, a: A) -> Result<V::Value, A::Error> {
        self.0
            .visit_seq(One(Some(de::value::MapAccessDeserializer::new(a))))
    }
}

/// A map or a struct: `null` is empty (a struct's default, as generated structs are
/// `#[serde(default)]`); values decode leniently.
struct MapV<V>(V);
impl<'de, V: Visitor<'de>> Visitor<'de> for MapV<V> {
    type Value = V::Value;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.expecting(f)
    }
    fn visit_map<A: MapAccess<'de>>(self, a: A) -> Result<V::Value, A::Error> {
        self.0.visit_map(Map(a))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, a: A) -> Result<V::Value, A::Error> {
        self.0.visit_seq(Seq(a))
    }
    fn visit_unit<E: de::Error>(self) -> Result<V::Value, E> {
        self.0.visit_map(Empty::<E>(PhantomData))
    }
    fn visit_none<E: de::Error>(self) -> Result<V::Value, E> {
        self.0.visit_map(Empty::<E>(PhantomData))
    }
}

/// The visitor [`str_enum`] hands to [`StrV`]: text out as a `String`.
struct StringOut;
impl Visitor<'_> for StringOut {
    type Value = String;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<String, E> {
        Ok(v.to_owned())
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<String, E> {
        Ok(v)
    }
}

/// The visitor [`int_enum`] hands to [`IntV`]: an `i64` out.
struct I64Out;
impl Visitor<'_> for I64Out {
    type Value = i64;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an integer")
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<i64, E> {
        Ok(v)
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<i64, E> {
        i64::try_from(v).map_err(|_| E::custom(format_args!("{v} is out of range for i64")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[derive(serde::Deserialize, Debug, PartialEq, Default)]
    #[serde(default)]
    struct S {
        id: String,
        n: Option<i64>,
        ok: bool,
        ids: Vec<String>,
        price: f64,
        small: i32,
        inner: Inner,
        opt_inner: Option<Inner>,
        map: BTreeMap<String, i64>,
        any: serde_json::Value,
    }

    #[derive(serde::Deserialize, Debug, PartialEq, Default)]
    #[serde(default)]
    struct Inner {
        count: u64,
        tags: Vec<i64>,
    }

    fn s(text: &str) -> serde_json::Result<S> {
        from_str(text)
    }

    #[test]
    fn accepts_both_spellings() {
        let a =
            s(r#"{"id":9007199254740993,"n":"42","ok":1,"ids":[1,"2"],"price":"1.5"}"#).unwrap();
        assert_eq!(a.id, "9007199254740993");
        assert_eq!(a.n, Some(42));
        assert!(a.ok);
        assert_eq!(a.ids, vec!["1", "2"]);
        assert_eq!(a.price, 1.5);
        let b = s(r#"{"id":"x","n":null,"ok":"false","ids":null}"#).unwrap();
        assert_eq!((b.n, b.ok, b.ids.len()), (None, false, 0));
        assert!(s(r#"{"n":"abc"}"#).is_err());
        // One value where a list is documented is a list of one; "" is empty.
        assert_eq!(s(r#"{"ids":"IMMUTABLE"}"#).unwrap().ids, vec!["IMMUTABLE"]);
        assert!(s(r#"{"ids":""}"#).unwrap().ids.is_empty());
        assert!(s(r#"{"n":1.5}"#).is_err());
    }

    #[test]
    fn leniency_reaches_nested_structs_lists_and_maps() {
        let a = s(
            r#"{"inner":{"count":"7","tags":"3"},"opt_inner":{"count":1.0,"tags":[1,"2"]},
                     "map":{"a":"5"},"any":{"x":[1,"y"]}}"#,
        )
        .unwrap();
        assert_eq!(
            a.inner,
            Inner {
                count: 7,
                tags: vec![3]
            }
        );
        assert_eq!(
            a.opt_inner,
            Some(Inner {
                count: 1,
                tags: vec![1, 2]
            })
        );
        assert_eq!(a.map.get("a"), Some(&5));
        assert_eq!(a.any, serde_json::json!({"x": [1, "y"]}));
        let b = s(r#"{"inner":null,"opt_inner":null,"map":null,"small":"","price":null,"ok":null,"id":null}"#)
            .unwrap();
        assert_eq!(b, S::default());
        // A list of structs given as one struct.
        let l: Vec<Inner> = from_str(r#"{"count":"2"}"#).unwrap();
        assert_eq!(
            l,
            vec![Inner {
                count: 2,
                tags: vec![]
            }]
        );
    }

    #[test]
    fn float_bounds_are_exact() {
        let f = |t: &str| s(t).map(|s| s.n);
        assert_eq!(f(r#"{"n":1e3}"#).unwrap(), Some(1000));
        assert_eq!(
            f(r#"{"n":-9.223372036854775808e18}"#).unwrap(),
            Some(i64::MIN)
        );
        // 2^63 is one past i64::MAX: an error, not a silent saturation.
        assert!(f(r#"{"n":9.223372036854775808e18}"#).is_err());
        assert_eq!(from_str::<i32>("2147483647.0").unwrap(), i32::MAX);
        assert!(from_str::<i32>("2147483648.0").is_err());
        assert!(from_str::<i32>("\"2147483648\"").is_err());
        assert!(from_str::<u64>("1.8446744073709551616e19").is_err());
        assert_eq!(
            from_str::<u64>("\"18446744073709551615\"").unwrap(),
            u64::MAX
        );
    }

    #[test]
    fn errors_name_the_path() {
        let text = r#"{"inner":{"tags":[1,"x"]}}"#;
        let de = &mut serde_json::Deserializer::from_str(text);
        let e = serde_path_to_error::deserialize::<_, S>(Lenient(de)).unwrap_err();
        assert_eq!(e.path().to_string(), "inner.tags[1]");
    }
}
