#!/usr/bin/env bash
# Compile cost of the emitted code per endpoint, side by side with a peer measured in the same run:
# progenitor's committed `nexus_positional.rs` output (193 operations) built with its own
# progenitor-client, next to `shop-api` with every feature.
#
#   bash bench/compile_vs_progenitor.sh PROGENITOR_GIT_DIR [RUNS]
#
# PROGENITOR_GIT_DIR is a clone of oxidecomputer/progenitor (a bare one will do); the script reads
# the files of the pinned commit below from it with `git show`, so the clone may be at any commit.
# Nothing of progenitor is committed here. RUNS (default 3) is the number of timed builds of each
# crate; the median is printed. PROFILES (default "dev release") are the cargo profiles measured,
# each in a table of its own.
#
# Each timed build is `touch` + `cargo build` of the crate alone, dev profile, its dependencies
# already built: what a user pays each time the crate itself recompiles (and what docs.rs and CI
# pay once). Peak memory is the maximum resident set of the build (rustc of the crate), from
# GNU time. Also printed: emitted lines per endpoint (rustfmt'd code, comments included).
set -euo pipefail
# Whole-crate rebuilds, as CI and docs.rs do them (an incremental cache would reuse the untouched crate).
export CARGO_INCREMENTAL=0
cd "$(dirname "$0")/.."
PIN=73922cf62eadc53bb125470707ccec3dedfa01ff
src="${1:?usage: bench/compile_vs_progenitor.sh PROGENITOR_GIT_DIR [RUNS]}"
runs="${2:-3}"
root="$(pwd)"
work="$root/target/bench-progenitor"
command -v /usr/bin/time >/dev/null || { echo "needs GNU time (Debian package: time)" >&2; exit 2; }

# --- the peer: progenitor's nexus output and its client crate, at the pinned commit
rm -rf "$work/src-progenitor"
mkdir -p "$work/src-progenitor/progenitor-client/src" "$work/src-progenitor/nexus/src"
show() { git --git-dir="$src" show "$PIN:$1" 2>/dev/null || git -C "$src" show "$PIN:$1"; }
for f in src/lib.rs src/progenitor_client.rs; do
  show "progenitor-client/$f" >"$work/src-progenitor/progenitor-client/$f"
done
show progenitor-impl/tests/output/src/nexus_positional.rs >"$work/src-progenitor/nexus/src/lib.rs"
# The versions progenitor's workspace pins at that commit, stated plainly (the workspace itself is
# not copied: it would build progenitor's generator too).
cat >"$work/src-progenitor/Cargo.toml" <<'EOF'
[workspace]
members = ["progenitor-client", "nexus"]
resolver = "2"
[profile.dev]
debug = "line-tables-only"
[profile.dev.package."*"]
debug = false
EOF
cat >"$work/src-progenitor/progenitor-client/Cargo.toml" <<'EOF'
[package]
name = "progenitor-client"
version = "0.14.0"
edition = "2021"
[dependencies]
bytes = "1"
futures-core = "0.3"
percent-encoding = "2"
reqwest = { version = "0.13", default-features = false, features = ["json", "query", "stream"] }
serde = { version = "1", features = ["derive"] }
serde_json = "1"
serde_urlencoded = "0.7"
EOF
cat >"$work/src-progenitor/nexus/Cargo.toml" <<'EOF'
[package]
name = "nexus"
version = "0.1.0"
edition = "2024"
[dependencies]
progenitor-client = { path = "../progenitor-client" }
chrono = { version = "0.4", default-features = false, features = ["serde"] }
futures = "0.3"
base64 = "0.22"
rand = "0.8"
regress = "0.11"
reqwest = { version = "0.13", default-features = false, features = ["json", "query", "stream"] }
serde = { version = "1", features = ["derive"] }
serde_json = "1"
uuid = { version = "1", features = ["serde", "v4"] }
[lints.rust]
unused_imports = "allow"
unused_variables = "allow"
EOF

