#!/usr/bin/env bash
# Packages what a GPU host without a JDK needs to run the CUDA backend's GPU test suite and benchmark:
# a jlink'd JDK 25 runtime, the infera CLI fat jar, the test jars and their JUnit/AssertJ jars, the
# small shared test models, and the scripts that run it all (scripts/gpu/run-gpu.sh and the PyTorch
# reference scripts/gpu/torch_reference.py).
#
# Usage: scripts/gpu-bundle.sh [OUT_DIR]      (default: device-bundle/, which git ignores)
# Writes OUT_DIR/infera-gpu/ and OUT_DIR/infera-gpu.tar.xz. On the GPU host:
#   tar xJf infera-gpu.tar.xz && infera-gpu/run-gpu.sh all      (or: tests | bench | torch)
#
# Needs JAVA_HOME (or /usr/lib/jvm/*25*) to be a JDK 25 with jlink; builds offline with ./mvnw -o.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${1:-$root/device-bundle}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
bundle="$out/infera-gpu"
models_src="${INFERA_MODELS_DIR:-$root/../shared/models}"

if [[ -z "${JAVA_HOME:-}" || ! -x "$JAVA_HOME/bin/jlink" ]]; then
    for d in /usr/lib/jvm/*25*; do
        if [[ -x "$d/bin/jlink" ]]; then
            export JAVA_HOME="$d"
            break
        fi
    done
fi
if [[ -z "${JAVA_HOME:-}" || ! -x "$JAVA_HOME/bin/jlink" ]]; then
    echo "gpu-bundle: needs a JDK 25 with jlink: set JAVA_HOME" >&2
    exit 1
fi
if [[ ! -f "$models_src/stories260K.gguf" ]]; then
    echo "gpu-bundle: shared test models not found at $models_src (set INFERA_MODELS_DIR)" >&2
    exit 1
fi

echo "gpu-bundle: building (package, tests skipped) ..."
rm -rf "$bundle"
mkdir -p "$bundle/lib" "$bundle/models/reference"
(cd "$root" && ./mvnw -o -q package dependency:copy-dependencies -DskipTests -pl runtime-cli,runtime-cuda -am \
    -DincludeScope=test -DexcludeGroupIds=dev.infera -DoutputDirectory="$bundle/lib")
if [[ ! -f "$root/runtime-cuda/target/classes/dev/infera/cuda/kernels.fatbin" ]]; then
    echo "gpu-bundle: the CUDA kernels were not built (nvcc missing); a bundle without them cannot run on a GPU" >&2
    exit 1
fi
cp "$root/runtime-cli/target/infera-cli.jar" "$bundle/lib/"
cp "$root"/runtime-cuda/target/runtime-cuda-*-tests.jar "$root"/runtime-core/target/runtime-core-*-tests.jar "$bundle/lib/"
# The fat jar already holds these (and slf4j-simple); two copies on one class path would only confuse.
rm -f "$bundle"/lib/slf4j-*.jar

echo "gpu-bundle: linking a Java runtime ..."
# jdeps prints warnings (split packages between the jars) before the module list on its last line. Added
# by hand: the Vector API (an incubator module, only ever --add-modules'd) and the zip file system, which
# JUnit's class path scanning opens jars with.
modules="$("$JAVA_HOME/bin/jdeps" --multi-release 25 --ignore-missing-deps --print-module-deps \
    --add-modules jdk.incubator.vector "$bundle"/lib/*.jar 2>/dev/null | tail -n 1)"
"$JAVA_HOME/bin/jlink" --add-modules "$modules,jdk.incubator.vector,jdk.zipfs" --compress=zip-0 --strip-debug \
    --no-header-files --no-man-pages --output "$bundle/jre"

cp "$models_src/stories260K.gguf" "$bundle/models/"
cp -r "$models_src/reference/stories260K" "$bundle/models/reference/"
cp "$root/scripts/gpu/run-gpu.sh" "$root/scripts/gpu/torch_reference.py" "$bundle/"
chmod +x "$bundle/run-gpu.sh"
git -C "$root" log -1 --format='%H %s' > "$bundle/COMMIT" 2>/dev/null || true

echo "gpu-bundle: compressing ..."
tar -C "$out" -cf - infera-gpu | xz -T0 -6 > "$out/infera-gpu.tar.xz"
echo "gpu-bundle: $out/infera-gpu.tar.xz ($(du -h "$out/infera-gpu.tar.xz" | cut -f1); runtime modules: $modules,jdk.incubator.vector,jdk.zipfs)"
