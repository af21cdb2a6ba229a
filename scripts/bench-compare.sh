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
  git -C "$root" worktree prune
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
log=$(mktemp)
for i in $(seq 1 "$rounds"); do
  echo "## round $i: base" | tee -a "$log"; "$base_bin" --bench | tee -a "$log"
  echo "## round $i: head" | tee -a "$log"; "$head_bin" --bench | tee -a "$log"
done
# The median rate of each row per side, and head/base.
python3 - "$log" <<'PY'
import re, statistics, sys
rates, side, order = {}, None, []
for line in open(sys.argv[1]):
    m = re.match(r"## round \d+: (\w+)", line)
    if m:
        side = m.group(1)
        continue
    cells = [c.strip() for c in line.strip().strip("|").split("|")]
    if len(cells) == 4 and cells[3].endswith("/s") and cells[0] != "operation":
        if cells[0] not in order:
            order.append(cells[0])
        rates.setdefault((cells[0], side), []).append(float(cells[3].split()[0]))
print()
print(f"| {'operation (median of rounds)':<52} | {'base /s':>10} | {'head /s':>10} | {'head/base':>9} |")
print(f"|{'-'*54}|{'-'*12}|{'-'*12}|{'-'*11}|")
for op in order:
    b = statistics.median(rates.get((op, "base"), [float("nan")]))
    h = statistics.median(rates.get((op, "head"), [float("nan")]))
    print(f"| {op:<52} | {b:>10.0f} | {h:>10.0f} | {h / b:>9.2f} |")
PY
rm -f "$log"
