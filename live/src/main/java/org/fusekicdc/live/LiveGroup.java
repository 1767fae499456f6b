package org.fusekicdc.live;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import org.apache.jena.query.Query;
import org.apache.jena.sparql.engine.binding.Binding;
import org.fusekicdc.live.QueryPatterns.QuadPattern;

/**
 * One distinct live query and everyone subscribed to it: the query is evaluated once per
 * change that can affect it, whatever the number of subscribers. Keeps the current answer
 * and the last changes, so reconnecting clients can resume.
 */
final class LiveGroup {
    private final String key;
    private final LiveView view;
    private final Query query;
    private final List<QuadPattern> patterns;
    private final int historyLimit;
    final List<Subscription> subscribers = new CopyOnWriteArrayList<>();
    private volatile LiveResult result;
    // Changes after historyFloor are all in history; guarded by this.
    private final Deque<LiveDelta> history = new ArrayDeque<>();
    private long historyFloor;
    // Set while a change may have reached this query but it was not yet evaluated: its answer is then only valid at its own version.
    volatile boolean stale;
    // Evaluated by the costly-query threads (CostlyLane) since an evaluation took longer than the threshold; then set for good.
    volatile boolean costly;
    // Set when the query is dropped (no subscriber left, ended by an error, server stop): its evaluation is aborted.
    private boolean ended;
    private org.apache.jena.sparql.exec.QueryExec running;
    // Guarded by this, for a costly query: changed since its last evaluation began; an evaluation is queued or under way.
    boolean dirty;
    boolean queued;
    // Only touched by the engine thread: subscribe requests waiting for the first answer of a costly query.
    final List<SubscribeRequest> waiters = new java.util.ArrayList<>();
    // Only touched by the engine thread: the version of the last evaluation and the time it took; the
    // answer's rows (duplicates counted); how to follow changes by delta rules (null: re-run); for a
    // DISTINCT plan, the solutions behind each row.
    long evaluatedAt;
    long costNanos;
    long rowCount;
    IncrementalPlan plan;
    Map<Binding, Integer> counts;

    LiveGroup(String key, Query query, List<QuadPattern> patterns, IncrementalPlan plan, int historyLimit, LiveView view) {
        this.key = key;
        this.view = view;
        this.query = query;
        this.patterns = patterns;
        this.plan = plan;
        this.historyLimit = historyLimit;
    }

    /** The evaluation under way (null when it ends), aborted if the query is dropped meanwhile. */
    synchronized void running(org.apache.jena.sparql.exec.QueryExec exec) {
        running = exec;
        if ( ended && exec != null )
            exec.abort();
    }

    /** Drop the query: abort its evaluation; false if it was dropped already. */
    synchronized boolean end() {
        if ( ended )
            return false;
        ended = true;
        if ( running != null )
            running.abort();
        return true;
    }

    synchronized boolean isEnded() {
        return ended;
    }

    /** The first answer. */
    void start(LiveResult initial) {
        result = initial;
        rowCount = initial.rowCount();
        historyFloor = initial.version();
        evaluatedAt = initial.version();
    }

    String key() {
        return key;
    }

    /** The part of the dataset this query is evaluated on. */
    LiveView view() {
        return view;
    }

    Query query() {
        return query;
    }

    List<QuadPattern> patterns() {
        return patterns;
    }

    /** The answer at the version it was last computed; unchanged since unless {@link #stale}. */
    LiveResult result() {
        return result;
    }

    /**
     * The answer, tagged with {@code engineVersion} (read before calling) when it did not change up to there.
     * Unaffected queries are not touched at each step: the engine's version says how far they are valid.
     */
    LiveResult resultAt(long engineVersion) {
        // Read stale before result: the engine sets result before clearing stale.
        if ( stale )
            return result;
        LiveResult r = result;
        if ( r.version() >= engineVersion )
            return r;
        return new LiveResult(engineVersion, r.vars(), r.rows(), r.ask());
    }

    /** The new answer and what changed; the change is kept for resuming clients. */
    synchronized void changed(LiveResult next, LiveDelta delta) {
        result = next;
        rowCount += delta.additions().size() - delta.deletions().size();
        history.addLast(delta);
        while ( history.size() > historyLimit )
            historyFloor = history.pollFirst().version();
    }

    /** Whether every change after {@code version} up to {@code current} is still known. */
    synchronized boolean canResumeAfter(long version, long current) {
        return version >= historyFloor && version <= current;
    }

    /** The changes after {@code version} merged into one, or null when there were none. */
    synchronized LiveDelta changesAfter(long version) {
        LiveDelta merged = null;
        for ( LiveDelta d : history ) {
            if ( d.version() > version )
                merged = merged == null ? d : merged.then(d);
        }
        return merged;
    }
}
