#!/usr/bin/env bash
# Load benchmark of the local gateway, against a plain hyper "hello" server
# measured in the same run (docs/PERFORMANCE.md has the results):
#
#  1. requests/s and p99 at 64 connections: baseline vs the non-proxy path
#     (request template + in-process echo function + response template),
#     ROUNDS alternating rounds of DURATION seconds, median reported;
#  2. the Runtime API path's overhead per invocation: latency at one
#     connection, in-process echo vs the same echo in Python (awslambdaric);
#  3. peak RSS of the gateway sampled every 5 s over a 60 s run;
#  4. the framework's echo example (`cargo run --example echo -- serve`:
#     envelope template, typed handler, response template) against the same
#     baseline, and its cold start (process spawn to first 200);
#  5. what a pipeline of a given cost could reach here: the per-core hello
#     server doing WORK_US (default "2 4 6 9") microseconds of CPU work a
#     request, against the same baseline. A ratio is a property of the
#     machine as much as of the server: this row says which per-request
#     cost a target ratio asks for on the machine that runs the script.
#
# Needs wrk, and PHALANX_PYTHON (a Python with awslambdaric, as
# scripts/test.sh creates) for part 2.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
ROUNDS="${ROUNDS:-3}"
DURATION="${DURATION:-10}"
RSS_SECONDS="${RSS_SECONDS:-60}"
PY="${PHALANX_PYTHON:-$PWD/target/venv/bin/python}"

cargo build --release --quiet -p phalanx-gateway --example bench_server
cargo build --release --quiet -p phalanx --example echo
BIN=target/release/examples/bench_server
LUA=$(mktemp)
cat > "$LUA" <<'LUA'
wrk.method = "POST"
wrk.body = '{"name": "world"}'
wrk.headers["Content-Type"] = "application/json"
LUA
pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; rm -f "$LUA"; }
trap cleanup EXIT

start() { "$BIN" "$@" & pids+=($!); sleep 0.5; }
# "rps p99_ms" of one wrk run
measure() {
  wrk -t"$(( $2 < 2 ? 1 : 2 ))" -c"$2" -d"${DURATION}s" --latency -s "$LUA" "http://127.0.0.1:$1/dev/hello" |
    awk '/Requests\/sec/ {rps=$2} / 99%/ {p=$2; if (p ~ /us$/) {sub("us","",p); p=p/1000} else if (p ~ /ms$/) {sub("ms","",p)} else if (p ~ /s$/) {sub("s","",p); p=p*1000}} END {printf "%.0f %.2f\n", rps, p}'
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

start baseline 3301
start gateway 3302
start baseline-per-core 3305
curl -sf -XPOST -H 'content-type: application/json' -d '{"name":"x"}' http://127.0.0.1:3302/dev/hello >/dev/null

# The target's baseline is the plain hyper server; the same hello server
# with the gateway's serving model (a thread per core) is reported beside it.
echo "| round | baseline req/s | baseline p99 (ms) | gateway req/s | gateway p99 (ms) | ratio | per-core baseline req/s | ratio to it |"
echo "|---|---|---|---|---|---|---|---|"
ratios=(); pratios=()
for r in $(seq "$ROUNDS"); do
  read -r b bp < <(measure 3301 64)
  read -r g gp < <(measure 3302 64)
  read -r pc _ < <(measure 3305 64)
  ratio=$(awk -v g="$g" -v b="$b" 'BEGIN {printf "%.2f", g/b}')
  pratio=$(awk -v g="$g" -v b="$pc" 'BEGIN {printf "%.2f", g/b}')
  ratios+=("$ratio"); pratios+=("$pratio")
  echo "| $r | $b | $bp | $g | $gp | $ratio | $pc | $pratio |"
done
echo
echo "median ratio (gateway / baseline): $(printf '%s\n' "${ratios[@]}" | median)"
echo "median ratio (gateway / per-core baseline): $(printf '%s\n' "${pratios[@]}" | median)"

echo
echo "Runtime API overhead (1 connection, mean latency):"
read -r inproc_rps _ < <(measure 3302 1)
if [ -x "$PY" ]; then
  start runtime-api 3303 "cd tools/bench && exec $PY -m awslambdaric echo_function.handler"
  curl -sf -XPOST -H 'content-type: application/json' -d '{"name":"x"}' http://127.0.0.1:3303/dev/hello >/dev/null
  read -r rapi_rps _ < <(measure 3303 1)
  awk -v a="$inproc_rps" -v b="$rapi_rps" 'BEGIN {
    printf "  in-process: %.1f us/request; Runtime API + awslambdaric: %.1f us/request; overhead %.1f us/invocation\n",
      1e6/a, 1e6/b, 1e6/b - 1e6/a }'
