//! Canonical JSON: keys sorted at every depth (objects inside arrays too), compact, UTF-8 kept
//! as is (no `\u` escapes), `<`, `>` and `&` not escaped. Doudian signs `param_json` in this form.
//!
//! Two writers give it. [`to_canonical_vec`] writes a request in one pass, with no tree and no
//! sort: the generated structs serialize their body fields already sorted by wire name, `BTreeMap`
//! and `serde_json::Map` iterate sorted, so each object is written in order as it comes; only an
//! object that comes out of order (a hand-written struct, a `HashMap`, a repeated key) is sorted
//! where it stands, once it is written. [`canonical`] writes a [`Value`] tree, sorting each object:
//! the dynamic path (the CLI, the token calls), and the independent form the tests hold the first
//! to: `to_canonical_vec(&req)` is `canonical(&to_body(&req)?)`, byte for byte.

use std::collections::BTreeMap;

use serde::Serialize;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde::ser::{self, Error as _};
use serde_json::Value;
use serde_json::value::RawValue;

/// Write `value` canonically.
pub fn canonical(value: &Value) -> String {
    let mut out = String::with_capacity(128);
    write(value, &mut out);
    out
}

/// Serialize `value` and write it canonically (`null` members left out, see [`to_body`]), in one
/// pass ([`to_canonical_vec`]) as text.
pub fn to_canonical<T: Serialize + ?Sized>(value: &T) -> serde_json::Result<String> {
    String::from_utf8(to_canonical_vec(value)?).map_err(serde_json::Error::custom)
}

/// Serialize a request's body canonically in one pass: the bytes `canonical(&to_body(value)?)`
/// gives (keys sorted at every depth, compact, text as it is, object members whose value is `null`
/// left out at every depth, `null` items of arrays kept), without building a [`Value`] tree.
///
/// Objects are written as they come and checked to come sorted (each key above the one before);
/// one that does not (a struct whose fields are not declared in wire order, a `HashMap`, a key
/// given twice) is read back and rewritten sorted in place, the last of a repeated key winning as
/// in a [`Value`] map. Numbers, strings and keys are written as `serde_json` writes them, and
/// whatever `serde_json::to_value` refuses (a map key that is a list, an integer beyond 64 bits)
/// is refused here too.
pub fn to_canonical_vec<T: Serialize + ?Sized>(value: &T) -> serde_json::Result<Vec<u8>> {
    let mut w = Canon {
        out: Vec::with_capacity(256),
    };
    value.serialize(&mut w)?;
    Ok(w.out)
}

/// Serialize a request as the platforms expect its body: object members whose value is `null`
/// (an unset `Option`) are left out, at every depth. Generated types carry no
/// `skip_serializing_if` of their own; this is the one place that says so.
pub fn to_body<T: Serialize + ?Sized>(value: &T) -> serde_json::Result<Value> {
    let mut v = serde_json::to_value(value)?;
    drop_nulls(&mut v);
    Ok(v)
}

/// Whether `value` serializes as `None` (an unset `Option`): generated structs leave such
/// fields out, as `skip_serializing_if = "Option::is_none"` would, without an attribute per field.
/// It asks the value to serialize itself into a serializer that stops at the first call, so a
/// `Some` is never serialized twice.
pub fn is_none<T: Serialize + ?Sized>(value: &T) -> bool {
    value.serialize(IsNone).unwrap_or(false)
}

/// The serializer of [`is_none`]: `serialize_none` says yes, anything else no (compound values
/// stop at once with an error, read as no).
struct IsNone;

macro_rules! not_none {
    ($($method:ident($($arg:ty),*);)*) => {$(
        fn $method(self, $(_: $arg),*) -> Result<bool, Self::Error> {
            Ok(false)
        }
    )*};
}

impl ser::Serializer for IsNone {
    type Ok = bool;
    type Error = de::value::Error;
    type SerializeSeq = ser::Impossible<bool, Self::Error>;
    type SerializeTuple = ser::Impossible<bool, Self::Error>;
    type SerializeTupleStruct = ser::Impossible<bool, Self::Error>;
    type SerializeTupleVariant = ser::Impossible<bool, Self::Error>;
    type SerializeMap = ser::Impossible<bool, Self::Error>;
    type SerializeStruct = ser::Impossible<bool, Self::Error>;
    type SerializeStructVariant = ser::Impossible<bool, Self::Error>;

