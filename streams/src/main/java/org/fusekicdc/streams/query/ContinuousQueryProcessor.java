package org.fusekicdc.streams.query;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import org.apache.jena.rdfpatch.RDFPatch;
import org.apache.jena.rdfpatch.RDFPatchOps;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.ProcessorSupplier;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;
import org.fusekicdc.rsp.Commit;
import org.fusekicdc.rsp.Commits;
import org.fusekicdc.rsp.ContinuousQuery;
import org.fusekicdc.rsp.Step;
import org.fusekicdc.rsp.StreamEngineConfig;
import org.fusekicdc.streams.patch.ChangePatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the continuous queries over each dataset of the change topic and hands on their steps,
 * keyed by query name, as {@link StepRecords}.
 * <p>
 * State: the dataset's commits in a state store (the log the windows and the reference data
 * are rebuilt from) and, per dataset and query, the last step handed on. A task that starts
 * (after a restart, a crash, or a move to another instance) replays the stored commits through
 * a fresh engine and hands on only the steps after the last one recorded; under
 * {@code exactly_once_v2} the stores' changelogs commit in the same transaction as the output,
 * so no step is lost or repeated.
 */
public final class ContinuousQueryProcessor implements Processor<String, ChangePatch, String, byte[]> {
    private static final Logger LOG = LoggerFactory.getLogger(ContinuousQueryProcessor.class);

    private final List<ContinuousQuery> queries;
    private final StreamEngineConfig config;
    private final String commitsStore;
    private final String progressStore;
    private ProcessorContext<String, byte[]> context;
    private KeyValueStore<String, byte[]> commits;
    private KeyValueStore<String, String> progress;
    private final Map<String, DatasetQueries> datasets = new HashMap<>();

    private ContinuousQueryProcessor(List<ContinuousQuery> queries, StreamEngineConfig config, String commitsStore, String progressStore) {
        this.queries = queries;
        this.config = config;
        this.commitsStore = commitsStore;
        this.progressStore = progressStore;
    }

    /**
     * The processor and its two state stores.
     *
     * @param queries       the continuous queries, each run over every dataset of the topic
     * @param config        the engine's limits
     * @param storePrefix   names the stores {@code <prefix>-commits} and {@code <prefix>-progress}
     */
    public static ProcessorSupplier<String, ChangePatch, String, byte[]> supplier(List<ContinuousQuery> queries, StreamEngineConfig config,
                                                                                 String storePrefix) {
        List<ContinuousQuery> qs = List.copyOf(queries);
        String commitsName = storePrefix + "-commits";
        String progressName = storePrefix + "-progress";
        StoreBuilder<KeyValueStore<String, byte[]>> c =
            Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(commitsName), Serdes.String(), Serdes.ByteArray());
        StoreBuilder<KeyValueStore<String, String>> p =
            Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(progressName), Serdes.String(), Serdes.String());
        return new ProcessorSupplier<>() {
            @Override
            public Processor<String, ChangePatch, String, byte[]> get() {
                return new ContinuousQueryProcessor(qs, config, commitsName, progressName);
            }

            @Override
            public Set<StoreBuilder<?>> stores() {
                return Set.of(c, p);
            }
        };
    }

    @Override
    public void init(ProcessorContext<String, byte[]> context) {
        this.context = context;
        this.commits = context.getStateStore(commitsStore);
        this.progress = context.getStateStore(progressStore);
        closeEngines();
    }

    @Override
    public void process(Record<String, ChangePatch> record) {
        ChangePatch patch = record.value();
        DatasetQueries ds = datasets.get(patch.dataset());
        if ( ds == null ) {
            ds = restore(patch.dataset());
            datasets.put(patch.dataset(), ds);
        }
        if ( patch.version() <= ds.version() )
            return;
        commits.put(commitKey(patch.dataset(), patch.version()), encode(patch.commitTime(), patch.patch()));
        for ( Step step : ds.accept(patch.commit()) )
            emit(patch.dataset(), step, patch.commitTime().toEpochMilli());
    }

    /** A fresh engine brought to the last stored commit; the steps of the replay were handed on before. */
    private DatasetQueries restore(String dataset) {
        DatasetQueries ds = new DatasetQueries(dataset, queries, config);
        long replayed = 0;
        try (KeyValueIterator<String, byte[]> it = commits.range(dataset + "\u0000", dataset + "\u0000\uffff")) {
            while ( it.hasNext() ) {
                KeyValue<String, byte[]> kv = it.next();
                long version = Long.parseLong(kv.key.substring(dataset.length() + 1));
                Commit commit = decode(version, kv.value);
                for ( Step step : ds.accept(commit) )
                    emit(dataset, step, commit.commitTime().toEpochMilli());
                replayed++;
            }
        }
        if ( replayed > 0 )
            LOG.info("Dataset '{}' version {}: continuous queries rebuilt from {} stored commit(s) (task {})", dataset, ds.version(), replayed,
                     context.taskId());
        return ds;
    }

    /** Hand a step on unless it was handed on before (a replayed step). */
    private void emit(String dataset, Step step, long timestamp) {
        String key = dataset + "\u0000" + step.query();
        String last = progress.get(key);
        long lastStep = Long.MIN_VALUE;
        long position = 0;
        UUID prev = null;
        if ( last != null ) {
            String[] f = last.split(" ");
            lastStep = Long.parseLong(f[0]);
            position = Long.parseLong(f[1]);
            prev = UUID.fromString(f[2]);
        }
        if ( step.number() <= lastStep )
            return;
        UUID id = StepRecords.id(dataset, step.query(), step.number());
        position++;
        context.forward(new Record<>(step.query(), StepRecords.body(step), timestamp,
                                     StepRecords.headers(dataset, step, position, id, prev, Instant.ofEpochMilli(timestamp))));
        progress.put(key, step.number() + " " + position + " " + id);
    }

    private static String commitKey(String dataset, long version) {
        return dataset + "\u0000" + "%020d".formatted(version);
    }

    /** A stored commit: its commit time in milliseconds on the first line, then the patch in RDF Patch text. */
    private static byte[] encode(Instant commitTime, RDFPatch patch) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes((commitTime.toEpochMilli() + "\n").getBytes(StandardCharsets.UTF_8));
        RDFPatchOps.write(out, patch);
        return out.toByteArray();
    }

    private static Commit decode(long version, byte[] value) {
        int nl = 0;
        while ( value[nl] != '\n' )
            nl++;
        long millis = Long.parseLong(new String(value, 0, nl, StandardCharsets.US_ASCII));
        RDFPatch patch = RDFPatchOps.read(new ByteArrayInputStream(value, nl + 1, value.length - nl - 1));
        return Commits.fromPatch(version, Instant.ofEpochMilli(millis), patch);
    }

    private void closeEngines() {
        datasets.values().forEach(DatasetQueries::close);
        datasets.clear();
    }

    @Override
    public void close() {
        closeEngines();
    }
}
