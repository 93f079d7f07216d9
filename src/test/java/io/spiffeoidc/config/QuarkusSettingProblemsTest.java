package io.spiffeoidc.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Quarkus settings that would bypass the host check or the certificate check are refused at start-up. */
class QuarkusSettingProblemsTest {

    private static List<String> problems(Map<String, String> settings) {
        return ConfigProblems.ofQuarkus(name -> Optional.ofNullable(settings.get(name)));
    }

    @Test
    void defaultsAreFine() {
        assertEquals(List.of(), problems(Map.of()));
        assertEquals(List.of(), problems(Map.of("quarkus.http.proxy.proxy-address-forwarding", "false")));
    }

    @Test
    void quarkusProxyForwardingIsRefused() {
        List<String> problems = problems(Map.of("quarkus.http.proxy.proxy-address-forwarding", "true"));
        assertEquals(1, problems.size());
        assertTrue(problems.get(0).startsWith("quarkus.http.proxy.proxy-address-forwarding:"));
        assertTrue(problems.get(0).contains("spiffe-oidc.trust-forwarded-headers"));
    }

    @Test
    void quarkusCertificateReloadIsRefused() {
        List<String> problems = problems(Map.of("quarkus.tls.public.reload-period", "1m"));
        assertEquals(1, problems.size());
        assertTrue(problems.get(0).startsWith("quarkus.tls.public.reload-period:"));
    }

    @Test
    void turningNativeTransportPreferenceOffIsRefused() {
        assertEquals(List.of(), problems(Map.of("quarkus.vertx.prefer-native-transport", "true")));
        List<String> problems = problems(Map.of("quarkus.vertx.prefer-native-transport", "false"));
        assertEquals(1, problems.size());
        assertTrue(problems.get(0).startsWith("quarkus.vertx.prefer-native-transport: must stay true;"), problems.get(0));
        assertTrue(problems.get(0).contains("spiffe-oidc.request-head-timeout"), problems.get(0));
    }
}
