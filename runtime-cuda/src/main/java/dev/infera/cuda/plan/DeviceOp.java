package dev.infera.cuda.plan;

import java.util.List;

/** One step of a launch plan: a kernel launch or a cuBLAS GEMM, both on the backend's stream. */
public sealed interface DeviceOp {

    /**
     * A kernel launch with a 3-D grid of {@code blockThreads}-thread blocks and {@code sharedBytes} of
     * dynamic shared memory.
     */
    record Launch(Kernel kernel, int gridX, int gridY, int gridZ, int blockThreads, int sharedBytes, List<Arg> args)
            implements DeviceOp {

        public Launch {
            if (gridX < 1 || gridY < 1 || gridZ < 1 || gridY > 65535 || gridZ > 65535) {
                throw new IllegalArgumentException(kernel + ": invalid grid " + gridX + " x " + gridY + " x " + gridZ);
            }
            if (blockThreads < 1 || blockThreads > 1024) {
                throw new IllegalArgumentException(kernel + ": invalid block of " + blockThreads + " threads");
            }
            args = List.copyOf(args);
        }

        public long numBlocks() {
            return (long) gridX * gridY * gridZ;
        }
    }

    /**
     * {@code output = weights x input} for {@code tokens} activation rows, in cuBLAS terms
     * {@code C (m x n) = op(A)^T B} with column-major {@code A = weights} ({@code k x m}, one weight row
     * per column), {@code B = input} ({@code k x n}) and {@code C} with leading dimension {@code ldc}
     * (the full output row width, so a chunk of weight rows fills its columns of each output row).
     *
     * @param weightType and {@code inputType}: {@code cudaDataType_t} values; the output is F32
     */
    record Gemm(Arg weights, int weightType, Arg input, int inputType, Arg output, int m, int n, int k, int ldc)
            implements DeviceOp {

        public Gemm {
            if (m < 1 || n < 1 || k < 1 || ldc < m) {
                throw new IllegalArgumentException("invalid GEMM " + m + " x " + n + " x " + k + ", ldc " + ldc);
            }
        }
    }
}
