package io.spiffeoidc.storage;

import java.util.Optional;

/** The condition a write is made under: no object yet, or exactly the version with this entity tag. */
public record Precondition(Optional<String> etag) {

    /** Create only: If-None-Match: *. */
    public static Precondition absent() {
        return new Precondition(Optional.empty());
    }

    /** Replace only this version: If-Match: etag. */
    public static Precondition matching(String etag) {
        return new Precondition(Optional.of(etag));
    }

    /** The condition that replaces {@code current}, or creates where there is nothing. */
    public static Precondition replacing(Optional<StoredObject> current) {
        return current.map(object -> matching(object.etag())).orElseGet(Precondition::absent);
    }
}
