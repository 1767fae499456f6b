package org.fusekicdc.sink.kafka;

import java.io.ByteArrayOutputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.config.ConfigResource;
import org.fusekicdc.core.wire.PatchMessages;
import org.fusekicdc.core.sink.SinkProvider;
import org.fusekicdc.core.testing.TestSupport;
import org.fusekicdc.core.testing.contract.SinkContract;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

/**
 * The sink contract against a KRaft cluster of this class's own in this JVM (also when
 * {@value TestBroker#ENV} is set), since the outage clause stops and restarts the broker: a
 * controlled shutdown of its {@code BrokerServer} and a start in place, same data directory and
 * port. Every clause sends patches in records of at most {@value #MAX_MESSAGE_BYTES} bytes, so
 * the large ones are split, and kills land in the middle of a patch.
 */
class KafkaSinkContractIT extends SinkContract {
    static final int MAX_MESSAGE_BYTES = 1024;

    @TempDir
    static Path brokerDir;
    private static TestBroker broker;

    private final String topic = KafkaSinkIT.uniqueTopic("contract");

    @BeforeAll
    static void startBroker() {
        try {
            broker = TestBroker.embedded(brokerDir.resolve("kafka"));
        } catch (Exception | Error ex) {
            throw TestBroker.unavailable("could not start an in-JVM KRaft cluster", ex);
        }
    }

    @AfterAll
    static void stopBroker() {
        if ( broker != null )
            broker.close();
    }

    @Override
    protected SinkProvider provider() {
        return new KafkaSinkProvider();
    }

    @Override
    protected Map<String, String> options() {
        Map<String, String> o = KafkaSinkIT.options(broker, topic);
        o.put("sendTimeoutSeconds", "3");
        o.put("maxMessageBytes", Integer.toString(MAX_MESSAGE_BYTES));
        return o;
    }

    /** The partition's records, a split patch put back together; a run of parts a kill cut short is left out. */
    @Override
    protected List<Delivered> read() {
        List<Delivered> out = new ArrayList<>();
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        long version = -1;
        int next = 0;
        for ( ConsumerRecord<byte[], byte[]> r : TopicRecords.readAll(broker, topic, false) ) {
            int part = Integer.parseInt(TopicRecords.header(r, PatchMessages.PART));
            if ( part == 0 ) {
                body.reset();
                version = TopicRecords.version(r);
                next = 0;
            }
            if ( part != next || TopicRecords.version(r) != version )
                continue;
            body.writeBytes(r.value());
            next++;
            if ( next == Integer.parseInt(TopicRecords.header(r, PatchMessages.PARTS)) )
                out.add(new Delivered(version, TestSupport.parsePatch(TopicRecords.header(r, PatchMessages.CONTENT_TYPE), body.toByteArray())));
        }
        return out;
    }

    @Override
    protected void stopDestination() {
        broker.stopBroker();
    }

    @Override
    protected void startDestination() throws Exception {
        broker.startBroker();
    }

    @Override
    protected Oversize oversize(int maxBytes) {
        Map<String, String> o = options();
        o.put("maxMessageBytes", Integer.toString(maxBytes));
        return new Oversize(OversizeRule.SPLIT, o);
    }

    /** A sink that does not split below {@link TestBroker#MESSAGE_MAX_BYTES}. */
    @Override
    protected Map<String, String> refusingOptions(int maxBytes) {
        Map<String, String> o = options();
        o.remove("maxMessageBytes");
        return o;
    }

    /** The topic's {@code max.message.bytes} lowered, as an operator might. */
    @Override
    protected void refuseMessagesOver(int maxBytes) throws Exception {
        try (Admin admin = broker.admin()) {
            ConfigResource res = new ConfigResource(ConfigResource.Type.TOPIC, topic);
            admin.incrementalAlterConfigs(Map.of(res, List.of(new AlterConfigOp(new ConfigEntry("max.message.bytes", Integer.toString(maxBytes)),
                                                                                 AlterConfigOp.OpType.SET))))
                 .all().get(30, TimeUnit.SECONDS);
            // The controller has it; wait until the broker applies it too (the broker answers describeConfigs from its own metadata).
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while ( !Integer.toString(maxBytes).equals(admin.describeConfigs(List.of(res)).all().get(30, TimeUnit.SECONDS).get(res)
                                                        .get("max.message.bytes").value()) ) {
                if ( System.nanoTime() > deadline )
                    throw new AssertionError("the broker did not apply max.message.bytes=" + maxBytes + " within 60 s");
                Thread.sleep(50);
            }
        }
    }

    @Override
    protected Map<Clause, String> optOuts() {
        Map<Clause, String> o = new EnumMap<>(Clause.class);
        o.put(Clause.WRONG_CREDENTIALS, "the in-JVM KRaft test broker has no authenticating (SASL) listener; Kafka credentials are "
                                        + "client properties passed through unchanged (KafkaSinkConfigTest checks they are never shown)");
        return o;
    }
}
