package io.spiffeoidc.testsupport;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The configuration overrides of a Quarkus test profile whose service reads one bundle file, the file written
 * before Quarkus starts. {@link FakeAgentResource#agentSource(String...)} is the same for the Workload API.
 */
public final class TestProfiles {

    private TestProfiles() {
    }

    /**
     * Writes {@code document} to {@code bundle} and returns the configuration of a service reading it with the
     * file source, plus {@code more} (property, value pairs).
     */
    public static Map<String, String> fileSource(Path bundle, String document, String... more) {
        TestBundles.writeAtomically(bundle, document);
        return fileSourceOf(bundle.toAbsolutePath().toString(), more);
    }

    /** As {@link #fileSource(Path, String, String...)} with a one-key RSA JWKS, for tests about anything but the keys. */
    public static Map<String, String> fileSourceWithOneKey(Path bundle, String... more) {
        return fileSourceOf(TestBundles.writeJwksFile(bundle), more);
    }

    private static Map<String, String> fileSourceOf(String path, String... more) {
        if (more.length % 2 != 0) {
            throw new IllegalArgumentException("property, value pairs expected: " + String.join(", ", more));
        }
        Map<String, String> config = new LinkedHashMap<>();
        config.put("spiffe-oidc.source", "file");
        config.put("spiffe-oidc.file.path", path);
        for (int i = 0; i < more.length; i += 2) {
            config.put(more[i], more[i + 1]);
        }
        return config;
    }
}
