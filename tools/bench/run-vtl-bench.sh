#!/usr/bin/env bash
# Renders tools/bench/envelope.vm with tools/bench/request.json in three
# engines, in one run on this machine, and prints a Markdown table:
#   - Apache Velocity 1.7 on a warm JVM (tools/velocity-java/VelocityBench.java)
#   - velocityjs (tools/bench/velocityjs/bench.js)
#   - phalanx-vtl (criterion: crates/phalanx-vtl/benches/render.rs), whose
#     output is first checked byte for byte against Velocity 1.7's.
# Installs what is missing (Debian's velocity package, npm packages).
# Takes about a minute. Run it on an otherwise idle machine.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
OUT="$ROOT/target/bench"
mkdir -p "$OUT"

echo "==> reference engines (Velocity 1.7, velocityjs)" >&2
bash "$HERE/run-reference-benches.sh" > "$OUT/reference.jsonl"

echo "==> phalanx-vtl (criterion)" >&2
(cd "$ROOT" && cargo bench -p phalanx-vtl --bench render -- --warm-up-time 3 --measurement-time 10 envelope/ \
    2> "$OUT/phalanx-vtl.stderr" > "$OUT/phalanx-vtl.stdout") \
    || { cat "$OUT/phalanx-vtl.stderr" >&2; exit 1; }
grep -E "^output:|^allocations" "$OUT/phalanx-vtl.stderr" >&2 || true

python3 - "$OUT" "$ROOT/target/criterion" <<'PY'
import json, sys, pathlib
out, crit = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
ref = {}
for line in (out / "reference.jsonl").read_text().splitlines():
    d = json.loads(line)
    ref[d["engine"]] = d["ns_per_render"]
def crit_ns(name):
    est = json.loads((crit / ("envelope_" + name) / "new" / "estimates.json").read_text())
    return est["mean"]["point_estimate"]
ours = crit_ns("render")
print("| engine | µs per render | Phalanx is faster by |")
print("| --- | ---: | ---: |")
print(f"| phalanx-vtl (render of a compiled template) | {ours/1000:.2f} | — |")
for engine, ns in ref.items():
    print(f"| {engine} | {ns/1000:.2f} | {ns/ours:.1f}× |")
print()
print(f"phalanx-vtl parse: {crit_ns('parse')/1000:.2f} µs; parse + render: {crit_ns('parse+render')/1000:.2f} µs")
PY
