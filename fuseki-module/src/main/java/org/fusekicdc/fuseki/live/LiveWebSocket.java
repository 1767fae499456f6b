package org.fusekicdc.fuseki.live;

import java.time.Duration;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.websocket.core.CloseStatus;
import org.eclipse.jetty.websocket.core.CoreSession;
import org.eclipse.jetty.websocket.core.Frame;
import org.eclipse.jetty.websocket.core.FrameHandler;
import org.eclipse.jetty.websocket.core.OpCode;
import org.eclipse.jetty.websocket.core.exception.CloseException;
import org.eclipse.jetty.websocket.core.exception.WebSocketTimeoutException;
import org.eclipse.jetty.websocket.core.messages.StringMessageSink;
import org.fusekicdc.fuseki.rsp.ContinuousQueries;
import org.fusekicdc.fuseki.runtime.VersionWaits;
import org.fusekicdc.live.LiveQueryEngine;
import org.fusekicdc.live.LiveView;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One WebSocket connection to {@code cdc:live}, carrying any number of subscriptions.
 * <p>
 * The client sends {@code {"subscribe": {"sparql": ..., "alias": ..., "since": N}}} and
 * {@code {"unsubscribe": {"spuid": ...}}}; a subscribe with {@code "version": N} (or
 * {@code "datetime"}) starts as of that version and replays each later version up to the live
 * answer ({@link LiveReplay}). A subscribe with {@code "minVersion": N} is made once readers
 * here see version N, else refused with 503 {@code behind} ({@link VersionWaits}). A subscribe
 * whose query has a window clause registers a continuous query, whose steps go out as
 * {@code step} messages. The server sends {@code notification}, {@code step},
 * {@code unsubscribed} and {@code error} messages (see docs/live-queries.md).
 * <p>
 * Jetty's WebSocket implementation frames, masks, joins fragments, checks UTF-8 and the
 * message limit, and answers the client's close. This class takes the connection from open to
 * end: it admits it, reads the client's frames, keeps it alive with pings and cuts off a client
 * that reads nothing. {@link LiveRequests} answers the client's messages, {@link LiveOutbox}
 * writes what goes out, one message at a time, and {@link SocketSubscriptions} holds the
 * subscriptions until the connection ends.
 */
final class LiveWebSocket implements FrameHandler {
    private static final Logger LOG = LoggerFactory.getLogger(LiveWebSocket.class);
    /** Largest message a client may send (after joining fragments): room for a long query. */
    static final int MAX_MESSAGE_BYTES = 1 << 20;

    private final LiveQueryEngine engine;
    private final String client;
    private final WebSocketCounts counts;
    private final ScheduledExecutorService timer;
    private final long heartbeatMillis;
    private final Duration slowReaderTimeout;
    private final SocketSubscriptions subscriptions = new SocketSubscriptions();
    private final LiveOutbox outbox;
    private final LiveRequests requests;
    /** Whether this connection is counted in {@link #counts}: released once when it ends. */
    private volatile boolean counted;
    private volatile CoreSession session;
    private StringMessageSink messages;
    /** Whether the frames arriving continue a text message (rather than a refused binary one). */
    private boolean inText;
    private ScheduledFuture<?> heartbeat;
    /** Frames handed to Jetty and not yet written: a client that takes none of them for a while is slow. */
    private final AtomicInteger unwritten = new AtomicInteger();
    private final AtomicBoolean closing = new AtomicBoolean();

    /**
     * @param replays     begins subscriptions as of an earlier version
     * @param continuous  the dataset's continuous queries, started on first use
     * @param readsAll    whether the client may read every graph (a window holds the changes to all of them)
     * @param maxSteps    the steps a continuous query keeps for a client that does not read them
     * @param executor    where notifications are formatted and sent, and the engine's answers taken (not the engine's thread)
     */
    LiveWebSocket(LiveReplay.Start replays, VersionWaits versionWaits, LiveQueryEngine engine, Supplier<ContinuousQueries> continuous, boolean readsAll, int maxSteps,
                  String client, LiveView view, WebSocketCounts counts, Executor executor,
                  ScheduledExecutorService timer, long heartbeatMillis, Duration slowReaderTimeout) {
        this.engine = engine;
        this.client = client;
        this.counts = counts;
        this.timer = timer;
        this.heartbeatMillis = heartbeatMillis;
        this.slowReaderTimeout = slowReaderTimeout;
        this.outbox = new LiveOutbox(this, subscriptions, executor);
        this.requests = new LiveRequests(replays, versionWaits, engine, continuous, readsAll, maxSteps, client, view, executor, subscriptions, outbox);
    }

    @Override
    public void onOpen(CoreSession coreSession, Callback callback) {
        session = coreSession;
        coreSession.setMaxTextMessageSize(MAX_MESSAGE_BYTES);
        // No frame limit: a client's frames are taken in pieces as they arrive (the message limit bounds them), and a
        // notification goes out as one frame, however large.
        coreSession.setMaxFrameSize(0);
        coreSession.setAutoFragment(true);
        // Jetty's idle timeout counts time without reading or writing; it cuts a connection off only while a write waits.
        coreSession.setIdleTimeout(slowReaderTimeout);
        coreSession.addIdleTimeoutListener(this::idle);
        messages = new StringMessageSink(coreSession, args -> {
            onText((String)args[0]);
            return null;
        }, true);
        callback.succeeded();
        LOG.debug("Dataset '{}': live WebSocket opened for {}", engine.dataset(), client);
        WebSocketCounts.Refusal refusal = counts.admit(client);
        if ( refusal != null ) {
            LOG.info("Dataset '{}': live WebSocket of {} refused: {}", engine.dataset(), client, refusal.reason());
            // The close frame is sent, and the client's frames read and dropped until it closes too.
            close(refusal.closeCode(), refusal.reason());
        } else {
            counted = true;
            heartbeat = timer.scheduleAtFixedRate(this::heartbeat, heartbeatMillis, heartbeatMillis, TimeUnit.MILLISECONDS);
        }
        coreSession.demand();
    }

