#!/usr/bin/env bash
# Measures, in one run, OpenSSL's RSA-4096 and AES-256-GCM speed and sealsync's per-value seal and
# unseal (the criterion bench `benches/crypto.rs`), then prints a table with the ratios against
# the targets of issue 2:
#   unseal <= 1.2 x OpenSSL's RSA-4096 private-key operation (`sign` in `openssl speed`)
#   seal   <= 1.5 x (OpenSSL's RSA-4096 public-key operation (`verify`) + AES-256-GCM for the size)
#
# Usage: core/benches/compare_openssl.sh          (OPENSSL_SECONDS=3 by default)
# Raw outputs are kept in benches/out/ (git-ignored). Takes a few minutes, most of it the release
# build on a cold target directory.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${OPENSSL_SECONDS:-3}"
out=benches/out
mkdir -p "$out"

echo "== host: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)" | tee "$out/host.txt"
echo "== $(openssl version)"
echo "== openssl speed -seconds $seconds rsa4096"
openssl speed -seconds "$seconds" rsa4096 >"$out/openssl-rsa4096.txt" 2>&1
tail -2 "$out/openssl-rsa4096.txt"
echo "== openssl speed -seconds $seconds -evp aes-256-gcm"
openssl speed -seconds "$seconds" -evp aes-256-gcm >"$out/openssl-aes256gcm.txt" 2>&1
tail -2 "$out/openssl-aes256gcm.txt"

echo "== cargo bench --bench crypto"
cargo bench -p sealsync-core --bench crypto 2>&1 | tee "$out/criterion.txt"

target_dir="$(cargo metadata --format-version 1 --no-deps |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$out/host.txt"

python3 - "$out" "$target_dir/criterion" <<'PY'
import json, re, sys
from pathlib import Path

out, criterion = Path(sys.argv[1]), Path(sys.argv[2])

# `rsa 4096 bits 0.005039s 0.000062s    198.4  16087.7`: seconds per sign and per verify.
rsa = (out / "openssl-rsa4096.txt").read_text()
m = re.search(r"^rsa 4096 bits\s+([\d.]+)s\s+([\d.]+)s", rsa, re.M)
if not m:
    sys.exit("could not read the rsa 4096 line of openssl speed")
private_op, public_op = float(m.group(1)), float(m.group(2))

# `AES-256-GCM  44349.51k ... 4055491.15k`: thousands of bytes per second per block size.
aes = (out / "openssl-aes256gcm.txt").read_text()
sizes = [int(s) for s in re.search(r"^type\s+(.*)$", aes, re.M).group(1).replace("bytes", "").split()]
rates = [float(r.rstrip("k")) * 1000 for r in re.search(r"^AES-256-GCM\s+(.*)$", aes, re.M).group(1).split()]
rate_of = dict(zip(sizes, rates))

def aes_cost(size):
    """Seconds for one AES-256-GCM call over `size` bytes: one call at the smallest measured block
    size that holds it, or the largest block size's throughput for bigger values."""
    fitting = [s for s in sizes if s >= size]
    if fitting:
        block = fitting[0]
        return block / rate_of[block]
    return size / rate_of[sizes[-1]]

def ours(op, size_name):
    """Seconds per value: criterion's slope estimate (the figure it prints), else its mean."""
    est = json.loads((criterion / "rsa4096" / op / size_name / "new" / "estimates.json").read_text())
    return (est.get("slope") or est["mean"])["point_estimate"] / 1e9

def fmt(s):
    return f"{s * 1e3:.3f} ms" if s >= 1e-3 else f"{s * 1e6:.1f} us"

rows = []
for size, size_name in [(32, "32B"), (64 * 1024, "64KiB")]:
    t = ours("unseal", size_name)
    rows.append((f"unseal {size_name}", t, f"RSA-4096 sign {fmt(private_op)}", private_op, 1.2))
for size, size_name in [(32, "32B"), (64 * 1024, "64KiB")]:
    t = ours("seal", size_name)
    ref = public_op + aes_cost(size)
    rows.append((f"seal {size_name}", t,
                 f"verify {fmt(public_op)} + AES {fmt(aes_cost(size))}", ref, 1.5))

print()
print(f"{'operation':<14} {'sealsync':>16}  {'openssl reference':<34} {'ratio':>6}  {'target':>7}  result")
missed = 0
for name, t, ref_text, ref, target in rows:
    ratio = t / ref
    ok = ratio <= target
    missed += not ok
    print(f"{name:<14} {fmt(t):>16}  {ref_text:<34} {ratio:>5.2f}x  <={target:.1f}x  {'meets' if ok else 'MISSES'}")
print()
print(f"{len(rows) - missed} of {len(rows)} targets met")
PY
