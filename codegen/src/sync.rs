//! Bring `generated/` in line with the specs: every file goes through one
//! [`ensure_file_contents`]; files no spec produces any more are removed.
//!
//! Generation is atomic: everything is rendered in memory first, and nothing is written while
//! any spec has an error. Each file is written to a temporary file and renamed into place.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use crate::apidiff::{self, ApiSnapshot};
use crate::emit::{self, Files};
use crate::error::SpecErrors;

/// What a run changed, or (with `check`) would change.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Report {
    /// Whether this was a check.
    pub check: bool,
    /// Files written (or stale).
    pub changed: Vec<PathBuf>,
    /// Files created (or missing).
    pub created: Vec<PathBuf>,
    /// Files removed (or extra).
    pub removed: Vec<PathBuf>,
    /// Files that were already right.
    pub unchanged: usize,
    /// What changed in the public API since the committed snapshots (`api/`), as text; empty in
    /// a check.
    pub api: String,
}

impl Report {
    /// Whether nothing differed.
    pub fn is_clean(&self) -> bool {
        self.changed.is_empty() && self.created.is_empty() && self.removed.is_empty()
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (c, n, r) = if self.check {
            ("stale", "missing", "extra")
        } else {
            ("updated", "created", "removed")
        };
        for p in &self.changed {
            writeln!(f, "{c}: {}", p.display())?;
        }
        for p in &self.created {
            writeln!(f, "{n}: {}", p.display())?;
        }
        for p in &self.removed {
            writeln!(f, "{r}: {}", p.display())?;
        }
        if self.check && !self.is_clean() {
            writeln!(
                f,
                "generated/ is out of date: run `cargo xtask gen` and commit the result."
            )?;
        } else {
            let total = self.unchanged + self.changed.len() + self.created.len();
            writeln!(f, "{total} generated files, {} up to date.", self.unchanged)?;
        }
        f.write_str(&self.api)?;
        Ok(())
    }
}

/// Files that live among generated ones but are written by hand: never removed.
const HAND_WRITTEN: &[&str] = &["api/allow.txt"];

/// The directories whose every file is generated (one `api/` per platform).
fn generated_dirs(root: &Path) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = [emit::GENERATED_DIR, emit::FIXTURE_OUT_DIR]
        .iter()
        .filter_map(|base| std::fs::read_dir(root.join(base)).ok())
        .flat_map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| e.path().join("api"))
                .filter(|p| p.is_dir())
        })
        .collect();
    dirs.push(root.join(emit::GENERATED_DIR).join(crate::meta::META_DIR));
    dirs.push(root.join(crate::openapi::OUT_DIR));
    dirs.push(root.join(crate::API_DIR));
    dirs.sort();
    dirs
}

/// Render from the specs under `root/spec` and write (or, with `check`, compare) `generated/`.
pub fn run(root: &Path, check: bool) -> Result<Report, SpecErrors> {
    let files = crate::generate(root)?;
    let before = read_snapshots(&root.join(crate::API_DIR));
    let after: BTreeMap<String, ApiSnapshot> = files
        .iter()
        .filter(|(rel, _)| rel.starts_with(crate::API_DIR))
        .filter_map(|(_, text)| apidiff::from_file(text).ok())
        .map(|s| (s.platform.clone(), s))
        .collect();
    let changes = apidiff::diff_all(&before, &after);
    // Nothing is removed that users were not warned of (a deprecation first), unless
    // api/allow.txt gives the reason; then nothing is written.
    let allows = apidiff::read_allow(&root.join(crate::API_DIR).join("allow.txt"));
    let refused = apidiff::unannounced_removals(&changes, &before, &allows);
    if !refused.is_empty() {
        return Err(SpecErrors(
            refused
                .iter()
                .map(|c| {
                    let module = before[&c.platform].endpoints[&c.endpoint].module.clone();
                    let what = if c.path.is_empty() {
                        String::new()
                    } else {
                        format!(" {} {} ({})", c.place, c.path, c.detail)
                    };
                    crate::error::SpecError {
                        file: Path::new("spec").join(&c.platform).join(format!("{module}.yaml")),
                        line: None,
                        column: None,
                        field: format!("endpoints.{}", c.endpoint),
                        message: format!(
                            "{} {}{what} is removed, but was never deprecated: users get no warning first",
                            c.platform, c.endpoint
                        ),
                        hint: Some(format!(
                            "deprecate it first (`deprecated:` with `replaced_by:`), or allow the removal with a reason in api/allow.txt: `{}: <reason>`",
                            apidiff::allow_key(c)
                        )),
                    }
                })
                .collect(),
        ));
    }
    let mut report = apply(root, &files, &generated_dirs(root), check);
    if !check {
        report.api = apidiff::render_text(&changes, "the last snapshot (api/)");
    }
    Ok(report)
}

/// The API snapshots in `dir` (`<platform>.json`), by platform; unreadable files are left out.
pub fn read_snapshots(dir: &Path) -> BTreeMap<String, ApiSnapshot> {
    walk(dir)
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .filter_map(|p| std::fs::read_to_string(p).ok())
        .filter_map(|text| apidiff::from_file(&text).ok())
        .map(|s| (s.platform.clone(), s))
        .collect()
}

/// Write (or compare) `files` under `root`; remove (or report) files in `owned_dirs` that are not in `files`.
pub fn apply(root: &Path, files: &Files, owned_dirs: &[PathBuf], check: bool) -> Report {
    let mut report = Report {
        check,
        ..Report::default()
    };
    for (rel, text) in files {
        match ensure_file_contents(&root.join(rel), text, check) {
            Ok(Outcome::Unchanged) => report.unchanged += 1,
            Ok(Outcome::Changed) => report.changed.push(rel.clone()),
            Ok(Outcome::Created) => report.created.push(rel.clone()),
            Err(e) => {
                eprintln!("error: cannot write {}: {e}", rel.display());
                report.changed.push(rel.clone());
            }
        }
    }
    for dir in owned_dirs {
        let mut stale: Vec<PathBuf> = walk(dir)
            .into_iter()
            .filter_map(|p| p.strip_prefix(root).ok().map(Path::to_path_buf))
            .filter(|rel| {
                !files.contains_key(rel) && !HAND_WRITTEN.iter().any(|h| rel == Path::new(h))
            })
            .collect();
        stale.sort();
        for rel in stale {
            if !check {
                let _ = std::fs::remove_file(root.join(&rel));
            }
            report.removed.push(rel);
        }
    }
    report
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.filter_map(|e| e.ok()) {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p))
            } else {
                out.push(p)
            }
        }
    }
    out
}

/// What [`ensure_file_contents`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The file already held `contents`.
    Unchanged,
    /// The file held something else.
    Changed,
    /// The file did not exist.
    Created,
}

/// Make `path` hold `contents` (unless `check`), via a temporary file and a rename.
pub fn ensure_file_contents(path: &Path, contents: &str, check: bool) -> std::io::Result<Outcome> {
    let outcome = match std::fs::read(path) {
        Ok(old) if old == contents.as_bytes() => return Ok(Outcome::Unchanged),
        Ok(_) => Outcome::Changed,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Outcome::Created,
        Err(e) => return Err(e),
    };
    if !check {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let tmp = path.with_extension(format!(
            "{}.tmp{}",
            path.extension().and_then(|e| e.to_str()).unwrap_or(""),
            std::process::id()
        ));
        std::fs::write(&tmp, contents)?;
        if let Err(e) = std::fs::rename(&tmp, path) {
            let _ = std::fs::remove_file(&tmp);
            return Err(e);
        }
    }
    Ok(outcome)
}
