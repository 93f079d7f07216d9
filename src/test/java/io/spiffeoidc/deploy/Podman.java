package io.spiffeoidc.deploy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The container engine, as the image tests call it: podman with the settings of
 * src/test/container/containers.conf (unless CONTAINERS_CONF names others), every call bounded in time.
 */
public final class Podman {

    /** The image under test, built by src/test/container/run.sh. */
    public static final String IMAGE_PROPERTY = "container.image";

    private static final Path CONF = Path.of("src/test/container/containers.conf").toAbsolutePath();

    public record Result(int exitCode, String stdout, String stderr) {
        public List<String> lines() {
            List<String> lines = new ArrayList<>();
            stdout.lines().filter(l -> !l.isBlank()).forEach(lines::add);
            stderr.lines().filter(l -> !l.isBlank()).forEach(lines::add);
            return lines;
        }

        public String orFail(String what) {
            if (exitCode != 0) {
                throw new AssertionError(what + ": podman exited with " + exitCode + "\n" + stderr + stdout);
            }
            return stdout.strip();
        }
    }

    private Podman() {
    }

    public static String image() {
        String image = System.getProperty(IMAGE_PROPERTY, "");
        if (image.isBlank()) {
            throw new IllegalStateException("-D" + IMAGE_PROPERTY + " names no image");
        }
        return image;
    }

    public static Result call(Duration limit, List<String> args) {
        List<String> command = new ArrayList<>();
        command.add("podman");
        command.addAll(args);
        try {
            Path out = Files.createTempFile("podman", ".out");
            Path err = Files.createTempFile("podman", ".err");
            try {
                ProcessBuilder builder = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile());
                if (System.getenv("CONTAINERS_CONF") == null) {
                    builder.environment().put("CONTAINERS_CONF", CONF.toString());
                }
                Process process = builder.start();
                if (!process.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
                    process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                    throw new AssertionError(String.join(" ", command) + " did not end within " + limit);
                }
                return new Result(process.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                        Files.readString(err, StandardCharsets.UTF_8));
            } finally {
                Files.deleteIfExists(out);
                Files.deleteIfExists(err);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    public static Result call(String... args) {
        return call(Duration.ofSeconds(60), List.of(args));
    }

    /** Removes the container if it exists, whatever its state. */
    public static void remove(String container) {
        call("rm", "--force", "--ignore", "--time", "5", container);
    }

    /** The host's process ID of the container's first process, 0 when it is not running. */
    public static long pid(String container) {
        return Long.parseLong(call("inspect", "--format", "{{.State.Pid}}", container).orFail("inspect " + container));
    }

    /** The cgroup controllers podman can use here: limits are applied only through these. */
    public static Set<String> cgroupControllers() {
        String list = call("info", "--format", "{{.Host.CgroupControllers}}").orFail("podman info");
        return Set.of(list.replaceAll("[\\[\\]]", "").trim().split("\\s+"));
    }

    public static boolean running(String container) {
        return call("inspect", "--format", "{{.State.Running}}", container).stdout().strip().equals("true");
    }

    public static String logs(String container) {
        Result logs = call("logs", container);
        return logs.stdout() + logs.stderr();
    }
}