    fn serialize_none(self) -> Result<bool, Self::Error> {
        Ok(true)
    }
    fn serialize_some<T: Serialize + ?Sized>(self, _: &T) -> Result<bool, Self::Error> {
        Ok(false)
    }
    not_none! {
        serialize_bool(bool); serialize_i8(i8); serialize_i16(i16); serialize_i32(i32);
        serialize_i64(i64); serialize_u8(u8); serialize_u16(u16); serialize_u32(u32);
        serialize_u64(u64); serialize_f32(f32); serialize_f64(f64); serialize_char(char);
        serialize_str(&str); serialize_bytes(&[u8]); serialize_unit();
        serialize_unit_struct(&'static str);
        serialize_unit_variant(&'static str, u32, &'static str);
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: &T,
    ) -> Result<bool, Self::Error> {
        Ok(false)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<bool, Self::Error> {
        Ok(false)
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, Self::Error> {
        Err(ser::Error::custom("not none"))
    }
    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, Self::Error> {
        Err(ser::Error::custom("not none"))
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct, Self::Error> {
        Err(ser::Error::custom("not none"))
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, Self::Error> {
        Err(ser::Error::custom("not none"))
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, Self::Error> {
        Err(ser::Error::custom("not none"))
    }
    fn serialize_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStruct, Self::Error> {
        Err(ser::Error::custom("not none"))
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, Self::Error> {
        Err(ser::Error::custom("not none"))
    }
}

/// The one-pass writer of [`to_canonical_vec`].
struct Canon {
    out: Vec<u8>,
}

type Error = serde_json::Error;

/// The name `serde_json` gives the struct a [`RawValue`] serializes as.
const RAW_VALUE: &str = "$serde_json::private::RawValue";

impl Canon {
    /// A number as `serde_json` writes it (and as [`Value`]'s `Display` does).
    fn number<N: Serialize>(&mut self, n: N) -> Result<(), Error> {
        serde_json::to_writer(&mut self.out, &n)
    }

    /// An integer in decimal, as `serde_json` writes it (two digits at a time from a table).
    fn int(&mut self, negative: bool, mut m: u64) -> Result<(), Error> {
        const PAIRS: [u8; 200] = {
            let mut t = [0u8; 200];
            let mut i = 0;
            while i < 100 {
                t[2 * i] = b'0' + (i / 10) as u8;
                t[2 * i + 1] = b'0' + (i % 10) as u8;
                i += 1;
            }
            t
        };
        let mut buf = [0u8; 20];
        let mut at = buf.len();
        while m >= 100 {
            let d = (m % 100) as usize * 2;
            m /= 100;
            at -= 2;
            buf[at..at + 2].copy_from_slice(&PAIRS[d..d + 2]);
        }
        if m >= 10 {
            let d = m as usize * 2;
            at -= 2;
            buf[at..at + 2].copy_from_slice(&PAIRS[d..d + 2]);
        } else {
            at -= 1;
            buf[at] = b'0' + m as u8;
        }
        if negative {
            self.out.push(b'-');
        }
        self.out.extend_from_slice(&buf[at..]);
        Ok(())
    }

    /// A float as its [`Value`]: a number when finite, else `null` (`f32` widened to `f64`, as
    /// `serde_json::to_value` does).
    fn float(&mut self, f: f64) -> Result<(), Error> {
        if f.is_finite() {
            self.number(f)
        } else {
            self.out.extend_from_slice(b"null");
            Ok(())
        }
    }

    /// The `[` of an array.
    fn seq(&mut self, close: &'static [u8]) -> Seq<'_> {
        self.out.push(b'[');
        Seq {
            w: self,
            first: true,
            close,
        }
    }

    /// The `{` of an object.
    fn object(&mut self, close_variant: bool) -> Object<'_> {
        let start = self.out.len();
        self.out.push(b'{');
        Object {
            w: self,
            start,
            kept: 0,
            prev: None,
            unsorted: false,
            entry: 0,
            key: (0, 0),
            plain: true,
            close_variant,
            raw: false,
        }
    }

    /// `{"variant":` of an enum variant with data, as `serde_json` writes it.
    fn variant(&mut self, variant: &str) {
        self.out.push(b'{');
        escape(variant.as_bytes(), &mut self.out);
        self.out.push(b':');
    }

    /// A [`RawValue`]'s text, as `serde_json::to_value` reads it: parsed, its `null` members left
    /// out, written canonically.
    fn raw(&mut self, text: &str) -> Result<(), Error> {
        let mut v: Value = serde_json::from_str(text)?;
        drop_nulls(&mut v);
        self.out.extend_from_slice(canonical(&v).as_bytes());
        Ok(())
    }
}

/// What a byte is escaped as: 0 for itself, `u` for `\u00XX`, else the letter after `\`.
const ESCAPE: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut b = 0;
    while b < 0x20 {
        t[b] = b'u';
        b += 1;
    }
    t[0x08] = b'b';
    t[0x0c] = b'f';
    t[b'\n' as usize] = b'n';
    t[b'\r' as usize] = b'r';
    t[b'\t' as usize] = b't';
    t[b'"' as usize] = b'"';
    t[b'\\' as usize] = b'\\';
    t
};

/// Whether any of the eight bytes of `w` is below 0x20, `"` or `\\` (exact for "any", the
/// word-at-a-time tests of a zero byte and of a byte below n).
fn needs_escape(w: u64) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let control = w.wrapping_sub(ONES * 0x20) & !w;
    let quote = w ^ (ONES * u64::from(b'"'));
    let quote = quote.wrapping_sub(ONES) & !quote;
    let backslash = w ^ (ONES * u64::from(b'\\'));
    let backslash = backslash.wrapping_sub(ONES) & !backslash;
    (control | quote | backslash) & HIGH != 0
}

/// JSON string escaping as `serde_json` does it: `"` and `\`, the control characters (`\b`, `\f`,
/// `\n`, `\r`, `\t`, else `\u00XX`); everything else, non-ASCII and `<>&` included, as it is.
/// Whether nothing needed escaping.
fn escape(s: &[u8], out: &mut Vec<u8>) -> bool {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.reserve(s.len() + 2);
    out.push(b'"');
    let mut from = 0;
    let mut i = 0;
    while i < s.len() {
        // Eight bytes at a time while none needs escaping.
        while let Some(word) = s.get(i..i + 8) {
            if needs_escape(u64::from_le_bytes(word.try_into().expect("8 bytes"))) {
                break;
            }
            i += 8;
        }
        let Some(&b) = s.get(i) else { break };
        i += 1;
        let e = ESCAPE[usize::from(b)];
        if e == 0 {
            continue;
        }
        out.extend_from_slice(&s[from..i - 1]);
        from = i;
        if e == b'u' {
            out.extend_from_slice(&[
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[usize::from(b >> 4)],
                HEX[usize::from(b & 15)],
            ]);
        } else {
            out.extend_from_slice(&[b'\\', e]);
        }
    }
    out.extend_from_slice(&s[from..]);
    out.push(b'"');
    from == 0
}

impl<'a> ser::Serializer for &'a mut Canon {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Seq<'a>;
    type SerializeTuple = Seq<'a>;
    type SerializeTupleStruct = Seq<'a>;
    type SerializeTupleVariant = Seq<'a>;
    type SerializeMap = Object<'a>;
    type SerializeStruct = Object<'a>;
    type SerializeStructVariant = Object<'a>;

    fn serialize_bool(self, v: bool) -> Result<(), Error> {
        self.out
            .extend_from_slice(if v { b"true" } else { b"false" });
        Ok(())
    }
    fn serialize_i8(self, v: i8) -> Result<(), Error> {
        self.serialize_i64(v.into())
    }
    fn serialize_i16(self, v: i16) -> Result<(), Error> {
        self.serialize_i64(v.into())
    }
    fn serialize_i32(self, v: i32) -> Result<(), Error> {
        self.serialize_i64(v.into())
    }
    fn serialize_i64(self, v: i64) -> Result<(), Error> {
        self.int(v < 0, v.unsigned_abs())
    }
    fn serialize_i128(self, v: i128) -> Result<(), Error> {
        // As `serde_json::to_value`: a number when 64 bits hold it.
        match i64::try_from(v) {
            Ok(i) => self.serialize_i64(i),
            Err(_) => self.serialize_u128(v.try_into().unwrap_or(u128::MAX)),
        }
    }
    fn serialize_u8(self, v: u8) -> Result<(), Error> {
        self.serialize_u64(v.into())
    }
    fn serialize_u16(self, v: u16) -> Result<(), Error> {
        self.serialize_u64(v.into())
    }
    fn serialize_u32(self, v: u32) -> Result<(), Error> {
        self.serialize_u64(v.into())
    }
    fn serialize_u64(self, v: u64) -> Result<(), Error> {
        self.int(false, v)
    }
    fn serialize_u128(self, v: u128) -> Result<(), Error> {
        match u64::try_from(v) {
            Ok(u) => self.serialize_u64(u),
            Err(_) => Err(Error::custom("number out of range")),
        }
    }
    fn serialize_f32(self, v: f32) -> Result<(), Error> {
        self.float(f64::from(v))
    }
    fn serialize_f64(self, v: f64) -> Result<(), Error> {
        self.float(v)
    }
    fn serialize_char(self, v: char) -> Result<(), Error> {
        escape(v.encode_utf8(&mut [0; 4]).as_bytes(), &mut self.out);
        Ok(())
    }
    fn serialize_str(self, v: &str) -> Result<(), Error> {
        escape(v.as_bytes(), &mut self.out);
        Ok(())
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<(), Error> {
        let mut seq = self.seq(b"]");
        for b in v {
            ser::SerializeSeq::serialize_element(&mut seq, b)?;
        }
        ser::SerializeSeq::end(seq)
    }
    fn serialize_none(self) -> Result<(), Error> {
        self.serialize_unit()
    }
    fn serialize_some<T: Serialize + ?Sized>(self, v: &T) -> Result<(), Error> {
        v.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), Error> {
        self.out.extend_from_slice(b"null");
        Ok(())
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<(), Error> {
        self.serialize_unit()
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<(), Error> {
        self.serialize_str(variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        v: &T,
    ) -> Result<(), Error> {
        v.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        v: &T,
    ) -> Result<(), Error> {
        // `{"variant": v}`: an object of one member, left empty when `v` is `null`.
        let open = self.out.len() + 1;
        self.variant(variant);
        let at = self.out.len();
        v.serialize(&mut *self)?;
        if self.out.len() == at + 4 && self.out[at] == b'n' {
            self.out.truncate(open);
        }
        self.out.push(b'}');
        Ok(())
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Seq<'a>, Error> {
        Ok(self.seq(b"]"))
    }
    fn serialize_tuple(self, _: usize) -> Result<Seq<'a>, Error> {
        Ok(self.seq(b"]"))
    }
    fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<Seq<'a>, Error> {
        Ok(self.seq(b"]"))
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Seq<'a>, Error> {
        self.variant(variant);
        Ok(self.seq(b"]}"))
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Object<'a>, Error> {
        Ok(self.object(false))
    }
    fn serialize_struct(self, name: &'static str, _: usize) -> Result<Object<'a>, Error> {
        if name == RAW_VALUE {
            // Not an object: its one field is the raw text, which `Object::raw` reads back.
            let mut o = self.object(false);
            o.w.out.pop();
            o.raw = true;
            return Ok(o);
        }
        Ok(self.object(false))
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Object<'a>, Error> {
        self.variant(variant);
        Ok(self.object(true))
    }
}

/// An array being written.
struct Seq<'a> {
    w: &'a mut Canon,
    first: bool,
    /// `]`, or `]}` closing a tuple variant's object too.
    close: &'static [u8],
}

impl Seq<'_> {
    fn item<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Error> {
        if !self.first {
            self.w.out.push(b',');
        }
        self.first = false;
        v.serialize(&mut *self.w)
    }
    fn close(self) -> Result<(), Error> {
        self.w.out.extend_from_slice(self.close);
        Ok(())
    }
}

impl ser::SerializeSeq for Seq<'_> {
    type Ok = ();
    type Error = Error;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Error> {
        self.item(v)
    }
    fn end(self) -> Result<(), Error> {
        self.close()
    }
}

impl ser::SerializeTuple for Seq<'_> {
    type Ok = ();
    type Error = Error;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Error> {
        self.item(v)
    }
    fn end(self) -> Result<(), Error> {
        self.close()
    }
}

impl ser::SerializeTupleStruct for Seq<'_> {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Error> {
        self.item(v)
    }
    fn end(self) -> Result<(), Error> {
        self.close()
    }
}

impl ser::SerializeTupleVariant for Seq<'_> {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Error> {
        self.item(v)
    }
    fn end(self) -> Result<(), Error> {
        self.close()
    }
}

