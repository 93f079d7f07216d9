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

    abstract static class Scenarios {
        abstract StoreFixture store();

        abstract String name();

        private StaticIssuerScenarios scenarios() {
            return new StaticIssuerScenarios(store());
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
    @TestInstance(TestInstance.Lifecycle.PER_CLASS)
    class S3 extends Scenarios {
        private S3ProxyFixture store;

        @BeforeAll
        void start() throws Exception {
            store = new S3ProxyFixture(Files.createDirectories(WORK.resolve("s3-" + System.nanoTime())));
        }

        @AfterAll
        void stop() {
            store.close();
        }

        @Override
        StoreFixture store() {
            return store;
        }

        @Override
        String name() {
            return "S3Proxy";
        }
    }

    @Nested
    @TestInstance(TestInstance.Lifecycle.PER_CLASS)
    class Azure extends Scenarios {
        private AzuriteFixture store;

        @BeforeAll
        void start() throws Exception {
            store = new AzuriteFixture(Files.createDirectories(WORK.resolve("azure-" + System.nanoTime())));
        }

        @AfterAll
        void stop() {
            store.close();
        }

        @Override
        StoreFixture store() {
            return store;
        }

        @Override
        String name() {
            return "Azurite";
        }
    }
}
