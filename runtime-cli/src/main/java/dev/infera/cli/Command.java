package dev.infera.cli;

import java.io.PrintStream;
import java.util.List;

/** One {@code infera} subcommand. */
public interface Command {

    /** The word that selects the command, e.g. {@code inspect}. */
    String name();

    /** One line for the command list. */
    String summary();

    /** Usage line(s) shown above the options in {@code --help}. */
    String usage();

    /** The options the command accepts; anything else is rejected. */
    List<Option> options();

    /** Runs the command; returns the process exit code. */
    int run(Options options, PrintStream out, PrintStream err) throws Exception;

    /** A declared option: {@code --name VALUE} when {@code valueName} is set, else a flag. */
    record Option(String name, String valueName, String help) {
        public static Option value(String name, String valueName, String help) {
            return new Option(name, valueName, help);
        }

        public static Option flag(String name, String help) {
            return new Option(name, null, help);
        }

        public boolean takesValue() {
            return valueName != null;
        }
    }
}