/// An object being written: its members in the order they come, each checked to come after the
/// one before; a `null` member is taken back out as soon as it is written.
struct Object<'a> {
    w: &'a mut Canon,
    /// Where its `{` is.
    start: usize,
    /// The members written so far.
    kept: usize,
    /// The text of the last member's key, between its quotes.
    prev: Option<(usize, usize)>,
    /// A member came out of order (or its key holds an escape): the object is sorted at its end,
    /// and until then no member is taken out.
    unsorted: bool,
    /// Where the current member starts (its `,` if it has one), its key's text, and whether
    /// that holds no escape.
    entry: usize,
    key: (usize, usize),
    plain: bool,
    /// A struct variant: a `}` more closes `{"variant":{..}}`.
    close_variant: bool,
    /// A [`RawValue`] (which `serde_json` serializes as a struct), not an object.
    raw: bool,
}

impl Object<'_> {
    /// A member's `,` and key, its quoted text written by `key`, which says whether it holds no
    /// escape.
    fn begin(&mut self, key: impl FnOnce(&mut Canon) -> Result<bool, Error>) -> Result<(), Error> {
        self.entry = self.w.out.len();
        if self.kept > 0 {
            self.w.out.push(b',');
        }
        let at = self.w.out.len();
        self.plain = key(self.w)?;
        self.key = (at + 1, self.w.out.len() - 1);
        self.w.out.push(b':');
        Ok(())
    }

    /// The member's value, then whether it stays.
    fn value<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Error> {
        let at = self.w.out.len();
        v.serialize(&mut *self.w)?;
        if !self.unsorted {
            let out = &self.w.out;
            // Keys without escapes compare as their text (the last kept one has none); one with
            // an escape is left to the sort, which reads it back.
            let after = self.plain
                && self.prev.is_none_or(|(ps, pe)| {
                    let (key, prev) = (&out[self.key.0..self.key.1], &out[ps..pe]);
                    match (key.first(), prev.first()) {
                        (Some(k), Some(p)) if k != p => k > p,
                        _ => key > prev,
                    }
                });
            if after {
                // Only `null` is 4 bytes starting with `n`.
                if out.len() == at + 4 && out[at] == b'n' {
                    self.w.out.truncate(self.entry);
                } else {
                    self.kept += 1;
                    self.prev = Some(self.key);
                }
                return Ok(());
            }
            // Out of order (or a key repeated): the members stay as they are, `null` ones too, and
            // the sort settles which one of a repeated key is kept.
            self.unsorted = true;
        }
        self.kept += 1;
        Ok(())
    }

    /// The `}`, the object sorted when it came out of order.
    fn close(self) -> Result<(), Error> {
        self.w.out.push(b'}');
        if self.unsorted {
            sort_object(&mut self.w.out, self.start)?;
        }
        if self.close_variant {
            self.w.out.push(b'}');
        }
        Ok(())
    }

    /// The one field of a [`RawValue`]: its text, read back and written canonically.
    fn raw<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Error> {
        let at = self.w.out.len();
        v.serialize(&mut *self.w)?;
        let text: String = serde_json::from_slice(&self.w.out[at..])?;
        self.w.out.truncate(at);
        self.w.raw(&text)
    }
}

