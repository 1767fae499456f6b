package org.fusekicdc.fuseki.live;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
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
import java.util.function.Supplier;

import org.apache.jena.atlas.json.JSON;
import org.apache.jena.atlas.json.JsonObject;
import org.apache.jena.sparql.core.Var;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.websocket.core.CloseStatus;
import org.eclipse.jetty.websocket.core.CoreSession;
import org.eclipse.jetty.websocket.core.Frame;
import org.eclipse.jetty.websocket.core.FrameHandler;
import org.eclipse.jetty.websocket.core.OpCode;
import org.eclipse.jetty.websocket.core.exception.CloseException;
import org.eclipse.jetty.websocket.core.exception.WebSocketTimeoutException;
import org.eclipse.jetty.websocket.core.messages.StringMessageSink;
import org.fusekicdc.core.internal.history.NetChange;
import org.fusekicdc.core.internal.log.VersionGoneException;
import org.fusekicdc.fuseki.history.AsOf;
import org.fusekicdc.fuseki.rsp.ContinuousQueries;
import org.fusekicdc.fuseki.rsp.StepSubscription;
import org.fusekicdc.live.LiveEvent;
import org.fusekicdc.live.LiveQueryEngine;
import org.fusekicdc.live.LiveQueryException;
import org.fusekicdc.live.LiveView;
import org.fusekicdc.live.Subscription;
import org.fusekicdc.rsp.ContinuousQuery;
import org.fusekicdc.rsp.ContinuousQueryException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One WebSocket connection to {@code cdc:live}, carrying any number of subscriptions.
 * <p>
 * The client sends {@code {"subscribe": {"sparql": ..., "alias": ..., "since": N}}} and
 * {@code {"unsubscribe": {"spuid": ...}}}; a subscribe with {@code "version": N} (or
 * {@code "datetime"}) starts as of that version and replays each later version up to the live
 * answer ({@link LiveReplay}). A subscribe whose query has a window clause registers a
 * continuous query, whose steps go out as {@code step} messages. The server sends {@code notification}, {@code step},
 * {@code unsubscribed} and {@code error} messages (see docs/live-queries.md).
 * <p>
 * Jetty's WebSocket implementation frames, masks, joins fragments, checks UTF-8 and the
 * message limit, and answers the client's close; this class speaks the protocol. Messages go
 * out one at a time, each when the last was written, and events are taken from a subscription
 * only then, so a slow client's backlog stays in its subscriptions' bounded queues.
 */
final class LiveWebSocket implements FrameHandler {
    private static final Logger LOG = LoggerFactory.getLogger(LiveWebSocket.class);
    /** Largest message a client may send (after joining fragments): room for a long query. */
    static final int MAX_MESSAGE_BYTES = 1 << 20;
    /** Replies waiting for a client that does not read them; beyond this the client is cut off. */
    private static final int MAX_QUEUED_REPLIES = 1000;

    private final LiveReplay.Start replays;
    private final LiveQueryEngine engine;
    private final Supplier<ContinuousQueries> continuous;
    private final boolean readsAll;
    private final int maxSteps;
    private final String client;
    private final LiveView view;
    private final WebSocketCounts counts;
    private final Executor executor;
    private final ScheduledExecutorService timer;
    private final long heartbeatMillis;
    private final Duration slowReaderTimeout;
    /** Whether this connection is counted in {@link #counts}: released once when it ends. */
    private volatile boolean counted;
    private volatile CoreSession session;
    private StringMessageSink messages;
    /** Whether the frames arriving continue a text message (rather than a refused binary one). */
    private boolean inText;
    private ScheduledFuture<?> heartbeat;
    private volatile long lastVersion = -1;

