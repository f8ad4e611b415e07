#!/usr/bin/env bash
# Renders with Apache Velocity 1.7 (building the tool first if needed).
#
#   tools/velocity-java/render.sh TEMPLATE.vm [CONTEXT.json] [--library MACROS.vm] [--mode evaluate]
#   tools/velocity-java/render.sh --batch [--library MACROS.vm] < cases.jsonl > results.jsonl
#
# All arguments go to VelocityRender; see the comment at the top of VelocityRender.java.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CP="$(bash "$HERE/build.sh" | tail -n 1)"
exec java -Xss16m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -cp "$CP" VelocityRender "$@"
