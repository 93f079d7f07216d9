package io.spiffeoidc.reliability;

import io.spiffeoidc.testsupport.FreePorts;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * Every process the suite starts, started here: the packaged service and the fake SPIRE agent; an object
 * store the suite starts through its own class (S3ProxyServer) is recorded here with {@link #track}. Each
 * pid is appended to {@code pids} in the output directory so that run.sh can stop them even if this JVM dies.
 */
final class Processes {

    static final String AGENT_MAIN = "io.spiffeoidc.testsupport.FakeWorkloadApiMain";

    private final Path out;
    private final Path runDir;
    private final Path jar;
    private final List<Process> started = new CopyOnWriteArrayList<>();
    private final List<AutoCloseable> others = new CopyOnWriteArrayList<>();

    Processes(Path out, Path runDir, Path jar) {
        this.out = out;
        this.runDir = runDir;
        this.jar = jar;
        Runtime.getRuntime().addShutdownHook(new Thread(this::stopAll, "stop-children"));
    }

    static boolean agentAvailable() {
        try {
            Class.forName(AGENT_MAIN, false, Processes.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException e) {
            return false;
        }
    }

    private Process launch(List<String> command, Map<String, String> env, Path log, boolean pipeStdout) throws IOException {
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(!pipeStdout);
        builder.environment().putAll(env);
        builder.redirectOutput(pipeStdout ? ProcessBuilder.Redirect.PIPE : ProcessBuilder.Redirect.appendTo(log.toFile()));
        if (pipeStdout) {
            builder.redirectError(ProcessBuilder.Redirect.appendTo(log.toFile()));
        }
        Process process = builder.start();
        started.add(process);
        Files.writeString(out.resolve("pids"), process.pid() + "\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        return process;
    }

    /**
     * A process started elsewhere (an object store, by its own class): its pid goes to {@code pids} like the
     * others', and {@code stop} is called by {@link #stopAll()}. Call again with the new pid after a restart.
     */
    void track(long pid, AutoCloseable stop) throws IOException {
        if (!others.contains(stop)) {
            others.add(stop);
        }
        Files.writeString(out.resolve("pids"), pid + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                StandardOpenOption.APPEND);
    }

    void stopAll() {
        for (Process process : started) {
            process.destroy();
        }
        for (Process process : started) {
            try {
                if (!process.waitFor(10, TimeUnit.SECONDS)) {
                    process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        for (AutoCloseable other : others) {
            try {
                other.close();
            } catch (Exception e) {
                // run.sh kills it by pid
            }
        }
    }

    // ---- the service --------------------------------------------------------------------------------

    /** How one service instance is run. */
    record ServiceSpec(String name, Map<String, String> env, List<String> systemProperties, boolean tls,
            boolean unprivileged) {
    }

    ServiceProcess startService(ServiceSpec spec, Tls tls) throws IOException {
        int port = FreePorts.loopback();
        int management = FreePorts.loopback();
        String scheme = spec.tls() ? "https" : "http";
        Map<String, String> env = new java.util.HashMap<>(spec.env());
        env.put("QUARKUS_HTTP_HOST", Tls.LOOPBACK);
        env.put("QUARKUS_MANAGEMENT_HOST", Tls.LOOPBACK);
        env.put("QUARKUS_MANAGEMENT_PORT", String.valueOf(management));
        env.put("SPIFFE_OIDC_DOMAINS", "127.0.0.1,localhost");
        // A static issuer's scenario names its store's URL instead.
        env.putIfAbsent("SPIFFE_OIDC_ISSUER", scheme + "://127.0.0.1:" + port);
        env.putIfAbsent("SPIFFE_OIDC_STALENESS_THRESHOLD", "5s");
        if (spec.tls()) {
            env.put("QUARKUS_HTTP_SSL_PORT", String.valueOf(port));
            env.put("QUARKUS_HTTP_PORT", String.valueOf(FreePorts.loopback()));
            env.put("QUARKUS_HTTP_INSECURE_REQUESTS", "disabled");
        } else {
            // Listener mode 2 (plain HTTP, no certificate): the production profile requires its PEM files.
            env.put("QUARKUS_PROFILE", "plain-http");
            env.put("QUARKUS_HTTP_PORT", String.valueOf(port));
            env.put("SPIFFE_OIDC_ALLOW_INSECURE_SCHEME", "true");
        }
        List<String> command = new ArrayList<>();
        if (spec.unprivileged()) {
            command.addAll(List.of("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"));
        }
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        Path tmp = runDir.resolve("tmp-" + spec.name());
        command.addAll(List.of("-Xmx128m", "-XX:+UseSerialGC", "-Djava.io.tmpdir=" + tmp));
        Files.createDirectories(tmp);
        tmp.toFile().setWritable(true, false);
        command.addAll(spec.systemProperties());
        command.addAll(List.of("-jar", jar.toString()));
        Path log = out.resolve("service-" + spec.name() + ".log");
        Process process = launch(command, env, log, false);
        return new ServiceProcess(spec.name(), process, scheme, port, management, log, tls);
    }

    // ---- the fake SPIRE agent ------------------------------------------------------------------------

    /** Starts the fake agent on {@code socket}; returns once its control port is known. */
    AgentProcess startAgent(Path socket, String trustDomainId, Path bundleFile) throws IOException {
        return startAgent(socket, trustDomainId, bundleFile == null ? List.of() : List.of("--bundle-file", bundleFile.toString()),
                "agent.log");
    }

    /** Starts the fake agent with its first bundles from {@code bundleArguments} (--bundle-file or --map-file), logging to {@code logName}. */
    AgentProcess startAgent(Path socket, String trustDomainId, List<String> bundleArguments, String logName) throws IOException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx64m", "-XX:+UseSerialGC", "-cp", System.getProperty("java.class.path"), AGENT_MAIN,
                "--socket", socket.toString(), "--control-port", "0", "--trust-domain", trustDomainId));
        command.addAll(bundleArguments);
        Process process = launch(command, Map.of(), out.resolve(logName), true);
        BufferedReader stdout = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        CompletableFuture<String> first = CompletableFuture.supplyAsync(() -> {
            try {
                return stdout.readLine();
            } catch (IOException e) {
                return null;
            }
        });
        String line;
        try {
            line = first.get(120, TimeUnit.SECONDS);
        } catch (Exception e) {
            line = null;
        }
        if (line == null || !line.startsWith("control-port=")) {
            process.destroyForcibly();
            throw new IOException("the fake agent did not print control-port= (got " + line + "); see " + logName);
        }
        Thread drain = new Thread(() -> {
            try {
                while (stdout.readLine() != null) {
                    // keep the pipe from filling
                }
            } catch (IOException ignored) {
                // process ended
            }
        }, "agent-stdout");
        drain.setDaemon(true);
        drain.start();
        return new AgentProcess(process, Integer.parseInt(line.substring("control-port=".length()).trim()));
    }

    /** The fake agent process and its loopback control interface. */
    static final class AgentProcess {
        private static final HttpClient CONTROL = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3)).build();
        final Process process;
        final int controlPort;

        AgentProcess(Process process, int controlPort) {
            this.process = process;
            this.controlPort = controlPort;
        }

        /** POST /command with body; throws unless the agent answers 204. */
        void control(String command, String body) {
            try {
                HttpResponse<String> response = CONTROL.send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + controlPort + "/" + command)).timeout(Duration.ofSeconds(10))
                        .POST(HttpRequest.BodyPublishers.ofString(body == null ? "" : body)).build(),
                        HttpResponse.BodyHandlers.ofString());
                if (response.statusCode() != 204) {
                    throw new IllegalStateException("agent /" + command + " answered " + response.statusCode() + ": "
                            + response.body());
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }

        /** SIGKILL: no clean-up, the socket file stays behind. */
        void kill() throws InterruptedException {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
    }
}
