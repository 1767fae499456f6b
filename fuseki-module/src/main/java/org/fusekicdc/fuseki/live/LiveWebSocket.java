package org.fusekicdc.fuseki.live;

import java.io.IOException;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.jena.atlas.json.JSON;
import org.apache.jena.atlas.json.JsonException;
import org.apache.jena.atlas.json.JsonObject;
import org.apache.jena.atlas.json.JsonValue;
import org.apache.jena.sparql.core.Var;
import org.eclipse.jetty.io.AbstractConnection;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.util.Callback;
import org.fusekicdc.fuseki.live.WebSocketFrames.ProtocolException;
import org.fusekicdc.fuseki.http.ClientInput;
import org.fusekicdc.live.LiveEvent;
import org.fusekicdc.live.LiveQueryEngine;
import org.fusekicdc.live.LiveView;
import org.fusekicdc.live.LiveQueryException;
import org.fusekicdc.live.Subscription;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One WebSocket connection to {@code cdc:live}, carrying any number of subscriptions.
 * <p>
 * The client sends {@code {"subscribe": {"sparql": ..., "alias": ..., "since": N}}} and
 * {@code {"unsubscribe": {"spuid": ...}}}; the server sends {@code notification},
 * {@code unsubscribed} and {@code error} messages (see docs/live-queries.md).
 * <p>
 * After the handshake, Jetty hands the connection's socket to this object (a Jetty
 * {@link org.eclipse.jetty.io.Connection}). The servlet upgrade API is not used: Jetty 12 ee11
 * feeds an upgraded servlet the request body's input, which has already ended for a handshake
 * (a GET), so the client's frames never arrive. Reads and writes are non-blocking; events are
 * taken from a subscription only when the last write completed, so a slow client's backlog
 * stays in its subscriptions' bounded queues.
 */
final class LiveWebSocket extends AbstractConnection implements Connection.UpgradeTo {
    private static final Logger LOG = LoggerFactory.getLogger(LiveWebSocket.class);
    /** Largest message a client may send (after joining fragments): room for a long query. */
    static final int MAX_MESSAGE_BYTES = 1 << 20;
    /** Deepest nesting of arrays and objects in a message: far more than any message needs, far less than the parser's stack allows. */
    static final int MAX_JSON_DEPTH = 64;
    /** Replies waiting for a client that does not read them; beyond this the client is cut off. */
    private static final int MAX_QUEUED_REPLIES = 1000;
    /** How long the client has to answer a close frame. */
    private static final long CLOSE_WAIT_SECONDS = 5;
    /** How often a pending write is checked for progress. */
    private static final long PROGRESS_CHECK_MILLIS = 500;
    /** Most bytes given to one socket write. */
    private static final int MAX_WRITE_BYTES = 64 * 1024;

    private final LiveQueryEngine engine;
    private final String client;
    private final LiveView view;
    private final WebSocketCounts counts;
    /** Whether this connection is counted in {@link #counts}: released once when it ends. */
    private volatile boolean counted;
    private final ScheduledExecutorService timer;
    private final long heartbeatMillis;
    private final Duration slowReaderTimeout;
    private final WebSocketFrames.Decoder decoder = new WebSocketFrames.Decoder(MAX_MESSAGE_BYTES, new Messages());
    private final ByteBuffer input = ByteBuffer.allocate(8192);
    private ByteBuffer prefilled;
    private ScheduledFuture<?> heartbeat;
    private ScheduledFuture<?> progressCheck;
    private volatile long writeStartedNanos;
    private volatile long lastVersion = -1;

