#!/usr/bin/env bash
# Runs the reference-engine benchmarks on tools/bench/envelope.vm + request.json:
# Apache Velocity 1.7 (Java) and velocityjs (Node). Installs what is missing
# (Debian's velocity package via tools/velocity-java/build.sh; `npm ci` in
# tools/bench/velocityjs), checks that both engines produce the same JSON, and
# prints one JSON line per engine on stdout. Takes about 20-25 s.
#
#   bash tools/bench/run-reference-benches.sh
#
# Environment: JAVA_ITERATIONS (default 400000), JS_ITERATIONS (default 100000),
# WARMUP_SECONDS (default 3), OUT_DIR (where the rendered outputs are kept;
# default target/bench).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
JAVA_ITERATIONS="${JAVA_ITERATIONS:-400000}"
JS_ITERATIONS="${JS_ITERATIONS:-100000}"
WARMUP_SECONDS="${WARMUP_SECONDS:-3}"
OUT_DIR="${OUT_DIR:-$ROOT/target/bench}"
mkdir -p "$OUT_DIR"

log() { echo "run-reference-benches: $*" >&2; }

# --- Java / Velocity 1.7
CP="$(bash "$ROOT/tools/velocity-java/build.sh" | tail -n 1)"

# --- Node / velocityjs
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    log "installing nodejs and npm (apt-get)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq --no-install-recommends nodejs npm >&2
fi
VJS="$HERE/velocityjs"
if [ ! -f "$VJS/node_modules/velocityjs/package.json" ] \
   || [ "$VJS/package-lock.json" -nt "$VJS/node_modules/.package-lock.json" ]; then
    log "npm ci in tools/bench/velocityjs"
    (cd "$VJS" && npm ci --no-audit --no-fund --loglevel=error >&2)
fi

log "velocity-1.7: ${WARMUP_SECONDS}s warm-up + $JAVA_ITERATIONS renders"
java -cp "$CP" VelocityBench "$HERE/envelope.vm" "$JAVA_ITERATIONS" "$HERE/request.json" "$WARMUP_SECONDS" \
    2>"$OUT_DIR/velocity-1.7.out" >"$OUT_DIR/velocity-1.7.json" \
    || { cat "$OUT_DIR/velocity-1.7.out" >&2; exit 1; }

log "velocityjs: ${WARMUP_SECONDS}s warm-up + $JS_ITERATIONS renders"
(cd "$VJS" && node bench.js "$JS_ITERATIONS" --warmup "$WARMUP_SECONDS" \
    --compare "$OUT_DIR/velocity-1.7.out") >"$OUT_DIR/velocityjs.json"

log "rendered output: $OUT_DIR/velocity-1.7.out"
cat "$OUT_DIR/velocity-1.7.json" "$OUT_DIR/velocityjs.json"
