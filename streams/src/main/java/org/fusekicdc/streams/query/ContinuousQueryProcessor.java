package org.fusekicdc.streams.query;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.jena.graph.Node;
import org.apache.jena.graph.Triple;

import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.ProcessorSupplier;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;
import org.fusekicdc.rsp.Commit;
import org.fusekicdc.rsp.ContinuousQuery;
import org.fusekicdc.rsp.Step;
import org.fusekicdc.rsp.StreamEngineConfig;
import org.fusekicdc.rsp.internal.SplitPlan;
import org.fusekicdc.streams.patch.ChangePatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the continuous queries over each dataset of the change topic and hands on their steps,
 * keyed by query name, as {@link StepRecords}.
 * <p>
 * State, per dataset: the commits a restart needs ({@link CommitStore}), the reference data as
 * of the version before the oldest of them ({@link ReferenceSnapshot}), and in the progress
 * store the last step handed on per query, the time the dataset's clock was advanced to, and
 * the queries that failed. A task that starts (after a restart, a crash, or a move to another
 * instance) builds the reference data from the snapshot, replays the stored commits through a
 * fresh engine resumed as it stood before the first of them, advances it to the recorded time,
 * and hands on only the steps after the last one recorded; under {@code exactly_once_v2} the
 * stores' changelogs commit in the same transaction as the output, so no step is lost or repeated.
 * <p>
 * Every tick of the {@link WallClock} (wall-clock punctuation) each dataset's time advances, so
 * windows close without a new commit, and the commits no window needs any more
 * ({@code StreamEngine.replayFrom}) move into the snapshot.
 * <p>
 * Of a query whose work is split by key ({@link SplitPlan}) only the dataset side runs here:
 * each commit taken (not replayed) hands on its events by subject, and each step a marker per
 * partition of the keyed topic ({@link KeyedRecords}); their records' keys start with NUL,
 * those of whole steps are query names.
 */
public final class ContinuousQueryProcessor implements Processor<String, ChangePatch, String, byte[]> {
    private static final Logger LOG = LoggerFactory.getLogger(ContinuousQueryProcessor.class);
    /**
     * Progress keys: {@code dataset NUL query} (last step), {@code dataset NUL} (time reached), {@code dataset SOH query} (failed),
     * {@code dataset STX query} (a split query's last step marked).
     */
    private static final String FAILED = "failed";

    private final List<ContinuousQuery> queries;
    private final StreamEngineConfig config;
    private final WallClock wallClock;
    private final String commitsStore;
    private final String progressStore;
    private final String referenceStore;
    private final Map<String, SplitPlan> split;
    private final int keyPartitions;
    private ProcessorContext<String, byte[]> context;
    private StepOutput output;
    private CommitStore commits;
    private ReferenceSnapshot reference;
    private KeyValueStore<String, String> progress;
    private final Map<String, DatasetQueries> datasets = new HashMap<>();
    private boolean restoredAll;
    private boolean ticked;
    private boolean readSinceTick;
    private long newestCommit = Long.MIN_VALUE;

    private ContinuousQueryProcessor(List<ContinuousQuery> queries, StreamEngineConfig config, WallClock wallClock, String storePrefix,
                                     Map<String, SplitPlan> split, int keyPartitions) {
        this.queries = queries;
        this.split = split;
        this.keyPartitions = keyPartitions;
        this.config = config;
        this.wallClock = wallClock;
        this.commitsStore = commitsStore(storePrefix);
        this.progressStore = storePrefix + "-progress";
        this.referenceStore = storePrefix + "-reference";
    }

    /** The name of the store of commits, for a look at its size. */
    public static String commitsStore(String storePrefix) {
        return storePrefix + "-commits";
    }

    /**
     * The processor and its three state stores.
     *
     * @param queries     the continuous queries, each run over every dataset of the topic
     * @param config      the engine's limits
     * @param wallClock   how windows close without a new commit
     * @param storePrefix names the stores {@code <prefix>-commits}, {@code <prefix>-progress} and {@code <prefix>-reference}
     */
    public static ProcessorSupplier<String, ChangePatch, String, byte[]> supplier(List<ContinuousQuery> queries, StreamEngineConfig config,
                                                                                 WallClock wallClock, String storePrefix) {
        return supplier(queries, config, wallClock, storePrefix, Map.of(), 0);
    }

