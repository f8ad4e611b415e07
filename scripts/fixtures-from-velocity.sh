#!/usr/bin/env bash
# Writes (or with --check, verifies) the expected output of every
# velocity-dialect fixture under crates/phalanx-vtl/tests/fixtures/ by
# rendering it with the real Apache Velocity 1.7 (tools/velocity-java).
#
#   scripts/fixtures-from-velocity.sh [--check] [FILTER]
#
# - a fixture with `expected_error.snap` (an insta snapshot of our whole error
#   message, checked by `cargo test -p phalanx-vtl --test fixtures`) must fail
#   in Velocity too (nothing is written);
# - any other velocity fixture gets `expected.txt` = Velocity's output, byte for
#   byte (the fixtures test compares our output with it as it is: Velocity's
#   output stays the source of truth, never a snapshot of ours);
# - apigateway fixtures are skipped: their expected files are written by hand
#   from Velocity's output and the differences documented in src/dialect.rs.
# FILTER keeps only the fixtures whose `group/name` contains it.
# Exits non-zero if Velocity fails on a fixture that expects output, renders
# one that expects an error, or (with --check) differs from an expected.txt.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

check=0
if [[ "${1:-}" == "--check" ]]; then
    check=1
    shift
fi
filter="${1:-}"

CP="$(bash tools/velocity-java/build.sh | tail -n 1)"
root=crates/phalanx-vtl/tests/fixtures
status=0
count=0
tmp="$(mktemp)"
trap 'rm -f "$tmp"' EXIT

while IFS= read -r template; do
    dir="$(dirname "$template")"
    id="${dir#"$root"/}"
    [[ -n "$filter" && "$id" != *"$filter"* ]] && continue
    if [[ -f "$dir/dialect" ]] && [[ "$(tr -d '[:space:]' < "$dir/dialect")" != velocity ]]; then
        continue
    fi
    count=$((count + 1))
    args=("$template")
    [[ -f "$dir/context.json" ]] && args+=("$dir/context.json")
    if java -Xss16m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -cp "$CP" VelocityRender "${args[@]}" >"$tmp" 2>"$tmp.err"; then
        if [[ -f "$dir/expected_error.snap" ]]; then
            echo "$id: expects an error, but Velocity 1.7 renders it" >&2
            status=1
        elif [[ $check == 1 ]]; then
            if ! cmp -s "$tmp" "$dir/expected.txt"; then
                echo "$id: expected.txt differs from Velocity 1.7's output" >&2
                diff "$dir/expected.txt" "$tmp" >&2 || true
                status=1
            fi
        else
            cp "$tmp" "$dir/expected.txt"
        fi
    elif [[ ! -f "$dir/expected_error.snap" ]]; then
        echo "$id: Velocity 1.7 fails: $(cat "$tmp.err")" >&2
        status=1
    fi
    rm -f "$tmp.err"
done < <(find "$root" -name template.vm | LC_ALL=C sort)

echo "$count velocity fixtures $([[ $check == 1 ]] && echo checked || echo rendered) with Apache Velocity 1.7" >&2
exit $status