    private final Map<Long, Live> subscriptions = new ConcurrentHashMap<>();
    /** Continuous queries on this connection, by the name the stream engine knows them by (their spuid). */
    private final Map<String, Steps> stepSubscriptions = new ConcurrentHashMap<>();
    /** Subscribe requests the engine has not answered yet: cancelled if the connection ends first. */
    private final Set<CompletableFuture<Subscription>> unanswered = ConcurrentHashMap.newKeySet();
    /** Replies (to subscribe and unsubscribe messages, errors) not yet sent. */
    private final ConcurrentLinkedQueue<String> replies = new ConcurrentLinkedQueue<>();
    /** Subscriptions that may have events or steps, in the order they said so: written in turn. */
    private final ConcurrentLinkedQueue<Ready> ready = new ConcurrentLinkedQueue<>();
    /** Frames handed to Jetty and not yet written: a client that takes none of them for a while is slow. */
    private final AtomicInteger unwritten = new AtomicInteger();
    private final AtomicInteger queuedReplies = new AtomicInteger();
    /** Calls to {@link #pump}: whoever raises it from 0 sends for all, so no thread ever waits for another. */
    private final AtomicInteger pumpRequests = new AtomicInteger();
    /** Whether a message is being written: the next waits for it, so what a slow client has not taken stays queued here. */
    private volatile boolean writing;
    private final AtomicBoolean closing = new AtomicBoolean();
    private final AtomicBoolean finished = new AtomicBoolean();

    /** A subscription that has said it may have something to send. */
    private sealed interface Ready permits Live, Steps {
        /** Whether it waits in {@link #ready} already. */
        AtomicBoolean queued();
    }

    /** A continuous query registered on this connection: its steps go out as {@code step} messages. */
    private record Steps(StepSubscription sub, String alias, AtomicBoolean queued) implements Ready {}

    /** One subscription on this connection. {@code sequence} and {@code vars} are only touched by the pump. */
    private static final class Live implements Ready {
        final Subscription sub;
        final String alias;
        final AtomicBoolean queued = new AtomicBoolean();
        /** Events replayed from an earlier version, sent before the subscription's own (only touched by the pump once attached). */
        final Deque<LiveEvent> replayed;
        long sequence;
        List<Var> vars = List.of();

        Live(Subscription sub, String alias, Deque<LiveEvent> replayed) {
            this.sub = sub;
            this.alias = alias;
            this.replayed = replayed;
        }

        LiveEvent next() {
            LiveEvent r = replayed.pollFirst();
            return r != null ? r : sub.next();
        }

        @Override
        public AtomicBoolean queued() {
            return queued;
        }
    }

    /**
     * @param replays     begins subscriptions as of an earlier version
     * @param continuous  the dataset's continuous queries, started on first use
     * @param readsAll    whether the client may read every graph (a window holds the changes to all of them)
     * @param maxSteps    the steps a continuous query keeps for a client that does not read them
     * @param executor    where notifications are formatted and sent, and the engine's answers taken (not the engine's thread)
     */
    LiveWebSocket(LiveReplay.Start replays, LiveQueryEngine engine, Supplier<ContinuousQueries> continuous, boolean readsAll, int maxSteps,
                  String client, LiveView view, WebSocketCounts counts, Executor executor,
                  ScheduledExecutorService timer, long heartbeatMillis, Duration slowReaderTimeout) {
        this.replays = replays;
        this.continuous = continuous;
        this.readsAll = readsAll;
        this.maxSteps = maxSteps;
        this.engine = engine;
        this.client = client;
        this.view = view;
        this.counts = counts;
        this.executor = executor;
        this.timer = timer;
        this.heartbeatMillis = heartbeatMillis;
        this.slowReaderTimeout = slowReaderTimeout;
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
        if ( !session.isOutputOpen() )
            return true;
        if ( unwritten.get() == 0 )
            return false;
        LOG.info("Dataset '{}': live WebSocket of {} disconnected, sent up to version {}: the client took none of the waiting data for {} s"
                 + " (cdc:slowReaderSeconds)", engine.dataset(), client, lastVersion, slowReaderTimeout.toSeconds());
        return true;
    }

    /** A ping keeps proxies and idle timeouts from closing a quiet connection; none while frames wait anyway. */
    private void heartbeat() {
        if ( unwritten.get() == 0 )
            send(new Frame(OpCode.PING), null);
    }

