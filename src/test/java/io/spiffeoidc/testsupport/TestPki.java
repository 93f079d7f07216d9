package io.spiffeoidc.testsupport;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.security.spec.AlgorithmParameterSpec;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.RSAKeyGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import javax.security.auth.x500.X500Principal;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CRLConverter;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v2CRLBuilder;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * Every certificate the tests use, minted with Bouncy Castle, and the encodings they travel in.
 *
 * <p>An instance is a throw-away certificate authority for TLS: leaf certificates for localhost, PEM files in
 * the layout of a Kubernetes TLS secret (tls.crt, tls.key) and a client SSLContext that trusts only this CA.
 *
 * <p>The static side makes X.509 authorities as SPIRE's CAs make them (self-signed EC P-256, basicConstraints
 * CA, keyCertSign), a self-signed leaf that is not a CA, CRLs, and the encodings the sources deliver: DER back
 * to back (Workload API) and x509-svid members with x5c (SPIFFE bundle files).
 */
public final class TestPki {

    /** Signs with every curve and key type here (the JDK no longer signs with secp256k1 keys). */
    private static final Provider BOUNCY_CASTLE = new BouncyCastleProvider();

    private static final AtomicLong SERIALS = new AtomicLong(System.currentTimeMillis());

    private final KeyPair caKeys;
    private final X509Certificate caCert;

    private TestPki(KeyPair caKeys, X509Certificate caCert) {
        this.caKeys = caKeys;
        this.caCert = caCert;
    }

    /** A TLS CA with an RSA key, valid from five minutes ago for a day. */
    public static TestPki newCa() {
        KeyPair keys = rsaKeys();
        X500Principal name = new X500Principal("CN=spiffe-oidc test CA");
        return new TestPki(keys, certificate(name, keys, name, keys.getPrivate(), true, null, aDay()));
    }

    /** A leaf for localhost and 127.0.0.1 with its own key, valid from five minutes ago for a day. */
    public Leaf issue(String commonName) {
        return issue(commonName, rsaKeys());
    }

    /** A leaf valid only between the two instants, for expired and not-yet-valid certificates. */
    public Leaf issue(String commonName, Instant notBefore, Instant notAfter) {
        return issue(commonName, rsaKeys(), new Validity(notBefore, notAfter));
    }

    /** A leaf for the given key pair (an EC one, say), valid from five minutes ago for a day. */
    public Leaf issue(String commonName, KeyPair keys) {
        return issue(commonName, keys, aDay());
    }

    private Leaf issue(String commonName, KeyPair keys, Validity validity) {
        GeneralNames localhost = new GeneralNames(new GeneralName[] {
                new GeneralName(GeneralName.dNSName, "localhost"),
                new GeneralName(GeneralName.iPAddress, "127.0.0.1")});
        X509Certificate cert = certificate(new X500Principal("CN=" + commonName), keys, caCert.getSubjectX500Principal(),
                caKeys.getPrivate(), false, localhost, validity);
        return new Leaf(cert, keys);
    }

    /**
     * An X509-SVID as a SPIRE agent hands it out: the SPIFFE ID as the only URI name, an EC P-256 key, issued by
     * this CA (the trust domain's authority), valid from five minutes ago for a day.
     */
    public Leaf issueSvid(String spiffeId) {
        Instant now = Instant.now();
        return issueSvid(spiffeId, now.minus(Duration.ofMinutes(5)), now.plus(Duration.ofDays(1)));
    }

    public Leaf issueSvid(String spiffeId, Instant notBefore, Instant notAfter) {
        KeyPair keys = ecKeys("secp256r1");
        GeneralNames uri = new GeneralNames(new GeneralName(GeneralName.uniformResourceIdentifier, spiffeId));
        X509Certificate cert = certificate(new X500Principal("O=SPIFFE"), keys, caCert.getSubjectX500Principal(),
                caKeys.getPrivate(), false, uri, new Validity(notBefore, notAfter));
        return new Leaf(cert, keys);
    }

    /** Keeps the CA in a directory, so a test can issue more certificates than its profile did. */
    public void saveTo(Path directory) {
        TestBundles.writeAtomically(directory.resolve("ca.crt"), pem(caCert));
        TestBundles.writeAtomically(directory.resolve("ca.key"), pem(caKeys.getPrivate()));
    }

    public static TestPki loadFrom(Path directory) {
        try (PEMParser certPem = new PEMParser(Files.newBufferedReader(directory.resolve("ca.crt")));
                PEMParser keyPem = new PEMParser(Files.newBufferedReader(directory.resolve("ca.key")))) {
            X509Certificate cert = new JcaX509CertificateConverter().getCertificate((X509CertificateHolder) certPem.readObject());
            KeyPair keys = new JcaPEMKeyConverter().getKeyPair((PEMKeyPair) keyPem.readObject());
            return new TestPki(keys, cert);
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    public X509Certificate caCertificate() {
        return caCert;
    }

    /** A client context whose only trust anchor is this CA. */
    public SSLContext clientContext() {
        return clientContextTrusting(caCert);
    }

    /** A client context whose only trust anchor is the given CA certificate. */
    public static SSLContext clientContextTrusting(X509Certificate ca) {
        try {
            KeyStore trust = KeyStore.getInstance("PKCS12");
            trust.load(null, null);
            trust.setCertificateEntry("test-ca", ca);
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trust);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, tmf.getTrustManagers(), null);
            return context;
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException(e);
        }
    }

    public record Leaf(X509Certificate certificate, KeyPair keys) {

