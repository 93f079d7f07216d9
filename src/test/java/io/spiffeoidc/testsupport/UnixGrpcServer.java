package io.spiffeoidc.testsupport;

import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.channel.ChannelOption;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.unix.DomainSocketAddress;
import io.grpc.netty.shaded.io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** A grpc-java server on a real Unix socket that can die and come back on the same path, as SPIRE does on restart. */
final class UnixGrpcServer implements AutoCloseable {

    private final Path socket;
    private final ServerServiceDefinition service;
    private final EpollEventLoopGroup boss = new EpollEventLoopGroup(1, new DefaultThreadFactory("fake-grpc-boss", true));
    private final EpollEventLoopGroup workers = new EpollEventLoopGroup(1, new DefaultThreadFactory("fake-grpc", true));
    private Server server;

    UnixGrpcServer(Path socket, ServerServiceDefinition service) {
        this.socket = socket;
        this.service = service;
    }

    synchronized void start() {
        if (server != null) {
            return;
        }
        try {
            Files.deleteIfExists(socket);
            server = NettyServerBuilder.forAddress(new DomainSocketAddress(socket.toString()))
                    .channelType(EpollServerDomainSocketChannel.class)
                    .bossEventLoopGroup(boss)
                    .workerEventLoopGroup(workers)
                    .withChildOption(ChannelOption.SO_KEEPALIVE, null)
                    .addService(service)
                    .build()
                    .start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Drops every connection at once and removes the socket file, like a killed agent whose directory is cleaned. */
    synchronized void stop() {
        if (server == null) {
            return;
        }
        server.shutdownNow();
        try {
            server.awaitTermination(5, TimeUnit.SECONDS);
            Files.deleteIfExists(socket);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        server = null;
    }

    synchronized boolean running() {
        return server != null;
    }

    @Override
    public void close() {
        stop();
        boss.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(2, TimeUnit.SECONDS);
        workers.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(2, TimeUnit.SECONDS);
    }
}