else
  echo "  skipped: no Python with awslambdaric at $PY (run ./scripts/test.sh first)"
fi

echo
echo "RSS of the gateway under load (64 connections, ${RSS_SECONDS}s):"
GW=$(pgrep -f "$BIN gateway 3302" | head -1)
wrk -t2 -c64 -d"${RSS_SECONDS}s" -s "$LUA" http://127.0.0.1:3302/dev/hello >/dev/null &
WRK=$!
samples=()
for _ in $(seq $((RSS_SECONDS / 5))); do
  sleep 5
  samples+=("$(awk '/VmRSS/ {print $2}' /proc/"$GW"/status)")
done
wait "$WRK"
echo "  samples (KiB, every 5 s): ${samples[*]}"
echo "  peak: $(printf '%s\n' "${samples[@]}" | sort -n | tail -1) KiB; first: ${samples[0]} KiB; last: ${samples[-1]} KiB"

echo
echo "Framework echo example (GET /dev/hello, envelope in and out), 64 connections:"
ECHO=target/release/examples/echo
now_ms() { date +%s%3N; }
t0=$(now_ms)
"$ECHO" serve --port 3304 >/dev/null 2>&1 & pids+=($!)
# Polled every millisecond with bash's own TCP client (starting curl for
# each try would cost more than the start being measured).
first_200() {
  exec 3<>/dev/tcp/127.0.0.1/3304 || return 1
  printf 'GET /dev/hello HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' >&3
  local status=""
  read -r status <&3 || true
  exec 3<&-
  [[ "$status" == *" 200 "* ]]
}
until first_200 2>/dev/null; do sleep 0.001; done
t1=$(now_ms)
echo "  cold start (spawn to first 200): $((t1 - t0)) ms"
GET_LUA=$(mktemp)
echo 'wrk.method = "GET"' > "$GET_LUA"
erat=()
echo "| round | baseline req/s | echo req/s | echo p99 (ms) | ratio |"
echo "|---|---|---|---|---|"
for r in $(seq "$ROUNDS"); do
  read -r b _ < <(measure 3301 64)
  read -r e ep < <(wrk -t2 -c64 -d"${DURATION}s" --latency -s "$GET_LUA" http://127.0.0.1:3304/dev/hello |
    awk '/Requests\/sec/ {rps=$2} / 99%/ {p=$2; if (p ~ /us$/) {sub("us","",p); p=p/1000} else if (p ~ /ms$/) {sub("ms","",p)} else if (p ~ /s$/) {sub("s","",p); p=p*1000}} END {printf "%.0f %.2f\n", rps, p}')
  ratio=$(awk -v e="$e" -v b="$b" 'BEGIN {printf "%.2f", e/b}')
  erat+=("$ratio")
  echo "| $r | $b | $e | $ep | $ratio |"
done
rm -f "$GET_LUA"
echo "median ratio (echo / baseline): $(printf '%s\n' "${erat[@]}" | median)"

echo
echo "Calibration: the per-core hello server doing N us of CPU work a request (64 connections):"
echo "| work (us) | baseline req/s | busy req/s | ratio |"
echo "|---|---|---|---|"
port=3306
for us in ${WORK_US:-2 4 6 9}; do
  "$BIN" busy-per-core "$port" "$us" & busy=$!; pids+=("$busy")
  # Calibration takes a moment; wait until it answers.
  until curl -sf "http://127.0.0.1:$port/" >/dev/null 2>&1; do sleep 0.1; done
  read -r b _ < <(measure 3301 64)
  read -r w _ < <(measure "$port" 64)
  echo "| $us | $b | $w | $(awk -v w="$w" -v b="$b" 'BEGIN {printf "%.2f", w/b}') |"
  kill "$busy" 2>/dev/null || true
  wait "$busy" 2>/dev/null || true
  port=$((port + 1))
done
