#!/usr/bin/env bash
# Runs inside an unpacked GPU bundle (scripts/gpu-bundle.sh) on a host with an NVIDIA GPU, its driver
# and no JDK. Steps (default: all):
#   tests  the runtime-cuda test suite, GPU tests required (they fail rather than skip without a GPU):
#          stories260K greedy text, logits vs the CPU backend, batch invariance, compute-sanitizer, ...
#   bench  infera bench --backend cuda on a synthetic Llama-3.2-1B-shaped BF16 model, prompt 128,
#          output 128, at 1, 16, 64 and 256 concurrent requests (the roofline uses the measured device
#          copy bandwidth)
#   torch  the PyTorch reference (torch_reference.py) on the same GGUF weights and workload
# Results go to $OUT (if set, e.g. by the device runner) or ./results. WORK (default /tmp/infera-work)
# holds the synthetic model (about 2.5 GB).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="${OUT:-$here/results}"
work="${WORK:-/tmp/infera-work}"
mkdir -p "$out" "$work"
java="$here/jre/bin/java"
flags=(--add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED)
model="$work/llama-1b-bf16.gguf"
levels="1,16,64,256"

infera() {
    "$java" "${flags[@]}" -jar "$here/lib/infera-cli.jar" "$@"
}

run_tests() {
    echo "== GPU test suite"
    nvidia-smi > "$out/nvidia-smi.txt" 2>&1 || true
    "$java" "${flags[@]}" -Dinfera.models.dir="$here/models" -Dinfera.models.required=true \
        -cp "$here/lib/*" dev.infera.cuda.GpuSuiteMain 2>&1 | tee "$out/gpu-tests.txt"
    return "${PIPESTATUS[0]}"
}

ensure_model() {
    if [[ ! -f "$model" ]]; then
        echo "== synthesizing $model"
        infera synth --preset llama-1b --dtype bf16 --out "$model"
    fi
}

run_bench() {
    ensure_model
    echo "== infera bench --backend cuda (concurrency $levels)"
    infera bench --backend cuda --model "$model" --input-len 128 --output-len 128 --ignore-eos \
        --sweep "concurrency=$levels" --max-running 256 --json "$out/bench-cuda.json" 2>&1 | tee "$out/bench-cuda.txt"
    return "${PIPESTATUS[0]}"
}

run_torch() {
    ensure_model
    echo "== PyTorch reference (concurrency $levels)"
    python3 "$here/torch_reference.py" --model "$model" --input-len 128 --output-len 128 --concurrency "$levels" \
        --json "$out/bench-torch.json" 2>&1 | tee "$out/bench-torch.txt"
    return "${PIPESTATUS[0]}"
}

status=0
case "${1:-all}" in
    tests) run_tests || status=$? ;;
    bench) run_bench || status=$? ;;
    torch) run_torch || status=$? ;;
    all)
        run_tests || status=$?
        run_bench || status=$?
        run_torch || status=$?
        ;;
    *) echo "usage: run-gpu.sh [tests|bench|torch|all]" >&2; exit 2 ;;
esac
echo "== results in $out (exit status $status)"
exit "$status"
