package org.fusekicdc.sink.kafka;

import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.fusekicdc.core.CdcConfigException;
import org.fusekicdc.core.config.Option;
import org.fusekicdc.core.config.OptionValues;
import org.fusekicdc.core.wire.CloudEvents;
import org.fusekicdc.core.wire.FormatOptions;
import org.fusekicdc.core.wire.MessageFormat;

/**
 * The settings of one Kafka sink, validated all at once from the {@code cdc:} options of the
 * configuration. Every option is declared here, with its type, default and meaning; the
 * provider's {@link KafkaSinkProvider#options() option list} and docs/sinks.md come from this
 * table.
 *
 * @param dataset           the dataset's name (the record key)
 * @param sink              the sink's name
 * @param bootstrapServers  {@code host:port,...}
 * @param topic             the topic
 * @param contentType       the media type of {@code messageFormat}
 * @param maxMessageBytes   largest record value; larger patches are split into parts
 * @param transactional     one Kafka transaction per patch
 * @param createTopic       create the topic if absent
 * @param replicationFactor replication factor of a created topic, empty for the broker's default
 * @param sendTimeout       how long one patch may take to be acknowledged
 * @param producerProperties extra client properties, already checked against the settings the sink needs
 * @param messageFormat     what a record value holds
 * @param cloudEvents       the CloudEvents attributes sent as {@code ce_} headers, when configured
 */
