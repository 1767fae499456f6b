package org.fusekicdc.sink.kafka;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;
import org.fusekicdc.core.testing.TestSupport;

/**
 * A Kafka broker for integration tests: the one named by {@value #ENV} when that variable is
 * set, otherwise a real KRaft cluster (one broker, one controller) inside this JVM, started
 * with Kafka's own {@link KafkaClusterTestKit}.
 * <p>
 * When no broker can be had, {@link #unavailable} decides: under {@code CI=true} the test fails;
 * elsewhere it is skipped, loudly.
 */
public final class TestBroker implements AutoCloseable {
    public static final String ENV = "KAFKA_BOOTSTRAP_SERVERS";
    /** The broker's and every test topic's record size limit. */
    public static final int MESSAGE_MAX_BYTES = 1_048_576;

    private final KafkaClusterTestKit cluster;
    private final String bootstrapServers;

    private TestBroker(KafkaClusterTestKit cluster, String bootstrapServers) {
        this.cluster = cluster;
        this.bootstrapServers = bootstrapServers;
    }

    /** The broker of {@value #ENV} if set, else a new in-JVM cluster. */
    public static TestBroker obtain() throws Exception {
        String external = System.getenv(ENV);
        if ( external != null && !external.isBlank() )
            return external(external.trim());
        return embedded(null);
    }

    static TestBroker external(String bootstrap) throws Exception {
        TestBroker b = new TestBroker(null, bootstrap);
        Admin admin = b.admin();
        try {
            admin.describeCluster().nodes().get(15, TimeUnit.SECONDS);
        } catch (Exception ex) {
            throw new IllegalStateException(ENV + "=" + bootstrap + " but no broker answers there within 15 s: " + ex, ex);
        } finally {
            admin.close(java.time.Duration.ofSeconds(1));
        }
        return b;
    }

    /**
     * A new in-JVM cluster of its own, which the caller may stop and start.
     *
     * @param baseDir where the nodes keep their data, or null for a temporary directory deleted on close
     */
    public static TestBroker embedded(Path baseDir) throws Exception {
        TestKitNodes.Builder nodes = new TestKitNodes.Builder().setCombined(false).setNumBrokerNodes(1).setNumControllerNodes(1);
        if ( baseDir != null )
            nodes.setBaseDirectory(baseDir);
        KafkaClusterTestKit.Builder b = new KafkaClusterTestKit.Builder(nodes.build())
            // One broker: the internal topics can only have one replica.
            .setConfigProp("offsets.topic.replication.factor", "1")
            .setConfigProp("offsets.topic.num.partitions", "1")
            .setConfigProp("transaction.state.log.replication.factor", "1")
            .setConfigProp("transaction.state.log.min.isr", "1")
            .setConfigProp("transaction.state.log.num.partitions", "1")
            .setConfigProp("group.initial.rebalance.delay.ms", "0")
            .setConfigProp("message.max.bytes", Integer.toString(MESSAGE_MAX_BYTES))
            .setConfigProp("auto.create.topics.enable", "false");
        KafkaClusterTestKit cluster = b.build();
        try {
            cluster.format();
            cluster.startup();
            cluster.waitForReadyBrokers();
            return new TestBroker(cluster, cluster.bootstrapServers());
        } catch (Exception | Error ex) {
            try {
                cluster.close();
            } catch (Exception closing) {
                ex.addSuppressed(closing);
            }
            throw ex;
        }
    }

    /**
     * No broker: fail under {@code CI=true}, otherwise skip the test with a message that says
     * how to run it. Never returns.
     */
    static RuntimeException unavailable(String what, Throwable cause) {
        String msg = "No Kafka broker for the Kafka sink integration tests: " + what + (cause == null ? "" : " (" + cause + ")")
                     + ". Set " + ENV + "=host:port to use an existing broker.";
        TestSupport.skipOrFail(msg);
        return new IllegalStateException(msg);
    }

    public String bootstrapServers() {
        return bootstrapServers;
    }

    public boolean embedded() {
        return cluster != null;
    }

    /** Client properties that reach this broker. */
    public Map<String, Object> clientProperties() {
        Map<String, Object> p = new HashMap<>();
        p.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        return p;
    }

    public Admin admin() {
        return Admin.create(clientProperties());
    }

    /**
     * Create a one-partition topic with the given topic configuration (max.message.bytes defaults
     * to {@link #MESSAGE_MAX_BYTES}, retention.ms to -1: records are kept whatever their time).
     */
    public void createTopic(String name, Map<String, String> config) throws Exception {
        Map<String, String> c = new HashMap<>(config);
        c.putIfAbsent("max.message.bytes", Integer.toString(MESSAGE_MAX_BYTES));
        // Test records carry the commit times of their scenarios, months old: under the default time retention
        // (7 days) the broker's retention check (30 s after it starts, then every 5 min) deletes them while a test reads them.
        c.putIfAbsent("retention.ms", "-1");
        try (Admin admin = admin()) {
            admin.createTopics(List.of(new NewTopic(name, Optional.of(1), Optional.empty()).configs(c))).all().get(30, TimeUnit.SECONDS);
        }
    }

    /**
     * Stop the broker (controlled shutdown); the controller stays up. The broker keeps its data
     * directory and, through the cluster's pre-bound socket factory, its port.
     */
    public void stopBroker() {
        requireEmbedded();
        cluster.brokers().values().forEach(b -> b.shutdown());
    }

    /** Start the stopped broker again on the same port and data, and wait until it is ready. */
    public void startBroker() throws Exception {
        requireEmbedded();
        cluster.brokers().values().forEach(b -> b.startup());
        cluster.waitForReadyBrokers();
    }

    private void requireEmbedded() {
        if ( cluster == null )
            throw new IllegalStateException("Only an in-JVM broker can be stopped and started");
    }

    @Override
    public void close() {
        if ( cluster == null )
            return;
        try {
            cluster.close();
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        } catch (Exception ex) {
            throw new IllegalStateException("Stopping the in-JVM Kafka cluster: " + ex, ex);
        }
    }

    @Override
    public String toString() {
        return (cluster != null ? "in-JVM KRaft cluster at " : "broker at ") + bootstrapServers;
    }
}
