package org.fusekicdc.streams.query;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

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
import org.fusekicdc.rsp.ContinuousQuery;
import org.fusekicdc.rsp.internal.SplitPlan;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The keyed stage of split queries: per partition of the keyed topic, the window events of the
 * subjects whose key hashes to it, in a key-value store (key {@code NUL dataset NUL query NUL
 * subject NUL version}, one entry per subject and commit). At each step marker it matches each
 * of its subjects' triples in the step's window against the query's star, hands on the
 * aggregates per join key as one {@link KeyedRecords.Part}, and deletes the events no later
 * window holds.
 * <p>
 * A marker names its partition, and only the subjects of that partition are read: in a running
 * application a task holds one partition, so these are all it holds.
 */
public final class KeyedWindowProcessor implements Processor<String, byte[], String, byte[]> {
    private static final Logger LOG = LoggerFactory.getLogger(KeyedWindowProcessor.class);

    private final Map<String, SplitPlan> plans;
    private final int partitions;
    private final String storeName;
    private ProcessorContext<String, byte[]> context;
    private KeyValueStore<String, byte[]> events;

    private KeyedWindowProcessor(Map<String, SplitPlan> plans, int partitions, String storeName) {
        this.plans = plans;
        this.partitions = partitions;
        this.storeName = storeName;
    }

    /**
     * @param plans      the split queries by name
     * @param partitions the keyed topic's partitions
     * @param storeName  the events' store
     */
    public static ProcessorSupplier<String, byte[], String, byte[]> supplier(Map<String, SplitPlan> plans, int partitions, String storeName) {
        // A plan matches with state of its own (the star's row, its last time and version): one set per processor.
        List<ContinuousQuery> queries = plans.values().stream().map(SplitPlan::query).toList();
        StoreBuilder<KeyValueStore<String, byte[]>> store =
            Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(storeName), Serdes.String(), Serdes.ByteArray());
        return new ProcessorSupplier<>() {
            @Override
            public Processor<String, byte[], String, byte[]> get() {
                Map<String, SplitPlan> own = new LinkedHashMap<>();
                for ( ContinuousQuery q : queries )
                    own.put(q.name(), SplitPlan.of(q).orElseThrow());
                return new KeyedWindowProcessor(own, partitions, storeName);
            }

            @Override
            public Set<StoreBuilder<?>> stores() {
                return Set.of(store);
            }
        };
    }

    @Override
    public void init(ProcessorContext<String, byte[]> context) {
        this.context = context;
        this.events = context.getStateStore(storeName);
    }

    @Override
    public void process(Record<String, byte[]> record) {
        if ( !KeyedRecords.isMarker(record.value()) ) {
            events.put(record.key() + "\u0000" + "%020d".formatted(KeyedRecords.eventVersion(record.value())), record.value());
            return;
        }
        // Key: NUL dataset NUL query NUL (empty subject).
        String prefix = record.key();
        String[] f = prefix.substring(1).split("\u0000", -1);
        String dataset = f[0];
        String query = f[1];
        SplitPlan plan = plans.get(query);
        if ( plan == null )
            return;
        KeyedRecords.Marker m = KeyedRecords.marker(record.value());
        SplitPlan.Partial partial = plan.partial();
        List<String> gone = new ArrayList<>();
        int subjects = 0;
        try (KeyValueIterator<String, byte[]> it = events.range(prefix, prefix + "\uffff")) {
            String subjectKey = null;
            List<SplitPlan.SubjectEvents> window = new ArrayList<>();
            boolean mine = false;
            while ( it.hasNext() ) {
                KeyValue<String, byte[]> kv = it.next();
                String key = kv.key.substring(0, kv.key.length() - 21);
                if ( !key.equals(subjectKey) ) {
                    subjects += add(partial, window);
                    subjectKey = key;
                    mine = KeyedRecords.partition(key, partitions) == m.partition();
                }
                if ( !mine )
                    continue;
                KeyedRecords.Event e = KeyedRecords.event(KeyedRecords.node(key.substring(prefix.length())), kv.value);
                if ( e.time() >= m.start() && e.time() < m.end() )
                    window.add(KeyedRecords.subjectEvents(e));
                if ( e.time() < m.keepFrom() )
                    gone.add(kv.key);
            }
            subjects += add(partial, window);
        }
        gone.forEach(events::delete);
        LOG.debug("Dataset '{}' step {} of <{}>: partition {} matched {} subject(s), let go {} event(s)", dataset, m.step(), query, m.partition(),
                  subjects, gone.size());
        context.forward(new Record<>(KeyedRecords.partKey(dataset, query),
                                     KeyedRecords.part(new KeyedRecords.Part(m.partition(), m.step(), m.header(), partial.toBytes())),
                                     record.timestamp()));
    }

    /** Add the subject's events in the window, if any, to the partial; then forget them. */
    private static int add(SplitPlan.Partial partial, List<SplitPlan.SubjectEvents> window) {
        if ( window.isEmpty() )
            return 0;
        partial.subject(window.get(0).triples().get(0).getSubject(), List.copyOf(window));
        window.clear();
        return 1;
    }
}
