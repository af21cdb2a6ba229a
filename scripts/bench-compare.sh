#!/usr/bin/env bash
# Runs devcluster's benchmark (benches/devcluster.rs, as it is in this checkout) against this
# checkout's devcluster and against BASE (a git revision), alternating ROUNDS times, and prints
# every run's table. The same bench source drives both libraries, so the rows compare like for
# like. Usage: scripts/bench-compare.sh BASE [ROUNDS]
set -euo pipefail
base=${1:?usage: scripts/bench-compare.sh BASE [ROUNDS]}
rounds=${2:-3}
root=$(git rev-parse --show-toplevel)
work=${BENCH_DIR:-$root/target/bench-compare}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$work/target}
mkdir -p "$work"
if [ ! -d "$work/base" ]; then
  git -C "$root" worktree add --detach "$work/base" "$base" >/dev/null
else
  git -C "$work/base" checkout --quiet --detach "$base"
fi
cp "$root/devcluster/benches/devcluster.rs" "$work/base/devcluster/benches/devcluster.rs"
bin() {
  (cd "$1" && cargo bench -p devcluster --bench devcluster --no-run --message-format=json 2>/dev/null) |
    python3 -c 'import json,sys
for l in sys.stdin:
    m=json.loads(l)
    if m.get("reason")=="compiler-artifact" and m.get("target",{}).get("name")=="devcluster" and m.get("executable") and "bench" in m["target"].get("kind",[]):
        print(m["executable"])' | tail -1
}
base_bin=$(bin "$work/base")
head_bin=$(bin "$root")
echo "base: $base ($(git -C "$work/base" rev-parse --short HEAD)) -> $base_bin"
echo "head: $(git -C "$root" rev-parse --short HEAD) -> $head_bin"
for i in $(seq 1 "$rounds"); do
  echo "## round $i: base"; "$base_bin" --bench
  echo "## round $i: head"; "$head_bin" --bench
done
