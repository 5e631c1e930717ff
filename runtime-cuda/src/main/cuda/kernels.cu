// The single translation unit nvcc compiles into kernels.fatbin (see build-kernels.sh). Every kernel
// lives in one of the parts below; Kernel.java lists the names the Java side launches, and a test
// checks that each one is an entry of the compiled PTX.
#include "common.cuh"
#include "embedding.cuh"
#include "rowwise.cuh"
#include "kv_cache.cuh"
#include "attention.cuh"
#include "matmul.cuh"
#include "sampling.cuh"
