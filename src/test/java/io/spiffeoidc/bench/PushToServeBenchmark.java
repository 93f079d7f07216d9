package io.spiffeoidc.bench;

import com.nimbusds.jose.jwk.JWK;
import io.spiffeoidc.bundle.BundlePublisher;
import io.spiffeoidc.bundle.PublishedBundle;
import io.spiffeoidc.bundle.SourceState;
import io.spiffeoidc.source.workload.WorkloadApiSource;
import io.spiffeoidc.testsupport.FakeWorkloadApi;
import io.spiffeoidc.testsupport.ForwardingSink;
import io.spiffeoidc.testsupport.TestBundles;
import io.spiffeoidc.testsupport.TestPublishers;
import io.spiffeoidc.testsupport.TestSinks;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * Measures, with the production WorkloadApiSource and timings, how long a key rotation pushed by the agent
 * takes to be served, and how long the source takes to deliver again after the agent restarts. Not a test:
 *
 * <pre>
 * ./mvnw -q test-compile dependency:build-classpath -Dmdep.outputFile=target/test-classpath.txt -Dmdep.includeScope=test
 * java -Djava.util.logging.manager=org.jboss.logmanager.LogManager \
 *     -cp target/test-classes:target/classes:$(cat target/test-classpath.txt) \
 *     io.spiffeoidc.bench.PushToServeBenchmark [rotations=200] [restarts=20] 2>/dev/null
 * </pre>
 */
public final class PushToServeBenchmark {

    private static final String TRUST_DOMAIN = "spiffe://example.org";
    private static final int WARM_UP = 30;

    private PushToServeBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int rotations = args.length > 0 ? Integer.parseInt(args[0]) : 200;
        int restarts = args.length > 1 ? Integer.parseInt(args[1]) : 20;
        Path dir = Files.createTempDirectory("push-bench");
        Path socket = dir.resolve("agent.sock");
        BundlePublisher publisher = TestPublishers.publisher("workload-api", Clock.systemUTC());
        Probe probe = new Probe(publisher);
        List<JWK> keys = new ArrayList<>();
        for (int i = 0; i <= WARM_UP + rotations; i++) {
            keys.add(TestBundles.ec(String.format(Locale.ROOT, "k%05d", i)));
        }
        try (FakeWorkloadApi agent = new FakeWorkloadApi(socket);
                WorkloadApiSource source = new WorkloadApiSource(socket, WorkloadApiSource.Timings.DEFAULT)) {
            agent.setBundle(TRUST_DOMAIN, TestBundles.jwks(keys.get(0)));
            agent.start();
            source.start(TestSinks.of("example.org", probe));
            await(() -> serves(publisher, keys.get(0).getKeyID()));

            long[] pushToServe = new long[rotations];
            for (int i = 1; i < keys.size(); i++) {
                // A rotation as SPIRE does it: the new key joins, the oldest leaves.
                String document = TestBundles.jwks(keys.get(i - 1), keys.get(i));
                String kid = keys.get(i).getKeyID();
                probe.expect(kid);
                long pushed = System.nanoTime();
                agent.setBundle(TRUST_DOMAIN, document);
                await(() -> probe.servedAt != 0);
                if (i > WARM_UP) {
                    pushToServe[i - WARM_UP - 1] = probe.servedAt - pushed;
                }
            }
            report("push-to-serve over " + rotations + " rotations", pushToServe);

            for (long downMillis : new long[] {0, 1000, 5000, 25000}) {
                long[] reconnect = new long[restarts];
                for (int r = 0; r < restarts; r++) {
                    agent.stop();
                    await(() -> publisher.view().status().source().state() == SourceState.DOWN);
                    Thread.sleep(downMillis);
                    probe.upAt = 0;
                    long back = System.nanoTime();
                    agent.start();
                    await(() -> probe.upAt != 0);
                    reconnect[r] = probe.upAt - back;
                }
                report("agent back to source up, agent down " + downMillis + " ms, " + restarts + " restarts", reconnect);
            }
        }
    }

    private static boolean serves(BundlePublisher publisher, String kid) {
        PublishedBundle current = publisher.view().served();
        return current != null && current.keyIds().contains(kid);
    }

    private static void await(BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("no progress in 30 s");
            }
            LockSupport.parkNanos(20_000);
        }
    }

    private static void report(String what, long[] nanos) {
        long[] sorted = nanos.clone();
        Arrays.sort(sorted);
        System.out.printf(Locale.ROOT, "%s: p50 %.3f ms, p99 %.3f ms, max %.3f ms%n", what,
                percentile(sorted, 0.50), percentile(sorted, 0.99), sorted[sorted.length - 1] / 1e6);
    }

    private static double percentile(long[] sorted, double p) {
        int index = (int) Math.ceil(p * sorted.length) - 1;
        return sorted[Math.max(0, index)] / 1e6;
    }

    /** Notes the instant the publisher starts serving an expected key, and when the source reports up. */
    private static final class Probe extends ForwardingSink {
        private final BundlePublisher publisher;
        private volatile String expected;
        volatile long servedAt;
        volatile long upAt;

        Probe(BundlePublisher publisher) {
            super(publisher);
            this.publisher = publisher;
        }

        void expect(String kid) {
            servedAt = 0;
            expected = kid;
        }

        @Override
        public void offerDocument(byte[] document) {
            super.offerDocument(document);
            if (expected != null && serves(publisher, expected)) {
                servedAt = System.nanoTime();
            }
        }

        @Override
        public void sourceUp(boolean streaming) {
            super.sourceUp(streaming);
            if (upAt == 0) {
                upAt = System.nanoTime();
            }
        }
    }
}