    private final Map<Long, Live> subscriptions = new ConcurrentHashMap<>();
    /** Subscribe requests the engine has not answered yet: cancelled if the connection ends first. */
    private final Set<CompletableFuture<Subscription>> unanswered = ConcurrentHashMap.newKeySet();
    /** Subscriptions that may have events, in the order they said so: written in turn. */
    private final ConcurrentLinkedQueue<Live> ready = new ConcurrentLinkedQueue<>();
    /** Frames other than notifications (replies, errors, pings, pongs), written first. */
    private final ConcurrentLinkedQueue<byte[]> replies = new ConcurrentLinkedQueue<>();
    private final AtomicInteger queuedReplies = new AtomicInteger();
    /** Calls to write: whoever raises it from 0 writes for all, so no thread ever waits for another. */
    private final AtomicInteger pumpRequests = new AtomicInteger();
    private final AtomicBoolean closing = new AtomicBoolean();
    private final AtomicBoolean finished = new AtomicBoolean();
    private volatile byte[] closeFrame;
    private volatile boolean closeSent;
    private volatile boolean writing;
    /** The rest of a frame larger than one write; only touched by the writer. */
    private ByteBuffer unsent;

    /** One subscription on this connection. {@code sequence} and {@code vars} are only touched by the writer. */
    private static final class Live {
        final Subscription sub;
        final String alias;
        final AtomicBoolean queued = new AtomicBoolean();
        long sequence;
        List<Var> vars = List.of();

        Live(Subscription sub, String alias) {
            this.sub = sub;
            this.alias = alias;
        }
    }

    LiveWebSocket(EndPoint endPoint, Executor executor, LiveQueryEngine engine, String client, LiveView view, WebSocketCounts counts,
                  ScheduledExecutorService timer, long heartbeatMillis, Duration slowReaderTimeout) {
        super(endPoint, executor);
        this.engine = engine;
        this.counts = counts;
        this.client = client;
        this.view = view;
        this.timer = timer;
        this.heartbeatMillis = heartbeatMillis;
        this.slowReaderTimeout = slowReaderTimeout;
        input.limit(0);
    }

    /** Bytes the client sent right behind its handshake, read by Jetty before the switch. */
    @Override
    public void onUpgradeTo(ByteBuffer buffer) {
        if ( buffer != null && buffer.hasRemaining() ) {
            prefilled = ByteBuffer.allocate(buffer.remaining());
            prefilled.put(buffer).flip();
        }
    }

    @Override
    public void onOpen() {
        super.onOpen();
        LOG.debug("Dataset '{}': live WebSocket opened for {}", engine.dataset(), client);
        WebSocketCounts.Refusal refusal = counts.admit(client);
        if ( refusal != null ) {
            LOG.info("Dataset '{}': live WebSocket of {} refused: {}", engine.dataset(), client, refusal.reason());
            // The close frame is sent, and the client's bytes read and dropped until it closes too.
            sendClose(refusal.closeCode(), refusal.reason());
            fillInterested();
            return;
        }
        counted = true;
        heartbeat = timer.scheduleAtFixedRate(this::heartbeat, heartbeatMillis, heartbeatMillis, TimeUnit.MILLISECONDS);
        progressCheck = timer.scheduleAtFixedRate(this::checkProgress, PROGRESS_CHECK_MILLIS, PROGRESS_CHECK_MILLIS, TimeUnit.MILLISECONDS);
        if ( prefilled != null ) {
            ByteBuffer b = prefilled;
            prefilled = null;
            decode(b.array(), b.position(), b.remaining());
        }
        fillInterested();
    }

    @Override
    public void onFillable() {
        try {
            while ( !finished.get() ) {
                // Jetty fills between limit and capacity; the bytes read are then position..limit.
                input.position(0).limit(0);
                int n = getEndPoint().fill(input);
                if ( n < 0 ) {
                    finish("client closed the connection");
                    return;
                }
                if ( n == 0 ) {
                    fillInterested();
                    return;
                }
                decode(input.array(), input.position(), input.remaining());
            }
        } catch (IOException ex) {
            finish("read failed: " + ex);
        }
    }

    /**
     * Decode the client's bytes. Once closing, they are read and dropped until the client
     * closes too: closing a socket with unread input would reset it, and the client would lose
     * the close frame with its reason.
     */
    private void decode(byte[] bytes, int off, int n) {
        if ( closing.get() )
            return;
        try {
            decoder.feed(bytes, off, n);
        } catch (ProtocolException ex) {
            sendClose(ex.code, ex.getMessage());
        } catch (RuntimeException ex) {
            // A fault of ours: the client gets the reason and its subscriptions end with the connection.
            LOG.warn("Dataset '{}': live WebSocket of {} failed on a message: {}", engine.dataset(), client, ex.toString(), ex);
            sendClose(WebSocketFrames.INTERNAL_ERROR, "Server error: " + ex);
        }
    }

