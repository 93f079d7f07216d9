package io.spiffeoidc.tls;

import io.spiffeoidc.crypto.Sha256;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;

/** The PEM certificate chain and private key the HTTPS listener serves, as paths the deployment mounts. */
record KeyCertFiles(Path cert, Path key) {

    /** Both files' bytes, read together so a check and its fingerprint describe the same content. */
    Contents read() throws IOException {
        return new Contents(Files.readAllBytes(cert), Files.readAllBytes(key));
    }

    record Contents(byte[] cert, byte[] key) {

        /** Identifies the content without keeping the private key around. */
        String fingerprint() {
            MessageDigest digest = Sha256.digest();
            digest.update(cert);
            digest.update((byte) 0);
            digest.update(key);
            return HexFormat.of().formatHex(digest.digest());
        }
    }
}
