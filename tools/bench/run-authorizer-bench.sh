#!/usr/bin/env bash
# A warm Lambda authorizer under load (docs/PERFORMANCE.md, "Lambda
# authorizers: a warm cache"): `bench_server authorizer` serves the same
# in-process Lambda proxy method without authorization (/dev/open/7) and
# behind a TOKEN authorizer whose result is cached (/dev/guarded/7). wrk
# loads each in turn at 64 connections for DURATION seconds, ROUNDS times,
# every request carrying the same token; the server's CPU a request
# (utime + stime from /proc/PID/stat) and requests a second are reported
# for each, and their ratios per round — what the authorized request costs
# more, in the same load run.
#
# Needs wrk (Debian: apt-get install wrk). Builds the release example; the
# workspace's fat LTO takes long, so LTO=false (the default here) builds
# without it: the figures then say so.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
DURATION="${DURATION:-10}"
ROUNDS="${ROUNDS:-5}"
PORT="${PORT:-3320}"
if [ "${LTO:-false}" = false ]; then
  export CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16
fi
[ "${SKIP_BUILD:-}" = 1 ] || cargo build --release --quiet -p phalanx-gateway --example bench_server
BIN="${CARGO_TARGET_DIR:-target}/release/examples/bench_server"
"$BIN" authorizer "$PORT" &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
TOKEN="Bearer token-123"
until curl -sf -o /dev/null -H "Authorization: $TOKEN" "http://127.0.0.1:$PORT/dev/guarded/7"; do sleep 0.1; done
TICKS=$(getconf CLK_TCK)
cpu_ticks() { awk '{print $14 + $15}' /proc/"$SERVER"/stat; }

# "requests non2xx cpu_ticks" of one wrk run against PATH.
run() {
  local c0 c1 out
  c0=$(cpu_ticks)
  out=$(wrk -t2 -c64 -d"${DURATION}s" -H "Authorization: $TOKEN" "http://127.0.0.1:$PORT$1" |
    awk '/requests in/ {n=$1} /Non-2xx/ {e=$5} END {printf "%d %d", n, e}')
  c1=$(cpu_ticks)
  echo "$out $((c1 - c0))"
}

results=()
echo "| round | unauthorized req/s | CPU µs/request | warm authorizer req/s | CPU µs/request | CPU ratio | req/s ratio |"
echo "|---|---|---|---|---|---|---|"
for r in $(seq "$ROUNDS"); do
  read -r n1 e1 c1 < <(run /dev/open/7)
  read -r n2 e2 c2 < <(run /dev/guarded/7)
  if [ "$e1" != 0 ] || [ "$e2" != 0 ]; then
    echo "round $r: non-2xx answers ($e1 open, $e2 guarded)" >&2
    exit 1
  fi
  line=$(awk -v r="$r" -v n1="$n1" -v c1="$c1" -v n2="$n2" -v c2="$c2" -v d="$DURATION" -v hz="$TICKS" 'BEGIN {
    u1 = c1 / hz * 1e6 / n1; u2 = c2 / hz * 1e6 / n2;
    printf "| %d | %.0f | %.2f | %.0f | %.2f | %.3f | %.3f |", r, n1 / d, u1, n2 / d, u2, u2 / u1, (n2 / d) / (n1 / d) }')
  echo "$line"
  results+=("$line")
done
# The median of each column over the rounds (mawk has no sort: sort(1)).
median() {
  printf '%s\n' "${results[@]}" | awk -F'|' -v c="$1" '{print $c + 0}' | sort -g |
    awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'
}
printf '| median | %.0f | %.2f | %.0f | %.2f | %.3f | %.3f |\n' \
  "$(median 3)" "$(median 4)" "$(median 5)" "$(median 6)" "$(median 7)" "$(median 8)"
