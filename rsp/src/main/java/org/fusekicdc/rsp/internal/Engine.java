package org.fusekicdc.rsp.internal;

import java.time.Instant;
import java.util.List;

import org.fusekicdc.rsp.Commit;
import org.fusekicdc.rsp.ContinuousQuery;
import org.fusekicdc.rsp.QueryStatus;
import org.fusekicdc.rsp.StepListener;
import org.fusekicdc.rsp.StreamEngineConfig;
import org.fusekicdc.rsp.VersionReader;

/** The engine behind {@link org.fusekicdc.rsp.StreamEngine}. */
public final class Engine {
    public Engine(String dataset, StreamEngineConfig config, VersionReader reader) {}

    public void startAfter(long version) { throw new UnsupportedOperationException(); }
    public void register(ContinuousQuery query, StepListener listener) { throw new UnsupportedOperationException(); }
    public boolean unregister(String name) { throw new UnsupportedOperationException(); }
    public void accept(Commit commit) { throw new UnsupportedOperationException(); }
    public void advanceTo(Instant now) { throw new UnsupportedOperationException(); }
    public long version() { throw new UnsupportedOperationException(); }
    public List<QueryStatus> status() { throw new UnsupportedOperationException(); }
    public void close() {}
}