    @Override
    public void onClose(Throwable cause) {
        finish(cause == null ? "connection closed" : cause.toString());
        super.onClose(cause);
    }

    /** A client that takes none of a write for cdc:slowReaderSeconds is cut off: it would hold its subscriptions for ever. */
    private void checkProgress() {
        long started = writeStartedNanos;
        if ( !writing || started == 0 || System.nanoTime() - started <= slowReaderTimeout.toNanos() )
            return;
        if ( finished.get() )
            return;
        LOG.info("Dataset '{}': live WebSocket of {} disconnected, sent up to version {}: the client took none of the waiting data for {} s"
                 + " (cdc:slowReaderSeconds)", engine.dataset(), client, lastVersion, slowReaderTimeout.toSeconds());
        finish("slow reader");
    }

    /** A ping keeps proxies and idle timeouts from closing a quiet connection; none while replies wait anyway. */
    private void heartbeat() {
        if ( replies.isEmpty() )
            reply(WebSocketFrames.frame(WebSocketFrames.PING, new byte[0]));
    }

    private final class Messages implements WebSocketFrames.Listener {
        @Override
        public void onText(String text) {
            if ( LiveJson.nestsDeeperThan(text, MAX_JSON_DEPTH) ) {
                error(null, null, 400, "too_deep", "Messages may nest arrays and objects at most " + MAX_JSON_DEPTH + " deep; this one nests deeper.");
                return;
            }
            JsonValue parsed;
            try {
                parsed = JSON.parseAny(text);
            } catch (RuntimeException ex) {
                // Not only JsonException: Jena's parser throws NullPointerException on text that is blank or only a comment.
                error(null, null, 400, "bad_request", "Messages are JSON objects; this one does not parse"
                                                      + (ex instanceof JsonException ? ": " + ex.getMessage() : ""));
                return;
            }
            if ( !parsed.isObject() ) {
                error(null, null, 400, "bad_request", "Messages are JSON objects, not " + ClientInput.quote(text));
                return;
            }
            JsonObject msg = parsed.getAsObject();
            if ( msg.hasKey("subscribe") && msg.get("subscribe").isObject() )
                subscribe(msg.get("subscribe").getAsObject());
            else if ( msg.hasKey("unsubscribe") && msg.get("unsubscribe").isObject() )
                unsubscribe(msg.get("unsubscribe").getAsObject());
            else
                error(null, null, 400, "bad_request", "Unknown message: expected {\"subscribe\": {\"sparql\": ...}} or {\"unsubscribe\": {\"spuid\": ...}}");
        }

        @Override
        public void onPing(byte[] payload) {
            reply(WebSocketFrames.frame(WebSocketFrames.PONG, payload));
        }

        @Override
        public void onPong(byte[] payload) {}

        @Override
        public void onClose(int code, String reason) {
            // Echo the client's code, as RFC 6455 asks; "no status" cannot be sent back.
            sendClose(code == WebSocketFrames.NO_STATUS ? WebSocketFrames.NORMAL : code, "");
        }
    }

