package io.spiffeoidc.http;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.AttributeKey;
import io.netty.util.concurrent.ScheduledFuture;
import io.vertx.core.AsyncResult;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.net.impl.ConnectionBase;
import io.vertx.ext.web.RoutingContext;
import java.util.concurrent.TimeUnit;

/**
 * The request-head deadline of one connection: closed unless a complete request head arrives within the
 * deadline of the connection's start, or of the end of the previous response while none is in progress.
 *
 * <p>Vert.x's idle timeout restarts on every byte read, so a client that trickles a header byte every few
 * seconds is never idle; this bound counts from a fixed point instead. "Head complete" is when the router
 * sees the request; "response ended" is the routing context's end. Everything runs on the connection's
 * event loop, so plain fields suffice, and one timer per connection is rescheduled lazily, never per request.
 */
final class RequestHeadDeadline extends ChannelInboundHandlerAdapter implements Handler<AsyncResult<Void>> {

    static final AttributeKey<RequestHeadDeadline> KEY = AttributeKey.valueOf("spiffe-oidc.request-head-deadline");

    private final long deadlineNanos;
    private final Runnable check = this::check;
    private ChannelHandlerContext context;
    private ScheduledFuture<?> timer;
    private int inProgress;
    private long waitingSince;

    RequestHeadDeadline(long deadlineNanos) {
        this.deadlineNanos = deadlineNanos;
    }

    /** Called as the router takes a request: its head is complete. Pairs itself with the request's end. */
    static void requestHeadReceived(RoutingContext routing) {
        HttpConnection connection = routing.request().connection();
        if (!(connection instanceof ConnectionBase base)) {
            return;
        }
        RequestHeadDeadline deadline = base.channel().attr(KEY).get();
        if (deadline != null && deadline.context != null && deadline.context.executor().inEventLoop()) {
            deadline.inProgress++;
            routing.addEndHandler(deadline);
        }
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        context = ctx;
        ctx.channel().attr(KEY).set(this);
        if (ctx.channel().isActive()) {
            start();
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        start();
        ctx.fireChannelActive();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
        ctx.fireChannelInactive();
    }

    /** The response of a request counted in {@link #requestHeadReceived} ended (or its connection closed). */
    @Override
    public void handle(AsyncResult<Void> ended) {
        if (--inProgress == 0) {
            waitingSince = System.nanoTime();
        }
    }

    private void start() {
        if (timer == null) {
            waitingSince = System.nanoTime();
            schedule(deadlineNanos);
        }
    }

    private void schedule(long nanos) {
        timer = context.executor().schedule(check, nanos, TimeUnit.NANOSECONDS);
    }

    private void check() {
        Channel channel = context.channel();
        if (!channel.isActive()) {
            return;
        }
        if (inProgress > 0) {
            // A request is being answered; the next head is due a deadline after its response ends.
            schedule(deadlineNanos);
            return;
        }
        long waited = System.nanoTime() - waitingSince;
        if (waited >= deadlineNanos) {
            channel.close();
        } else {
            schedule(deadlineNanos - waited);
        }
    }
}