# --- one timed build: prints "seconds peak_kib"
timed() { # dir package file-to-touch target-dir features...
  local dir="$1" pkg="$2" file="$3" target="$4"
  shift 4
  touch "$file"
  ( cd "$dir" && CARGO_TARGET_DIR="$target" /usr/bin/time -f "%e %M" -o "$work/time.txt" \
      cargo build -q -p "$pkg" "$@" )
  cat "$work/time.txt"
}
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
measure() { # label dir package file target features... -> "secs peak_kib"
  local label="$1"
  shift
  local dir="$1" pkg="$2" file="$3" target="$4"
  shift 4
  echo "  building $label (dependencies)" >&2
  ( cd "$dir" && CARGO_TARGET_DIR="$target" cargo build -q -p "$pkg" "$@" ) >"$work/deps.log" 2>&1 ||
    { tail -20 "$work/deps.log" >&2; exit 1; }
  local secs=() mems=()
  for _ in $(seq "$runs"); do
    read -r s m < <(timed "$dir" "$pkg" "$file" "$target" "$@")
    secs+=("$s")
    mems+=("$m")
  done
  echo "$(printf '%s\n' "${secs[@]}" | median) $(printf '%s\n' "${mems[@]}" | median)"
}

ours_target="$root/target/bench-compile-ours"
ours_n=$(grep -rho '::shop_api::endpoint!(' generated/src | wc -l)
ours_lines=$(find generated/src -name '*.rs' -print0 | xargs -0 grep -l '^// @generated' | xargs cat | wc -l)
peer_n=$(grep -c "^    pub async fn " "$work/src-progenitor/nexus/src/lib.rs" || true)
peer_lines=$(wc -l <"$work/src-progenitor/nexus/src/lib.rs")
one_n=$(cat generated/src/doudian/api/{order,token}.rs | grep -c '::shop_api::endpoint!(')
one_lines=$(cat generated/src/doudian/api/{order,token,mod}.rs | wc -l)

row() { # name n lines secs kib
  awk -v name="$1" -v n="$2" -v l="$3" -v s="$4" -v k="$5" 'BEGIN {
    printf "| %-44s | %9d | %13d | %9.1f | %10.1f | %8.1f | %9.2f |\n",
      name, n, l, l / n, s, 1000 * s / n, k / 1048576 }'
}

# --- each profile: the three builds, then their table
for profile in ${PROFILES:-dev release}; do
  flag=()
  [ "$profile" = release ] && flag=(--release)
  read -r ours_s ours_k < <(measure "shop-api ($profile)" "$root" shop-api "$root/generated/src/lib.rs" "$ours_target" "${flag[@]}")
  read -r one_s one_k < <(measure "shop-api doudian-order ($profile)" "$root" shop-api "$root/generated/src/lib.rs" \
    "$ours_target" --no-default-features --features doudian-order "${flag[@]}")
  read -r peer_s peer_k < <(measure "nexus ($profile)" "$work/src-progenitor" nexus \
    "$work/src-progenitor/nexus/src/lib.rs" "$work/target" "${flag[@]}")
  echo
  echo "$profile profile, crate alone (touch + cargo build, dependencies built), median of $runs; $(nproc) cores"
  echo
  echo "| crate | endpoints | emitted lines | lines/ep | wall (s) | ms/ep | peak (GiB) |"
  echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
  row "shop-api (full)" "$ours_n" "$ours_lines" "$ours_s" "$ours_k"
  row "shop-api (doudian-order only)" "$one_n" "$one_lines" "$one_s" "$one_k"
  row "progenitor nexus_positional @${PIN:0:7}" "$peer_n" "$peer_lines" "$peer_s" "$peer_k"
  awk -v p="$profile" -v a="$ours_s" -v an="$ours_n" -v b="$peer_s" -v bn="$peer_n" -v ak="$ours_k" -v bk="$peer_k" 'BEGIN {
    printf "\n%s, per endpoint, shop-api / progenitor: %.2fx time; peak memory %.2fx (whole crates: %.2fx)\n", p, (a / an) / (b / bn), (ak / an) / (bk / bn), ak / bk }'
  awk -v a="$one_s" -v b="$ours_s" 'BEGIN { printf "doudian-order alone / full: %.0f%% of the time\n", 100 * a / b }'
done
