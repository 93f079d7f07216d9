package io.spiffeoidc.tls;

import io.spiffeoidc.crypto.DerElement;
import java.math.BigInteger;
import java.util.Arrays;
import java.util.Optional;

/**
 * The public point that an EC private key's encoding carries in RFC 5915's optional {@code publicKey}
 * field, which OpenSSL, Go's crypto/x509 and cert-manager write (the JDK keeps a PKCS#8 key's encoding in
 * {@code getEncoded()}; Vert.x rebuilds a SEC 1 key without it, so that form is read from the file). Read from the DER bytes alone: no elliptic-curve arithmetic, which on a cold JVM
 * costs more than the rest of the certificate check together.
 */
final class EmbeddedEcPoint {

    private static final int PUBLIC_KEY_FIELD = 0xA1; // [1] EXPLICIT in ECPrivateKey

    private EmbeddedEcPoint() {
    }

    /**
     * The point as encoded (0x04 || X || Y when uncompressed) from a PKCS#8 PrivateKeyInfo or a SEC 1
     * ECPrivateKey ("EC PRIVATE KEY", cert-manager's default), provided the structure's private scalar
     * is {@code scalar}; empty when absent, not well-formed or of another key.
     */
    static Optional<byte[]> of(byte[] der, BigInteger scalar) {
        try {
            DerElement outer = DerElement.at(der, 0, DerElement.SEQUENCE);
            DerElement version = DerElement.at(der, outer.start(), DerElement.INTEGER);
            DerElement second = DerElement.at(der, version.end(), DerElement.ANY);
            DerElement ecKey;
            if (second.tag() == DerElement.SEQUENCE) {
                // PrivateKeyInfo ::= SEQUENCE { version, algorithm SEQUENCE, privateKey OCTET STRING, ... }
                DerElement privateKey = DerElement.at(der, second.end(), DerElement.OCTET_STRING);
                ecKey = DerElement.at(der, privateKey.start(), DerElement.SEQUENCE);
            } else {
                ecKey = outer;
            }
            // ECPrivateKey ::= SEQUENCE { version, privateKey OCTET STRING, [0] parameters, [1] publicKey }
            DerElement ecVersion = DerElement.at(der, ecKey.start(), DerElement.INTEGER);
            DerElement privateScalar = DerElement.at(der, ecVersion.end(), DerElement.OCTET_STRING);
            byte[] scalarBytes = Arrays.copyOfRange(der, privateScalar.start(), privateScalar.end());
            if (!new BigInteger(1, scalarBytes).equals(scalar)) {
                return Optional.empty();
            }
            for (int offset = privateScalar.end(); offset < ecKey.end();) {
                DerElement field = DerElement.at(der, offset, DerElement.ANY);
                if (field.tag() == PUBLIC_KEY_FIELD) {
                    DerElement bits = DerElement.at(der, field.start(), DerElement.BIT_STRING);
                    // The first content byte counts unused bits, which a point encoding never has.
                    if (bits.length() < 2 || der[bits.start()] != 0) {
                        return Optional.empty();
                    }
                    return Optional.of(Arrays.copyOfRange(der, bits.start() + 1, bits.end()));
                }
                offset = field.end();
            }
            return Optional.empty();
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }
}
