package io.spiffeoidc.tls;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.tls.CertificateUpdatedEvent;
import io.quarkus.tls.TlsConfiguration;
import io.quarkus.tls.TlsConfigurationRegistry;
import io.spiffeoidc.config.ProviderSettings;
import io.spiffeoidc.config.TlsSettings;
import io.vertx.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Event;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.io.IOException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.jboss.logging.Logger;

/**
 * Re-reads the HTTPS certificate files every spiffe-oidc.tls.reload-period and hands a changed, valid pair
 * to the public listener; new connections get it, open ones keep theirs. This replaces quarkus.tls.reload-period,
 * which swaps in whatever the files contain (a key that does not match the certificate breaks every
 * handshake) and says nothing when they cannot be read. Here a broken pair leaves the served certificate
 * in place and is logged once per distinct file content, not once per period.
 */
@ApplicationScoped
public class CertificateReloader {

    private static final Logger LOG = Logger.getLogger(CertificateReloader.class);

    /** The TLS registry configuration of the public listener (quarkus.http.tls-configuration-name). */
    public static final String PUBLIC_TLS = "public";

    @Inject
    Vertx vertx;

    @Inject
    TlsConfigurationRegistry registry;

    @Inject
    Event<CertificateUpdatedEvent> certificateUpdates;

    @Inject
    ProviderSettings settings;

    private TlsConfiguration tls;
    private KeyCertFiles files;
    private String servedFingerprint;
    private String seenFingerprint;
    // The problem of the last line logged, so a refused state logs once however often its bytes change.
    private String loggedProblem;
    private long timer = -1;

    void start(@Observes StartupEvent event) {
        TlsSettings tlsSettings = settings.tls();
        Duration period = tlsSettings.reloadPeriod();
        Optional<TlsConfiguration> configured = registry.get(PUBLIC_TLS);
        // The public listener's PEM pair: the one the deployment points at its secret mount.
        if (period.isZero() || configured.isEmpty() || configured.get().getKeyStore() == null
                || tlsSettings.certFile().isEmpty() || tlsSettings.keyFile().isEmpty()) {
            return;
        }
        tls = configured.get();
        files = new KeyCertFiles(tlsSettings.certFile().get(), tlsSettings.keyFile().get());
        try {
            // Quarkus has just loaded these files for the listener: that content is what is being served.
            servedFingerprint = files.read().fingerprint();
        } catch (IOException e) {
            servedFingerprint = null;
        }
        seenFingerprint = servedFingerprint;
        timer = vertx.setPeriodic(period.toMillis(), id -> vertx.executeBlocking(() -> {
            reloadIfChanged();
            return null;
        }, false));
    }

    void stop(@Observes ShutdownEvent event) {
        if (timer >= 0) {
            vertx.cancelTimer(timer);
        }
    }

    /** One pass: nothing happens unless the files' content differs from the last pass. */
    synchronized void reloadIfChanged() {
        KeyCertFiles.Contents contents;
        try {
            contents = files.read();
        } catch (IOException e) {
            refuse("unreadable: " + e, "cannot be read (" + e + ")");
            return;
        }
        String fingerprint = contents.fingerprint();
        if (fingerprint.equals(seenFingerprint)) {
            return;
        }
        if (fingerprint.equals(servedFingerprint)) {
            seenFingerprint = fingerprint;
            loggedProblem = null;
            LOG.infof("TLS certificate files %s and %s again hold the certificate being served", files.cert(), files.key());
            return;
        }
        KeyCertCheck.Result result = KeyCertCheck.check(contents, Instant.now());
        if (!result.isUsable()) {
            refuse(fingerprint, result.problem());
            return;
        }
        if (!tls.reload()) {
            refuse(fingerprint, "the TLS registry could not load them");
            return;
        }
        if (!sameContentAs(fingerprint)) {
            // Rewritten while the registry was loading them: what it read is unchecked, so look again next pass.
            return;
        }
        certificateUpdates.fire(new CertificateUpdatedEvent(tls.getName(), tls));
        servedFingerprint = fingerprint;
        seenFingerprint = fingerprint;
        loggedProblem = null;
        X509Certificate leaf = result.leaf().orElseThrow();
        LOG.infof("Serving TLS certificate %s (serial %s, valid until %s) from %s", KeyCertCheck.subject(leaf),
                leaf.getSerialNumber().toString(16), leaf.getNotAfter().toInstant(), files.cert());
    }

    private boolean sameContentAs(String fingerprint) {
        try {
            return files.read().fingerprint().equals(fingerprint);
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * Logs once per distinct problem; the listener keeps the certificate it has. Two files cannot be replaced
     * at once, so a pass may see the new certificate with the old key and then with the new (also wrong)
     * key: two contents, one problem, one line.
     */
    private void refuse(String state, String problem) {
        if (state.equals(seenFingerprint)) {
            return;
        }
        seenFingerprint = state;
        if (problem.equals(loggedProblem)) {
            return;
        }
        loggedProblem = problem;
        LOG.errorf("TLS certificate files %s and %s not loaded: %s; still serving the previous certificate", files.cert(),
                files.key(), problem);
    }
}
