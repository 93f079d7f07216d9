package io.spiffeoidc.spire;

import java.nio.file.Path;
import java.util.Optional;

/**
 * The command line of SPIRE's provider: {@code -config <path>} and {@code -expandEnv}, written as Go's flag
 * package accepts them (one or two dashes, {@code -config=<path>}, {@code -expandEnv=true}). No arguments at
 * all is this service's own mode, configured by properties.
 */
record SpireArguments(Path config, boolean expandEnv) {

    /** Empty without arguments; a {@link SpireConfigException} for anything SPIRE's provider would not accept. */
    static Optional<SpireArguments> parse(String... args) throws SpireConfigException {
        if (args.length == 0) {
            return Optional.empty();
        }
        String config = null;
        boolean expandEnv = false;
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            String flag = arg.startsWith("--") ? arg.substring(2) : arg.startsWith("-") ? arg.substring(1) : null;
            if (flag == null || flag.isEmpty()) {
                throw usage("unexpected argument \"" + Section.printable(arg) + "\"");
            }
            int equals = flag.indexOf('=');
            String name = equals < 0 ? flag : flag.substring(0, equals);
            String value = equals < 0 ? null : flag.substring(equals + 1);
            switch (name) {
                case "config" -> {
                    if (value == null) {
                        if (i + 1 >= args.length) {
                            throw usage("-config needs a file path");
                        }
                        value = args[++i];
                    }
                    if (value.isBlank()) {
                        throw usage("-config needs a file path");
                    }
                    config = value;
                }
                case "expandEnv" -> {
                    if (value == null || value.equalsIgnoreCase("true") || value.equals("1")) {
                        expandEnv = true;
                    } else if (value.equalsIgnoreCase("false") || value.equals("0")) {
                        expandEnv = false;
                    } else {
                        throw usage("-expandEnv takes true or false, not \"" + Section.printable(value) + "\"");
                    }
                }
                default -> throw usage("unknown argument \"" + Section.printable(arg) + "\"");
            }
        }
        if (config == null) {
            throw usage("-config <path> is required with -expandEnv");
        }
        return Optional.of(new SpireArguments(Path.of(config), expandEnv));
    }

    private static SpireConfigException usage(String problem) {
        return new SpireConfigException("Invalid arguments: " + problem
                + " (usage: -config <path to SPIRE's oidc-discovery-provider JSON file> [-expandEnv])");
    }
}