    private void onText(String text) {
        try {
            message(text);
        } catch (RuntimeException ex) {
            // A fault of ours: the client gets the reason and its subscriptions end with the connection.
            LOG.warn("Dataset '{}': live WebSocket of {} failed on a message: {}", engine.dataset(), client, ex.toString(), ex);
            close(CloseStatus.SERVER_ERROR, "Server error: " + ex);
        }
    }

    private void message(String text) {
        switch ( LiveMessages.read(text) ) {
            case LiveMessages.Subscribe request -> subscribe(request);
            case LiveMessages.Unsubscribe request -> unsubscribe(request);
            case LiveMessages.Invalid invalid -> error(null, invalid.alias(), 400, invalid.token(), invalid.description());
        }
    }

    private void subscribe(LiveMessages.Subscribe request) {
        if ( ContinuousQuery.isContinuous(request.sparql()) ) {
            // Registration waits for the stream engine's thread: not on the thread reading this connection.
            executor.execute(() -> subscribeContinuous(request));
            return;
        }
        if ( request.asOf() ) {
            // The earlier answer is evaluated on an as-of read: not on the thread reading this connection.
            executor.execute(() -> subscribeAsOf(request));
            return;
        }
        CompletableFuture<Subscription> pending;
        try {
            pending = engine.subscribeAsync(request.sparql(), client, request.since(), view);
        } catch (LiveQueryException ex) {
            refused(request.alias(), ex);
            return;
        }
        whenAnswered(pending, request.alias(), null);
    }

    /** A continuous query: registered for this client, its steps sent as {@code step} messages until it unsubscribes or leaves. */
    private void subscribeContinuous(LiveMessages.Subscribe request) {
        String alias = request.alias();
        if ( !readsAll ) {
            error(null, alias, 403, "forbidden", "Continuous queries read every graph of the dataset (their windows hold the changes to all of them),"
                                                 + " and this user may read only some graphs; ask an administrator for read access to the whole dataset.");
            return;
        }
        if ( request.since() >= 0 || request.asOf() ) {
            error(null, alias, 400, "bad_request", "A continuous query cannot resume (\"since\"), and over WebSocket it starts at the current version:"
                                                   + " to start one as of a version, register it over Server-Sent Events with version=N."
                                                   + " For steps that are never missed, name the query in config.ttl (cdc:continuousQuery) and give it a sink.");
            return;
        }
        StepSubscription sub;
        try {
            sub = continuous.get().subscribe(request.sparql(), client, maxSteps);
        } catch (ContinuousQueryException ex) {
            error(null, alias, 400, "bad_query", "Bad continuous query: " + ex.getMessage());
            return;
        } catch (LiveQueryException ex) {
            refused(alias, ex);
            return;
        }
        Steps steps = new Steps(sub, alias, new AtomicBoolean());
        stepSubscriptions.put(sub.name(), steps);
        // The connection may have ended while the engine registered the query.
        if ( finished.get() ) {
            stepSubscriptions.remove(sub.name());
            sub.close();
            return;
        }
        LOG.debug("Dataset '{}': continuous query {} of {} registered on a live WebSocket", engine.dataset(), sub.name(), client);
        sub.onAvailable(() -> available(steps));
    }

    private void subscribeAsOf(LiveMessages.Subscribe request) {
        String alias = request.alias();
        LiveReplay replay;
        CompletableFuture<Subscription> pending;
        try {
            replay = replays.begin(request.sparql(), view, request.version(), request.datetime());
            replay.awaitEngine();
            pending = engine.subscribeAsync(request.sparql(), client, -1, view);
        } catch (AsOf.Refused ex) {
            asOfRefused(alias, ex);
            return;
        } catch (LiveQueryException ex) {
            refused(alias, ex);
            return;
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            error(null, alias, 503, "busy", "The server is stopping.");
            return;
        }
        whenAnswered(pending, alias, replay);
    }

    /** The engine's answer is taken on Jetty's threads, while this connection goes on reading. */
    private void whenAnswered(CompletableFuture<Subscription> pending, String alias, LiveReplay replay) {
        unanswered.add(pending);
        if ( finished.get() )
            pending.cancel(false);
        pending.whenCompleteAsync((sub, failure) -> {
            unanswered.remove(pending);
            if ( failure == null )
                attach(sub, alias, replay);
            else if ( (failure instanceof CompletionException ? failure.getCause() : failure) instanceof LiveQueryException ex )
                refused(alias, ex);
        }, executor);
    }

