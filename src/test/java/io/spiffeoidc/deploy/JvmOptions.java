package io.spiffeoidc.deploy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/** bin/jvm.options as java reads an argument file: blank-separated options, # to the end of a line a comment. */
final class JvmOptions {

    static final Path FILE = Path.of("bin/jvm.options");

    private JvmOptions() {
    }

    static List<String> load() {
        try {
            return Files.readAllLines(FILE).stream().map(line -> line.replaceFirst("#.*", "").strip())
                    .filter(line -> !line.isEmpty()).flatMap(line -> Arrays.stream(line.split("\\s+"))).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The value of {@code -XX:<name>=} in the file, or null. */
    static String value(String name) {
        return load().stream().filter(o -> o.startsWith("-XX:" + name + "=")).map(o -> o.substring(o.indexOf('=') + 1))
                .findFirst().orElse(null);
    }
}
