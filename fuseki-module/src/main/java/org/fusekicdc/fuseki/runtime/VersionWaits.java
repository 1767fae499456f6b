package org.fusekicdc.fuseki.runtime;

import java.time.Duration;
import java.util.concurrent.Semaphore;
import java.util.function.Supplier;

import org.fusekicdc.core.internal.capture.CapturingDatasetGraph;
import org.fusekicdc.fuseki.config.ReplicaReadSettings;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads of one dataset that ask for a version ({@code X-CDC-Min-Version}, {@code minVersion}, a
 * live subscription's {@code minVersion}) wait here until a read transaction shows it. Waits are
 * bounded in time (by {@code cdc:minVersionWaitMillis} or less) and in number
 * ({@code cdc:minVersionMaxWaiters}), so waiting reads cannot take every request thread.
 */
public final class VersionWaits {
    private static final Logger LOG = LoggerFactory.getLogger(VersionWaits.class);

    private final CapturingDatasetGraph dsg;
    private final Supplier<ReplicaLag> lag;
    private final ReplicaReadSettings settings;
    private final Semaphore slots;

    /** @param lag this server's lag now, named in a refusal */
    public VersionWaits(CapturingDatasetGraph dsg, Supplier<ReplicaLag> lag, ReplicaReadSettings settings) {
        this.dsg = dsg;
        this.lag = lag;
        this.settings = settings;
        this.slots = new Semaphore(settings.maxWaiters());
    }

    /**
     * Wait until readers here see {@code wanted}, at most {@code maxWaitMillis}.
     *
     * @return null once they do; else why not, with this server's version and lag
     */
    public Behind await(long wanted, long maxWaitMillis) throws InterruptedException {
        if ( visible(wanted) )
            return null;
        if ( !slots.tryAcquire() ) {
            LOG.warn("Dataset '{}': a read waiting for version {} refused: {} reads already wait (cdc:minVersionMaxWaiters)", dsg.datasetName(), wanted,
                     settings.maxWaiters());
            return behind(wanted, "too many reads already wait for a version here");
        }
        try {
            long deadline = System.nanoTime() + maxWaitMillis * 1_000_000L;
            long pause = 1;
            while ( true ) {
                if ( visible(wanted) )
                    return null;
                // In nanoseconds: rounded down to milliseconds, the wait would end up to a millisecond before its bound.
                long leftNanos = deadline - System.nanoTime();
                if ( leftNanos <= 0 )
                    break;
                // Polled, short and growing: a version becomes visible on a commit of the store, which offers no wake-up to wait on here.
                Thread.sleep(Duration.ofNanos(Math.min(pause * 1_000_000L, leftNanos)));
                pause = Math.min(pause * 2, 20);
            }
        } finally {
            slots.release();
        }
        return behind(wanted, "version " + wanted + " was not here within " + maxWaitMillis + " ms");
    }

    /** The longest a read waits: the configured bound, or {@code askedMillis} when the read asks for less (-1: it does not ask). */
    public long maxWaitMillis(long askedMillis) {
        long configured = settings.maxWait().toMillis();
        return askedMillis < 0 ? configured : Math.min(configured, askedMillis);
    }

    /** Whether readers see {@code wanted}; the log's head, never behind what readers see, spares a transaction while it is below. */
    private boolean visible(long wanted) {
        return dsg.changeLog().headVersion() >= wanted && ReplicaLag.visibleVersion(dsg) >= wanted;
    }

    private Behind behind(long wanted, String why) {
        return new Behind(dsg.datasetName(), why, wanted, lag.get());
    }

    /**
     * A read that asked for a version this server did not show in time.
     *
     * @param why        what happened, for the client
     * @param minVersion the version asked for
     * @param lag        this server's version and its lag behind the leader
     */
    public record Behind(String dataset, String why, long minVersion, ReplicaLag lag) {
        /** Versions between what readers see here and what was asked for. */
        public long behindAsked() {
            return Math.max(0, minVersion - lag.version());
        }

        /** The answer's body: what happened, the version asked for, how far this server is from it and from its leader. */
        public String json() {
            return "{\"error\":\"" + why.replace("\"", "\\\"") + "\",\"dataset\":\"" + dataset.replace("\"", "\\\"") + "\",\"minVersion\":" + minVersion
                   + ",\"behindAsked\":" + behindAsked() + "," + lag.jsonMembers() + "}";
        }
    }
}
