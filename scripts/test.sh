#!/usr/bin/env bash
# Runs every check and test of the project: formatting, clippy, and the whole
# cargo test suite (unit, conformance, differential against Apache Velocity
# 1.7, CLI end-to-end). Installs what the tests need when it is missing:
# Debian's `velocity` package (the reference engine) and our Java harness.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

step() { printf '\n==> %s\n' "$*" >&2; }

step "reference engine: Apache Velocity 1.7 (Debian package) and our Java harness"
PHALANX_VELOCITY_CP="$(bash tools/velocity-java/build.sh | tail -n 1)"
export PHALANX_VELOCITY_CP

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy (warnings are errors)"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "cargo test"
cargo test --workspace --locked
