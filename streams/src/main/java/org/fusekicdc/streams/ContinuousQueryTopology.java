package org.fusekicdc.streams;

import java.util.List;

import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.Topology;
import org.fusekicdc.rsp.ContinuousQuery;
import org.fusekicdc.rsp.StreamEngineConfig;
import org.fusekicdc.streams.patch.PatchReassembly;
import org.fusekicdc.streams.query.ContinuousQueryProcessor;

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
 */
public final class ContinuousQueryTopology {
    /** The processor and store names, fixed: changelog topics are named after the stores, so renaming them loses the state. */
    public static final String SOURCE = "changes";
    public static final String REASSEMBLE = "reassemble";
    public static final String PARTS_STORE = "patch-parts";
    public static final String QUERIES = "queries";
    public static final String QUERY_STORES = "queries";
    public static final String SINK = "steps";

    private ContinuousQueryTopology() {}

    /**
     * @param changeTopic the topic a fuseki-cdc Kafka sink writes ({@code cdc:format "text"} or {@code "binary"})
     * @param stepTopic   where the steps go
     * @param queries     the continuous queries, each run over every dataset on the change topic
     * @param config      the engine's limits
     */
    public static Topology build(String changeTopic, String stepTopic, List<ContinuousQuery> queries, StreamEngineConfig config) {
        Topology t = new Topology();
        t.addSource(SOURCE, new ByteArrayDeserializer(), new ByteArrayDeserializer(), changeTopic);
        t.addProcessor(REASSEMBLE, PatchReassembly.supplier(PARTS_STORE), SOURCE);
        t.addProcessor(QUERIES, ContinuousQueryProcessor.supplier(queries, config, QUERY_STORES), REASSEMBLE);
        t.addSink(SINK, stepTopic, new StringSerializer(), new ByteArraySerializer(), QUERIES);
        return t;
    }
}
