package io.spiffeoidc.tls;

/**
 * Runs the reloader's pass over the certificate files on the calling thread, as its timer does every
 * spiffe-oidc.tls.reload-period: a test that must know passes happened runs them rather than sleeping through
 * periods. A pass is synchronized with the timer's, so the two never overlap.
 */
public final class ReloadPasses {

    private ReloadPasses() {
    }

    public static void run(CertificateReloader reloader, int passes) {
        for (int i = 0; i < passes; i++) {
            reloader.reloadIfChanged();
        }
    }
}
