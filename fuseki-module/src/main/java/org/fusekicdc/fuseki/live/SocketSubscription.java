package org.fusekicdc.fuseki.live;

import java.util.Deque;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

import org.apache.jena.sparql.core.Var;
import org.fusekicdc.fuseki.rsp.StepSubscription;
import org.fusekicdc.live.LiveEvent;
import org.fusekicdc.live.Subscription;

/** A subscription on one live WebSocket, which says when it may have something to send. */
sealed interface SocketSubscription permits SocketSubscription.Live, SocketSubscription.Steps {
    /** Whether it waits in the outbox's ready queue already. */
    AtomicBoolean queued();

    /** A continuous query registered on the connection: its steps go out as {@code step} messages. */
    record Steps(StepSubscription sub, String alias, AtomicBoolean queued) implements SocketSubscription {}

    /** A live query. {@code sequence} and {@code vars} are only touched by the outbox's pump. */
    final class Live implements SocketSubscription {
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
}
