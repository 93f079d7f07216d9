package io.spiffeoidc.bench;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.PemKeyCertOptions;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Reference point for the benchmark: the least a JVM can do to serve the same prepared bytes over HTTPS
 * with Vert.x, with none of the service's checks. Arguments: port cert.pem key.pem keys.json discovery.json
 */
public final class BareVertxServer {

    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(args[0]);
        Buffer keys = Buffer.buffer(Files.readAllBytes(Path.of(args[3])));
        Buffer discovery = Buffer.buffer(Files.readAllBytes(Path.of(args[4])));
        Vertx vertx = Vertx.vertx();
        HttpServerOptions options = new HttpServerOptions().setSsl(true).setHost("127.0.0.1").setPort(port)
                .setKeyCertOptions(new PemKeyCertOptions().setCertPath(args[1]).setKeyPath(args[2]));
        vertx.createHttpServer(options).requestHandler(request -> {
            Buffer body = switch (request.path()) {
                case "/keys" -> keys;
                case "/.well-known/openid-configuration" -> discovery;
                default -> null;
            };
            if (body == null) {
                request.response().setStatusCode(404).end();
            } else {
                request.response().putHeader("content-type", "application/json")
                        .putHeader("cache-control", "public, max-age=300").end(body);
            }
        }).listen().toCompletionStage().toCompletableFuture().get();
        System.out.println("listening on " + port);
    }

    private BareVertxServer() {
    }
}
