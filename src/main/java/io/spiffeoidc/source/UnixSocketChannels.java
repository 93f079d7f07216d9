package io.spiffeoidc.source;

import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.channel.ChannelOption;
import io.grpc.netty.shaded.io.netty.channel.epoll.Epoll;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.unix.DomainSocketAddress;
import io.grpc.netty.shaded.io.netty.util.concurrent.DefaultThreadFactory;
import io.quarkus.runtime.configuration.ConfigurationException;
import java.nio.file.Path;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

/**
 * gRPC channels to a local Unix domain socket, on one daemon event-loop thread owned by the source.
 * The shaded Netty of grpc-netty-shaded keeps these channels apart from the Netty that Quarkus serves
 * HTTP with, so neither side's versions or native transports can interfere with the other's.
 */
public final class UnixSocketChannels implements AutoCloseable {

    private final EpollEventLoopGroup eventLoop;

    public UnixSocketChannels(String threadName) {
        if (!Epoll.isAvailable()) {
            // No fallback exists: gRPC's NIO transport cannot reach a Unix socket. One line, not a stack trace.
            Throwable cause = Epoll.unavailabilityCause();
            throw new ConfigurationException("Cannot reach a Unix socket: gRPC's native epoll transport did not load ("
                    + (cause == null ? "unknown cause" : cause.getMessage()) + "); put quarkus-app/native on"
                    + " java.library.path (the image does) or give the JVM a writable, executable java.io.tmpdir");
        }
        this.eventLoop = new EpollEventLoopGroup(1, new DefaultThreadFactory(threadName, true));
    }

    /**
     * A builder for a plaintext channel to {@code socket} whose callbacks run on {@code executor}. Peer
     * authentication is the socket itself: SPIRE identifies callers by their process credentials.
     */
    public NettyChannelBuilder builder(Path socket, Executor executor) {
        return NettyChannelBuilder.forAddress(new DomainSocketAddress(socket.toString()))
                .eventLoopGroup(eventLoop)
                .channelType(EpollDomainSocketChannel.class)
                .executor(executor)
                // gRPC sets TCP keepalive on every channel; a Unix socket has none and Netty would warn on each connect.
                .withOption(ChannelOption.SO_KEEPALIVE, null)
                .usePlaintext();
    }

    @Override
    public void close() {
        eventLoop.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(2, TimeUnit.SECONDS);
    }

    /**
     * One line for logs and health data, e.g. "UNAVAILABLE: io exception (FileNotFoundException)" when the
     * socket does not exist: gRPC's own description alone does not tell a missing socket from a refused one.
     * The publisher passes it through {@link io.spiffeoidc.logging.LogSanitiser} like every outside value.
     */
    public static String describe(Status status) {
        StringBuilder text = new StringBuilder(status.getCode().name());
        if (status.getDescription() != null) {
            text.append(": ").append(status.getDescription());
        }
        Throwable cause = status.getCause();
        if (cause != null) {
            text.append(" (").append(cause.getMessage() != null ? cause.getMessage() : cause.getClass().getSimpleName()).append(')');
        }
        return text.toString();
    }
}
