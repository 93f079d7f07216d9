package io.spiffeoidc.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The packaged service refuses bad settings with one line naming the property and a non-zero exit. */
class StartupFailureIT {

    private record Outcome(int exitCode, List<String> lines) {
    }

    private static Outcome start(Map<String, String> env) throws IOException, InterruptedException {
        Path jar = Path.of("target/quarkus-app/quarkus-run.jar");
        ProcessBuilder builder = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar", jar.toString()).redirectErrorStream(true);
        builder.environment().keySet().removeIf(name -> name.startsWith("SPIFFE_") || name.startsWith("QUARKUS_"));
        // The production profile first needs its certificate files; plain-http reaches our own check directly.
        builder.environment().put("QUARKUS_PROFILE", "plain-http");
        builder.environment().put("QUARKUS_HTTP_PORT", "0");
        builder.environment().put("QUARKUS_HTTP_SSL_PORT", "0");
        builder.environment().put("QUARKUS_MANAGEMENT_PORT", "0");
        builder.environment().putAll(env);
        Process process = builder.start();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("the service did not exit on invalid configuration");
        }
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        return new Outcome(process.exitValue(), output.lines().filter(l -> !l.isBlank()).toList());
    }

    @Test
    void missingFilePathStopsStartUp() throws Exception {
        Outcome outcome = start(Map.of("SPIFFE_OIDC_SOURCE", "file", "SPIFFE_OIDC_DOMAINS", "oidc.example.org"));
        assertNotEquals(0, outcome.exitCode());
        assertEquals(List.of("Invalid configuration: spiffe-oidc.file.path: required when spiffe-oidc.source=file"),
                outcome.lines());
    }

    @Test
    void everyProblemIsNamedOnTheSameLine() throws Exception {
        Outcome outcome = start(Map.of("SPIFFE_OIDC_SOURCE", "workload-api", "SPIFFE_OIDC_ISSUER", "http://oidc.example.org",
                "SPIFFE_OIDC_CACHE_MAX_AGE", "86400"));
        assertNotEquals(0, outcome.exitCode());
        assertEquals(1, outcome.lines().size(), outcome.lines().toString());
        String line = outcome.lines().get(0);
        assertTrue(line.contains("spiffe-oidc.workload-api.socket: required"), line);
        assertTrue(line.contains("spiffe-oidc.trust-domain: required"), line);
        assertTrue(line.contains("spiffe-oidc.issuer: \"http://oidc.example.org\" must be an https URL"), line);
        assertTrue(line.contains("spiffe-oidc.cache-max-age: 86400 s is outside"), line);
    }

    @Test
    void anUnknownSourceIsNamed() throws Exception {
        Outcome outcome = start(Map.of("SPIFFE_OIDC_SOURCE", "ldap"));
        assertNotEquals(0, outcome.exitCode());
        String all = String.join("\n", outcome.lines());
        assertTrue(all.contains("spiffe-oidc.source"), all);
    }
}
