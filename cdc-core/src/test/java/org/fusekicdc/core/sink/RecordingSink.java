package org.fusekicdc.core.sink;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

import org.fusekicdc.core.wire.PatchRecord;

/**
 * A sink for tests of the runner: keeps delivered versions in memory, reports them from
 * {@code open} like a broker reporting its last message would, and fails on demand.
 */
public final class RecordingSink implements Sink {
    private final String name;
    final List<Long> delivered = Collections.synchronizedList(new ArrayList<>());
    /** Versions that fail permanently every time. */
    final Set<Long> rejected = Collections.synchronizedSet(new HashSet<>());
    /** Number of transient failures still to give, on any delivery or open. */
    final AtomicInteger transientFailures = new AtomicInteger();
    volatile boolean reportsLastVersion = true;
    final AtomicInteger opens = new AtomicInteger();

    public RecordingSink(String name) {
        this.name = name;
    }

    /** Fail the next {@code n} deliveries or opens with a transient error. */
    public void transientFailuresOnDeliver(int n) {
        transientFailures.set(n);
    }

    /** Reject {@code version} permanently, every time. */
    public void reject(long version) {
        rejected.add(version);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public long open() throws SinkException {
        opens.incrementAndGet();
        failTransientlyIfAsked();
        if ( !reportsLastVersion )
            return UNKNOWN;
        synchronized (delivered) {
            return delivered.isEmpty() ? 0 : delivered.getLast();
        }
    }

    @Override
    public void deliver(PatchRecord patch) throws SinkException {
        if ( rejected.contains(patch.version()) )
            throw SinkException.permanentFailure("version " + patch.version() + " rejected by the destination", null);
        failTransientlyIfAsked();
        delivered.add(patch.version());
    }

    private void failTransientlyIfAsked() throws SinkException {
        if ( transientFailures.getAndUpdate(n -> Math.max(0, n - 1)) > 0 )
            throw SinkException.transientFailure("destination unavailable", null);
    }

    @Override
    public void close() {}
}
