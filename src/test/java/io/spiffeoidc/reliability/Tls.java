package io.spiffeoidc.reliability;

import io.spiffeoidc.testsupport.TestPki;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.HexFormat;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

/** Client-side TLS trusting only the suite's test CA; every connection goes to 127.0.0.1. */
final class Tls {

    static final String LOOPBACK = "127.0.0.1";

    private final Path caFile;
    private final SSLContext shared;

    Tls(Path caFile) {
        this.caFile = caFile;
        this.shared = newContext();
    }

    /** A fresh context has an empty session cache, so its handshakes are full and show the current certificate. */
    SSLContext newContext() {
        return TestPki.clientContextTrusting(certificate(caFile));
    }

    HttpClient client(HttpClient.Version version) {
        return HttpClient.newBuilder().sslContext(shared).version(version).connectTimeout(Duration.ofSeconds(3)).build();
    }

    /** A TCP connection to the port with the TLS handshake done (SNI none: the host is an IP literal). */
    SSLSocket connect(int port, int timeoutMillis) throws IOException {
        return connect(shared, port, timeoutMillis);
    }

    static SSLSocket connect(SSLContext context, int port, int timeoutMillis) throws IOException {
        Socket plain = new Socket();
        plain.connect(new InetSocketAddress(LOOPBACK, port), timeoutMillis);
        plain.setSoTimeout(timeoutMillis);
        SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket(plain, LOOPBACK, port, true);
        SSLParameters parameters = socket.getSSLParameters();
        parameters.setApplicationProtocols(new String[] {"http/1.1"});
        socket.setSSLParameters(parameters);
        socket.startHandshake();
        return socket;
    }

    /** SHA-256 fingerprint of the certificate presented in a brand-new handshake. */
    String servedFingerprint(int port) throws IOException {
        try (SSLSocket socket = connect(newContext(), port, 3000)) {
            return fingerprint((X509Certificate) socket.getSession().getPeerCertificates()[0]);
        }
    }

    static String fingerprint(Path pem) {
        return fingerprint(certificate(pem));
    }

    private static X509Certificate certificate(Path pem) {
        try (InputStream in = Files.newInputStream(pem)) {
            return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalStateException("cannot read " + pem, e);
        }
    }

    static String fingerprint(X509Certificate certificate) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(certificate.getEncoded()));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
