package io.spiffeoidc.tls;

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

    private static final int SEQUENCE = 0x30;
    private static final int INTEGER = 0x02;
    private static final int OCTET_STRING = 0x04;
    private static final int BIT_STRING = 0x03;
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
            Tlv outer = Tlv.at(der, 0, SEQUENCE);
            Tlv version = Tlv.at(der, outer.start(), INTEGER);
            Tlv second = Tlv.at(der, version.end(), -1);
            Tlv ecKey;
            if (second.tag() == SEQUENCE) {
                // PrivateKeyInfo ::= SEQUENCE { version, algorithm SEQUENCE, privateKey OCTET STRING, ... }
                Tlv privateKey = Tlv.at(der, second.end(), OCTET_STRING);
                ecKey = Tlv.at(der, privateKey.start(), SEQUENCE);
            } else {
                ecKey = outer;
            }
            // ECPrivateKey ::= SEQUENCE { version, privateKey OCTET STRING, [0] parameters, [1] publicKey }
            Tlv ecVersion = Tlv.at(der, ecKey.start(), INTEGER);
            Tlv privateScalar = Tlv.at(der, ecVersion.end(), OCTET_STRING);
            byte[] scalarBytes = Arrays.copyOfRange(der, privateScalar.start(), privateScalar.end());
            if (!new BigInteger(1, scalarBytes).equals(scalar)) {
                return Optional.empty();
            }
            for (int offset = privateScalar.end(); offset < ecKey.end();) {
                Tlv field = Tlv.at(der, offset, -1);
                if (field.tag() == PUBLIC_KEY_FIELD) {
                    Tlv bits = Tlv.at(der, field.start(), BIT_STRING);
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

    /** One DER element: its tag and where its content lies. Only definite lengths exist in DER. */
    private record Tlv(int tag, int start, int length) {

        int end() {
            return start + length;
        }

        /** The element at offset, whose tag must be expected (or anything for -1), within the bytes. */
        static Tlv at(byte[] der, int offset, int expected) {
            if (offset + 2 > der.length) {
                throw new IllegalArgumentException("truncated");
            }
            int tag = der[offset] & 0xFF;
            if (expected >= 0 && tag != expected) {
                throw new IllegalArgumentException("unexpected tag");
            }
            int first = der[offset + 1] & 0xFF;
            int position = offset + 2;
            int length;
            if (first < 0x80) {
                length = first;
            } else {
                int octets = first & 0x7F;
                if (octets == 0 || octets > 3 || position + octets > der.length) {
                    throw new IllegalArgumentException("bad length");
                }
                length = 0;
                for (int i = 0; i < octets; i++) {
                    length = (length << 8) | (der[position++] & 0xFF);
                }
            }
            if (position + length > der.length) {
                throw new IllegalArgumentException("truncated");
            }
            return new Tlv(tag, position, length);
        }
    }
}
