package io.spiffeoidc.http;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFactory;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.InternetProtocolFamily;
import io.vertx.core.datagram.DatagramSocketOptions;
import io.vertx.core.impl.VertxBuilder;
import io.vertx.core.net.ClientOptionsBase;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.SocketAddress;
import io.vertx.core.spi.transport.Transport;
import java.util.concurrent.ThreadFactory;

/**
 * The native transport Vert.x would pick itself (epoll, else kqueue), with the request-head deadline
 * on every listener. Unavailable where no native transport loads; {@link JdkDeadlineTransport} is
 * next in the ServiceLoader's order.
 */
public final class NativeDeadlineTransport implements Transport, DeadlineTransport {

    private final Transport delegate = VertxBuilder.nativeTransport();
    private final ListenerDeadlines deadlines = new ListenerDeadlines();

    @Override
    public ListenerDeadlines deadlines() {
        return deadlines;
    }

    @Override
    public boolean isAvailable() {
        return delegate != null && delegate.isAvailable();
    }

    @Override
    public Throwable unavailabilityCause() {
        return delegate == null
                ? new IllegalStateException("no native transport on the class path")
                : delegate.unavailabilityCause();
    }

    @Override
    public boolean supportsDomainSockets() {
        return delegate.supportsDomainSockets();
    }

    @Override
    public boolean supportFileRegion() {
        return delegate.supportFileRegion();
    }

    @Override
    public java.net.SocketAddress convert(SocketAddress address) {
        return delegate.convert(address);
    }

    @Override
    public SocketAddress convert(java.net.SocketAddress address) {
        return delegate.convert(address);
    }

    @Override
    public EventLoopGroup eventLoopGroup(int type, int threads, ThreadFactory threadFactory, int ioRatio) {
        return delegate.eventLoopGroup(type, threads, threadFactory, ioRatio);
    }

    @Override
    public DatagramChannel datagramChannel() {
        return delegate.datagramChannel();
    }

    @Override
    public DatagramChannel datagramChannel(InternetProtocolFamily family) {
        return delegate.datagramChannel(family);
    }

    @Override
    public ChannelFactory<? extends Channel> channelFactory(boolean domainSocket) {
        return delegate.channelFactory(domainSocket);
    }

    @Override
    public ChannelFactory<? extends ServerChannel> serverChannelFactory(boolean domainSocket) {
        return delegate.serverChannelFactory(domainSocket);
    }

    @Override
    public void configure(DatagramChannel channel, DatagramSocketOptions options) {
        delegate.configure(channel, options);
    }

    @Override
    public void configure(ClientOptionsBase options, boolean domainSocket, Bootstrap bootstrap) {
        delegate.configure(options, domainSocket, bootstrap);
    }

    @Override
    public void configure(NetServerOptions options, boolean domainSocket, ServerBootstrap bootstrap) {
        delegate.configure(options, domainSocket, bootstrap);
        deadlines.configure(bootstrap);
    }
}
