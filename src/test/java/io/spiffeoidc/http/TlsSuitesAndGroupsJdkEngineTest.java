package io.spiffeoidc.http;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import java.nio.file.Path;
import java.util.Map;

/** {@link TlsSuitesAndGroupsTest} on the JDK's TLS engine (spiffe-oidc.tls.native-engine=false). */
@QuarkusTest
@TestProfile(TlsSuitesAndGroupsJdkEngineTest.Profile.class)
class TlsSuitesAndGroupsJdkEngineTest extends TlsSuitesAndGroupsTest {

    static final Path JDK_DIR = Path.of("target/tls-suites-groups-jdk").toAbsolutePath();

    public static class Profile implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return https(JDK_DIR, "spiffe-oidc.tls.native-engine", "false", "quarkus.tls.public.protocols", "TLSv1.3,TLSv1.2",
                    "quarkus.tls.public.cipher-suites", SUITE, "spiffe-oidc.tls.groups", "secp384r1,x25519");
        }
    }

    @Override
    Path dir() {
        return JDK_DIR;
    }

    @Override
    String tls13GroupForAClientPreferringX25519() {
        return "x25519";
    }
}
