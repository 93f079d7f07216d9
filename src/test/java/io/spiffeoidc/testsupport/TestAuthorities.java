package io.spiffeoidc.testsupport;

import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import javax.security.auth.x500.X500Principal;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.jcajce.JcaX509CRLConverter;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v2CRLBuilder;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * X.509 authorities as SPIRE's CAs make them (self-signed EC P-256, basicConstraints CA, keyCertSign), a
 * leaf that is not a CA, CRLs, and the encodings the sources deliver: DER back to back (Workload API) and
 * x509-svid members with x5c (SPIFFE bundle files).
 */
public final class TestAuthorities {

    private static final AtomicLong SERIALS = new AtomicLong(System.nanoTime());

    private TestAuthorities() {
    }

    public static X509Certificate ca(String commonName) {
        return selfSigned(commonName, true);
    }

    /** A CA whose key is on the named curve, made by Bouncy Castle (the JDK no longer makes secp256k1 keys). */
    public static X509Certificate caOnCurve(String commonName, String curve) {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("EC", new BouncyCastleProvider());
            generator.initialize(new ECGenParameterSpec(curve));
            return selfSigned(commonName, true, generator.generateKeyPair());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A certificate without basicConstraints CA: never an X.509 authority. */
    public static X509Certificate leaf(String commonName) {
        return selfSigned(commonName, false);
    }

    public static byte[] der(X509Certificate certificate) {
        try {
            return certificate.getEncoded();
        } catch (CertificateEncodingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The certificates' DER back to back, as the Workload API's X509BundlesResponse carries them. */
    public static byte[] concatenated(X509Certificate... certificates) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (X509Certificate certificate : certificates) {
            out.writeBytes(der(certificate));
        }
        return out.toByteArray();
    }

    /** PEM blocks, the body of the fake agent's /x509 control command. */
    public static String pem(X509Certificate... certificates) {
        StringBuilder pem = new StringBuilder();
        for (X509Certificate certificate : certificates) {
            pem.append(TestPki.pem(certificate));
        }
        return pem.toString();
    }

    /**
     * A CRL naming {@code issuerCommonName}'s CA as issuer and revoking {@code revoked}, signed by a key of its
     * own: the service carries no CRLs and never checks one, so only its encoding has to be real.
     */
    public static X509CRL crl(String issuerCommonName, X509Certificate... revoked) {
        try {
            KeyPair keys = ecKeys();
            Instant now = Instant.now();
            JcaX509v2CRLBuilder builder = new JcaX509v2CRLBuilder(new X500Principal("CN=" + issuerCommonName + ",O=SPIFFE"),
                    Date.from(now));
            builder.setNextUpdate(Date.from(now.plus(Duration.ofDays(1))));
            for (X509Certificate certificate : revoked) {
                builder.addCRLEntry(certificate.getSerialNumber(), Date.from(now), 0);
            }
            return new JcaX509CRLConverter().getCRL(builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(keys.getPrivate())));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** PEM blocks, the body of the fake agent's /x509-crl control command. */
    public static String pem(X509CRL... crls) {
        StringBuilder pem = new StringBuilder();
        for (X509CRL crl : crls) {
            pem.append(TestPki.pem(crl));
        }
        return pem.toString();
    }

    /** The x509-svid member of a SPIFFE bundle file for {@code certificate}, built with Nimbus. */
    public static Map<String, Object> member(X509Certificate certificate) {
        try {
            Map<String, Object> member = new LinkedHashMap<>(com.nimbusds.jose.jwk.JWK.parse(certificate).toPublicJWK().toJSONObject());
            member.keySet().retainAll(List.of("kty", "crv", "x", "y", "n", "e"));
            member.put("use", "x509-svid");
            member.put("x5c", List.of(Base64.getEncoder().encodeToString(der(certificate))));
            return member;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static X509Certificate selfSigned(String commonName, boolean ca) {
        try {
            return selfSigned(commonName, ca, ecKeys());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static X509Certificate selfSigned(String commonName, boolean ca, KeyPair keys) {
        try {
            X500Principal name = new X500Principal("CN=" + commonName + ",O=SPIFFE");
            Instant now = Instant.now();
            JcaX509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(name, BigInteger.valueOf(SERIALS.incrementAndGet()),
                    Date.from(now.minus(Duration.ofMinutes(5))), Date.from(now.plus(Duration.ofDays(1))), name, keys.getPublic());
            builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(ca));
            builder.addExtension(Extension.keyUsage, true, new KeyUsage(ca ? KeyUsage.keyCertSign | KeyUsage.cRLSign
                    : KeyUsage.digitalSignature));
            return new JcaX509CertificateConverter().getCertificate(builder.build(new JcaContentSignerBuilder("SHA256withECDSA")
                    .setProvider(new BouncyCastleProvider()).build(keys.getPrivate())));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static KeyPair ecKeys() throws GeneralSecurityException {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"));
        return generator.generateKeyPair();
    }
}
