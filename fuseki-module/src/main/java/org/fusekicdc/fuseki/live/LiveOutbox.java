package org.fusekicdc.fuseki.live;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.jena.atlas.json.JSON;
import org.apache.jena.atlas.json.JsonObject;
import org.eclipse.jetty.websocket.core.CloseStatus;
import org.eclipse.jetty.websocket.core.Frame;
import org.eclipse.jetty.websocket.core.OpCode;
import org.fusekicdc.fuseki.live.SocketSubscription.Live;
import org.fusekicdc.fuseki.live.SocketSubscription.Steps;
import org.fusekicdc.fuseki.rsp.StepSubscription;
import org.fusekicdc.live.LiveEvent;

/**
 * The messages going out on one live WebSocket. They go out one at a time, each when the last was
 * written: replies first, then one event or step of each ready subscription in turn, taken from
 * the subscription only then, so a slow client's backlog stays in its subscriptions' bounded queues.
 */
final class LiveOutbox {
    /** Replies waiting for a client that does not read them; beyond this the client is cut off. */
    private static final int MAX_QUEUED_REPLIES = 1000;

    private final LiveWebSocket socket;
    private final SocketSubscriptions subscriptions;
    private final Executor executor;
    /** Replies (to subscribe and unsubscribe messages, errors) not yet sent. */
    private final ConcurrentLinkedQueue<String> replies = new ConcurrentLinkedQueue<>();
    private final AtomicInteger queuedReplies = new AtomicInteger();
    /** Subscriptions that may have events or steps, in the order they said so: written in turn. */
    private final ConcurrentLinkedQueue<SocketSubscription> ready = new ConcurrentLinkedQueue<>();
    /** Calls to {@link #pump}: whoever raises it from 0 sends for all, so no thread ever waits for another. */
    private final AtomicInteger pumpRequests = new AtomicInteger();
    /** Whether a message is being written: the next waits for it, so what a slow client has not taken stays queued here. */
    private volatile boolean writing;
    private volatile long lastVersion = -1;

    /** @param executor where notifications are formatted and sent (not the engine's thread) */
    LiveOutbox(LiveWebSocket socket, SocketSubscriptions subscriptions, Executor executor) {
        this.socket = socket;
        this.subscriptions = subscriptions;
        this.executor = executor;
    }

    /** The version of the last notification sent, -1 before any. */
    long lastVersion() {
        return lastVersion;
    }

    /** A reply goes out after the message being written, ahead of notifications not yet taken from their subscriptions. */
    void reply(JsonObject message) {
        if ( socket.ending() )
            return;
        // Replies pile up only when the client sends without reading.
        if ( queuedReplies.incrementAndGet() > MAX_QUEUED_REPLIES ) {
            replies.clear();
            socket.dropUnreading("Too many unread replies: the client sent " + MAX_QUEUED_REPLIES + " messages without reading the answers;"
                                 + " read the server's messages");
            return;
        }
        replies.add(JSON.toStringFlat(message));
        pump();
    }

    /** Called on the engine's thread: formatting and sending happen on {@link #executor} instead. */
    void available(SocketSubscription r) {
        // Subscriptions closed as the connection ends say so too: nothing goes out any more.
        if ( socket.ending() )
            return;
        if ( r.queued().compareAndSet(false, true) ) {
            ready.add(r);
            try {
                executor.execute(this::pump);
            } catch (RejectedExecutionException ex) {
                // Only a stopping server refuses work: the connection ends with it.
                socket.close(CloseStatus.SHUTDOWN, "Server stopping");
            }
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
        if ( writing || socket.ending() )
            return;
        String text = replies.poll();
        if ( text != null )
            queuedReplies.decrementAndGet();
        else
            text = nextNotification();
        if ( text == null )
            return;
        writing = true;
        socket.send(new Frame(OpCode.TEXT, text), () -> {
            writing = false;
            pump();
        });
    }

    private String nextNotification() {
        SocketSubscription r;
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
        if ( !subscriptions.holds(live) )
            return null;  // Unsubscribed meanwhile.
        if ( e instanceof LiveEvent.Error err ) {
            subscriptions.removeLive(live.sub.id());
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
        if ( !subscriptions.holds(steps) )
            return null;  // Unsubscribed meanwhile.
        return switch (m) {
            case StepSubscription.StepMessage s -> JSON.toStringFlat(LiveJson.step(name, steps.alias(), s.json()));
            case StepSubscription.LateMessage l -> JSON.toStringFlat(LiveJson.late(name, steps.alias(), l.json()));
            case StepSubscription.Failure f -> {
                subscriptions.removeSteps(name);
                steps.sub().close();
                yield JSON.toStringFlat(LiveJson.wsError(name, steps.alias(), 410, "subscription_ended", f.message()));
            }
        };
    }
}
