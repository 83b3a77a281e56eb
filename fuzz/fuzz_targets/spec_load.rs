//! Any bytes as a module file: the loader answers Ok or errors, and what loads renders; nothing panics.
#![no_main]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use shop_api_codegen::{emit, ir};

const PLATFORM: &str = "name: fixture\ndisplay_name: F\ndoc: F.\nbase_url: https://f.invalid\nversion: \"1\"\ndoc_root: https://f.invalid\nrouting: path\n";

fn root() -> &'static PathBuf {
    static ROOT: OnceLock<PathBuf> = OnceLock::new();
    ROOT.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("shop-api-fuzz-spec-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("spec/fixture")).unwrap();
        std::fs::write(dir.join("spec/fixture/platform.yaml"), PLATFORM).unwrap();
        dir
    })
}

fuzz_target!(|data: &[u8]| {
    let root = root();
    std::fs::write(root.join("spec/fixture/shop.yaml"), data).unwrap();
    if let Ok(api) = ir::load(root) {
        let _ = emit::render(
            &api,
            Path::new("out"),
            &emit::Options {
                feature_gates: false,
            },
        );
    }
});
