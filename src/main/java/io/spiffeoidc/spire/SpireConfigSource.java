package io.spiffeoidc.spire;

import io.smallrye.config.common.AbstractConfigSource;
import java.util.Map;
import java.util.Set;

/**
 * SPIRE's file as a configuration source: the properties it maps to, above environment variables and
 * system properties, so what the file says is what runs. Properties the file does not set keep their
 * usual sources. Empty when the process was not started with SPIRE's arguments.
 */
public class SpireConfigSource extends AbstractConfigSource {

    private static final long serialVersionUID = 1L;

    /** Above system properties (400): a launcher's -D defaults must not override the operator's file. */
    static final int ORDINAL = 500;

    public SpireConfigSource() {
        super(SpireMode.active().map(s -> "SPIRE configuration " + s.file()).orElse("SPIRE configuration (unused)"),
                ORDINAL);
    }

    private static Map<String, String> properties() {
        return SpireMode.active().map(SpireSettings::properties).orElse(Map.of());
    }

    @Override
    public Map<String, String> getProperties() {
        return properties();
    }

    @Override
    public Set<String> getPropertyNames() {
        return properties().keySet();
    }

    @Override
    public String getValue(String propertyName) {
        return properties().get(propertyName);
    }
}
