package io.spiffeoidc.bundle;

/** Connection state of the key source, as the source last reported it. */
public enum SourceState {
    STARTING, UP, DOWN;

    public String label() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
