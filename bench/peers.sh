#!/usr/bin/env bash
# Our signed-request building against the Python SDKs users come from (PyPI `doudian` 0.6 and
# `tiktok-shop-api` 0.1.0, installed into a throwaway venv), on the same requests. Prints the
# nanoseconds per request and our speed-up ratio.
set -euo pipefail
cd "$(dirname "$0")/.."
venv="$(mktemp -d)/venv"
trap 'rm -rf "$(dirname "$venv")"' EXIT
python3 -m venv "$venv"
"$venv/bin/pip" install -q 'doudian==0.6' 'tiktok-shop-api==0.1.0' >/dev/null
ours="$(cargo run -q --release -p shop-api-benches --bin sign_ns)"
theirs="$("$venv/bin/python" bench/peers.py)"
printf '%-8s %14s %14s %9s\n' platform "shop-api (ns)" "python (ns)" ratio
for p in doudian tiktok; do
  a=$(awk -v p="$p" '$1==p {print $2}' <<<"$ours")
  b=$(awk -v p="$p" '$1==p {print $2}' <<<"$theirs")
  printf '%-8s %14s %14s %8.1fx\n' "$p" "$a" "$b" "$(awk -v a="$a" -v b="$b" 'BEGIN {print b/a}')"
done
