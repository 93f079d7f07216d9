package io.spiffeoidc.spire;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** How these tests start the packaged service: the one place that knows the launcher. */
public final class PackagedService {

    private PackagedService() {
    }

    /**
     * The command that starts the package of the project at {@code projectRoot} (which may be where a test
     * mounted it) with {@code args}, as the image starts it: the project's launcher when it has one, otherwise
     * the image's JVM flags and the fast-jar.
     */
    public static List<String> command(Path projectRoot, List<String> args) {
        List<String> command = new ArrayList<>();
        if (Files.isExecutable(Path.of("bin/start"))) {
            command.add(projectRoot.resolve("bin/start").toString());
        } else {
            command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            command.add("-XX:-UsePerfData");
            command.add("-Djava.library.path=" + projectRoot.resolve("target/quarkus-app/native"));
            command.add("-jar");
            command.add(projectRoot.resolve("target/quarkus-app/quarkus-run.jar").toString());
        }
        command.addAll(args);
        return command;
    }

}
