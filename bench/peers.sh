#!/usr/bin/env bash
# Our signed-request building against the Python SDKs users come from (PyPI `doudian` 0.6 and
# `tiktok-shop-api` 0.1.0, installed into a throwaway venv), on the same requests. Prints the
# nanoseconds per request and our speed-up ratio, over PAIRS (default 5) paired rounds.
set -euo pipefail
cd "$(dirname "$0")/.."
venv="$(mktemp -d)/venv"
trap 'rm -rf "$(dirname "$venv")"' EXIT
python3 -m venv "$venv"
"$venv/bin/pip" install -q 'doudian==0.6' 'tiktok-shop-api==0.1.0' >/dev/null
cargo build -q --release -p shop-api-benches --bin sign_ns
# Paired rounds: each runs both sides back to back, so a slow spell of a shared machine lands on
# one pair instead of one side; the figures are the medians over the pairs, the ratio the median
# of the pairs' ratios.
pairs="${PAIRS:-5}"
rows=""
for _ in $(seq "$pairs"); do
  ours="$(target/release/sign_ns)"
  theirs="$("$venv/bin/python" bench/peers.py)"
  for p in doudian tiktok; do
    a=$(awk -v p="$p" '$1==p {print $2}' <<<"$ours")
    b=$(awk -v p="$p" '$1==p {print $2}' <<<"$theirs")
    rows+="$p $a $b $(awk -v a="$a" -v b="$b" 'BEGIN {print b/a}')"$'\n'
  done
done
median() { sort -g | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
printf '%-8s %14s %14s %9s   (medians of %s paired rounds; ratios min-max)\n' platform "shop-api (ns)" "python (ns)" ratio "$pairs"
for p in doudian tiktok; do
  col() { awk -v p="$p" -v c="$1" '$1==p {print $c}' <<<"$rows"; }
  lo=$(col 4 | sort -g | head -1)
  hi=$(col 4 | sort -g | tail -1)
  printf '%-8s %14s %14s %8.1fx   (%.1fx-%.1fx)\n' "$p" "$(col 2 | median)" "$(col 3 | median)" "$(col 4 | median)" "$lo" "$hi"
done
