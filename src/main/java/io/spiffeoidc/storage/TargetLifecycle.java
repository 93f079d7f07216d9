package io.spiffeoidc.storage;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.spiffeoidc.bundle.PublishedView;
import io.spiffeoidc.bundle.TrustDomainViews;
import io.spiffeoidc.config.ProviderSettings;
import io.spiffeoidc.config.Target;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import org.jboss.logging.Logger;

/**
 * Starts one {@link TargetPublisher} per configured static issuer once the configuration is validated,
 * and stops them (giving their leases back) on shutdown.
 */
@ApplicationScoped
public class TargetLifecycle {

    /** After the sources (100): a publisher only waits for the snapshot to change. */
    static final int START_PRIORITY = 110;

    private static final Logger LOG = Logger.getLogger(TargetLifecycle.class);

    @Inject
    ProviderSettings settings;

    @Inject
    TrustDomainViews views;

    private final List<TargetPublisher> publishers = new ArrayList<>();

    void start(@Observes @Priority(START_PRIORITY) StartupEvent event) {
        String instance = instanceName();
        for (Target target : settings.targets()) {
            TargetPublisher publisher = new TargetPublisher(target, ObjectStores.open(target.store()), view(target),
                    instance, Clock.systemUTC());
            publishers.add(publisher);
            LOG.infof("Static issuer %s: publishing %s (%s) to %s as %s", target.name(), target.issuerUrl(),
                    target.issuer().trustDomain().isEmpty() ? "primary" : target.issuer().trustDomain(),
                    publisher.storeName(), instance);
            publisher.start();
        }
    }

    void stop(@Observes ShutdownEvent event) {
        publishers.forEach(TargetPublisher::stop);
    }

    /** Every target's publisher, for metrics: read-only use. */
    public List<TargetPublisher> publishers() {
        return List.copyOf(publishers);
    }

    private PublishedView view(Target target) {
        if (target.issuer().primary()) {
            return views.primary();
        }
        return Optional.ofNullable(views.federated().get(target.issuer().trustDomain())).orElseThrow();
    }

    /** The pod's name where there is one, so the lease object says who holds it; unique per start. */
    private static String instanceName() {
        String host = Optional.ofNullable(System.getenv("HOSTNAME")).filter(name -> name.matches("[A-Za-z0-9._-]{1,100}"))
                .orElse("instance");
        byte[] random = new byte[4];
        ThreadLocalRandom.current().nextBytes(random);
        return host + "-" + HexFormat.of().formatHex(random);
    }
}
