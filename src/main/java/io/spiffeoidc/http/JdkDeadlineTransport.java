package io.spiffeoidc.http;

import io.netty.bootstrap.ServerBootstrap;
import io.vertx.core.impl.transports.JDKTransport;
import io.vertx.core.net.NetServerOptions;

/**
 * The JDK's transport, with the request-head deadline on every listener, where no native transport
 * loads. It stays a {@link JDKTransport}, so Vert.x and Quarkus still know that no native transport is in
 * use (no Unix socket listener, for one).
 */
public final class JdkDeadlineTransport extends JDKTransport implements DeadlineTransport {

    private final ListenerDeadlines deadlines = new ListenerDeadlines();

    @Override
    public ListenerDeadlines deadlines() {
        return deadlines;
    }

    @Override
    public void configure(NetServerOptions options, boolean domainSocket, ServerBootstrap bootstrap) {
        super.configure(options, domainSocket, bootstrap);
        deadlines.configure(bootstrap);
    }
}
