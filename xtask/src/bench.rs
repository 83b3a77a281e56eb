//! `cargo xtask bench-gen`: how generation time grows with the number of endpoints.
//!
//! Times loading, validating and rendering (in memory, nothing written) the real specs, and
//! synthetic spec trees made by copying every module 10 and 100 times under new names.

use std::path::Path;
use std::time::Instant;

use shop_api_codegen::emit::{self, Options};
use shop_api_codegen::ir;

/// Copy `spec/` into `dest/spec`, each module `copies` times (`order.yaml` -> `order_c3.yaml`,
/// endpoint `order.searchList` -> `orderC3.searchList`), so names stay distinct.
fn synthesize(root: &Path, dest: &Path, copies: usize) -> std::io::Result<()> {
    for platform in std::fs::read_dir(root.join("spec"))? {
        let platform = platform?.path();
        if !platform.is_dir() {
            continue;
        }
        let out = dest.join("spec").join(platform.file_name().unwrap());
        std::fs::create_dir_all(&out)?;
        for file in std::fs::read_dir(&platform)? {
            let file = file?.path();
            let name = file.file_name().unwrap().to_string_lossy().into_owned();
            let text = std::fs::read_to_string(&file)?;
            if name == "platform.yaml" {
                // Core modules are copied under new names: keep the platform free of them.
                // Error rows that name endpoints name the first copy's.
                let text: String = text
                    .lines()
                    .filter(|l| !l.starts_with("core:"))
                    .map(|l| match l.split_once("endpoints: [") {
                        Some((indent, names)) if copies > 0 => {
                            let names: Vec<String> = names
                                .trim_end_matches(']')
                                .split(',')
                                .map(|n| format!("c0{}", n.trim()))
                                .collect();
                            format!("{indent}endpoints: [{}]\n", names.join(", "))
                        }
                        _ => format!("{l}\n"),
                    })
                    .collect();
                std::fs::write(out.join(&name), text)?;
                continue;
            }
            if name == "types.yaml" || !name.ends_with(".yaml") {
                // Shared types are shared by every copy: one file, as it is.
                std::fs::write(out.join(&name), text)?;
                continue;
            }
            let stem = name.trim_end_matches(".yaml");
            for c in 0..copies {
                let mut t = String::with_capacity(text.len());
                let mut in_endpoints = false;
                let mut in_types = false;
                for line in text.lines() {
                    if !line.is_empty() && !line.starts_with(" ") && !line.starts_with("#") {
                        in_endpoints = line.starts_with("endpoints:");
                        in_types = line.starts_with("types:");
                    }
                    // Each copy's structs get a field of their own: the generator refuses two
                    // modules that define a struct of one shape.
                    if in_types && line == "    fields:" {
                        t.push_str(line);
                        t.push_str(&format!(
                            "\n      synthetic_copy_{c}: {{type: i64, doc: Copy {c}.}}\n"
                        ));
                        continue;
                    }
                    // Endpoint keys sit at two spaces under `endpoints:`; prefix their first segment.
                    if in_endpoints
                        && line.starts_with("  ")
                        && !line.starts_with("   ")
                        && line.trim_end().ends_with(':')
                        && !line.trim_start().starts_with('#')
                    {
                        let key = line.trim().trim_end_matches(':');
                        t.push_str(&format!("  c{c}{key}:\n"));
                    } else if let Some(rest) = line.trim_start().strip_prefix("replaced_by: ") {
                        let indent = &line[..line.len() - line.trim_start().len()];
                        t.push_str(&format!("{indent}replaced_by: c{c}{rest}\n"));
                    } else {
                        t.push_str(line);
                        t.push('\n');
                    }
                }
                std::fs::write(out.join(format!("{stem}_c{c}.yaml")), t)?;
            }
        }
    }
    Ok(())
}

fn time_tree(root: &Path) -> Result<(usize, f64, f64), String> {
    let started = Instant::now();
    let api = ir::load(root).map_err(|e| e.to_string())?;
    let loaded = started.elapsed().as_secs_f64();
    let files = emit::render(
        &api,
        Path::new(emit::GENERATED_DIR),
        &Options {
            feature_gates: true,
        },
    );
    let total = started.elapsed().as_secs_f64();
    let endpoints = api
        .platforms
        .iter()
        .flat_map(|p| &p.modules)
        .map(|m| m.endpoints.len())
        .sum();
    std::hint::black_box(files);
    Ok((endpoints, loaded, total))
}

/// Print the table.
pub fn run(root: &Path) -> Result<(), String> {
    println!(
        "{:<10} {:>9} {:>10} {:>10} {:>14}",
        "specs", "endpoints", "load (s)", "total (s)", "ms / endpoint"
    );
    let mut base = None;
    for copies in [0usize, 10, 100] {
        let (label, result) = if copies == 0 {
            ("real", time_tree(root))
        } else {
            let dir = std::env::temp_dir().join(format!(
                "shop-api-bench-gen-{}-{copies}",
                std::process::id()
            ));
            let _ = std::fs::remove_dir_all(&dir);
            synthesize(root, &dir, copies).map_err(|e| e.to_string())?;
            let r = time_tree(&dir);
            let _ = std::fs::remove_dir_all(&dir);
            (if copies == 10 { "10x" } else { "100x" }, r)
        };
        let (n, load, total) = result?;
        let per = total * 1000.0 / n as f64;
        base.get_or_insert(per);
        println!("{label:<10} {n:>9} {load:>10.3} {total:>10.3} {per:>14.3}");
    }
    if let Some(b) = base {
        println!("linear growth means a flat ms / endpoint column (real: {b:.3}).");
    }
    api_diff(root)
}

/// The API diff `gen` prints and `api-diff` runs: two full spec trees (the real specs loaded
/// twice, one with every TikTok field's type changed so the diff has work to do), snapshotted
/// and compared; and the committed `api/` snapshots read and compared with today's.
fn api_diff(root: &Path) -> Result<(), String> {
    use shop_api_codegen::apidiff;
    let snaps = apidiff::snapshots;
    let old_api = ir::load(root).map_err(|e| e.to_string())?;
    let new_api = ir::load(root).map_err(|e| e.to_string())?;
    let endpoints: usize = new_api
        .platforms
        .iter()
        .flat_map(|p| &p.modules)
        .map(|m| m.endpoints.len())
        .sum();
    let started = Instant::now();
    let old = snaps(&old_api);
    let mut new = snaps(&new_api);
    let snapshotted = started.elapsed().as_secs_f64();
    if let Some(t) = new.get_mut("tiktok") {
        for e in t.endpoints.values_mut() {
            for f in e.response.values_mut() {
                f.ty.push('X');
            }
        }
    }
    let started = Instant::now();
    let changes = apidiff::diff_all(&old, &new);
    let diffed = started.elapsed().as_secs_f64();
    let started = Instant::now();
    let committed = shop_api_codegen::sync::read_snapshots(&root.join(shop_api_codegen::API_DIR));
    let read = started.elapsed().as_secs_f64();
    let started = Instant::now();
    let none = apidiff::diff_all(&committed, &old);
    let diffed_committed = started.elapsed().as_secs_f64();
    println!(
        "api diff of two full spec trees ({endpoints} endpoints): snapshots {snapshotted:.3} s, diff {diffed:.3} s ({} changes); committed api/ read {read:.3} s, diff {diffed_committed:.3} s ({} changes)",
        changes.len(),
        none.len()
    );
    Ok(())
}