    private void subscribe(JsonObject request) {
        String alias = optionalString(request, "alias");
        if ( request.hasKey("alias") && alias == null ) {
            error(null, null, 400, "bad_request", "\"alias\" must be a string, got " + ClientInput.quote(String.valueOf(request.get("alias"))));
            return;
        }
        String sparql = optionalString(request, "sparql");
        if ( sparql == null || sparql.isBlank() ) {
            error(null, alias, 400, "bad_request", "A subscribe message needs the query as a string in \"sparql\"");
            return;
        }
        long since = request.hasKey("since") ? version(request.get("since")) : -1;
        if ( since < -1 ) {
            error(null, alias, 400, "bad_request", "\"since\" must be a dataset version (a whole number, 0 or more), got " + ClientInput.quote(String.valueOf(request.get("since"))));
            return;
        }
        for ( String p : LiveRefusals.GRAPH_PARAMETERS ) {
            if ( request.hasKey(p) ) {
                error(null, alias, 400, "bad_request", LiveRefusals.graphParameterRefused(p));
                return;
            }
        }
        CompletableFuture<Subscription> pending;
        try {
            pending = engine.subscribeAsync(sparql, client, since, view);
        } catch (LiveQueryException ex) {
            refused(alias, ex);
            return;
        }
        // Answered on Jetty's threads, while this connection goes on reading.
        unanswered.add(pending);
        if ( finished.get() )
            pending.cancel(false);
        pending.whenCompleteAsync((sub, failure) -> {
            unanswered.remove(pending);
            if ( failure == null )
                attach(sub, alias);
            else if ( (failure instanceof CompletionException ? failure.getCause() : failure) instanceof LiveQueryException ex )
                refused(alias, ex);
        }, getExecutor());
    }

    private void attach(Subscription sub, String alias) {
        Live live = new Live(sub, alias);
        subscriptions.put(sub.id(), live);
        // The connection may have ended while the engine answered.
        if ( finished.get() ) {
            subscriptions.remove(sub.id());
            sub.close();
            return;
        }
        sub.onAvailable(() -> available(live));
    }

    private void refused(String alias, LiveQueryException ex) {
        error(null, alias, LiveRefusals.status(ex.kind()), LiveRefusals.token(ex.kind()), ex.getMessage());
    }

    private void unsubscribe(JsonObject request) {
        JsonValue v = request.get("spuid");
        String id = v == null ? null : v.isString() ? v.getAsString().value() : v.isNumber() ? v.getAsNumber().value().toString() : null;
        Live live = null;
        try {
            live = id == null ? null : subscriptions.remove(Long.parseLong(id));
        } catch (NumberFormatException ex) {
            // Reported below.
        }
        if ( live == null ) {
            error(null, null, 404, "unknown_subscription", "No subscription " + (v == null ? "(no \"spuid\" given)" : v.toString())
                                                           + " on this connection");
            return;
        }
        live.sub.close();
        reply(WebSocketFrames.text(JSON.toStringFlat(LiveJson.unsubscribed(live.sub.id(), live.alias))));
    }

    /** A version given by the client, or -2 when it is not one. */
    private static long version(JsonValue v) {
        if ( !v.isNumber() )
            return -2;
        try {
            long n = new BigDecimal(v.getAsNumber().value().toString()).longValueExact();
            return n >= 0 ? n : -2;
        } catch (ArithmeticException | NumberFormatException ex) {
            return -2;
        }
    }

    private static String optionalString(JsonObject o, String key) {
        JsonValue v = o.get(key);
        return v != null && v.isString() ? v.getAsString().value() : null;
    }

    private void error(Long spuid, String alias, int status, String token, String description) {
        reply(WebSocketFrames.text(JSON.toStringFlat(LiveJson.wsError(spuid, alias, status, token, description))));
    }

    /** Called on the engine's thread: encoding and writing happen on Jetty's threads instead. */
    private void available(Live live) {
        if ( live.queued.compareAndSet(false, true) ) {
            ready.add(live);
            getExecutor().execute(this::pump);
        }
    }

    private void reply(byte[] frame) {
        if ( finished.get() )
            return;
        if ( queuedReplies.incrementAndGet() > MAX_QUEUED_REPLIES ) {
            // Replies pile up only when the client sends without reading.
            replies.clear();
            queuedReplies.set(0);
            sendClose(WebSocketFrames.POLICY_VIOLATION, "Too many unread replies: read the server's messages");
            return;
        }
        replies.add(frame);
        pump();
    }

    /** Send a close frame after the replies already queued, and end the connection once the client closed too. */
    private void sendClose(int code, String reason) {
        if ( !closing.compareAndSet(false, true) )
            return;
        LOG.debug("Dataset '{}': live WebSocket of {} closing: {} {}", engine.dataset(), client, code, reason);
        closeFrame = WebSocketFrames.close(code, reason);
        pump();
    }

