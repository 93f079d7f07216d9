package io.spiffeoidc.spire;

/** A line for the log once logging is set up: what the reader accepted but wants the operator to know. */
record Notice(Level level, String message) {

    enum Level {
        INFO, WARN
    }
}