    private void attach(Subscription sub, String alias, LiveReplay replay) {
        Deque<LiveEvent> replayed = new ArrayDeque<>();
        if ( replay != null && !replayTo(sub, alias, replay, replayed) )
            return;
        Live live = new Live(sub, alias, replayed);
        subscriptions.put(sub.id(), live);
        // The connection may have ended while the engine answered.
        if ( finished.get() ) {
            subscriptions.remove(sub.id());
            sub.close();
            return;
        }
        sub.onAvailable(() -> available(live));
        if ( !replayed.isEmpty() )
            available(live);
    }

    /**
     * The events from the replay's version up to the subscription's first answer, which they
     * take the place of; false, with the subscription closed and the client told why, when the
     * replay cannot be made.
     */
    private boolean replayTo(Subscription sub, String alias, LiveReplay replay, Deque<LiveEvent> replayed) {
        LiveEvent first = sub.next();
        try {
            if ( first instanceof LiveEvent.Initial i )
                replayed.addAll(replay.eventsUpTo(i.result()));
            else if ( first != null )
                replayed.add(first);
        } catch (VersionGoneException ex) {
            sub.close();
            error(null, alias, 410, "gone", engine.dataset() + ": " + ex.getMessage() + " Subscribe as of a later version (see docs/history.md).");
            return false;
        } catch (NetChange.TooManyChanges ex) {
            sub.close();
            error(null, alias, 503, "busy", ex.getMessage());
            return false;
        } catch (LiveQueryException ex) {
            sub.close();
            refused(alias, ex);
            return false;
        }
        LOG.debug("Dataset '{}': live subscription {} of {} starts as of version {}, {} events replayed", engine.dataset(), sub.id(), client,
                  replay.version(), replayed.size());
        return true;
    }

    private void asOfRefused(String alias, AsOf.Refused ex) {
        String token = switch (ex.status()) {
            case 410 -> "gone";
            case 503 -> "busy";
            default -> "bad_request";
        };
        error(null, alias, ex.status(), token, ex.getMessage());
    }

    private void refused(String alias, LiveQueryException ex) {
        error(null, alias, LiveRefusals.status(ex.kind()), LiveRefusals.token(ex.kind()), ex.getMessage());
    }

    private void unsubscribe(LiveMessages.Unsubscribe request) {
        Steps steps = request.spuid() != null && request.spuid().isString() ? stepSubscriptions.remove(request.spuid().getAsString().value()) : null;
        if ( steps != null ) {
            steps.sub().close();
            reply(LiveJson.unsubscribed(steps.sub().name(), steps.alias()));
            return;
        }
        Long id = LiveMessages.spuid(request);
        Live live = id == null ? null : subscriptions.remove(id);
        if ( live == null ) {
            error(null, null, 404, "unknown_subscription", "No subscription " + (request.spuid() == null ? "(no \"spuid\" given)" : request.spuid().toString())
                                                           + " on this connection");
            return;
        }
        live.sub.close();
        reply(LiveJson.unsubscribed(live.sub.id(), live.alias));
    }

    private void error(Long spuid, String alias, int status, String token, String description) {
        reply(LiveJson.wsError(spuid, alias, status, token, description));
    }

    /** A reply goes out after the message being written, ahead of notifications not yet taken from their subscriptions. */
    private void reply(JsonObject message) {
        if ( finished.get() || closing.get() )
            return;
        // Replies pile up only when the client sends without reading.
        if ( queuedReplies.incrementAndGet() > MAX_QUEUED_REPLIES ) {
            replies.clear();
            close(CloseStatus.POLICY_VIOLATION, "Too many unread replies: read the server's messages");
            return;
        }
        replies.add(JSON.toStringFlat(message));
        pump();
    }

    /** Called on the engine's thread: formatting and sending happen on {@link #executor} instead. */
    private void available(Ready r) {
        if ( r.queued().compareAndSet(false, true) ) {
            ready.add(r);
            executor.execute(this::pump);
        }
    }

