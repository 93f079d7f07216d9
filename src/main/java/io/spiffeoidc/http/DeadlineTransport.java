package io.spiffeoidc.http;

/**
 * A Vert.x transport of this service's: Vert.x looks transports up through the ServiceLoader when
 * quarkus.vertx.prefer-native-transport is true and takes the first available one, {@link NativeDeadlineTransport}
 * where a native transport loads, else {@link JdkDeadlineTransport}. Either gives every listener its
 * request-head deadline.
 */
interface DeadlineTransport {

    ListenerDeadlines deadlines();
}
