#!/usr/bin/env bash
# Throttling under load (docs/PERFORMANCE.md, "Gateway: usage-plan
# throttling under load"): `phalanx serve` of throttle_template.yaml (a MOCK
# method behind an API key whose usage plan allows RATE=100 requests a
# second, burst 20), loaded by wrk at 64 connections for DURATION seconds;
# the accepted rate (200s a second) is compared with the configured rate,
# and the server's CPU a request (utime + stime from /proc/PID/stat) with
# the same MOCK method without a key or plan.
#
# Needs wrk (Debian: apt-get install wrk). Builds the release binary; the workspace's fat LTO takes long, so
# LTO=false (the default here) builds without it: the figures then say so.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
DURATION="${DURATION:-10}"
ROUNDS="${ROUNDS:-3}"
RATE=100
BURST=20
PORT="${PORT:-3310}"
if [ "${LTO:-false}" = false ]; then
  export CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16
fi
[ "${SKIP_BUILD:-}" = 1 ] || cargo build --release --quiet -p phalanx-cli
BIN=target/release/phalanx
"$BIN" serve --template tools/bench/throttle_template.yaml --port "$PORT" >/dev/null 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
until curl -sf -o /dev/null "http://127.0.0.1:$PORT/dev/open"; do sleep 0.1; done
TICKS=$(getconf CLK_TCK)
cpu_ticks() { awk '{print $14 + $15}' /proc/"$SERVER"/stat; }

# "requests non2xx" of one wrk run against PATH with extra wrk args.
run() {
  local path=$1; shift
  wrk -t2 -c64 -d"${DURATION}s" "$@" "http://127.0.0.1:$PORT$path" |
    awk '/requests in/ {n=$1} /Non-2xx/ {e=$5} END {printf "%d %d\n", n, e}'
}

echo "| round | path | requests | 200 | 429 | accepted/s | configured | error | CPU µs/request |"
echo "|---|---|---|---|---|---|---|---|---|"
for r in $(seq "$ROUNDS"); do
  # A full bucket at the start: wait for it to refill.
  sleep 1
  c0=$(cpu_ticks)
  read -r n e < <(run /dev/limited -H "x-api-key: bench-key-0123456789abcdef")
  c1=$(cpu_ticks)
  awk -v r="$r" -v n="$n" -v e="$e" -v d="$DURATION" -v rate="$RATE" -v burst="$BURST" \
      -v c="$((c1 - c0))" -v hz="$TICKS" 'BEGIN {
    ok = n - e; acc = ok / d; expect = rate + burst / d;
    printf "| %d | /dev/limited (key) | %d | %d | %d | %.1f | %d (+%d burst: %.1f) | %+.1f%% | %.2f |\n",
      r, n, ok, e, acc, rate, burst, expect, (acc - expect) / expect * 100, c / hz * 1e6 / n }'
  c0=$(cpu_ticks)
  read -r n e < <(run /dev/open)
  c1=$(cpu_ticks)
  awk -v r="$r" -v n="$n" -v e="$e" -v c="$((c1 - c0))" -v hz="$TICKS" 'BEGIN {
    printf "| %d | /dev/open (no plan) | %d | %d | %d | | | | %.2f |\n", r, n, n - e, e, c / hz * 1e6 / n }'
done
