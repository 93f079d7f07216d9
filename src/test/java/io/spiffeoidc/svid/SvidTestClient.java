package io.spiffeoidc.svid;

import io.spiffe.bundle.x509bundle.X509Bundle;
import io.spiffe.spiffeid.SpiffeId;
import io.spiffe.spiffeid.TrustDomain;
import io.spiffe.svid.x509svid.X509SvidValidator;
import io.spiffeoidc.testsupport.RawHttp;
import java.io.IOException;
import java.net.Socket;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * A relying party as an in-mesh client is one: it trusts only the trust domain's X.509 bundle and accepts the
 * server only if its X509-SVID names the expected SPIFFE ID. Verification is java-spiffe's (chain against the
 * bundle, then the URI SAN), not this service's own code; there is no host-name check, as SPIFFE clients do none.
 */
final class SvidTestClient {

    private final SSLContext context;

    SvidTestClient(X509Certificate authority, String expectedSpiffeId) {
        try {
            X509Bundle bundle = new X509Bundle(TrustDomain.parse("example.org"), Set.of(authority));
            SpiffeId expected = SpiffeId.parse(expectedSpiffeId);
            context = SSLContext.getInstance("TLS");
            context.init(null, new TrustManager[] {new SpiffeVerifier(bundle, expected)}, null);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** A handshake with 127.0.0.1:{@code port}; the socket is the caller's to close. */
    SSLSocket connect(int port) throws IOException {
        SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket("127.0.0.1", port);
        socket.setSoTimeout(5000);
        socket.startHandshake();
        return socket;
    }

    static X509Certificate peer(SSLSocket socket) throws IOException {
        return (X509Certificate) socket.getSession().getPeerCertificates()[0];
    }

    /** One keep-alive GET on an open connection: the status line and the body. */
    static String[] get(Socket socket, String path) throws IOException {
        RawHttp.Response response = RawHttp.exchange(socket, "GET " + path + " HTTP/1.1\r\nHost: localhost\r\n\r\n", false);
        return new String[] {response.head().substring(0, response.head().indexOf("\r\n")), response.body()};
    }

    private static final class SpiffeVerifier extends X509ExtendedTrustManager {

        private final X509Bundle bundle;
        private final SpiffeId expected;

        SpiffeVerifier(X509Bundle bundle, SpiffeId expected) {
            this.bundle = bundle;
            this.expected = expected;
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            try {
                X509SvidValidator.verifyChain(Arrays.asList(chain), bundle);
            } catch (io.spiffe.exception.BundleNotFoundException e) {
                throw new CertificateException(e);
            }
            X509SvidValidator.verifySpiffeId(chain[0], () -> Set.of(expected));
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
            checkServerTrusted(chain, authType);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
            checkServerTrusted(chain, authType);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            throw new CertificateException("client certificates are not used");
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
            checkClientTrusted(chain, authType);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
            checkClientTrusted(chain, authType);
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return List.of().toArray(new X509Certificate[0]);
        }
    }
}
