package dev.infera.cli;

import dev.infera.api.InferaException;
import java.io.PrintStream;
import java.util.Arrays;
import java.util.List;

/** Dispatches {@code infera COMMAND [options]} to a {@link Command} and turns errors into one line. */
public final class Cli {

    private final PrintStream out;
    private final PrintStream err;
    private final List<Command> commands;

    public Cli(PrintStream out, PrintStream err) {
        this(out, err, List.of(
                new InspectCommand(),
                new TokenizeCommand(),
                new SynthCommand(),
                new BatchCommand(),
                new BenchCommand(),
                new GenerateCommand()));
    }

    Cli(PrintStream out, PrintStream err, List<Command> commands) {
        this.out = out;
        this.err = err;
        this.commands = List.copyOf(commands);
    }

    public int run(String[] args) {
        if (args.length == 0 || args[0].equals("--help") || args[0].equals("-h") || args[0].equals("help")) {
            printUsage(args.length == 0 ? err : out);
            return args.length == 0 ? 2 : 0;
        }
        Command command = commands.stream().filter(c -> c.name().equals(args[0])).findFirst().orElse(null);
        if (command == null) {
            err.println("infera: unknown command '" + args[0] + "' (see 'infera --help')");
            return 2;
        }
        List<String> rest = Arrays.asList(args).subList(1, args.length);
        if (Options.asksForHelp(command, rest)) {
            printHelp(command);
            return 0;
        }
        try {
            return command.run(Options.parse(command, rest), out, err);
        } catch (CliException e) {
            err.println("infera " + command.name() + ": " + e.getMessage());
            return 2;
        } catch (InferaException e) {
            err.println("infera " + command.name() + ": " + e.getMessage());
            return 1;
        } catch (java.io.IOException | java.io.UncheckedIOException e) {
            err.println("infera " + command.name() + ": I/O error: " + e.getMessage());
            return 1;
        } catch (IllegalArgumentException e) {
            // By the project's convention a bad argument (an option value the library rejects), not a bug.
            err.println("infera " + command.name() + ": " + e.getMessage());
            return 2;
        } catch (Exception e) {
            err.println("infera " + command.name() + ": unexpected error: " + e);
            return 1;
        }
    }

    private void printUsage(PrintStream s) {
        s.println("Usage: infera COMMAND [options]");
        s.println();
        s.println("Commands:");
        for (Command c : commands) {
            s.printf("  %-10s %s%n", c.name(), c.summary());
        }
        s.println();
        s.println("Run 'infera COMMAND --help' for the options of a command.");
    }

    private void printHelp(Command c) {
        out.println("Usage: " + c.usage());
        out.println();
        out.println(c.summary());
        out.println();
        out.println("Options:");
        for (Command.Option o : c.options()) {
            String left = o.takesValue() ? o.name() + " " + o.valueName() : o.name();
            out.printf("  %-24s %s%n", left, o.help());
        }
        out.printf("  %-24s %s%n", "--help", "show this help");
    }
}
