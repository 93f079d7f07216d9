package io.spiffeoidc.testsupport;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import java.nio.file.Path;

/** Writes a one-key JWKS for the file source before Quarkus starts. */
public final class JwksFile {

    private JwksFile() {
    }

    /** Writes {"keys":[public RSA JWK]} to the file and returns its absolute path as a config value. */
    public static String write(Path file) {
        try {
            RSAKey key = new RSAKeyGenerator(2048).keyID("test-" + file.getFileName()).keyUse(KeyUse.SIGNATURE).generate();
            TestPki.writeAtomically(file.toAbsolutePath(), new JWKSet(key.toPublicJWK()).toString());
            return file.toAbsolutePath().toString();
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }
}
