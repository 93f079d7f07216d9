package io.spiffeoidc.tls;

import io.smallrye.common.annotation.Identifier;
import io.spiffeoidc.logging.LogSanitiser;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import org.jboss.logging.Logger;

/**
 * The HTTPS certificate when it comes from the SPIRE agent (spiffe-oidc.tls.serving-certificate=workload-api):
 * the one place that judges each X509-SVID the agent hands over and swaps it into the public listener. An SVID
 * is served only if its key fits its certificate, its dates are valid and its certificate names the SPIFFE ID it
 * came with; otherwise one line says why and the previous SVID stays served. An accepted SVID goes to
 * {@link SvidKeyStore}, whose key manager every new handshake asks: new connections get it, open ones keep
 * theirs. The key is held only in memory, never written anywhere.
 */
@ApplicationScoped
public class SvidServingCertificate {

    private static final Logger LOG = Logger.getLogger(SvidServingCertificate.class);

    /** What the service serves now, for readiness and metrics. */
    public record Served(String spiffeId, String serial, Instant notAfter) {
    }

    /** One X509-SVID as the Workload API carries it: the DER chain (SVID first) and the PKCS#8 DER key. */
    public record Candidate(String spiffeId, byte[] chain, byte[] key) {
    }

    @Inject
    @Identifier(CertificateReloader.PUBLIC_TLS)
    SvidKeyStore keyStore;

    // Written by the one thread that offers SVIDs; read by health and metric scrapes.
    private volatile Served served;
    private String servedFingerprint;
    private String refusedFingerprint;
    private volatile long refused;
    private String loggedProblem;

    /**
     * Serves {@code candidate} if it passes every check, else logs the first refusal of its kind and keeps the
     * served SVID. Returns whether it is now served. Called from one thread at a time.
     */
    public synchronized boolean offer(Candidate candidate, Instant now) {
        // The agent sends the same SVID again on every new stream: one served is not swapped in again, and one
        // refused is judged again (its dates may have become valid) but counted and logged once.
        String fingerprint = new KeyCertFiles.Contents(candidate.chain(), candidate.key()).fingerprint();
        if (fingerprint.equals(servedFingerprint)) {
            return true;
        }
        List<X509Certificate> chain;
        KeyCertFiles.Contents contents;
        X509Certificate leaf;
        try {
            chain = chain(candidate.chain());
            contents = new KeyCertFiles.Contents(pem("CERTIFICATE", chain), pem("PRIVATE KEY", List.of(candidate.key())));
        } catch (CertificateException e) {
            return refuse(fingerprint, candidate, "the certificate chain is not DER X.509 (" + e.getMessage() + ")");
        }
        KeyCertCheck.Result result = KeyCertCheck.check(contents, now);
        if (!result.isUsable()) {
            return refuse(fingerprint, candidate, result.problem());
        }
        leaf = result.leaf().orElseThrow();
        Optional<String> mismatch = spiffeIdMismatch(candidate.spiffeId(), leaf);
        if (mismatch.isPresent()) {
            return refuse(fingerprint, candidate, mismatch.get());
        }
        PrivateKey key;
        try {
            key = KeyFactory.getInstance(leaf.getPublicKey().getAlgorithm()).generatePrivate(new PKCS8EncodedKeySpec(candidate.key()));
        } catch (GeneralSecurityException e) {
            return refuse(fingerprint, candidate, "its key is not a PKCS#8 " + leaf.getPublicKey().getAlgorithm() + " key (" + e.getMessage() + ")");
        }
        String serial = leaf.getSerialNumber().toString(16);
        keyStore.serve(new SvidKeyManager.Material("svid-" + serial + "-" + fingerprint.substring(0, 16),
                chain.toArray(new X509Certificate[0]), key));
        servedFingerprint = fingerprint;
        refusedFingerprint = null;
        served = new Served(candidate.spiffeId(), serial, leaf.getNotAfter().toInstant());
        loggedProblem = null;
        LOG.infof("Serving X509-SVID %s (serial %s, valid until %s) from the Workload API", LogSanitiser.clean(candidate.spiffeId()),
                serial, leaf.getNotAfter().toInstant());
        return true;
    }

    public Optional<Served> served() {
        return Optional.ofNullable(served);
    }

    /** Distinct SVIDs refused since start. */
    public long refusedCount() {
        return refused;
    }

    private boolean refuse(String fingerprint, Candidate candidate, String problem) {
        if (!fingerprint.equals(refusedFingerprint)) {
            refused++;
        }
        refusedFingerprint = fingerprint;
        if (!problem.equals(loggedProblem)) {
            loggedProblem = problem;
            Served still = served;
            LOG.errorf("X509-SVID %s from the Workload API not served: %s; %s", LogSanitiser.clean(candidate.spiffeId()), problem,
                    still == null ? "no certificate is served yet" : "still serving " + still.spiffeId() + " (serial " + still.serial() + ")");
        }
        return false;
    }

    /** The X509-SVID rule: exactly one URI SAN, the SPIFFE ID the agent sent it under. */
    private static Optional<String> spiffeIdMismatch(String spiffeId, X509Certificate leaf) {
        if (!spiffeId.startsWith("spiffe://")) {
            return Optional.of("\"" + LogSanitiser.clean(spiffeId) + "\" is not a SPIFFE ID");
        }
        List<String> uris = new ArrayList<>();
        try {
            Collection<List<?>> names = leaf.getSubjectAlternativeNames();
            if (names != null) {
                for (List<?> name : names) {
                    if (Integer.valueOf(6).equals(name.get(0))) {
                        uris.add(String.valueOf(name.get(1)));
                    }
                }
            }
        } catch (CertificateParsingException e) {
            return Optional.of("its subject alternative names cannot be read (" + e.getMessage() + ")");
        }
        if (uris.size() != 1 || !URI.create(uris.get(0)).equals(URI.create(spiffeId))) {
            return Optional.of("its certificate's URI names " + LogSanitiser.clean(uris.toString())
                    + " are not exactly the SPIFFE ID it was sent under");
        }
        return Optional.empty();
    }

    private static List<X509Certificate> chain(byte[] der) throws CertificateException {
        Collection<? extends java.security.cert.Certificate> certificates = CertificateFactory.getInstance("X.509")
                .generateCertificates(new ByteArrayInputStream(der));
        if (certificates.isEmpty()) {
            throw new CertificateException("no certificate");
        }
        List<X509Certificate> chain = new ArrayList<>();
        for (java.security.cert.Certificate certificate : certificates) {
            chain.add((X509Certificate) certificate);
        }
        return chain;
    }

    private static byte[] pem(String label, List<?> items) throws CertificateException {
        StringBuilder text = new StringBuilder();
        Base64.Encoder encoder = Base64.getMimeEncoder(64, new byte[] {'\n'});
        for (Object item : items) {
            byte[] der = item instanceof X509Certificate certificate ? certificate.getEncoded() : (byte[]) item;
            text.append("-----BEGIN ").append(label).append("-----\n").append(encoder.encodeToString(der))
                    .append("\n-----END ").append(label).append("-----\n");
        }
        return text.toString().getBytes(StandardCharsets.US_ASCII);
    }
}
