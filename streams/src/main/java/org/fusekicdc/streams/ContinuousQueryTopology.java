package org.fusekicdc.streams;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.apache.kafka.common.serialization.Serdes;

import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.Repartitioned;
import org.fusekicdc.rsp.ContinuousQuery;
import org.fusekicdc.rsp.StreamEngineConfig;
import org.fusekicdc.rsp.internal.SplitPlan;
import org.fusekicdc.streams.patch.PatchReassembly;
import org.fusekicdc.streams.query.ContinuousQueryProcessor;
import org.fusekicdc.streams.query.KeyPartitioner;
import org.fusekicdc.streams.query.KeyedRecords;
import org.fusekicdc.streams.query.KeyedWindowProcessor;
import org.fusekicdc.streams.query.StepAssembly;
import org.fusekicdc.streams.query.WallClock;

/**
 * Continuous queries over a change topic as a Kafka Streams topology: records read as bytes,
 * put back together into whole patches ({@link PatchReassembly}), run through the queries
 * ({@link ContinuousQueryProcessor}), their steps written to the step topic in the in-server
 * sinks' {@code cdc:format "step"}.
 * <p>
 * Work is partitioned by dataset: a fuseki-cdc sink puts each dataset on one partition (its
 * key), and a dataset's windows, aggregates and reference data live in the task of that
 * partition. A topic of many datasets spreads over as many instances as it has partitions;
 * one dataset is never split (its commits must be seen in version order by one engine).
 * <p>
 * With key partitions ({@link #build(String, String, List, StreamEngineConfig, WallClock, int)}),
 * the queries whose work can be split by key ({@link SplitPlan}) run in three stages: the
 * dataset's task hands on each commit's events by star subject and a marker per step, through
 * the keyed topic ({@link #KEYED_TOPIC}, one partition per key partition); a task per key
 * partition keeps the events of its subjects and, at each marker, hands on their aggregates per
 * join key ({@link KeyedWindowProcessor}), through the partials topic ({@link #PARTS_TOPIC});
 * the assembly puts each step together from all partitions' parts ({@link StepAssembly}).
 */
public final class ContinuousQueryTopology {
    /** The processor and store names, fixed: changelog topics are named after the stores, so renaming them loses the state. */
    public static final String SOURCE = "changes";
    public static final String REASSEMBLE = "reassemble";
    public static final String PARTS_STORE = "patch-parts";
    public static final String QUERIES = "queries";
    public static final String QUERY_STORES = "queries";
    public static final String SINK = "steps";
    /** The repartition topics of split queries (Kafka Streams names them {@code <application.id>-<name>-repartition}) and their stages. */
    public static final String KEYED_TOPIC = "query-keys";
    public static final String KEYED = "keyed-windows";
    /** A window store; the key-value store of earlier versions was {@code keyed-windows}, a name not reused so that its changelog is never restored into this one. */
    public static final String KEYED_STORE = "keyed-window-events";
    public static final String PARTS_TOPIC = "query-parts";
    public static final String ASSEMBLY = "step-assembly";
    public static final String ASSEMBLY_STORES = "step-assembly";
    public static final String SPLIT_SINK = "assembled-steps";

    private ContinuousQueryTopology() {}

    /**
     * @param changeTopic the topic a fuseki-cdc Kafka sink writes ({@code cdc:format "text"} or {@code "binary"})
     * @param stepTopic   where the steps go
     * @param queries     the continuous queries, each run over every dataset on the change topic
     * @param config      the engine's limits
     * @param wallClock   how windows close without a new commit
     */
    public static Topology build(String changeTopic, String stepTopic, List<ContinuousQuery> queries, StreamEngineConfig config,
                                 WallClock wallClock) {
        Topology t = new Topology();
        t.addSource(SOURCE, new ByteArrayDeserializer(), new ByteArrayDeserializer(), changeTopic);
        t.addProcessor(REASSEMBLE, PatchReassembly.supplier(PARTS_STORE), SOURCE);
        t.addProcessor(QUERIES, ContinuousQueryProcessor.supplier(queries, config, wallClock, QUERY_STORES), REASSEMBLE);
        t.addSink(SINK, stepTopic, new StringSerializer(), new ByteArraySerializer(), QUERIES);
        return t;
    }

    /**
     * The same, with the queries whose work can be split by key ({@link SplitPlan#of}) split over
     * {@code keyPartitions} key partitions; the others run per dataset as above. With no
     * key partitions, or no query to split, the topology of {@link #build(String, String, List, StreamEngineConfig, WallClock)}.
     *
     * @param keyPartitions the keyed topic's partitions (0: split no query)
     */
    public static Topology build(String changeTopic, String stepTopic, List<ContinuousQuery> queries, StreamEngineConfig config,
                                 WallClock wallClock, int keyPartitions) {
        Map<String, SplitPlan> split = keyPartitions > 0 ? splitPlans(queries, config) : Map.of();
        if ( split.isEmpty() )
            return build(changeTopic, stepTopic, queries, config, wallClock);
        StreamsBuilder b = new StreamsBuilder();
        KStream<String, byte[]> datasetStage = b.stream(changeTopic, Consumed.with(Serdes.ByteArray(), Serdes.ByteArray()).withName(SOURCE))
            .process(PatchReassembly.supplier(PARTS_STORE), Named.as(REASSEMBLE))
            .process(ContinuousQueryProcessor.supplier(queries, config, wallClock, QUERY_STORES, split, keyPartitions), Named.as(QUERIES));
        datasetStage.filterNot((k, v) -> KeyedRecords.isKeyed(k), Named.as("whole-steps"))
            .to(stepTopic, Produced.with(Serdes.String(), Serdes.ByteArray()).withName(SINK));
        datasetStage.filter((k, v) -> KeyedRecords.isKeyed(k), Named.as("keyed-records"))
            .repartition(Repartitioned.<String, byte[]>as(KEYED_TOPIC).withKeySerde(Serdes.String()).withValueSerde(Serdes.ByteArray())
                             .withNumberOfPartitions(keyPartitions).withStreamPartitioner(new KeyPartitioner()))
            .process(KeyedWindowProcessor.supplier(split, keyPartitions, KEYED_STORE), Named.as(KEYED))
            .repartition(Repartitioned.<String, byte[]>as(PARTS_TOPIC).withKeySerde(Serdes.String()).withValueSerde(Serdes.ByteArray()))
            .process(StepAssembly.supplier(split, keyPartitions, ASSEMBLY_STORES), Named.as(ASSEMBLY))
            .to(stepTopic, Produced.with(Serdes.String(), Serdes.ByteArray()).withName(SPLIT_SINK));
        return b.build();
    }

    /** The queries whose work can be split by key, by name: only with incremental windows (the split plan is the incremental one, split). */
    public static Map<String, SplitPlan> splitPlans(List<ContinuousQuery> queries, StreamEngineConfig config) {
        Map<String, SplitPlan> out = new LinkedHashMap<>();
        if ( !config.incremental() )
            return out;
        for ( ContinuousQuery q : queries )
            SplitPlan.of(q).ifPresent(p -> out.put(q.name(), p));
        return out;
    }
}
