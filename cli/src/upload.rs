//! `--file PART=@PATH`: the file parts of an upload (`multipart`) endpoint.

use std::path::Path;

use shop_api::runtime::http::Part;
use shop_api::runtime::{Endpoint, Flags};

use crate::args::Failure;

/// The file parts `specs` name, read from disk; refused on an endpoint that takes no upload.
pub fn parts(specs: &[String], ep: &Endpoint, all: &[&Endpoint]) -> Result<Vec<Part>, Failure> {
    if specs.is_empty() {
        return Ok(Vec::new());
    }
    if !ep.flags.contains(Flags::MULTIPART) {
        let uploads: Vec<&str> = all
            .iter()
            .filter(|e| e.flags.contains(Flags::MULTIPART))
            .map(|e| e.name)
            .collect();
        let hint = if uploads.is_empty() {
            format!("{} has no upload endpoint", ep.platform)
        } else {
            format!(
                "the upload endpoints of {}: {}",
                ep.platform,
                uploads.join(", ")
            )
        };
        return Err(Failure::Usage(format!(
            "{} takes a JSON body, not a file: --file is for upload (multipart) endpoints ({hint})",
            ep.name
        )));
    }
    specs.iter().map(|s| part(s)).collect()
}

/// One `PART=@PATH`.
fn part(spec: &str) -> Result<Part, Failure> {
    let Some((name, path)) = spec
        .split_once('=')
        .and_then(|(n, p)| Some((n.trim(), p.strip_prefix('@')?)))
        .filter(|(n, p)| !n.is_empty() && !p.is_empty())
    else {
        return Err(Failure::Usage(format!(
            "--file `{spec}` is not PART=@PATH (e.g. --file data=@photo.jpg)"
        )));
    };
    let path = Path::new(path);
    let data = std::fs::read(path).map_err(|e| {
        Failure::Usage(format!(
            "--file {name}: cannot read {}: {e}",
            path.display()
        ))
    })?;
    Ok(Part {
        name: name.to_owned(),
        file_name: path.file_name().map(|f| f.to_string_lossy().into_owned()),
        content_type: Some(content_type(path).to_owned()),
        data,
    })
}

/// The content type of a file, by its extension: the common image, video and document types,
/// else `application/octet-stream`.
pub fn content_type(path: &Path) -> &'static str {
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "jpg" | "jpeg" | "jpe" | "jfif" => "image/jpeg",
        "png" => "image/png",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "bmp" => "image/bmp",
        "tif" | "tiff" => "image/tiff",
        "heic" => "image/heic",
        "heif" => "image/heif",
        "avif" => "image/avif",
        "svg" => "image/svg+xml",
        "ico" => "image/x-icon",
        "mp4" | "m4v" => "video/mp4",
        "mov" => "video/quicktime",
        "webm" => "video/webm",
        "avi" => "video/x-msvideo",
        "mkv" => "video/x-matroska",
        "mpeg" | "mpg" => "video/mpeg",
        "3gp" => "video/3gpp",
        "flv" => "video/x-flv",
        "wmv" => "video/x-ms-wmv",
        "pdf" => "application/pdf",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_types_by_extension() {
        for (file, want) in [
            ("a.JPG", "image/jpeg"),
            ("dir.v2/a.png", "image/png"),
            ("clip.mp4", "video/mp4"),
            ("clip.MOV", "video/quicktime"),
            ("manual.pdf", "application/pdf"),
            ("archive.tar.gz", "application/octet-stream"),
            ("README", "application/octet-stream"),
        ] {
            assert_eq!(content_type(Path::new(file)), want, "{file}");
        }
    }

    #[test]
    fn a_file_spec_is_part_at_path() {
        for bad in ["data", "data=photo.jpg", "=@photo.jpg", "data=@"] {
            assert!(part(bad).is_err(), "{bad}");
        }
    }
}
