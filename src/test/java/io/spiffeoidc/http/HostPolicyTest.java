package io.spiffeoidc.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.spiffeoidc.config.HostSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class HostPolicyTest {

    private final HostPolicy policy = new HostPolicy(HostSet.of(Set.of("OIDC.example.test", "[::1]", "not a host", "under_score")));

    @Test
    void admitsAnAllowedHostWithOrWithoutPort() {
        assertEquals("oidc.example.test", policy.admit("oidc.example.test"));
        assertEquals("oidc.example.test:8443", policy.admit("oidc.example.test:8443"));
        assertEquals("[::1]:8443", policy.admit("[::1]:8443"));
    }

    @Test
    void anAuthorityAlreadyInLowerCaseIsReturnedAsIs() {
        String authority = "oidc.example.test:8443";
        assertSame(authority, policy.admit(authority));
    }

    @Test
    void lowerCasesTheHostAndKeepsThePort() {
        assertEquals("oidc.example.test:8443", policy.admit("OIDC.Example.TEST:8443"));
        assertEquals("oidc.example.test", policy.admit("OIDC.EXAMPLE.TEST"));
    }

    @Test
    void refusesHostsOutsideTheListAndMalformedAuthorities() {
        assertNull(policy.admit("other.example.test"));
        assertNull(policy.admit("oidc.example.test:"));
        assertNull(policy.admit("oidc.example.test:99999"));
        assertNull(policy.admit("oidc.example.test:84a3"));
        assertNull(policy.admit("[::1]x"));
        assertNull(policy.admit("[::1"));
        assertNull(policy.admit("oidc.example.tést"));
        assertNull(policy.admit(""));
        assertNull(policy.admit(null));
    }

    @Test
    void anAllowedEntryThatIsNotAHostNameIsNeverAdmitted() {
        assertEquals(Set.of("oidc.example.test", "[::1]"), policy.allowed());
        assertNull(policy.admit("under_score"));
        assertNull(policy.admit("not a host"));
    }

    @Test
    void rememberedAnswersAreTheCheckedOnesAndRefusalsAreNeverRemembered() {
        for (int round = 0; round < 3; round++) {
            assertEquals("oidc.example.test:8443", policy.admit(new String("OIDC.Example.TEST:8443")));
            assertEquals("oidc.example.test:8443", policy.admit(new String("oidc.example.test:8443")));
            assertNull(policy.admit(new String("other.example.test")));
            assertNull(policy.admit(new String("oidc.example.test:99999")));
        }
        // Past the bound of remembered values every answer is still the checked one.
        for (int port = 1; port <= 200; port++) {
            assertEquals("oidc.example.test:" + port, policy.admit("OIDC.example.test:" + port));
            assertEquals("oidc.example.test:" + port, policy.admit("oidc.example.test:" + port));
        }
        assertNull(policy.admit(null));
    }
}
