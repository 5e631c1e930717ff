package dev.infera.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Parsed options of one command; typed getters turn bad values into {@link CliException}s. */
public final class Options {

    private final Map<String, String> values = new HashMap<>();

    static Options parse(Command command, List<String> args) {
        Options o = new Options();
        Map<String, Command.Option> known = new HashMap<>();
        for (Command.Option opt : command.options()) {
            known.put(opt.name(), opt);
        }
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            String name = a;
            String inlineValue = null;
            int eq = a.indexOf('=');
            if (a.startsWith("--") && eq > 2) {
                name = a.substring(0, eq);
                inlineValue = a.substring(eq + 1);
            }
            Command.Option opt = known.get(name);
            if (opt == null) {
                throw new CliException("unknown option '" + a + "' for 'infera " + command.name()
                        + "' (see 'infera " + command.name() + " --help')");
            }
            if (opt.takesValue()) {
                String v = inlineValue;
                if (v == null) {
                    if (i + 1 >= args.size()) {
                        throw new CliException("option " + name + " needs a value (" + opt.valueName() + ")");
                    }
                    v = args.get(++i);
                }
                o.values.put(name, v);
            } else {
                if (inlineValue != null) {
                    throw new CliException("option " + name + " takes no value");
                }
                o.values.put(name, "true");
            }
        }
        return o;
    }

    /**
     * Whether {@code --help} or {@code -h} stands where an option name goes. After an option that takes
     * a value it is that value ({@code --text --help} tokenizes "--help"), not a request for help.
     * Unknown options are stepped over, so {@code --bogus --help} still shows the help.
     */
    static boolean asksForHelp(Command command, List<String> args) {
        Map<String, Command.Option> known = new HashMap<>();
        for (Command.Option opt : command.options()) {
            known.put(opt.name(), opt);
        }
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            if (a.equals("--help") || a.equals("-h")) {
                return true;
            }
            Command.Option opt = known.get(a);
            if (opt != null && opt.takesValue()) {
                i++;
            }
        }
        return false;
    }

    public boolean has(String name) {
        return values.containsKey(name);
    }

    public Optional<String> find(String name) {
        return Optional.ofNullable(values.get(name));
    }

    public String string(String name, String defaultValue) {
        return values.getOrDefault(name, defaultValue);
    }

    public String require(String name) {
        String v = values.get(name);
        if (v == null) {
            throw new CliException("missing required option " + name);
        }
        return v;
    }

    public boolean flag(String name) {
        return values.containsKey(name);
    }

    public int intValue(String name, int defaultValue) {
        String v = values.get(name);
        if (v == null) {
            return defaultValue;
        }
        try {
            return Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw new CliException("option " + name + " expects a whole number, got '" + v + "'");
        }
    }

    /**
     * {@code --threads}: compute threads, by default every processor; fewer than one is refused with a
     * message that names the option. One place for the default and the check every engine command needs.
     */
    public int threads() {
        int threads = intValue("--threads", Runtime.getRuntime().availableProcessors());
        if (threads < 1) {
            throw new CliException("--threads must be at least 1, got " + threads);
        }
        return threads;
    }

    public long longValue(String name, long defaultValue) {
        String v = values.get(name);
        if (v == null) {
            return defaultValue;
        }
        try {
            return Long.parseLong(v.trim());
        } catch (NumberFormatException e) {
            throw new CliException("option " + name + " expects a whole number, got '" + v + "'");
        }
    }

    public double doubleValue(String name, double defaultValue) {
        String v = values.get(name);
        if (v == null) {
            return defaultValue;
        }
        try {
            return Double.parseDouble(v.trim());
        } catch (NumberFormatException e) {
            throw new CliException("option " + name + " expects a number, got '" + v + "'");
        }
    }

    /** A path that must name an existing file or folder. */
    public Path existingPath(String name) {
        Path p = Path.of(require(name));
        if (!Files.exists(p)) {
            throw new CliException("file not found for " + name + ": " + p);
        }
        return p;
    }
}
