package org.fusekicdc.core.sink;

import java.nio.file.Path;
import java.time.Duration;

/**
 * How a sink's runner delivers: backoff between retries, what happens to a patch that can
 * never be delivered, and what happens to writers when the sink falls far behind.
 *
 * @param initialBackoff  first retry delay (default 200 ms); doubled on each failure, with jitter
 * @param maxBackoff      longest retry delay (default 30 s)
 * @param deadLetterDir   where undeliverable patches go; null (the default) pauses the sink instead
 * @param maxLagVersions  how far behind the sink may fall before {@code lagPolicy} applies; 0 = no bound
 * @param lagPolicy       what happens past the bound
 * @param acknowledgeWrites when a write is acknowledged to its client: once committed locally, or
 *                        only once this sink's destination also holds its patch
 * @param acknowledgeTimeout how long a write waits for the destination with {@link Acknowledge#DESTINATION}
 */
public record SinkConfig(Duration initialBackoff, Duration maxBackoff, Path deadLetterDir, long maxLagVersions, LagPolicy lagPolicy,
                         Acknowledge acknowledgeWrites, Duration acknowledgeTimeout) {
    public static final SinkConfig DEFAULTS = new SinkConfig(Duration.ofMillis(200), Duration.ofSeconds(30), null, 0, LagPolicy.BUFFER,
                                                             Acknowledge.LOCAL, Duration.ofSeconds(5));

    /** What to do with writes while a sink is further behind than {@code maxLagVersions}. */
    public enum LagPolicy {
        /** Keep accepting writes; the change log buffers on disk. */
        BUFFER,
        /** Refuse writes (HTTP 503) until the sink catches up. */
        REFUSE
    }

    /** When a write that this sink publishes is acknowledged to its client. */
    public enum Acknowledge {
        /** Once the write is committed locally (change log and store); the sink delivers later. */
        LOCAL,
        /**
         * Once the write is committed locally and this sink's destination has durably accepted its
         * patch (Kafka acks=all, JetStream's publish acknowledgement): the destination is the
         * replicated log a follower can take over from. The commit itself stays local-first.
         */
        DESTINATION
    }

    public SinkConfig {
        if ( initialBackoff.isNegative() || initialBackoff.isZero() )
            throw new IllegalArgumentException("initialBackoff must be positive, got " + initialBackoff);
        if ( maxBackoff.compareTo(initialBackoff) < 0 )
            throw new IllegalArgumentException("maxBackoff (" + maxBackoff + ") must be at least initialBackoff (" + initialBackoff + ")");
        if ( maxLagVersions < 0 )
            throw new IllegalArgumentException("maxLagVersions must be >= 0 (0 = no bound), got " + maxLagVersions);
        if ( lagPolicy == LagPolicy.REFUSE && maxLagVersions == 0 )
            throw new IllegalArgumentException("lagPolicy REFUSE needs maxLagVersions > 0");
        if ( acknowledgeTimeout.isNegative() || acknowledgeTimeout.isZero() )
            throw new IllegalArgumentException("acknowledgeTimeout must be positive, got " + acknowledgeTimeout);
    }

    public SinkConfig withBackoff(Duration initial, Duration max) {
        return new SinkConfig(initial, max, deadLetterDir, maxLagVersions, lagPolicy, acknowledgeWrites, acknowledgeTimeout);
    }

    public SinkConfig withDeadLetterDir(Path dir) {
        return new SinkConfig(initialBackoff, maxBackoff, dir, maxLagVersions, lagPolicy, acknowledgeWrites, acknowledgeTimeout);
    }

    public SinkConfig withLagBound(long versions, LagPolicy policy) {
        return new SinkConfig(initialBackoff, maxBackoff, deadLetterDir, versions, policy, acknowledgeWrites, acknowledgeTimeout);
    }

    /** True when writes are acknowledged on this sink's destination: it carries the replica set's log, which only the leader publishes. */
    public boolean publishesReplicaLog() {
        return acknowledgeWrites == Acknowledge.DESTINATION;
    }

    public SinkConfig withAcknowledgeWrites(Acknowledge when, Duration timeout) {
        return new SinkConfig(initialBackoff, maxBackoff, deadLetterDir, maxLagVersions, lagPolicy, when, timeout);
    }
}