    private void pump() {
        if ( pumpRequests.getAndIncrement() != 0 )
            return;
        int requests = 1;
        do {
            write();
            requests = pumpRequests.addAndGet(-requests);
        } while ( requests != 0 );
    }

    /**
     * Start a socket write unless one is under way: replies first, then one event of each ready
     * subscription in turn. The write's completion calls this again.
     */
    private void write() {
        if ( writing || (closeSent && unsent == null) || finished.get() )
            return;
        List<ByteBuffer> batch = new ArrayList<>();
        int bytes = 0;
        boolean last = false;
        while ( bytes < MAX_WRITE_BYTES && !last ) {
            if ( unsent == null ) {
                byte[] frame = replies.poll();
                if ( frame != null )
                    queuedReplies.decrementAndGet();
                else if ( closeFrame != null ) {
                    if ( bytes > 0 )
                        break;  // The close frame goes alone, last.
                    frame = closeFrame;
                    closeSent = true;
                    last = true;
                } else
                    frame = nextNotification();
                if ( frame == null )
                    break;
                unsent = ByteBuffer.wrap(frame);
            }
            // A large frame goes out in slices, so that a client still reading is seen to progress.
            int n = Math.min(unsent.remaining(), MAX_WRITE_BYTES - bytes);
            batch.add(unsent.slice(unsent.position(), n));
            unsent.position(unsent.position() + n);
            bytes += n;
            if ( !unsent.hasRemaining() )
                unsent = null;
        }
        if ( batch.isEmpty() )
            return;
        writeStartedNanos = System.nanoTime();
        writing = true;
        boolean closeAfter = last;
        getEndPoint().write(Callback.from(() -> {
            writing = false;
            if ( closeAfter ) {
                // The client answers with its close and ends the connection; a client that does not is cut off.
                getEndPoint().shutdownOutput();
                timer.schedule(() -> finish("no close frame from the client"), CLOSE_WAIT_SECONDS, TimeUnit.SECONDS);
            } else
                pump();
        }, failure -> {
            writing = false;
            finish("write failed: " + failure);
            getEndPoint().close(failure);
        }), batch.toArray(ByteBuffer[]::new));
    }

    private byte[] nextNotification() {
        Live live;
        while ( (live = ready.poll()) != null ) {
            // Cleared before reading, so an event offered from now on queues the subscription again.
            live.queued.set(false);
            LiveEvent e = live.sub.next();
            if ( e == null )
                continue;
            if ( live.queued.compareAndSet(false, true) )
                ready.add(live);
            if ( subscriptions.get(live.sub.id()) != live )
                continue;  // Unsubscribed meanwhile.
            if ( e instanceof LiveEvent.Error err ) {
                subscriptions.remove(live.sub.id());
                live.sub.close();
                return WebSocketFrames.text(JSON.toStringFlat(LiveJson.wsError(live.sub.id(), live.alias, 410, "subscription_ended",
                                                                               err.message() + " (at version " + err.version() + ")")));
            }
            if ( e instanceof LiveEvent.Initial i )
                live.vars = i.result().vars();
            lastVersion = e.version();
            return WebSocketFrames.text(JSON.toStringFlat(LiveJson.notification(live.sub.id(), live.alias, live.sequence++, e, live.vars)));
        }
        return null;
    }

    /** Release the subscriptions; safe to call more than once. */
    private void finish(String why) {
        if ( !finished.compareAndSet(false, true) )
            return;
        if ( counted )
            counts.release(client);
        if ( heartbeat != null )
            heartbeat.cancel(false);
        if ( progressCheck != null )
            progressCheck.cancel(false);
        List.copyOf(unanswered).forEach(f -> f.cancel(false));
        subscriptions.values().forEach(l -> l.sub.close());
        subscriptions.clear();
        LOG.debug("Dataset '{}': live WebSocket of {} ended: {}", engine.dataset(), client, why);
        getEndPoint().close();
    }
}
