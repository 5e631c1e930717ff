package dev.infera.cuda;

import static org.junit.platform.engine.discovery.ClassNameFilter.excludeClassNamePatterns;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectPackage;

import java.io.PrintWriter;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;
import org.junit.platform.launcher.listeners.TestExecutionSummary;

/**
 * Runs the tests of this module (the GPU ones and the rest, less the build-output checks of
 * {@code KernelBuildTest}) without Maven, for a GPU host that has
 * only the bundled runtime (see {@code scripts/gpu-bundle.sh}). It sets {@code infera.cuda.required},
 * so a GPU test fails instead of skipping when the backend cannot run, prints JUnit's summary and
 * exits non-zero on any failure.
 */
public final class GpuSuiteMain {

    private GpuSuiteMain() {
    }

    public static void main(String[] args) {
        System.setProperty("infera.cuda.required", "true");
        LauncherDiscoveryRequest request = LauncherDiscoveryRequestBuilder.request()
                .selectors(selectPackage("dev.infera.cuda"))
                // checks of the build's own outputs (PTX, CUDA sources), which a bundle does not carry
                .filters(excludeClassNamePatterns(".*KernelBuildTest"))
                .configurationParameter("junit.jupiter.execution.timeout.default", "600 s")
                .build();
        Launcher launcher = LauncherFactory.create();
        SummaryGeneratingListener summary = new SummaryGeneratingListener();
        launcher.execute(request, summary);
        TestExecutionSummary s = summary.getSummary();
        PrintWriter out = new PrintWriter(System.out, true);
        s.printFailuresTo(out, 30);
        s.printTo(out);
        boolean ok = s.getTotalFailureCount() == 0 && s.getTestsSucceededCount() > 0;
        System.exit(ok ? 0 : 1);
    }
}
