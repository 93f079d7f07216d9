package io.spiffeoidc.storage;

import io.spiffeoidc.config.Target;

/** The store client for a target's settings. */
final class ObjectStores {

    private ObjectStores() {
    }

    static ObjectStore open(Target.Store settings) {
        if (settings instanceof Target.S3 s3) {
            return new S3Store(s3);
        }
        if (settings instanceof Target.AzureBlob blob) {
            return new BlobStore(blob);
        }
        return new DirectoryStore(((Target.Directory) settings).path());
    }
}
