package org.fusekicdc.fuseki.live;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

import org.fusekicdc.core.internal.history.NetChange;
import org.fusekicdc.core.internal.log.VersionGoneException;
import org.fusekicdc.fuseki.history.AsOf;
import org.fusekicdc.fuseki.live.SocketSubscription.Live;
import org.fusekicdc.fuseki.live.SocketSubscription.Steps;
import org.fusekicdc.fuseki.rsp.ContinuousQueries;
import org.fusekicdc.fuseki.rsp.StepSubscription;
import org.fusekicdc.fuseki.runtime.VersionWaits;
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
 * The client's messages on one live WebSocket: a subscribe makes a live query (now, as of an
 * earlier version, or once readers here see a version) or registers a continuous query; an
 * unsubscribe ends one. The answers and refusals go out through the {@link LiveOutbox}.
 */
final class LiveRequests {
    // The WebSocket's logger: one name to configure for all that a connection says.
    private static final Logger LOG = LoggerFactory.getLogger(LiveWebSocket.class);

    private final LiveReplay.Start replays;
    private final VersionWaits versionWaits;
    private final LiveQueryEngine engine;
    private final Supplier<ContinuousQueries> continuous;
    private final boolean readsAll;
    private final int maxSteps;
    private final String client;
    private final LiveView view;
    private final Executor executor;
    private final SocketSubscriptions subscriptions;
    private final LiveOutbox outbox;

    /** See {@link LiveWebSocket#LiveWebSocket} for the parameters. */
    LiveRequests(LiveReplay.Start replays, VersionWaits versionWaits, LiveQueryEngine engine, Supplier<ContinuousQueries> continuous, boolean readsAll,
                 int maxSteps, String client, LiveView view, Executor executor, SocketSubscriptions subscriptions, LiveOutbox outbox) {
        this.replays = replays;
        this.versionWaits = versionWaits;
        this.engine = engine;
        this.continuous = continuous;
        this.readsAll = readsAll;
        this.maxSteps = maxSteps;
        this.client = client;
        this.view = view;
        this.executor = executor;
        this.subscriptions = subscriptions;
        this.outbox = outbox;
    }

    /** One text message from the client; a fault of ours is thrown, for the connection to close on. */
    void message(String text) {
        switch ( LiveMessages.read(text) ) {
            case LiveMessages.Subscribe request -> subscribe(request);
            case LiveMessages.Unsubscribe request -> unsubscribe(request);
            case LiveMessages.Invalid invalid -> error(null, invalid.alias(), 400, invalid.token(), invalid.description());
        }
    }

    private void subscribe(LiveMessages.Subscribe request) {
        if ( request.minVersion() >= 0 ) {
            // The wait for the version is not made on the thread reading this connection.
            executor.execute(() -> subscribeAtVersion(request));
            return;
        }
        subscribeNow(request);
    }

    /** Read-your-writes: the subscription starts once readers here see the version asked for, else the client gets 503 {@code behind}. */
    private void subscribeAtVersion(LiveMessages.Subscribe request) {
        VersionWaits.Behind behind;
        try {
            behind = versionWaits.await(request.minVersion(), versionWaits.maxWaitMillis(request.maxWaitMillis()));
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            error(null, request.alias(), 503, "busy", "The server is stopping.");
            return;
        }
        if ( behind != null ) {
            LOG.debug("Dataset '{}': live subscription of {} asking for version {} refused at version {}", engine.dataset(), client,
                      request.minVersion(), behind.lag().version());
            outbox.reply(LiveJson.wsBehind(request.alias(), behind));
            return;
        }
        if ( !subscriptions.ended() )
            subscribeNow(request);
    }

    private void subscribeNow(LiveMessages.Subscribe request) {
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
        if ( !subscriptions.add(steps) )
            return;
        LOG.debug("Dataset '{}': continuous query {} of {} registered on a live WebSocket", engine.dataset(), sub.name(), client);
        sub.onAvailable(() -> outbox.available(steps));
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
        subscriptions.awaiting(pending);
        pending.whenCompleteAsync((sub, failure) -> {
            subscriptions.answered(pending);
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
        if ( !subscriptions.add(live) )
            return;
        sub.onAvailable(() -> outbox.available(live));
        if ( !replayed.isEmpty() )
            outbox.available(live);
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
        Steps steps = request.spuid() != null && request.spuid().isString() ? subscriptions.removeSteps(request.spuid().getAsString().value()) : null;
        if ( steps != null ) {
            steps.sub().close();
            outbox.reply(LiveJson.unsubscribed(steps.sub().name(), steps.alias()));
            return;
        }
        Long id = LiveMessages.spuid(request);
        Live live = id == null ? null : subscriptions.removeLive(id);
        if ( live == null ) {
            error(null, null, 404, "unknown_subscription", "No subscription " + (request.spuid() == null ? "(no \"spuid\" given)" : request.spuid().toString())
                                                           + " on this connection");
            return;
        }
        live.sub.close();
        outbox.reply(LiveJson.unsubscribed(live.sub.id(), live.alias));
    }

    private void error(Long spuid, String alias, int status, String token, String description) {
        outbox.reply(LiveJson.wsError(spuid, alias, status, token, description));
    }
}
