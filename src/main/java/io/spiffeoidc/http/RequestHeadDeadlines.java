package io.spiffeoidc.http;

import io.quarkus.runtime.configuration.ConfigurationException;
import io.quarkus.vertx.http.ManagementInterface;
import io.spiffeoidc.config.ProviderSettings;
import io.vertx.core.Vertx;
import io.vertx.core.impl.VertxInternal;
import io.vertx.core.spi.transport.Transport;
import io.vertx.ext.web.Router;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

/**
 * Gives every connection accepted by the service's HTTP listeners (TCP, TLS, Unix socket, management) a
 * {@link RequestHeadDeadline} (spiffe-oidc.request-head-timeout).
 *
 * <p>Neither Vert.x nor Quarkus has a header-read timeout or a hook on accepted connections for a server
 * Quarkus creates. Vert.x does look its transport up through the ServiceLoader, and the transport
 * configures each listener before it binds: this service's transports ({@link DeadlineTransport}) put the
 * deadline on the listening channel there, so it is in place before the first connection. Quarkus builds
 * each router before it starts that router's listeners; the deadline is armed then, synchronously. If
 * Vert.x did not take the service's transport, or a listener was configured before the deadline was armed,
 * start-up stops with one line.
 */
@ApplicationScoped
public class RequestHeadDeadlines {

    private static final String PROPERTY = "spiffe-oidc.request-head-timeout";

    @Inject
    Vertx vertx;

    @Inject
    ProviderSettings settings;

    /** Before the public listeners: TCP, TLS and the Unix socket. */
    void beforePublicListeners(@Observes Router router) {
        arm();
    }

    /**
     * Before the management listener. Management requests pair with their responses too, so a slow scrape is
     * never cut off mid-answer.
     */
    void beforeManagementListener(@Observes ManagementInterface management) {
        arm();
        management.router().route().order(Integer.MIN_VALUE).handler(routing -> {
            RequestHeadDeadline.requestHeadReceived(routing);
            routing.next();
        });
    }

    void arm() {
        Transport transport = ((VertxInternal) vertx).transport();
        if (!(transport instanceof DeadlineTransport deadlineTransport)) {
            throw new ConfigurationException(PROPERTY + ": cannot be applied: Vert.x builds its listeners with "
                    + transport.getClass().getName() + " instead of the service's transport; keep"
                    + " quarkus.vertx.prefer-native-transport=true");
        }
        ListenerDeadlines deadlines = deadlineTransport.deadlines();
        if (deadlines.missedListener()) {
            throw new ConfigurationException(PROPERTY + ": cannot be applied: a listener was configured before"
                    + " the deadline was armed");
        }
        deadlines.arm(settings.requestHeadTimeout().toNanos());
    }
}
