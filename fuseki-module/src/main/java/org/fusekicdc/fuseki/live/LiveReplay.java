package org.fusekicdc.fuseki.live;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;

import org.apache.jena.fuseki.servlets.HttpAction;
import org.fusekicdc.core.internal.history.AsOfRead;
import org.fusekicdc.core.internal.history.NetChange;
import org.fusekicdc.core.internal.log.VersionGoneException;
import org.fusekicdc.fuseki.access.ReaderView;
import org.fusekicdc.fuseki.history.AsOf;
import org.fusekicdc.fuseki.runtime.DatasetRuntime;
import org.fusekicdc.live.LiveDelta;
import org.fusekicdc.live.LiveEvent;
import org.fusekicdc.live.LiveQueryEngine;
import org.fusekicdc.live.LiveQueryException;
import org.fusekicdc.live.LiveResult;
import org.fusekicdc.live.LiveView;

/**
 * A live subscription that starts as of an earlier version ({@code version} or
 * {@code Accept-Datetime}, as for as-of reads): the answer as of that version, then one update
 * per later version up to the version of the live subscription's first answer, each evaluated on
 * an as-of read seen through the subscriber's view; then the live events follow.
 */
final class LiveReplay {
    private final DatasetRuntime runtime;
    private final LiveQueryEngine engine;
    private final String query;
    private final LiveView view;
    private final LiveResult start;

    private LiveReplay(DatasetRuntime runtime, LiveQueryEngine engine, String query, LiveView view, LiveResult start) {
        this.runtime = runtime;
        this.engine = engine;
        this.query = query;
        this.view = view;
        this.start = start;
    }

    /**
     * The answer as of the version the request asks for, on this thread; a bad or unreachable
     * version gets its error response (400, 410 naming the oldest reachable version) as for as-of reads.
     *
     * @throws LiveQueryException for a query that cannot be live
     */
    static LiveReplay begin(HttpAction action, DatasetRuntime runtime, LiveQueryEngine engine, String query) {
        LiveView view = ReaderView.of(action).live();
        try (AsOfRead read = AsOf.open(action, runtime)) {
            return new LiveReplay(runtime, engine, query, view, engine.evaluate(query, view.over().apply(read.dataset()), read.version()));
        }
    }

    /**
     * The answer as of {@code target} seen through {@code view}, on this thread.
     *
     * @throws AsOf.Refused when retention removed the version meanwhile, or the undo would hold too much
     * @throws LiveQueryException for a query that cannot be live
     */
    static LiveReplay begin(DatasetRuntime runtime, LiveQueryEngine engine, String query, LiveView view, AsOf.Target target) {
        try (AsOfRead read = AsOf.begin(runtime, target)) {
            return new LiveReplay(runtime, engine, query, view, engine.evaluate(query, view.over().apply(read.dataset()), read.version()));
        }
    }

    /** Begins the replay of a WebSocket subscription that starts as of a version. */
    @FunctionalInterface
    interface Start {
        /**
         * The answer as of {@code version}, or (when it is -1) as of the last version committed
         * at or before {@code datetime}, an HTTP date.
         *
         * @throws AsOf.Refused for a version that cannot be read
         * @throws LiveQueryException for a query that cannot be live
         */
        LiveReplay begin(String query, LiveView view, long version, String datetime);
    }

    /** Replays of the dataset's as-of reads. */
    static Start starts(DatasetRuntime runtime, LiveQueryEngine engine) {
        return (query, view, version, datetime) -> begin(runtime, engine, query, view, version >= 0 ? AsOf.target(runtime, version, null)
                                                                                                 : AsOf.target(runtime, null, AsOf.httpDate(datetime)));
    }

    long version() {
        return start.version();
    }

    /** Wait (at most the live query timeout) until the engine follows the version the replay starts at, so that no version is left out. */
    void awaitEngine() throws InterruptedException {
        long deadline = System.nanoTime() + engine.config().queryTimeout().toNanos();
        while ( engine.version() < start.version() ) {
            if ( System.nanoTime() > deadline )
                throw new LiveQueryException(LiveQueryException.Kind.BUSY, "The live query engine of dataset '" + engine.dataset()
                                             + "' is behind version " + start.version() + "; try again later.");
            Thread.sleep(10);
        }
    }

    /**
     * The events from the start version up to {@code live}, the live subscription's first answer:
     * the whole answer at the start, then one update per version (empty when the answer did not
     * change), the last one reaching {@code live} exactly. At most
     * {@link org.fusekicdc.live.LiveConfig#maxPendingRows()} changed rows are held.
     *
     * @throws LiveQueryException when the replay holds too many rows, or an evaluation fails
     * @throws VersionGoneException when retention removed a version meanwhile
     * @throws NetChange.TooManyChanges when an as-of read would hold too much
     */
    Deque<LiveEvent> eventsUpTo(LiveResult live) {
        if ( live.version() < start.version() )
            // A costly query's answer may lag behind the engine: its later updates could not follow the replayed state.
            throw new LiveQueryException(LiveQueryException.Kind.BUSY, "The live answer of this query on dataset '" + engine.dataset()
                                         + "' is at version " + live.version() + ", behind version " + start.version() + "; try again later.");
        Deque<LiveEvent> events = new ArrayDeque<>();
        // At the live version itself, the live answer: later updates apply to exactly its rows (LIMIT without ORDER BY may pick others).
        events.add(new LiveEvent.Initial(live.version() == start.version() ? live : start, false));
        LiveResult prev = start;
        long held = 0;
        for ( long v = start.version() + 1 ; v <= live.version() ; v++ ) {
            LiveResult next;
            if ( v == live.version() )
                next = live;
            else {
                try (AsOfRead read = AsOfRead.begin(runtime.dataset(), v, AsOfRead.DEFAULT_MAX_CHANGED_QUADS, runtime.historySnapshots())) {
                    next = engine.evaluate(query, view.over().apply(read.dataset()), v);
                }
            }
            LiveDelta d = next.since(prev);
            if ( d == null )
                d = new LiveDelta(v, List.of(), List.of(), null);
            held += d.additions().size() + d.deletions().size();
            if ( held > engine.config().maxPendingRows() )
                throw new LiveQueryException(LiveQueryException.Kind.TOO_EXPENSIVE, "Replaying dataset '" + engine.dataset() + "' from version "
                                             + start.version() + " to " + live.version() + " changes more than " + engine.config().maxPendingRows()
                                             + " rows of this query, the most a subscription holds waiting for its client; subscribe as of a"
                                             + " later version, or without one for the current answer.");
            events.add(new LiveEvent.Update(d));
            prev = next;
        }
        return events;
    }
}