    @Override
    public void onFrame(Frame frame, Callback callback) {
        switch ( frame.getOpCode() ) {
            case OpCode.TEXT -> text(frame, callback, true);
            case OpCode.CONTINUATION -> text(frame, callback, inText);
            case OpCode.BINARY -> callback.failed(new CloseException(CloseStatus.BAD_DATA, "Binary messages are not understood; send JSON text"));
            case OpCode.PING -> {
                send(new Frame(OpCode.PONG).setPayload(copy(frame)), null);
                done(callback);
            }
            // Jetty answers the client's close with the same code once the callback completes.
            case OpCode.CLOSE -> callback.succeeded();
            default -> done(callback);
        }
    }

    /** A fragment of a text message; once closing (or after a refused binary message) it is read and dropped. */
    private void text(Frame frame, Callback callback, boolean take) {
        inText = take && !frame.isFin();
        if ( take && !closing.get() && session.isOutputOpen() )
            messages.accept(frame, callback);  // Demands the next frame itself.
        else
            done(callback);
    }

    private void done(Callback callback) {
        callback.succeeded();
        session.demand();
    }

    private static byte[] copy(Frame frame) {
        byte[] b = new byte[frame.getPayloadLength()];
        if ( frame.hasPayload() )
            frame.getPayload().slice().get(b);
        return b;
    }

    @Override
    public void onError(Throwable cause, Callback callback) {
        LOG.debug("Dataset '{}': live WebSocket of {} failed: {}", engine.dataset(), client, cause.toString());
        callback.succeeded();
    }

    @Override
    public void onClosed(CloseStatus closeStatus, Callback callback) {
        finish(closeStatus.toString());
        callback.succeeded();
    }

    /**
     * Jetty's idle timeout: fatal when a write waits (the client took none of it for cdc:slowReaderSeconds, and would
     * hold its subscriptions for ever) or the client does not answer the close; a quiet connection stays open.
     */
    private boolean idle(WebSocketTimeoutException timeout) {
        // Closing already (a client cut off for unread replies is counted then): the client does not answer the close.
        if ( !session.isOutputOpen() || closing.get() )
            return true;
        if ( unwritten.get() == 0 )
            return false;
        engine.clientDropped();
        LOG.info("Dataset '{}': live WebSocket of {} disconnected, sent up to version {}: the client took none of the waiting data for {} s"
                 + " (cdc:slowReaderSeconds)", engine.dataset(), client, outbox.lastVersion(), slowReaderTimeout.toSeconds());
        return true;
    }

    /** A ping keeps proxies and idle timeouts from closing a quiet connection; none while frames wait anyway. */
    private void heartbeat() {
        if ( unwritten.get() == 0 )
            send(new Frame(OpCode.PING), null);
    }

    private void onText(String text) {
        try {
            requests.message(text);
        } catch (RuntimeException ex) {
            // A fault of ours: the client gets the reason and its subscriptions end with the connection.
            LOG.warn("Dataset '{}': live WebSocket of {} failed on a message: {}", engine.dataset(), client, ex.toString(), ex);
            close(CloseStatus.SERVER_ERROR, "Server error: " + ex);
        }
    }

    /** Whether the connection is closing or has ended: nothing more goes out. */
    boolean ending() {
        return subscriptions.ended() || closing.get();
    }

    /** Hand a frame to Jetty, which queues it behind those not yet written; {@code written} runs once it is. */
    void send(Frame frame, Runnable written) {
        unwritten.incrementAndGet();
        session.sendFrame(frame, Callback.from(() -> {
            unwritten.decrementAndGet();
            if ( written != null )
                written.run();
        }, failure -> {
            unwritten.decrementAndGet();
            LOG.debug("Dataset '{}': live WebSocket of {}: write failed: {}", engine.dataset(), client, failure.toString());
        }), false);
    }

    /** Cut off a client that sends without reading what it is sent: counted and logged like a slow reader. */
    void dropUnreading(String reason) {
        if ( closing.get() )
            return;
        engine.clientDropped();
        LOG.info("Dataset '{}': live WebSocket of {} disconnected, sent up to version {}: {}", engine.dataset(), client, outbox.lastVersion(), reason);
        close(CloseStatus.POLICY_VIOLATION, reason);
    }

    /** Close after the frames already queued; Jetty ends the connection once the client closed too, or at the idle timeout. */
    void close(int code, String reason) {
        if ( !closing.compareAndSet(false, true) )
            return;
        LOG.debug("Dataset '{}': live WebSocket of {} closing: {} {}", engine.dataset(), client, code, reason);
        session.close(code, reason, Callback.NOOP);
    }

    /** Release the subscriptions; safe to call more than once. */
    private void finish(String why) {
        if ( !subscriptions.end() )
            return;
        if ( counted )
            counts.release(client);
        if ( heartbeat != null )
            heartbeat.cancel(false);
        LOG.debug("Dataset '{}': live WebSocket of {} ended: {}", engine.dataset(), client, why);
    }
}
