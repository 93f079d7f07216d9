package io.spiffeoidc.storage;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The static-issuer scenarios against real object stores started on loopback: S3Proxy (the S3 API) and
 * Azurite (Azure Blob Storage), each read by a relying party through anonymous GETs of its public URL.
 */
class StoreTargetsIT {

    private static final Path WORK = Path.of("target", "object-stores", "targets").toAbsolutePath();

    static String percentiles(List<Long> millis) {
        List<Long> sorted = new ArrayList<>(millis);
        Collections.sort(sorted);
        return "p50 " + sorted.get(sorted.size() / 2) + " ms, p99 " + sorted.get((int) Math.ceil(sorted.size() * 0.99) - 1)
                + " ms, max " + sorted.get(sorted.size() - 1) + " ms over " + sorted.size() + " rotations";
    }

    @TestInstance(TestInstance.Lifecycle.PER_CLASS)
    abstract static class Scenarios {
        private StoreFixture store;

        /** Starts the store, with its data under {@code work}. */
        abstract StoreFixture open(Path work) throws Exception;

        abstract String name();

        @BeforeAll
        void start() throws Exception {
            store = open(Files.createDirectories(WORK.resolve(name() + "-" + System.nanoTime())));
        }

        @AfterAll
        void stop() throws Exception {
            ((AutoCloseable) store).close();
        }

        private StaticIssuerScenarios scenarios() {
            return new StaticIssuerScenarios(store);
        }

        @Test
        void publishesWhatTheListenerServes() throws Exception {
            scenarios().publishesWhatTheListenerServes();
        }

        @Test
        void rotationsAsARelyingPartySeesThem() throws Exception {
            List<Long> millis = scenarios().rotationsAsARelyingPartySeesThem(50);
            System.out.println(name() + ": offer to readable from the public URL: " + percentiles(millis));
        }

        @Test
        void outageDuringRotation() throws Exception {
            scenarios().outageDuringRotation();
        }

        @Test
        void twoInstancesOneFedLate() throws Exception {
            scenarios().twoInstancesOneFedLate(50, false);
        }
    }

    @Nested
    class S3 extends Scenarios {
        @Override
        StoreFixture open(Path work) throws Exception {
            return new S3ProxyFixture(work);
        }

        @Override
        String name() {
            return "S3Proxy";
        }
    }

    @Nested
    class Azure extends Scenarios {
        @Override
        StoreFixture open(Path work) throws Exception {
            return new AzuriteFixture(work);
        }

        @Override
        String name() {
            return "Azurite";
        }
    }
}
