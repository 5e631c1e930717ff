package dev.infera.core.backend;

/**
 * Whether a backend can run in this process, and if not, why: one line a user can act on, such as
 * "libcuda.so.1 not found" or "the JVM was started without --add-modules jdk.incubator.vector".
 */
public record Availability(boolean available, String reason) {

    private static final Availability AVAILABLE = new Availability(true, "available");

    public Availability {
        if (reason == null || reason.isBlank()) {
            throw new IllegalArgumentException("an availability needs a reason");
        }
    }

    public static Availability ok() {
        return AVAILABLE;
    }

    public static Availability unavailable(String reason) {
        return new Availability(false, reason);
    }
}
