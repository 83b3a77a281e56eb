//! Canonical JSON: keys sorted at every depth (objects inside arrays too), compact, UTF-8 kept
//! as is (no `\u` escapes), `<`, `>` and `&` not escaped. Doudian signs `param_json` in this form.

use serde_json::Value;

/// Write `value` canonically.
pub fn canonical(value: &Value) -> String {
    let mut out = String::with_capacity(128);
    write(value, &mut out);
    out
}

/// Serialize `value` and write it canonically (`null` members left out, see [`to_body`]).
pub fn to_canonical<T: serde::Serialize + ?Sized>(value: &T) -> serde_json::Result<String> {
    Ok(canonical(&to_body(value)?))
}

/// Serialize a request as the platforms expect its body: object members whose value is `null`
/// (an unset `Option`) are left out, at every depth. Generated types carry no
/// `skip_serializing_if` of their own; this is the one place that says so.
pub fn to_body<T: serde::Serialize + ?Sized>(value: &T) -> serde_json::Result<Value> {
    let mut v = serde_json::to_value(value)?;
    drop_nulls(&mut v);
    Ok(v)
}

/// Whether `value` serializes as `None` (an unset `Option`): generated structs leave such
/// fields out, as `skip_serializing_if = "Option::is_none"` would, without an attribute per field.
/// It asks the value to serialize itself into a serializer that stops at the first call, so a
/// `Some` is never serialized twice.
pub fn is_none<T: serde::Serialize + ?Sized>(value: &T) -> bool {
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

impl serde::Serializer for IsNone {
    type Ok = bool;
    type Error = serde::de::value::Error;
    type SerializeSeq = serde::ser::Impossible<bool, Self::Error>;
    type SerializeTuple = serde::ser::Impossible<bool, Self::Error>;
    type SerializeTupleStruct = serde::ser::Impossible<bool, Self::Error>;
    type SerializeTupleVariant = serde::ser::Impossible<bool, Self::Error>;
    type SerializeMap = serde::ser::Impossible<bool, Self::Error>;
    type SerializeStruct = serde::ser::Impossible<bool, Self::Error>;
    type SerializeStructVariant = serde::ser::Impossible<bool, Self::Error>;

    fn serialize_none(self) -> Result<bool, Self::Error> {
        Ok(true)
    }
    fn serialize_some<T: serde::Serialize + ?Sized>(self, _: &T) -> Result<bool, Self::Error> {
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
    fn serialize_newtype_struct<T: serde::Serialize + ?Sized>(
        self,
        _: &'static str,
        _: &T,
    ) -> Result<bool, Self::Error> {
        Ok(false)
    }
    fn serialize_newtype_variant<T: serde::Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<bool, Self::Error> {
        Ok(false)
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, Self::Error> {
        Err(serde::ser::Error::custom("not none"))
    }
    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, Self::Error> {
        Err(serde::ser::Error::custom("not none"))
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct, Self::Error> {
        Err(serde::ser::Error::custom("not none"))
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, Self::Error> {
        Err(serde::ser::Error::custom("not none"))
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, Self::Error> {
        Err(serde::ser::Error::custom("not none"))
    }
    fn serialize_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStruct, Self::Error> {
        Err(serde::ser::Error::custom("not none"))
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, Self::Error> {
        Err(serde::ser::Error::custom("not none"))
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
}
