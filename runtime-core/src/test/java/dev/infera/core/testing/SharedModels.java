package dev.infera.core.testing;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * Locates the shared test models ({@code ../shared/models} beside the checkout). When they are
 * missing, a test skips with a message on a developer's machine, and fails in CI (environment
 * variable {@code CI=true}, or system property {@code infera.models.required=true}), so a CI run can
 * never pass by skipping the reference checks.
 */
public final class SharedModels {

    private SharedModels() {
    }

    /** The models folder; skips or fails the calling test when it is absent. */
    public static Path dir() {
        String configured = System.getProperty("infera.models.dir");
        Path dir = configured != null ? Path.of(configured) : Path.of("..", "shared", "models");
        dir = dir.toAbsolutePath().normalize();
        if (!Files.isDirectory(dir)) {
            missing("shared test models folder " + dir + " is missing");
        }
        return dir;
    }

    /** A file or folder inside the models folder; skips or fails the calling test when it is absent. */
    public static Path file(String relative) {
        Path p = dir().resolve(relative);
        if (!Files.exists(p)) {
            missing("shared test model file " + p + " is missing");
        }
        return p;
    }

    private static void missing(String what) {
        boolean required = "true".equalsIgnoreCase(System.getenv("CI"))
                || Boolean.getBoolean("infera.models.required");
        if (required) {
            Assertions.fail(what + " (required in CI)");
        }
        Assumptions.abort(what + "; test skipped (put the models in ../shared/models to run it)");
    }
}
