package org.fusekicdc.fuseki.live;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

import org.fusekicdc.fuseki.live.SocketSubscription.Live;
import org.fusekicdc.fuseki.live.SocketSubscription.Steps;
import org.fusekicdc.live.Subscription;

/**
 * The subscriptions on one live WebSocket, and its subscribe requests the engine has not
 * answered yet. When the connection ends all are closed, and so is any that arrives after.
 */
final class SocketSubscriptions {
    private final Map<Long, Live> live = new ConcurrentHashMap<>();
    /** Continuous queries, by the name the stream engine knows them by (their spuid). */
    private final Map<String, Steps> steps = new ConcurrentHashMap<>();
    /** Subscribe requests the engine has not answered yet: cancelled if the connection ends first. */
    private final Set<CompletableFuture<Subscription>> unanswered = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean ended = new AtomicBoolean();

    /** Whether the connection has ended. */
    boolean ended() {
        return ended.get();
    }

    /** Keep a live query; false, with it closed, when the connection ended while the engine answered. */
    boolean add(Live l) {
        live.put(l.sub.id(), l);
        if ( ended.get() ) {
            live.remove(l.sub.id());
            l.sub.close();
            return false;
        }
        return true;
    }

    /** Keep a continuous query; false, with it closed, when the connection ended while the engine registered it. */
    boolean add(Steps s) {
        steps.put(s.sub().name(), s);
        if ( ended.get() ) {
            steps.remove(s.sub().name());
            s.sub().close();
            return false;
        }
        return true;
    }

    /** Whether the live query is still the one under its spuid (rather than unsubscribed). */
    boolean holds(Live l) {
        return live.get(l.sub.id()) == l;
    }

    /** Whether the continuous query is still the one under its name (rather than unsubscribed). */
    boolean holds(Steps s) {
        return steps.get(s.sub().name()) == s;
    }

    /** The live query with that spuid, no longer kept; null when there is none. */
    Live removeLive(long spuid) {
        return live.remove(spuid);
    }

    /** The continuous query with that name, no longer kept; null when there is none. */
    Steps removeSteps(String name) {
        return steps.remove(name);
    }

    /** A subscribe request waits for the engine: cancelled at once when the connection has ended. */
    void awaiting(CompletableFuture<Subscription> pending) {
        unanswered.add(pending);
        if ( ended.get() )
            pending.cancel(false);
    }

    void answered(CompletableFuture<Subscription> pending) {
        unanswered.remove(pending);
    }

    /** The connection ended: cancel and close everything; false when it had ended already. */
    boolean end() {
        if ( !ended.compareAndSet(false, true) )
            return false;
        List.copyOf(unanswered).forEach(f -> f.cancel(false));
        live.values().forEach(l -> l.sub.close());
        live.clear();
        steps.values().forEach(s -> s.sub().close());
        steps.clear();
        return true;
    }
}
