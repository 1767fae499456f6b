package org.fusekicdc.streams.query;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.kstream.Windowed;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.ProcessorSupplier;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;
import org.apache.kafka.streams.state.WindowStore;
import org.fusekicdc.rsp.ContinuousQuery;
import org.fusekicdc.rsp.internal.SplitPlan;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The keyed stage of split queries: per partition of the keyed topic, the window events of the
 * subjects whose key hashes to it, in a Kafka Streams window store (key {@code NUL dataset NUL
 * query NUL subject NUL version}, timestamp the commit time, one entry per subject and commit).
 * At each step marker it fetches the events of the step's window over the query's keys, matches
 * each of its subjects' triples against the query's star, hands on the aggregates per join key
 * as one {@link KeyedRecords.Part}, and deletes the window's events no later window holds.
 * <p>
 * A marker names its partition, and only the subjects of that partition are read: in a running
 * application a task holds one partition, so these are all it holds.
 */
public final class KeyedWindowProcessor implements Processor<String, byte[], String, byte[]> {
    private static final Logger LOG = LoggerFactory.getLogger(KeyedWindowProcessor.class);

    /**
     * The store's retention: longer than any history a change topic holds, so that the store
     * drops no event by its time. Its time is the newest commit time put into it over all
     * datasets of the partition, which reach it from tasks of different change-topic partitions;
     * one of those may read a backlog of old commits (a new application over a topic's history, a
     * sink catching up after an outage) while another is at the present, so a retention of any
     * length could drop events a window still needs. Events leave at the markers instead (the
     * window's events no later window holds are deleted), which keeps the store to what the open
     * windows need.
     */
    static final Duration RETENTION = Duration.ofDays(100 * 365);

    /** The events are points in time: a window of the store holds one commit's events of one subject. */
    private static final Duration EVENT_SIZE = Duration.ofMillis(1);

    private final Map<String, SplitPlan> plans;
    private final int partitions;
    private final String storeName;
    private ProcessorContext<String, byte[]> context;
    private WindowStore<String, byte[]> events;

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
        // The version is in the key, not left to retainDuplicates: two commits of a subject in one
        // millisecond are two keys, a commit's event put again replaces itself, and a delete (put
        // null, ignored by a store that retains duplicates) removes exactly one commit's event.
        // The changelog is deleted by the append time, not by the records' commit times: a run
        // over an old history would otherwise see the broker delete events the store still holds.
        StoreBuilder<WindowStore<String, byte[]>> store =
            Stores.windowStoreBuilder(Stores.persistentWindowStore(storeName, RETENTION, EVENT_SIZE, false), Serdes.String(), Serdes.ByteArray())
                .withLoggingEnabled(Map.of(TopicConfig.MESSAGE_TIMESTAMP_TYPE_CONFIG, "LogAppendTime"));
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
        if ( KeyedRecords.isMarker(record.value()) )
            step(record);
        else
            put(record);
    }

    private void put(Record<String, byte[]> record) {
        long version = KeyedRecords.eventVersion(record.value());
        events.put(record.key() + "\u0000" + "%020d".formatted(version), record.value(), KeyedRecords.eventTime(record.value()));
    }

    private void step(Record<String, byte[]> record) {
        // Key: NUL dataset NUL query NUL (empty subject).
        String prefix = record.key();
        String dataset = dataset(prefix);
        String query = query(prefix);
        SplitPlan plan = plans.get(query);
        if ( plan == null )
            return;
        KeyedRecords.Marker m = KeyedRecords.marker(record.value());
        // The fetch runs segment by segment (by time), each segment in key order: a subject's
        // events come together only within a segment, so they are gathered per subject first.
        // It starts at time 0, not at the window's start: events between windows (a STEP longer
        // than the RANGE) are in no window, and go with the first marker past them. The markers
        // before deleted everything older, so the fetch reads little beyond the window.
        Map<String, List<KeyedRecords.Event>> window = new LinkedHashMap<>();
        Map<String, Boolean> mine = new LinkedHashMap<>();
        List<KeyValue<String, Long>> gone = new ArrayList<>();
        String last = prefix.substring(0, prefix.length() - 1) + "\u0001";
        try (KeyValueIterator<Windowed<String>, byte[]> it = events.fetch(prefix, last, 0, m.end() - 1)) {
            while ( it.hasNext() ) {
                KeyValue<Windowed<String>, byte[]> kv = it.next();
                String key = kv.key.key();
                String subjectKey = key.substring(0, key.length() - 21);
                if ( !mine.computeIfAbsent(subjectKey, k -> KeyedRecords.partition(k, partitions) == m.partition()) )
                    continue;
                KeyedRecords.Event e = KeyedRecords.event(KeyedRecords.node(subjectKey.substring(prefix.length())), kv.value);
                if ( e.time() >= m.start() )
                    window.computeIfAbsent(subjectKey, k -> new ArrayList<>()).add(e);
                if ( e.time() < m.keepFrom() )
                    gone.add(KeyValue.pair(key, e.time()));
            }
        }
        SplitPlan.Partial partial = plan.partial();
        for ( List<KeyedRecords.Event> subject : window.values() ) {
            subject.sort(Comparator.comparingLong(KeyedRecords.Event::version));
            partial.subject(subject.get(0).triples().get(0).getSubject(), subject.stream().map(KeyedRecords::subjectEvents).toList());
        }
        // Deleted here: the retention drops nothing (see RETENTION).
        gone.forEach(kv -> events.put(kv.key, null, kv.value));
        LOG.debug("Dataset '{}' step {} of <{}>: partition {} matched {} subject(s), let go {} event(s)", dataset, m.step(), query, m.partition(),
                  window.size(), gone.size());
        context.forward(new Record<>(KeyedRecords.partKey(dataset, query),
                                     KeyedRecords.part(new KeyedRecords.Part(m.partition(), m.step(), m.header(), partial.toBytes())),
                                     record.timestamp()));
    }

    /** The fields of a keyed key {@code NUL dataset NUL query NUL subject}. */
    private static String[] fields(String keyedKey) {
        return keyedKey.substring(1).split("\u0000", 3);
    }

    private static String dataset(String keyedKey) {
        return fields(keyedKey)[0];
    }

    private static String query(String keyedKey) {
        return fields(keyedKey)[1];
    }
}
