package io.spiffeoidc.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class InMemoryKeyStoresTest {

    private String saved;

    @BeforeEach
    void save() {
        saved = System.getProperty(InMemoryKeyStores.ITERATIONS_PROPERTY);
    }

    @AfterEach
    void restore() {
        if (saved == null) {
            System.clearProperty(InMemoryKeyStores.ITERATIONS_PROPERTY);
        } else {
            System.setProperty(InMemoryKeyStores.ITERATIONS_PROPERTY, saved);
        }
    }

    @Test
    void setsOneIterationWhenNobodyChose() {
        System.clearProperty(InMemoryKeyStores.ITERATIONS_PROPERTY);
        InMemoryKeyStores.skipKeyStretching();
        assertEquals("1", System.getProperty(InMemoryKeyStores.ITERATIONS_PROPERTY));
    }

    @Test
    void theOperatorsValueWins() {
        System.setProperty(InMemoryKeyStores.ITERATIONS_PROPERTY, "20000");
        InMemoryKeyStores.skipKeyStretching();
        assertEquals("20000", System.getProperty(InMemoryKeyStores.ITERATIONS_PROPERTY));
    }
}
