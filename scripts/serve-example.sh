#!/usr/bin/env bash
# Serves the example API (examples/petstore/template.yaml) on
# http://127.0.0.1:3000/dev with its Python functions run by AWS's runtime
# interface client, awslambdaric (installed into target/venv when missing).
# Extra arguments go to `phalanx serve` (e.g. --port 8080).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
AWSLAMBDARIC_VERSION=4.2.2
if ! target/venv/bin/python -c "import awslambdaric" 2>/dev/null; then
  echo "installing awslambdaric $AWSLAMBDARIC_VERSION into target/venv" >&2
  python3 -m venv target/venv
  target/venv/bin/pip install --quiet "awslambdaric==$AWSLAMBDARIC_VERSION"
fi
cargo build --quiet -p phalanx-cli
PY="$PWD/target/venv/bin/python"
cd examples/petstore/functions
exec ../../../target/debug/phalanx serve --template ../template.yaml \
  --function ItemsFunction="$PY -m awslambdaric app.create_item" \
  --function HelloFunction="$PY -m awslambdaric app.hello" "$@"
