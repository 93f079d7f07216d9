package io.spiffeoidc.storage;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The static-issuer scenarios on a local directory. */
class DirectoryTargetTest {

    @TempDir
    Path directory;

    private StaticIssuerScenarios scenarios() throws Exception {
        return new StaticIssuerScenarios(new DirectoryFixture(directory));
    }

    @Test
    void publishesWhatTheListenerServes() throws Exception {
        scenarios().publishesWhatTheListenerServes();
    }

    @Test
    void rotationsAsARelyingPartySeesThem() throws Exception {
        List<Long> latencies = scenarios().rotationsAsARelyingPartySeesThem(20);
        System.out.println("directory: offer to readable, ms: " + latencies);
    }

    @Test
    void outageDuringRotation() throws Exception {
        scenarios().outageDuringRotation();
    }

    @Test
    void twoInstancesOneFedLateWithSequence() throws Exception {
        scenarios().twoInstancesOneFedLate(50, true);
    }

    @Test
    void twoInstancesOneFedLateWithoutSequence() throws Exception {
        scenarios().twoInstancesOneFedLate(50, false);
    }
}
