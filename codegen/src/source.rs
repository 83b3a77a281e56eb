//! Reading spec files: UTF-8 text, YAML parsed with its errors located (file, line, column) and
//! explained, so one broken file is reported without hiding the others.

use std::path::{Path, PathBuf};

use crate::error::SpecError;

pub(crate) fn rel(root: &Path, p: &Path) -> PathBuf {
    p.strip_prefix(root).unwrap_or(p).to_path_buf()
}

/// Read a file as UTF-8 text, or say where it is not.
pub(crate) fn read_text(root: &Path, path: &Path, errors: &mut Vec<SpecError>) -> Option<String> {
    let file = rel(root, path);
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) => {
            errors.push(SpecError {
                file,
                line: None,
                column: None,
                field: String::new(),
                message: format!("cannot read: {e}"),
                hint: None,
            });
            return None;
        }
    };
    match String::from_utf8(bytes) {
        Ok(s) => Some(s),
        Err(e) => {
            let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
            let line = valid.iter().filter(|b| **b == b'\n').count() + 1;
            let column = valid.iter().rev().take_while(|b| **b != b'\n').count() + 1;
            errors.push(SpecError {
                file,
                line: Some(line),
                column: Some(column),
                field: String::new(),
                message: "the file is not UTF-8".into(),
                hint: Some("save the file as UTF-8 (Chinese text is fine in UTF-8)".into()),
            });
            None
        }
    }
}

pub(crate) fn parse_yaml<T: serde::de::DeserializeOwned>(
    root: &Path,
    path: &Path,
    text: &str,
    errors: &mut Vec<SpecError>,
) -> Option<T> {
    let file = rel(root, path);
    if text.trim().is_empty() {
        errors.push(SpecError {
            file,
            line: Some(1),
            column: Some(1),
            field: String::new(),
            message: "the file is empty".into(),
            hint: Some(
                "a module file needs at least `doc:` and `endpoints:`; see spec/README.md".into(),
            ),
        });
        return None;
    }
    match serde_yaml::from_str::<T>(text) {
        Ok(v) => Some(v),
        Err(e) => {
            let (line, column) = e
                .location()
                .map(|l| (Some(l.line()), Some(l.column())))
                .unwrap_or((None, None));
            let mut message = e.to_string();
            // serde_yaml appends " at line L column C"; the location is already in front.
            if let Some(i) = message.find(" at line ") {
                message.truncate(i);
            }
            let (field, message) = match message.split_once(": ") {
                Some((path, rest)) if !path.contains(' ') => (path.to_owned(), rest.to_owned()),
                _ => (String::new(), message),
            };
            let hint = yaml_hint(&message);
            // serde_yaml places a duplicate key at its mapping; point at the second occurrence.
            let (line, column, field) = match duplicate_key_position(text, &message) {
                Some((l, c, key)) => (
                    Some(l),
                    Some(c),
                    if field.is_empty() {
                        key
                    } else {
                        format!("{field}.{key}")
                    },
                ),
                None => (line, column, field),
            };
            errors.push(SpecError {
                file,
                line,
                column,
                field,
                message,
                hint,
            });
            None
        }
    }
}

/// The (line, column, key) of the second occurrence of a key named in a "duplicate key" message.
fn duplicate_key_position(text: &str, message: &str) -> Option<(usize, usize, String)> {
    let key = message
        .strip_prefix("duplicate key `")?
        .split('`')
        .next()?
        .to_owned();
    let spellings = [
        format!("{key}:"),
        format!("\"{key}\":"),
        format!("'{key}':"),
    ];
    let mut seen: Option<usize> = None;
    for (i, line) in text.lines().enumerate() {
        let indent = line.len() - line.trim_start().len();
        if spellings
            .iter()
            .any(|s| line.trim_start().starts_with(s.as_str()))
        {
            match seen {
                Some(first) if first == indent => return Some((i + 1, indent + 1, key)),
                None => seen = Some(indent),
                _ => {}
            }
        }
    }
    None
}

fn yaml_hint(message: &str) -> Option<String> {
    if message.starts_with("duplicate key") {
        Some("each name may appear once in its section: remove or rename one".into())
    } else if message.contains("missing field `doc`") {
        Some("add a one-line `doc:`".into())
    } else if message.contains("unknown field `")
        && message.contains("expected one of `type`, `doc`, `required`, `wire`")
    {
        Some("a `,` inside `{...}` ends the value: put the doc in quotes, `doc: \"Region, e.g. GB\"`".into())
    } else if message.contains("unknown field") {
        Some("see spec/README.md for the keys each section takes".into())
    } else if message.contains("mapping values are not allowed")
        || message.contains("did not find expected")
    {
        Some(
            "check the indentation: nested keys are indented by two more spaces than their parent"
                .into(),
        )
    } else if message.contains("unknown variant") {
        Some("use one of the values listed".into())
    } else {
        None
    }
}
