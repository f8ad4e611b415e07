#!/usr/bin/env bash
# Runs every check and test of the project: formatting, clippy, and the whole
# cargo test suite (unit, conformance, differential against Apache Velocity
# 1.7, CLI end-to-end). Installs what the tests need when it is missing:
# Debian's `velocity` package (the reference engine) and our Java harness.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

step() { printf '\n==> %s\n' "$*" >&2; }

# A free TCP port on loopback.
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Waits up to 30 s for URL to answer; else prints LOG and fails.
wait_for_url() {
  local name="$1" url="$2" log="$3"
  for _ in $(seq 300); do
    curl -sf -o /dev/null "$url" && return 0
    sleep 0.1
  done
  echo "$name did not start; its log ($log):" >&2
  cat "$log" >&2
  exit 1
}

step "reference engine: Apache Velocity 1.7 (Debian package) and our Java harness"
PHALANX_VELOCITY_CP="$(bash tools/velocity-java/build.sh | tail -n 1)"
export PHALANX_VELOCITY_CP

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy (warnings are errors)"
cargo clippy --workspace --all-targets --locked -- -D warnings
# phalanx without its default features (no deploy commands, no mimalloc)
# must build and be as clean.
cargo clippy -p phalanx --lib --no-default-features --locked -- -D warnings
# phalanx-vtl's compiler as public API (`unstable-internals`, no user in
# the workspace) must stay as clean.
cargo clippy -p phalanx-vtl --lib --features unstable-internals --locked -- -D warnings

step "cargo doc (warnings are errors: no broken or private links)"
# Libraries only: the `phalanx` binary (phalanx-cli) and the `phalanx`
# library would both write target/doc/phalanx.
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --lib --no-deps --locked --quiet

# --- Lambda Runtime API host tests: Python under AWS's runtime client ---------
# crates/phalanx-gateway/tests/runtime_api.rs runs Python handlers under
# awslambdaric (AWS's runtime interface client) and finds the interpreter
# through PHALANX_PYTHON. A venv in target/ keeps it out of the system Python.
AWSLAMBDARIC_VERSION=4.2.2
step "Python venv with awslambdaric $AWSLAMBDARIC_VERSION (target/venv)"
if ! target/venv/bin/python -c "import importlib.metadata as m, sys; sys.exit(m.version('awslambdaric') != '$AWSLAMBDARIC_VERSION')" 2>/dev/null; then
  python3 -m venv target/venv
  target/venv/bin/pip install --quiet "awslambdaric==$AWSLAMBDARIC_VERSION"
fi
PHALANX_PYTHON="$PWD/target/venv/bin/python"
export PHALANX_PYTHON
# --- end of the Runtime API host block ----------------------------------------

# CloudFormation templates we ship or import in tests must be ones AWS
# accepts: cfn-lint (AWS's linter) checks them.
CFN_LINT_VERSION=1.58.0
step "cfn-lint $CFN_LINT_VERSION on the example and test templates; openapi-spec-validator; aws-sam-translator"
if ! target/venv/bin/python -c "import importlib.metadata as m, sys; sys.exit(m.version('cfn-lint') != '$CFN_LINT_VERSION')" 2>/dev/null; then
  target/venv/bin/pip install --quiet "cfn-lint==$CFN_LINT_VERSION"
fi
OPENAPI_VALIDATOR_VERSION=0.9.0
if ! target/venv/bin/python -c "import importlib.metadata as m, sys; sys.exit(m.version('openapi-spec-validator') != '$OPENAPI_VALIDATOR_VERSION')" 2>/dev/null; then
  target/venv/bin/pip install --quiet "openapi-spec-validator==$OPENAPI_VALIDATOR_VERSION"
fi
# The SAM templates of the corpus (crates/phalanx-gateway/tests/corpus) are
# compared with what AWS's SAM translator (the library `sam` runs) makes of
# them, through scripts/sam-translate.py under PHALANX_PYTHON. Pinned, and
# installed after cfn-lint, which depends on some version of it.
SAM_TRANSLATOR_VERSION=1.115.0
if ! target/venv/bin/python -c "import importlib.metadata as m, sys; sys.exit(m.version('aws-sam-translator') != '$SAM_TRANSLATOR_VERSION')" 2>/dev/null; then
  target/venv/bin/pip install --quiet "aws-sam-translator==$SAM_TRANSLATOR_VERSION"
fi
# The corpus: SAM and CloudFormation templates, and OpenAPI documents
# (bare, or read through DefinitionUri and BodyS3Location).
CORPUS=crates/phalanx-gateway/tests/corpus
target/venv/bin/cfn-lint examples/petstore/template.yaml \
  crates/phalanx-gateway/tests/templates/pets_api.yaml \
  crates/phalanx-gateway/tests/templates/pets_api.json \
  crates/phalanx-gateway/tests/openapi/stack-with-body.yaml \
  crates/phalanx-gateway/tests/openapi/stack-with-s3-body.yaml \
  crates/phalanx-cli/tests/templates/derived/template.yaml \
  crates/phalanx-cli/tests/templates/derived/node.yaml \
  "$CORPUS"/*/template.yaml "$CORPUS"/*/template.json
