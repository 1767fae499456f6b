package org.fusekicdc.core.testing.contract;

import java.util.List;

import org.fusekicdc.core.wire.PatchRecord;
import org.fusekicdc.core.sink.Sink;
import org.fusekicdc.core.sink.SinkException;

/** A sink that halts the JVM as soon as its destination has accepted version {@code haltAt} or later, before the runner's cursor records it. */
final class HaltingSink implements Sink {
    private final Sink sink;
    private final long haltAt;

    HaltingSink(Sink sink, long haltAt) {
        this.sink = sink;
        this.haltAt = haltAt;
    }

    @Override public String name() { return sink.name(); }
    @Override public long open() throws SinkException { return sink.open(); }
    @Override public int maxBatch() { return sink.maxBatch(); }
    @Override public void close() { sink.close(); }

    @Override
    public void deliver(PatchRecord patch) throws SinkException {
        sink.deliver(patch);
        haltFrom(patch.version());
    }

    @Override
    public void deliver(List<PatchRecord> patches) throws SinkException {
        sink.deliver(patches);
        haltFrom(patches.get(patches.size() - 1).version());
    }

    private void haltFrom(long delivered) {
        if ( delivered >= haltAt ) {
            System.out.println("HALT after delivering version " + delivered);
            System.out.flush();
            Runtime.getRuntime().halt(137);
        }
    }
}
