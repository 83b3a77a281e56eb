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
