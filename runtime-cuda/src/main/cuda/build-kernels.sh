#!/usr/bin/env bash
# Compiles the CUDA kernels (kernels.cu and the .cuh parts it includes) into one fatbin with machine
# code for sm_80, sm_86, sm_89 and sm_90 plus compute_90 PTX (JIT-compiled on newer GPUs), and writes
# the compute_90 PTX beside it for the test that checks every kernel name the Java side uses.
#
# Usage: build-kernels.sh SRC_DIR FATBIN_DIR PTX_FILE
#
# Without nvcc this prints a notice and exits 0 with no fatbin: the module still builds and the CUDA
# backend's probe reports "kernels were not built: nvcc was missing at build time". nvcc is looked for
# in $NVCC, $CUDA_HOME/bin, /usr/local/cuda/bin and on the PATH. Up-to-date outputs are not rebuilt.
set -euo pipefail

src_dir=$1
fatbin_dir=$2
ptx_file=$3
fatbin="$fatbin_dir/kernels.fatbin"

find_nvcc() {
    local candidate
    for candidate in "${NVCC:-}" "${CUDA_HOME:+$CUDA_HOME/bin/nvcc}" /usr/local/cuda/bin/nvcc; do
        if [[ -n "$candidate" && -x "$candidate" ]]; then
            echo "$candidate"
            return
        fi
    done
    command -v nvcc || true
}

nvcc=$(find_nvcc)
if [[ -z "$nvcc" ]]; then
    rm -f "$fatbin" "$ptx_file"
    echo "[runtime-cuda] nvcc not found: CUDA kernels not built (the CUDA backend will report it unavailable)"
    exit 0
fi

sources=("$src_dir"/*.cu "$src_dir"/*.cuh "$0")
up_to_date=true
for f in "$fatbin" "$ptx_file"; do
    if [[ ! -f "$f" ]]; then
        up_to_date=false
    else
        for s in "${sources[@]}"; do
            [[ "$s" -nt "$f" ]] && up_to_date=false
        done
    fi
done
if $up_to_date; then
    echo "[runtime-cuda] CUDA kernels up to date"
    exit 0
fi

mkdir -p "$fatbin_dir" "$(dirname "$ptx_file")"
common=(-std=c++17 -O3 -I "$src_dir" --threads 0)
start=$(date +%s)
"$nvcc" "${common[@]}" -fatbin \
    -gencode arch=compute_80,code=sm_80 \
    -gencode arch=compute_86,code=sm_86 \
    -gencode arch=compute_89,code=sm_89 \
    -gencode arch=compute_90,code='[sm_90,compute_90]' \
    -o "$fatbin" "$src_dir/kernels.cu"
"$nvcc" "${common[@]}" -ptx -arch=compute_90 -o "$ptx_file" "$src_dir/kernels.cu"
echo "[runtime-cuda] built $(basename "$fatbin") ($(stat -c %s "$fatbin") bytes) with $("$nvcc" --version | tail -1) in $(( $(date +%s) - start )) s"
