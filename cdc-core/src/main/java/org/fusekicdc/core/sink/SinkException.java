package org.fusekicdc.core.sink;

import java.io.IOException;

import org.fusekicdc.core.CdcException;

/**
 * Delivery to a sink failed. Transient failures (broker down, timeout) are retried with
 * backoff; permanent ones are not. A permanent failure is either the patch's (too large even
 * when split, refused by the destination): that patch may go to the dead-letter directory and
 * delivery continue; or the sink's as a whole (not authorised, bad credentials, a setting the
 * destination rejects): every patch would fail the same way, so the sink pauses.
 */
public class SinkException extends CdcException {
    private final boolean permanent;
    private final boolean sinkWide;
    private final boolean fenced;

    private SinkException(String message, Throwable cause, boolean permanent, boolean sinkWide, boolean fenced) {
        super(message, cause);
        this.permanent = permanent;
        this.sinkWide = sinkWide;
        this.fenced = fenced;
    }

    private SinkException(String message, Throwable cause, boolean permanent, boolean sinkWide) {
        this(message, cause, permanent, sinkWide, false);
    }

    /**
     * Another server has taken over the destination as the dataset's leader (it was promoted):
     * this server must not publish there again. The sink pauses, and the dataset stops taking
     * writes; it can rejoin as a follower.
     */
    public static SinkException fenced(String message, Throwable cause) {
        return new SinkException(message, cause, true, true, true);
    }

    /** A failure that may pass: retry later. */
    public static SinkException transientFailure(String message, Throwable cause) {
        return new SinkException(message, cause, false, false);
    }

    /** A failure of this patch that retrying will not fix. */
    public static SinkException permanentFailure(String message, Throwable cause) {
        return new SinkException(message, cause, true, false);
    }

    /** A failure of the sink as a whole that retrying will not fix: the sink pauses, patches are never dead-lettered for it. */
    public static SinkException permanentSinkFailure(String message, Throwable cause) {
        return new SinkException(message, cause, true, true);
    }

    /** The change log could not be read (a transient failure: the runner retries). */
    public static SinkException logReadFailure(long version, IOException cause) {
        return transientFailure("cannot read patch version " + version + " from the change log: " + cause, cause);
    }

    public boolean permanent() {
        return permanent;
    }

    /** True for {@link #fenced}: another leader publishes to the destination. */
    public boolean fenced() {
        return fenced;
    }

    /** True for a {@link #permanentSinkFailure}: not the patch's fault. */
    public boolean sinkWide() {
        return sinkWide;
    }
}
