package io.spiffeoidc.bundle;

import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.util.Base64;
import io.spiffeoidc.crypto.DerElement;
import io.spiffeoidc.logging.LogSanitiser;
import java.io.ByteArrayInputStream;
import java.security.PublicKey;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The validated X.509 authorities of one trust domain, as the SPIFFE bundle endpoint serves them: CA
 * certificates only, each rebuilt into a JWK with {@code use: x509-svid} and its DER in {@code x5c}.
 * Sorted by encoding and without repeats, so the same certificates always give the same bytes.
 */
public final class X509Authorities {

    public static final KeyUse X509_SVID = new KeyUse("x509-svid");

    private final List<byte[]> certificates;
    private final List<String> subjects;
    private final List<Map<String, Object>> members;

    private X509Authorities(List<X509Certificate> sorted) {
        this.certificates = sorted.stream().map(X509Authorities::encoded).toList();
        this.subjects = sorted.stream().map(c -> LogSanitiser.clean(c.getSubjectX500Principal().getName())).toList();
        List<Map<String, Object>> entries = new ArrayList<>(sorted.size());
        for (X509Certificate certificate : sorted) {
            entries.add(new TreeMap<>(jwk(certificate).toJSONObject()));
        }
        this.members = List.copyOf(entries);
    }

    /**
     * Checks candidate authorities: each element holds one or more ASN.1 DER certificates back to back
     * (the Workload API sends one such blob per trust domain, the server API one element per certificate).
     */
    public static X509Authorities of(List<byte[]> blobs) throws BundleRefusal {
        List<X509Certificate> parsed = new ArrayList<>();
        for (byte[] blob : blobs) {
            for (byte[] der : splitDer(blob)) {
                parsed.add(certificate(der, parsed.size()));
            }
        }
        if (parsed.isEmpty()) {
            throw new BundleRefusal(RefusalReason.INVALID_X509_AUTHORITY, "no X.509 authorities");
        }
        if (parsed.size() > BundleParser.MAX_KEYS) {
            throw new BundleRefusal(RefusalReason.TOO_MANY_KEYS,
                    parsed.size() + " X.509 authorities, the limit is " + BundleParser.MAX_KEYS);
        }
        for (int i = 0; i < parsed.size(); i++) {
            check(parsed.get(i), i);
        }
        List<X509Certificate> unique = new ArrayList<>();
        parsed.stream().sorted(Comparator.comparing(X509Authorities::encoded, Arrays::compareUnsigned)).forEach(cert -> {
            if (unique.isEmpty() || !Arrays.equals(encoded(unique.get(unique.size() - 1)), encoded(cert))) {
                unique.add(cert);
            }
        });
        return new X509Authorities(unique);
    }

    /**
     * The x509-svid members of a SPIFFE bundle document: each must hold exactly one certificate in
     * {@code x5c} whose public key is the member's own.
     */
    public static X509Authorities ofMembers(List<Map<String, Object>> entries) throws BundleRefusal {
        List<byte[]> ders = new ArrayList<>();
        for (Map<String, Object> entry : entries) {
            String label = "x509-svid member " + ders.size();
            if (!(entry.get("x5c") instanceof List<?> chain) || chain.size() != 1 || !(chain.get(0) instanceof String b64)) {
                throw new BundleRefusal(RefusalReason.INVALID_X509_AUTHORITY, label + " needs \"x5c\" with exactly one certificate");
            }
            byte[] der = new Base64(b64).decode();
            X509Certificate certificate = certificate(der, ders.size());
            try {
                PublicKey declared = JWK.parse(entry).toPublicJWK() instanceof com.nimbusds.jose.jwk.AsymmetricJWK key
                        ? key.toPublicKey() : null;
                if (declared == null || !Arrays.equals(declared.getEncoded(), certificate.getPublicKey().getEncoded())) {
                    throw new BundleRefusal(RefusalReason.INVALID_X509_AUTHORITY,
                            label + ": its key members are not the public key of its certificate");
                }
            } catch (java.text.ParseException | com.nimbusds.jose.JOSEException | RuntimeException e) {
                throw new BundleRefusal(RefusalReason.INVALID_X509_AUTHORITY, label + " is not a valid public key");
            }
            ders.add(der);
        }
        return of(ders);
    }

    /** The JWK members to serve, one per certificate, members sorted. */
    List<Map<String, Object>> members() {
        return members;
    }

