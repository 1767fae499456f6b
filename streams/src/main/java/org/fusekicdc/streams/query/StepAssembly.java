package org.fusekicdc.streams.query;

import java.time.Instant;
import java.util.ArrayList;
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
import org.fusekicdc.rsp.Step;
import org.fusekicdc.rsp.StepResult;
import org.fusekicdc.rsp.StreamOperator;
import org.fusekicdc.rsp.internal.SplitPlan;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The assembly of split queries' steps, per dataset and query: the parts of a step, one from
 * each partition of the keyed topic, are kept (store {@code <prefix>-parts}, key {@code dataset
 * NUL query NUL step NUL partition}) until all have come; then the answer is assembled
 * ({@link SplitPlan#answer}), the query's operator applied against the previous answer (kept in
 * the same store, key {@code dataset NUL query SOH}), and the step handed on as a record of the
 * step topic ({@link StepOutput}, progress in {@code <prefix>-progress}).
 * <p>
 * Steps complete in order: each partition sends its parts in step order, so when a step's last
 * part arrives every partition has sent its parts of the earlier steps, which were completed then.
 */
public final class StepAssembly implements Processor<String, byte[], String, byte[]> {
    private static final Logger LOG = LoggerFactory.getLogger(StepAssembly.class);

    private final Map<String, SplitPlan> plans;
    private final int partitions;
    private final String partsStore;
    private final String progressStore;
    private ProcessorContext<String, byte[]> context;
    private KeyValueStore<String, byte[]> parts;
    private StepOutput output;

    private StepAssembly(Map<String, SplitPlan> plans, int partitions, String storePrefix) {
        this.plans = plans;
        this.partitions = partitions;
        this.partsStore = storePrefix + "-parts";
        this.progressStore = storePrefix + "-progress";
    }

    /**
     * @param plans       the split queries by name
     * @param partitions  the keyed topic's partitions: how many parts a step has
     * @param storePrefix names the stores {@code <prefix>-parts} and {@code <prefix>-progress}
     */
    public static ProcessorSupplier<String, byte[], String, byte[]> supplier(Map<String, SplitPlan> plans, int partitions, String storePrefix) {
        Map<String, SplitPlan> p = Map.copyOf(plans);
        StoreBuilder<KeyValueStore<String, byte[]>> parts =
            Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(storePrefix + "-parts"), Serdes.String(), Serdes.ByteArray());
        StoreBuilder<KeyValueStore<String, String>> progress =
            Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(storePrefix + "-progress"), Serdes.String(), Serdes.String());
        return new ProcessorSupplier<>() {
            @Override
            public Processor<String, byte[], String, byte[]> get() {
                return new StepAssembly(p, partitions, storePrefix);
            }

            @Override
            public Set<StoreBuilder<?>> stores() {
                return Set.of(parts, progress);
            }
        };
    }

    @Override
    public void init(ProcessorContext<String, byte[]> context) {
        this.context = context;
        this.parts = context.getStateStore(partsStore);
        this.output = new StepOutput(context.getStateStore(progressStore));
    }

    @Override
    public void process(Record<String, byte[]> record) {
        int nul = record.key().indexOf('\u0000');
        String dataset = record.key().substring(0, nul);
        String query = record.key().substring(nul + 1);
        SplitPlan plan = plans.get(query);
        if ( plan == null )
            return;
        KeyedRecords.Part part = KeyedRecords.part(record.value());
        if ( part.step() <= output.lastStep(dataset, query) )
            return;
        String stepKey = record.key() + "\u0000" + "%020d".formatted(part.step()) + "\u0000";
        parts.put(stepKey + "%010d".formatted(part.partition()), record.value());
        List<KeyedRecords.Part> all = new ArrayList<>(partitions);
        List<String> keys = new ArrayList<>(partitions);
        try (KeyValueIterator<String, byte[]> it = parts.range(stepKey, stepKey + "\uffff")) {
            while ( it.hasNext() ) {
                KeyValue<String, byte[]> kv = it.next();
                keys.add(kv.key);
                all.add(KeyedRecords.part(kv.value));
            }
        }
        if ( all.size() < partitions )
            return;
        KeyedRecords.Header h = all.stream().filter(p -> p.header() != null).findFirst()
            .orElseThrow(() -> new IllegalStateException("Dataset '" + dataset + "' step " + part.step() + " of <" + query
                                                         + ">: no part carries the step's header (partition 0 sends it)"))
            .header();
        StepResult answer = plan.answer(all.stream().map(KeyedRecords.Part::partial).toList(), SplitPlan.rows(h.datasetRows()));
        String previousKey = record.key() + "\u0001";
        byte[] previous = parts.get(previousKey);
        Step step = plan.step(part.step(), Instant.ofEpochMilli(h.start()), Instant.ofEpochMilli(h.end()), h.version(), answer,
                              previous == null ? null : SplitPlan.rows(previous));
        if ( plan.query().operator() != StreamOperator.RSTREAM )
            parts.put(previousKey, SplitPlan.rows(answer));
        keys.forEach(parts::delete);
        Record<String, byte[]> out = output.record(dataset, step, h.timestamp());
        if ( out != null )
            context.forward(out);
        LOG.debug("Dataset '{}' version {}: step {} of <{}> assembled from {} part(s)", dataset, h.version(), part.step(), query, partitions);
    }
}