public record KafkaSinkConfig(String dataset, String sink, String bootstrapServers, String topic, String contentType,
                              int maxMessageBytes, boolean transactional, boolean createTopic, Optional<Short> replicationFactor,
                              Duration sendTimeout, Properties producerProperties, MessageFormat messageFormat,
                              Optional<CloudEvents> cloudEvents) {

    /** Room in a record for the key, the headers and the record overhead, beyond the value. */
    static final int RECORD_OVERHEAD_BYTES = 4096;

    public static final Option<String> BOOTSTRAP_SERVERS = Option.required("bootstrapServers", "string",
        "Kafka brokers to connect to, host:port separated by commas.");
    public static final Option<String> TOPIC = Option.withoutDefault("topic", "string", "fuseki-cdc.<dataset>",
        "Topic the patches go to. Records are keyed by the dataset name, so one partition carries the dataset in order.");
    public static final Option<String> FORMAT = FormatOptions.FORMAT;
    public static final Option<Long> MAX_MESSAGE_BYTES = Option.integer("maxMessageBytes", "integer (bytes)", 1_000_000,
        "Largest record value; a larger patch is split into parts of this size. Keep it at least 4 KB below the topic's max.message.bytes, for key and headers.")
        .range(1024, Integer.MAX_VALUE - RECORD_OVERHEAD_BYTES);
    public static final Option<Boolean> TRANSACTIONAL = Option.bool("transactional", false,
        "Publish each patch in its own Kafka transaction (transactional.id fuseki-cdc-<dataset>-<sink name>): read_committed consumers never see part of a patch.");
    public static final Option<Boolean> CREATE_TOPIC = Option.bool("createTopic", true,
        "Create the topic, with one partition, if it does not exist. When false a missing topic is retried until someone creates it.");
    public static final Option<Long> REPLICATION_FACTOR = Option.<Long>withoutDefault("replicationFactor", "integer", "the broker's default.replication.factor",
        "Replication factor of a topic the sink creates.").range(1, Short.MAX_VALUE);
    public static final Option<String> PRODUCER_PROPERTIES = Option.withoutDefault("producerProperties", "string (key=value lines)", "none",
        "Extra Kafka client properties (security, tuning), one key=value per line; ${env:NAME} in a value is replaced by an environment variable. Security settings also apply to the sink's admin client and consumer.");
    public static final Option<Long> SEND_TIMEOUT_SECONDS = Option.integer("sendTimeoutSeconds", "integer (seconds)", 30,
        "How long the brokers may take to acknowledge one record (a patch, or one part of a large one); a record not acknowledged in time fails the attempt, which is retried. Also bounds each start-up step.")
        .range(1, 3600);

    /** Every option, in documentation order. */
    public static final List<Option<?>> OPTIONS = List.of(BOOTSTRAP_SERVERS, TOPIC, FORMAT, MAX_MESSAGE_BYTES, TRANSACTIONAL, CREATE_TOPIC,
                                                           REPLICATION_FACTOR, PRODUCER_PROPERTIES, SEND_TIMEOUT_SECONDS, FormatOptions.CLOUD_EVENTS,
                                                           FormatOptions.CLOUD_EVENTS_SOURCE, FormatOptions.CLOUD_EVENTS_TYPE, FormatOptions.ENTITY_CONTEXT,
                                                           FormatOptions.ENTITY_FRAME, FormatOptions.ENTITY_DEPTH);

    private static final Pattern LEGAL_TOPIC = Pattern.compile("[a-zA-Z0-9._-]{1,249}");

    /** Producer settings the sink decides, each with the option that controls it instead. */
    private static final Map<String, String> OWNED = Map.of(
        ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, "the sink sends byte arrays; remove it",
        ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, "the sink sends byte arrays; remove it",
        ProducerConfig.PARTITIONER_CLASS_CONFIG, "the sink writes the dataset to the partition its key maps to by Kafka's default rule, which its start-up check relies on; remove it",
        ProducerConfig.TRANSACTIONAL_ID_CONFIG, "set cdc:transactional true instead; the sink names the transactional id fuseki-cdc-<dataset>-<sink name>",
        CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, "set cdc:bootstrapServers instead");

    /** Keys whose values are never logged. */
    private static final Set<String> SECRET_WORDS = Set.of("password", "secret", "jaas", "token", "credential", "key");

    public KafkaSinkConfig {
        producerProperties = copy(producerProperties);
    }

    /**
     * Read and check the options of a sink.
     *
     * @throws CdcConfigException naming the option, the value and the fix, for the first problem found
     */
    public static KafkaSinkConfig parse(String dataset, OptionValues options) {
        String sink = options.name();
        String bootstrap = options.required(BOOTSTRAP_SERVERS.name(), "\"broker1:9092,broker2:9092\"").trim();
        String topic = options.string(TOPIC);
        if ( topic == null ) {
            topic = "fuseki-cdc." + dataset;
            if ( !LEGAL_TOPIC.matcher(topic).matches() )
                throw options.error(TOPIC.name(), "is needed: the default topic name '" + topic + "' (from the dataset name) is not a legal Kafka topic name;"
                                                  + " set it to a name of letters, digits, '.', '_' and '-' (at most 249 characters)");
        } else if ( !LEGAL_TOPIC.matcher(topic).matches() ) {
            throw options.error(TOPIC.name(), "'" + topic + "' is not a legal Kafka topic name; use letters, digits, '.', '_' and '-' (at most 249 characters)");
        }
        MessageFormat format = FormatOptions.format(options);
        Optional<CloudEvents> cloudEvents = FormatOptions.cloudEvents(dataset, options);
        int maxMessageBytes = (int)options.number(MAX_MESSAGE_BYTES);
        boolean transactional = options.bool(TRANSACTIONAL);
        // The option every sink has (cdc:acknowledgeWrites): a sink that carries a replica set's log must be able to fence an old leader.
        if ( "topic".equals(options.string("acknowledgeWrites", "local")) && !transactional )
            throw options.error(TRANSACTIONAL.name(), "must be true when cdc:acknowledgeWrites is \"topic\": the transactional producer is what fences an old"
                                                      + " leader after a follower is promoted (docs/replicas.md, Failover). Add cdc:transactional true");
        boolean createTopic = options.bool(CREATE_TOPIC);
        Optional<Short> replication = options.has(REPLICATION_FACTOR.name())
            ? Optional.of((short)options.number(REPLICATION_FACTOR))
            : Optional.empty();
        Duration sendTimeout = Duration.ofSeconds(options.number(SEND_TIMEOUT_SECONDS));
        Properties props = options.properties(PRODUCER_PROPERTIES.name());
        checkProducerProperties(options, props, maxMessageBytes, sendTimeout);
        return new KafkaSinkConfig(dataset, sink, bootstrap, topic, format.contentType(), maxMessageBytes, transactional, createTopic, replication,
                                   sendTimeout, props, format, cloudEvents);
    }

    /** Refuse settings that would break ordering or exactly-once delivery; never rewrite them. */
    private static void checkProducerProperties(OptionValues options, Properties p, int maxMessageBytes, Duration sendTimeout) {
        String opt = PRODUCER_PROPERTIES.name();
        for ( Map.Entry<String, String> e : OWNED.entrySet() ) {
            if ( p.containsKey(e.getKey()) )
                throw options.error(opt, "sets " + e.getKey() + "=" + p.getProperty(e.getKey()) + ": " + e.getValue());
        }
        String acks = p.getProperty(ProducerConfig.ACKS_CONFIG);
        if ( acks != null && !acks.trim().equals("all") && !acks.trim().equals("-1") )
            throw options.error(opt, "sets acks=" + acks + ": a patch must be on every in-sync replica before it counts as published;"
                                     + " remove the setting or set acks=all");
        String idem = p.getProperty(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG);
        if ( idem != null && !idem.trim().equalsIgnoreCase("true") )
            throw options.error(opt, "sets enable.idempotence=" + idem + ": without it a retried send can duplicate or reorder patches;"
                                     + " remove the setting (the sink turns idempotence on)");
        String inflight = p.getProperty(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION);
        if ( inflight != null ) {
            long n = integer(options, p, ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION);
            if ( n < 1 || n > 5 )
                throw options.error(opt, "sets " + ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION + "=" + inflight
                                         + ": the idempotent producer keeps order only with 1 to 5 requests in flight; remove it or set a value from 1 to 5");
        }
        String retries = p.getProperty(ProducerConfig.RETRIES_CONFIG);
        if ( retries != null && integer(options, p, ProducerConfig.RETRIES_CONFIG) < 1 )
            throw options.error(opt, "sets retries=" + retries + ": the idempotent producer needs retries; remove the setting");
        String maxRequest = p.getProperty(ProducerConfig.MAX_REQUEST_SIZE_CONFIG);
        if ( maxRequest != null ) {
            long n = integer(options, p, ProducerConfig.MAX_REQUEST_SIZE_CONFIG);
            if ( n < (long)maxMessageBytes + RECORD_OVERHEAD_BYTES )
                throw options.error(opt, "sets max.request.size=" + maxRequest + ", which is less than cdc:" + MAX_MESSAGE_BYTES.name() + " ("
                                         + maxMessageBytes + ") plus " + RECORD_OVERHEAD_BYTES + " bytes for key and headers; remove it (the sink sizes it)"
                                         + " or lower cdc:" + MAX_MESSAGE_BYTES.name());
        }
        String bufferMemory = p.getProperty(ProducerConfig.BUFFER_MEMORY_CONFIG);
        if ( bufferMemory != null && integer(options, p, ProducerConfig.BUFFER_MEMORY_CONFIG) < (long)maxMessageBytes + RECORD_OVERHEAD_BYTES )
            throw options.error(opt, "sets buffer.memory=" + bufferMemory + ", which cannot hold one part of cdc:" + MAX_MESSAGE_BYTES.name()
                                     + " (" + maxMessageBytes + ") bytes; remove it or raise it");
        long sendMs = sendTimeout.toMillis();
        String delivery = p.getProperty(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG);
        if ( delivery != null && integer(options, p, ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG) > sendMs )
            throw options.error(opt, "sets delivery.timeout.ms=" + delivery + ", longer than cdc:" + SEND_TIMEOUT_SECONDS.name() + " ("
                                     + sendTimeout.toSeconds() + " s): a send given up on could still land after the sink retried it;"
                                     + " remove it (the sink uses cdc:" + SEND_TIMEOUT_SECONDS.name() + ") or raise cdc:" + SEND_TIMEOUT_SECONDS.name());
        long deliveryMs = delivery != null ? integer(options, p, ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG) : sendMs;
        long lingerMs = p.containsKey(ProducerConfig.LINGER_MS_CONFIG) ? integer(options, p, ProducerConfig.LINGER_MS_CONFIG) : 0;
        String request = p.getProperty(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG);
        if ( request != null && integer(options, p, ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG) + lingerMs > deliveryMs )
            throw options.error(opt, "sets request.timeout.ms=" + request + ", which with linger.ms (" + lingerMs + ") exceeds the delivery timeout of "
                                     + deliveryMs + " ms (cdc:" + SEND_TIMEOUT_SECONDS.name() + " or delivery.timeout.ms); lower it or raise cdc:"
                                     + SEND_TIMEOUT_SECONDS.name());
        if ( request == null && lingerMs >= deliveryMs )
            throw options.error(opt, "sets linger.ms=" + lingerMs + ", which leaves no time to send within the delivery timeout of " + deliveryMs
                                     + " ms; lower it or raise cdc:" + SEND_TIMEOUT_SECONDS.name());
        String isolation = p.getProperty("isolation.level");
        if ( isolation != null && !isolation.trim().equals("read_committed") )
            throw options.error(opt, "sets isolation.level=" + isolation + ": the sink's start-up check reads committed records only; remove it");
    }

    private static long integer(OptionValues options, Properties p, String key) {
        String v = p.getProperty(key);
        try {
            return Long.parseLong(v.trim());
        } catch (NumberFormatException ex) {
            throw options.error(PRODUCER_PROPERTIES.name(), "sets " + key + "=" + v + ", which is not a whole number");
        }
    }

    private static Properties copy(Properties p) {
        Properties c = new Properties();
        if ( p != null )
            p.stringPropertyNames().forEach(k -> c.setProperty(k, p.getProperty(k)));
        return c;
    }

    @Override
    public Properties producerProperties() {
        return copy(producerProperties);
    }

    /** The transactional id when {@link #transactional}. */
    public String transactionalId() {
        return "fuseki-cdc-" + dataset + "-" + sink;
    }

    /** The format option's value. */
    public String format() {
        return messageFormat.name();
    }

    /** A value for logs: secrets masked. */
    static String masked(Map<String, ?> config) {
        Map<String, Object> out = new TreeMap<>();
        config.forEach((k, v) -> out.put(k, isSecret(k) ? "[hidden]" : v));
        return out.toString();
    }

    static boolean isSecret(String key) {
        String k = key.toLowerCase(Locale.ROOT);
        // "key" alone would hide key.serializer; secrets are keys of key stores and the like.
        if ( k.endsWith(".serializer") || k.endsWith(".deserializer") )
            return false;
        return SECRET_WORDS.stream().anyMatch(k::contains);
    }
}
