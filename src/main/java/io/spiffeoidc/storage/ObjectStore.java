package io.spiffeoidc.storage;

import java.util.Optional;

/**
 * One place a static issuer's objects live: an S3 bucket, a Blob container, a directory. Every write is
 * conditional, so two writers can never overwrite each other unseen: {@link Precondition#absent()} creates
 * an object only where none exists ({@code If-None-Match: *}), {@link Precondition#matching} replaces only
 * the version last read or written ({@code If-Match}).
 */
public interface ObjectStore extends AutoCloseable {

    /** The object under {@code key}, or empty where there is none. */
    Optional<StoredObject> read(String key) throws StoreException;

    /**
     * Writes {@code object} under {@code key} if {@code precondition} holds.
     *
     * @return the entity tag of the version written
     * @throws StoreException with reason CONFLICT when another writer got there first (412, or 409)
     */
    String write(String key, ObjectWrite object, Precondition precondition) throws StoreException;

    /** Where this store is, for log lines and metric tags: s3://bucket/prefix, a container URL, a directory. */
    String describe();

    @Override
    void close();
}
