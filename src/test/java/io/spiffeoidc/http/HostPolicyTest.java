package io.spiffeoidc.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.spiffeoidc.config.HostSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class HostPolicyTest {

    /** The port the tests' connections were accepted on. */
    private static final int LOCAL_PORT = 18080;

    private final HostPolicy policy = new HostPolicy(HostSet.of(Set.of("OIDC.example.test", "[::1]", "not a host", "under_score")),
            Set.of(8443));

    private String admit(String authority) {
        Authority admitted = policy.admit(authority, LOCAL_PORT);
        return admitted == null ? null : admitted.value();
    }

    @Test
    void admitsAnAllowedHostWithOrWithoutPort() {
        assertEquals("oidc.example.test", admit("oidc.example.test"));
        assertEquals("oidc.example.test:8443", admit("oidc.example.test:8443"));
        assertEquals("[::1]:8443", admit("[::1]:8443"));
    }

    @Test
    void anAuthorityAlreadyInLowerCaseIsThePreparedOne() {
        String authority = "oidc.example.test:8443";
        assertSame(policy.admit(authority, LOCAL_PORT), policy.admit(new String(authority), LOCAL_PORT));
        assertEquals("oidc.example.test", policy.admit(authority, LOCAL_PORT).host());
    }

    @Test
    void lowerCasesTheHostAndKeepsThePort() {
        assertEquals("oidc.example.test:8443", admit("OIDC.Example.TEST:8443"));
        assertEquals("oidc.example.test", admit("OIDC.EXAMPLE.TEST"));
        assertEquals("oidc.example.test:8443", admit("oidc.example.test:08443"));
    }

    @Test
    void refusesHostsOutsideTheListAndMalformedAuthorities() {
        assertNull(admit("other.example.test"));
        assertNull(admit("oidc.example.test:"));
        assertNull(admit("oidc.example.test:99999"));
        assertNull(admit("oidc.example.test:84a3"));
        assertNull(admit("[::1]x"));
        assertNull(admit("[::1"));
        assertNull(admit("oidc.example.tést"));
        assertNull(admit(""));
        assertNull(admit(null));
    }

    @Test
    void anAllowedEntryThatIsNotAHostNameIsNeverAdmitted() {
        assertEquals(Set.of("oidc.example.test", "[::1]"), policy.allowed());
        assertNull(admit("under_score"));
        assertNull(admit("not a host"));
    }

    @Test
    void thePortOfTheRequestsOwnConnectionIsKept() {
        assertEquals("oidc.example.test:" + LOCAL_PORT, admit("oidc.example.test:" + LOCAL_PORT));
        assertEquals("[::1]:" + LOCAL_PORT, admit("[::1]:" + LOCAL_PORT));
    }

    /**
     * A port the configuration does not list, on a connection accepted on another, stands for the host
     * alone: every one of them is the same prepared authority, so nothing keyed by authority can grow.
     */
    @Test
    void anyOtherPortStandsForTheHostAlone() {
        Authority hostAlone = policy.admit("oidc.example.test", LOCAL_PORT);
        for (int port = 1; port <= 65535; port++) {
            if (port != 8443 && port != LOCAL_PORT) {
                assertSame(hostAlone, policy.admit("oidc.example.test:" + port, LOCAL_PORT), "port " + port);
                assertSame(hostAlone, policy.admit("OIDC.example.test:" + port, LOCAL_PORT), "port " + port);
            }
        }
        assertNull(policy.admit("other.example.test:8443", LOCAL_PORT));
    }
}
