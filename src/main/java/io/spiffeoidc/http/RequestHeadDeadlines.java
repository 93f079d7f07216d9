package io.spiffeoidc.http;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.quarkus.vertx.http.DomainSocketServerStart;
import io.quarkus.vertx.http.HttpServerStart;
import io.quarkus.vertx.http.HttpsServerStart;
import io.quarkus.vertx.http.ManagementInterface;
import io.spiffeoidc.config.ProviderSettings;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.impl.HttpServerImpl;
import io.vertx.core.impl.VertxInternal;
import io.vertx.core.net.impl.TCPServerBase;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.event.ObservesAsync;
import jakarta.inject.Inject;
import java.lang.reflect.Field;

/**
 * Gives every connection accepted by the service's HTTP listeners (TCP, TLS, Unix socket, management) a
 * {@link RequestHeadDeadline} (spiffe-oidc.request-head-timeout).
 *
 * <p>Neither Vert.x nor Quarkus has a header-read timeout or a hook on accepted connections for a
 * server Quarkus creates, so a handler goes on each listening channel, ahead of Netty's acceptor, and
 * adds the deadline to every accepted channel before Vert.x builds its pipeline. Reaching the listening
 * channel needs one Vert.x internal field; a Vert.x release that renames it fails start-up (and the
 * tests) rather than leaving listeners without the bound.
 */
@ApplicationScoped
public class RequestHeadDeadlines {

    private static final String HANDLER_NAME = "spiffe-oidc-request-head-deadline";

    @Inject
    Vertx vertx;

    @Inject
    ProviderSettings settings;

    void onHttp(@ObservesAsync HttpServerStart started) {
        installOnListeners();
    }

    void onHttps(@ObservesAsync HttpsServerStart started) {
        installOnListeners();
    }

    void onDomainSocket(@ObservesAsync DomainSocketServerStart started) {
        installOnListeners();
    }

    /** Management requests pair with their responses too, so a slow scrape is never cut off mid-answer. */
    void onManagement(@Observes ManagementInterface management) {
        management.router().route().order(Integer.MIN_VALUE).handler(routing -> {
            RequestHeadDeadline.requestHeadReceived(routing);
            routing.next();
        });
    }

    /**
     * Every listener started so far. Quarkus starts the management interface before the public listeners
     * and reports each public one once it listens, so the last report has covered them all.
     */
    void installOnListeners() {
        AcceptedConnections interceptor = new AcceptedConnections(settings.requestHeadTimeout().toNanos());
        for (HttpServerImpl server : ((VertxInternal) vertx).sharedHttpServers().values()) {
            Future<Channel> bound = bindFuture(server);
            if (bound != null) {
                // A listener still binding gets the handler once it is bound.
                bound.onSuccess(listening -> install(listening, interceptor));
            }
        }
    }

    private static synchronized void install(Channel listening, AcceptedConnections interceptor) {
        if (listening.pipeline().get(HANDLER_NAME) == null) {
            listening.pipeline().addFirst(HANDLER_NAME, interceptor);
        }
    }

    @SuppressWarnings("unchecked")
    private static Future<Channel> bindFuture(TCPServerBase server) {
        try {
            Field bound = TCPServerBase.class.getDeclaredField("bindFuture");
            bound.setAccessible(true);
            return (Future<Channel>) bound.get(server);
        } catch (ReflectiveOperationException | RuntimeException e) {
            throw new IllegalStateException("cannot apply spiffe-oidc.request-head-timeout to this Vert.x version", e);
        }
    }

    /** On a listening channel: each message read is an accepted connection, not yet registered. */
    @ChannelHandler.Sharable
    static final class AcceptedConnections extends ChannelInboundHandlerAdapter {

        private final long deadlineNanos;

        AcceptedConnections(long deadlineNanos) {
            this.deadlineNanos = deadlineNanos;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof Channel accepted) {
                accepted.pipeline().addFirst(HANDLER_NAME, new RequestHeadDeadline(deadlineNanos));
            }
            ctx.fireChannelRead(msg);
        }
    }
}