/// Rewrite the object written from `start` to the end of `out` with its members sorted by key,
/// the last of a repeated key kept and `null` members left out (its values are already canonical).
fn sort_object(out: &mut Vec<u8>, start: usize) -> Result<(), Error> {
    let text = out.split_off(start);
    let members: BTreeMap<String, &RawValue> = serde_json::from_slice(&text)?;
    out.push(b'{');
    let mut first = true;
    for (k, v) in members.iter().filter(|(_, v)| v.get() != "null") {
        if !first {
            out.push(b',');
        }
        first = false;
        escape(k.as_bytes(), out);
        out.push(b':');
        out.extend_from_slice(v.get().as_bytes());
    }
    out.push(b'}');
    Ok(())
}

impl ser::SerializeStruct for Object<'_> {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        v: &T,
    ) -> Result<(), Error> {
        if self.raw {
            return self.raw(v);
        }
        self.begin(|w| Ok(escape(key.as_bytes(), &mut w.out)))?;
        self.value(v)
    }
    fn end(self) -> Result<(), Error> {
        if self.raw {
            return Ok(());
        }
        self.close()
    }
}

impl ser::SerializeStructVariant for Object<'_> {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        v: &T,
    ) -> Result<(), Error> {
        ser::SerializeStruct::serialize_field(self, key, v)
    }
    fn end(self) -> Result<(), Error> {
        self.close()
    }
}

