package io.spiffeoidc.ops;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.health.api.HealthRegistry;
import io.spiffeoidc.config.ProviderSettings;
import io.spiffeoidc.tls.SvidServingCertificate;
import io.spiffeoidc.tls.SvidServingCertificate.Served;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Readiness;

/**
 * With the HTTPS certificate taken from the agent's X509-SVID, the replica is ready only while an SVID is served
 * and has not expired: before the first one every handshake fails, and an expired one fails every client that
 * checks dates. Metrics give the time left on the served SVID and the SVIDs refused, for alerts.
 */
@ApplicationScoped
public class ServingCertificateHealth {

    static final String CHECK = "serving-certificate";

    @Inject
    ProviderSettings settings;

    @Inject
    SvidServingCertificate certificate;

    @Inject
    @Readiness
    HealthRegistry readiness;

    @Inject
    MeterRegistry meters;

    void register(@Observes StartupEvent event) {
        if (settings.tls().svidSocket().isEmpty()) {
            return;
        }
        readiness.register(CHECK, this::check);
        Gauge.builder("spiffe.oidc.tls.svid.expiry", certificate,
                c -> c.served().map(s -> Duration.between(Instant.now(), s.notAfter()).toMillis() / 1000.0).orElse(Double.NaN))
                .description("Seconds until the served X509-SVID expires (NaN before the first one)")
                .baseUnit("seconds")
                .register(meters);
        FunctionCounter.builder("spiffe.oidc.tls.svid.refused", certificate, SvidServingCertificate::refusedCount)
                .description("X509-SVIDs from the agent refused (key does not fit, dates, SPIFFE ID)")
                .register(meters);
    }

    private HealthCheckResponse check() {
        Optional<Served> served = certificate.served();
        HealthCheckResponseBuilder response = HealthCheckResponse.named(CHECK)
                .withData("source", "workload API unix://" + settings.tls().svidSocket().orElseThrow());
        if (served.isEmpty()) {
            return response.withData("reason", "no X509-SVID received from the agent yet").down().build();
        }
        Served svid = served.get();
        boolean valid = Instant.now().isBefore(svid.notAfter());
        response.withData("spiffeId", svid.spiffeId()).withData("serial", svid.serial())
                .withData("notAfter", svid.notAfter().toString());
        if (!valid) {
            response.withData("reason", "the served X509-SVID has expired and the agent sent no newer one");
        }
        return response.status(valid).build();
    }
}
