package org.fusekicdc.core.internal.metrics;

/**
 * What capture, the sinks and the live query engine of one dataset report as they work, for
 * metrics. One observer per dataset, held by its change log ({@code ChangeLog.observer()}).
 * <p>
 * Calls come from the committing thread, a sink's thread or the live engine's thread: an
 * implementation must be cheap (counters and timers, nothing per quad), thread-safe, and must
 * never throw. Every method does nothing by default.
 */
public interface CdcObserver {
    /** Observes nothing. */
    CdcObserver NONE = new CdcObserver() {};

    /**
     * A write transaction's patch is in the log and published.
     *
     * @param version      its version
     * @param quadChanges  quads added and deleted (net)
     * @param patchBytes   size of the patch as written to the log
     * @param captureNanos time capture added to the commit: settling the net effect, the durable log append and the publish (not the store's commit)
     */
    default void captured(long version, long quadChanges, long patchBytes, long captureNanos) {}

    /**
     * The two durable steps of a write transaction's commit, in order: its record, stamped with
     * its commit time, written and forced to the log ({@code appendNanos}), then the store's own
     * commit ({@code storeNanos}). A commit-time window that ends between the stamp and the
     * publish closes only once the commit is published.
     */
    default void committed(long version, long appendNanos, long storeNanos) {}

    /** A sink delivered a patch; {@code publishNanos} is how long the delivery took. */
    default void delivered(String sink, long version, long publishNanos) {}

    /** A sink failed to deliver a patch; {@code permanent} when retrying cannot help. */
    default void deliveryFailed(String sink, long version, boolean permanent) {}

    /** The live query engine found the queries affected by new patches in {@code matchNanos}. */
    default void liveMatched(long matchNanos) {}

    /** The live query engine evaluated one query in {@code nanos}. */
    default void liveEvaluated(long nanos) {}

    /**
     * The live query engine handed subscribers the changes of {@code version}, {@code latencyMillis}
     * after that version was committed.
     */
    default void liveNotified(long version, long latencyMillis) {}

    /**
     * A read transaction that shows a known version (a live or continuous query's, a snapshot's)
     * opened, {@code openNanos} after it was asked for (the store's own begin included);
     * {@code duringCommit} if a store commit was under way and the read shows the version before
     * or after it, {@code waited} if it had to wait for a store commit or a rebase to be published.
     */
    default void knownVersionRead(long openNanos, boolean duringCommit, boolean waited) {}
}
