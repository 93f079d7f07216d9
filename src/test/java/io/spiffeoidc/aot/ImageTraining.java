package io.spiffeoidc.aot;

import io.spiffeoidc.testsupport.Await;
import io.spiffeoidc.testsupport.FakeWorkloadApi;
import io.spiffeoidc.testsupport.FreePorts;
import io.spiffeoidc.testsupport.TestBundles;
import io.spiffeoidc.testsupport.TestPki;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The training run of the container image: the AOT cache must be written by the JVM that will read it
 * (a cache from any other JVM build is skipped without a word), so Dockerfile.jvm runs this with the
 * image's own JVM while it builds the image:
 *
 * <pre>
 * java -cp 'target/aot-training/*:/deployments/lib/main/*:/deployments/app/*' io.spiffeoidc.aot.ImageTraining \
 *     /deployments/bin/start /deployments
 * </pre>
 *
 * It starts the service through the launcher with a fake agent on a Unix socket and a certificate from a
 * throwaway CA, drives the {@link TrainingWorkload}, stops the service (the JVM writes the cache as it
 * exits), then starts it once more with {@code SPIFFE_OIDC_AOT=require}, which fails unless the JVM maps
 * the new cache, and stops it at its first answer. Exit status 0 only when both runs served.
 */
public final class ImageTraining {

    static final String TRUST_DOMAIN = "spiffe://example.org";

    public static void main(String[] args) throws Exception {
        if (args.length != 2) {
            System.err.println("usage: ImageTraining <bin/start> <directory of quarkus-run.jar, where bin/start looks for app.aot>");
            System.exit(2);
        }
        Path launcher = Path.of(args[0]).toAbsolutePath();
        Path cache = Path.of(args[1]).toAbsolutePath().resolve("app.aot");
        Path dir = Files.createTempDirectory("aot-training");
        TestPki pki = TestPki.newCa();
        pki.issue("localhost").writeTo(dir.resolve("tls.crt"), dir.resolve("tls.key"));
        try (FakeWorkloadApi agent = new FakeWorkloadApi(dir.resolve("agent.sock"))) {
            agent.setBundle(TRUST_DOMAIN, TestBundles.jwks(TestBundles.ec("training-key-1")));
            agent.start();

            Files.deleteIfExists(cache);
            run(launcher, dir, pki, Map.of("SPIFFE_OIDC_AOT", "off", "JAVA_OPTS_EXTRA", "-XX:AOTCacheOutput=" + cache), service -> {
                service.awaitKey("training-key-1");
                service.serve();
                agent.setBundle(TRUST_DOMAIN, TestBundles.jwks(TestBundles.ec("training-key-1"), TestBundles.ec("training-key-2")));
                service.awaitKey("training-key-2");
                service.serve();
            });
            if (!Files.isRegularFile(cache)) {
                throw new IllegalStateException("the training run wrote no AOT cache at " + cache);
            }
            run(launcher, dir, pki, Map.of("SPIFFE_OIDC_AOT", "require", "JAVA_OPTS_EXTRA", "-Xlog:aot"),
                    service -> service.awaitKey("training-key-2"));
        }
        System.out.println("AOT cache " + cache + " written and used by " + System.getProperty("java.vm.name") + " "
                + System.getProperty("java.vm.version"));
    }

    @FunctionalInterface
    interface Drive {
        void against(TrainingWorkload service) throws Exception;
    }

    private static void run(Path launcher, Path dir, TestPki pki, Map<String, String> env, Drive drive) throws Exception {
        int port = FreePorts.loopback();
        ProcessBuilder builder = new ProcessBuilder(launcher.toString()).inheritIO();
        Map<String, String> environment = builder.environment();
        environment.keySet().removeIf(name -> name.startsWith("SPIFFE_") || name.startsWith("QUARKUS_"));
        environment.putAll(Map.of(
                "SPIFFE_OIDC_SOURCE", "workload-api",
                "SPIFFE_ENDPOINT_SOCKET", "unix://" + dir.resolve("agent.sock"),
                "SPIFFE_OIDC_TRUST_DOMAIN", "example.org",
                "SPIFFE_OIDC_DOMAINS", "localhost",
                "QUARKUS_HTTP_HOST", "127.0.0.1",
                "QUARKUS_HTTP_SSL_PORT", Integer.toString(port),
                "QUARKUS_MANAGEMENT_PORT", Integer.toString(FreePorts.loopback()),
                "QUARKUS_TLS_PUBLIC_KEY_STORE_PEM_0_CERT", dir.resolve("tls.crt").toString(),
                "QUARKUS_TLS_PUBLIC_KEY_STORE_PEM_0_KEY", dir.resolve("tls.key").toString()));
        environment.putAll(env);
        Process service = builder.start();
        try {
            TrainingWorkload workload = new TrainingWorkload(pki.clientContext(), URI.create("https://localhost:" + port));
            // A start on a busy build machine can take many seconds; a start that fails ends the process.
            Await.until("the service to answer", Duration.ofMinutes(3), () -> {
                if (!service.isAlive()) {
                    throw new IllegalStateException("the service exited with status " + service.exitValue() + " before it answered");
                }
                return workload.answers();
            });
            drive.against(workload);
        } finally {
            service.destroy();
            if (!service.waitFor(5, TimeUnit.MINUTES)) {
                service.destroyForcibly();
                throw new IllegalStateException("the service did not stop within 5 minutes");
            }
        }
    }

    private ImageTraining() {
    }
}
