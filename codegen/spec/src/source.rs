//! Reading spec files: UTF-8 text, YAML parsed with its errors located (file, line, column) and
//! explained, so one broken file is reported without hiding the others.

use std::path::{Path, PathBuf};

use crate::error::SpecError;

pub(crate) fn rel(root: &Path, p: &Path) -> PathBuf {
    p.strip_prefix(root).unwrap_or(p).to_path_buf()
}

/// Where spec files are read from: the disk, or files compiled into a program (the sandbox keeps
/// the specs it was built from, so it runs without a checkout).
#[derive(Clone, Copy)]
pub enum Source<'a> {
    /// Files and folders on disk.
    Disk,
    /// `(path, text)` pairs, the path relative to the root (`spec/doudian/platform.yaml`).
    Embedded(&'a [(&'a str, &'a str)]),
}

impl Source<'_> {
    /// The folders directly under `dir`.
    pub(crate) fn folders(&self, dir: &Path) -> std::io::Result<Vec<PathBuf>> {
        match self {
            Source::Disk => Ok(std::fs::read_dir(dir)?
                .filter_map(|e| e.ok())
                .map(|e| e.path())
                .filter(|p| p.is_dir())
                .collect()),
            Source::Embedded(files) => {
                let mut out: Vec<PathBuf> = Vec::new();
                for (p, _) in *files {
                    if let Ok(tail) = Path::new(p).strip_prefix(dir) {
                        let mut parts = tail.components();
                        if let (Some(first), Some(_)) = (parts.next(), parts.next()) {
                            let folder = dir.join(first);
                            if !out.contains(&folder) {
                                out.push(folder);
                            }
                        }
                    }
                }
                if out.is_empty() {
                    return Err(std::io::Error::new(
                        std::io::ErrorKind::NotFound,
                        "no embedded spec files",
                    ));
                }
                Ok(out)
            }
        }
    }

    /// The files directly in `dir`.
    pub(crate) fn files(&self, dir: &Path) -> std::io::Result<Vec<PathBuf>> {
        match self {
            Source::Disk => Ok(std::fs::read_dir(dir)?
                .filter_map(|e| e.ok())
                .map(|e| e.path())
                .filter(|p| p.is_file())
                .collect()),
            Source::Embedded(files) => Ok(files
                .iter()
                .map(|(p, _)| Path::new(p))
                .filter(|p| p.parent() == Some(dir))
                .map(Path::to_path_buf)
                .collect()),
        }
    }

    fn read(&self, path: &Path) -> std::io::Result<Vec<u8>> {
        match self {
            Source::Disk => std::fs::read(path),
            Source::Embedded(files) => files
                .iter()
                .find(|(p, _)| Path::new(p) == path)
                .map(|(_, text)| text.as_bytes().to_vec())
                .ok_or_else(|| std::io::Error::from(std::io::ErrorKind::NotFound)),
        }
    }
}

/// Read a file as UTF-8 text, or say where it is not.
pub(crate) fn read_text(
    src: Source<'_>,
    root: &Path,
    path: &Path,
    errors: &mut Vec<SpecError>,
) -> Option<String> {
    let file = rel(root, path);
    let bytes = match src.read(path) {
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
