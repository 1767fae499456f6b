package org.fusekicdc.core.sink.internal;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

import org.fusekicdc.core.internal.history.AsOfSource;
import org.fusekicdc.core.internal.log.ChangeLog;
import org.fusekicdc.core.sink.Sink;
import org.fusekicdc.core.sink.SinkConfig;
import org.fusekicdc.core.sink.SinkStatus;

/**
 * The sinks of one dataset, each fed by its own {@link SinkRunner}. Starting, stopping and
 * status in one place; and the write gate: while a sink whose policy is to refuse writes is
 * further behind than its bound, {@link #writeRefusal} says why.
 */
public final class SinkRunners implements AutoCloseable {
    private final ChangeLog log;
    private final AsOfSource asOf;
    private final Map<String, SinkRunner> runners = new LinkedHashMap<>();

    /** Sinks of a log that is not a captured dataset's (a continuous query's steps): no entity documents. */
    public SinkRunners(ChangeLog log) {
        this(log, null);
    }

    /** The sinks of a captured dataset: {@code asOf} reads it as of each patch's version (entity documents). */
    public SinkRunners(ChangeLog log, AsOfSource asOf) {
        this.log = log;
        this.asOf = asOf;
    }

    /** Add a sink; before {@link #start}. */
    public void add(Sink sink, SinkConfig config) {
        if ( runners.containsKey(sink.name()) )
            throw new IllegalArgumentException("Dataset '" + log.dataset() + "': two sinks are named '" + sink.name() + "'; give each its own cdc:name");
        runners.put(sink.name(), new SinkRunner(log, asOf, sink, config));
    }

    /** Start every sink. */
    public void start() {
        runners.values().forEach(SinkRunner::start);
    }

    /**
     * Start the sinks a follower runs: all but those that publish the replica set's log (writes
     * acknowledged on their destination), which only the leader may publish to; a promotion
     * starts those ({@link #start()}).
     */
    public void startFollowing() {
        runners.values().stream().filter(r -> !r.config().publishesReplicaLog()).forEach(SinkRunner::start);
    }

    /** Tell {@code listener}, with the reason, when a sink finds that another leader publishes to its destination. */
    public void onFenced(Consumer<String> listener) {
        runners.values().forEach(r -> r.onFenced(listener));
    }

    /**
     * Wait until every sink that acknowledges writes on its destination holds {@code version},
     * within each one's {@code acknowledgeTimeout} (counted from this call). Empty when they all
     * do (or none is configured so), else why not, naming the sink.
     */
    public Optional<String> awaitAcknowledged(long version) throws InterruptedException {
        long start = System.nanoTime();
        for ( SinkRunner r : runners.values() ) {
            if ( !r.config().publishesReplicaLog() )
                continue;
            long timeout = r.config().acknowledgeTimeout().toMillis();
            long left = timeout - (System.nanoTime() - start) / 1_000_000;
            if ( r.awaitDestination(version, Math.max(0, left)) )
                continue;
            String fenced = r.fencedBecause();
            if ( fenced != null )
                return Optional.of(fenced + " Version " + version + " is committed on this server only.");
            SinkStatus s = r.status();
            return Optional.of("Dataset '" + log.dataset() + "': version " + version + " IS committed on this server, but sink '" + r.name()
                               + "' did not get it onto its destination within " + timeout + " ms (cdc:acknowledgeTimeoutMillis; destination holds up to version "
                               + r.destinationVersion() + ", sink state " + s.state() + (s.lastError() == null ? "" : ", last error: " + s.lastError())
                               + "). The sink keeps delivering it; a follower promoted before it arrives would not have it.");
        }
        return Optional.empty();
    }

    public Optional<SinkRunner> runner(String name) {
        return Optional.ofNullable(runners.get(name));
    }

    /** The runners, in the order the sinks were added. */
    public List<SinkRunner> runners() {
        return List.copyOf(runners.values());
    }

    public List<SinkStatus> status() {
        return runners.values().stream().map(SinkRunner::status).toList();
    }

    /** Why writes are refused now, or empty when they are accepted. */
    public Optional<String> writeRefusal() {
        for ( SinkRunner r : runners.values() ) {
            if ( r.refusesWrites() ) {
                SinkStatus s = r.status();
                return Optional.of("Dataset '" + log.dataset() + "' refuses writes: sink '" + r.name() + "' is " + s.lagVersions()
                                   + " versions behind (bound " + r.config().maxLagVersions() + ", state " + s.state()
                                   + (s.lastError() == null ? "" : ", last error: " + s.lastError())
                                   + "). Writes resume when it catches up; check the sink's destination.");
            }
        }
        return Optional.empty();
    }

    public boolean isEmpty() {
        return runners.isEmpty();
    }

    @Override
    public void close() {
        runners.values().forEach(SinkRunner::close);
    }
}