    public int count() {
        return certificates.size();
    }

    /** Subject names, for log lines. */
    public List<String> subjects() {
        return subjects;
    }

    boolean sameAs(X509Authorities other) {
        if (other == null || other.certificates.size() != certificates.size()) {
            return false;
        }
        for (int i = 0; i < certificates.size(); i++) {
            if (!Arrays.equals(certificates.get(i), other.certificates.get(i))) {
                return false;
            }
        }
        return true;
    }

    private static void check(X509Certificate certificate, int index) throws BundleRefusal {
        String label = "X.509 authority " + index + " (" + LogSanitiser.clean(certificate.getSubjectX500Principal().getName()) + ")";
        if (certificate.getBasicConstraints() < 0) {
            throw new BundleRefusal(RefusalReason.X509_AUTHORITY_NOT_CA, label + " is not a CA certificate (no basicConstraints CA)");
        }
        PublicKey key = certificate.getPublicKey();
        if (key instanceof RSAPublicKey rsa) {
            if (rsa.getModulus().bitLength() < SigningAlgorithm.MIN_RSA_BITS) {
                throw new BundleRefusal(RefusalReason.WEAK_KEY, label + " has a " + rsa.getModulus().bitLength()
                        + "-bit RSA key, at least " + SigningAlgorithm.MIN_RSA_BITS + " bits are required");
            }
        } else if (!(key instanceof ECPublicKey ec) || !publishedCurve(ec)) {
            throw new BundleRefusal(RefusalReason.UNSUPPORTED_KEY, label + " has a " + key.getAlgorithm()
                    + " key; X.509 authorities must be RSA or EC P-256/P-384/P-521");
        }
    }

    /** The curves JWT keys may be on: Nimbus knows more (secp256k1, for one) than are published. */
    private static boolean publishedCurve(ECPublicKey ec) {
        Curve curve = Curve.forECParameterSpec(ec.getParams());
        return curve != null && SigningAlgorithm.publishedEcCurve(curve.getName());
    }

    private static X509Certificate certificate(byte[] der, int index) throws BundleRefusal {
        try {
            CertificateFactory factory = CertificateFactory.getInstance("X.509");
            X509Certificate certificate = (X509Certificate) factory.generateCertificate(new ByteArrayInputStream(der));
            // The factory also reads PEM and tolerates trailing bytes: only exact DER is an authority.
            if (!Arrays.equals(certificate.getEncoded(), der)) {
                throw new CertificateException("not DER");
            }
            return certificate;
        } catch (CertificateException | RuntimeException e) {
            throw new BundleRefusal(RefusalReason.INVALID_X509_AUTHORITY,
                    "X.509 authority " + index + " is not a DER certificate (" + der.length + " bytes)");
        }
    }

    /** Cuts back-to-back DER SEQUENCEs apart by their length headers. */
    static List<byte[]> splitDer(byte[] blob) throws BundleRefusal {
        List<byte[]> parts = new ArrayList<>();
        int at = 0;
        while (at < blob.length) {
            int end;
            try {
                end = DerElement.at(blob, at, DerElement.SEQUENCE).end();
            } catch (IllegalArgumentException e) {
                throw new BundleRefusal(RefusalReason.INVALID_X509_AUTHORITY,
                        "X.509 authorities are not ASN.1 DER certificates (bad encoding at byte " + at + ")");
            }
            parts.add(Arrays.copyOfRange(blob, at, end));
            at = end;
        }
        return parts;
    }

    private static JWK jwk(X509Certificate certificate) {
        List<Base64> x5c = List.of(Base64.encode(encoded(certificate)));
        PublicKey key = certificate.getPublicKey();
        if (key instanceof RSAPublicKey rsa) {
            return new RSAKey.Builder(rsa).keyUse(X509_SVID).x509CertChain(x5c).build();
        }
        ECPublicKey ec = (ECPublicKey) key;
        return new ECKey.Builder(Curve.forECParameterSpec(ec.getParams()), ec).keyUse(X509_SVID).x509CertChain(x5c).build();
    }

    private static byte[] encoded(X509Certificate certificate) {
        try {
            return certificate.getEncoded();
        } catch (java.security.cert.CertificateEncodingException e) {
            throw new IllegalStateException("a parsed certificate has an encoding", e);
        }
    }
}
