package io.spiffeoidc.crypto;

/**
 * One ASN.1 DER element of a byte array: its tag and where its content lies. The one reader of DER
 * headers in the service (certificates cut out of an X.509 bundle, the public point inside an EC private
 * key); everything else is left to the JDK's parsers. DER has definite lengths only; lengths of up to three
 * octets (16 MiB) are read, more than any certificate or key of this service's inputs.
 */
public record DerElement(int tag, int start, int length) {

    public static final int INTEGER = 0x02;
    public static final int BIT_STRING = 0x03;
    public static final int OCTET_STRING = 0x04;
    public static final int SEQUENCE = 0x30;
    /** For {@link #at}: any tag. */
    public static final int ANY = -1;

    /** Where the element ends: the offset of the next one. */
    public int end() {
        return start + length;
    }

    /**
     * The element at {@code offset}, whose tag must be {@code expected} (or {@link #ANY}), lying wholly within
     * {@code der}.
     *
     * @throws IllegalArgumentException when the bytes there are not such an element
     */
    public static DerElement at(byte[] der, int offset, int expected) {
        if (offset < 0 || offset + 2 > der.length) {
            throw new IllegalArgumentException("truncated");
        }
        int tag = der[offset] & 0xFF;
        if (expected != ANY && tag != expected) {
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
        if (length > der.length - position) {
            throw new IllegalArgumentException("truncated");
        }
        return new DerElement(tag, position, length);
    }
}
