#!/usr/bin/env bash
# Builds the Apache Velocity 1.7 reference tools (VelocityRender, VelocityBench).
#
#   bash tools/velocity-java/build.sh        # prints the classpath on its last line
#
# - Installs Debian's `velocity` package (Velocity 1.7 + commons-collections3 +
#   commons-lang 2.6) when /usr/share/java/velocity.jar is missing.
# - Compiles tools/velocity-java/*.java into target/velocity-java/ (git-ignored via
#   /target) only when a source is newer than the last build.
# - Last line of output: the classpath (absolute paths), e.g.
#   /repo/target/velocity-java:/usr/share/java/velocity.jar:/usr/share/java/commons-collections3.jar:/usr/share/java/commons-lang.jar
# Everything else goes to stderr, so CP=$(bash tools/velocity-java/build.sh) works.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
OUT="$ROOT/target/velocity-java"
JARS=/usr/share/java/velocity.jar:/usr/share/java/commons-collections3.jar:/usr/share/java/commons-lang.jar

log() { echo "velocity-java/build.sh: $*" >&2; }

if [ ! -f /usr/share/java/velocity.jar ] || ! command -v javac >/dev/null 2>&1; then
    SUDO=""
    if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
    pkgs="velocity"
    command -v javac >/dev/null 2>&1 || pkgs="$pkgs default-jdk-headless"
    log "installing $pkgs (apt-get)"
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq >&2
    # shellcheck disable=SC2086
    $SUDO apt-get install -y -qq --no-install-recommends $pkgs >&2
fi
for j in ${JARS//:/ }; do
    [ -f "$j" ] || { log "missing $j after installing velocity"; exit 1; }
done

mkdir -p "$OUT"
STAMP="$OUT/.built"
need=0
if [ ! -f "$STAMP" ]; then
    need=1
else
    for src in "$HERE"/*.java; do
        if [ "$src" -nt "$STAMP" ]; then need=1; break; fi
    done
fi
if [ "$need" = 1 ]; then
    log "compiling into $OUT"
    rm -f "$OUT"/*.class
    javac -nowarn -encoding UTF-8 --release 17 -Xlint:none -d "$OUT" -cp "$JARS" "$HERE"/*.java >&2
    touch "$STAMP"
fi

echo "$OUT:$JARS"
