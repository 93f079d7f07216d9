package io.spiffeoidc.spire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.spiffeoidc.testsupport.Await;
import io.spiffeoidc.testsupport.FreePorts;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The packaged service started with SPIRE's command line: every configuration SPIRE's rules refuse stops it
 * with exit status 1 and one line naming the key; an unknown key is one WARN line and the service serves;
 * log_file_rotation rotates the log file on disk.
 */
class SpireConfigFileIT {

    private static final Path DIR = Path.of("target/spire-config-it");

    private record Outcome(int exitCode, List<String> lines) {
    }

    private static Path file(String name, String content) throws IOException {
        Files.createDirectories(DIR);
        Path file = DIR.resolve(name).toAbsolutePath();
        Files.writeString(file, content);
        return file;
    }

    private static ProcessBuilder builder(List<String> args) {
        ProcessBuilder builder = new ProcessBuilder(PackagedService.command(Path.of("").toAbsolutePath(), args))
                .redirectErrorStream(true);
        builder.environment().keySet().removeIf(name -> name.startsWith("SPIFFE_") || name.startsWith("QUARKUS_"));
        builder.environment().put("QUARKUS_MANAGEMENT_PORT", "0");
        return builder;
    }

    private static Outcome run(String... args) throws IOException, InterruptedException {
        Process process = builder(List.of(args)).start();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("the service did not exit on an invalid configuration");
        }
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        return new Outcome(process.exitValue(), output.lines().filter(l -> !l.isBlank()).toList());
    }

    private static void refused(String name, String json, String problem) throws Exception {
        Path config = file(name, json);
        Outcome outcome = run("-config", config.toString());
        assertEquals(1, outcome.exitCode(), outcome.lines().toString());
        assertEquals(List.of("Invalid SPIRE configuration " + config + ": " + problem), outcome.lines());
    }

    private static final String AGENT = "\"workload_api\": {\"socket_path\": \"/run/agent.sock\", \"trust_domain\": \"example.org\"}";
    private static final String CERT = "\"serving_cert_file\": {\"addr\": \":8443\", \"cert_file_path\": \"/etc/oidc/tls/tls.crt\","
            + " \"key_file_path\": \"/etc/oidc/tls/tls.key\"}";

    @Test
    void noSourceSection() throws Exception {
        refused("no-source.json", "{\"domains\": [\"oidc.example.org\"], " + CERT + "}",
                "exactly one of the server_api, workload_api or file sections must be configured");
    }

    @Test
    void twoSourceSections() throws Exception {
        refused("two-sources.json", "{\"domains\": [\"oidc.example.org\"], " + CERT + ", " + AGENT
                + ", \"file\": {\"path\": \"/etc/bundle.json\"}}",
                "workload_api, file: only one source section may be configured");
    }

    @Test
    void acmeCannotApply() throws Exception {
        refused("acme.json", "{\"domains\": [\"oidc.example.org\"], " + AGENT
                + ", \"acme\": {\"email\": \"a@example.org\", \"tos_accepted\": true}}",
                "acme: not supported: this service does not obtain certificates itself; use serving_cert_file (for"
                        + " example the service CA's or cert-manager's secret), serving_cert_source \"workload_api\" (the"
                        + " agent's X509-SVID) or insecure_addr/listen_socket_path"
                        + " behind a proxy that terminates TLS");
    }

    @Test
    void namedPipesCannotApply() throws Exception {
        refused("pipe.json", "{\"domains\": [\"oidc.example.org\"], " + CERT
                + ", \"workload_api\": {\"trust_domain\": \"example.org\", \"experimental\": {\"named_pipe_name\": \"\\\\spire-agent\\\\public\\\\api\"}}}",
                "workload_api.experimental.named_pipe_name: Windows named pipes are not supported (Linux only)");
    }

    @Test
    void twoListeners() throws Exception {
        refused("two-listeners.json", "{\"domains\": [\"oidc.example.org\"], " + CERT + ", " + AGENT
                + ", \"insecure_addr\": \":8080\"}", "serving_cert_file, insecure_addr: only one listener may be configured");
    }

    @Test
    void malformedJson() throws Exception {
        refused("malformed.json", "{\"domains\": [\"oidc.example.org\",\n  " + AGENT + "\n",
                "not valid JSON at line 2, column 17: Unexpected character (':' (code 58)): was expecting comma to separate Array entries");
    }

    @Test
    void wrongTypesAreNamedOnOneLine() throws Exception {
        refused("types.json", "{\"domains\": \"oidc.example.org\", " + CERT + ", " + AGENT
                + ", \"set_key_use\": \"yes\", \"health_checks\": {\"bind_port\": \"eighty\"}}",
                "domains: must be a list of strings, not the string \"oidc.example.org\"; set_key_use: must be true or false,"
                        + " not the string \"yes\"; health_checks.bind_port: must be a port number (a number or a string"
                        + " of digits), not the string \"eighty\"");
    }

    @Test
    void domainsMissing() throws Exception {
        refused("no-domains.json", "{" + CERT + ", " + AGENT + "}",
                "domains: required: the host names the provider is served under");
    }

    @Test
    void hclIsNotRead() throws Exception {
        refused("provider.conf", "domains = [\"oidc.example.org\"]\nworkload_api {\n  trust_domain = \"example.org\"\n}\n",
                "HCL is not supported; the file must be JSON (as the Zero Trust Workload Identity Manager writes it)");
    }

    @Test
    void anUnknownArgumentStopsStartUp() throws Exception {
        Path config = file("valid.json", "{\"domains\": [\"oidc.example.org\"], " + CERT + ", " + AGENT + "}");
        Outcome outcome = run("-config", config.toString(), "-debug");
        assertEquals(1, outcome.exitCode());
        assertEquals(List.of("Invalid arguments: unknown argument \"-debug\" (usage: -config <path to SPIRE's"
                + " oidc-discovery-provider JSON file> [-expandEnv])"), outcome.lines());
    }

    @Test
    void aMissingFileIsNamed() throws Exception {
        Outcome outcome = run("-config", "/nonexistent/oidc-discovery-provider.conf");
        assertEquals(1, outcome.exitCode());
        assertEquals(List.of("Cannot read the SPIRE configuration file /nonexistent/oidc-discovery-provider.conf"
                + " (NoSuchFileException: /nonexistent/oidc-discovery-provider.conf)"), outcome.lines());
    }

    /** The file's values pass the service's own checks, which name the property the key maps to. */
    @Test
    void mappedValuesGoThroughTheServicesOwnChecks() throws Exception {
        Path config = file("no-trust-domain.json", "{\"domains\": [\"oidc.example.org\"], \"insecure_addr\": \"127.0.0.1:0\","
                + " \"workload_api\": {\"socket_path\": \"/run/agent.sock\"}}");
        Outcome outcome = run("-config", config.toString());
        assertNotEquals(0, outcome.exitCode());
        assertEquals(1, outcome.lines().size(), outcome.lines().toString());
        assertTrue(outcome.lines().get(0).startsWith("Invalid configuration: ")
                && outcome.lines().get(0).contains("spiffe-oidc.trust-domain: required"), outcome.lines().get(0));
    }

    /**
     * A key this version does not know (a newer operator's) is one WARN line and the service serves; with
     * log_format "json" every line is a JSON object with SPIRE's field names.
     */
    @Test
    void anUnknownKeyIsOneWarningAndTheServiceServes() throws Exception {
        int port = FreePorts.loopback();
        int health = FreePorts.loopback();
        Path bundle = Path.of("examples/bundle.json").toAbsolutePath();
        Path config = file("unknown-key.json", "{\"domains\": [\"localhost\", \"127.0.0.1\"], \"insecure_addr\": \"127.0.0.1:" + port + "\","
                + " \"file\": {\"path\": \"" + bundle + "\"}, \"health_checks\": {\"bind_port\": " + health + "},"
                + " \"log_format\": \"json\", \"set_key_use\": true, \"newer_option\": {\"enabled\": true}}");
        Path log = DIR.resolve("unknown-key.log");
        Process process = builder(List.of("-config", config.toString())).redirectOutput(log.toFile()).start();
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
        try {
            Await.until("keys served on the insecure_addr listener", Duration.ofSeconds(60),
                    () -> status(client, "http://127.0.0.1:" + port + "/keys") == 200);
            Await.until("ready on the health_checks port", Duration.ofSeconds(10),
                    () -> status(client, "http://127.0.0.1:" + health + "/ready") == 200);
            assertTrue(body(client, "http://127.0.0.1:" + port + "/keys").contains("\"use\":\"sig\""), "set_key_use");
        } finally {
            process.destroy();
            process.waitFor(20, TimeUnit.SECONDS);
        }
        List<String> lines = Files.readAllLines(log).stream().filter(l -> !l.isBlank()).toList();
        List<String> warnings = new ArrayList<>();
        for (String line : lines) {
            assertTrue(line.startsWith("{\"time\":\"") && line.endsWith("}"), "not a JSON line: " + line);
            if (line.contains("\"level\":\"warning\"") && line.contains("unknown key")) {
                warnings.add(line);
            }
        }
        assertEquals(1, warnings.size(), lines.toString());
        assertTrue(warnings.get(0).contains("unknown key \\\"newer_option\\\" ignored"), warnings.get(0));
    }

    @Test
    void rotationWithoutALogFile() throws Exception {
        refused("rotation-no-log-path.json", "{\"domains\": [\"oidc.example.org\"], " + CERT + ", " + AGENT
                + ", \"log_file_rotation\": {\"max_size_mb\": 10}}",
                "log_file_rotation: requires log_path (only the log file is rotated)");
    }

    /**
     * log_file_rotation on a real file: the file found at start is appended to (not moved aside, as SPIRE
     * does), it moves to log_path.1 once it exceeds max_size_mb, writing goes on at log_path, and only
     * max_files rotated files remain. The volume comes from log_requests: one access-log line per request,
     * each made long by its query.
     */
    @Test
    void theLogFileRotatesBySizeAndKeepsMaxFiles() throws Exception {
        int port = FreePorts.loopback();
        Path dir = DIR.resolve("rotation").toAbsolutePath();
        if (Files.exists(dir)) {
            try (var files = Files.list(dir)) {
                for (Path f : files.toList()) {
                    Files.delete(f);
                }
            }
        }
        Files.createDirectories(dir);
        Path log = dir.resolve("oidc.log");
        String before = "a line written before this start";
        Files.writeString(log, before + "\n");
        Path bundle = Path.of("examples/bundle.json").toAbsolutePath();
        Path config = file("rotation.json", "{\"domains\": [\"localhost\", \"127.0.0.1\"], \"insecure_addr\": \"127.0.0.1:" + port
                + "\", \"file\": {\"path\": \"" + bundle + "\"}, \"log_path\": \"" + log + "\", \"log_requests\": true,"
                + " \"log_file_rotation\": {\"max_size_mb\": 1, \"max_files\": 2}}");
        Process process = builder(List.of("-config", config.toString())).redirectOutput(DIR.resolve("rotation.out").toFile())
                .start();
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(1)).build();
        // The request line is limited to 2048 bytes; the query does not change the answer.
        String padding = "x".repeat(1900);
        int[] sent = {0};
        try {
            Await.until("keys served on the insecure_addr listener", Duration.ofSeconds(60),
                    () -> status(client, "http://127.0.0.1:" + port + "/keys") == 200);
            assertEquals(before, Files.readAllLines(log).get(0), "the file found at start is appended to");
            assertFalse(Files.exists(dir.resolve("oidc.log.1")), "no rotation at start");
            // Until the file the service found at start has been rotated out twice and deleted: three rotations.
            Await.until("three rotations", Duration.ofSeconds(120), () -> {
                for (int i = 0; i < 50; i++) {
                    status(client, "http://127.0.0.1:" + port + "/keys?r=" + sent[0]++ + "&p=" + padding);
                }
                Path oldest = dir.resolve("oidc.log.2");
                return Files.exists(oldest) && !firstLine(oldest).equals(before);
            }, () -> sent[0] + " requests sent; " + listing(dir));
        } finally {
            process.destroy();
            process.waitFor(20, TimeUnit.SECONDS);
        }
        assertEquals(List.of("oidc.log", "oidc.log.1", "oidc.log.2"), listing(dir).stream().map(e -> e.split(" ")[0]).toList(),
                "the live file keeps its path; max_files = 2 rotated files remain");
        long bound = 1024 * 1024;
        List<Integer> sequence = new ArrayList<>();
        for (String name : List.of("oidc.log.2", "oidc.log.1", "oidc.log")) {
            Path file = dir.resolve(name);
            if (!name.equals("oidc.log")) {
                long size = Files.size(file);
                // Rotated before the first record written past the bound: over it by at most one line.
                assertTrue(size > bound && size < bound + 8192, name + ": " + size + " bytes");
            }
            for (String line : Files.readAllLines(file)) {
                assertNotEquals(before, line, "the first file was deleted");
                int at = line.indexOf("/keys?r=");
                if (at >= 0) {
                    sequence.add(Integer.parseInt(line.substring(at + 8, line.indexOf('&', at + 8))));
                }
            }
        }
        sequence.sort(null);
        assertTrue(sequence.get(0) > 0, "the oldest requests went with the deleted file");
        for (int i = 1; i < sequence.size(); i++) {
            assertEquals(sequence.get(i - 1) + 1, sequence.get(i), "no line lost across rotations");
        }
        System.out.printf("rotation: %d requests, %s; requests %d..%d kept%n", sent[0], listing(dir), sequence.get(0),
                sequence.get(sequence.size() - 1));
    }

    private static String firstLine(Path file) {
        try (var lines = Files.lines(file)) {
            return lines.findFirst().orElse("");
        } catch (IOException e) {
            return "";
        }
    }

    /** "name size" for each file of {@code dir}, sorted by name. */
    private static List<String> listing(Path dir) {
        try (var files = Files.list(dir)) {
            return files.map(f -> f.getFileName() + " " + f.toFile().length()).sorted().toList();
        } catch (IOException e) {
            return List.of(e.toString());
        }
    }

    private static int status(HttpClient client, String url) {
        try {
            return client.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(1)).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    private static String body(HttpClient client, String url) throws IOException, InterruptedException {
        return client.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(2)).build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }
}
