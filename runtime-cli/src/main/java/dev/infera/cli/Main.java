package dev.infera.cli;

/** Entry point of the {@code infera} command. */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) {
        System.exit(new Cli(System.out, System.err).run(args));
    }
}