impl ser::SerializeMap for Object<'_> {
    type Ok = ();
    type Error = Error;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Error> {
        self.begin(|w| {
            let at = w.out.len();
            key.serialize(Key(&mut *w))?;
            Ok(!w.out[at..].contains(&b'\\'))
        })
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Error> {
        self.value(v)
    }
    fn end(self) -> Result<(), Error> {
        self.close()
    }
}

/// A map key, written as the quoted text `serde_json` makes of it: a string as it is, a number,
/// a boolean or a unit variant as its text; anything else is refused, as `serde_json` does.
struct Key<'a>(&'a mut Canon);

impl Key<'_> {
    fn quoted<N: Serialize>(self, n: N) -> Result<(), Error> {
        self.0.out.push(b'"');
        self.0.number(n)?;
        self.0.out.push(b'"');
        Ok(())
    }
}

fn key_must_be_a_string() -> Error {
    Error::custom("key must be a string")
}

impl ser::Serializer for Key<'_> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = ser::Impossible<(), Error>;
    type SerializeTuple = ser::Impossible<(), Error>;
    type SerializeTupleStruct = ser::Impossible<(), Error>;
    type SerializeTupleVariant = ser::Impossible<(), Error>;
    type SerializeMap = ser::Impossible<(), Error>;
    type SerializeStruct = ser::Impossible<(), Error>;
    type SerializeStructVariant = ser::Impossible<(), Error>;

    fn serialize_bool(self, v: bool) -> Result<(), Error> {
        self.serialize_str(if v { "true" } else { "false" })
    }
    fn serialize_i8(self, v: i8) -> Result<(), Error> {
        self.quoted(v)
    }
    fn serialize_i16(self, v: i16) -> Result<(), Error> {
        self.quoted(v)
    }
    fn serialize_i32(self, v: i32) -> Result<(), Error> {
        self.quoted(v)
    }
    fn serialize_i64(self, v: i64) -> Result<(), Error> {
        self.quoted(v)
    }
    fn serialize_i128(self, v: i128) -> Result<(), Error> {
        self.quoted(v)
    }
    fn serialize_u8(self, v: u8) -> Result<(), Error> {
        self.quoted(v)
    }
    fn serialize_u16(self, v: u16) -> Result<(), Error> {
        self.quoted(v)
    }
    fn serialize_u32(self, v: u32) -> Result<(), Error> {
        self.quoted(v)
    }
    fn serialize_u64(self, v: u64) -> Result<(), Error> {
        self.quoted(v)
    }
    fn serialize_u128(self, v: u128) -> Result<(), Error> {
        self.quoted(v)
    }
    fn serialize_f32(self, v: f32) -> Result<(), Error> {
        if !v.is_finite() {
            return Err(Error::custom(
                "float key must be finite (got NaN or +/-inf)",
            ));
        }
        self.quoted(v)
    }
    fn serialize_f64(self, v: f64) -> Result<(), Error> {
        if !v.is_finite() {
            return Err(Error::custom(
                "float key must be finite (got NaN or +/-inf)",
            ));
        }
        self.quoted(v)
    }
    fn serialize_char(self, v: char) -> Result<(), Error> {
        escape(v.encode_utf8(&mut [0; 4]).as_bytes(), &mut self.0.out);
        Ok(())
    }
    fn serialize_str(self, v: &str) -> Result<(), Error> {
        escape(v.as_bytes(), &mut self.0.out);
        Ok(())
    }
    fn serialize_bytes(self, _: &[u8]) -> Result<(), Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_none(self) -> Result<(), Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, _: &T) -> Result<(), Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_unit(self) -> Result<(), Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<(), Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<(), Error> {
        self.serialize_str(variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        v: &T,
    ) -> Result<(), Error> {
        v.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<(), Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct, Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeStruct, Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, Error> {
        Err(key_must_be_a_string())
    }
}

fn drop_nulls(v: &mut Value) {
    match v {
        Value::Object(map) => {
            map.retain(|_, v| !v.is_null());
            map.values_mut().for_each(drop_nulls);
        }
        Value::Array(items) => items.iter_mut().for_each(drop_nulls),
        _ => {}
    }
}

fn write(v: &Value, out: &mut String) {
    match v {
        Value::Object(map) => {
            // serde_json keeps keys sorted unless a crate turns on `preserve_order`: sort anyway.
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
            out.push('{');
            for (i, (k, v)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_str(k, out);
                out.push(':');
                write(v, out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write(v, out);
            }
            out.push(']');
        }
        Value::String(s) => write_str(s, out),
        other => out.push_str(&other.to_string()),
    }
}

fn write_str(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{08}' => out.push_str("\\b"),
            '\u{0c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// The members of the JSON object `json` named in `names` (the first of each), unparsed; the
/// others skipped. An error when `json` is not one object.
pub(crate) fn pick<'a>(
    json: &'a [u8],
    names: &[&'static str],
) -> serde_json::Result<Vec<(&'static str, &'a RawValue)>> {
    let mut d = serde_json::Deserializer::from_slice(json);
    let picked = d.deserialize_map(Pick(names))?;
    d.end()?;
    Ok(picked)
}

/// An object, keeping the members named (the first of each), the others skipped.
struct Pick<'n>(&'n [&'static str]);

/// A key: the name it is among those kept, if it is.
struct Name<'n>(&'n [&'static str]);

impl<'de> DeserializeSeed<'de> for Name<'_> {
    type Value = Option<&'static str>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_str(self)
    }
}

impl Visitor<'_> for Name<'_> {
    type Value = Option<&'static str>;
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a key")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(self.0.iter().find(|n| **n == v).copied())
    }
}

impl<'de> Visitor<'de> for Pick<'_> {
    type Value = Vec<(&'static str, &'de RawValue)>;
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON object (the platform's envelope)")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Self::Value, A::Error> {
        let mut picked: Vec<(&'static str, &'de RawValue)> = Vec::new();
        while let Some(name) = m.next_key_seed(Name(self.0))? {
            match name {
                Some(n) if !picked.iter().any(|(p, _)| *p == n) => {
                    picked.push((n, m.next_value()?));
                }
                _ => {
                    m.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(picked)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorted_compact_unescaped() {
        let v: Value = serde_json::from_str(
            r#"{"size":20,"page":0,"list":[{"b":1,"a":"测试<&>"}],"nested":{"z":null,"y":true}}"#,
        )
        .unwrap();
        assert_eq!(
            canonical(&v),
            r#"{"list":[{"a":"测试<&>","b":1}],"nested":{"y":true,"z":null},"page":0,"size":20}"#
        );
        assert_eq!(canonical(&serde_json::json!({})), "{}");
        assert!(is_none(&None::<i64>));
        assert!(!is_none(&Some(vec![1])) && !is_none(&0) && !is_none(&Vec::<i64>::new()));
        assert!(!is_none(&serde_json::json!({"a": 1})) && !is_none(&Value::Null));
        assert_eq!(
            to_canonical(
                &serde_json::json!({"a": null, "b": [{"c": null, "d": 1}], "e": {"f": null}})
            )
            .unwrap(),
            r#"{"b":[{"d":1}],"e":{}}"#
        );
        assert_eq!(
            canonical(&serde_json::json!({"q":"a\"b\\c\n"})),
            r#"{"q":"a\"b\\c\n"}"#
        );
    }

    /// The word-at-a-time test finds each byte that needs escaping at each place, among bytes
    /// that do not (ASCII, and the bytes of UTF-8 sequences).
    #[test]
    fn needs_escape_misses_no_byte() {
        for filler in [b'a', b' ', 0x80, 0xe6, 0xff, b'#', b'!', b']'] {
            for b in 0..=255u8 {
                for at in 0..8 {
                    let mut word = [filler; 8];
                    word[at] = b;
                    let w = u64::from_le_bytes(word);
                    assert_eq!(
                        needs_escape(w),
                        ESCAPE[usize::from(b)] != 0,
                        "{b:#x} at {at}"
                    );
                }
            }
        }
        let mut out = Vec::new();
        for len in 0..20 {
            for at in 0..len {
                let mut s = vec![b'x'; len];
                s[at] = b'"';
                out.clear();
                assert!(!escape(&s, &mut out));
                assert_eq!(
                    out,
                    serde_json::to_vec(std::str::from_utf8(&s).unwrap()).unwrap()
                );
            }
        }
    }

    /// Integers as `serde_json` writes them, at every length and at the limits.
    #[test]
    fn integers_are_serde_jsons() {
        let mut n: u64 = 1;
        let mut all = vec![u64::MAX, 0];
        while let Some(m) = n.checked_mul(10) {
            all.extend([n - 1, n, n + 1, m / 2]);
            n = m;
        }
        for u in all {
            assert_eq!(
                to_canonical(&u).unwrap(),
                serde_json::to_string(&u).unwrap()
            );
            let i = u as i64;
            assert_eq!(
                to_canonical(&i).unwrap(),
                serde_json::to_string(&i).unwrap()
            );
            let i = i.wrapping_neg();
            assert_eq!(
                to_canonical(&i).unwrap(),
                serde_json::to_string(&i).unwrap()
            );
        }
        assert_eq!(to_canonical(&i64::MIN).unwrap(), i64::MIN.to_string());
        assert_eq!(
            to_canonical(&(i8::MIN, u8::MAX, i32::MIN)).unwrap(),
            "[-128,255,-2147483648]"
        );
    }

    /// The tree form, the independent one the one-pass writer is held to.
    fn tree<T: Serialize + ?Sized>(v: &T) -> serde_json::Result<String> {
        Ok(canonical(&to_body(v)?))
    }

    /// The one-pass bytes are the tree's, or both refuse with the same message.
    fn same<T: Serialize + ?Sized>(v: &T) -> String {
        match (to_canonical(v), tree(v)) {
            (Ok(a), Ok(b)) => {
                assert_eq!(a, b);
                a
            }
            (Err(a), Err(b)) => {
                assert_eq!(a.to_string(), b.to_string());
                format!("refused: {a}")
            }
            (a, b) => panic!("one pass {a:?}, tree {b:?}"),
        }
    }

    /// A generated body: fields sorted by wire name, `None` left out by `de::ser_field`.
    #[derive(Debug, Clone, PartialEq, Default)]
    struct Body {
        a_list: Vec<Inner>,
        extra: Option<Value>,
        map: Option<BTreeMap<String, Option<i64>>>,
        page: i64,
        size: Option<i32>,
        text: String,
    }
    crate::object!(Body { "a_list" a_list, "extra" extra, "map" map, "page" page, "size" size, "text" text });

    #[derive(Debug, Clone, PartialEq, Default)]
    struct Inner {
        z: Option<String>,
        b: f64,
    }
    // Declared out of wire order, as a hand-written type might be.
    crate::object!(Inner { "z" z, "b" b });

    #[test]
    fn one_pass_is_the_tree_for_generated_bodies() {
        let body = Body {
            a_list: vec![
                Inner {
                    z: Some("测试<&>".into()),
                    b: 1.5,
                },
                Inner {
                    z: None,
                    b: f64::NAN,
                },
            ],
            extra: Some(serde_json::json!({"y": [null, {"k": null, "j": 1}], "x": {"n": null}})),
            map: Some(BTreeMap::from([
                ("b".into(), Some(2)),
                ("a".into(), None),
                ("\u{1}".into(), Some(1)),
            ])),
            page: 0,
            size: None,
            text: "q\"\\\n\t\u{7}\u{7f}é".into(),
        };
        assert_eq!(
            same(&body),
            r#"{"a_list":[{"b":1.5,"z":"测试<&>"},{}],"extra":{"x":{},"y":[null,{"j":1}]},"map":{"\u0001":1,"b":2},"page":0,"text":"q\"\\\n\t\u0007\u{7f}é"}"#
                .replace("\\u{7f}", "\u{7f}")
        );
        assert_eq!(
            same(&Body::default()),
            r#"{"a_list":[],"page":0,"text":""}"#
        );
    }

    /// Keys that come out of order, repeated, or with escapes; maps of other key types.
    #[test]
    fn one_pass_sorts_what_comes_unsorted() {
        #[derive(Serialize)]
        struct Unsorted {
            size: u32,
            page: Option<u32>,
            #[serde(rename = "a\"q")]
            quoted: bool,
            #[serde(rename = "a#")]
            hash: bool,
            #[serde(flatten)]
            more: std::collections::HashMap<String, Option<i64>>,
        }
        let more = (0..40)
            .map(|i| (format!("k{i}"), (i % 3 != 0).then_some(i)))
            .collect();
        let v = Unsorted {
            size: 20,
            page: None,
            quoted: true,
            hash: false,
            more,
        };
        let text = same(&v);
        assert!(
            text.starts_with(r#"{"a\"q":true,"a#":false,"k1":1,"k10":10,"k11":11,"k13":13,"#),
            "{text}"
        );
        assert!(!text.contains("page") && !text.contains("k0"), "{text}");

        /// A key given twice: the last one wins, even when it is `null`.
        struct Twice(Option<i64>, Option<i64>);
        impl Serialize for Twice {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                use serde::ser::SerializeMap;
                let mut m = s.serialize_map(None)?;
                m.serialize_entry("b", &1)?;
                m.serialize_entry("a", &self.0)?;
                m.serialize_entry("c", &2)?;
                m.serialize_entry("a", &self.1)?;
                m.end()
            }
        }
        assert_eq!(same(&Twice(Some(1), Some(2))), r#"{"a":2,"b":1,"c":2}"#);
        assert_eq!(same(&Twice(Some(1), None)), r#"{"b":1,"c":2}"#);
        assert_eq!(same(&Twice(None, Some(3))), r#"{"a":3,"b":1,"c":2}"#);
        /// A key given twice in a row.
        struct Again(Option<i64>);
        impl Serialize for Again {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                use serde::ser::SerializeStruct;
                let mut m = s.serialize_struct("Again", 3)?;
                m.serialize_field("a", &1)?;
                m.serialize_field("a", &self.0)?;
                m.serialize_field("b", &2)?;
                m.end()
            }
        }
        assert_eq!(same(&Again(None)), r#"{"b":2}"#);
        // `"` sorts before `#`, though its escape `\"` would not.
        let escaped = BTreeMap::from([("a#", 1), ("a\"", 2)]);
        assert_eq!(same(&escaped), r#"{"a\"":2,"a#":1}"#);
        let h: std::collections::HashMap<_, _> = escaped.into_iter().collect();
        assert_eq!(same(&h), r#"{"a\"":2,"a#":1}"#);
        struct Emitted;
        impl Serialize for Emitted {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                use serde::ser::SerializeStruct;
                let mut m = s.serialize_struct("Emitted", 2)?;
                m.serialize_field("a#", &1)?;
                m.serialize_field("a\"", &2)?;
                m.end()
            }
        }
        assert_eq!(same(&Emitted), r#"{"a\"":2,"a#":1}"#);
        assert_eq!(same(&Again(Some(3))), r#"{"a":3,"b":2}"#);

        let ints = std::collections::HashMap::from([(10u8, "x"), (9, "y"), (200, "z")]);
        assert_eq!(same(&ints), r#"{"10":"x","200":"z","9":"y"}"#);
        assert_eq!(
            same(&BTreeMap::from([(true, 1), (false, 0)])),
            r#"{"false":0,"true":1}"#
        );
        assert_eq!(
            same(&BTreeMap::from([('é', 1), ('"', 0)])),
            r#"{"\"":0,"é":1}"#
        );
        assert_eq!(
            same(&BTreeMap::from([(vec![1], 1)])),
            "refused: key must be a string"
        );
        assert_eq!(
            same(&BTreeMap::from([(Some(1), 1)])),
            "refused: key must be a string"
        );
        assert_eq!(
            same(&[(1.5f64, 1)].into_iter().collect::<FloatKeys>()),
            r#"{"1.5":1}"#
        );
        assert_eq!(
            same(&[(f64::NAN, 1)].into_iter().collect::<FloatKeys>()),
            "refused: float key must be finite (got NaN or +/-inf)"
        );
        assert_eq!(
            same(&BTreeMap::from([("a", f64::NAN)])),
            "{}" // a NaN is `null`, so left out
        );
    }

    #[test]
    fn one_pass_numbers_enums_and_raw_values_are_the_trees() {
        #[derive(Serialize)]
        enum E {
            Unit,
            New(Option<u8>),
            Tuple(u8, Option<u8>),
            Struct { b: Option<u8>, a: u8 },
        }
        same(&(
            [E::Unit, E::New(Some(1)), E::New(None), E::Tuple(1, None)],
            E::Struct { b: None, a: 2 },
        ));
        assert_eq!(
            same(&E::Struct { b: Some(1), a: 2 }),
            r#"{"Struct":{"a":2,"b":1}}"#
        );
        assert_eq!(same(&E::New(None)), "{}");
        same(&(
            0.1f32,
            f32::INFINITY,
            -0.0f64,
            1e300,
            5e-324,
            u64::MAX,
            i64::MIN,
        ));
        same(&(i128::from(u64::MAX), -1i128, 'x', ()));
        assert_eq!(same(&u128::MAX), "refused: number out of range");
        assert_eq!(same(&i128::MIN), "refused: number out of range");
        same(&serde_bytes_like());
        let raw =
            RawValue::from_string(r#"{"b": [1, {"d": null, "c": 2}], "a": null}"#.into()).unwrap();
        assert_eq!(
            same(&BTreeMap::from([("r", &raw)])),
            r#"{"r":{"b":[1,{"c":2}]}}"#
        );
        let null = RawValue::from_string("null".into()).unwrap();
        assert_eq!(same(&BTreeMap::from([("r", &null)])), "{}");
        assert_eq!(same(&"12.50".parse::<crate::Decimal>().unwrap()), "12.5");
        same(&None::<u8>);
        same(&Some(Value::Null));
    }

    /// A map with float keys (which `BTreeMap` cannot hold).
    struct FloatKeys(Vec<(f64, i32)>);
    impl FromIterator<(f64, i32)> for FloatKeys {
        fn from_iter<I: IntoIterator<Item = (f64, i32)>>(i: I) -> Self {
            FloatKeys(i.into_iter().collect())
        }
    }
    impl Serialize for FloatKeys {
        fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            s.collect_map(self.0.iter().map(|(k, v)| (k, v)))
        }
    }

    fn serde_bytes_like() -> impl Serialize {
        struct Bytes;
        impl Serialize for Bytes {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_bytes(&[0, 255])
            }
        }
        Bytes
    }

    /// Random trees (objects in arrays in objects, keys out of order, with escapes and non-ASCII,
    /// `null` at every depth, floats): the one-pass bytes are always the tree's.
    #[test]
    fn one_pass_is_the_tree_for_random_values() {
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = move |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        const WORDS: [&str; 8] = ["a", "b", "ab", "é", "测试", "a\"", "\n", "<&>"];
        fn build(next: &mut dyn FnMut(u64) -> u64, depth: u32) -> Value {
            match next(if depth > 3 { 6 } else { 8 }) {
                0 => Value::Null,
                1 => Value::Bool(next(2) == 1),
                2 => serde_json::json!(next(1 << 40) as i64 - (1 << 39)),
                3 => serde_json::json!(next(1_000_000) as f64 / 7.0),
                4 | 5 => Value::String(WORDS[next(8) as usize].repeat(next(3) as usize)),
                6 => Value::Array((0..next(4)).map(|_| build(next, depth + 1)).collect()),
                _ => Value::Object(
                    (0..next(6))
                        .map(|_| {
                            let k = WORDS[next(8) as usize].repeat(1 + next(2) as usize);
                            (k, build(next, depth + 1))
                        })
                        .collect(),
                ),
            }
        }
        for _ in 0..3000 {
            let v = build(&mut next, 0);
            same(&v);
            // The same members arriving in another order, through a map that does not sort.
            if let Value::Object(m) = &v {
                let h: std::collections::HashMap<&String, &Value> = m.iter().collect();
                assert_eq!(to_canonical(&h).unwrap(), tree(&v).unwrap());
            }
        }
    }
}