        /** tls.crt and tls.key, each replaced atomically (the files a Kubernetes secret mount holds). */
        public void writeTo(Path certFile, Path keyFile) {
            TestBundles.writeAtomically(certFile, pem(certificate));
            TestBundles.writeAtomically(keyFile, pem(keys.getPrivate()));
        }

        public String subject() {
            return certificate.getSubjectX500Principal().getName();
        }
    }

    /** An X.509 authority as SPIRE's CAs make them: self-signed, EC P-256, subject "CN=commonName,O=SPIFFE". */
    public static X509Certificate authority(String commonName) {
        return selfSigned(commonName, true, ecKeys("secp256r1"));
    }

    /** An X.509 authority whose key is on the named curve, made by Bouncy Castle (the JDK no longer makes secp256k1 keys). */
    public static X509Certificate authorityOnCurve(String commonName, String curve) {
        return selfSigned(commonName, true, keys("EC", new ECGenParameterSpec(curve), BOUNCY_CASTLE));
    }

    /** A self-signed certificate without basicConstraints CA: never an X.509 authority. */
    public static X509Certificate selfSignedLeaf(String commonName) {
        return selfSigned(commonName, false, ecKeys("secp256r1"));
    }

    /**
     * A CRL naming {@code issuerCommonName}'s CA as issuer and revoking {@code revoked}, signed by a key of its
     * own: the service carries no CRLs and never checks one, so only its encoding has to be real.
     */
    public static X509CRL crl(String issuerCommonName, X509Certificate... revoked) {
        Instant now = Instant.now();
        JcaX509v2CRLBuilder builder = new JcaX509v2CRLBuilder(spiffeName(issuerCommonName), Date.from(now));
        builder.setNextUpdate(Date.from(now.plus(Duration.ofDays(1))));
        for (X509Certificate certificate : revoked) {
            builder.addCRLEntry(certificate.getSerialNumber(), Date.from(now), 0);
        }
        try {
            return new JcaX509CRLConverter().getCRL(builder.build(signer(ecKeys("secp256r1").getPrivate())));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A fresh EC key pair on the named curve, made by the JDK. */
    public static KeyPair ecKeys(String curve) {
        return keys("EC", new ECGenParameterSpec(curve), null);
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

    /**
     * PEM blocks, one per object, as OpenShift's service CA writes them: CERTIFICATE, RSA PRIVATE KEY (PKCS#1)
     * for keys, X509 CRL; also the body of the fake agent's /x509 and /x509-crl control commands.
     */
    public static String pem(Object... objects) {
        StringWriter out = new StringWriter();
        try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
            for (Object object : objects) {
                writer.writeObject(object);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString();
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

    private record Validity(Instant notBefore, Instant notAfter) {
    }

    private static Validity aDay() {
        Instant now = Instant.now();
        return new Validity(now.minus(Duration.ofMinutes(5)), now.plus(Duration.ofDays(1)));
    }

    private static X509Certificate selfSigned(String commonName, boolean ca, KeyPair keys) {
        X500Principal name = spiffeName(commonName);
        return certificate(name, keys, name, keys.getPrivate(), ca, null, aDay());
    }

    private static X500Principal spiffeName(String commonName) {
        return new X500Principal("CN=" + commonName + ",O=SPIFFE");
    }

    /**
     * The one certificate builder: a CA gets keyCertSign and cRLSign; a leaf gets digitalSignature, plus
     * keyEncipherment and the subject alternative names when it has them (a TLS server's certificate).
     */
    private static X509Certificate certificate(X500Principal subject, KeyPair subjectKeys, X500Principal issuer,
            PrivateKey issuerKey, boolean ca, GeneralNames altNames, Validity validity) {
        try {
            JcaX509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(issuer, BigInteger.valueOf(SERIALS.incrementAndGet()),
                    Date.from(validity.notBefore()), Date.from(validity.notAfter()), subject, subjectKeys.getPublic());
            builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(ca));
            int usage = ca ? KeyUsage.keyCertSign | KeyUsage.cRLSign
                    : altNames == null ? KeyUsage.digitalSignature : KeyUsage.digitalSignature | KeyUsage.keyEncipherment;
            builder.addExtension(Extension.keyUsage, true, new KeyUsage(usage));
            if (altNames != null) {
                builder.addExtension(Extension.subjectAlternativeName, false, altNames);
            }
            return new JcaX509CertificateConverter().getCertificate(builder.build(signer(issuerKey)));
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** SHA-256 with the issuer's key type, RSA or ECDSA. */
    private static ContentSigner signer(PrivateKey key) {
        String algorithm = key.getAlgorithm().equals("RSA") ? "SHA256withRSA" : "SHA256withECDSA";
        try {
            return new JcaContentSignerBuilder(algorithm).setProvider(BOUNCY_CASTLE).build(key);
        } catch (org.bouncycastle.operator.OperatorCreationException e) {
            throw new IllegalStateException(e);
        }
    }

    private static KeyPair rsaKeys() {
        return keys("RSA", new RSAKeyGenParameterSpec(2048, RSAKeyGenParameterSpec.F4), null);
    }

    /** The one key pair generator; {@code provider} null for the JDK's. */
    private static KeyPair keys(String algorithm, AlgorithmParameterSpec parameters, Provider provider) {
        try {
            KeyPairGenerator generator = provider == null ? KeyPairGenerator.getInstance(algorithm)
                    : KeyPairGenerator.getInstance(algorithm, provider);
            generator.initialize(parameters);
            return generator.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
