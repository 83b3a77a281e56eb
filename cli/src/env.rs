//! Credentials from the environment, or from a profile file for several shops.

use std::collections::BTreeMap;

use crate::args::Failure;

/// The `--help` text about credentials.
pub const HELP: &str = "\
Credentials come from the environment:
  TIKTOK_APP_KEY, TIKTOK_APP_SECRET, TIKTOK_ACCESS_TOKEN, TIKTOK_SHOP_CIPHER
  DOUDIAN_APP_KEY, DOUDIAN_APP_SECRET, DOUDIAN_ACCESS_TOKEN, DOUDIAN_SIGN_METHOD (md5 | hmac-sha256, default hmac-sha256)
  DOUYIN_CLIENT_KEY, DOUYIN_CLIENT_SECRET, DOUYIN_ACCESS_TOKEN
or, with --profile NAME, from the profile file ($SHOP_API_PROFILES, default shop-api/profiles.json in the
configuration folder: ~/.config on Linux, ~/Library/Application Support on macOS, %APPDATA% on Windows):
  {\"shop-a\": {\"DOUDIAN_APP_KEY\": \"...\", \"DOUDIAN_APP_SECRET\": \"...\", \"DOUDIAN_ACCESS_TOKEN\": \"...\"},
   \"shop-b\": {...}}
Variables set in the environment win over the profile's.

Exit codes: 0 success, 1 the call failed (platform error, network), 2 usage error (nothing was sent),
130 interrupted (Ctrl-C).";

/// The profile file when `SHOP_API_PROFILES` is not set: `shop-api/profiles.json` in the user's
/// configuration folder (`$XDG_CONFIG_HOME` or `~/.config` on Linux, `~/Library/Application
/// Support` on macOS, `%APPDATA%` on Windows).
pub fn default_profiles() -> Option<std::path::PathBuf> {
    dirs::config_dir().map(|d| d.join("shop-api").join("profiles.json"))
}

/// Where credentials are read.
pub struct Env {
    profile: BTreeMap<String, String>,
}

impl Env {
    /// Read the profile file when a profile is named.
    pub fn load(profile: Option<&str>) -> Result<Env, String> {
        let Some(name) = profile else {
            return Ok(Env {
                profile: BTreeMap::new(),
            });
        };
        let path = match std::env::var("SHOP_API_PROFILES") {
            Ok(p) if !p.is_empty() => p,
            _ => default_profiles()
                .ok_or("no configuration folder is known here: set SHOP_API_PROFILES")?
                .display()
                .to_string(),
        };
        let text = std::fs::read_to_string(&path)
            .map_err(|e| format!("cannot read the profile file {path}: {e}"))?;
        let mut all: BTreeMap<String, BTreeMap<String, String>> = serde_json::from_str(&text)
            .map_err(|e| format!("the profile file {path} is not valid: {e}"))?;
        let profile = all.remove(name).ok_or_else(|| {
            let names: Vec<&String> = all.keys().collect();
            format!("no profile `{name}` in {path} (profiles: {names:?})")
        })?;
        Ok(Env { profile })
    }

    /// A variable, from the environment or the profile.
    pub fn get(&self, key: &str) -> Option<String> {
        std::env::var(key)
            .ok()
            .filter(|v| !v.is_empty())
            .or_else(|| self.profile.get(key).cloned())
    }

    /// A variable that must be set.
    pub fn require(&self, key: &str) -> Result<String, Failure> {
        self.get(key)
            .ok_or_else(|| Failure::Usage(format!("{key} is not set (see `shop-api --help`)")))
    }
}
