package io.spiffeoidc.testsupport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * One object store emulator run as a process of its own (S3ProxyServer, AzuriteServer): started with its output
 * appended to a log file under target/object-stores, ready once every one of its loopback ports accepts a
 * connection, stopped with SIGTERM so that it writes what it holds, and killed when the test JVM exits.
 */
final class StoreProcess {

    static final Path LOG_DIRECTORY = Path.of("target", "object-stores").toAbsolutePath();
    static final Duration READY = Duration.ofSeconds(90);
    private static final Duration STOP = Duration.ofSeconds(20);
    private static final int TAIL_LINES = 40;

    private final String name;
    private final List<String> command;
    private final List<Integer> ports;
    private final Set<String> unsetEnvironment;
    private final Path log;
    private final Thread killOnExit = new Thread(this::kill, "stop-object-store");
    private Process process;

    /** The first port names the log; {@code unsetEnvironment} are variables of this JVM the process must not see. */
    StoreProcess(String name, List<String> command, List<Integer> ports, Set<String> unsetEnvironment) {
        this.name = name;
        this.command = List.copyOf(command);
        this.ports = List.copyOf(ports);
        this.unsetEnvironment = Set.copyOf(unsetEnvironment);
        this.log = LOG_DIRECTORY.resolve(name + "-" + ports.get(0) + ".log");
    }

    Path log() {
        return log;
    }

    synchronized boolean running() {
        return process != null && process.isAlive();
    }

    /** The running process's id, for a caller that records what it started; empty when stopped. */
    synchronized OptionalLong pid() {
        return process == null ? OptionalLong.empty() : OptionalLong.of(process.pid());
    }

    /** Starts the process and returns once all its ports accept connections; fails with the log's tail otherwise. */
    synchronized void start() {
        if (running()) {
            throw new IllegalStateException(name + " is already running (pid " + process.pid() + ")");
        }
        try {
            Files.createDirectories(LOG_DIRECTORY);
            Files.writeString(log, "---- " + Instant.now() + " " + String.join(" ", command) + "\n", StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
            builder.environment().keySet().removeAll(unsetEnvironment);
            process = builder.start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + name + ": " + String.join(" ", command), e);
        }
        Runtime.getRuntime().addShutdownHook(killOnExit);
        Process started = process;
        long begin = System.nanoTime();
        try {
            Await.until(name + " listening on 127.0.0.1 port(s) " + ports, READY,
                    () -> !started.isAlive() || ports.stream().allMatch(StoreProcess::accepts), this::logTail);
        } catch (AssertionError e) {
            stop();
            throw e;
        }
        if (!started.isAlive()) {
            stop();
            throw new AssertionError(name + " exited with status " + started.exitValue() + " before it listened; "
                    + logTail());
        }
        appendToLog("---- listening after " + (System.nanoTime() - begin) / 1_000_000 + " ms\n");
    }

    /** SIGTERM, then SIGKILL if it has not exited in time; returns once the process is gone. */
    synchronized void stop() {
        if (process == null) {
            return;
        }
        Process stopping = process;
        process = null;
        stopping.descendants().forEach(ProcessHandle::destroy);
        stopping.destroy();
        try {
            if (!stopping.waitFor(STOP.toMillis(), TimeUnit.MILLISECONDS)) {
                appendToLog("---- did not stop within " + STOP.toSeconds() + " s of SIGTERM: killed\n");
                stopping.descendants().forEach(ProcessHandle::destroyForcibly);
                stopping.destroyForcibly().waitFor(STOP.toMillis(), TimeUnit.MILLISECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            stopping.destroyForcibly();
        }
        try {
            Runtime.getRuntime().removeShutdownHook(killOnExit);
        } catch (IllegalStateException e) {
            // the JVM is exiting: the hook is running or has run
        }
        if (!stopping.isAlive()) {
            appendToLog("---- stopped, exit status " + stopping.exitValue() + "\n");
        }
    }

    private void kill() {
        Process running = process;
        if (running != null) {
            running.descendants().forEach(ProcessHandle::destroyForcibly);
            running.destroyForcibly();
        }
    }

    /** The last lines of the log, for failure messages. */
    String logTail() {
        try {
            if (!Files.exists(log)) {
                return "(no log at " + log + ")";
            }
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            List<String> tail = new ArrayList<>(lines.subList(Math.max(0, lines.size() - TAIL_LINES), lines.size()));
            return "last " + tail.size() + " lines of " + log + ":\n" + String.join("\n", tail);
        } catch (IOException | UncheckedIOException e) {
            return "(cannot read " + log + ": " + e + ")";
        }
    }

    private void appendToLog(String line) {
        try {
            Files.writeString(log, line, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            // the log is for people; losing a marker line is not a test failure
        }
    }

    static boolean accepts(int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** The java executable of this JVM (the build's JAVA_HOME under Maven). */
    static String javaExecutable() {
        return ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    }

    /** A file or directory named by a system property the build sets, or its default under target/stores. */
    static Path installed(String property, String defaultUnderTarget, String whatIsMissing) {
        Path path = Path.of(System.getProperty(property, Path.of("target", "stores", defaultUnderTarget).toString()))
                .toAbsolutePath();
        if (!Files.exists(path)) {
            throw new IllegalStateException(whatIsMissing + " is not at " + path + " (system property " + property
                    + "): the build puts it there in pre-integration-test, so run ./mvnw verify (not -DskipITs)");
        }
        return path;
    }
}
