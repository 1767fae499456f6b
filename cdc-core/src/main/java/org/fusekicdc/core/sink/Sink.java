package org.fusekicdc.core.sink;

import java.util.List;
import java.util.Optional;
import java.util.UUID;

import org.fusekicdc.core.wire.PatchRecord;

/**
 * A destination for a dataset's patches (a Kafka topic, a JetStream subject, ...). The
 * server's runner calls {@link #open} once, then {@link #deliver} for each patch in version
 * order, one at a time, from one thread; after a failure it calls {@link #close} and
 * {@link #open} again. A simple sink implements only these.
 * <p>
 * Exactly once: a sink that can see what its destination already holds reports the last
 * version there from {@code open}, and delivery resumes after it, whatever the sink's cursor
 * says; so a crash between a publish and the cursor update never duplicates a patch.
 * <p>
 * Keeping up: a sink may take several patches per call ({@link #maxBatch()}), which the runner
 * uses when patches are waiting, and may have several calls in flight at once
 * ({@link #maxInFlight()}, {@link #send}), so that a sink that fell behind catches up at the
 * destination's bulk rate rather than at one round trip per patch.
 */
public interface Sink extends AutoCloseable {
    /** The value of {@link #open} when the destination cannot tell which versions it holds. */
    long UNKNOWN = -1;

    /** The sink's name, unique per dataset; also the name of its durable cursor. */
    String name();

    /**
     * Connect, and return the last version of this dataset the destination already holds
     * (0 for none), or {@link #UNKNOWN}.
     *
     * @throws SinkException when the destination cannot be reached or used; retried unless permanent
     */
    long open() throws SinkException;

    /**
     * {@link #open()}, for a sink that can tell whether another server has published to the
     * destination since this one (a promoted follower): {@code ids} gives the patch id this
     * server's log holds at each version. Such a sink compares the destination's last patch with
     * it before it claims the destination, and throws {@link SinkException#fenced} when the
     * destination holds a version past this log's head or another patch at a version this log
     * holds. The default ignores {@code ids}.
     */
    default long open(PatchIds ids) throws SinkException {
        return open();
    }

    /** The patch ids of this server's change log, by version. */
    interface PatchIds {
        /** The last version this server's log holds. */
        long headVersion();

        /** The id of the patch at {@code version}; empty for version 0, past the head, or when retention removed it. */
        Optional<UUID> idAt(long version);
    }

    /**
     * Deliver one patch; returns once the destination has durably accepted it.
     *
     * @throws SinkException on failure; a {@link SinkException#permanent() permanent} one is
     *         not retried (the sink pauses, or the patch goes to the dead-letter directory)
     */
    void deliver(PatchRecord patch) throws SinkException;

    /**
     * The most patches one {@link #deliver(List)} takes. 1, the default, means the runner only
     * ever calls {@link #deliver(PatchRecord)}.
     */
    default int maxBatch() {
        return 1;
    }

    /**
     * Deliver consecutive patches (at most {@link #maxBatch()}, in version order) together;
     * returns once the destination has durably accepted all of them. On failure none counts as
     * delivered: a transient failure retries the whole batch; a permanent failure of the patch
     * kind makes the runner deliver the batch's patches one at a time, so that only the patch at
     * fault goes to the dead-letter directory or pauses the sink.
     */
    default void deliver(List<PatchRecord> patches) throws SinkException {
        for ( PatchRecord p : patches )
            deliver(p);
    }

    /**
     * How many {@link #send} calls the runner may have outstanding at once. 1, the default, means
     * the runner waits for each delivery before it starts the next. Asked after each {@link #open}.
     * <p>
     * A sink that answers more than 1 must keep order and exactly-once with several sends
     * outstanding: the destination never accepts a patch unless it holds every earlier one (a
     * sequence guard, an idempotent producer). After a failure the runner abandons what is in
     * flight (it never awaits those sends): after a transient one it closes the sink and opens
     * it again, so {@link #open} must report what the destination holds; after a permanent one
     * of the patch kind it calls {@link #deliver(PatchRecord)} for the failed send's patches one
     * at a time, so the sink must by then know which of them the destination took before the
     * refused patch (and skip those) and have forgotten what it sent after it.
     */
    default int maxInFlight() {
        return 1;
    }

    /**
     * Start delivering consecutive patches (at most {@link #maxBatch()}, in version order, right
     * after the patches of the previous send) and return without waiting for the destination
     * when {@link #maxInFlight()} allows it; {@link Delivery#await()} on the result returns once
     * the destination has durably accepted all of them. The runner awaits its sends in the order
     * it made them. The default delivers at once with {@link #deliver(List)}.
     *
     * @throws SinkException when the send cannot even start; as for {@link #deliver(List)}
     */
    default Delivery send(List<PatchRecord> patches) throws SinkException {
        deliver(patches);
        return Delivery.DONE;
    }

    /** A {@link #send} in flight. */
    @FunctionalInterface
    interface Delivery {
        /** A send that has completed. */
        Delivery DONE = () -> {};

        /**
         * Wait until the destination has accepted every patch of the send.
         *
         * @throws SinkException when it has not (none of the send's patches then counts as
         *         delivered; the runner reopens the sink, which says what the destination holds)
         */
        void await() throws SinkException;
    }

    /** Release connections; may be followed by another {@link #open}. */
    @Override
    void close();
}