    /**
     * The same, with the queries of {@code split} split by key: for these only the dataset side
     * runs here, its records (keys starting with NUL) for the keyed topic of {@code keyPartitions} partitions.
     */
    public static ProcessorSupplier<String, ChangePatch, String, byte[]> supplier(List<ContinuousQuery> queries, StreamEngineConfig config,
                                                                                 WallClock wallClock, String storePrefix,
                                                                                 Map<String, SplitPlan> split, int keyPartitions) {
        List<ContinuousQuery> qs = List.copyOf(queries);
        Map<String, SplitPlan> sp = Map.copyOf(split);
        StoreBuilder<KeyValueStore<String, byte[]>> c =
            Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(commitsStore(storePrefix)), Serdes.String(), Serdes.ByteArray());
        StoreBuilder<KeyValueStore<String, String>> p =
            Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(storePrefix + "-progress"), Serdes.String(), Serdes.String());
        StoreBuilder<KeyValueStore<Bytes, byte[]>> r =
            Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(storePrefix + "-reference"), Serdes.Bytes(), Serdes.ByteArray());
        return new ProcessorSupplier<>() {
            @Override
            public Processor<String, ChangePatch, String, byte[]> get() {
                return new ContinuousQueryProcessor(qs, config, wallClock, storePrefix, sp, keyPartitions);
            }

            @Override
            public Set<StoreBuilder<?>> stores() {
                return Set.of(c, p, r);
            }
        };
    }

    @Override
    public void init(ProcessorContext<String, byte[]> context) {
        this.context = context;
        this.commits = new CommitStore(context.getStateStore(commitsStore));
        this.progress = context.getStateStore(progressStore);
        this.output = new StepOutput(progress);
        this.reference = new ReferenceSnapshot(context.getStateStore(referenceStore));
        closeEngines();
        restoredAll = false;
        ticked = false;
        readSinceTick = false;
        newestCommit = Long.MIN_VALUE;
        context.schedule(wallClock.tick(), PunctuationType.WALL_CLOCK_TIME, this::tick);
    }

    @Override
    public void process(Record<String, ChangePatch> record) {
        readSinceTick = true;
        ChangePatch patch = record.value();
        newestCommit = Math.max(newestCommit, patch.commitTime().toEpochMilli());
        DatasetQueries ds = dataset(patch.dataset());
        if ( patch.version() <= ds.version() )
            return;
        Commit commit = ds.effective(patch.commit());
        commits.put(patch.dataset(), commit, patch.patch(), ds.time(), ds.eventTimes());
        List<Step> steps = ds.accept(commit);
        for ( Step step : steps )
            emit(patch.dataset(), step, commit.commitTime().toEpochMilli());
        recordFailures(ds);
        handOnEvents(patch.dataset(), commit);
    }

    /** The commit's events of each split query still running, by subject, to the keyed topic. */
    private void handOnEvents(String dataset, Commit commit) {
        for ( SplitPlan plan : split.values() ) {
            if ( progress.get(failedKey(dataset, plan.query().name())) != null )
                continue;
            long time = commit.commitTime().toEpochMilli();
            for ( Map.Entry<Node, List<Triple>> e : plan.events(commit).entrySet() )
                context.forward(new Record<>(KeyedRecords.keyedKey(dataset, plan.query().name(), e.getKey()),
                                             KeyedRecords.event(commit.version(), time, e.getValue()), time));
        }
    }

    /** A wall-clock tick: every dataset's time advances to the bound, and commits no window needs are let go. */
    private void tick(long now) {
        boolean idle = ticked && !readSinceTick;
        ticked = true;
        readSinceTick = false;
        if ( !restoredAll ) {
            // Datasets of this task that have had no commit since it started: their windows close on time too.
            for ( String name : commits.datasets() )
                dataset(name);
            restoredAll = true;
        }
        long bound = wallClock.bound(now, idle, newestCommit);
        for ( DatasetQueries ds : datasets.values() ) {
            if ( bound != Long.MIN_VALUE && bound > ds.time() ) {
                for ( Step step : ds.advanceTo(bound) )
                    emit(ds.dataset(), step, bound);
                progress.put(timeKey(ds.dataset()), Long.toString(bound));
                recordFailures(ds);
            }
            letGo(ds);
        }
    }

    /** Move the commits before the oldest one a restart needs into the reference-data snapshot. */
    private void letGo(DatasetQueries ds) {
        int n = commits.deleteBefore(ds.dataset(), ds.replayFrom(), c -> reference.apply(ds.dataset(), c));
        if ( n > 0 )
            LOG.debug("Dataset '{}' version {}: {} commit(s) no window needs any more moved into the reference-data snapshot", ds.dataset(),
                      ds.version(), n);
    }

    private DatasetQueries dataset(String name) {
        DatasetQueries ds = datasets.get(name);
        if ( ds == null ) {
            ds = restore(name);
            datasets.put(name, ds);
        }
        return ds;
    }

    /**
     * A fresh engine over the reference-data snapshot, resumed as it stood before the oldest
     * stored commit, brought to the last stored commit and to the time reached; the steps of
     * the replay were handed on before.
     */
    private DatasetQueries restore(String dataset) {
        CommitStore.Stored first = commits.first(dataset);
        long base = first == null ? 0 : first.commit().version() - 1;
        List<ContinuousQuery> running = queries.stream().filter(q -> progress.get(failedKey(dataset, q.name())) == null).toList();
        DatasetQueries ds = new DatasetQueries(dataset, running, split, config, new ReferenceData(dataset, base, reference.quads(dataset).iterator()));
        if ( first == null )
            return ds;
        ds.resume(first.timeBefore(), first.eventTimesBefore());
        long[] replayed = { 0 };
        commits.forEach(dataset, stored -> {
            for ( Step step : ds.accept(stored.commit()) )
                emit(dataset, step, stored.commit().commitTime().toEpochMilli());
            replayed[0]++;
        });
        String time = progress.get(timeKey(dataset));
        if ( time != null )
            for ( Step step : ds.advanceTo(Long.parseLong(time)) )
                emit(dataset, step, Long.parseLong(time));
        recordFailures(ds);
        LOG.info("Dataset '{}' version {}: continuous queries rebuilt from the reference data at version {} and {} stored commit(s) (task {})",
                 dataset, ds.version(), base, replayed[0], context.taskId());
        return ds;
    }

    /** Record the queries that failed: they make no more steps, also after a restart (whose replay may no longer make them fail). */
    private void recordFailures(DatasetQueries ds) {
        for ( String query : ds.failedQueries() )
            progress.put(failedKey(ds.dataset(), query), FAILED);
    }

    /** Hand a step on unless it was handed on before (a replayed step). */
    private void emit(String dataset, Step step, long timestamp) {
        SplitPlan plan = split.get(step.query());
        if ( plan != null ) {
            mark(dataset, plan, step, timestamp);
            return;
        }
        Record<String, byte[]> record = output.record(dataset, step, timestamp);
        if ( record != null )
            context.forward(record);
    }

    /**
     * A split query's step: a marker to every partition of the keyed topic, the one to partition 0
     * with the step's header (its window, version, time and the dataset part's solutions).
     */
    private void mark(String dataset, SplitPlan plan, Step step, long timestamp) {
        String key = dataset + "\u0002" + step.query();
        String last = progress.get(key);
        if ( last != null && step.number() <= Long.parseLong(last) )
            return;
        long start = step.windowStart().toEpochMilli();
        long end = step.windowEnd().toEpochMilli();
        long keepFrom = end + plan.window().step().toMillis() - plan.window().range().toMillis();
        KeyedRecords.Header header = new KeyedRecords.Header(start, end, step.version(), timestamp, SplitPlan.rows(step.result()));
        String markerKey = KeyedRecords.keyedKey(dataset, step.query(), null);
        for ( int p = 0; p < keyPartitions; p++ )
            context.forward(new Record<>(markerKey,
                                         KeyedRecords.marker(new KeyedRecords.Marker(p, step.number(), start, end, keepFrom, p == 0 ? header : null)),
                                         timestamp));
        progress.put(key, Long.toString(step.number()));
    }

    private static String timeKey(String dataset) {
        return dataset + "\u0000";
    }

    private static String failedKey(String dataset, String query) {
        return dataset + "\u0001" + query;
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
