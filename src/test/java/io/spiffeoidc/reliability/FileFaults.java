package io.spiffeoidc.reliability;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A second service instance on the file source (200 ms poll), run as an unprivileged user so that removed
 * permissions mean something (root reads any file), against truncation, a directory, chmod 000 and deletion.
 * Its directory is in the run directory, which that user can traverse whatever the checkout's parents allow.
 */
final class FileFaults {

    static final List<String> ROWS = List.of("File source: bundle truncated in place", "File source: file replaced by a directory",
            "File source: read permission removed", "File source: file deleted, then restored");

    private final ReliabilitySuite suite;
    private final Versions versions = new Versions("file");
    private final Path directory;
    private final Path file;
    private int nextVersion;

    FileFaults(ReliabilitySuite suite) {
        this.suite = suite;
        this.directory = suite.runDir.resolve("file-source");
        this.file = directory.resolve("bundle.json");
    }

    private ServiceProcess service;
    private Exception startFailure;

    void start() {
        try {
            Files.createDirectories(directory);
            Files.setPosixFilePermissions(directory, PosixFilePermissions.fromString("rwxr-xr-x"));
            write(versions.publish(versions.build(nextVersion++)));
            service = suite.processes.startService(new Processes.ServiceSpec("file",
                    Map.of("SPIFFE_OIDC_SOURCE", "file", "SPIFFE_OIDC_FILE_PATH", file.toString(),
                            "SPIFFE_OIDC_FILE_POLL_INTERVAL", "200ms"),
                    List.of(), false, suite.unprivileged), suite.tls);
        } catch (Exception e) {
            startFailure = e;
        }
    }

    List<Row> run() {
        List<Row> rows = new ArrayList<>();
        if (startFailure != null) {
            rows.add(Row.failed("File source scenarios", "run", "could not start the service: " + startFailure));
            return rows;
        }
        boolean meaningful = suite.permissionSkip.isEmpty();
        try {
            if (!service.awaitServing(Duration.ofSeconds(180))) {
                for (String name : ROWS) {
                    rows.add(Row.failed(name, "see the scenario list", "not run: the file-source service never served /keys"));
                }
                return rows;
            }
            String user = " (service runs as " + (suite.unprivileged ? "uid 65534" : System.getProperty("user.name")) + ")";
            String kept = "last good keys 200 throughout; restored file served within 6 s";
            Duration hold = Duration.ofSeconds(2);

            rows.add(FaultStep.named(ROWS.get(0), kept)
                    .inject(() -> {
                        byte[] whole = versions.build(900).jwks().getBytes(StandardCharsets.UTF_8);
                        Files.write(file, java.util.Arrays.copyOf(whole, whole.length / 2));
                    })
                    .hold(hold, false)
                    .recover(this::restore, Duration.ofSeconds(6)).run(service, versions, versions.latest().number(), nextVersion++));

            rows.add(FaultStep.named(ROWS.get(1), kept)
                    .inject(() -> {
                        Files.delete(file);
                        Files.createDirectory(file);
                    })
                    .hold(hold, false)
                    .recover((watch, version) -> {
                        Files.delete(file);
                        return restore(watch, version);
                    }, Duration.ofSeconds(6)).run(service, versions, versions.latest().number(), nextVersion++));

            String permissionExpected = kept + "; readiness data names \"permission denied\"";
            if (meaningful) {
                rows.add(FaultStep.named(ROWS.get(2) + user, permissionExpected)
                        .inject(() -> Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("---------")))
                        .hold(hold, false)
                        .during(() -> healthMentions(service, "permission denied"))
                        .recover((watch, version) -> {
                            Versions.Version next = versions.publish(versions.build(version));
                            watch.allow(version);
                            // New content while still unreadable, then the permission comes back.
                            Files.writeString(file, next.jwks());
                            long back = System.nanoTime();
                            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
                            return back;
                        }, Duration.ofSeconds(6)).run(service, versions, versions.latest().number(), nextVersion++));
            } else {
                rows.add(Row.skipped(ROWS.get(2) + user, permissionExpected, suite.permissionSkip));
            }

            rows.add(FaultStep.named(ROWS.get(3), "last good keys 200 throughout; readiness DOWN only after >5 s; restored file"
                    + " served and ready within 6 s")
                    .inject(() -> Files.delete(file))
                    .hold(suite.longMode ? Duration.ofSeconds(12) : Duration.ofMillis(7500), true)
                    .during(() -> healthMentions(service, "does not exist"))
                    .recover(this::restore, Duration.ofSeconds(6)).run(service, versions, versions.latest().number(), nextVersion++));
        } catch (Exception e) {
            rows.add(Row.failed("File source scenarios", "run to the end", "aborted: " + e));
        }
        return rows;
    }

    private long restore(Watch watch, int number) throws IOException {
        Versions.Version next = versions.publish(versions.build(number));
        watch.allow(number);
        long back = System.nanoTime();
        write(next);
        return back;
    }

    /** Writes a version the way a careful writer does: a temporary file, then one rename. */
    private void write(Versions.Version version) throws IOException {
        Path temp = directory.resolve(".bundle.tmp");
        Files.writeString(temp, version.jwks());
        Files.setPosixFilePermissions(temp, PosixFilePermissions.fromString("rw-r--r--"));
        Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    private static String healthMentions(ServiceProcess service, String text) {
        try {
            ServiceProcess.Health health = service.health();
            return health.body().contains(text) ? null : "readiness data does not mention \"" + text + "\": "
                    + Watch.abbreviate(health.body());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
    }
}
