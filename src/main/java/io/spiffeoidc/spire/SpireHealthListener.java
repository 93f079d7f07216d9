package io.spiffeoidc.spire;

import io.spiffeoidc.spire.SpireSettings.HealthChecks;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.file.FileSystemOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * SPIRE's health endpoints (health_checks: bind_port, ready_path, live_path): plain HTTP on all interfaces,
 * as the operator's probes expect. It is listening before Quarkus starts, so a probe gets an answer
 * within its one-second timeout from the first second of the process ("not ready yet" until the service
 * is up), and it answers with the service's own readiness and liveness checks once they exist.
 * A Vert.x instance of its own, one event loop and one worker: it must exist before Quarkus's does.
 */
public final class SpireHealthListener {

    private static final Buffer NOT_FOUND = Buffer.buffer("{\"error\":\"not found\"}");
    private static final Buffer METHOD_NOT_ALLOWED = Buffer.buffer("{\"error\":\"method not allowed\"}");

    private static volatile HealthAnswers answers = HealthAnswers.NOT_STARTED;

    private SpireHealthListener() {
    }

    /** Called once the service's checks can run; {@link HealthAnswers#NOT_STARTED} again when it stops. */
    static void answerWith(HealthAnswers current) {
        answers = current;
    }

    /**
     * Starts the listener SPIRE's file asks for, if any. Returns the one line to print before exiting when
     * the port cannot be bound.
     */
    public static Optional<String> start() {
        Optional<HealthChecks> checks = SpireMode.healthChecks();
        if (checks.isEmpty()) {
            return Optional.empty();
        }
        HealthChecks config = checks.get();
        Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1).setWorkerPoolSize(1)
                .setInternalBlockingPoolSize(1)
                // No class-path file cache: nothing under /tmp or the working directory.
                .setFileSystemOptions(new FileSystemOptions().setClassPathResolvingEnabled(false)
                        .setFileCachingEnabled(false)));
        HttpServer server = vertx.createHttpServer(new HttpServerOptions().setHost("0.0.0.0").setPort(config.port())
                .setMaxInitialLineLength(2048).setMaxHeaderSize(8192).setIdleTimeout(30)
                .setIdleTimeoutUnit(TimeUnit.SECONDS));
        server.requestHandler(request -> answer(request, config));
        try {
            server.listen().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            return Optional.empty();
        } catch (Exception e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            vertx.close();
            return Optional.of("Cannot listen for health checks on port " + config.port()
                    + " (health_checks.bind_port): " + cause.getMessage());
        }
    }

    private static void answer(HttpServerRequest request, HealthChecks config) {
        String path = request.path();
        boolean ready = path.equals(config.readyPath());
        if (!ready && !path.equals(config.livePath())) {
            request.response().setStatusCode(404).putHeader("Content-Type", "application/json").end(NOT_FOUND);
            return;
        }
        if (request.method() != HttpMethod.GET) {
            request.response().setStatusCode(405).putHeader("Allow", "GET")
                    .putHeader("Content-Type", "application/json").end(METHOD_NOT_ALLOWED);
            return;
        }
        // The checks are plain method calls, but the health reporter may block; keep them off the event loop.
        HealthAnswers current = answers;
        Vertx.currentContext().owner().executeBlocking(() -> ready ? current.readiness() : current.liveness(), false)
                .onComplete(result -> {
                    HealthAnswers.Answer answer = result.succeeded() ? result.result()
                            : new HealthAnswers.Answer(false, "{\"status\":\"DOWN\",\"checks\":[]}");
                    request.response().setStatusCode(answer.up() ? 200 : 503)
                            .putHeader("Content-Type", "application/json").putHeader("Cache-Control", "no-store")
                            .end(answer.body());
                });
    }
}
