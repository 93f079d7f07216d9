package io.spiffeoidc.http;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;

/**
 * The request-head deadline's share of the transport Vert.x builds its listeners with. As a listener's
 * bootstrap is configured, before it binds, a handler goes on its listening channel that gives
 * each accepted connection a {@link RequestHeadDeadline} before Vert.x builds that connection's pipeline:
 * no connection is accepted without one. {@link RequestHeadDeadlines} arms it before Quarkus starts any
 * listener; a listener configured before that is remembered, and start-up stops.
 */
final class ListenerDeadlines {

    private static final String HANDLER_NAME = "spiffe-oidc-request-head-deadline";

    /** Zero until armed. */
    private volatile long deadlineNanos;
    private volatile boolean missedListener;

    void arm(long nanos) {
        deadlineNanos = nanos;
    }

    boolean missedListener() {
        return missedListener;
    }

    /**
     * Called by the transport as Vert.x configures a listener, on any thread, before the listener binds.
     * Vert.x hands over the listener's options as plain NetServerOptions, HTTP or not; every listener Vert.x
     * opens in this service is an HTTP one (Quarkus's public and management listeners).
     */
    void configure(ServerBootstrap bootstrap) {
        long nanos = deadlineNanos;
        if (nanos == 0) {
            missedListener = true;
            return;
        }
        bootstrap.handler(new AcceptedConnections(nanos));
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
