package org.fusekicdc.streams;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import org.apache.jena.rdfpatch.changes.RDFChangesCollector;
import org.apache.jena.sparql.core.Quad;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.processor.TaskId;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorSupplier;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.fusekicdc.core.wire.StepMessages;
import org.fusekicdc.rsp.Commit;
import org.fusekicdc.rsp.ContinuousQuery;
import org.fusekicdc.rsp.StreamEngineConfig;
import org.fusekicdc.streams.patch.ChangePatch;
import org.fusekicdc.streams.query.ContinuousQueryProcessor;
import org.fusekicdc.streams.query.WallClock;

/**
 * The query processor on its real (RocksDB) state stores, fed whole patches and wall-clock
 * ticks, and restarted: a new processor instance over the same stores, as a task that moves or
 * an instance that restarts gets (the stores as their changelogs left them).
 */
final class ProcessorHarness implements AutoCloseable {
    /** Windows close on commits only: the allowed delay is longer than any test's commit times are old. */
    static final WallClock COMMITS_ONLY = new WallClock(Duration.ofSeconds(1), Duration.ofDays(36_500));

    private static final String PREFIX = "queries";

    private final ProcessorSupplier<String, ChangePatch, String, byte[]> supplier;
    private final MockProcessorContext<String, byte[]> context;
    private final List<StateStore> stores = new ArrayList<>();
    private final Map<String, List<String>> steps = new LinkedHashMap<>();
    private Processor<String, ChangePatch, String, byte[]> processor;

    ProcessorHarness(Path stateDir, List<ContinuousQuery> queries, WallClock wallClock) {
        this.supplier = ContinuousQueryProcessor.supplier(queries, StreamEngineConfig.DEFAULTS, wallClock, PREFIX);
        Properties p = TopologyDifferentialTest.properties(stateDir);
        this.context = new MockProcessorContext<>(p, new TaskId(0, 0), stateDir.toFile());
        for ( StoreBuilder<?> b : supplier.stores() ) {
            StateStore s = b.withLoggingDisabled().build();
            s.init(context.getStateStoreContext(), s);
            context.addStateStore(s);
            stores.add(s);
        }
        queries.forEach(q -> steps.put(q.name(), new ArrayList<>()));
        start();
    }

    private void start() {
        processor = supplier.get();
        processor.init(context);
    }

    /** A new processor over the same stores, the old one closed. */
    void restart() {
        processor.close();
        start();
    }

    /** The commit, as the reassembly hands it on (record timestamp: the commit time, as the sink's records have it). */
    void commit(Commit c) {
        RDFChangesCollector patch = new RDFChangesCollector();
        patch.txnBegin();
        for ( Quad q : c.removed() )
            patch.delete(q.isDefaultGraph() ? null : q.getGraph(), q.getSubject(), q.getPredicate(), q.getObject());
        for ( Quad q : c.added() )
            patch.add(q.isDefaultGraph() ? null : q.getGraph(), q.getSubject(), q.getPredicate(), q.getObject());
        patch.txnCommit();
        ChangePatch cp = new ChangePatch("ds", c.version(), c.commitTime(), Map.of(), patch.getRDFPatch());
        processor.process(new Record<>("ds", cp, c.commitTime().toEpochMilli()));
        collect();
    }

    /** A wall-clock tick at {@code now} (ms). */
    void tick(long now) {
        List<MockProcessorContext.CapturedPunctuator> ps = context.scheduledPunctuators();
        ps.get(ps.size() - 1).getPunctuator().punctuate(now);
        collect();
    }

    private void collect() {
        for ( var f : context.forwarded() ) {
            Record<? extends String, ? extends byte[]> r = f.record();
            String query = new String(r.headers().lastHeader(StepMessages.QUERY).value(), StandardCharsets.UTF_8);
            assertEquals(query, r.key());
            steps.get(query).add(Scenario.canonical(new String(r.value(), StandardCharsets.UTF_8)));
        }
        context.resetForwards();
    }

    /** Each query's steps handed on so far, in order. */
    Map<String, List<String>> steps() {
        return steps;
    }

    /** How many commits the commits store holds. */
    int commitsHeld() {
        KeyValueStore<String, byte[]> s = context.getStateStore(ContinuousQueryProcessor.commitsStore(PREFIX));
        int n = 0;
        try (KeyValueIterator<String, byte[]> it = s.all()) {
            while ( it.hasNext() ) {
                KeyValue<String, byte[]> kv = it.next();
                assertTrue(kv.key.startsWith("ds\u0000"), kv.key);
                n++;
            }
        }
        return n;
    }

    @Override
    public void close() {
        processor.close();
        stores.forEach(StateStore::close);
    }
}