# The OpenAPI documents the import tests read must be valid OpenAPI.
target/venv/bin/openapi-spec-validator \
  crates/phalanx-gateway/tests/openapi/bookshelf-3.0.yaml \
  crates/phalanx-gateway/tests/openapi/orders-2.0.json \
  "$CORPUS"/*/openapi.yaml "$CORPUS"/*/openapi.json \
  "$CORPUS"/sam-definition-uri/swagger.yaml \
  "$CORPUS"/cfn-body-s3-location/definitions/rates.yaml \
  "$CORPUS"/cfn-body-s3-beside/api.json

# The presign example's test needs S3: moto's standalone server (PyPI),
# reached through the AWS SDK for Rust. It runs on a free loopback port for
# the length of this script.
MOTO_VERSION=5.2.5
step "moto $MOTO_VERSION (local S3 for the presign example)"
if ! target/venv/bin/python -c "import importlib.metadata as m, sys; sys.exit(m.version('moto') != '$MOTO_VERSION')" 2>/dev/null; then
  target/venv/bin/pip install --quiet "moto[server]==$MOTO_VERSION"
fi
MOTO_PORT="$(free_port)"
target/venv/bin/moto_server -H 127.0.0.1 -p "$MOTO_PORT" >target/moto.log 2>&1 &
MOTO_PID=$!
trap 'kill $MOTO_PID 2>/dev/null || true' EXIT
wait_for_url moto "http://127.0.0.1:$MOTO_PORT/" target/moto.log
export PHALANX_MOTO_ENDPOINT="http://127.0.0.1:$MOTO_PORT"

# The deploy tests (crates/phalanx/tests/deploy.rs) provision the examples
# into ministack, a local AWS (PyPI, MIT): CloudFormation change sets with
# events and rollback, API Gateway, Lambda running the uploaded bootstrap
# as a local process, S3. Its own virtualenv: it pins a botocore of its
# own, which must not move moto's. It runs its function processes in its
# process group, so the whole group is stopped at exit.
MINISTACK_VERSION=1.5.33
step "ministack $MINISTACK_VERSION (local CloudFormation, API Gateway, Lambda, S3 for the deploy tests)"
if ! target/ministack-venv/bin/python -c "import importlib.metadata as m, sys; sys.exit(m.version('ministack') != '$MINISTACK_VERSION')" 2>/dev/null; then
  python3 -m venv target/ministack-venv
  target/ministack-venv/bin/pip install --quiet "ministack==$MINISTACK_VERSION"
fi
MINISTACK_PORT="$(free_port)"
# Its state and the function code it unpacks (under TMPDIR) in a
# directory of this run, removed at exit.
MINISTACK_TMP="$(mktemp -d)"
GATEWAY_PORT="$MINISTACK_PORT" BIND_HOST=127.0.0.1 STATE_DIR="$MINISTACK_TMP/state" TMPDIR="$MINISTACK_TMP" \
  setsid target/ministack-venv/bin/ministack >target/ministack.log 2>&1 &
MINISTACK_PID=$!
trap 'kill $MOTO_PID 2>/dev/null || true; kill -- -$MINISTACK_PID 2>/dev/null || true; rm -rf "$MINISTACK_TMP"' EXIT
wait_for_url ministack "http://127.0.0.1:$MINISTACK_PORT/_ministack/health" target/ministack.log
export PHALANX_MINISTACK_ENDPOINT="http://127.0.0.1:$MINISTACK_PORT"

# The describe page is opened in headless Chromium by a test.
if ! command -v chromium >/dev/null 2>&1; then
  step "installing Debian's chromium (for the describe page test)"
  if [ "$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq >&2
  $SUDO apt-get install -y -qq chromium >&2
fi

# Snapshots (insta) are checked, never written: a missing or different one
# fails the run (review them locally, see tests/fixtures/README.md).
export INSTA_UPDATE=no
step "cargo test"
cargo test --workspace --locked

# The renderer's fast paths must give the answers its general paths give:
# the suites that pin rendering (phalanx-vtl's fixtures, Velocity's
# conformance suite, the differential test against Velocity 1.7, and the
# gateway's recorded API Gateway cases) run again with every fast path off
# (phalanx-vtl's `no-fast-paths` feature, see `render::FAST_PATHS`).
step "rendering again with every fast path off (phalanx-vtl, the gateway's pipeline)"
cargo test --locked -p phalanx-vtl --features phalanx-vtl/no-fast-paths
cargo test --locked -p phalanx-gateway --features phalanx-vtl/no-fast-paths --test pipeline
