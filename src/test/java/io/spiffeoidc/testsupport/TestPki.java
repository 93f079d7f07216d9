package io.spiffeoidc.testsupport;

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
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
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
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A throw-away certificate authority for TLS tests: a CA, leaf certificates for localhost, PEM files in
 * the layout of a Kubernetes TLS secret (tls.crt, tls.key) and a client SSLContext that trusts only this CA.
 */
public final class TestPki {

    private static final AtomicLong SERIALS = new AtomicLong(System.currentTimeMillis());

    private final KeyPair caKeys;
    private final X509Certificate caCert;

    private TestPki(KeyPair caKeys, X509Certificate caCert) {
        this.caKeys = caKeys;
        this.caCert = caCert;
    }

    public static TestPki newCa() {
        KeyPair keys = rsa();
        X500Principal name = new X500Principal("CN=spiffe-oidc test CA");
        Instant now = Instant.now();
        X509Certificate cert = sign(name, keys, name, keys, true, now.minus(Duration.ofMinutes(5)), now.plus(Duration.ofDays(1)),
                null);
        return new TestPki(keys, cert);
    }

    /** A leaf for localhost and 127.0.0.1 with its own key, valid from five minutes ago for a day. */
    public Leaf issue(String commonName) {
        Instant now = Instant.now();
        return issue(commonName, now.minus(Duration.ofMinutes(5)), now.plus(Duration.ofDays(1)));
    }

    /** A leaf valid only between the two instants, for expired and not-yet-valid certificates. */
    public Leaf issue(String commonName, Instant notBefore, Instant notAfter) {
        return issue(commonName, rsa(), notBefore, notAfter);
    }

    /** A leaf for the given key pair (an EC one, say), valid from five minutes ago for a day. */
    public Leaf issue(String commonName, KeyPair keys) {
        Instant now = Instant.now();
        return issue(commonName, keys, now.minus(Duration.ofMinutes(5)), now.plus(Duration.ofDays(1)));
    }

    private Leaf issue(String commonName, KeyPair keys, Instant notBefore, Instant notAfter) {
        X509Certificate cert = sign(new X500Principal("CN=" + commonName), keys, caCert.getSubjectX500Principal(), caKeys,
                false, notBefore, notAfter, new GeneralNames(new GeneralName[] {
                        new GeneralName(GeneralName.dNSName, "localhost"),
                        new GeneralName(GeneralName.iPAddress, "127.0.0.1")}));
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

    /** PEM as OpenShift's service CA writes it: CERTIFICATE, and RSA PRIVATE KEY (PKCS#1) for keys. */
    public static String pem(Object object) {
        StringWriter out = new StringWriter();
        try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
            writer.writeObject(object);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString();
    }

    private static KeyPair rsa() {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
            generator.initialize(2048);
            return generator.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static X509Certificate sign(X500Principal subject, KeyPair subjectKeys, X500Principal issuer, KeyPair issuerKeys,
            boolean ca, Instant notBefore, Instant notAfter, GeneralNames altNames) {
        try {
            X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(issuer,
                    BigInteger.valueOf(SERIALS.incrementAndGet()), Date.from(notBefore), Date.from(notAfter), subject,
                    subjectKeys.getPublic());
            builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(ca));
            if (ca) {
                builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
            } else {
                builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment));
                builder.addExtension(Extension.subjectAlternativeName, false, altNames);
            }
            return new JcaX509CertificateConverter().getCertificate(
                    builder.build(new JcaContentSignerBuilder("SHA256withRSA").build(issuerKeys.getPrivate())));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
