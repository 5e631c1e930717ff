package dev.infera.cuda;

import static org.assertj.core.api.Assertions.assertThat;

import dev.infera.cuda.plan.Kernel;
import dev.infera.cuda.plan.StepPlanner;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * What the build made of {@code src/main/cuda}, checked without a GPU: the fatbin is on the class path
 * and is a fatbin, every kernel the Java side launches is an entry of the compiled PTX (the build writes
 * it beside the fatbin), and the constants the planner shares with the CUDA sources agree. Skipped, with
 * the reason, when the module was built without nvcc.
 */
class KernelBuildTest {

    private static Path ptx() {
        String configured = System.getProperty("infera.cuda.ptx");
        Path ptx = Path.of(configured != null ? configured : "target/cuda/kernels.ptx");
        Assumptions.assumeTrue(Files.isRegularFile(ptx),
                "no PTX at " + ptx + ": the kernels were not built (nvcc missing at build time); test skipped");
        return ptx;
    }

    @Test
    void fatbinIsOnTheClassPathWithItsMagic() throws IOException {
        ptx();
        assertThat(KernelImage.present()).as("kernels.fatbin resource").isTrue();
        byte[] image = KernelImage.read();
        assertThat(image.length).isGreaterThan(64 * 1024);
        int magic = ByteBuffer.wrap(image, 0, 4).order(ByteOrder.LITTLE_ENDIAN).getInt();
        assertThat(Integer.toHexString(magic)).isEqualTo("ba55ed50");
    }

    @Test
    void everyKernelTheJavaSideLaunchesIsInThePtx() throws IOException {
        Set<String> entries = new TreeSet<>();
        Matcher m = Pattern.compile("\\.entry\\s+(\\w+)\\s*\\(").matcher(Files.readString(ptx()));
        while (m.find()) {
            entries.add(m.group(1));
        }
        Set<String> wanted = new TreeSet<>();
        for (Kernel k : Kernel.values()) {
            wanted.add(k.symbol());
        }
        assertThat(entries).containsAll(wanted);
        assertThat(entries).as("kernels no Java code launches").isEqualTo(wanted);
    }

    @Test
    void constantsSharedWithTheCudaSourcesAgree() throws IOException {
        assertThat(define("matmul.cuh", "MATVEC_MAX_TOKENS")).isEqualTo(StepPlanner.MATVEC_MAX_TOKENS);
        assertThat(define("sampling.cuh", "ARGMAX_THREADS")).isEqualTo(StepPlanner.ARGMAX_THREADS);
        assertThat(define("common.cuh", "INFERA_QK")).isEqualTo(32);
    }

    private static int define(String file, String name) throws IOException {
        String source = Files.readString(Path.of("src/main/cuda", file));
        Matcher m = Pattern.compile("#define\\s+" + name + "\\s+(\\d+)").matcher(source);
        assertThat(m.find()).as("#define %s in %s", name, file).isTrue();
        return Integer.parseInt(m.group(1));
    }
}