    private void pump() {
        if ( pumpRequests.getAndIncrement() != 0 )
            return;
        int requests = 1;
        do {
            sendNext();
            requests = pumpRequests.addAndGet(-requests);
        } while ( requests != 0 );
    }

    /**
     * Send the next message unless one is still being written (its completion calls {@link #pump} again): replies
     * first, then one event of each ready subscription in turn.
     */
    private void sendNext() {
        if ( writing || finished.get() || closing.get() )
            return;
        String text = replies.poll();
        if ( text != null )
            queuedReplies.decrementAndGet();
        else
            text = nextNotification();
        if ( text == null )
            return;
        writing = true;
        send(new Frame(OpCode.TEXT, text), () -> {
            writing = false;
            pump();
        });
    }

    private String nextNotification() {
        Ready r;
        while ( (r = ready.poll()) != null ) {
            // Cleared before reading, so an event offered from now on queues the subscription again.
            r.queued().set(false);
            String text = switch (r) {
                case Live live -> nextNotification(live);
                case Steps steps -> nextStep(steps);
            };
            if ( text != null )
                return text;
        }
        return null;
    }

    /** The subscription's next notification; null when it has none (or was unsubscribed meanwhile). */
    private String nextNotification(Live live) {
        LiveEvent e = live.next();
        if ( e == null )
            return null;
        if ( live.queued.compareAndSet(false, true) )
            ready.add(live);
        if ( subscriptions.get(live.sub.id()) != live )
            return null;  // Unsubscribed meanwhile.
        if ( e instanceof LiveEvent.Error err ) {
            subscriptions.remove(live.sub.id());
            live.sub.close();
            return JSON.toStringFlat(LiveJson.wsError(live.sub.id(), live.alias, 410, "subscription_ended",
                                                      err.message() + " (at version " + err.version() + ")"));
        }
        if ( e instanceof LiveEvent.Initial i )
            live.vars = i.result().vars();
        lastVersion = e.version();
        return JSON.toStringFlat(LiveJson.notification(live.sub.id(), live.alias, live.sequence++, e, live.vars));
    }

    /** The continuous query's next step, or its last error; null when none waits (or it was unsubscribed meanwhile). */
    private String nextStep(Steps steps) {
        StepSubscription.Message m = steps.sub().next();
        if ( m == null )
            return null;
        if ( steps.queued().compareAndSet(false, true) )
            ready.add(steps);
        String name = steps.sub().name();
        if ( stepSubscriptions.get(name) != steps )
            return null;  // Unsubscribed meanwhile.
        return switch (m) {
            case StepSubscription.StepMessage s -> JSON.toStringFlat(LiveJson.step(name, steps.alias(), s.json()));
            case StepSubscription.Failure f -> {
                stepSubscriptions.remove(name);
                steps.sub().close();
                yield JSON.toStringFlat(LiveJson.wsError(name, steps.alias(), 410, "subscription_ended", f.message()));
            }
        };
    }

    /** Hand a frame to Jetty, which queues it behind those not yet written; {@code written} runs once it is. */
    private void send(Frame frame, Runnable written) {
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

    /** Close after the frames already queued; Jetty ends the connection once the client closed too, or at the idle timeout. */
    private void close(int code, String reason) {
        if ( !closing.compareAndSet(false, true) )
            return;
        LOG.debug("Dataset '{}': live WebSocket of {} closing: {} {}", engine.dataset(), client, code, reason);
        session.close(code, reason, Callback.NOOP);
    }

    /** Release the subscriptions; safe to call more than once. */
    private void finish(String why) {
        if ( !finished.compareAndSet(false, true) )
            return;
        if ( counted )
            counts.release(client);
        if ( heartbeat != null )
            heartbeat.cancel(false);
        List.copyOf(unanswered).forEach(f -> f.cancel(false));
        subscriptions.values().forEach(l -> l.sub.close());
        subscriptions.clear();
        stepSubscriptions.values().forEach(s -> s.sub().close());
        stepSubscriptions.clear();
        LOG.debug("Dataset '{}': live WebSocket of {} ended: {}", engine.dataset(), client, why);
    }
}
